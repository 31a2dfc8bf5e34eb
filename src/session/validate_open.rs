//! Opening a run's validation windows: is there anything to validate, whose lock, which
//! sources (the plan's post-checks, each in its window, and its triggers in every window),
//! and the validation segment continued after the seal, replayed.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use super::validate_windows::Validating;
use crate::engine::{Event, Mode, Record, RunInfo};
use crate::monitor::validation::{Source, Validation, spans};
use crate::monitor::{Condition, Limits, ProbeSpec, Reads, Spec};
use crate::plan::trigger::TriggerSeverity;
use crate::plan::{Plan, Window};
use crate::timeline::journal::read_complete;
use crate::timeline::rundir::{PLAN_COPY, TIMELINE};
use crate::timeline::segment::{self, SEGMENT, SEGMENT_LOCK};
use crate::timeline::{Journal, files};

/// Post-checks are judged on each sample; a few errors in a row make them blind.
const CHECK_ERRORS: u32 = 2;
const CHECK_INTERVAL: Duration = Duration::from_secs(60);
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the windows of a run cannot be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// Nothing to validate: the run did not complete, or its plan declares no windows.
    Nothing(String),
    Held(String),
    Damaged(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Nothing(why) => f.write_str(why),
            OpenError::Held(who) => write!(f, "the validation is being run elsewhere ({who})"),
            OpenError::Damaged(why) => write!(f, "the record cannot be trusted: {why}"),
        }
    }
}

/// The run in `dir` has windows to run and they have not ended.
pub fn pending(dir: &Path) -> bool {
    let Ok(bytes) = files::read_bounded(&dir.join(TIMELINE), files::MAX_WHOLE) else {
        return false;
    };
    let Ok((records, _)) = read_complete(&bytes) else {
        return false;
    };
    let completed = records
        .iter()
        .any(|r| matches!(r.event, Event::RunCompleted));
    let declared = files::read_bounded(&dir.join(PLAN_COPY), files::MAX_WHOLE)
        .ok()
        .and_then(|b| crate::plan::load::load_bytes(PLAN_COPY, b).ok())
        .is_some_and(|l| l.plan.post_rollback.windows.is_some());
    let ended = files::read_bounded(&dir.join(SEGMENT), files::MAX_WHOLE)
        .ok()
        .zip(records.last())
        .and_then(|(b, seal)| segment::read(&b, seal).ok())
        .is_some_and(|(r, _)| segment::ended(&r).is_some());
    completed && declared && !ended
}

/// Opens the validation of the sealed run in `dir`. `speed` is used for a new validation
/// of a drill or rehearsal; one that goes on keeps the speed it recorded. `given` are
/// variable values known to the caller (the run's own, secrets included).
pub fn open(
    dir: &Path,
    operator: &str,
    speed: f64,
    given: &[(String, String)],
) -> Result<Validating, OpenError> {
    let damaged = |e: String| OpenError::Damaged(e);
    let bytes = files::read_bounded(&dir.join(TIMELINE), files::MAX_WHOLE)
        .map_err(|e| OpenError::Nothing(format!("cannot read the run's timeline: {e}")))?;
    let (records, _) = read_complete(&bytes).map_err(|e| damaged(e.to_string()))?;
    let (seal, origin_ms, info) = completed(&records)?;
    let plan_bytes = files::read_bounded(&dir.join(PLAN_COPY), files::MAX_WHOLE)
        .map_err(|e| OpenError::Nothing(format!("cannot read {PLAN_COPY}: {e}")))?;
    let plan =
        crate::plan::load::load_bytes(&dir.join(PLAN_COPY).display().to_string(), plan_bytes)
            .map_err(|e| damaged(e.to_string()))?
            .plan;
    let Some(windows) = &plan.post_rollback.windows else {
        return Err(OpenError::Nothing(
            "the plan declares no validation windows (`post_rollback: {windows: ..., post_checks: [...]}`)".into(),
        ));
    };
    let ends: Vec<(Window, Duration)> = windows.ends().iter().map(|(w, d, _)| (*w, *d)).collect();
    // The checks see what the steps saw: the run's variables as recorded (a secret, never
    // recorded, is left to the environment or `given`) and its `ROLLBACK_*` context.
    let mut vars: Vec<(String, String)> = info
        .vars
        .iter()
        .filter(|(_, v)| v != crate::mask::REDACTED)
        .cloned()
        .collect();
    vars.extend(given.iter().cloned());
    let specs = sources(&plan, &vars).map_err(damaged)?;
    let listed = specs
        .iter()
        .map(|(s, only)| Source {
            name: s.name.clone(),
            only: *only,
            limits: s.limits,
        })
        .collect();
    let lock = take_lock(dir, operator)?;
    let (existing, journal) = segment_after(dir, seal)?;
    let mode = records.first().map_or(Mode::Live, |r| r.mode);
    let state = crate::engine::replay(&plan, &records);
    let env = super::command_env(
        vars,
        &super::CommandContext {
            dir,
            run_id: &info.run_id,
            plan: &info.plan,
            mode,
            operator,
            state: &state,
        },
    );
    let mask = secrets_of(&plan, &env);
    let workdir = Path::new(&info.plan_path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
    let mut v = Validating {
        dir: dir.to_path_buf(),
        plan,
        info,
        mode,
        operator: operator.into(),
        specs: specs.into_iter().map(|(s, _)| s).collect(),
        validation: Validation::new(spans(&ends), listed),
        env,
        workdir,
        mask,
        speed: if mode == Mode::Live {
            1.0
        } else {
            speed.max(1.0)
        },
        started_ms: None,
        origin_ms,
        last_at: None,
        journal,
        _lock: lock,
    };
    v.replay(&existing);
    Ok(v)
}

/// The seal of a run that completed, when its rollback ended, and how it started.
fn completed(records: &[Record]) -> Result<(&Record, i64, RunInfo), OpenError> {
    let Some(seal) = records
        .last()
        .filter(|r| matches!(r.event, Event::RunSealed(_)))
    else {
        return Err(OpenError::Nothing(
            "the run has not ended (or was never sealed): finish it with `rollback resume` first"
                .into(),
        ));
    };
    // The windows count from the rollback's end, however late they are watched.
    let Some(origin_ms) = records
        .iter()
        .find(|r| matches!(r.event, Event::RunCompleted))
        .map(|r| r.ts_ms)
    else {
        return Err(OpenError::Nothing(
            "the run did not complete: there is no rollback to validate".into(),
        ));
    };
    let info = records
        .iter()
        .find_map(|r| match &r.event {
            Event::RunStarted(i) => Some(i.clone()),
            _ => None,
        })
        .ok_or_else(|| OpenError::Damaged("no run_started record".into()))?;
    Ok((seal, origin_ms, *info))
}

/// The validation records already chained after the seal, and the journal that goes on.
fn segment_after(dir: &Path, seal: &Record) -> Result<(Vec<Record>, Journal), OpenError> {
    let path = dir.join(SEGMENT);
    let existing = match files::read_bounded(&path, files::MAX_WHOLE) {
        Ok(b) => {
            segment::read(&b, seal)
                .map_err(|(n, why)| OpenError::Damaged(format!("{SEGMENT}:{n}: {why}")))?
                .0
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(OpenError::Damaged(format!("{SEGMENT}: {e}"))),
    };
    let file = files::open_append(&path)
        .map_err(|e| OpenError::Damaged(format!("cannot open {SEGMENT}: {e}")))?;
    let last = existing.last().unwrap_or(seal).clone();
    let mut journal = Journal::with_sink(Box::new(file), std::slice::from_ref(&last));
    if let Some(ship) = path.parent().and_then(crate::store::live::after_record) {
        journal.after_each(ship);
    }
    Ok((existing, journal))
}

/// The mask of the plan's secrets: a secret the run was not given again is still in the
/// environment its checks inherit.
fn secrets_of(plan: &Plan, env: &[(String, String)]) -> crate::mask::Mask {
    let secret_values: Vec<(String, String)> = plan
        .vars
        .iter()
        .filter(|(_, var)| var.secret)
        .filter_map(|(name, _)| {
            let k = &name.value;
            env.iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(k).ok())
                .map(|v| (k.clone(), v))
        })
        .collect();
    crate::plan::vars::secret_mask(plan, &secret_values)
}

fn take_lock(dir: &Path, operator: &str) -> Result<File, OpenError> {
    let mut file = files::open_lock(&dir.join(SEGMENT_LOCK))
        .map_err(|e| OpenError::Damaged(format!("cannot open {SEGMENT_LOCK}: {e}")))?;
    if file.try_lock().is_err() {
        return Err(OpenError::Held(
            segment::holder(dir).unwrap_or_else(|| "holder unknown".into()),
        ));
    }
    let _ = file.set_len(0);
    let now = chrono::Utc::now();
    let _ = file.write_all(crate::timeline::rundir::holder_text(operator, now).as_bytes());
    Ok(file)
}

/// The plan's post-checks (each in its window) and, unless switched off, its triggers.
/// The windows' sources, the plan's variables filled into its triggers' probes as a watch
/// fills them.
fn sources(plan: &Plan, vars: &[(String, String)]) -> Result<Vec<(Spec, Option<Window>)>, String> {
    let mut out = Vec::new();
    let mut per_window: Vec<(Window, u32)> = Vec::new();
    for item in plan.post_rollback.iter() {
        let Some(check) = &item.check else { continue };
        let n = match per_window.iter_mut().find(|(w, _)| *w == *item.window) {
            Some((_, n)) => n,
            None => {
                per_window.push((*item.window, 0));
                &mut per_window.last_mut().expect("just pushed").1
            }
        };
        *n += 1;
        let name = item
            .title
            .clone()
            .unwrap_or_else(|| format!("{} check {n}", item.window.name()));
        let (command, condition, compiled) = match &item.expect {
            // The check's own stdout is the result; `expect` says when it is well: the
            // sample is bad where it does not hold (within the limits `expect` was held to).
            Some(e) => (
                check.value.clone(),
                format!("!({})", e.value),
                Condition::compile(e).map(Condition::negated),
            ),
            // Exit status alone: the subshell contains an `exit` of the check.
            None => (
                format!("( {}\n) >/dev/null 2>&1; echo $?", check.value),
                "result != 0".into(),
                Condition::compile("result != 0"),
            ),
        };
        let spec = Spec {
            name,
            uses: None,
            probe: ProbeSpec::Command(command),
            reads: Reads::Answer,
            timeout: item.timeout.as_ref().map_or(CHECK_TIMEOUT, |d| d.0),
            limits: Limits {
                interval: item.interval.as_ref().map_or(CHECK_INTERVAL, |d| d.0),
                count: 1,
                initial_delay: Duration::ZERO,
                failure_limit: 0,
                consecutive_error_limit: CHECK_ERRORS,
            },
            condition: compiled.map_err(|e| e.message)?,
            condition_text: condition.clone(),
            cancel_window: Duration::ZERO,
            inconclusive: None,
            threshold: None,
            severity: TriggerSeverity::High,
            explain: format!("`{}` failed", check.value.trim()),
        };
        out.push((spec, Some(*item.window)));
    }
    if plan.post_rollback.triggers {
        for t in &plan.triggers {
            out.push((Spec::resolve(t)?.with_vars(vars), None));
        }
    }
    Ok(out)
}
