//! One human line per event, the same wherever events are shown: headless output, the
//! timeline pane, reports.

use super::event::{Event, Stamped, StepOutcome};
use super::sla::clock_text;

/// A byte count for people: `5.9 GiB`, `812 B`.
pub fn byte_size(bytes: u64) -> String {
    bytesize::ByteSize(bytes).display().iec().to_string()
}

/// `850ms`, `2.1s`, `1m05s`, `1h02m`.
pub fn duration_text(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..10_000 => format!("{:.1}s", ms as f64 / 1000.0),
        10_000..60_000 => format!("{}s", ms / 1000),
        60_000..3_600_000 => format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60),
        _ => format!("{}h{:02}m", ms / 3_600_000, (ms / 60_000) % 60),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Who or what an escalation level engages, as the screens label the level: the ladder's
/// action without a leading "Engage (the)", so every level reads alike:
/// `Escalation 2 Senior SRE`, `Escalation 3 CTO/VP`, `Escalation 1 Retry with logging`.
pub fn escalation_label(action: &str) -> String {
    let text = first_line(action).trim();
    let strip = |s: &'static str, t: &str| -> Option<usize> {
        t.get(..s.len())
            .filter(|head| head.eq_ignore_ascii_case(s))
            .map(|_| s.len())
    };
    let mut rest = text;
    if let Some(n) = strip("engage ", rest) {
        rest = rest[n..].trim_start();
        if let Some(n) = strip("the ", rest) {
            rest = &rest[n..];
        }
    }
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What happened, in words, saying who and in which mode where the event alone does not.
/// As `describe_stamped`, with a step's time on a drill clock `speed` times faster (as the
/// line's elapsed time is), for the faces; the record itself keeps real time.
pub fn describe_on_clock(s: &Stamped, speed: f64) -> String {
    match &s.event {
        Event::StepFinished { duration_ms, .. } if speed > 1.0 => {
            let mut event = s.event.clone();
            if let Event::StepFinished { duration_ms: d, .. } = &mut event {
                *d = super::clock::drill_ms(*duration_ms, speed);
            }
            describe(&event)
        }
        _ => describe_stamped(s),
    }
}

pub fn describe_stamped(s: &Stamped) -> String {
    match &s.event {
        Event::RunStarted(i) => format!(
            "{} run of {} started by {} (level {}, SLA {})",
            s.mode.name(),
            i.plan,
            s.operator,
            i.level,
            clock_text(i.sla_ms)
        ),
        other => describe(other),
    }
}

/// What happened, in words.
pub fn describe(event: &Event) -> String {
    // Every event is named here, so a new one cannot go without words.
    let words = match event {
        Event::StepStarted { .. }
        | Event::StepFinished { .. }
        | Event::RetryScheduled { .. }
        | Event::RetryRequested { .. }
        | Event::Approved { .. }
        | Event::ManualConfirmed { .. }
        | Event::StepSkipped { .. }
        | Event::PointOfNoReturnConfirmed { .. }
        | Event::StepInterrupted { .. }
        | Event::OrphanFound { .. }
        | Event::OrphanDecided { .. }
        | Event::OrphanGone { .. }
        | Event::StepOutputs { .. } => step_words(event),
        Event::RegionStarted { .. }
        | Event::RegionFinished { .. }
        | Event::RegionEscalated { .. }
        | Event::RegionSlaBreached { .. }
        | Event::RegionFailed { .. }
        | Event::RegionPolicyChosen { .. }
        | Event::AlternativeTaken { .. } => region_words(event),
        Event::ValidationStarted { .. }
        | Event::ValidationSample { .. }
        | Event::ValidationWindow { .. }
        | Event::ValidationLeft { .. }
        | Event::ValidationEnded { .. } => validation_words(event),
        Event::RunStarted(_)
        | Event::EscalationRaised { .. }
        | Event::EscalationAcknowledged { .. }
        | Event::SlaBreached { .. }
        | Event::Note { .. }
        | Event::StatusUpdate { .. }
        | Event::NotifyFinished { .. }
        | Event::OperatorLeft { .. }
        | Event::RunResumed { .. }
        | Event::PlanChanged { .. }
        | Event::RunSealed(_)
        | Event::RunCompleted
        | Event::RunFailed { .. }
        | Event::RunAborted { .. } => run_words(event),
    };
    words.unwrap_or_default()
}

/// A step's own events.
fn step_words(event: &Event) -> Option<String> {
    Some(match event {
        Event::StepStarted { step, attempt, .. } if *attempt > 1 => {
            format!("{step} started (attempt {attempt})")
        }
        Event::StepStarted { step, .. } => format!("{step} started"),
        Event::StepFinished {
            step,
            outcome,
            exit_code,
            signal,
            duration_ms,
            error,
            log_error,
            dropped,
            ..
        } => {
            let d = duration_text(*duration_ms);
            let text = match (outcome, error) {
                _ if log_error.is_some() => {
                    let e = log_error.as_deref().unwrap_or_default();
                    format!("{step} stopped after {d}: its output log could not be written ({e})")
                }
                (_, Some(e)) => format!("{step} could not start: {e}"),
                (StepOutcome::Ok, _) => format!("{step} ok in {d}"),
                (StepOutcome::Failed, _) => match (exit_code, signal) {
                    (Some(c), _) => format!("{step} failed (exit {c}) after {d}"),
                    (None, Some(s)) => format!("{step} failed (signal {s}) after {d}"),
                    _ => format!("{step} failed after {d}"),
                },
                (StepOutcome::TimedOut, _) => format!("{step} timed out after {d}"),
                (StepOutcome::Killed, _) => format!("{step} killed after {d}"),
            };
            match dropped {
                0 => text,
                n => format!("{text}; {} of output not kept in its log", byte_size(*n)),
            }
        }
        Event::RetryScheduled { step, attempt, .. } => {
            format!("{step}: attempt {attempt} scheduled")
        }
        Event::RetryRequested { step, by } => format!("{step}: {by} asked for another attempt"),
        Event::Approved { step, by } => format!("{step} approved by {by}"),
        Event::ManualConfirmed { step, by, note } => match note {
            Some(n) => format!("{step} confirmed by {by}: {}", first_line(n)),
            None => format!("{step} confirmed by {by}"),
        },
        Event::StepSkipped { step, by, reason } => {
            format!("{step} skipped by {by}: {}", first_line(reason))
        }
        Event::PointOfNoReturnConfirmed { step, by } => {
            format!("point of no return passed: {by} confirmed before {step}")
        }
        Event::StepInterrupted { step, attempt, .. } => {
            format!("{step} attempt {attempt} was interrupted: outcome unknown")
        }
        Event::OrphanFound { step, pgid } => {
            format!("{step} is still running from before (process group {pgid})")
        }
        Event::OrphanDecided {
            step,
            pgid,
            by,
            kill,
        } => match kill {
            true => format!("{by} kills process group {pgid} ({step} from before)"),
            false => format!("{by} waits for process group {pgid} ({step} from before)"),
        },
        Event::OrphanGone { step, pgid, killed } => {
            let how = if *killed { "killed" } else { "ended" };
            format!("{step}: process group {pgid} {how}")
        }
        Event::StepOutputs { step, outputs, .. } => {
            let pairs: Vec<String> = outputs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{step} wrote {}", pairs.join(", "))
        }
        _ => return None,
    })
}

/// A region's events under a regional plan.
fn region_words(event: &Event) -> Option<String> {
    Some(match event {
        Event::RegionStarted { region } => format!("region {region} started"),
        Event::RegionFinished {
            region,
            duration_ms,
            sla_ms,
            met,
        } => format!(
            "region {region} finished in {} ({} its SLA of {})",
            clock_text(*duration_ms),
            if *met { "within" } else { "OVER" },
            clock_text(*sla_ms)
        ),
        Event::RegionEscalated {
            region,
            level,
            action,
        } => format!("region {region}: escalation level {level}: {action}"),
        Event::RegionSlaBreached { region, sla_ms } => {
            format!("region {region}: SLA of {} breached", clock_text(*sla_ms))
        }
        Event::RegionFailed {
            region,
            step,
            policy,
        } => format!(
            "region {region} failed at {step} (on_region_failure: {})",
            policy.name()
        ),
        Event::RegionPolicyChosen { step, choice, by } => {
            format!("{step}: {by} chose {} for the other regions", choice.name())
        }
        Event::AlternativeTaken {
            step,
            alternative,
            title,
            by,
            automatic,
        } => format!(
            "{step}: alternative path `{alternative}` ({title}) taken by {by}{}",
            if *automatic { " (automatic)" } else { "" }
        ),
        _ => return None,
    })
}

/// The validation windows after the rollback.
fn validation_words(event: &Event) -> Option<String> {
    Some(match event {
        Event::ValidationStarted {
            windows,
            skipped,
            resumed_at_ms,
            ..
        } => match (skipped, resumed_at_ms) {
            (Some(why), _) => format!("validation windows not run: {why}"),
            (None, Some(at)) => format!("validation goes on at {}", fmt_ms(*at)),
            (None, None) => format!("validation started: {} window(s)", windows.len()),
        },
        Event::ValidationSample {
            window,
            source,
            outcome,
            message,
            ..
        } => {
            let why = message
                .as_ref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            let outcome = serde_json::to_value(outcome).unwrap_or_default();
            let outcome = outcome.as_str().unwrap_or("?");
            format!("{} window: {source} {outcome}{why}", window.name())
        }
        Event::ValidationWindow {
            window, verdict, ..
        } => match verdict {
            crate::monitor::validation::WindowVerdict::Regressed { source } => {
                format!("{} window REGRESSED ({source})", window.name())
            }
            crate::monitor::validation::WindowVerdict::NotRun { why } => {
                format!("{} window not run: {why}", window.name())
            }
            v => format!("{} window {}", window.name(), v.word()),
        },
        Event::ValidationLeft { reason, .. } => format!("validation left: {reason}"),
        Event::ValidationEnded { verdict } => format!("validation ended: {}", verdict.word()),
        _ => return None,
    })
}

/// The run as a whole.
fn run_words(event: &Event) -> Option<String> {
    Some(match event {
        Event::RunStarted(i) => format!(
            "run of {} started (level {}, SLA {})",
            i.plan,
            i.level,
            clock_text(i.sla_ms)
        ),
        Event::EscalationRaised {
            level,
            action,
            reason,
        } => match reason {
            Some(r) => format!("escalation level {level}: {action} ({r})"),
            None => format!("escalation level {level}: {action}"),
        },
        Event::EscalationAcknowledged { level, by } => {
            format!("escalation level {level} acknowledged by {by}")
        }
        Event::SlaBreached { sla_ms } => format!("SLA of {} breached", clock_text(*sla_ms)),
        Event::Note { by, text } => format!("note by {by}: {}", first_line(text)),
        Event::StatusUpdate { by, .. } => format!("status update by {by}"),
        Event::NotifyFinished {
            on,
            exit_code,
            timed_out,
            stderr,
            ..
        } => match (timed_out, exit_code) {
            (true, _) => format!("notify for {on} timed out"),
            (false, Some(0)) => format!("notify for {on} sent"),
            (false, Some(c)) => {
                format!("notify for {on} failed (exit {c}): {}", first_line(stderr))
            }
            (false, None) => format!("notify for {on} failed: {}", first_line(stderr)),
        },
        Event::OperatorLeft { reason, running } => match running {
            Some(step) => format!("operator left ({reason}); {step} left running; resumable"),
            None => format!("operator left ({reason}); resumable"),
        },
        Event::RunResumed {
            host, pid, forced, ..
        } => {
            let forced = if *forced {
                ", plan changed: forced"
            } else {
                ""
            };
            format!("run resumed on {host} (pid {pid}{forced})")
        }
        Event::PlanChanged {
            recorded_sha256,
            plan_sha256,
            by,
        } => format!(
            "plan changed since it was recorded (sha256 {}… then, {}… now), accepted by {by}",
            &recorded_sha256[..12.min(recorded_sha256.len())],
            &plan_sha256[..12.min(plan_sha256.len())]
        ),
        Event::RunSealed(seal) => format!("timeline sealed after {} records", seal.records),
        Event::RunCompleted => "run completed".into(),
        Event::RunFailed { reason } => format!("run failed: {reason}"),
        Event::RunAborted {
            by,
            reason,
            after_point_of_no_return,
        } => {
            let after = if *after_point_of_no_return {
                " after the point of no return"
            } else {
                ""
            };
            format!("run aborted by {by}{after}: {}", first_line(reason))
        }
        _ => return None,
    })
}

/// A validation clock offset as `12m30s`.
fn fmt_ms(ms: u64) -> String {
    crate::plan::duration::format(std::time::Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_escalation_level_is_labelled_alike() {
        let label = |a: &str| escalation_label(a);
        assert_eq!(label("Retry with logging"), "Retry with logging");
        assert_eq!(label("Engage senior SRE"), "Senior SRE");
        assert_eq!(label("Engage CTO/VP"), "CTO/VP");
        assert_eq!(label("Full incident response"), "Full incident response");
        assert_eq!(
            label("engage the senior SRE and the infrastructure lead"),
            "Senior SRE and the infrastructure lead"
        );
        assert_eq!(label("Engagement manager"), "Engagement manager");
        assert_eq!(label(""), "");
    }

    #[test]
    fn durations_read_naturally() {
        let cases = [
            (850, "850ms"),
            (2_140, "2.1s"),
            (42_000, "42s"),
            (65_000, "1m05s"),
            (3_720_000, "1h02m"),
        ];
        for (ms, want) in cases {
            assert_eq!(duration_text(ms), want);
        }
    }

    #[test]
    fn failures_say_how() {
        let e = Event::StepFinished {
            step: "execute.undo".into(),
            attempt: 1,
            outcome: StepOutcome::Failed,
            exit_code: Some(3),
            signal: None,
            duration_ms: 1_500,
            lines: 0,
            bytes: 0,
            sha256: String::new(),
            dropped: 0,
            error: None,
            log_error: None,
        };
        assert_eq!(describe(&e), "execute.undo failed (exit 3) after 1.5s");
        let s = Stamped {
            seq: 1,
            ts_ms: 0,
            mode: crate::engine::Mode::Drill,
            operator: "ana".into(),
            event: e,
        };
        assert_eq!(
            describe_on_clock(&s, 10.0),
            "execute.undo failed (exit 3) after 15s",
            "on a drill clock ten times faster"
        );
        assert_eq!(describe_on_clock(&s, 1.0), describe(&s.event));
    }
}
