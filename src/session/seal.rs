//! Sealing an ended run (see `timeline::seal`): when its session is dropped, so every
//! record the face handled (a notifier's end, a killed step's end) comes before the seal;
//! and at `resume` of a run that ended but was never sealed (killed in between).

use super::{Fatal, Session};
use crate::engine::{Event, Mode};
use crate::plan::Plan;
use std::path::PathBuf;

use crate::engine::Record;
use crate::engine::seal::Seal;
use crate::report::build;
use crate::report::summary::Summary;
use crate::timeline::journal::read_complete;
use crate::timeline::reports as files;
use crate::timeline::seal::{Mark, write_mark};
use crate::timeline::{Journal, RunDir};

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

impl Session {
    /// Seals an ended run now (once): the seal, its mark, the report's copies, then the lock
    /// removed. `None` when there is nothing to seal (not ended, sealed already, or the
    /// timeline can no longer be written); otherwise where the report was written.
    pub fn finish(&mut self) -> Option<Result<[PathBuf; 2], String>> {
        if self.sealed || self.state.end.is_none() || self.fatal.is_some() {
            return None;
        }
        self.sealed = true;
        let records = crate::timeline::files::read_bounded(
            &self.run.timeline(),
            crate::timeline::files::MAX_WHOLE,
        )
        .map_err(|e| e.to_string())
        .and_then(|b| read_complete(&b).map_err(|e| e.to_string()));
        let (records, _) = match records {
            Ok(r) => r,
            Err(e) => return Some(Err(format!("cannot read the timeline to seal it: {e}"))),
        };
        let now = self.clock.now_ms();
        Some(
            seal(
                &mut self.journal,
                &self.run,
                &self.plan,
                &records,
                &self.operator,
                now,
            )
            .and_then(|sealed| sealed.report),
        )
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// What sealing did: the seal record, and where the report went (writing it is not part
/// of the record: a failure there leaves the run sealed).
pub(super) struct Sealed {
    pub report: Result<[PathBuf; 2], String>,
}

/// Writes the report's copies of the run in `run` (read back from its directory, so they
/// are what `rollback report` prints).
pub(super) fn write_report(run: &RunDir, now_ms: i64) -> Result<[PathBuf; 2], String> {
    let report = files::render_with_history(&run.path, now_ms)?;
    files::write_both(&run.path, &report)
}

/// Appends the seal after `records` (the whole timeline of an ended run), then writes
/// `timeline.seal` and the report, then removes the lock: each step only once the one
/// before is durable, so a run without its lock always has its report beside it.
pub(super) fn seal(
    journal: &mut Journal,
    run: &RunDir,
    plan: &Plan,
    records: &[Record],
    operator: &str,
    now_ms: i64,
) -> Result<Sealed, String> {
    let report = build(plan, records, now_ms);
    let (count, head) = journal.head();
    let seal = Seal {
        records: count,
        chain_head: head.to_string(),
        summary: Summary::of(&report).to_value(),
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
    let report = write_report(run, now_ms);
    run.remove_lock()
        .map_err(|e| format!("cannot remove the lock: {e}"))?;
    Ok(Sealed { report })
}
