//! `sync`: every run of a runs directory not yet whole in the store, shipped. Runs are read
//! and verified on a few threads while the store is asked about them in batches.

use std::path::Path;

use tokio_postgres::Client;

use super::config::Store;
use super::local::{self, Local};
use super::ship::{self, Fate};
use crate::timeline::files::{Budget, IN_FLIGHT};
use crate::timeline::rebuild::Plans;
use crate::timeline::rundir::run_ids;

/// Runs read ahead of shipping, and the most bytes of their timelines held at once.
const READ_AHEAD: usize = 400;
const AHEAD_BYTES: u64 = 64 * 1024 * 1024;
/// Threads reading runs.
const READERS: usize = 4;

/// Each run's fate, in the order of the runs directory (newest first).
#[derive(Debug, Default)]
pub struct Synced {
    pub fates: Vec<(String, Fate)>,
}

impl Synced {
    pub fn count(&self, f: impl Fn(&Fate) -> bool) -> usize {
        self.fates.iter().filter(|(_, x)| f(x)).count()
    }
    pub fn all_shipped(&self) -> bool {
        self.fates
            .iter()
            .all(|(_, f)| matches!(f, Fate::Shipped(_) | Fate::Already))
    }
}

/// Ships the runs under `root` (only `only` when given).
pub async fn sync(
    store: &Store,
    client: &mut Client,
    root: &Path,
    only: Option<&[String]>,
) -> Synced {
    let mut ids = run_ids(root);
    if let Some(only) = only {
        ids.retain(|id| only.contains(id));
    }
    let plans = Plans::default();
    let budget = Budget::new(IN_FLIGHT);
    let mut out = Synced::default();
    for chunk in chunks(root, &ids) {
        let read = read_all(root, chunk, &plans, &budget);
        let mut ready: Vec<Local> = Vec::new();
        let mut order: Vec<(String, Option<Fate>)> = Vec::new();
        for (id, r) in chunk.iter().zip(read) {
            match r {
                Ok(Some(l)) => {
                    ready.push(l);
                    order.push((id.clone(), None));
                }
                Ok(None) => {}
                Err(why) => order.push((id.clone(), Some(Fate::Refused(why)))),
            }
        }
        let plan_yaml = |l: &Local| local::plan_copy(&root.join(&l.id));
        let mut fates = ship::ship(store, client, &ready, &plan_yaml)
            .await
            .into_iter();
        for (id, f) in order {
            let f = f
                .or_else(|| fates.next())
                .unwrap_or(Fate::NotShipped("not tried".into()));
            out.fates.push((id, f));
        }
    }
    out
}

/// The runs in turns of at most `READ_AHEAD`, and of timelines of at most `AHEAD_BYTES`
/// together (a larger one alone): what is read ahead stays bounded whatever the runs hold.
fn chunks<'a>(root: &Path, ids: &'a [String]) -> Vec<&'a [String]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, id) in ids.iter().enumerate() {
        let size = std::fs::symlink_metadata(root.join(id).join(crate::timeline::rundir::TIMELINE))
            .map_or(0, |m| m.len());
        if i > start && (i - start >= READ_AHEAD || bytes + size > AHEAD_BYTES) {
            out.push(&ids[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < ids.len() {
        out.push(&ids[start..]);
    }
    out
}

type Read = Result<Option<Local>, String>;

fn read_all(root: &Path, ids: &[String], plans: &Plans, budget: &Budget) -> Vec<Read> {
    let per = ids.len().div_ceil(READERS).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .chunks(per)
            .map(|ids| {
                let h = s.spawn(move || {
                    ids.iter()
                        .map(|id| local::read(&root.join(id), id, plans, budget))
                        .collect::<Vec<Read>>()
                });
                (ids.len(), h)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(n, h)| {
                h.join()
                    .unwrap_or_else(|_| vec![Err("could not be read".into()); n])
            })
            .collect()
    })
}

/// The runs under `root` not whole in the store, with why.
pub async fn pending(
    store: &Store,
    client: &Client,
    root: &Path,
) -> Result<Vec<(String, String)>, super::StoreError> {
    let ids = run_ids(root);
    let plans = Plans::default();
    let budget = Budget::new(IN_FLIGHT);
    let mut out = Vec::new();
    for chunk in chunks(root, &ids) {
        let mut ready: Vec<Local> = Vec::new();
        for (id, r) in chunk.iter().zip(read_all(root, chunk, &plans, &budget)) {
            match r {
                Ok(Some(l)) => ready.push(l),
                Ok(None) => {}
                Err(why) => out.push((id.clone(), format!("not shippable: {why}"))),
            }
        }
        let behind = ship::behind(store, client, &ready).await?;
        for (l, b) in ready.iter().zip(behind) {
            if let Some(why) = b {
                out.push((l.id.clone(), why));
            }
        }
    }
    Ok(out)
}
