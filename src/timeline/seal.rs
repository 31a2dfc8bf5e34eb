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

use crate::engine::Event;
use crate::engine::record::{Record, parse_line};
use crate::engine::seal::Seal;

/// Beside the timeline once the run is sealed.
pub const MARK: &str = "timeline.seal";

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
    use crate::engine::Mode;
    use crate::report::summary::Summary;
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
            summary: Summary::of(&report).to_value(),
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
