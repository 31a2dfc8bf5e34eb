//! How a run stands for the figures over many runs (`stats`, `ready`, `dashboard`,
//! `prune`): its whole chain is read as a stream and must hold from its first record, its
//! start, to its seal. A seal is only believed when it seals exactly the records before it
//! and agrees with the start it claims to sum up (plan, level, mode, start time, rehearsal)
//! and with how the run ended; one re-hashed seal line with no run behind it is damage.

use std::path::Path;

use super::files;
use super::lines::{Line, Lines, MAX_RECORD};
use super::rundir::TIMELINE;
use super::seal::read_mark;
use crate::engine::record::{GENESIS, Record, parse_line};
use crate::engine::seal::Seal;
use crate::engine::{Event, RunInfo};
use crate::report::RunOutcome;
use crate::report::summary::Summary;

/// What a run's chain says of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Standing {
    /// The chain holds from the start to a seal that agrees with it: the seal's summary.
    Sealed(Box<Summary>),
    /// The chain holds so far, without a seal: an open, left or unsealed run (a replay of
    /// its records says which).
    Unsealed,
    /// Why the run cannot be counted.
    Damaged(String),
}

/// Reads the chain of the run in `dir`. `Err` only when its timeline cannot be opened (a
/// missing one: not a run directory); a timeline that is not a regular file is damage.
pub fn standing(dir: &Path) -> std::io::Result<Standing> {
    let file = match files::open_regular(&dir.join(TIMELINE)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Ok(Standing::Damaged(e.to_string()));
        }
        Err(e) => return Err(e),
    };
    let mut chain = Chain::default();
    let mut lines = Lines::new(file);
    while let Some((n, line)) = lines.next_line()? {
        let taken = match line {
            Line::Complete(text) => chain.take(text),
            Line::TooLong(len) => Err(format!(
                "line {n} is {len} bytes, longer than any record ({MAX_RECORD})"
            )),
            Line::Torn(_) => chain.torn(),
        };
        if let Err(why) = taken {
            return Ok(Standing::Damaged(format!("{TIMELINE}:{n}: {why}")));
        }
    }
    Ok(match chain.seal.take() {
        None => Standing::Unsealed,
        Some(seal) => match agrees(Some(dir), &chain, &seal) {
            Ok(summary) => Standing::Sealed(Box::new(summary)),
            Err(why) => Standing::Damaged(format!("{TIMELINE}: {why}")),
        },
    })
}

/// How the run in `dir` stands for the figures over many runs: its chain as `standing`
/// reads it and, for a sealed run, its summary built again from the same records and held to
/// the seal (`rebuild`). The timeline is read whole once, at most `files::MAX_WHOLE`; a
/// larger one is not counted.
pub fn counted(
    dir: &Path,
    plans: &super::rebuild::Plans,
    budget: &files::Budget,
) -> std::io::Result<Standing> {
    let (bytes, _held) = match files::read_held(&dir.join(TIMELINE), files::MAX_WHOLE, budget) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Ok(Standing::Damaged(e.to_string()));
        }
        Err(e) => return Err(e),
    };
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text = String::from_utf8_lossy(&bytes[..complete]);
    let mut chain = Chain::default();
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let taken = if line.len() > MAX_RECORD {
            Err(format!("a line longer than any record ({MAX_RECORD})"))
        } else {
            parse_line(line).and_then(|r| {
                chain.record(&r)?;
                records.push(r);
                Ok(())
            })
        };
        if let Err(why) = taken {
            return Ok(Standing::Damaged(format!("{TIMELINE}:{}: {why}", i + 1)));
        }
    }
    if complete < bytes.len()
        && let Err(why) = chain.torn()
    {
        return Ok(Standing::Damaged(format!("{TIMELINE}: {why}")));
    }
    Ok(match chain.seal.take() {
        None => Standing::Unsealed,
        Some(seal) => match agrees(None, &chain, &seal)
            .and_then(|s| super::rebuild::holds(plans, dir, &records, &s).map(|()| s))
        {
            Ok(summary) => Standing::Sealed(Box::new(summary)),
            Err(why) => Standing::Damaged(format!("{TIMELINE}: {why}")),
        },
    })
}

#[derive(Default)]
struct Chain {
    start: Option<(i64, crate::engine::Mode, Box<RunInfo>)>,
    last: Option<(u64, String)>,
    /// The hash of the record before the last one.
    before_last: Option<String>,
    ended: Option<RunOutcome>,
    seal: Option<Box<Seal>>,
}

impl Chain {
    fn take(&mut self, line: &str) -> Result<(), String> {
        self.record(&parse_line(line)?)
    }

    fn record(&mut self, r: &Record) -> Result<(), String> {
        if self.seal.is_some() {
            return Err("a record follows the seal".into());
        }
        let (want_seq, want_prev) = match &self.last {
            Some((seq, hash)) => (seq + 1, hash.as_str()),
            None => (0, GENESIS),
        };
        if r.seq != want_seq || r.prev != want_prev {
            return Err(format!(
                "the chain breaks here (seq {}, expected {want_seq}): records were removed, moved or forged",
                r.seq
            ));
        }
        match &r.event {
            Event::RunStarted(info) if r.seq == 0 => {
                self.start = Some((r.ts_ms, r.mode, info.clone()));
            }
            _ if r.seq == 0 => return Err("the first record is not the run's start".into()),
            Event::RunCompleted => self.ended = Some(RunOutcome::Completed),
            Event::RunFailed { .. } => self.ended = Some(RunOutcome::Failed),
            Event::RunAborted { .. } => self.ended = Some(RunOutcome::Aborted),
            Event::RunSealed(seal) => self.seal = Some(seal.clone()),
            _ => {}
        }
        self.before_last = self.last.take().map(|(_, h)| h);
        self.last = Some((r.seq, r.hash.clone()));
        Ok(())
    }

    fn torn(&self) -> Result<(), String> {
        match self.seal {
            Some(_) => Err("bytes follow the seal".into()),
            None => Ok(()),
        }
    }
}

/// Whether the seal seals exactly the records before it and sums up the run they record.
/// `dir`: where to read `timeline.seal` to hold it to the seal too; `counted` leaves it, since
/// the summary built again from the records holds the seal to more than the mark does.
/// The seal's summary, read, when it agrees.
fn agrees(dir: Option<&Path>, chain: &Chain, seal: &Seal) -> Result<Summary, String> {
    let (seq, hash) = chain.last.as_ref().ok_or("no records")?;
    if seal.records != *seq || chain.before_last.as_deref() != Some(seal.chain_head.as_str()) {
        return Err("the seal does not seal the records before it".into());
    }
    if let Some(mark) = dir.map(read_mark).transpose()?.flatten()
        && (mark.records != seq + 1 || mark.hash != *hash)
    {
        return Err("timeline.seal does not name this seal".into());
    }
    let (started_ms, mode, info) = chain.start.as_ref().ok_or("no run start")?;
    let s = Summary::of_seal(seal)?;
    let same = s.plan == info.plan
        && s.level == info.level
        && s.mode == *mode
        && s.started_at.ms() == *started_ms
        && s.rehearsal == info.rehearsal;
    if !same {
        return Err("the seal's summary is not the run its records start".into());
    }
    let outcome = s.metrics.execution.outcome;
    if chain.ended != Some(outcome) {
        return Err(format!(
            "the seal says the run {}, its records do not",
            outcome.word()
        ));
    }
    Ok(s)
}
