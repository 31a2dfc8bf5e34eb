//! Following a run read-only (`rollback follow`, the dashboard's live view): the timeline is
//! read from where the last read stopped, complete lines only, each record folded into the
//! same `RunState` the operator's screen shows. Nothing is written and the lock is never
//! taken: whether the runner still holds it is read from `/proc/locks` (or, where that
//! cannot be read, from whether the process named in the lock is alive).

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::lines::MAX_RECORD;
use super::rundir::{LOCK, PLAN_COPY, TIMELINE};
use crate::engine::record::{Record, parse_line};
use crate::engine::{Event, Outcome, RunState};
use crate::exit::Exit;
use crate::plan::Plan;
use crate::plan::load::load_bytes;

/// How many recent records the follower keeps for display.
const RECENT: usize = 200;

/// Where the run stands, as far as a reader can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    /// Its lock is held: someone is running it.
    Running,
    /// Its seal is read: it ended for good.
    Sealed,
    /// Not sealed and nobody holds its lock: left, or its process was killed.
    Stopped,
}

pub struct Follower {
    pub id: String,
    pub plan: Arc<Plan>,
    pub state: RunState,
    /// Recent records, oldest first.
    pub recent: VecDeque<Record>,
    pub sealed: bool,
    source: Box<dyn Source>,
    lines: u64,
}

/// Where a followed run's records come from: its directory here, or the team store.
pub trait Source: Send {
    /// Complete lines recorded since the last call (a bounded amount per call).
    fn read(&mut self) -> Result<Vec<String>, String>;
    /// Whether someone still runs it; `None` when the source cannot tell.
    fn running(&self) -> Option<bool>;
    /// Returns when there may be more to read (or after a while).
    fn wait(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>;
    /// What to add to a command the follower suggests (`--store` for the store).
    fn suffix(&self) -> &str {
        ""
    }
}

/// A run directory's timeline, read on from where the last read stopped.
struct DirTail {
    dir: PathBuf,
    offset: u64,
    partial: Vec<u8>,
    waker: Option<super::waker::Waker>,
}

/// Bytes of the timeline read per wake-up at most.
const READ_AT_ONCE: u64 = 8 * 1024 * 1024;

impl Follower {
    /// Opens the run in `dir` for following; nothing is read from its timeline yet.
    pub fn open(dir: &Path) -> Result<Follower, String> {
        let plan_path = dir.join(PLAN_COPY);
        let bytes = super::files::read_bounded(&plan_path, super::files::MAX_WHOLE)
            .map_err(|e| format!("cannot read {}: {e}", crate::text::path(&plan_path)))?;
        let plan = load_bytes(&plan_path.display().to_string(), bytes)
            .map_err(|e| format!("the run's plan copy does not load:\n{e}"))?
            .plan;
        let id = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let tail = DirTail {
            dir: dir.to_path_buf(),
            offset: 0,
            partial: Vec::new(),
            waker: None,
        };
        Ok(Follower::with_source(id, plan, Box::new(tail)))
    }

    /// Follows the run `id` of `plan` whose records come from `source`.
    pub fn with_source(id: String, plan: Plan, source: Box<dyn Source>) -> Follower {
        Follower {
            id,
            state: RunState::new(&plan, None),
            plan: Arc::new(plan),
            recent: VecDeque::new(),
            sealed: false,
            source,
            lines: 0,
        }
    }

    /// Reads what was recorded since the last call and folds it in; the new records.
    pub fn poll(&mut self) -> Result<Vec<Record>, String> {
        let mut new = Vec::new();
        for line in self.source.read()? {
            self.lines += 1;
            let record = parse_line(&line).map_err(|e| format!("record {}: {e}", self.lines))?;
            self.apply(&record);
            new.push(record);
        }
        Ok(new)
    }

    /// Returns when there may be more to read.
    pub async fn wait(&mut self) {
        self.source.wait().await
    }

    /// What to add to a suggested command (`rollback report ID` + this).
    pub fn suffix(&self) -> &str {
        self.source.suffix()
    }
}

impl Source for DirTail {
    fn running(&self) -> Option<bool> {
        Some(lock_held(&self.dir))
    }

    fn wait(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        let dir = self.dir.clone();
        let waker = self
            .waker
            .get_or_insert_with(|| super::waker::Waker::new(&dir));
        Box::pin(waker.wait())
    }

    fn read(&mut self) -> Result<Vec<String>, String> {
        let path = self.dir.join(TIMELINE);
        let shown = crate::text::path(&path);
        let mut file =
            super::files::open_regular(&path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        if len < self.offset {
            return Err(format!("{shown} became shorter while followed"));
        }
        if len == self.offset {
            return Ok(Vec::new());
        }
        file.seek(SeekFrom::Start(self.offset))
            .map_err(|e| e.to_string())?;
        // A bounded read per wake-up: a huge append is taken in turns, never all at once.
        let mut bytes = Vec::new();
        file.take((len - self.offset).min(READ_AT_ONCE))
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        self.offset += bytes.len() as u64;
        self.partial.extend_from_slice(&bytes);
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            if self.partial.len() > MAX_RECORD {
                return Err(format!(
                    "{shown}: a line longer than any record ({MAX_RECORD} bytes)"
                ));
            }
            return Ok(Vec::new());
        };
        let complete: Vec<u8> = self.partial.drain(..=end).collect();
        Ok(String::from_utf8_lossy(&complete)
            .lines()
            .map(str::to_string)
            .collect())
    }
}

impl Follower {
    fn apply(&mut self, record: &Record) {
        match &record.event {
            // The scenario decides which steps are in the run: start the fold over with it.
            Event::RunStarted(info) if self.state.info.is_none() => {
                self.state = RunState::new(&self.plan, info.scenario.as_deref());
            }
            Event::RunSealed(_) => self.sealed = true,
            _ => {}
        }
        self.state.apply(&record.stamped());
        self.recent.push_back(record.clone());
        if self.recent.len() > RECENT {
            self.recent.pop_front();
        }
    }

    /// Where the run stands now. Read the lock before polling: the seal is written before
    /// the lock is removed, so a run seen unlocked and then polled without a seal stopped.
    pub fn liveness(&self) -> Liveness {
        if self.sealed {
            Liveness::Sealed
        } else if self.source.running() == Some(false) {
            Liveness::Stopped
        } else {
            Liveness::Running
        }
    }

    /// Looks at the lock, then reads what is new: the new records and where the run stands.
    pub fn step(&mut self) -> Result<(Vec<Record>, Liveness), String> {
        let live = self.liveness();
        let new = self.poll()?;
        Ok((new, if self.sealed { Liveness::Sealed } else { live }))
    }
}

/// Whether someone holds the run's lock, found without taking it.
pub fn lock_held(dir: &Path) -> bool {
    lock_held_in(dir, std::fs::read_to_string("/proc/locks").ok().as_deref())
}

/// As [`lock_held`], with `/proc/locks` read once by the caller (a scan of many runs);
/// `None` where it cannot be read: the process the lock names is looked for instead.
pub fn lock_held_in(dir: &Path, locks: Option<&str>) -> bool {
    use std::os::unix::fs::MetadataExt;
    let path = dir.join(LOCK);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return false;
    };
    match locks {
        Some(locks) => {
            let (dev, ino) = (meta.dev(), meta.ino());
            let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
            let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
            let id = format!("{major:02x}:{minor:02x}:{ino}");
            locks
                .lines()
                .any(|l| l.split_whitespace().any(|field| field == id))
        }
        None => holder_alive(&path),
    }
}

/// The lock's text names `pid N on HOST`: alive if that process exists on this host.
fn holder_alive(lock: &Path) -> bool {
    let Ok(text) = super::files::read_text(lock, 4096) else {
        return false;
    };
    let mut words = text.split_whitespace();
    let (Some("pid"), Some(pid), Some("on"), Some(host)) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return false;
    };
    if host != super::rundir::hostname() {
        // Another machine's run: it cannot be seen from here, so it is taken as running.
        return true;
    }
    pid.parse::<i32>()
        .is_ok_and(|p| nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None).is_ok())
}

/// How a followed run ended, in words, and the exit code that says it.
pub fn ending(f: &Follower, live: &Liveness) -> (String, Exit) {
    match (live, f.state.end.as_ref().map(|e| e.outcome)) {
        (Liveness::Sealed, Some(o)) | (Liveness::Stopped, Some(o)) => {
            let (word, code) = match o {
                Outcome::Completed => ("completed", Exit::Ok),
                Outcome::Failed => ("failed", Exit::Failed),
                Outcome::Aborted => ("aborted", Exit::Aborted),
            };
            (
                format!(
                    "the run ended: {word}; its report: rollback report {}{}",
                    f.id,
                    f.suffix()
                ),
                code,
            )
        }
        _ => {
            let left = matches!(
                f.recent.back().map(|r| &r.event),
                Some(Event::OperatorLeft { .. })
            );
            let how = if left {
                "the run was left, not ended"
            } else {
                "the run stopped without ending: its process is gone (killed or crashed); interrupted"
            };
            (
                format!("{how}; it can be resumed: rollback resume {}", f.id),
                Exit::Failed,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Event, Mode};
    use std::io::Write;

    #[test]
    fn a_line_that_arrives_in_pieces_is_read_once_whole() {
        let dir = tempfile::tempdir().unwrap();
        let plan = include_str!("../../tests/plans/base.yaml");
        std::fs::write(dir.path().join(PLAN_COPY), plan).unwrap();
        // Two real records, written by the journal elsewhere, then fed in pieces.
        let src = dir.path().join("source.jsonl");
        let mut j = super::super::Journal::create(&src).unwrap();
        for text in ["one", "two"] {
            let note = Event::Note {
                by: "a".into(),
                text: text.into(),
            };
            j.append(1, 0, Mode::Drill, "a", note).unwrap();
        }
        let bytes = std::fs::read(&src).unwrap();
        let first_end = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        let mut tl = std::fs::File::create(dir.path().join(TIMELINE)).unwrap();
        let mut f = Follower::open(dir.path()).unwrap();
        assert!(f.poll().unwrap().is_empty(), "nothing yet");
        tl.write_all(&bytes[..10]).unwrap();
        assert!(f.poll().unwrap().is_empty(), "half a line is not a record");
        tl.write_all(&bytes[10..first_end + 5]).unwrap();
        assert_eq!(f.poll().unwrap().len(), 1);
        tl.write_all(&bytes[first_end + 5..]).unwrap();
        let new = f.poll().unwrap();
        assert_eq!(new.len(), 1);
        assert_eq!(f.recent.len(), 2);
        assert!(matches!(&new[0].event, Event::Note { text, .. } if text == "two"));
        // No lock file: nobody runs it, and it has no seal.
        assert_eq!(f.liveness(), Liveness::Stopped);
    }

    #[test]
    fn a_lock_held_by_this_process_is_seen_without_taking_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = std::fs::File::create(dir.path().join(LOCK)).unwrap();
        assert!(!lock_held(dir.path()));
        file.lock().unwrap();
        assert!(lock_held(dir.path()));
        file.unlock().unwrap();
        assert!(!lock_held(dir.path()));
    }
}
