//! `rollback drill PLAN --exercise NAME` of an exercise with `trigger:`: the drill starts by
//! watching, as `rollback watch --drill` does, with the exercised trigger alone on the board
//! and its probe's answers played on the drill clock (`healthy`, then `firing` once `after`
//! has passed). When the severity policy starts the rollback, the run is the drill itself:
//! the same options `rollback drill` built, with the trigger in its `run_started`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::args::HeadlessArgs;
use crate::engine::Trigger;
use crate::exit::Exit;
use crate::monitor::{ProbeSpec, Spec};
use crate::plan::model::ExerciseTrigger;
use crate::plan::vars::{Given, process_env, resolve_from};
use crate::plan::{Loaded, Plan};
use crate::probe::Context;
use crate::session::StartOptions;
use crate::watch::prepared::{ExerciseWatch, Prepared};

/// Drill time before a trigger's played probe turns from `healthy` to `firing`, by default.
pub const DEFAULT_AFTER: Duration = Duration::from_secs(60);

/// The exercised trigger as the drill's watch runs it: the plan's trigger (its condition,
/// window, severity and cancel window) with a played probe instead of its own.
pub fn played_spec(plan: &Plan, t: &ExerciseTrigger) -> Result<Spec, String> {
    let trigger = plan
        .triggers
        .iter()
        .find(|x| x.name.value == t.name.value)
        .ok_or_else(|| format!("the plan has no trigger `{}`", t.name.value))?;
    let mut spec = Spec::resolve(trigger)?;
    if let (None, Some(w)) = (&trigger.cancel_window, &plan.cancel_window) {
        spec.cancel_window = w.value.0;
    }
    spec.probe = ProbeSpec::Drill {
        healthy: t.healthy.value.clone(),
        firing: t.firing.value.clone(),
        after: t.after.as_ref().map_or(DEFAULT_AFTER, |a| a.value.0),
    };
    Ok(spec)
}

pub fn run(
    loaded: Loaded,
    given: &Given,
    opts: StartOptions,
    t: &ExerciseTrigger,
    h: &HeadlessArgs,
) -> color_eyre::Result<Exit> {
    let spec = match played_spec(&loaded.plan, t) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rollback drill: {}", crate::text::inline(&e));
            return Ok(Exit::BadInput);
        }
    };
    let vars = match resolve_from(&loaded.plan, given, &process_env) {
        Ok(v) => v,
        Err(problems) => {
            for p in problems {
                eprintln!("rollback: {}", crate::text::inline(&p));
            }
            return Ok(Exit::BadInput);
        }
    };
    let pairs: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let workdir = Path::new(&loaded.source.path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let trainee = opts
        .drill
        .trainee
        .clone()
        .unwrap_or_else(|| opts.operator.clone());
    let prepared = Prepared {
        specs: vec![spec],
        cx: Context {
            workdir,
            mask: crate::plan::vars::secret_mask(&loaded.plan, &pairs),
            env: pairs,
            receivers: Default::default(),
        },
        // The trigger started it, as in a real watch.
        opts: StartOptions {
            vars,
            trigger: Trigger::Auto,
            ..opts
        },
        json: false,
        exercise: Some(ExerciseWatch { trainee }),
        loaded,
    };
    let runtime = crate::runner::runtime()?;
    if h.headless {
        return runtime.block_on(super::watch_lines::watch(
            prepared,
            h.clone().into(),
            Some(h),
        ));
    }
    crate::tui::watch::run(&runtime, prepared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::board::{Board, Change};
    use crate::monitor::{Action, Verdict};
    use crate::watch::watcher::Scale;
    use serde_json::json;

    fn plan(severity: &str, after: &str) -> Plan {
        let base = include_str!("../../tests/plans/base.yaml");
        let head = base.split("triggers:").next().unwrap();
        let text = format!(
            "{head}cancel_window: 2m\ndrills:\n  fires:\n    trigger: {{name: errors{after}, healthy: 0, firing: 5}}\ntriggers:\n  - name: errors\n    command: exit 1\n    interval: 10s\n    condition: result > 1.0\n    severity: {severity}\n"
        );
        crate::plan::load::load_bytes("t.yaml", text.into_bytes())
            .unwrap()
            .plan
    }

    fn spec(severity: &str, after: &str) -> Spec {
        let p = plan(severity, after);
        let t = p.drills.get("fires").unwrap().trigger.clone().unwrap();
        played_spec(&p, &t).unwrap()
    }

    #[test]
    fn the_exercised_trigger_keeps_its_rules_with_its_answers_played() {
        let s = spec("high", "");
        assert_eq!(
            s.probe,
            ProbeSpec::Drill {
                healthy: json!(0),
                firing: json!(5),
                after: DEFAULT_AFTER
            }
        );
        assert_eq!(s.cancel_window, Duration::from_secs(120), "the plan's");
        assert_eq!(s.limits.interval, Duration::from_secs(10));
    }

    /// Samples the board when it says a sample is due, on a watch clock `speed` times
    /// faster than real time, until the policy acts; returns the real time it acted.
    fn play(board: &mut Board, speed: f64) -> (Duration, Vec<Change>) {
        let clock = Scale::new(speed);
        for _ in 0..100 {
            let (due, i) = board.next_due().expect("a sample is due");
            let real = clock.real(due);
            let answer = board.rows[i].spec.probe.played(clock.watch(real)).unwrap();
            let changes = board.record(i, Ok(answer), clock.watch(real));
            if changes.iter().any(|c| matches!(c, Change::Policy(_))) {
                return (real, changes);
            }
        }
        panic!("never fired");
    }

    #[test]
    fn on_the_drill_clock_it_fires_at_the_first_sample_after_after_in_a_fraction_of_it() {
        let mut b = Board::new(vec![spec("critical", ", after: 45s")], Duration::ZERO);
        let (real, changes) = play(&mut b, 30.0);
        // Samples every 10 s of drill time: 0, 10, .., 40 healthy; 50 s fires, 50/30 s real.
        assert_eq!(real, Scale::new(30.0).real(Duration::from_secs(50)));
        assert!(matches!(
            &changes[0],
            Change::Verdict {
                verdict: Verdict::Fired { .. },
                ..
            }
        ));
        assert_eq!(
            changes[1],
            Change::Policy(Action::Start {
                trigger: 0,
                by: None
            })
        );
        assert_eq!(b.rows[0].history, [0.0, 0.0, 0.0, 0.0, 0.0, 5.0]);
    }

    #[test]
    fn a_medium_trigger_is_answered_as_the_trainee_and_a_high_one_counts_down() {
        let mut b = Board::new(vec![spec("medium", ", after: 5s")], Duration::ZERO);
        let (_, changes) = play(&mut b, 10.0);
        assert_eq!(changes[1], Change::Policy(Action::Ask { trigger: 0 }));
        assert_eq!(
            b.answer_start("bob", Duration::from_secs(11)),
            [Change::Policy(Action::Start {
                trigger: 0,
                by: Some("bob".into())
            })]
        );
        let mut b = Board::new(vec![spec("high", ", after: 5s")], Duration::ZERO);
        let (_, changes) = play(&mut b, 10.0);
        let ends = Duration::from_secs(10 + 120);
        assert_eq!(
            changes[1],
            Change::Policy(Action::Countdown { trigger: 0, ends })
        );
        assert_eq!(b.answer_start("bob", ends), [], "a countdown needs nobody");
        assert_eq!(Scale::new(10.0).real(ends), Duration::from_secs(13));
    }
}
