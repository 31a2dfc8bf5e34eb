//! A run directory read for shipping: only a chain that verifies is shipped (as `stats`
//! counts it: whole from its start, its seal agreeing with its records), each record with
//! the exact line it was journaled as, then the validation segment chained after its seal.

use std::path::Path;

use crate::engine::record::{Record, read_chain};
use crate::engine::{Event, Mode};
use crate::report::summary::Summary;
use crate::timeline::files::{self, Budget};
use crate::timeline::rebuild::Plans;
use crate::timeline::rundir::{PLAN_COPY, TIMELINE};
use crate::timeline::segment::{self, SEGMENT};
use crate::timeline::standing::{Standing, counted};

/// No plan copy shipped is longer than this (plans are far smaller).
const MAX_PLAN: u64 = 1024 * 1024;

/// One journaled line.
#[derive(Debug, Clone)]
pub struct Line {
    pub seq: u64,
    pub ts_ms: i64,
    pub kind: &'static str,
    pub prev: String,
    pub hash: String,
    pub text: String,
}

/// A validation window's verdict, as its record says.
#[derive(Debug, Clone)]
pub struct WindowSeen {
    pub seq: u64,
    pub window: &'static str,
    pub passed: bool,
    pub ts_ms: i64,
}

/// A run as it is to be shipped.
#[derive(Debug, Clone)]
pub struct Local {
    pub id: String,
    pub host: String,
    pub team: String,
    pub plan: String,
    pub mode: Mode,
    pub operator: String,
    pub started_ms: i64,
    /// A watch's first bad sample, for a run a trigger started.
    pub detected_ms: Option<i64>,
    pub lines: Vec<Line>,
    /// The seal's summary, once the run is sealed (and only if the seal agrees).
    pub sealed: Option<Box<Summary>>,
    /// The same summary exactly as the seal record carries it (the store holds it to that).
    pub seal_summary: Option<serde_json::Value>,
    pub windows: Vec<WindowSeen>,
}

impl Local {
    pub fn first_hash(&self) -> &str {
        &self.lines[0].hash
    }
}

/// Team of runs whose plan names none.
pub const DEFAULT_TEAM: &str = "default";

/// Reads the run `id` in `dir`. `Err` says why it may not be shipped (or `None` for a
/// directory that holds no run yet).
pub fn read(dir: &Path, id: &str, plans: &Plans, budget: &Budget) -> Result<Option<Local>, String> {
    let standing = match counted(dir, plans, budget) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    let summary = match standing {
        Standing::Damaged(why) => return Err(format!("its chain does not verify: {why}")),
        Standing::Sealed(s) => Some(s),
        Standing::Unsealed => None,
    };
    let (bytes, _held) = files::read_held(&dir.join(TIMELINE), files::MAX_WHOLE, budget)
        .map_err(|e| format!("cannot be read: {e}"))?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text = std::str::from_utf8(&bytes[..complete])
        .map_err(|_| "its chain does not verify: not UTF-8".to_string())?;
    let texts: Vec<&str> = text.lines().collect();
    let records =
        read_chain(texts.iter().copied()).map_err(|e| format!("its chain does not verify: {e}"))?;
    let Some(first) = records.first() else {
        return Ok(None);
    };
    let Event::RunStarted(info) = &first.event else {
        return Err("its chain does not verify: the first record is not the run's start".into());
    };
    let mut lines: Vec<Line> = records
        .iter()
        .zip(&texts)
        .map(|(r, t)| line(r, t))
        .collect();
    // Sealed since it was judged: the seal waits for the next shipping.
    if summary.is_none() && matches!(records.last().map(|r| &r.event), Some(Event::RunSealed(_))) {
        lines.pop();
    }
    let mut windows = Vec::new();
    if summary.is_some()
        && let Some(seal) = records.last()
    {
        segment_lines(dir, seal, budget, &mut lines, &mut windows)?;
    }
    let seal_summary = match (&summary, records.last().map(|r| &r.event)) {
        (Some(_), Some(Event::RunSealed(seal))) => Some(seal.summary.clone()),
        _ => None,
    };
    Ok(Some(Local {
        id: id.to_string(),
        seal_summary,
        host: info.host.clone(),
        team: info.team.clone().unwrap_or_else(|| DEFAULT_TEAM.into()),
        plan: info.plan.clone(),
        mode: first.mode,
        operator: first.operator.clone(),
        started_ms: first.ts_ms,
        detected_ms: info.fired.as_ref().map(|f| f.first_failure_ms),
        lines,
        sealed: summary,
        windows,
    }))
}

fn line(r: &Record, text: &str) -> Line {
    Line {
        seq: r.seq,
        ts_ms: r.ts_ms,
        kind: r.event.kind(),
        prev: r.prev.clone(),
        hash: r.hash.clone(),
        text: text.to_string(),
    }
}

/// The validation segment's complete records, chained after the seal.
fn segment_lines(
    dir: &Path,
    seal: &Record,
    budget: &Budget,
    lines: &mut Vec<Line>,
    windows: &mut Vec<WindowSeen>,
) -> Result<(), String> {
    let bytes = match files::read_held(&dir.join(SEGMENT), files::MAX_WHOLE, budget) {
        Ok((b, _held)) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{SEGMENT} cannot be read: {e}")),
    };
    let (records, complete) = segment::read(&bytes, seal)
        .map_err(|(n, why)| format!("its chain does not verify: {SEGMENT}:{n}: {why}"))?;
    let text = String::from_utf8_lossy(&bytes[..complete]);
    for (r, t) in records.iter().zip(text.lines()) {
        if let Event::ValidationWindow {
            window, verdict, ..
        } = &r.event
        {
            use crate::monitor::validation::WindowVerdict;
            let passed = match verdict {
                WindowVerdict::Passed => Some(true),
                WindowVerdict::Regressed { .. } | WindowVerdict::NotRun { .. } => Some(false),
                _ => None,
            };
            if let Some(passed) = passed {
                windows.push(WindowSeen {
                    seq: r.seq,
                    window: window.name(),
                    passed,
                    ts_ms: r.ts_ms,
                });
            }
        }
        lines.push(line(r, t));
    }
    Ok(())
}

/// The plan copy, shipped with the run's first records.
pub fn plan_copy(dir: &Path) -> Option<String> {
    let bytes = files::read_bounded(&dir.join(PLAN_COPY), MAX_PLAN).ok()?;
    String::from_utf8(bytes).ok()
}

/// A run read as it grows, for the shipper: each line is read and checked once, against the
/// one before it; the whole run is read again (and held to its seal, as `read` does) only
/// once it is sealed. Any error starts it over.
#[derive(Default)]
pub struct Tail {
    offset: u64,
    partial: Vec<u8>,
    run: Option<Local>,
    /// Bytes were left for the next turn.
    more: bool,
}

/// Bytes of a timeline read per turn at most.
const TAIL_AT_ONCE: u64 = 8 * 1024 * 1024;

impl Tail {
    /// The run as it stands now; `None` while it holds no record (or must be read again).
    pub fn advance(
        &mut self,
        dir: &Path,
        id: &str,
        plans: &Plans,
        budget: &Budget,
    ) -> Result<Option<&Local>, String> {
        match self.step(dir, id, plans, budget) {
            Ok(()) => Ok(self.run.as_ref()),
            Err(e) => {
                *self = Tail::default();
                Err(e)
            }
        }
    }

    /// Whether the run read is sealed.
    pub fn sealed(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.sealed.is_some())
    }

    /// Whether the last turn left bytes to read: the run should be shipped again soon.
    pub fn more(&self) -> bool {
        self.more
    }

    fn step(&mut self, dir: &Path, id: &str, plans: &Plans, budget: &Budget) -> Result<(), String> {
        self.more = false;
        if self.run.as_ref().is_some_and(|r| r.sealed.is_some()) {
            return self.whole(dir, id, plans, budget);
        }
        use std::io::{Read, Seek, SeekFrom};
        let mut file =
            files::open_regular(&dir.join(TIMELINE)).map_err(|e| format!("cannot be read: {e}"))?;
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        if len < self.offset {
            return Err("its chain does not verify: the timeline became shorter".into());
        }
        file.seek(SeekFrom::Start(self.offset))
            .map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        file.take((len - self.offset).min(TAIL_AT_ONCE))
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        self.offset += bytes.len() as u64;
        self.more = self.offset < len;
        self.partial.extend_from_slice(&bytes);
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            if self.partial.len() > crate::timeline::lines::MAX_RECORD {
                return Err("its chain does not verify: a line longer than any record".into());
            }
            return Ok(());
        };
        let complete: Vec<u8> = self.partial.drain(..=end).collect();
        let text = std::str::from_utf8(&complete)
            .map_err(|_| "its chain does not verify: not UTF-8".to_string())?;
        for t in text.lines() {
            let r = crate::engine::record::parse_line(t)
                .map_err(|e| format!("its chain does not verify: {e}"))?;
            if matches!(r.event, Event::RunSealed(_)) {
                // The seal is believed only as `stats` believes it: the whole run again.
                return self.whole(dir, id, plans, budget);
            }
            match &mut self.run {
                None => {
                    let Event::RunStarted(info) = &r.event else {
                        return Err(
                            "its chain does not verify: the first record is not the run's start"
                                .into(),
                        );
                    };
                    if r.seq != 0 || r.prev != crate::engine::record::GENESIS {
                        return Err("its chain does not verify: it does not start at 0".into());
                    }
                    self.run = Some(Local {
                        id: id.to_string(),
                        host: info.host.clone(),
                        team: info.team.clone().unwrap_or_else(|| DEFAULT_TEAM.into()),
                        plan: info.plan.clone(),
                        mode: r.mode,
                        operator: r.operator.clone(),
                        started_ms: r.ts_ms,
                        detected_ms: info.fired.as_ref().map(|f| f.first_failure_ms),
                        lines: vec![line(&r, t)],
                        sealed: None,
                        seal_summary: None,
                        windows: Vec::new(),
                    });
                }
                Some(run) => {
                    let last = run.lines.last().expect("a run has its start");
                    if r.seq != last.seq + 1 || r.prev != last.hash {
                        return Err(format!(
                            "its chain does not verify: record {} does not follow the one before",
                            r.seq
                        ));
                    }
                    run.lines.push(line(&r, t));
                }
            }
        }
        Ok(())
    }

    /// The whole run, read as `sync` reads it. A run read before its seal was complete on
    /// disk is read again from the start next turn.
    fn whole(
        &mut self,
        dir: &Path,
        id: &str,
        plans: &Plans,
        budget: &Budget,
    ) -> Result<(), String> {
        let run = read(dir, id, plans, budget)?;
        if run.as_ref().is_some_and(|r| r.sealed.is_some()) {
            self.run = run;
            self.offset = 0;
            self.partial.clear();
        } else {
            *self = Tail::default();
            self.more = true;
        }
        Ok(())
    }
}
