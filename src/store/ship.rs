//! Shipping runs to the store: what the store already holds of each run is asked first (its
//! last record's seq and hash), then only what follows is sent, many runs to a transaction.
//! A run is refused when its chain does not verify locally, and when it conflicts with what
//! the store holds (another first record, another hash at the same seq, records the store
//! has that are gone here): tampering, and the store keeps what it had.

use std::collections::HashMap;

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::config::Store;
use super::connect::StoreError;
use super::local::Local;
use super::rows;

/// Runs in one transaction.
const BATCH: usize = 200;

/// What the store holds of a run.
#[derive(Debug, Clone)]
struct Head {
    first_hash: String,
    last: Option<(u64, String)>,
}

/// A run's key in the store: team, host, id.
type Key = (String, String, String);

fn key(run: &Local) -> Key {
    (run.team.clone(), run.host.clone(), run.id.clone())
}

/// One run's fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Records sent (how many).
    Shipped(usize),
    /// The store had it all already.
    Already,
    /// The store or this run says no: why (tampering, a chain that does not verify, a role
    /// without the team).
    Refused(String),
    /// The store could not be reached or failed: why (shipping again may work).
    NotShipped(String),
}

/// What to send of one run.
pub(super) struct Send<'a> {
    pub(super) run: &'a Local,
    /// Lines from this index on.
    pub(super) from: usize,
    /// The run's row too (the store has none yet).
    pub(super) new_run: bool,
    pub(super) plan_yaml: Option<String>,
}

/// Ships `runs` (already read and verified), returning each one's fate in order.
/// `plan_yaml` gives a run's plan copy when its row is new.
pub async fn ship(
    store: &Store,
    client: &mut Client,
    runs: &[Local],
    plan_yaml: &(dyn Fn(&Local) -> Option<String> + Sync),
) -> Vec<Fate> {
    let mut fates: Vec<Fate> = Vec::with_capacity(runs.len());
    for chunk in runs.chunks(BATCH) {
        fates.extend(ship_chunk(store, client, chunk, plan_yaml).await);
    }
    fates
}

async fn ship_chunk(
    store: &Store,
    client: &mut Client,
    runs: &[Local],
    plan_yaml: &(dyn Fn(&Local) -> Option<String> + Sync),
) -> Vec<Fate> {
    let heads = match heads(store, client, runs).await {
        Ok(h) => h,
        Err(e) => return runs.iter().map(|_| Fate::NotShipped(e.0.clone())).collect(),
    };
    let mut fates: Vec<Option<Fate>> = vec![None; runs.len()];
    let mut sends: Vec<(usize, Send)> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        match plan(run, heads.get(&key(run))) {
            Ok(None) => fates[i] = Some(Fate::Already),
            Ok(Some((from, new_run))) => {
                let plan_yaml = if new_run { plan_yaml(run) } else { None };
                sends.push((
                    i,
                    Send {
                        run,
                        from,
                        new_run,
                        plan_yaml,
                    },
                ));
            }
            Err(why) => fates[i] = Some(Fate::Refused(why)),
        }
    }
    if !sends.is_empty() {
        let batch: Vec<&Send> = sends.iter().map(|(_, s)| s).collect();
        match send(store, client, &batch).await {
            Ok(()) => {
                for (i, s) in &sends {
                    fates[*i] = Some(Fate::Shipped(s.run.lines.len() - s.from));
                }
            }
            Err(_) if sends.len() > 1 => {
                // One run spoiled the batch: each alone, to say which.
                for (i, s) in &sends {
                    let again = Box::pin(ship_chunk(
                        store,
                        client,
                        std::slice::from_ref(s.run),
                        plan_yaml,
                    ))
                    .await;
                    fates[*i] = again.into_iter().next();
                }
            }
            Err(e) => fates[sends[0].0] = Some(e),
        }
    }
    fates
        .into_iter()
        .map(|f| f.unwrap_or_else(|| Fate::NotShipped("not tried".into())))
        .collect()
}

/// What to send of `run` given what the store holds: `None` when nothing, else from which
/// line and whether its row is new; `Err` when the two conflict.
fn plan(run: &Local, head: Option<&Head>) -> Result<Option<(usize, bool)>, String> {
    let Some(head) = head else {
        return Ok(Some((0, true)));
    };
    if head.first_hash != run.first_hash() {
        return Err(format!(
            "tampering: the store holds another run under this name (its first record's hash is {}, here {}); the store keeps what it had",
            short(&head.first_hash),
            short(run.first_hash())
        ));
    }
    let Some((seq, hash)) = &head.last else {
        return Ok(Some((0, false)));
    };
    let at = usize::try_from(*seq).unwrap_or(usize::MAX);
    match run.lines.get(at) {
        None => Err(format!(
            "tampering: the store holds records up to seq {seq}, this run has {} (records were removed here); the store keeps what it had",
            run.lines.len()
        )),
        Some(l) if &l.hash != hash => Err(format!(
            "tampering: seq {seq} is {} in the store and {} here (the record was rewritten); the store keeps what it had",
            short(hash),
            short(&l.hash)
        )),
        Some(_) if at + 1 == run.lines.len() => Ok(None),
        Some(_) => Ok(Some((at + 1, false))),
    }
}

fn short(hash: &str) -> String {
    crate::text::inline(&hash.chars().take(12).collect::<String>()).into_owned()
}

async fn heads(
    store: &Store,
    client: &Client,
    runs: &[Local],
) -> Result<HashMap<Key, Head>, StoreError> {
    let teams: Vec<&str> = runs.iter().map(|r| r.team.as_str()).collect();
    let hosts: Vec<&str> = runs.iter().map(|r| r.host.as_str()).collect();
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    let rows = client
        .query(
            "SELECT r.team, r.host, r.run, r.first_hash, l.seq, l.hash
             FROM unnest($1::text[], $2::text[], $3::text[]) AS k(team, host, run)
             JOIN rollback_runs r ON r.team = k.team AND r.host = k.host AND r.run = k.run
             LEFT JOIN LATERAL (
               SELECT x.seq, x.hash FROM rollback_records x
               WHERE x.team = r.team AND x.host = r.host AND x.run = r.run
                 AND x.started = r.started
               ORDER BY x.seq DESC LIMIT 1) l ON true",
            &[&teams, &hosts, &ids],
        )
        .await
        .map_err(|e| store.error(&e))?;
    let mut out = HashMap::new();
    for row in rows {
        let got = (|| -> Result<(Key, Head), tokio_postgres::Error> {
            let seq: Option<i64> = row.try_get(4)?;
            let hash: Option<String> = row.try_get(5)?;
            Ok((
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?),
                Head {
                    first_hash: row.try_get(3)?,
                    last: seq.zip(hash).map(|(s, h)| (s.max(0) as u64, h)),
                },
            ))
        })();
        let (k, h) = got.map_err(|e| StoreError(format!("the store answered oddly: {e}")))?;
        out.insert(k, h);
    }
    Ok(out)
}

/// Sends a batch in one transaction: the partitions its new runs need, then its rows.
async fn send(store: &Store, client: &mut Client, batch: &[&Send<'_>]) -> Result<(), Fate> {
    let refused = |e: tokio_postgres::Error| explain(store, &e, batch);
    let tx = client.transaction().await.map_err(refused)?;
    rows::partitions(&tx, batch).await.map_err(refused)?;
    rows::runs(&tx, batch).await.map_err(refused)?;
    rows::records(&tx, batch).await.map_err(refused)?;
    rows::summaries(&tx, batch).await.map_err(refused)?;
    rows::windows(&tx, batch).await.map_err(refused)?;
    tx.commit().await.map_err(refused)
}

/// A value's serde name (`live`, `completed`, ...).
pub fn word<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Why a batch failed: a refusal when the store said no to this run, else not shipped.
fn explain(store: &Store, e: &tokio_postgres::Error, batch: &[&Send<'_>]) -> Fate {
    let code = e.code();
    let message = e.as_db_error().map(|d| d.message()).unwrap_or_default();
    if message.contains("row-level security") {
        let teams: Vec<String> = batch.iter().map(|s| s.run.team.clone()).collect();
        let mut teams = teams;
        teams.dedup();
        return Fate::Refused(format!(
            "the store refused role `{}`: it may ship only runs of teams it is a member of (rollback_team_{}): {}",
            store.user(),
            teams.join(", rollback_team_"),
            store.error(e)
        ));
    }
    if code == Some(&SqlState::UNIQUE_VIOLATION) {
        return Fate::NotShipped(
            "shipped at the same time by another process: the next sync takes it".into(),
        );
    }
    if code == Some(&SqlState::CHECK_VIOLATION) || code == Some(&SqlState::INSUFFICIENT_PRIVILEGE) {
        return Fate::Refused(format!("the store refused it: {}", store.error(e)));
    }
    Fate::NotShipped(store.error(e).0)
}

/// For each run, what the store lacks of it (`None`: nothing), without sending anything.
pub async fn behind(
    store: &Store,
    client: &Client,
    runs: &[Local],
) -> Result<Vec<Option<String>>, StoreError> {
    let mut out = Vec::with_capacity(runs.len());
    for chunk in runs.chunks(BATCH) {
        let heads = heads(store, client, chunk).await?;
        for run in chunk {
            out.push(match plan(run, heads.get(&key(run))) {
                Ok(None) => None,
                Ok(Some((from, _))) => Some(format!(
                    "{} of {} records not shipped",
                    run.lines.len() - from,
                    run.lines.len()
                )),
                Err(why) => Some(why),
            });
        }
    }
    Ok(out)
}
