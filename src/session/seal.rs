//! Sealing an ended run (see `timeline::seal`): when its session is dropped, so every
//! record the face handled (a notifier's end, a killed step's end) comes before the seal;
//! and at `resume` of a run that ended but was never sealed (killed in between).

use super::{Fatal, Session};
use crate::engine::{Event, Mode};
use crate::plan::Plan;
use crate::report::build;
use crate::timeline::journal::read_complete;
use crate::timeline::seal::{Mark, Seal, Summary, write_mark};
use crate::timeline::{Journal, Record, RunDir};

impl Session {
    /// Records a fact of the shell rather than a decision of the engine (an accepted plan
    /// change), the same way `handle` records events: synced, then applied.
    pub(super) fn record(&mut self, event: Event) -> Result<(), Fatal> {
        if let Some(why) = &self.fatal {
            return Err(Fatal(why.clone()));
        }
        let now = self.clock.now_ms();
        let elapsed = self.state.elapsed_ms(now);
        match self
            .journal
            .append(now, elapsed, self.mode, &self.operator, event)
        {
            Ok(record) => {
                self.state.apply(&record.stamped());
                self.recent.push_back(record);
                if self.recent.len() > super::RECENT {
                    self.recent.pop_front();
                }
                Ok(())
            }
            Err(e) => {
                self.fatal = Some(e.0.clone());
                Err(Fatal(e.0))
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.state.end.is_none() || self.fatal.is_some() {
            return;
        }
        let records = std::fs::read(self.run.timeline())
            .map_err(|e| e.to_string())
            .and_then(|b| read_complete(&b).map_err(|e| e.to_string()));
        if let Ok((records, _)) = records {
            let now = self.clock.now_ms();
            let _ = seal(
                &mut self.journal,
                &self.run,
                &self.plan,
                &records,
                &self.operator,
                now,
            );
        }
    }
}

/// Appends the seal after `records` (the whole timeline of an ended run), then writes
/// `timeline.seal`, then removes the lock: each step only once the one before is durable.
pub(super) fn seal(
    journal: &mut Journal,
    run: &RunDir,
    plan: &Plan,
    records: &[Record],
    operator: &str,
    now_ms: i64,
) -> Result<Record, String> {
    let report = build(plan, records, now_ms);
    let (count, head) = journal.head();
    let seal = Seal {
        records: count,
        chain_head: head.to_string(),
        summary: Summary::of(&report),
    };
    let started = report.timing.started_at.ms();
    // On the run's clock, as every other record's `elapsed_ms`.
    let speed = records.iter().find_map(|r| match &r.event {
        Event::RunStarted(info) => Some(info.speed()),
        _ => None,
    });
    let elapsed = crate::engine::clock::drill_ms(
        u64::try_from(now_ms - started).unwrap_or(0),
        speed.unwrap_or(1.0),
    );
    let mode = records.first().map_or(Mode::Live, |r| r.mode);
    let record = journal
        .append(
            now_ms,
            elapsed,
            mode,
            operator,
            Event::RunSealed(Box::new(seal)),
        )
        .map_err(|e| e.0)?;
    let mark = Mark {
        records: record.seq + 1,
        hash: record.hash.clone(),
    };
    write_mark(&run.path, &mark).map_err(|e| format!("cannot write the seal mark: {e}"))?;
    run.remove_lock()
        .map_err(|e| format!("cannot remove the lock: {e}"))?;
    Ok(record)
}
