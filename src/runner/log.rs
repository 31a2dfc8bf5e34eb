//! Reading a step's output from its pipe as it comes: every byte is masked for secrets, then
//! goes, in order and exactly once, to the line and byte counts, the step's `OutputTail` and its
//! bounded log file; the UI is pinged at most once per `PING_EVERY` per step, never once per
//! line.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::net::unix::pipe;
use tokio::sync::mpsc::UnboundedSender;

use super::RunnerMsg;
use super::sink::{LogSink, Written};
use super::tail::OutputTail;
use crate::mask::Redactor;

const CHUNK: usize = 128 * 1024;
const PING_EVERY: Duration = Duration::from_millis(50);

/// sha256 of an empty log, reported for a command that never started.
pub(crate) fn empty_sha256() -> String {
    hex::encode(Sha256::digest(b""))
}

/// The reading side of one attempt's output.
pub(crate) struct LogReader {
    pipe: pipe::Receiver,
    /// The writers are all gone and everything was read.
    eof: bool,
    buf: Vec<u8>,
    masked: Vec<u8>,
    redactor: Redactor,
    sink: LogSink,
    bytes: u64,
    newlines: u64,
    last: Option<u8>,
    tail: Arc<Mutex<OutputTail>>,
    ping: Pinger,
    /// The first read error; reading stops there.
    pub error: Option<String>,
}

/// What the output held when the step ended.
pub(crate) struct Totals {
    /// Lines and bytes of output (secrets masked), kept in the log or not.
    pub lines: u64,
    pub bytes: u64,
    pub log: Written,
    /// Why the output could not be read in full.
    pub error: Option<String>,
}

impl LogReader {
    pub fn new(
        pipe: pipe::Receiver,
        redactor: Redactor,
        sink: LogSink,
        tail: Arc<Mutex<OutputTail>>,
        ping: Pinger,
    ) -> LogReader {
        LogReader {
            pipe,
            eof: false,
            buf: vec![0; CHUNK],
            masked: Vec::with_capacity(CHUNK),
            redactor,
            sink,
            bytes: 0,
            newlines: 0,
            last: None,
            tail,
            ping,
            error: None,
        }
    }

    /// Reads what is waiting, up to `budget` bytes (`None`: all of it). Returns true when the
    /// budget ran out, so more is probably waiting. Never waits for the writer.
    pub fn drain(&mut self, budget: Option<usize>) -> bool {
        let mut read = 0;
        while !self.eof && self.error.is_none() {
            if budget.is_some_and(|b| read >= b) {
                return true;
            }
            match self.pipe.try_read(&mut self.buf) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    read += n;
                    self.feed(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.error = Some(format!("reading the output: {e}")),
            }
        }
        self.ping.tick();
        false
    }

    /// Resolves when output (or the end of it) is waiting; never, once the end was read.
    pub async fn readable(&self) {
        if self.eof || self.error.is_some() {
            std::future::pending::<()>().await;
        }
        let _ = self.pipe.readable().await;
    }

    /// The reading end's descriptor, which the command also keeps (see `KEEPER_FD`).
    pub fn raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.pipe.as_raw_fd()
    }

    /// Output was seen that the UI has not been told about yet.
    pub fn ping_owed(&self) -> bool {
        self.ping.dirty
    }

    /// Why the log can no longer be written; the step must then be stopped.
    pub fn log_error(&self) -> Option<&str> {
        self.sink.error.as_deref()
    }

    fn feed(&mut self, n: usize) {
        // Without secrets the bytes go on as read, with no copy.
        let (buf, mut masked) = (
            std::mem::take(&mut self.buf),
            std::mem::take(&mut self.masked),
        );
        if self.redactor.passes_through() {
            self.pass_on(&buf[..n]);
        } else {
            masked.clear();
            self.redactor.push(&buf[..n], &mut masked);
            self.pass_on(&masked);
        }
        (self.buf, self.masked) = (buf, masked);
    }

    fn pass_on(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        self.bytes += chunk.len() as u64;
        self.newlines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        self.last = chunk.last().copied();
        self.sink.write(chunk);
        self.tail
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(chunk);
        self.ping.dirty = true;
    }

    /// Reads what the pipe holds straight from the descriptor: the reactor may not have seen
    /// the last writes yet, and `try_read` trusts the reactor.
    fn drain_all(&mut self) {
        while !self.eof && self.error.is_none() {
            match nix::unistd::read(&self.pipe, &mut self.buf) {
                Ok(0) => self.eof = true,
                Ok(n) => self.feed(n),
                Err(nix::errno::Errno::EINTR) => {}
                Err(nix::errno::Errno::EAGAIN) => break,
                Err(e) => self.error = Some(format!("reading the output: {e}")),
            }
        }
    }

    /// Reads what is left, writes the log's end and makes it durable, and sums up. A last
    /// line without a newline counts as a line, as in the tail.
    pub fn finish(mut self) -> Totals {
        self.drain(None);
        self.drain_all();
        let mut rest = Vec::new();
        self.redactor.finish(&mut rest);
        self.pass_on(&rest);
        self.ping.flush();
        let open_line = self.last.is_some_and(|b| b != b'\n');
        Totals {
            lines: self.newlines + u64::from(open_line),
            bytes: self.bytes,
            log: self.sink.finish(),
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
