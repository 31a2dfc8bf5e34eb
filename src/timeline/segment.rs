//! The validation segment: `validation.jsonl` beside a sealed timeline. Validation windows
//! run after the run ended, for up to a day, so they are not held before the seal (that
//! would leave every run open until its long-term window closed): they are a second chain
//! that continues the sealed one. Its first record's `prev` is the seal's hash and its
//! `seq` follows the seal's, so an edited, reordered or removed line shows exactly as in
//! the timeline, and the segment cannot be moved to another run. `validation_ended` closes
//! it; nothing may follow.

use std::io::Read;
use std::path::Path;

use crate::engine::Event;
use crate::engine::record::{Record, parse_line};
use crate::monitor::validation::RunVerdict;

pub const SEGMENT: &str = "validation.jsonl";
/// Held while windows are sampled (flock: released however the process ends).
pub const SEGMENT_LOCK: &str = "validation.lock";

/// The records of the segment's complete lines, chained after `seal`, and the length of
/// the complete part; or the first damaged line (1-based) and why.
pub fn read(bytes: &[u8], seal: &Record) -> Result<(Vec<Record>, usize), (usize, String)> {
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text = String::from_utf8_lossy(&bytes[..complete]);
    let mut out: Vec<Record> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let r = parse_line(line).map_err(|e| (i + 1, e))?;
        let (want_prev, want_seq) = match out.last() {
            Some(last) => (last.hash.as_str(), last.seq + 1),
            None => (seal.hash.as_str(), seal.seq + 1),
        };
        if r.prev != want_prev {
            let why = if out.is_empty() {
                "does not continue this run's sealed timeline (`prev` is not the seal's hash)"
            } else {
                "`prev` does not match the line before (a line was removed or reordered)"
            };
            return Err((i + 1, why.into()));
        }
        if r.seq != want_seq {
            return Err((
                i + 1,
                format!("sequence number {} where {want_seq} was expected", r.seq),
            ));
        }
        if out
            .last()
            .is_some_and(|l| matches!(l.event, Event::ValidationEnded { .. }))
        {
            return Err((i + 1, "records follow the end of validation".into()));
        }
        out.push(r);
    }
    Ok((out, complete))
}

/// The verdict the segment ended with, if it ended.
pub fn ended(records: &[Record]) -> Option<RunVerdict> {
    records.iter().rev().find_map(|r| match r.event {
        Event::ValidationEnded { verdict } => Some(verdict),
        _ => None,
    })
}

/// Whether another process samples the windows now: who, if so.
pub fn holder(dir: &Path) -> Option<String> {
    let mut file = super::files::open_regular(&dir.join(SEGMENT_LOCK)).ok()?;
    if file.try_lock_shared().is_ok() {
        let _ = file.unlock();
        return None;
    }
    let mut who = String::new();
    let _ = file.read_to_string(&mut who);
    Some(who.trim().to_string())
}

/// What `verify` says of the segment after the timeline's `seal` (its last record):
/// `Ok(None)` without one; `Err((at, why))` if damaged.
pub fn verify(dir: &Path, seal: Option<&Record>) -> Result<Option<String>, (String, String)> {
    let bytes = match super::files::read_bounded(&dir.join(SEGMENT), super::files::MAX_WHOLE) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err((SEGMENT.into(), format!("cannot be read: {e}"))),
    };
    let Some(seal) = seal.filter(|r| matches!(r.event, Event::RunSealed(_))) else {
        let why = "validation records exist but the run's timeline is not sealed";
        return Err((SEGMENT.into(), why.into()));
    };
    let (records, complete) =
        read(&bytes, seal).map_err(|(n, why)| (format!("{SEGMENT}:{n}"), why))?;
    let torn = if complete < bytes.len() {
        " (a torn last line follows)"
    } else {
        ""
    };
    Ok(Some(match (ended(&records), holder(dir)) {
        (Some(v), _) => format!(
            "validation ended: {}, {} records chained after the seal{torn}",
            v.word(),
            records.len()
        ),
        (None, Some(h)) => format!(
            "validation windows are being sampled ({h}); {} records so far{torn}",
            records.len()
        ),
        (None, None) => format!(
            "validation unfinished: {} records, left or stopped (`rollback watch --validate RUN` goes on){torn}",
            records.len()
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Mode;
    use crate::engine::record::{GENESIS, encode};

    /// Lines chained from (`seq`, `prev`), and the last record's hash.
    fn chain(mut seq: u64, mut prev: String, events: &[Event]) -> (String, String) {
        let mut text = String::new();
        for e in events {
            let (line, hash) = encode(seq, 1, 0, Mode::Drill, "a", e, &prev);
            text.push_str(&line);
            (seq, prev) = (seq + 1, hash);
        }
        (text, prev)
    }

    fn note(t: &str) -> Event {
        Event::Note {
            by: "a".into(),
            text: t.into(),
        }
    }

    fn seal() -> Record {
        let (line, _) = chain(6, GENESIS.into(), &[note("the seal")]);
        parse_line(line.trim_end()).unwrap()
    }

    #[test]
    fn the_segment_continues_the_sealed_chain_and_ends_once() {
        let seal = seal();
        let end = Event::ValidationEnded {
            verdict: RunVerdict::Validated,
        };
        let (text, _) = chain(7, seal.hash.clone(), &[note("a"), end.clone()]);
        let (records, complete) = read(text.as_bytes(), &seal).unwrap();
        assert_eq!((records.len(), complete), (2, text.len()));
        assert_eq!(ended(&records), Some(RunVerdict::Validated));

        let torn = format!("{text}{{\"seq\":9");
        let (records, complete) = read(torn.as_bytes(), &seal).unwrap();
        assert_eq!((records.len(), complete), (2, text.len()));

        let (other_run, _) = chain(7, GENESIS.into(), &[note("a")]);
        let err = read(other_run.as_bytes(), &seal).unwrap_err();
        assert_eq!(err.0, 1);
        assert!(err.1.contains("seal's hash"), "{err:?}");

        let (after_end, _) = chain(7, seal.hash.clone(), &[end, note("late")]);
        let err = read(after_end.as_bytes(), &seal).unwrap_err();
        assert_eq!(err, (2, "records follow the end of validation".into()));

        let (skipped, _) = chain(8, seal.hash.clone(), &[note("a")]);
        assert!(
            read(skipped.as_bytes(), &seal)
                .unwrap_err()
                .1
                .contains("sequence")
        );
    }
}
