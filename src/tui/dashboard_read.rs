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

    /// Reads the team store instead: what it holds of the last 90 days, read again when a
    /// shipper adds records (LISTEN), or on `r`.
    pub fn start_store(store: crate::store::Store) -> Reader {
        let (tx, updates) = unbounded_channel();
        let (again, asked) = mpsc::channel();
        std::thread::spawn(move || crate::store::block_on(read_store(store, asked, tx)));
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

/// Days of runs the dashboard reads from the store, and the most runs it holds.
const STORE_DAYS: i64 = 90;
const STORE_RUNS: i64 = 20_000;

/// The store's runs until the screen is gone: read again when records arrive (at most once a
/// second), or when asked; an unreachable store is said on the screen and tried again.
async fn read_store(
    store: crate::store::Store,
    asked: mpsc::Receiver<()>,
    to: UnboundedSender<Update>,
) {
    let label = PathBuf::from(store.shown());
    let mut conn = None;
    loop {
        if conn.is_none() {
            conn = match store.connect_listening().await {
                Ok((c, rx)) => match c.batch_execute("LISTEN rollback_records").await {
                    Ok(()) => Some((c, rx)),
                    Err(e) => {
                        let _ = store.error(&e);
                        None
                    }
                },
                Err(_) => None,
            };
        }
        let now = chrono::Utc::now().timestamp_millis();
        let read = match &conn {
            Some((c, _)) => {
                crate::store::read::recent(&store, c, now, STORE_DAYS, STORE_RUNS).await
            }
            None => Err(crate::store::StoreError(
                "the store cannot be reached".into(),
            )),
        };
        let mut d = match read {
            Ok(records) => Dashboard::new(label.clone(), records, now),
            Err(e) => {
                conn = None;
                let mut d = Dashboard::new(label.clone(), Records::default(), now);
                d.message = Some(format!("{}: {e}", store.shown()));
                d
            }
        };
        d.store = Some(store.clone());
        if to.send(Update::Runs(Box::new(d))).is_err() {
            return;
        }
        // Woken by a shipper's records, by `r`, or after a while; never more than once a second.
        let woke = tokio::time::Instant::now();
        let quiet = tokio::time::sleep(Duration::from_secs(30));
        tokio::pin!(quiet);
        loop {
            if asked.try_recv().is_ok() {
                break;
            }
            let Some((_, rx)) = &mut conn else {
                tokio::time::sleep(Duration::from_secs(2)).await;
                break;
            };
            tokio::select! {
                n = rx.recv() => {
                    if n.is_none() {
                        conn = None;
                    }
                    break;
                }
                _ = &mut quiet => break,
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
        }
        if to.is_closed() {
            return;
        }
        let since = woke.elapsed();
        if since < Duration::from_secs(1) {
            tokio::time::sleep(Duration::from_secs(1) - since).await;
        }
    }
}
