//! The end seal. When a run has ended and nothing of it still runs, one last record,
//! `run_sealed`, closes the timeline: it carries the record count and the chain head before
//! it, and the run's summary, so stats over many runs read one line per run. After the
//! seal is synced, `timeline.seal` (the count including the seal and the seal's hash) is
//! written beside the timeline, and only then is the run's `lock` removed.
//!
//! Together these tell a finished run whose last lines were removed from an open one:
//! the side file gives the count a cut-short timeline no longer reaches, and a run without
//! a `lock` has ended (every run creates one; only sealing removes it), so a missing seal
//! there means lines were lost even if the side file went too.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::record::{Record, parse_line};
use crate::engine::rehearsal::Rehearsal;
use crate::engine::{Event, Mode};
use crate::plan::{Automation, Operation};
use crate::report::model::{Report, SlaVerdict};
use crate::report::phases::PhaseStatus;
use crate::report::{Metrics, Timestamp};

/// Beside the timeline once the run is sealed.
pub const MARK: &str = "timeline.seal";

/// The payload of `run_sealed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seal {
    /// Records before the seal (so the seal's own `seq`).
    pub records: u64,
    /// Hash of the record before the seal.
    pub chain_head: String,
    pub summary: Summary,
}

/// One run in one record: what stats over many runs need, taken from the run's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub plan: String,
    pub level: u8,
    pub operation: Operation,
    pub automation: Automation,
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    pub operator: String,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    pub sla: SlaVerdict,
    pub phases: Vec<PhaseTime>,
    pub escalations: Vec<EscalationAt>,
    pub resumes: u32,
    /// Outcome, duration, SLA, trigger, attempts, automation share: as the report has them.
    pub metrics: Metrics,
    /// A rehearsal's environment and participants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<Rehearsal>,
    /// The regions the run rolled back, in plan order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Each step of the run and how long it took, in plan order (to compare rehearsals).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepTime>,
    /// Drills only: the trainee's score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<crate::report::scorecard::DrillScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTime {
    /// `phase.step`
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseTime {
    pub id: String,
    pub status: PhaseStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationAt {
    pub level: u8,
    pub elapsed_ms: u64,
    pub acknowledged: bool,
}

impl Summary {
    pub fn of(report: &Report) -> Summary {
        let run = &report.run;
        Summary {
            plan: run.plan.clone(),
            level: run.level,
            operation: run.operation,
            automation: run.automation,
            mode: run.mode,
            scenario: run.scenario.as_ref().map(|s| s.id.clone()),
            operator: run.operator.clone(),
            started_at: report.timing.started_at,
            ended_at: report.timing.ended_at,
            sla: report.timing.sla,
            phases: report
                .phases
                .iter()
                .map(|p| PhaseTime {
                    id: p.id.clone(),
                    status: p.status,
                    duration_ms: p.duration_ms,
                })
                .collect(),
            escalations: report
                .escalations
                .iter()
                .map(|e| EscalationAt {
                    level: e.level,
                    elapsed_ms: e.elapsed_ms,
                    acknowledged: e.acknowledged_by.is_some(),
                })
                .collect(),
            resumes: report.interruptions.resumes.len() as u32,
            metrics: report.metrics.clone(),
            rehearsal: run.rehearsal.clone(),
            regions: run.regions.clone(),
            steps: report
                .phases
                .iter()
                .flat_map(|p| &p.steps)
                .map(|s| StepTime {
                    key: s.key.clone(),
                    duration_ms: s.duration_ms,
                })
                .collect(),
            drill: report.drill.as_ref().map(|c| c.score()),
        }
    }
}

/// The seal of `records`, if their last one is it.
pub fn seal_of(records: &[Record]) -> Option<&Seal> {
    match &records.last()?.event {
        Event::RunSealed(seal) => Some(seal),
        _ => None,
    }
}

/// The seal of the timeline at `path`, read from its end only: one short read however long
/// the run, so a summary of every run costs little. `Ok(None)` when the last complete
/// line is not a genuine seal (an open run, or one cut short: `verify` says which).
pub fn read_seal(path: &Path) -> io::Result<Option<Seal>> {
    const TAIL: u64 = 256 * 1024;
    let mut file = super::files::open_regular(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else {
        return Ok(None);
    };
    let start = bytes[..end]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = String::from_utf8_lossy(&bytes[start..end]);
    Ok(match parse_line(&line) {
        Ok(Record {
            event: Event::RunSealed(seal),
            ..
        }) => Some(*seal),
        _ => None,
    })
}

/// `timeline.seal`: what the timeline held once sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// Records including the seal.
    pub records: u64,
    /// Hash of the seal record.
    pub hash: String,
}

/// Writes the mark durably (a new file renamed into place, never written through a link).
pub fn write_mark(dir: &Path, mark: &Mark) -> io::Result<()> {
    let text = serde_json::to_string(mark).map_err(io::Error::other)?;
    super::files::replace(&dir.join(MARK), format!("{text}\n").as_bytes())
}

/// The mark of the run in `dir`: `Ok(None)` when there is none.
pub fn read_mark(dir: &Path) -> Result<Option<Mark>, String> {
    match super::files::read_text(&dir.join(MARK), 4096) {
        Ok(text) => serde_json::from_str(text.trim())
            .map(Some)
            .map_err(|e| format!("{MARK} is unreadable: {e}")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{MARK} cannot be read: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn the_mark_round_trips_and_its_absence_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_mark(dir.path()), Ok(None));
        let mark = Mark {
            records: 7,
            hash: "ab".repeat(32),
        };
        write_mark(dir.path(), &mark).unwrap();
        assert_eq!(read_mark(dir.path()), Ok(Some(mark)));
        assert!(!dir.path().join(format!("{MARK}.tmp")).exists());
        fs::write(dir.path().join(MARK), "{").unwrap();
        assert!(read_mark(dir.path()).unwrap_err().contains("unreadable"));
    }

    #[test]
    fn the_seal_is_read_from_the_end_alone() {
        let text = include_str!("../../tests/plans/base.yaml");
        let plan = crate::plan::load::load_bytes("base.yaml", text.as_bytes().to_vec())
            .unwrap()
            .plan;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timeline.jsonl");
        let mut j = super::super::Journal::create(&path).unwrap();
        let note = |t: &str| Event::Note {
            by: "a".into(),
            text: t.into(),
        };
        let mut records = vec![j.append(1, 0, Mode::Drill, "a", note("one")).unwrap()];
        assert_eq!(read_seal(&path).unwrap(), None, "an open run has no seal");
        records.push(j.append(2, 1, Mode::Drill, "a", note("two")).unwrap());
        let report = crate::report::build(&plan, &records, 3);
        let seal = Seal {
            records: 2,
            chain_head: records[1].hash.clone(),
            summary: Summary::of(&report),
        };
        j.append(
            3,
            2,
            Mode::Drill,
            "a",
            Event::RunSealed(Box::new(seal.clone())),
        )
        .unwrap();
        assert_eq!(read_seal(&path).unwrap(), Some(seal));

        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        assert_eq!(read_seal(&path).unwrap(), None, "a seal cut off is no seal");
    }
}
