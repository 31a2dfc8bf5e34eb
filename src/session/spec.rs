//! What a step's command is given: its shell text, its environment (the plan's variables
//! and the run's `ROLLBACK_*` context, never pasted into the text), its directory and log.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Session;
use crate::engine::Input;
use crate::engine::expand::plan_step;
use crate::runner::{CommandSpec, OutputTail, SimSpec};
use crate::timeline::RunDir;

/// What a run's commands are told of it, whoever starts them: its steps, its notifier and,
/// after the run, the checks of its validation windows.
pub struct Context<'a> {
    pub dir: &'a std::path::Path,
    pub run_id: &'a str,
    pub plan: &'a str,
    pub mode: crate::engine::Mode,
    pub operator: &'a str,
    pub state: &'a crate::engine::RunState,
}

/// The environment of a run's commands: the plan's variables, then the `ROLLBACK_*` context.
pub fn command_env(mut env: Vec<(String, String)>, cx: &Context) -> Vec<(String, String)> {
    let scenario = cx.state.info.as_ref().and_then(|i| i.scenario.clone());
    let regions: Vec<&str> = cx.state.regions.iter().map(|r| r.name.as_str()).collect();
    let ctx = [
        ("ROLLBACK_RUN_DIR", cx.dir.display().to_string()),
        ("ROLLBACK_RUN_ID", cx.run_id.to_string()),
        ("ROLLBACK_PLAN", cx.plan.to_string()),
        ("ROLLBACK_MODE", cx.mode.name().to_string()),
        ("ROLLBACK_OPERATOR", cx.operator.to_string()),
        ("ROLLBACK_SCENARIO", scenario.unwrap_or_default()),
        ("ROLLBACK_REGIONS", regions.join(" ")),
        // The checklist's trigger items call `rollback probe` through it.
        (
            "ROLLBACK_EXE",
            std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "rollback".into()),
        ),
    ];
    env.extend(ctx.into_iter().map(|(k, v)| (k.to_string(), v)));
    env
}

impl Session {
    /// The `ROLLBACK_*` context every command and notifier sees.
    pub fn context_env(&self) -> Vec<(String, String)> {
        let vars = self
            .vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        command_env(
            vars,
            &Context {
                dir: &self.run.path,
                run_id: &self.run.id,
                plan: &self.plan.plan.value,
                mode: self.mode,
                operator: &self.operator,
                state: &self.state,
            },
        )
    }

    pub(super) fn notify_env(
        &self,
        on: &str,
        payload: &serde_json::Value,
    ) -> Vec<(String, String)> {
        let mut env = self.context_env();
        let field = |k: &str| match &payload[k] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        env.extend([
            ("ROLLBACK_EVENT".to_string(), on.to_string()),
            ("ROLLBACK_LEVEL".to_string(), field("level")),
            ("ROLLBACK_ACTION".to_string(), field("action")),
            ("ROLLBACK_ELAPSED".to_string(), field("elapsed_s")),
        ]);
        // A region's own escalation or breach: which region (the run's list stays in
        // ROLLBACK_REGIONS).
        if let Some(region) = payload["region"].as_str() {
            env.push(("ROLLBACK_REGION".to_string(), region.to_string()));
        }
        env
    }

    /// The regions of the run, in order.
    pub fn region_names(&self) -> Vec<&str> {
        self.state.regions.iter().map(|r| r.name.as_str()).collect()
    }

    /// How many attempts of `key` a drill fails on purpose: named as `phase.step@region`,
    /// `step@region`, `phase.step` (every region) or the step's id.
    fn fail_attempts(&self, key: &str) -> u32 {
        self.drill
            .fail
            .iter()
            .filter(|(name, _)| names_step(name, key))
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0)
    }

    /// How many times slower the drill plays `key` (`phase.step`): 1 unless made slow.
    fn slow_factor(&self, key: &str) -> f64 {
        let id = key.split_once('.').map_or(key, |(_, s)| s);
        self.drill
            .slow
            .iter()
            .filter(|(name, _)| name == key || name == id)
            .map(|(_, f)| *f)
            .fold(1.0, f64::max)
    }

    /// Starts attempt `attempt` of `step` and returns what the engine must hear at once.
    pub(super) fn spawn(&mut self, step: usize, attempt: u32) -> Vec<Input> {
        let key = self.state.steps[step].key.clone();
        let src = self.state.steps[step].src;
        let plan = self.plan.clone();
        let phase = &plan.phases[src.phase];
        let Some(s) = plan_step(&plan, &src) else {
            return Vec::new();
        };
        let log = RunDir::log_name(&key, attempt);
        let log_path = self.run.path.join(&log);
        let tail = Arc::new(Mutex::new(OutputTail::default()));
        self.tails.insert(step, tail.clone());
        if self.mode == crate::engine::Mode::Drill {
            let (_, text) = s.action();
            let sim = s
                .simulate
                .as_ref()
                .map(|l| l.value.clone())
                .unwrap_or_default();
            let lines = if sim.output.is_empty() {
                vec![format!(
                    "(simulated) {}",
                    text.lines().next().unwrap_or_default()
                )]
            } else {
                sim.output.clone()
            };
            let spec = SimSpec {
                key,
                attempt,
                lines,
                duration: sim
                    .duration
                    .map(|d| d.value.0)
                    .unwrap_or(Duration::from_secs(1)),
                exit: sim.exit,
                fail: attempt <= self.fail_attempts(&self.state.steps[step].key),
                speed: self.drill.speed.max(1.0),
                slow: self.slow_factor(&self.state.steps[step].key),
                log_path,
            };
            if let Some(lasts) = self.cut_lasts(step, attempt) {
                return self.spawn_cut(step, spec, log, lasts, tail);
            }
            self.runner.simulate(step, spec, tail);
            return vec![Input::Spawned {
                step,
                attempt,
                pid: None,
                pgid: None,
                log,
            }];
        }
        let mut env = self.context_env();
        env.extend([
            ("ROLLBACK_PHASE".to_string(), phase.id.value.clone()),
            ("ROLLBACK_STEP".to_string(), key.clone()),
            ("ROLLBACK_ATTEMPT".to_string(), attempt.to_string()),
            (
                "ROLLBACK_OUTPUTS".to_string(),
                super::outputs::prepare(&self.run.path, &log)
                    .display()
                    .to_string(),
            ),
        ]);
        let lane = self.state.steps[step].region.clone();
        if let Some(region) = lane.or_else(|| phase.region.as_ref().map(|r| r.value.clone())) {
            env.push(("ROLLBACK_REGION".to_string(), region));
        }
        env.extend(s.env.iter().map(|(k, v)| (k.value.clone(), v.clone())));
        let workdir: PathBuf = s
            .workdir
            .as_ref()
            .map(|w| self.plan_dir.join(&w.value))
            .unwrap_or_else(|| self.plan_dir.clone());
        let spec = CommandSpec {
            key,
            attempt,
            command: s.action().1.to_string(),
            env,
            workdir,
            timeout: s.timeout.as_ref().map(|t| t.value.0),
            log_path,
        };
        spawned(step, attempt, log, self.runner.spawn(step, spec, tail))
    }

    /// Who the plan names as having pre-authorised the point of no return before `step`, if it
    /// did (`point_of_no_return: {approve: auto, by: NAME}` on the step or its phase).
    pub fn pre_authorised(&self, step: usize) -> Option<&str> {
        let src = self.state.steps[step].src;
        let phase = &self.plan.phases[src.phase];
        let own = &plan_step(&self.plan, &src)?.point_of_no_return;
        let by = if own.set {
            own.auto_by.as_deref()
        } else {
            phase.point_of_no_return.auto_by.as_deref()
        };
        by.filter(|_| self.state.steps[step].point_of_no_return)
    }

    /// The plan step a step of the run carries out (in a lane, on an alternative path).
    pub fn plan_step(&self, step: usize) -> Option<&crate::plan::Step> {
        plan_step(&self.plan, &self.state.steps.get(step)?.src)
    }

    /// Phase and step indexes of a step of the run, as written in the plan.
    pub fn locate(&self, step: usize) -> (usize, usize) {
        self.state
            .steps
            .get(step)
            .map_or((0, 0), |s| (s.src.phase, s.src.step))
    }
}

/// What the engine must hear of a command's start: `Spawned` with its pid and group, or,
/// when it could not start, `Spawned` without them and at once `Exited` as not started.
pub(super) fn spawned(
    step: usize,
    attempt: u32,
    log: String,
    started: Result<(u32, i32), String>,
) -> Vec<Input> {
    match started {
        Ok((pid, pgid)) => vec![Input::Spawned {
            step,
            attempt,
            pid: Some(pid),
            pgid: Some(pgid),
            log,
        }],
        Err(error) => vec![
            Input::Spawned {
                step,
                attempt,
                pid: None,
                pgid: None,
                log,
            },
            Input::Exited {
                step,
                attempt,
                report: crate::runner::not_started(error),
            },
        ],
    }
}

/// Whether a drill fault's `name` names the step instance `key` (`phase.step[@region]`):
/// written as the key itself, `phase.step` (every region), the step's id, or `id@region`.
pub(super) fn names_step(name: &str, key: &str) -> bool {
    let plain = key.split_once('@').map_or(key, |(k, _)| k);
    let id = plain.split_once('.').map_or(plain, |(_, s)| s);
    let id_region = key.split_once('.').map_or(key, |(_, s)| s);
    name == key || name == plain || name == id || name == id_region
}

#[cfg(test)]
mod tests {
    use crate::engine::selection::run_regions;

    #[test]
    fn regions_in_the_run_follow_the_scenario() {
        let plan = crate::plan::load::parse_str(
            "plan: p\ntitle: t\nlevel: 4\noperation: infrastructure\nautomation: semi\nregions: [eu, us, ap]\nscenarios:\n  eu-only: {kind: regional, regions: [eu]}\n  us-phases: {phases: [x-us]}\n  plain: {phases: [x-eu, x-us, x-ap]}\nphases:\n  - {id: x-eu, kind: execute, region: eu, steps: [{id: a, run: 'true'}]}\n  - {id: x-us, kind: execute, region: us, steps: [{id: a, run: 'true'}]}\n  - {id: x-ap, kind: execute, region: ap, steps: [{id: a, run: 'true'}]}\n",
        )
        .expect("test plan parses");
        assert_eq!(run_regions(&plan, None), ["eu", "us", "ap"]);
        assert_eq!(run_regions(&plan, Some("eu-only")), ["eu"]);
        assert_eq!(run_regions(&plan, Some("us-phases")), ["us"]);
        assert_eq!(run_regions(&plan, Some("plain")), ["eu", "us", "ap"]);
    }
}
