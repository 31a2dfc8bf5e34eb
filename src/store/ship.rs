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
use super::local::{Line, Local};
use crate::records::RunSummary;

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
struct Send<'a> {
    run: &'a Local,
    /// Lines from this index on.
    from: usize,
    /// The run's row too (the store has none yet).
    new_run: bool,
    plan_yaml: Option<String>,
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

/// Sends a batch in one transaction.
async fn send(store: &Store, client: &mut Client, batch: &[&Send<'_>]) -> Result<(), Fate> {
    let refused = |e: tokio_postgres::Error| explain(store, &e, batch);
    let tx = client.transaction().await.map_err(refused)?;
    let mut months: Vec<i64> = batch
        .iter()
        .filter(|s| s.new_run)
        .map(|s| month_of(s.run.started_ms))
        .collect();
    months.sort_unstable();
    months.dedup();
    for m in months {
        tx.execute(
            "SELECT rollback_partition(to_timestamp($1::int8 / 1000.0))",
            &[&m],
        )
        .await
        .map_err(refused)?;
    }
    let new: Vec<&&Send> = batch.iter().filter(|s| s.new_run).collect();
    if !new.is_empty() {
        let col = |f: &dyn Fn(&Local) -> String| -> Vec<String> {
            new.iter().map(|s| f(s.run)).collect()
        };
        let started: Vec<i64> = new.iter().map(|s| s.run.started_ms).collect();
        let plans: Vec<Option<String>> = new.iter().map(|s| s.plan_yaml.clone()).collect();
        tx.execute(
            "INSERT INTO rollback_runs (host, run, team, plan, mode, operator, started, first_hash, plan_yaml)
             SELECT h, r, t, p, m, o, to_timestamp(s / 1000.0), f, y
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::int8[], $8::text[], $9::text[]) AS u(h, r, t, p, m, o, s, f, y)",
            &[
                &col(&|r| r.host.clone()),
                &col(&|r| r.id.clone()),
                &col(&|r| r.team.clone()),
                &col(&|r| r.plan.clone()),
                &col(&|r| word(&r.mode)),
                &col(&|r| r.operator.clone()),
                &started,
                &col(&|r| r.first_hash().to_string()),
                &plans,
            ],
        )
        .await
        .map_err(refused)?;
    }
    insert_records(&tx, batch).await.map_err(refused)?;
    insert_summaries(&tx, batch).await.map_err(refused)?;
    insert_windows(&tx, batch).await.map_err(refused)?;
    tx.commit().await.map_err(refused)
}

/// The first instant of `ms`'s month, in ms (UTC).
fn month_of(ms: i64) -> i64 {
    use chrono::Datelike;
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    chrono::NaiveDate::from_ymd_opt(t.year(), t.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(ms, |d| d.and_utc().timestamp_millis())
}

async fn insert_records(
    tx: &tokio_postgres::Transaction<'_>,
    batch: &[&Send<'_>],
) -> Result<(), tokio_postgres::Error> {
    let rows: Vec<(&Local, &Line)> = batch
        .iter()
        .flat_map(|s| s.run.lines[s.from..].iter().map(move |l| (s.run, l)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let team: Vec<&str> = rows.iter().map(|(r, _)| r.team.as_str()).collect();
    let host: Vec<&str> = rows.iter().map(|(r, _)| r.host.as_str()).collect();
    let run: Vec<&str> = rows.iter().map(|(r, _)| r.id.as_str()).collect();
    let started: Vec<i64> = rows.iter().map(|(r, _)| r.started_ms).collect();
    let seq: Vec<i64> = rows.iter().map(|(_, l)| l.seq as i64).collect();
    let at: Vec<i64> = rows.iter().map(|(_, l)| l.ts_ms).collect();
    let kind: Vec<&str> = rows.iter().map(|(_, l)| l.kind).collect();
    let prev: Vec<&str> = rows.iter().map(|(_, l)| l.prev.as_str()).collect();
    let hash: Vec<&str> = rows.iter().map(|(_, l)| l.hash.as_str()).collect();
    let line: Vec<&str> = rows.iter().map(|(_, l)| l.text.as_str()).collect();
    tx.execute(
        "INSERT INTO rollback_records (team, host, run, started, seq, at, type, prev, hash, line)
         SELECT t, h, r, to_timestamp(s / 1000.0), q, to_timestamp(a / 1000.0), k, p, x, l
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[],
                     $7::text[], $8::text[], $9::text[], $10::text[])
           AS u(t, h, r, s, q, a, k, p, x, l)
         ORDER BY t, h, r, q",
        &[
            &team, &host, &run, &started, &seq, &at, &kind, &prev, &hash, &line,
        ],
    )
    .await?;
    Ok(())
}

/// Phase times as columns: host, run, order, phase, plan.
type Columns = (Vec<String>, Vec<String>, Vec<i16>, Vec<String>, Vec<String>);

/// A run whose seal is among the records sent gets its summary and phase times.
async fn insert_summaries(
    tx: &tokio_postgres::Transaction<'_>,
    batch: &[&Send<'_>],
) -> Result<(), tokio_postgres::Error> {
    let sealing: Vec<(&Local, &crate::report::summary::Summary, &serde_json::Value)> = batch
        .iter()
        .filter_map(|s| {
            let summary = s.run.sealed.as_deref()?;
            let raw = s.run.seal_summary.as_ref()?;
            let seal_seq = s.run.lines.iter().find(|l| l.kind == "run_sealed")?.seq;
            (s.run.lines[s.from..].iter().any(|l| l.seq == seal_seq))
                .then_some((s.run, summary, raw))
        })
        .collect();
    if sealing.is_empty() {
        return Ok(());
    }
    let mut host = Vec::new();
    let mut run = Vec::new();
    let mut team = Vec::new();
    let mut plan = Vec::new();
    let mut level: Vec<i16> = Vec::new();
    let mut mode = Vec::new();
    let mut automation = Vec::new();
    let mut trigger = Vec::new();
    let mut started: Vec<i64> = Vec::new();
    let mut ended: Vec<Option<i64>> = Vec::new();
    let mut outcome = Vec::new();
    let mut duration: Vec<i64> = Vec::new();
    let mut sla: Vec<i64> = Vec::new();
    let mut within: Vec<Option<bool>> = Vec::new();
    let mut selected: Vec<i32> = Vec::new();
    let mut automated: Vec<i32> = Vec::new();
    let mut retries: Vec<i32> = Vec::new();
    let mut attempts: Vec<i32> = Vec::new();
    let mut failed: Vec<i32> = Vec::new();
    let mut fails: [Vec<i32>; 6] = Default::default();
    let mut escalation: Vec<i16> = Vec::new();
    let mut json: Vec<serde_json::Value> = Vec::new();
    let mut detected: Vec<Option<i64>> = Vec::new();
    let mut phases: Columns = Default::default();
    let mut phase_team: Vec<String> = Vec::new();
    let mut phase_drill: Vec<bool> = Vec::new();
    let mut phase_started: Vec<i64> = Vec::new();
    let mut phase_ms: Vec<i64> = Vec::new();
    for (l, s, raw) in &sealing {
        let r = RunSummary::of(&l.id, s, true);
        host.push(l.host.clone());
        run.push(l.id.clone());
        team.push(l.team.clone());
        plan.push(r.plan.clone());
        level.push(i16::from(r.level));
        mode.push(word(&r.mode));
        automation.push(word(&r.automation));
        trigger.push(word(&r.trigger));
        started.push(r.started_ms);
        ended.push(r.ended_ms);
        outcome.push(word(&r.outcome));
        duration.push(r.duration_ms as i64);
        sla.push(r.sla_ms as i64);
        within.push(r.within_sla);
        selected.push(r.steps_selected as i32);
        automated.push(r.steps_automated as i32);
        retries.push(r.retries as i32);
        attempts.push(r.attempts as i32);
        failed.push(r.failures.failed_attempts as i32);
        let f = &r.failures;
        for (v, n) in fails.iter_mut().zip([
            f.retried, f.skipped, f.replaced, f.stopped, f.open, f.regions,
        ]) {
            v.push(n as i32);
        }
        escalation.push(i16::from(r.escalation));
        // Exactly as the seal record carries it: the store checks it against the record.
        json.push((*raw).clone());
        detected.push(l.detected_ms);
        for (ord, (phase, ms)) in r.phases.iter().enumerate() {
            let Some(ms) = ms else { continue };
            phase_team.push(l.team.clone());
            phases.0.push(l.host.clone());
            phases.1.push(l.id.clone());
            phases.2.push(ord as i16);
            phases.3.push(phase.clone());
            phases.4.push(r.plan.clone());
            phase_drill.push(r.mode == crate::engine::Mode::Drill);
            phase_started.push(r.started_ms);
            phase_ms.push(r.on_its_clock(*ms) as i64);
        }
    }
    tx.execute(
        "INSERT INTO rollback_summaries (host, run, team, plan, level, mode, automation, trigger,
           started, ended, outcome, duration_ms, sla_ms, within_sla, steps_selected,
           steps_automated, retries, attempts, failed_attempts, escalation, detected,
           failed_retried, failed_skipped, failed_replaced, failed_stopped, failed_open,
           failed_regions)
         SELECT h, r, t, p, lv, m, au, tr, to_timestamp(s / 1000.0), to_timestamp(e / 1000.0),
           o, d, sl, w, ss, sa, re, at, fa, es, to_timestamp(de / 1000.0), f1, f2, f3, f4,
           f5, f6
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int2[], $6::text[],
           $7::text[], $8::text[], $9::int8[], $10::int8[], $11::text[], $12::int8[],
           $13::int8[], $14::bool[], $15::int4[], $16::int4[], $17::int4[], $18::int4[],
           $19::int4[], $20::int2[], $21::jsonb[], $22::int8[], $23::int4[], $24::int4[],
           $25::int4[], $26::int4[], $27::int4[], $28::int4[])
           AS u(h, r, t, p, lv, m, au, tr, s, e, o, d, sl, w, ss, sa, re, at, fa, es, j, de,
                f1, f2, f3, f4, f5, f6)",
        &[
            &host,
            &run,
            &team,
            &plan,
            &level,
            &mode,
            &automation,
            &trigger,
            &started,
            &ended,
            &outcome,
            &duration,
            &sla,
            &within,
            &selected,
            &automated,
            &retries,
            &attempts,
            &failed,
            &escalation,
            &json,
            &detected,
            &fails[0],
            &fails[1],
            &fails[2],
            &fails[3],
            &fails[4],
            &fails[5],
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO rollback_summary_docs (team, host, run, started, summary)
         SELECT t, h, r, to_timestamp(s / 1000.0), j
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::jsonb[])
           AS u(t, h, r, s, j)",
        &[&team, &host, &run, &started, &json],
    )
    .await?;
    if !phases.0.is_empty() {
        tx.execute(
            "INSERT INTO rollback_phase_times (team, host, run, ord, phase, plan, drill, started, duration_ms)
             SELECT t, h, r, o, p, pl, d, to_timestamp(s / 1000.0), ms
             FROM unnest($9::text[], $1::text[], $2::text[], $3::int2[], $4::text[], $5::text[],
               $6::bool[], $7::int8[], $8::int8[]) AS u(t, h, r, o, p, pl, d, s, ms)",
            &[
                &phases.0,
                &phases.1,
                &phases.2,
                &phases.3,
                &phases.4,
                &phase_drill,
                &phase_started,
                &phase_ms,
                &phase_team,
            ],
        )
        .await?;
    }
    Ok(())
}

/// Window verdicts among the records sent.
async fn insert_windows(
    tx: &tokio_postgres::Transaction<'_>,
    batch: &[&Send<'_>],
) -> Result<(), tokio_postgres::Error> {
    let mut team = Vec::new();
    let mut host = Vec::new();
    let mut run = Vec::new();
    let mut started: Vec<i64> = Vec::new();
    let mut seq: Vec<i64> = Vec::new();
    let mut window = Vec::new();
    let mut passed = Vec::new();
    let mut at: Vec<i64> = Vec::new();
    for s in batch {
        let first_sent = s.run.lines.get(s.from).map_or(u64::MAX, |l| l.seq);
        for w in s.run.windows.iter().filter(|w| w.seq >= first_sent) {
            team.push(s.run.team.as_str());
            host.push(s.run.host.as_str());
            run.push(s.run.id.as_str());
            started.push(s.run.started_ms);
            seq.push(w.seq as i64);
            window.push(w.window);
            passed.push(w.passed);
            at.push(w.ts_ms);
        }
    }
    if host.is_empty() {
        return Ok(());
    }
    // The first verdict of a window stands.
    tx.execute(
        "INSERT INTO rollback_windows (team, host, run, started, window_name, seq, passed, at)
         SELECT t, h, r, to_timestamp(s / 1000.0), w, q, p, to_timestamp(a / 1000.0)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[], $6::int8[],
                     $7::bool[], $8::int8[]) AS u(t, h, r, s, w, q, p, a)
         ON CONFLICT DO NOTHING",
        &[&team, &host, &run, &started, &window, &seq, &passed, &at],
    )
    .await?;
    Ok(())
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
