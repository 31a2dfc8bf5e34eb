//! The dashboard's reading of the runs directory, on a thread of its own: the first scan,
//! a new one when a run appears, ends or goes (or on `r`), and each second what the live
//! runs appended to their journals. The screen only receives what was read, so no scan,
//! however long, keeps it from its keys; a thread (not a blocking task) so that leaving
//! never waits for a scan to finish.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::dashboard::Dashboard;
use crate::engine::state::RunState;
use crate::records::Records;
use crate::records::board::Kind;
use crate::timeline::follow::{Follower, Liveness};

/// What the reader read.
pub enum Update {
    /// The whole runs directory, read again.
    Runs(Box<Dashboard>),
    /// The live runs' state, by id.
    Live(HashMap<String, RunState>),
}

/// The reading thread, and what it sends.
pub struct Reader {
    pub updates: UnboundedReceiver<Update>,
    again: mpsc::Sender<()>,
}

impl Reader {
    /// Starts reading `root` with `scan` (`commands::records::scan`).
    pub fn start(root: PathBuf, scan: impl Fn(&Path, i64) -> Records + Send + 'static) -> Reader {
        let (tx, updates) = unbounded_channel();
        let (again, asked) = mpsc::channel();
        std::thread::spawn(move || read(&root, scan, &asked, &tx));
        Reader { updates, again }
    }

    /// Reads the whole runs directory again, soon.
    pub fn again(&self) {
        let _ = self.again.send(());
    }
}

/// Entries of the runs directory: a cheap look for new runs (names only).
fn entries(root: &Path) -> usize {
    std::fs::read_dir(root).map_or(0, |rd| rd.count())
}

/// Until the screen is gone: a whole scan when needed, the live runs each second.
fn read(
    root: &Path,
    scan: impl Fn(&Path, i64) -> Records,
    asked: &mpsc::Receiver<()>,
    to: &UnboundedSender<Update>,
) {
    let mut followers: HashMap<String, Follower> = HashMap::new();
    let mut seen = 0;
    let mut whole = true;
    loop {
        if whole {
            let now = chrono::Utc::now().timestamp_millis();
            seen = entries(root);
            let d = Dashboard::new(root.to_path_buf(), scan(root, now), now);
            followers = d
                .rows
                .iter()
                .filter(|r| matches!(r.kind, Kind::Live { .. }))
                .filter_map(|r| Some((r.id.clone(), Follower::open(&root.join(&r.id)).ok()?)))
                .collect();
            if to.send(Update::Runs(Box::new(d))).is_err() {
                return;
            }
        }
        // A run that stopped being live, or a run added or removed: the list is read again.
        let mut changed = entries(root) != seen;
        for f in followers.values_mut() {
            changed |= f.step().map_or(true, |(_, l)| l != Liveness::Running);
        }
        let live = followers
            .iter()
            .map(|(id, f)| (id.clone(), f.state.clone()))
            .collect();
        if to.send(Update::Live(live)).is_err() {
            return;
        }
        // A second between looks, whatever changed: a journal that cannot be read is not
        // read again at once.
        whole = changed;
        match asked.recv_timeout(Duration::from_secs(1)) {
            Ok(()) => whole = true,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        while asked.try_recv().is_ok() {
            whole = true;
        }
    }
}
