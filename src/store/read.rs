//! Reading the store: the runs listed, the figures aggregated in SQL over the summaries (so
//! a million runs never cross the wire), the rehearsals a permit check needs, a run's
//! records for its report, and a run followed live (LISTEN/NOTIFY, no polling loop).

use tokio_postgres::types::FromSql;
use tokio_postgres::{Client, Row};

use super::config::Store;
use super::connect::StoreError;
use super::ship::word;
use crate::engine::Mode;
use crate::records::RunSummary;
use crate::report::summary::Summary;

/// A run as `runs --store` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub host: String,
    pub run: String,
    pub team: String,
    pub plan: String,
    pub mode: String,
    pub operator: String,
    pub started_ms: i64,
    /// `None` while no seal is in the store: running, left, or not shipped yet.
    pub outcome: Option<String>,
    pub ended_ms: Option<i64>,
    pub within_sla: Option<bool>,
    /// On the run's clock, and its SLA (sealed runs).
    pub duration_ms: Option<i64>,
    pub sla_ms: Option<i64>,
    pub records: i64,
}

/// A column's value, or its type's default when the server sends something else: what the
/// store answers is read, never trusted to the point of a panic.
pub trait Column {
    fn at<'a, T: FromSql<'a> + Default>(&'a self, i: usize) -> T;
}

impl Column for Row {
    fn at<'a, T: FromSql<'a> + Default>(&'a self, i: usize) -> T {
        self.try_get(i).unwrap_or_default()
    }
}

fn ms(row: &Row, i: usize) -> i64 {
    let v: f64 = row.at(i);
    v.round() as i64
}

pub(super) fn ms_opt(row: &Row, i: usize) -> Option<i64> {
    row.at::<Option<f64>>(i).map(|v| v.round() as i64)
}

/// The newest `limit` runs.
pub async fn list(store: &Store, client: &Client, limit: i64) -> Result<Vec<Listed>, StoreError> {
    let rows = client
        .query(
            "SELECT r.host, r.run, r.team, r.plan, r.mode, r.operator,
                    date_part('epoch', r.started) * 1000, s.outcome,
                    date_part('epoch', s.ended) * 1000, s.within_sla, s.duration_ms, s.sla_ms,
                    (SELECT count(*) FROM rollback_records x
                      WHERE x.team = r.team AND x.host = r.host AND x.run = r.run
                        AND x.started = r.started)
             FROM rollback_runs r LEFT JOIN rollback_summaries s USING (team, host, run)
             ORDER BY r.started DESC, r.run DESC LIMIT $1",
            &[&limit],
        )
        .await
        .map_err(|e| store.error(&e))?;
    Ok(rows
        .iter()
        .map(|r| Listed {
            host: r.at(0),
            run: r.at(1),
            team: r.at(2),
            plan: r.at(3),
            mode: r.at(4),
            operator: r.at(5),
            started_ms: ms(r, 6),
            outcome: r.at(7),
            ended_ms: ms_opt(r, 8),
            within_sla: r.at(9),
            duration_ms: r.at(10),
            sla_ms: r.at(11),
            records: r.at(12),
        })
        .collect())
}

/// Runs whose seal summary is in the store, of `plan` (and `team`) and `mode`, for the folds
/// over few runs (`ready`, a trainee's drills, a rehearsal's trend). At most `MAX_SUMMARIES`,
/// newest first; one that does not read as a summary is left out.
pub async fn summaries(
    store: &Store,
    client: &Client,
    team: Option<&str>,
    plan: Option<&str>,
    mode: Mode,
) -> Result<Vec<(String, Summary)>, StoreError> {
    let mode = word(&mode);
    let rows = bounded(
        store,
        client,
        "SELECT s.run, d.summary::text
         FROM rollback_summaries s JOIN rollback_summary_docs d USING (team, host, run)
         WHERE ($1::text IS NULL OR s.plan = $1) AND s.mode = $2
           AND ($3::text IS NULL OR s.team = $3)
         ORDER BY s.started DESC LIMIT $4",
        &[&plan, &mode, &team, &MAX_SUMMARIES],
        1,
    )
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let id: String = r.at(0);
            let text: String = r.at(1);
            Some((id, serde_json::from_str::<Summary>(&text).ok()?))
        })
        .collect())
}

/// Most bytes of text a reader holds from one query (as a run directory's reader holds at
/// most this of a timeline).
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// The rows of a query, read as a stream and stopped once the text of column `sized` passes
/// `MAX_BYTES` in all: a store (or a member) that sends more never fills the memory.
async fn bounded(
    store: &Store,
    client: &Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    sized: usize,
) -> Result<Vec<Row>, StoreError> {
    use futures_util::TryStreamExt;
    let stream = client
        .query_raw(sql, params.iter().copied())
        .await
        .map_err(|e| store.error(&e))?;
    futures_util::pin_mut!(stream);
    let mut rows = Vec::new();
    let mut bytes = 0usize;
    while let Some(row) = stream.try_next().await.map_err(|e| store.error(&e))? {
        bytes += row.try_get::<_, &str>(sized).map_or(0, str::len);
        if bytes > MAX_BYTES {
            return Err(StoreError(format!(
                "the store sent more than {} MiB for one answer",
                MAX_BYTES / 1024 / 1024
            )));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Most summaries read whole at once (a plan's rehearsals, a trainee's drills).
const MAX_SUMMARIES: i64 = 20_000;

/// As [`summaries`], folded for the records' folds.
pub async fn run_summaries(
    store: &Store,
    client: &Client,
    team: Option<&str>,
    plan: Option<&str>,
    mode: Mode,
) -> Result<Vec<RunSummary>, StoreError> {
    Ok(summaries(store, client, team, plan, mode)
        .await?
        .iter()
        .map(|(id, s)| RunSummary::of(id, s, true))
        .collect())
}

/// A run in the store, found by its id or a unique prefix of it.
#[derive(Debug, Clone)]
pub struct Found {
    pub team: String,
    pub host: String,
    pub run: String,
    pub started_ms: i64,
    pub plan_yaml: Option<String>,
}

/// The run `query` names: its id or a unique prefix (`host/id` picks among hosts). `Ok(Err)`
/// when it names none or several: bad input, not a failing store.
pub async fn find(
    store: &Store,
    client: &Client,
    query: &str,
) -> Result<Result<Found, String>, StoreError> {
    let (host, id) = match query.split_once('/') {
        Some((h, i)) => (Some(h), i),
        None => (None, query),
    };
    // A prefix match with LIKE: its wildcards in the query are taken literally.
    let pattern = format!(
        "{}%",
        id.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = client
        .query(
            "SELECT host, run, date_part('epoch', started) * 1000, run = $2, team
             FROM rollback_runs
             WHERE run LIKE $1 AND ($3::text IS NULL OR host = $3)
             ORDER BY run = $2 DESC, started DESC LIMIT 11",
            &[&pattern, &id, &host],
        )
        .await
        .map_err(|e| store.error(&e))?;
    let found = |r: &Row| Found {
        team: r.at(4),
        host: r.at(0),
        run: r.at(1),
        started_ms: ms(r, 2),
        plan_yaml: None,
    };
    let exact: Vec<&Row> = rows.iter().filter(|r| r.at::<bool>(3)).collect();
    let one = match (exact.len(), rows.len()) {
        (1, _) | (0, 1) => Some(found(exact.first().copied().unwrap_or(&rows[0]))),
        _ => None,
    };
    if let Some(mut f) = one {
        // The plan copy only once the run is known: at most one is read.
        let row = client
            .query_opt(
                "SELECT plan_yaml FROM rollback_runs WHERE team = $1 AND host = $2 AND run = $3",
                &[&f.team, &f.host, &f.run],
            )
            .await
            .map_err(|e| store.error(&e))?;
        f.plan_yaml = row.and_then(|r| r.at(0));
        return Ok(Ok(f));
    }
    Ok(match (exact.len(), rows.len()) {
        (0, 0) => Err(format!(
            "no run `{}` in {}",
            crate::text::inline(query),
            store.shown()
        )),
        _ => {
            let names: Vec<String> = rows
                .iter()
                .take(10)
                .map(|r| format!("{}/{}", r.at::<String>(0), r.at::<String>(1)))
                .collect();
            Err(format!(
                "`{}` names more than one run in {}: {}",
                crate::text::inline(query),
                store.shown(),
                crate::text::inline(&names.join(", "))
            ))
        }
    })
}

/// The run's records after `after` (all when `None`), at most `limit`, as journaled lines.
pub async fn lines(
    store: &Store,
    client: &Client,
    run: &Found,
    after: Option<u64>,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let after = after.map_or(-1, |a| a as i64);
    let started = run.started_ms as f64;
    let rows = bounded(
        store,
        client,
        "SELECT line FROM rollback_records
         WHERE host = $1 AND run = $2 AND started = to_timestamp($3::float8 / 1000.0)
           AND seq > $4 AND team = $6
         ORDER BY seq LIMIT $5",
        &[&run.host, &run.run, &started, &after, &limit, &run.team],
        0,
    )
    .await?;
    Ok(rows.iter().map(|r| r.at(0)).collect())
}

/// Most records a report or follower reads of one run (a run's timeline holds far fewer).
pub const MAX_RECORDS: i64 = 200_000;

/// The report of a run in the store, built from its records and plan copy as shipped (the
/// same `report::build` as a run directory's); a rehearsal compared with the store's other
/// rehearsals of its plan. Impact figures entered on the run's machine stay there.
pub async fn report(
    store: &Store,
    client: &Client,
    found: &Found,
    now_ms: i64,
) -> Result<crate::report::Report, StoreError> {
    use crate::engine::Event;
    use crate::engine::record::read_chain;
    let plan_text = found
        .plan_yaml
        .clone()
        .ok_or_else(|| StoreError(format!("the store holds no plan copy of {}", found.run)))?;
    let plan = crate::plan::load::load_bytes("plan.yaml", plan_text.into_bytes())
        .map_err(|e| StoreError(format!("the run's plan copy does not load:\n{e}")))?
        .plan;
    let texts = lines(store, client, found, None, MAX_RECORDS).await?;
    let records = read_chain(texts.iter().map(String::as_str)).map_err(|e| {
        StoreError(format!(
            "the store's records of {} do not chain at {e}",
            found.run
        ))
    })?;
    let sealed_at = records
        .iter()
        .position(|r| matches!(r.event, Event::RunSealed(_)));
    let (run, segment) = match sealed_at {
        Some(i) => records.split_at(i + 1),
        None => (records.as_slice(), &[][..]),
    };
    let mut report = crate::report::build(&plan, run, now_ms);
    if report.outcome.status == crate::report::RunOutcome::Completed {
        report.follow_ups.validation = crate::report::followups::validation(&plan, segment);
    }
    if report.run.mode == Mode::Rehearsal {
        let earlier: Vec<(String, Summary)> = summaries(
            store,
            client,
            Some(&found.team),
            Some(&report.run.plan),
            Mode::Rehearsal,
        )
        .await?
        .into_iter()
        .filter(|(id, _)| *id != found.run)
        .collect();
        report.comparison =
            crate::report::trend::compare(&found.run, &Summary::of(&report), &earlier);
    }
    Ok(report)
}

/// Runs retention would remove at `cutoff_ms`: those of the months that ended before it
/// (partitions go whole). Their count and the instant before which they started.
pub async fn prunable(
    store: &Store,
    client: &Client,
    cutoff_ms: i64,
) -> Result<(i64, i64), StoreError> {
    let row = client
        .query_one(
            "WITH b AS (SELECT date_trunc('month', to_timestamp($1::float8 / 1000.0), 'UTC') AS upto)
             SELECT (SELECT count(*) FROM rollback_runs, b WHERE started < b.upto),
                    date_part('epoch', (SELECT upto FROM b)) * 1000",
            &[&(cutoff_ms as f64)],
        )
        .await
        .map_err(|e| store.error(&e))?;
    Ok((row.at(0), ms(&row, 1)))
}

/// Removes them: only a member of `rollback_retention` may, and never within 365 days.
pub async fn prune(store: &Store, client: &Client, cutoff_ms: i64) -> Result<i64, StoreError> {
    let row = client
        .query_one(
            "SELECT rollback_prune(to_timestamp($1::float8 / 1000.0))",
            &[&(cutoff_ms as f64)],
        )
        .await
        .map_err(|e| store.error(&e))?;
    Ok(row.at(0))
}

/// Runs the dashboard shows from the store: the sealed ones of the last `days` (newest
/// first, at most `limit`) as the figures count them, and the runs started in that time
/// whose seal is not in the store yet, listed as open there.
pub async fn recent(
    store: &Store,
    client: &Client,
    now_ms: i64,
    days: i64,
    limit: i64,
) -> Result<crate::records::Records, StoreError> {
    use crate::records::{Records, Uncounted, Unread};
    let since = (now_ms - days * 86_400_000) as f64 / 1000.0;
    let sealed = client
        .query(
            "SELECT s.run, d.summary::text
             FROM rollback_summaries s JOIN rollback_summary_docs d USING (team, host, run)
             WHERE s.started >= to_timestamp($1)
             ORDER BY s.started DESC LIMIT $2",
            &[&since, &limit],
        )
        .await
        .map_err(|e| store.error(&e))?;
    let open = client
        .query(
            "SELECT r.run, r.plan, r.mode, date_part('epoch', r.started) * 1000, r.host
             FROM rollback_runs r
             WHERE r.started >= to_timestamp($1)
               AND NOT EXISTS (SELECT 1 FROM rollback_summaries s
                               WHERE s.team = r.team AND s.host = r.host AND s.run = r.run)
             ORDER BY r.started DESC LIMIT $2",
            &[&since, &limit],
        )
        .await
        .map_err(|e| store.error(&e))?;
    let mut records = Records::default();
    for r in &sealed {
        let id: String = r.at(0);
        let text: String = r.at(1);
        if let Ok(s) = serde_json::from_str::<Summary>(&text) {
            records.runs.push(RunSummary::of(&id, &s, true));
        }
    }
    for r in &open {
        let mode: String = r.at(2);
        let host: String = r.at(4);
        records.uncounted.push(Uncounted {
            id: r.at(0),
            plan: Some(r.at(1)),
            mode: serde_json::from_value(serde_json::Value::String(mode)).ok(),
            started_at: Some(crate::report::Timestamp(ms(r, 3))),
            why: Unread::Open {
                holder: format!("not sealed in the store; from {host}"),
            },
        });
    }
    Ok(records)
}
