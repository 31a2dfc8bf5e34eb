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
