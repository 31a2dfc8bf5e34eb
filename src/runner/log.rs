//! Reading a step's log file as it grows: every byte goes, in order and exactly once, to the
//! sha256, the line and byte counts and the step's `OutputTail`; the UI is pinged at most once
//! per `PING_EVERY` per step, never once per line.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::mpsc::UnboundedSender;

use super::RunnerMsg;
use super::tail::OutputTail;

const CHUNK: usize = 64 * 1024;
const PING_EVERY: Duration = Duration::from_millis(50);

/// sha256 of an empty log, reported for a command that never started.
pub(crate) fn empty_sha256() -> String {
    hex::encode(Sha256::digest(b""))
}

/// The reading side of one log file.
pub(crate) struct LogReader {
    file: File,
    buf: Vec<u8>,
    sha: Sha256,
    bytes: u64,
    newlines: u64,
    last: Option<u8>,
    tail: Arc<Mutex<OutputTail>>,
    ping: Pinger,
    /// The first read error; reading stops there.
    pub error: Option<String>,
}

/// What the log held when the step ended.
pub(crate) struct Totals {
    pub lines: u64,
    pub bytes: u64,
    pub sha256: String,
    /// Why the log could not be read or synced in full.
    pub error: Option<String>,
}

impl LogReader {
    pub fn open(path: &Path, tail: Arc<Mutex<OutputTail>>, ping: Pinger) -> io::Result<LogReader> {
        Ok(LogReader {
            file: File::open(path)?,
            buf: vec![0; CHUNK],
            sha: Sha256::new(),
            bytes: 0,
            newlines: 0,
            last: None,
            tail,
            ping,
            error: None,
        })
    }

    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Reads what is new, up to `budget` bytes (`None`: to the end). Returns true when the
    /// budget ran out, so more is probably waiting. Reads of a regular file come from the page
    /// cache and never wait on the writer, so they are done inline.
    pub fn drain(&mut self, budget: Option<usize>) -> bool {
        let mut read = 0;
        while self.error.is_none() {
            if budget.is_some_and(|b| read >= b) {
                return true;
            }
            match self.file.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => {
                    read += n;
                    self.feed(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.error = Some(format!("reading the log: {e}")),
            }
        }
        self.ping.tick();
        false
    }

    fn feed(&mut self, n: usize) {
        let chunk = &self.buf[..n];
        self.sha.update(chunk);
        self.bytes += n as u64;
        self.newlines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        self.last = chunk.last().copied();
        self.tail
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(chunk);
        self.ping.dirty = true;
    }

    /// Reads to the end, makes the log durable and sums it up. A last line without a newline
    /// counts as a line, as in the tail.
    pub fn finish(mut self) -> Totals {
        self.drain(None);
        self.ping.flush();
        // fdatasync on a read-only fd works on Linux: it flushes the file, not the fd. An
        // empty log has no data to make durable.
        if self.bytes > 0
            && let Err(e) = self.file.sync_data()
        {
            self.error.get_or_insert(format!("syncing the log: {e}"));
        }
        let open_line = self.last.is_some_and(|b| b != b'\n');
        Totals {
            lines: self.newlines + u64::from(open_line),
            bytes: self.bytes,
            sha256: hex::encode(self.sha.finalize()),
            error: self.error,
        }
    }
}

/// Coalesces "new output" pings for one step.
pub(crate) struct Pinger {
    tx: UnboundedSender<RunnerMsg>,
    step: usize,
    last: Option<Instant>,
    dirty: bool,
}

impl Pinger {
    pub fn new(tx: UnboundedSender<RunnerMsg>, step: usize) -> Pinger {
        Pinger {
            tx,
            step,
            last: None,
            dirty: false,
        }
    }

    /// Pings if there is news and the last ping is old enough.
    fn tick(&mut self) {
        if self.dirty && self.last.is_none_or(|t| t.elapsed() >= PING_EVERY) {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.dirty {
            self.dirty = false;
            self.last = Some(Instant::now());
            let _ = self.tx.send(RunnerMsg::Output { step: self.step });
        }
    }
}
