//! The rows a batch adds, as column arrays sent with `unnest` (one statement per table): the
//! month partitions its new runs need, their run rows, the records sent, the summary and
//! phase times of each run whose seal is among them, and validation verdicts.

use tokio_postgres::Transaction;

use super::local::{Line, Local};
use super::ship::{Send, word};
use crate::records::RunSummary;

/// The month partitions the batch's new runs start in, made if missing.
pub(super) async fn partitions(
    tx: &Transaction<'_>,
    batch: &[&Send<'_>],
) -> Result<(), tokio_postgres::Error> {
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
        .await?;
    }
    Ok(())
}

/// The run rows the store has none of yet, with their plan copies.
pub(super) async fn runs(
    tx: &Transaction<'_>,
    batch: &[&Send<'_>],
) -> Result<(), tokio_postgres::Error> {
    let new: Vec<&&Send> = batch.iter().filter(|s| s.new_run).collect();
    if new.is_empty() {
        return Ok(());
    }
    let col =
        |f: &dyn Fn(&Local) -> String| -> Vec<String> { new.iter().map(|s| f(s.run)).collect() };
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
    .await?;
    Ok(())
}

/// The first instant of `ms`'s month, in ms (UTC).
fn month_of(ms: i64) -> i64 {
    use chrono::Datelike;
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    chrono::NaiveDate::from_ymd_opt(t.year(), t.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(ms, |d| d.and_utc().timestamp_millis())
}

/// The records sent.
pub(super) async fn records(
    tx: &Transaction<'_>,
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
pub(super) async fn summaries(
    tx: &Transaction<'_>,
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
pub(super) async fn windows(
    tx: &Transaction<'_>,
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
