//! The shipper process (`rollback shipper`, hidden): started by a run's process when a
//! store is configured, it reads the store's URL and then the runs to ship on its stdin,
//! reads each run back from disk as `sync` would, and ships what is new. It tells the run's
//! process on its stdout when shipping falls behind and when it catches up, and what was
//! left at the end. When its stdin closes (the run's process ends, or was killed) it ships
//! what is queued and exits, within `DRAIN`.

use std::collections::BTreeSet;
use std::io::{BufRead, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
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
/// How long the shipper goes on once its stdin is closed.
const DRAIN: Duration = Duration::from_secs(30);
/// The longest message (a kind and a run directory).
pub const MAX_MESSAGE: usize = 4096;

/// What the run's process says: a record was journaled in a run directory, or the run was
/// sealed (ship it at once). Each message is a kind byte, the directory and a NUL.
pub const RECORD: u8 = b'r';
pub const SEALED: u8 = b's';

#[derive(Default)]
struct Queue {
    /// Run directories with records not yet shipped.
    dirty: BTreeSet<PathBuf>,
    /// A run directory being shipped now.
    busy: bool,
    /// Why shipping is behind, once it is; cleared when it catches up.
    behind: Option<String>,
    /// The run's process ended: ship what is queued at once.
    flush: bool,
    /// A run was sealed: ship it at once, while the run's process writes its report.
    sealed: bool,
    stop: bool,
}

struct Shipper {
    queue: Mutex<Queue>,
    wake: Condvar,
    store: Store,
}

/// The shipper process: exit status 0 when all it was told of was shipped, 1 when not.
pub fn serve() -> i32 {
    lower_priority();
    let mut input = std::io::stdin().lock();
    let mut url = Vec::new();
    if input
        .by_ref()
        .take(MAX_MESSAGE as u64)
        .read_until(b'\n', &mut url)
        .is_err()
    {
        return 2;
    }
    if url.last() != Some(&b'\n') {
        say("left the store's URL was cut short");
        return 2;
    }
    let url = String::from_utf8_lossy(&url[..url.len() - 1]).to_string();
    let Ok(store) = super::config::parse(&url) else {
        say("left the store's URL cannot be used");
        return 2;
    };
    drop(input);
    let shipper = Arc::new(Shipper {
        queue: Mutex::new(Queue::default()),
        wake: Condvar::new(),
        store,
    });
    let reader = shipper.clone();
    std::thread::spawn(move || read_messages(&reader));
    let worker = shipper.clone();
    std::thread::spawn(move || super::block_on(run(worker)));
    // Until stdin closes, then until all is shipped (or the store fails, or DRAIN passes).
    let Ok(mut q) = shipper.queue.lock() else {
        return 1;
    };
    while !q.flush {
        q = match shipper.wake.wait(q) {
            Ok(q) => q,
            Err(_) => return 1,
        };
    }
    let deadline = Instant::now() + DRAIN;
    while (q.busy || !q.dirty.is_empty()) && q.behind.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        q = match shipper.wake.wait_timeout(q, left) {
            Ok(x) => x.0,
            Err(_) => return 1,
        };
    }
    q.stop = true;
    shipper.wake.notify_all();
    let left = q.dirty.len() + usize::from(q.busy);
    if left == 0 && q.behind.is_none() {
        say("done");
        0
    } else {
        let why = q
            .behind
            .clone()
            .unwrap_or_else(|| "still shipping at exit".into());
        say(&format!("left {why}"));
        1
    }
}

/// A line to the run's process; one that is gone is no matter.
fn say(line: &str) {
    let line: String = line
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Shipping is never more urgent than the run: the shipper takes what the run leaves of the
/// cores.
fn lower_priority() {
    // SAFETY: a plain system call on this process; a failure leaves the priority as is.
    unsafe {
        nix::libc::setpriority(nix::libc::PRIO_PROCESS, 0, 10);
    }
}

/// The run's messages, into the queue; its end (or a message too long) is the flush.
fn read_messages(shipper: &Shipper) {
    let mut input = std::io::stdin().lock();
    let mut message = Vec::new();
    loop {
        message.clear();
        let read = input
            .by_ref()
            .take(MAX_MESSAGE as u64 + 1)
            .read_until(0, &mut message);
        let whole = matches!(read, Ok(n) if n > 1 && message.last() == Some(&0));
        let Ok(mut q) = shipper.queue.lock() else {
            return;
        };
        if !whole {
            q.flush = true;
            shipper.wake.notify_all();
            return;
        }
        let dir = PathBuf::from(std::ffi::OsStr::from_bytes(&message[1..message.len() - 1]));
        let seal = message[0] == SEALED;
        let new = q.dirty.insert(dir);
        q.sealed |= seal;
        if new || seal {
            shipper.wake.notify_all();
        }
    }
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
        let (failed, news) = {
            let Ok(mut q) = shipper.queue.lock() else {
                return;
            };
            q.busy = false;
            let done = match outcome {
                Ok(()) => {
                    let news = q.behind.take().map(|_| "ok".to_string());
                    if again {
                        q.dirty.insert(dir);
                    }
                    (false, news)
                }
                Err(why) => {
                    q.dirty.insert(dir);
                    let news = q.behind.is_none().then(|| format!("behind {why}"));
                    q.behind = Some(why);
                    (true, news)
                }
            };
            shipper.wake.notify_all();
            done
        };
        // Told outside the lock: a parent slow to read never holds the queue.
        if let Some(news) = news {
            say(&news);
        }
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

/// Lets the records that come together arrive (unless the run ended or was sealed).
fn gather(shipper: &Shipper) {
    if let Ok(q) = shipper.queue.lock() {
        let _ = shipper
            .wake
            .wait_timeout_while(q, GATHER, |q| !q.flush && !q.stop && !q.sealed);
    }
}

/// The next run to ship, marked busy.
fn take_work(shipper: &Shipper) -> Option<PathBuf> {
    let mut q = shipper.queue.lock().ok()?;
    let dir = q.dirty.pop_first()?;
    q.busy = true;
    q.sealed = false;
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
