//! Shipping as it happens: one shipper thread per process, started by the commands that run
//! plans when a store is configured. The journal tells it after each synced record (a flag
//! set and a wake, never a wait); it reads the run back from disk, as `sync` would, and
//! ships what is new. A store that is down, slow or refusing never reaches the run: the
//! shipper backs off, the run is told once that shipping is behind, and `rollback sync`
//! catches up whatever was not shipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use super::config::Store;
use super::local;
use super::ship::{self, Fate};
use crate::timeline::files::{Budget, IN_FLIGHT};
use crate::timeline::rebuild::Plans;

/// Records that arrive together go together: the shipper waits this long after a wake.
const GATHER: Duration = Duration::from_millis(200);
/// Longest wait between tries while the store is failing.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Queue {
    /// Run directories with records not yet shipped.
    dirty: BTreeSet<PathBuf>,
    /// A run directory being shipped now.
    busy: bool,
    /// Why shipping is behind, once it is; cleared when it catches up.
    behind: Option<String>,
    /// The run was told (once per process).
    told: bool,
    /// The process is ending: ship what is queued at once.
    flush: bool,
    stop: bool,
}

struct Shipper {
    queue: Mutex<Queue>,
    wake: Condvar,
    store: Store,
}

static SHIPPER: OnceLock<Arc<Shipper>> = OnceLock::new();

/// Starts the shipper for `store` (once per process; later calls do nothing).
pub fn start(store: Store) {
    let shipper = Arc::new(Shipper {
        queue: Mutex::new(Queue::default()),
        wake: Condvar::new(),
        store,
    });
    if SHIPPER.set(shipper.clone()).is_ok() {
        std::thread::Builder::new()
            .name("rollback-ship".into())
            .spawn(move || super::block_on(run(shipper)))
            .ok();
    }
}

/// The store's mask, when a shipper runs: a run adds it to its own.
pub fn mask() -> Option<crate::mask::Mask> {
    SHIPPER.get().map(|s| s.store.mask().clone())
}

/// Whether a shipper runs in this process.
pub fn running() -> bool {
    SHIPPER.get().is_some()
}

/// What a journal calls after each record of the run in `dir`: nothing when no shipper
/// runs. It takes a lock held only to mark the run, never across I/O.
pub fn after_record(dir: &Path) -> Option<Box<dyn Fn() + Send + Sync>> {
    let shipper = SHIPPER.get()?.clone();
    let dir = dir.to_path_buf();
    Some(Box::new(move || {
        if let Ok(mut q) = shipper.queue.lock() {
            q.dirty.insert(dir.clone());
        }
        shipper.wake.notify_all();
    }))
}

/// Once per process, when shipping has fallen behind: what to tell the operator.
pub fn behind_notice() -> Option<String> {
    let shipper = SHIPPER.get()?;
    let mut q = shipper.queue.lock().ok()?;
    if q.told {
        return None;
    }
    let why = q.behind.clone()?;
    q.told = true;
    Some(format!(
        "shipping to the store is behind ({why}); the run goes on, recorded here, and `rollback sync` catches up"
    ))
}

/// At the end of the process: waits up to `grace` for what is queued to be shipped (not at
/// all when the store is failing), and says what is left for `rollback sync`.
pub fn finish(grace: Duration) -> Option<String> {
    let shipper = SHIPPER.get()?;
    let deadline = Instant::now() + grace;
    let mut q = shipper.queue.lock().ok()?;
    q.flush = true;
    shipper.wake.notify_all();
    while (q.busy || !q.dirty.is_empty()) && q.behind.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        q = shipper.wake.wait_timeout(q, left).ok()?.0;
    }
    let left = q.dirty.len() + usize::from(q.busy);
    q.stop = true;
    shipper.wake.notify_all();
    (left > 0 || q.behind.is_some()).then(|| {
        format!(
            "not everything was shipped to {} ({}): `rollback sync` ships it",
            shipper.store.shown(),
            q.behind
                .clone()
                .unwrap_or_else(|| "still shipping at exit".into())
        )
    })
}

async fn run(shipper: Arc<Shipper>) {
    let mut client: Option<Client> = None;
    let mut backoff = Duration::from_millis(500);
    let plans = Plans::default();
    let budget = Budget::new(IN_FLIGHT);
    // Each run as read so far: a line is read and checked once.
    let mut tails: std::collections::HashMap<PathBuf, local::Tail> = Default::default();
    loop {
        // Wait for a run with records to ship.
        if !wait_for_work(&shipper) {
            return;
        }
        gather(&shipper);
        let Some(dir) = take_work(&shipper) else {
            continue;
        };
        let tail = tails.entry(dir.clone()).or_default();
        let outcome = ship_one(&shipper.store, &mut client, &dir, tail, &plans, &budget).await;
        // Read on soon when bytes were left; a sealed run shipped is read whole next time.
        let again = tail.more();
        if outcome.is_ok() && tail.sealed() {
            tails.remove(&dir);
        }
        let failed = {
            let Ok(mut q) = shipper.queue.lock() else {
                return;
            };
            q.busy = false;
            let failed = match outcome {
                Ok(()) => {
                    q.behind = None;
                    if again {
                        q.dirty.insert(dir);
                    }
                    false
                }
                Err(why) => {
                    q.dirty.insert(dir);
                    q.behind = Some(why);
                    true
                }
            };
            shipper.wake.notify_all();
            failed
        };
        if failed {
            client = None;
            // Not a busy loop: wait, doubling, before the next try (or until told to stop).
            let Ok(q) = shipper.queue.lock() else { return };
            let (q, _) = match shipper.wake.wait_timeout_while(q, backoff, |q| !q.stop) {
                Ok(x) => x,
                Err(_) => return,
            };
            if q.stop {
                return;
            }
            drop(q);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        } else {
            backoff = Duration::from_millis(500);
        }
    }
}

/// Blocks until a run has records to ship; false when told to stop.
fn wait_for_work(shipper: &Shipper) -> bool {
    let Ok(mut q) = shipper.queue.lock() else {
        return false;
    };
    while q.dirty.is_empty() && !q.stop {
        q = match shipper.wake.wait(q) {
            Ok(q) => q,
            Err(_) => return false,
        };
    }
    !q.stop
}

/// Lets the records that come together arrive (unless the process is ending).
fn gather(shipper: &Shipper) {
    if let Ok(q) = shipper.queue.lock() {
        let _ = shipper
            .wake
            .wait_timeout_while(q, GATHER, |q| !q.flush && !q.stop);
    }
}

/// The next run to ship, marked busy.
fn take_work(shipper: &Shipper) -> Option<PathBuf> {
    let mut q = shipper.queue.lock().ok()?;
    let dir = q.dirty.pop_first()?;
    q.busy = true;
    Some(dir)
}

/// Ships what is new of the run in `dir`. `Err` says why it is behind.
async fn ship_one(
    store: &Store,
    client: &mut Option<Client>,
    dir: &Path,
    tail: &mut local::Tail,
    plans: &Plans,
    budget: &Budget,
) -> Result<(), String> {
    let id = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let run = match tail.advance(dir, &id, plans, budget) {
        Ok(Some(r)) => r,
        Ok(None) => return Ok(()),
        // A run that does not verify is never shipped; that is not the store being behind.
        Err(why) => return Err(format!("run {id} is not shipped: {why}")),
    };
    if client.is_none() {
        let connected = tokio::time::timeout(Duration::from_secs(10), async {
            let c = store.connect().await?;
            super::schema::check(store, &c).await?;
            Ok::<_, super::StoreError>(c)
        });
        let c = connected
            .await
            .map_err(|_| "the store did not answer".to_string())?
            .map_err(|e| e.0)?;
        *client = Some(c);
    }
    let c = client.as_mut().expect("connected above");
    let plan_yaml = |l: &local::Local| local::plan_copy(&dir.with_file_name(&l.id));
    let fates = tokio::time::timeout(
        Duration::from_secs(30),
        ship::ship(store, c, std::slice::from_ref(run), &plan_yaml),
    )
    .await
    .map_err(|_| "the store did not answer".to_string())?;
    match fates.into_iter().next() {
        Some(Fate::Shipped(_) | Fate::Already) | None => Ok(()),
        Some(Fate::Refused(why) | Fate::NotShipped(why)) => Err(why),
    }
}
