//! A drill exercise's cut session (`orphan:`). The step it names plays its simulation as a
//! real command in its own process group, so that it outlives this process as any command
//! outlives a dropped SSH connection; once its first line has been shown, the face ends the
//! process recording nothing more, as a kill would. `rollback resume` then finds the
//! command still running: the orphan the trainee practises with.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Session;
use crate::engine::Input;
use crate::runner::{CommandSpec, OutputTail, SimSpec};

/// Prints the lines given in the environment: the first at once, each of the others after
/// a pause, then pauses once more and exits with the simulated code.
const PLAY: &str = r#"first=1
printf '%s\n' "$ROLLBACK_DRILL_OUTPUT" | while IFS= read -r line; do
  [ -n "$first" ] || sleep "$ROLLBACK_DRILL_PAUSE"
  first=
  printf '%s\n' "$line"
done
sleep "$ROLLBACK_DRILL_PAUSE"
exit "$ROLLBACK_DRILL_EXIT""#;

/// What the face tells the trainee when it ends the process.
#[derive(Debug, Clone, PartialEq)]
pub struct Cut {
    pub step: String,
    pub pgid: Option<i32>,
    pub run_id: String,
}

impl Cut {
    /// Short lines: they are read on an 80-column terminal just given back by the screen.
    pub fn lines(&self) -> Vec<String> {
        let group = self
            .pgid
            .map(|g| format!(" (process group {g})"))
            .unwrap_or_default();
        vec![
            format!(
                "DRILL: the session was cut while {} ran (a dropped connection).",
                self.step
            ),
            format!("Its command goes on{group}; nothing more was recorded."),
            format!("Carry on where it stopped: rollback resume {}", self.run_id),
        ]
    }
}

impl Session {
    /// How long the command of attempt `attempt` of step `step` goes on after a cut, when
    /// the exercise cuts the session there: at the first attempt of the first instance of
    /// the named step to start (so a resumed drill is not cut again).
    pub(super) fn cut_lasts(&self, step: usize, attempt: u32) -> Option<Duration> {
        let (name, lasts) = self.drill.orphan.as_ref()?;
        let named = |key: &str| super::spec::names_step(name, key);
        let untouched = self
            .state
            .steps
            .iter()
            .filter(|s| named(&s.key))
            .all(|s| s.attempts_used() == 0);
        (attempt == 1 && self.cut.is_none() && named(&self.state.steps[step].key) && untouched)
            .then_some(*lasts)
    }

    /// Starts the simulation `sim` of step `step` as a real command that goes on for
    /// `lasts` after its first line; `log` is its log's name in the run directory.
    pub(super) fn spawn_cut(
        &mut self,
        step: usize,
        sim: SimSpec,
        log: String,
        lasts: Duration,
        tail: Arc<Mutex<OutputTail>>,
    ) -> Vec<Input> {
        let mut lines = sim.lines.clone();
        let mut exit = sim.exit;
        if sim.fail {
            lines.push(crate::runner::simulate::FAIL_LINE.to_string());
            exit = 1;
        }
        let pause = lasts.as_secs_f64() / lines.len().max(1) as f64;
        let mut env = self.context_env();
        env.extend([
            ("ROLLBACK_DRILL_OUTPUT".to_string(), lines.join("\n")),
            ("ROLLBACK_DRILL_PAUSE".to_string(), format!("{pause:.3}")),
            ("ROLLBACK_DRILL_EXIT".to_string(), exit.to_string()),
        ]);
        let (attempt, log_path) = (sim.attempt, sim.log_path.clone());
        let spec = CommandSpec {
            key: sim.key,
            attempt,
            command: PLAY.to_string(),
            env,
            workdir: self.plan_dir.clone(),
            timeout: None,
            log_path,
        };
        let started = self.runner.spawn(step, spec, tail);
        if started.is_ok() {
            self.cut = Some(step);
        }
        super::spec::spawned(step, attempt, log, started)
    }

    /// The cut, once its step's first line has been shown: the face then ends the process
    /// at once, leaving the run unsealed and its command running.
    pub fn cut(&self) -> Option<Cut> {
        let step = self.cut?;
        let shown = self
            .tails
            .get(&step)
            .is_some_and(|t| t.lock().is_ok_and(|t| t.total_lines() > 0));
        let s = &self.state.steps[step];
        shown.then(|| Cut {
            step: s.key.clone(),
            pgid: s.last_attempt().and_then(|a| a.pgid),
            run_id: self.run.id.clone(),
        })
    }
}
