//! The team's figures read from the store: counts and sums aggregated in SQL by plan, the
//! spreads of durations and phase times (`percentiles`), and the time to restore per team
//! and plan; finished by `records::figures::finish` as the local fold is.

use std::collections::BTreeMap;

use tokio_postgres::{Client, Row};

use super::config::Store;
use super::connect::StoreError;
use super::read::{Column, ms_opt};
use super::ship::word;
use crate::engine::Mode;
use crate::engine::tally::FailureCounts;
use crate::records::Select;
use crate::records::criteria::Counts;
use crate::records::figures::{Figures, LevelReached, PhaseSpread, Stats, finish};
use crate::records::restore::{Percentiles, RestoreTime};
use crate::report::RunOutcome;

/// The figures over the runs `select` takes, aggregated in SQL: counts and sums by plan
/// (hashed), and the spreads of durations and phase times (see `percentiles`) on a second
/// connection at the same time.
pub async fn stats(
    store: &Store,
    client: &Client,
    select: &Select,
    now_ms: i64,
) -> Result<Stats, StoreError> {
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
    // Values: whole runs (`part` empty) and phases. Counted per second: from the counts the
    // store keeps, or, for runs since an instant, from the values themselves.
    let run_values = format!(
        "SELECT plan, ''::text AS part, mode = 'drill' AS drill, duration_ms AS v
         FROM rollback_summaries WHERE {wanted}"
    );
    let phase_filter = "($1::text IS NULL OR plan = $1)
           AND ($2::float8 IS NULL OR started >= to_timestamp($2))
           AND ($3 OR NOT drill) AND $4::text IS NOT NULL";
    let phase_values = format!(
        "SELECT plan, phase AS part, drill, duration_ms AS v FROM rollback_phase_times
         WHERE {phase_filter}"
    );
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
    // The phase times are the largest part: read on a connection of their own meanwhile.
    // Both may scan in parallel: these are few, large aggregations.
    let second = store.connect().await?;
    for c in [client, &second] {
        c.batch_execute(
            "SET jit = off; SET parallel_setup_cost = 10; SET parallel_tuple_cost = 0.0001",
        )
        .await
        .map_err(|e| store.error(&e))?;
    }
    let phased = super::percentiles::spreads(store, &second, &phase_counts, &phase_values, &params);
    let counted = async {
        let rows = client
            .query(&sql, &params)
            .await
            .map_err(|e| store.error(&e))?;
        let spreads =
            super::percentiles::spreads(store, client, &run_counts, &run_values, &params).await?;
        Ok::<_, StoreError>((rows, spreads))
    };
    let (phased, counted) = tokio::join!(phased, counted);
    let (rows, durations) = counted?;
    let phased = phased?;
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
    for ((plan, phase, drill), (spread, ord)) in phased {
        phases
            .entry((plan, drill))
            .or_default()
            .push((ord, PhaseSpread { phase, spread }));
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
        let spread = |drill: bool| {
            durations
                .get(&(plan.clone(), String::new(), drill))
                .map(|(s, _)| *s)
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
            duration: spread(false),
            phases: take_phases(&plan, false),
            drill_duration: spread(true),
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
    Ok(Stats {
        overall,
        plans,
        drills_excluded: u32::try_from(drills_excluded).unwrap_or(u32::MAX),
    })
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

/// Time to restore per team and plan, over the live rollbacks `select` takes that completed.
pub async fn restore_times(
    store: &Store,
    client: &Client,
    select: &Select,
) -> Result<Vec<RestoreTime>, StoreError> {
    let since = select.since_ms.map(|s| s as f64 / 1000.0);
    let completed = word(&RunOutcome::Completed);
    let rows = client
        .query(
            "WITH t AS (
               SELECT s.team, s.plan,
                 (extract(epoch FROM s.ended - coalesce(s.detected, s.started)) * 1000)::int8 AS to_end,
                 (extract(epoch FROM w.at - coalesce(s.detected, s.started)) * 1000)::int8 AS to_ok
               FROM rollback_summaries s
               LEFT JOIN rollback_windows w
                 ON w.team = s.team AND w.host = s.host AND w.run = s.run
                   AND w.window_name = 'immediate' AND w.passed
               WHERE s.mode = 'live' AND s.outcome = $3 AND s.ended IS NOT NULL
                 AND ($1::text IS NULL OR s.plan = $1)
                 AND ($2::float8 IS NULL OR s.started >= to_timestamp($2)))
             SELECT team, plan, count(*)::int8,
               percentile_disc(0.5) WITHIN GROUP (ORDER BY to_end),
               percentile_disc(0.9) WITHIN GROUP (ORDER BY to_end),
               count(to_ok)::int8,
               percentile_disc(0.5) WITHIN GROUP (ORDER BY to_ok),
               percentile_disc(0.9) WITHIN GROUP (ORDER BY to_ok)
             FROM t GROUP BY team, plan ORDER BY team, plan",
            &[&select.plan, &since, &completed],
        )
        .await
        .map_err(|e| store.error(&e))?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let p = |n: usize, m: usize| -> Option<Percentiles> {
                let runs = count(r, n);
                let median: Option<i64> = r.at(m);
                let p90: Option<i64> = r.at(m + 1);
                (runs > 0).then_some(Percentiles {
                    runs,
                    median_ms: median?.max(0) as u64,
                    p90_ms: p90?.max(0) as u64,
                })
            };
            Some(RestoreTime {
                team: r.at(0),
                plan: r.at(1),
                to_end: p(2, 3)?,
                to_validated: p(5, 6),
            })
        })
        .collect())
}
