//! A watch ready to start and what it hands the run: its triggers resolved with the
//! variables in their probes, the options the run will start with, and the notify hook for
//! alerts.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value as Json, json};

use crate::engine::{FiredTrigger, SystemClock};
use crate::monitor::board::{Board, Change};
use crate::monitor::{Action, Spec};
use crate::plan::Loaded;
use crate::probe::Context;
use crate::runner::notify::Notification;
use crate::session::{Opened, StartOptions};

pub use super::journal::WatchJournal;

/// A watch ready to start.
pub struct Prepared {
    pub loaded: Loaded,
    pub specs: Vec<Spec>,
    pub cx: Context,
    pub opts: StartOptions,
    pub json: bool,
    /// Set when the watch opens a drill exercise (`rollback drill --exercise`).
    pub exercise: Option<ExerciseWatch>,
}

/// A drill exercise's watch: a headless one answers as the trainee where a watch would
/// ask, and a cancel ends the drill.
pub struct ExerciseWatch {
    pub trainee: String,
}

impl Prepared {
    /// Whether these changes end a drill exercise: a trigger was cancelled, so nothing
    /// starts (the played probe would only fire again). Recorded in `journal`; the words
    /// are what to tell the trainee.
    pub fn drill_ended(
        &self,
        board: &Board,
        changes: &[Change],
        journal: &mut WatchJournal,
    ) -> Option<String> {
        self.exercise.as_ref()?;
        let why = changes.iter().find_map(|c| match c {
            Change::Policy(Action::Cancelled { trigger, who, why }) => Some(format!(
                "drill ended: {} was cancelled by {who} ({why}); no rollback was started",
                board.rows[*trigger].spec.name
            )),
            _ => None,
        })?;
        journal.write(json!({"type": "watch_stopped", "by": "cancel", "drill": why}));
        Some(why)
    }
}

/// Starts the run the trigger fired, in this process, and records in the watch's journal
/// that it started or why it could not: what every face does when the policy starts the
/// rollback. Call inside the runtime, once the watch has stopped asking.
pub fn start_run(
    p: &Prepared,
    fired: FiredTrigger,
    journal: &mut WatchJournal,
) -> Result<Opened, String> {
    let name = fired.name.clone();
    let opened = crate::session::start_fired(
        &p.loaded,
        p.opts.clone(),
        Arc::new(SystemClock),
        Some(fired),
    );
    match &opened {
        Ok((session, _)) => journal
            .write(json!({"type": "run_started", "run_id": session.run().id, "trigger": name})),
        Err(e) => journal.write(json!({"type": "run_not_started", "trigger": name, "error": e})),
    }
    opened
}

/// Tells the plan's notify hook about a trigger that alerts or waits, in the background.
pub fn alert(p: &Prepared, payload: Json) {
    let Some(command) = p.loaded.plan.notify.as_ref().map(|n| n.value.clone()) else {
        return;
    };
    let n = Notification {
        mask: p.cx.mask.clone(),
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
