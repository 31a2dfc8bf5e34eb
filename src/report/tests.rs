//! Reports of runs played through the real engine with a manual clock: what the report
//! says about time, outcome, people, follow-ups and metrics, in data and in markdown.

use super::model::{RunOutcome, SlaVerdict, build};
use super::phases::{AttemptOutcome, PhaseStatus, StepStatus};
use super::testkit::{Drive, T0};
use super::{Report, TOP_LEVEL_KEYS, metrics};
use crate::engine::decide::Input;
use crate::engine::{Mode, StepOutcome};
use crate::plan::Window;

/// Three automated steps (save, undo, ready) and two for people (go, look).
const PLAN: &str = "plan: t\ntitle: Roll back t | safely\nlevel: 3\noperation: application\n\
automation: semi\nsla: 10m\n\
scenarios:\n  exec-only: {title: Execute only, phases: [execute, verify]}\n\
phases:\n  - id: capture\n    steps:\n      - {id: save, run: 'true'}\n  \
- id: decide\n    kind: prepare\n    steps:\n      - {id: go, approve: Go?}\n  \
- id: execute\n    point_of_no_return: true\n    steps:\n      \
- {id: undo, title: Undo the deploy, run: 'true', retry: {attempts: 2, delay: 5s}}\n  \
- id: verify\n    steps:\n      - {id: ready, check: 'true'}\n      - {id: look, manual: Looks fine}\n\
post_rollback:\n  - {window: immediate, title: Health, check: 'curl -fsS https://t/health | grep ok'}\n  \
- {window: long-term, manual: Postmortem written}\n  - {window: immediate, manual: Error rate flat}\n";

const NOW: i64 = T0 + 86_400_000;

fn report(d: &Drive) -> Report {
    build(&d.plan, &d.records, NOW)
}

/// save ok, bob approves, alice confirms the point of no return, undo fails once and
/// passes on its retry, ready ok, look confirmed with a note; done at +04:12.
fn good_run() -> Drive {
    let mut d = Drive::new(PLAN, None);
    d.start(Mode::Live, None).command(StepOutcome::Ok, 2);
    d.now = T0 + 30_000;
    d.feed(Input::Approve { by: "bob".into() });
    d.now = T0 + 40_000;
    d.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
    d.command(StepOutcome::Failed, 3)
        .command(StepOutcome::Ok, 4);
    d.command(StepOutcome::Ok, 1);
    d.feed(Input::Note {
        by: "carol".into(),
        text: "db team | joined\nsecond line".into(),
    });
    d.now = T0 + 252_000;
    d.feed(Input::ConfirmManual {
        by: "alice".into(),
        note: Some("error rate flat".into()),
    });
    d
}

#[test]
fn a_completed_run_inside_its_sla_says_so_with_who_did_what() {
    let d = good_run();
    let r = report(&d);
    assert_eq!(r.outcome.status, RunOutcome::Completed);
    assert_eq!(r.timing.sla, SlaVerdict::Met);
    assert_eq!(r.timing.duration_ms, 252_000);
    assert_eq!(r.timing.sla_text(), "04:12 of 10:00: met (05:48 to spare)");
    assert_eq!(r.run.operators, ["alice"]);

    let steps: Vec<_> = r.phases.iter().flat_map(|p| &p.steps).collect();
    assert_eq!(steps.len(), 5);
    assert_eq!(steps[1].approved_by.as_deref(), Some("bob"));
    assert_eq!(steps[1].duration_ms, Some(28_000), "the gate waited 28 s");
    let undo = steps[2];
    assert_eq!(
        undo.point_of_no_return_confirmed_by.as_deref(),
        Some("alice")
    );
    let outcomes: Vec<_> = undo.attempts.iter().map(|a| a.outcome).collect();
    assert_eq!(outcomes, [AttemptOutcome::Failed, AttemptOutcome::Ok]);
    assert_eq!(
        undo.attempts[0].log.as_deref(),
        Some("output/execute.undo.1.log")
    );
    assert_eq!(steps[4].confirmed_by.as_deref(), Some("alice"));
    assert_eq!(steps[4].note.as_deref(), Some("error rate flat"));

    let p = &r.point_of_no_return;
    assert!(p.passed);
    assert_eq!(
        (p.by.as_deref(), p.before_step.as_deref(), p.elapsed_ms),
        (Some("alice"), Some("execute.undo"), Some(40_000))
    );

    let md = r.to_markdown();
    for want in [
        "# Rollback report: Roll back t | safely\n",
        "| Duration vs SLA | 04:12 of 10:00: met (05:48 to spare) |",
        "| Outcome | completed |",
        "| Start | 2027-01-15 08:00:00 UTC |",
        "| End | 2027-01-15 08:04:12 UTC |",
        "approved by bob",
        "| `verify.look` | manual | ok | +00:53 | 3m19s | confirmed by alice<br>note: error rate flat |",
        "| `decide.go` | approve | ok | +00:02 | 28s | approved by bob |",
        "| **2. decide** (prepare) | phase | **ok** |",
        "point of no return, confirmed by alice",
        "attempt 1: **failed** (exit 1) in 3.0s, 1 line, log `output/execute.undo.1.log`",
        "Passed at +00:40 (2027-01-15 08:00:40 UTC): confirmed by alice before `execute.undo`.",
        "| +00:",
        "| note | carol | db team \\| joined<br>second line |",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    assert!(
        !md.contains("## Notifications"),
        "no notifications, no section"
    );
}

#[test]
fn follow_ups_are_grouped_by_window_and_due_from_the_end() {
    let r = report(&good_run());
    let f = &r.follow_ups;
    let end = T0 + 252_000;
    assert_eq!(f.counted_from.ms(), end);
    assert!(!f.provisional);
    let windows: Vec<_> = f.groups.iter().map(|g| (g.window, g.items.len())).collect();
    assert_eq!(windows, [(Window::Immediate, 2), (Window::LongTerm, 1)]);
    assert_eq!(f.groups[0].due_at.ms(), end + 15 * 60_000);
    assert_eq!(f.groups[1].opens_at.ms(), end + 60 * 60_000);
    assert_eq!(f.groups[1].due_at.ms(), end + 24 * 60 * 60_000);

    let md = r.to_markdown();
    for want in [
        "### Immediate (0-15 min): from 2027-01-15 08:04:12 UTC to 2027-01-15 08:19:12 UTC",
        "- [ ] **Health**: run `curl -fsS https://t/health | grep ok`",
        "- [ ] Error rate flat\n",
        "### Long-term (1-24 h): from 2027-01-15 09:04:12 UTC to 2027-01-16 08:04:12 UTC",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    assert!(!md.contains("Short-term"), "empty windows are left out");
}

#[test]
fn metrics_count_automation_attempts_and_plan_followed() {
    let d = good_run();
    let m = metrics(&d.plan, &d.records);
    assert_eq!(m, report(&d).metrics, "the report reuses the same metrics");
    let (e, q) = (&m.execution, &m.quality);
    assert_eq!((e.attempts, e.retries), (4, 1));
    assert!(e.success);
    assert_eq!(e.within_sla, Some(true));
    assert_eq!((q.steps_automated, q.steps_manual), (3, 2));
    assert_eq!(q.automated_pct, Some(60.0));
    assert_eq!(q.plan_followed_pct, Some(100.0));
    assert_eq!(
        serde_json::to_value(q.tested_beforehand).unwrap(),
        "unknown",
        "a live run does not prove a rehearsal happened"
    );
    assert!(!m.impact.recorded);
    assert_eq!(m.impact.downtime_ms, None);
    let md = report(&d).to_markdown();
    for want in [
        "| Attempts | 4 in total, 1 failed, 1 retry |",
        "| Downtime | missing |",
        "| Revenue impact | missing |",
        "3 automated (run/check), 2 manual (approve/manual): 60% automated",
        "| Plan followed | 100%: 5 of 5 steps ok",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
}

#[test]
fn a_slow_run_with_a_skipped_gate_misses_its_sla_and_follows_less_of_the_plan() {
    let mut d = Drive::new(PLAN, None);
    d.start(Mode::Drill, None).command(StepOutcome::Ok, 2);
    d.as_operator("bob").feed(Input::Skip {
        by: "bob".into(),
        reason: "approved | on the bridge call".into(),
    });
    d.at(300);
    d.feed(Input::Acknowledge { by: "bob".into() });
    d.at(601);
    d.as_operator("alice").all_ok();
    let r = report(&d);
    assert_eq!(r.timing.sla, SlaVerdict::Missed);
    assert!(
        r.timing.sla_text().contains(": missed by "),
        "{}",
        r.timing.sla_text()
    );
    assert_eq!(r.timing.sla_breached_elapsed_ms, Some(601_000));
    assert_eq!(r.run.operators, ["alice", "bob"]);
    assert_eq!(r.metrics.quality.plan_followed_pct, Some(80.0));
    assert_eq!(r.metrics.quality.steps_skipped, 1);
    assert_eq!(r.metrics.execution.within_sla, Some(false));
    let esc = &r.escalations[0];
    assert_eq!((esc.level, esc.elapsed_ms), (2, 300_000));
    assert_eq!(esc.acknowledged_by.as_deref(), Some("bob"));

    let md = r.to_markdown();
    for want in [
        "# Rollback report (DRILL): ",
        "> DRILL: a training run.",
        "skipped by bob: approved \\| on the bridge call",
        "| skipped |",
        "SLA of 10:00 breached at +10:01",
        "| +05:00 | 2 | Engage senior SRE | time elapsed | by bob at +05:00 |",
        "| Operator | alice (also: bob) |",
        "| Plan followed | 80%: 4 of 5 steps ok (1 skipped, 0 failed, 0 not done) |",
        "yes: this run is itself a drill",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
}

#[test]
fn an_unfinished_run_is_reported_up_to_its_last_record() {
    let mut d = Drive::new(PLAN, None);
    d.start(Mode::Live, None).command(StepOutcome::Ok, 2);
    d.at(90).feed(Input::Leave {
        reason: "shift change".into(),
        terminate: false,
    });
    let r = report(&d);
    assert_eq!(r.outcome.status, RunOutcome::NotFinished);
    assert_eq!(r.timing.ended_at, None);
    assert_eq!(r.timing.duration_ms, 90_000);
    assert_eq!(r.timing.sla, SlaVerdict::Open);
    assert_eq!(r.metrics.execution.within_sla, None);
    assert!(r.follow_ups.provisional);
    assert_eq!(r.phases[1].status, PhaseStatus::Pending);
    assert_eq!(r.phases[1].steps[0].status, StepStatus::Pending);

    let md = r.to_markdown();
    for want in [
        "| Duration vs SLA | in progress/interrupted: 01:30 so far of 10:00",
        "| Outcome | not finished: operator left (shift change); resumable |",
        "| End | not finished (last record 2027-01-15 08:01:30 UTC) |",
        "## Interruptions and resumes",
        "- +01:30 alice left (shift change)",
        "The run has not ended: due times count from its last record",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
}

#[test]
fn a_resume_after_a_crash_shows_the_interrupted_attempt_and_its_orphan() {
    let mut d = Drive::new(PLAN, Some("exec-only"));
    d.start(Mode::Rehearsal, Some("exec-only"));
    d.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
    d.feed(Input::Spawned {
        step: 2,
        attempt: 1,
        pid: Some(9),
        pgid: Some(9),
        log: "output/execute.undo.1.log".into(),
    });
    d.now = T0 + 60_000;
    d.as_operator("bob").feed(Input::Resume {
        host: "bastion-2".into(),
        pid: 77,
        forced: true,
        plan_sha256: "00".into(),
        unrecorded: vec![],
        orphans: vec![(2, 9)],
    });
    d.feed(Input::KillOrphan { by: "ana".into() });
    d.feed(Input::OrphanGone {
        step: 2,
        pgid: 9,
        killed: true,
    });
    d.feed(Input::Retry { by: "bob".into() });
    d.all_ok();
    let r = report(&d);
    assert_eq!(r.phases_left_out.len(), 2, "capture and decide");
    assert_eq!(r.metrics.quality.steps_selected, 3);
    let undo = &r.phases[0].steps[0];
    assert_eq!(undo.attempts[0].outcome, AttemptOutcome::Interrupted);
    assert_eq!(undo.attempts[1].requested_by.as_deref(), Some("bob"));
    let i = &r.interruptions;
    assert_eq!(i.resumes[0].host, "bastion-2");
    assert!(i.resumes[0].forced);
    assert_eq!(i.interrupted_steps[0].orphan_killed, Some(true));

    let md = r.to_markdown();
    for want in [
        "# Rollback report (REHEARSAL): ",
        "| Scenario | `exec-only`: Execute only |",
        "Phases left out by scenario `exec-only`: `capture`, `decide`.",
        "- +01:00 resumed by bob on bastion-2 (pid 77) **forced: the plan had changed**",
        "- +01:00 `execute.undo` attempt 1 interrupted: outcome unknown; process group 9 was still running: killed",
        "attempt 1: **interrupted**",
        "attempt 2 (requested by bob): ok",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
}

#[test]
fn an_abort_past_the_point_of_no_return_is_loud() {
    let mut d = Drive::new(PLAN, Some("exec-only"));
    d.start(Mode::Live, Some("exec-only"));
    d.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
    d.now += 5_000;
    d.feed(Input::Abort {
        by: "alice".into(),
        reason: "undo hangs".into(),
    });
    d.feed(Input::NotifyDone {
        on: "run_aborted".into(),
        command: "./notify.sh | tee log".into(),
        exit_code: Some(3),
        timed_out: false,
        duration_ms: 120,
        stderr: "no route to host\nmore".into(),
    });
    let r = report(&d);
    assert_eq!(r.outcome.status, RunOutcome::Aborted);
    assert!(r.outcome.after_point_of_no_return);
    assert_eq!(
        r.escalations[0].reason.as_deref(),
        Some("aborted after the point of no return")
    );
    assert!(!r.notifications[0].ok);
    let md = r.to_markdown();
    for want in [
        "| Outcome | aborted by alice after the point of no return: undo hangs |",
        "**The run was aborted after the point of no return",
        "**not acknowledged**",
        "## Notifications",
        "**1 of 1 notifications failed.**",
        "| `./notify.sh \\| tee log` | **FAILED** (exit 3) in 120ms: no route to host |",
        "| Success | no (aborted) |",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
}

#[test]
fn json_has_the_documented_keys_and_round_trips() {
    let r = report(&good_run());
    let v = r.to_json();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = TOP_LEVEL_KEYS.to_vec();
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(v["timing"]["started_at"], "2027-01-15T08:00:00.000Z");
    assert_eq!(v["timing"]["sla"], "met");
    assert_eq!(v["run"]["mode"], "live");
    assert_eq!(
        v["phases"][2]["steps"][0]["attempts"][0]["outcome"],
        "failed"
    );
    assert_eq!(v["follow_ups"]["groups"][1]["window"], "long-term");
    assert_eq!(v["metrics"]["quality"]["automated_pct"], 60.0);
    assert!(v["metrics"]["impact"]["downtime_ms"].is_null());
    let text = serde_json::to_string(&v).unwrap();
    let back: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
}

#[test]
fn the_markdown_of_a_small_run() {
    insta::assert_snapshot!(report(&good_run()).to_markdown());
}
