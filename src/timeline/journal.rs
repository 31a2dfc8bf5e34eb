//! The timeline file: each event is written and fdatasynced before it is applied or shown.
//! Fail-stop: once a write or sync fails the journal refuses every later append (an fsync
//! error may have dropped the data, so retrying and carrying on would lie about the record).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::engine::record::{ChainError, GENESIS, Record, encode, read_chain};
use crate::engine::{Event, Mode};

/// Where the journal's bytes go; a file in production, a failing writer in tests.
pub trait Sink: Send {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()>;
    fn sync(&mut self) -> io::Result<()>;
}

impl Sink for File {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        Write::write_all(self, bytes)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }
}

/// What is told of each record once it is on disk (the store's shipper).
pub type AfterEach = Box<dyn Fn(&Record) + Send + Sync>;

/// The timeline could not be written; the run must stop starting steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalError(pub String);

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JournalError {}

pub struct Journal {
    sink: Box<dyn Sink>,
    next_seq: u64,
    prev: String,
    broken: Option<String>,
    /// Told after each record is synced (the store's shipper, when one runs).
    after: Option<AfterEach>,
}

/// Why an existing timeline could not be opened.
#[derive(Debug)]
pub enum OpenError {
    Io(io::Error),
    /// A complete line is damaged or out of place: the record cannot be trusted.
    Corrupt(ChainError),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Io(e) => write!(f, "{e}"),
            OpenError::Corrupt(e) => write!(f, "the timeline is damaged at {e}"),
        }
    }
}

/// An opened timeline: its records, and where a torn last line was set aside.
pub struct Opened {
    pub journal: Journal,
    pub records: Vec<Record>,
    pub torn: Option<PathBuf>,
}

/// Makes a new entry in `dir` durable: a crash after this keeps the name.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Journal {
    /// Creates a new, empty timeline (refusing to overwrite one).
    pub fn create(path: &Path) -> io::Result<Journal> {
        let file = super::rundir::private_file()
            .append(true)
            .create_new(true)
            .open(path)?;
        file.sync_all()?;
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        Ok(Journal::with_sink(Box::new(file), &[]))
    }

    /// Continues after `records` (already on the sink).
    pub fn with_sink(sink: Box<dyn Sink>, records: &[Record]) -> Journal {
        Journal {
            sink,
            next_seq: records.last().map_or(0, |r| r.seq + 1),
            prev: records
                .last()
                .map_or_else(|| GENESIS.to_string(), |r| r.hash.clone()),
            broken: None,
            after: None,
        }
    }

    /// `f` is called with each record once it is written and synced; it must not block.
    pub fn after_each(&mut self, f: AfterEach) {
        self.after = Some(f);
    }

    /// Opens an existing timeline to continue it. A torn last line (a crash mid-write) is
    /// moved to `timeline.jsonl.torn-<n>` and cut off, never parsed; damage anywhere else
    /// is refused.
    pub fn open(path: &Path) -> Result<Opened, OpenError> {
        let mut bytes = Vec::new();
        super::files::open_regular(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(OpenError::Io)?;
        let (records, complete_len) = read_complete(&bytes).map_err(OpenError::Corrupt)?;
        let torn = if complete_len < bytes.len() {
            Some(
                set_aside(path, &bytes[complete_len..], complete_len as u64)
                    .map_err(OpenError::Io)?,
            )
        } else {
            None
        };
        let file = super::files::open_append(path).map_err(OpenError::Io)?;
        Ok(Opened {
            journal: Journal::with_sink(Box::new(file), &records),
            records,
            torn,
        })
    }

    /// Writes and syncs one event; returns it as recorded.
    pub fn append(
        &mut self,
        ts_ms: i64,
        elapsed_ms: u64,
        mode: Mode,
        operator: &str,
        event: Event,
    ) -> Result<Record, JournalError> {
        if let Some(why) = &self.broken {
            return Err(JournalError(why.clone()));
        }
        let (line, hash) = encode(
            self.next_seq,
            ts_ms,
            elapsed_ms,
            mode,
            operator,
            &event,
            &self.prev,
        );
        let written = self
            .sink
            .put(line.as_bytes())
            .map_err(|e| format!("cannot write the timeline: {e}"))
            .and_then(|_| {
                self.sink
                    .sync()
                    .map_err(|e| format!("cannot sync the timeline to disk: {e}"))
            });
        if let Err(why) = written {
            self.broken = Some(why.clone());
            return Err(JournalError(why));
        }
        let record = Record {
            seq: self.next_seq,
            ts_ms,
            elapsed_ms,
            mode,
            operator: operator.to_string(),
            event,
            prev: std::mem::replace(&mut self.prev, hash.clone()),
            hash,
        };
        self.next_seq += 1;
        if let Some(after) = &self.after {
            after(&record);
        }
        Ok(record)
    }

    /// How many records the timeline holds, and the hash of the last one.
    pub fn head(&self) -> (u64, &str) {
        (self.next_seq, &self.prev)
    }

    /// Why the journal stopped accepting events, once it has.
    pub fn broken(&self) -> Option<&str> {
        self.broken.as_deref()
    }
}

/// The records of every complete line, and the length of the complete part.
pub fn read_complete(bytes: &[u8]) -> Result<(Vec<Record>, usize), ChainError> {
    let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text = String::from_utf8_lossy(&bytes[..complete_len]);
    let records = read_chain(text.lines())?;
    Ok((records, complete_len))
}

fn set_aside(path: &Path, torn: &[u8], keep: u64) -> io::Result<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("timeline.jsonl");
    let mut n = 1;
    let aside = loop {
        let candidate = dir.join(format!("{name}.torn-{n}"));
        match super::rundir::private_file()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut f) => {
                f.write_all(torn)?;
                f.sync_all()?;
                break candidate;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(e),
        }
    };
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        OpenOptions::new()
            .write(true)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
            .open(path)?
    };
    file.set_len(keep)?;
    file.sync_all()?;
    sync_dir(dir)?;
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A sink that fails once `limit` bytes were written, like a full disk.
    struct FullDisk {
        written: Arc<Mutex<Vec<u8>>>,
        limit: usize,
    }

    impl Sink for FullDisk {
        fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
            let mut w = self.written.lock().unwrap();
            if w.len() + bytes.len() > self.limit {
                return Err(io::Error::from_raw_os_error(28));
            }
            w.extend_from_slice(bytes);
            Ok(())
        }
        fn sync(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn note(text: &str) -> Event {
        Event::Note {
            by: "a".into(),
            text: text.into(),
        }
    }

    #[test]
    fn a_write_failure_stops_the_journal_for_good() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let sink = FullDisk {
            written: written.clone(),
            limit: 400,
        };
        let mut j = Journal::with_sink(Box::new(sink), &[]);
        assert!(j.append(1, 0, Mode::Drill, "a", note("first")).is_ok());
        let err = j
            .append(2, 1, Mode::Drill, "a", note(&"x".repeat(300)))
            .unwrap_err();
        assert!(err.0.contains("No space left on device"), "{err}");
        assert!(
            j.append(3, 2, Mode::Drill, "a", note("small")).is_err(),
            "no retry after a failure"
        );
        assert_eq!(j.broken(), Some(err.0.as_str()));
        let (records, _) = read_complete(&written.lock().unwrap()).unwrap();
        assert_eq!(records.len(), 1);
    }

    #[test]
    fn a_torn_last_line_is_set_aside_and_the_chain_continues() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timeline.jsonl");
        let mut j = Journal::create(&path).unwrap();
        j.append(1, 0, Mode::Live, "a", note("one")).unwrap();
        j.append(2, 1, Mode::Live, "a", note("two")).unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"seq\":2,\"ts\":\"20").unwrap();
        drop(f);

        let opened = Journal::open(&path).unwrap();
        assert_eq!(opened.records.len(), 2);
        let aside = opened.torn.expect("torn tail set aside");
        assert_eq!(std::fs::read(&aside).unwrap(), b"{\"seq\":2,\"ts\":\"20");
        let mut j = opened.journal;
        let r = j.append(3, 2, Mode::Live, "b", note("three")).unwrap();
        assert_eq!(r.seq, 2);
        let again = Journal::open(&path).unwrap();
        assert_eq!(again.records.len(), 3);
        assert!(again.torn.is_none());
    }
}
