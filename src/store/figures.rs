//! The team's figures read from the store: counts and sums aggregated in SQL by plan, the
//! spreads of durations and phase times (`percentiles`), and the time to restore per team
//! and plan; finished by `records::figures::finish` as the local fold is.

use std::collections::BTreeMap;

use tokio_postgres::{Client, Row};

use super::config::Store;
use super::connect::StoreError;
use super::percentiles::{Ask, Ranked, SECOND_FROM, ranks};
use super::read::{Column, ms_opt};
use super::ship::word;
use crate::engine::Mode;
use crate::engine::tally::FailureCounts;
use crate::records::Select;
use crate::records::criteria::Counts;
use crate::records::figures::{Figures, LevelReached, PhaseSpread, Spread, Stats, finish};
use crate::records::restore::{Percentiles, RestoreTime};

/// Median and p95 of durations and phase times.
const SPREAD: [u64; 2] = [50, 95];
/// Median and p90 of the time to restore.
const RESTORE: [u64; 2] = [50, 90];

/// The figures over the runs `select` takes, aggregated in SQL: counts and sums by plan
/// (hashed), the spreads of durations and phase times (see `percentiles`), and the time to
/// restore per team and plan; read on two connections at once, in one snapshot.
pub async fn stats(
    store: &Store,
    client: &Client,
    select: &Select,
    now_ms: i64,
) -> Result<(Stats, Vec<RestoreTime>), StoreError> {
    let since = select.since_ms.map(|s| s as f64 / 1000.0);
    let drill = word(&Mode::Drill);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
        [&select.plan, &since, &select.include_drills, &drill];
    let wanted = "($1::text IS NULL OR plan = $1)
          AND ($2::float8 IS NULL OR started >= to_timestamp($2))
          AND ($3 OR mode <> $4)";
    let sql = format!(
        "SELECT plan, count(*)::int8,
           count(*) FILTER (WHERE mode = 'live')::int8,
           count(*) FILTER (WHERE mode = 'rehearsal')::int8,
           count(*) FILTER (WHERE mode = $4)::int8,
           count(*) FILTER (WHERE outcome = 'completed')::int8,
           count(*) FILTER (WHERE outcome = 'failed')::int8,
           count(*) FILTER (WHERE outcome = 'aborted')::int8,
           count(within_sla)::int8,
           count(*) FILTER (WHERE within_sla)::int8,
           sum(steps_selected)::int8, sum(steps_automated)::int8,
           sum(retries)::int8, sum(attempts)::int8,
           sum(failed_attempts)::int8, sum(failed_retried)::int8, sum(failed_skipped)::int8,
           sum(failed_replaced)::int8, sum(failed_stopped)::int8, sum(failed_open)::int8,
           sum(failed_regions)::int8,
           count(*) FILTER (WHERE escalation = 1)::int8,
           count(*) FILTER (WHERE escalation = 2)::int8,
           count(*) FILTER (WHERE escalation = 3)::int8,
           count(*) FILTER (WHERE escalation >= 4)::int8
         FROM rollback_summaries WHERE {wanted}
         GROUP BY plan"
    );
    // Spreads of whole runs (`part` empty) and of phases. Counted per second: from the counts
    // the store keeps, or, for runs since an instant, from the values themselves.
    let phase_filter = "($1::text IS NULL OR plan = $1)
           AND ($2::float8 IS NULL OR started >= to_timestamp($2))
           AND ($3 OR NOT drill) AND $4::text IS NOT NULL";
    let kept = "($1::text IS NULL OR plan = $1) AND ($3 OR NOT drill)
           AND $2::float8 IS NULL AND $4::text IS NOT NULL";
    let (run_counts, phase_counts) = if select.since_ms.is_none() {
        (
            format!(
                "SELECT plan, ''::text, drill, second, sum(n)::int8, 0::int2
                 FROM rollback_run_seconds WHERE {kept} GROUP BY 1, 2, 3, 4"
            ),
            format!(
                "SELECT plan, part, drill, second, sum(n)::int8, min(ord)
                 FROM rollback_phase_seconds WHERE {kept} GROUP BY 1, 2, 3, 4"
            ),
        )
    } else {
        (
            format!(
                "SELECT plan, ''::text, mode = 'drill', duration_ms / 1000, count(*)::int8, 0::int2
                 FROM rollback_summaries WHERE {wanted} GROUP BY 1, 2, 3, 4"
            ),
            format!(
                "SELECT plan, phase, drill, duration_ms / 1000, count(*)::int8, min(ord)
                 FROM rollback_phase_times WHERE {phase_filter} GROUP BY 1, 2, 3, 4"
            ),
        )
    };
    // The rank-th value from its second on, through the indexes on (plan, drill, value).
    let run_value = |of_plan: bool| {
        format!(
            "SELECT duration_ms FROM rollback_summaries
             WHERE {wanted} AND {} (mode = 'drill') = t.flag AND duration_ms >= {SECOND_FROM}
             ORDER BY duration_ms OFFSET t.rank - 1 LIMIT 1",
            if of_plan { "plan = t.key AND" } else { "" }
        )
    };
    let phase_value = |of_plan: bool| {
        format!(
            "SELECT duration_ms FROM rollback_phase_times
             WHERE {phase_filter} AND {} phase = t.part AND drill = t.flag
               AND duration_ms >= {SECOND_FROM}
             ORDER BY duration_ms OFFSET t.rank - 1 LIMIT 1",
            if of_plan { "plan = t.key AND" } else { "" }
        )
    };
    let spread = |r: &Ranked| Spread {
        runs: u32::try_from(r.total).unwrap_or(u32::MAX),
        median_ms: r.at[0],
        p95_ms: r.at[1],
    };
    // Two connections on one snapshot: the phase times and the time to restore on the
    // second meanwhile.
    let second = store.connect().await?;
    let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
         SET LOCAL jit = off; SET LOCAL parallel_setup_cost = 10;
         SET LOCAL parallel_tuple_cost = 0.0001";
    for c in [client, &second] {
        c.batch_execute(begin).await.map_err(|e| store.error(&e))?;
    }
    match client.query_one("SELECT pg_export_snapshot()", &[]).await {
        Ok(row) => {
            let id: String = row.at(0);
            if id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                second
                    .batch_execute(&format!("SET TRANSACTION SNAPSHOT '{id}'"))
                    .await
                    .map_err(|e| store.error(&e))?;
            }
        }
        // A server that cannot export one: each connection reads its own, as two readers
        // would (the failed call ended the transaction).
        Err(_) => client
            .batch_execute(&format!("ROLLBACK; {begin}"))
            .await
            .map_err(|e| store.error(&e))?,
    }
    let on_second = async {
        let ask = Ask {
            counted: &phase_counts,
            value: &phase_value,
            wanted: &SPREAD,
            overall: true,
        };
        let phased = ranks(store, &second, &ask, &params).await?;
        let restore = restore_times(store, &second, select).await?;
        Ok::<_, StoreError>((phased, restore))
    };
    let counted = async {
        let rows = client
            .query(&sql, &params)
            .await
            .map_err(|e| store.error(&e))?;
        let ask = Ask {
            counted: &run_counts,
            value: &run_value,
            wanted: &SPREAD,
            overall: true,
        };
        let spreads = ranks(store, client, &ask, &params).await?;
        Ok::<_, StoreError>((rows, spreads))
    };
    let (on_second, counted) = tokio::join!(on_second, counted);
    let (rows, durations) = counted?;
    let (phased, restore) = on_second?;
    // The last rehearsal, whatever the window: evidence however old.
    let rehearsed = client
        .query(
            "SELECT plan, date_part('epoch', max(started)) * 1000 FROM rollback_summaries
             WHERE mode = 'rehearsal' AND ($1::text IS NULL OR plan = $1)
             GROUP BY plan",
            &[&select.plan],
        )
        .await
        .map_err(|e| store.error(&e))?;
    let drills_excluded: i64 = if select.include_drills {
        0
    } else {
        client
            .query_one(
                "SELECT count(*) FROM rollback_summaries
                 WHERE ($1::text IS NULL OR plan = $1)
                   AND ($2::float8 IS NULL OR started >= to_timestamp($2)) AND mode = $3",
                &[&select.plan, &since, &drill],
            )
            .await
            .map_err(|e| store.error(&e))?
            .at(0)
    };
    for c in [client, &second] {
        c.batch_execute("COMMIT")
            .await
            .map_err(|e| store.error(&e))?;
    }
    let mut last: BTreeMap<Option<String>, i64> = rehearsed
        .iter()
        .filter_map(|r| Some((r.at::<Option<String>>(0), ms_opt(r, 1)?)))
        .collect();
    // Over every plan: the latest of them.
    if let Some(latest) = last.values().max().copied() {
        last.insert(None, latest);
    }
    // Phases per plan (None: overall), drills apart, in plan order.
    type Phases = BTreeMap<(Option<String>, bool), Vec<(i16, PhaseSpread)>>;
    let mut phases: Phases = BTreeMap::new();
    for ((plan, phase, drill), ranked) in phased {
        phases.entry((plan, drill)).or_default().push((
            ranked.ord,
            PhaseSpread {
                phase,
                spread: spread(&ranked),
            },
        ));
    }
    let mut take_phases = |plan: &Option<String>, drill: bool| -> Vec<PhaseSpread> {
        let mut v = phases.remove(&(plan.clone(), drill)).unwrap_or_default();
        v.sort_by(|(a, p), (b, q)| a.cmp(b).then_with(|| p.phase.cmp(&q.phase)));
        v.into_iter().map(|(_, p)| p).collect()
    };
    // Counts and sums add up: every plan's, summed here, are the overall ones.
    let mut tallies: Vec<(Option<String>, [u64; 25])> = rows
        .iter()
        .map(|r| {
            let mut c = [0u64; 25];
            for (i, v) in c.iter_mut().enumerate().skip(1) {
                *v = u64::from(count(r, i));
            }
            (Some(r.at::<String>(0)), c)
        })
        .collect();
    if !tallies.is_empty() {
        let mut sum = [0u64; 25];
        for (_, c) in &tallies {
            for (s, v) in sum.iter_mut().zip(c) {
                *s += v;
            }
        }
        tallies.push((None, sum));
    }
    let mut overall = None;
    let mut plans = BTreeMap::new();
    for (plan, c) in tallies {
        let n = |i: usize| u32::try_from(c[i]).unwrap_or(u32::MAX);
        let counts = Counts {
            runs: n(1),
            completed: n(5),
            failed: n(6),
            sla_measured: n(8),
            sla_met: n(9),
            steps_selected: n(10),
            steps_automated: n(11),
        };
        let duration = |drill: bool| {
            durations
                .get(&(plan.clone(), String::new(), drill))
                .map(spread)
        };
        let figures = Figures {
            runs: counts.runs,
            live: n(2),
            rehearsal: n(3),
            drill: n(4),
            completed: counts.completed,
            failed: counts.failed,
            aborted: n(7),
            left: 0,
            success_pct: None,
            sla_met_pct: None,
            automated_pct: None,
            retries: n(12),
            attempts: n(13),
            failures: FailureCounts {
                failed_attempts: n(14),
                retried: n(15),
                skipped: n(16),
                replaced: n(17),
                stopped: n(18),
                open: n(19),
                regions: n(20),
            },
            duration: duration(false),
            phases: take_phases(&plan, false),
            drill_duration: duration(true),
            drill_phases: take_phases(&plan, true),
            escalations: (1..=4u8)
                .zip(21..25)
                .map(|(level, i)| LevelReached { level, runs: n(i) })
                .filter(|l| l.runs > 0)
                .collect(),
            last_rehearsal: None,
            since_last_rehearsal_ms: None,
            criteria: Vec::new(),
        };
        let figures = finish(figures, &counts, last.get(&plan).copied(), now_ms);
        match plan {
            Some(p) => {
                plans.insert(p, figures);
            }
            None => overall = Some(figures),
        }
    }
    let overall = match overall {
        Some(o) => o,
        None => finish(
            empty(),
            &Counts::default(),
            last.get(&None).copied(),
            now_ms,
        ),
    };
    let stats = Stats {
        overall,
        plans,
        drills_excluded: u32::try_from(drills_excluded).unwrap_or(u32::MAX),
    };
    Ok((stats, restore))
}

fn count(r: &Row, i: usize) -> u32 {
    let v: Option<i64> = r.at(i);
    u32::try_from(v.unwrap_or(0).max(0)).unwrap_or(u32::MAX)
}

fn empty() -> Figures {
    Figures {
        runs: 0,
        live: 0,
        rehearsal: 0,
        drill: 0,
        completed: 0,
        failed: 0,
        aborted: 0,
        left: 0,
        success_pct: None,
        sla_met_pct: None,
        automated_pct: None,
        retries: 0,
        attempts: 0,
        failures: FailureCounts::default(),
        duration: None,
        phases: Vec::new(),
        drill_duration: None,
        drill_phases: Vec::new(),
        escalations: Vec::new(),
        last_rehearsal: None,
        since_last_rehearsal_ms: None,
        criteria: Vec::new(),
    }
}

/// Time to restore per team and plan, over the live rollbacks `select` takes that completed:
/// counted per second by the store (or, since an instant, from the times themselves), each
/// rank read from the index on its time.
async fn restore_times(
    store: &Store,
    client: &Client,
    select: &Select,
) -> Result<Vec<RestoreTime>, StoreError> {
    let since = select.since_ms.map(|s| s as f64 / 1000.0);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&select.plan, &since];
    let of = "($1::text IS NULL OR plan = $1)
          AND ($2::float8 IS NULL OR started >= to_timestamp($2))";
    let counted = if select.since_ms.is_none() {
        "SELECT team, plan, validated, second, sum(n)::int8, 0::int2
         FROM rollback_restore_seconds
         WHERE ($1::text IS NULL OR plan = $1) AND $2::float8 IS NULL
         GROUP BY 1, 2, 3, 4"
            .to_string()
    } else {
        format!(
            "SELECT team, plan, validated, second, count(*)::int8, 0::int2 FROM (
               SELECT team, plan, false AS validated, to_end_ms / 1000 AS second
               FROM rollback_restores WHERE {of}
               UNION ALL
               SELECT team, plan, true, to_ok_ms / 1000
               FROM rollback_restores WHERE {of} AND to_ok_ms IS NOT NULL) x
             GROUP BY 1, 2, 3, 4"
        )
    };
    let value = |_: bool| {
        let from = |column: &str| {
            format!(
                "SELECT {column} FROM rollback_restores
                 WHERE {of} AND team = t.key AND plan = t.part AND {column} >= {SECOND_FROM}
                 ORDER BY {column} OFFSET t.rank - 1 LIMIT 1"
            )
        };
        format!(
            "SELECT CASE WHEN t.flag THEN ({}) ELSE ({}) END",
            from("to_ok_ms"),
            from("to_end_ms")
        )
    };
    let ask = Ask {
        counted: &counted,
        value: &value,
        wanted: &RESTORE,
        overall: false,
    };
    let ranked = ranks(store, client, &ask, &params).await?;
    let percentiles = |r: &Ranked| Percentiles {
        runs: u32::try_from(r.total).unwrap_or(u32::MAX),
        median_ms: r.at[0],
        p90_ms: r.at[1],
    };
    let mut out: Vec<RestoreTime> = ranked
        .iter()
        .filter(|((_, _, validated), _)| !validated)
        .filter_map(|((team, plan, _), r)| {
            let validated = ranked.get(&(team.clone(), plan.clone(), true));
            Some(RestoreTime {
                team: team.clone()?,
                plan: plan.clone(),
                to_end: percentiles(r),
                to_validated: validated.map(percentiles),
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.team, &a.plan).cmp(&(&b.team, &b.plan)));
    Ok(out)
}
