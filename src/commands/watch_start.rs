//! What a watch needs before it starts and what it hands the run: the triggers resolved
//! with the variables in their probes, the options the run will start with, the notify
//! hook for alerts, and the watch's own small journal in the runs directory
//! (`.watch/<UTC start>-<plan>.jsonl`: started, every change, cancels, how it ended).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value as Json, json};

use super::args::WatchArgs;
use crate::engine::{FiredTrigger, Mode, SystemClock, Trigger};
use crate::monitor::board::{Board, Change};
use crate::monitor::{Action, Spec};
use crate::plan::Loaded;
use crate::plan::vars::{process_env, resolve_from};
use crate::probe::Context;
use crate::runner::notify::Notification;
use crate::session::{DrillOptions, Opened, StartOptions};
use crate::timeline::rundir::runs_root;

/// A watch ready to start.
pub struct Prepared {
    pub loaded: Loaded,
    pub specs: Vec<Spec>,
    pub cx: Context,
    pub opts: StartOptions,
    pub json: bool,
    pub headless: crate::headless::Options,
    /// Set when the watch opens a drill exercise (`rollback drill --exercise`).
    pub exercise: Option<ExerciseWatch>,
}

/// A drill exercise's watch: a headless one answers as the trainee where a watch would
/// ask, a cancel ends the drill, and its run is driven as a headless drill is.
pub struct ExerciseWatch {
    pub trainee: String,
    pub headless: super::args::HeadlessArgs,
}

impl Prepared {
    /// What to say when these changes end a drill exercise: a trigger was cancelled, so
    /// nothing starts (the played probe would only fire again).
    pub fn drill_ended(&self, board: &Board, changes: &[Change]) -> Option<String> {
        self.exercise.as_ref()?;
        changes.iter().find_map(|c| match c {
            Change::Policy(Action::Cancelled { trigger, who, why }) => Some(format!(
                "drill ended: {} was cancelled by {who} ({why}); no rollback was started",
                board.rows[*trigger].spec.name
            )),
            _ => None,
        })
    }
}

pub fn prepare(args: &WatchArgs, loaded: Loaded) -> Result<Prepared, String> {
    let given = super::run::given_with_sources(&args.vars, &args.var_files)?;
    // A drill takes the plan's examples (or DRILL placeholders), as `rollback drill` does.
    let given = if args.drill {
        crate::plan::drill_vars::with_drill_values(&loaded.plan, &given, &process_env)
            .map_err(|p| p.join("; "))?
    } else {
        given
    };
    let vars = resolve_from(&loaded.plan, &given, &process_env).map_err(|p| p.join("; "))?;
    let pairs: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let specs = loaded
        .plan
        .triggers
        .iter()
        .map(|t| {
            Spec::resolve(t).map(|mut s| {
                // The plan's cancel window, for the triggers that leave theirs out.
                if let (None, Some(w)) = (&t.cancel_window, &loaded.plan.cancel_window) {
                    s.cancel_window = w.value.0;
                }
                s.with_vars(&pairs)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let workdir = args
        .plan
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let approver = args.approve_as.as_deref().filter(|_| args.headless);
    let opts = StartOptions {
        mode: if args.drill { Mode::Drill } else { Mode::Live },
        operator: super::run::operator(args.operator.as_deref().or(approver)),
        runs_root: runs_root(args.runs.runs_dir.as_deref()),
        vars,
        scenario: None,
        regions: Vec::new(),
        rehearsal: None,
        trigger: Trigger::Auto,
        drill: DrillOptions {
            speed: 1.0,
            ..Default::default()
        },
        grace: None,
        logs: args.logs.limits(),
        hangup: args.logs.on_hangup,
    };
    Ok(Prepared {
        specs,
        cx: Context {
            workdir,
            env: pairs,
            receivers: Default::default(),
        },
        opts,
        json: args.json,
        headless: crate::headless::Options {
            approve_as: args.approve_as.clone(),
            confirm_manual: args.confirm_manual,
            ..Default::default()
        },
        exercise: None,
        loaded,
    })
}

/// Starts the run the trigger fired, in this process. Call inside the runtime.
pub fn start_run(p: &Prepared, fired: FiredTrigger) -> Result<Opened, String> {
    crate::session::start_fired(
        &p.loaded,
        p.opts.clone(),
        Arc::new(SystemClock),
        Some(fired),
    )
}

/// Tells the plan's notify hook about a trigger that alerts or waits, in the background.
pub fn alert(p: &Prepared, payload: Json) {
    let Some(command) = p.loaded.plan.notify.as_ref().map(|n| n.value.clone()) else {
        return;
    };
    let n = Notification {
        on: "trigger".into(),
        command,
        payload,
        env: vec![("ROLLBACK_PLAN".into(), p.loaded.plan.plan.value.clone())],
        workdir: p.cx.workdir.clone(),
    };
    tokio::spawn(n.run(
        crate::runner::notify::DEFAULT_TIMEOUT,
        Duration::from_millis(500),
    ));
}

/// The watch's record: one JSON line per entry, flushed as it goes. A watch whose journal
/// cannot be created still watches (it says so once).
pub struct WatchJournal {
    file: Option<std::fs::File>,
    pub path: PathBuf,
}

impl WatchJournal {
    pub fn open(p: &Prepared) -> WatchJournal {
        let now = chrono::Utc::now();
        let dir = p.opts.runs_root.join(".watch");
        let path = dir.join(format!(
            "{}-{}.jsonl",
            now.format("%Y-%m-%dT%H-%M-%SZ"),
            p.loaded.plan.plan.value
        ));
        let file = std::fs::create_dir_all(&dir)
            .and_then(|_| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
            })
            .map_err(|e| {
                eprintln!(
                    "rollback watch: not recording the watch in {}: {e}",
                    path.display()
                )
            })
            .ok();
        let mut j = WatchJournal { file, path };
        j.write(json!({
            "type": "watch_started",
            "plan": p.loaded.plan.plan.value,
            "plan_path": p.loaded.source.path,
            "operator": p.opts.operator,
            "triggers": p.specs.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
            "pid": std::process::id(),
        }));
        j
    }

    /// Appends one entry, stamped with the time.
    pub fn write(&mut self, mut entry: Json) {
        entry["time"] = json!(super::watch::now());
        if let Some(f) = &mut self.file {
            let mut line = entry.to_string();
            line.push('\n');
            let _ = f.write_all(line.as_bytes()).and_then(|_| f.sync_data());
        }
    }
}
