//! EDGE: the child processes of a run. Each step command runs in its own process group with its
//! output going into a pipe; the runner masks secrets in it, writes the attempt's bounded log,
//! feeds the step's `OutputTail`, kills whole groups (SIGTERM, grace, SIGKILL), and always
//! reports completion, after a kill or a failed start too. Drill simulations, notifiers and the orphans of a killed
//! run are handled here as well. Everything it learns goes back as a `RunnerMsg`.

pub(crate) mod group;
mod log;
pub mod notify;
pub mod orphan;
pub mod process;
pub mod simulate;
pub mod sink;
pub mod tail;
mod watch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::unix::pipe;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use crate::engine::{ExitReport, Input, StepOutcome};
use log::{LogReader, Pinger};
pub use notify::Notification;
pub use process::CommandSpec;
pub use simulate::SimSpec;
pub use sink::Keep;
use sink::LogSink;
pub use tail::OutputTail;
use watch::{Leader, Watch};

/// What the runner tells the shell.
/// Commands run with `/bin/sh -c`; the absolute path spares a PATH search on every step.
pub(crate) const SHELL: &str = "/bin/sh";

#[derive(Debug, Clone, PartialEq)]
pub enum RunnerMsg {
    /// A result for the engine: `Exited`, `NotifyDone`, `OrphanGone`.
    Input(Input),
    /// Step `step` has new output in its tail; at most one per 50 ms per step.
    Output { step: usize },
}

/// Default time between SIGTERM and SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// How much output the logs of a run keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimits {
    /// Per attempt: the first and the last bytes kept when output is larger.
    pub keep: Keep,
    /// All the logs of the run together; later attempts keep less once it is used up.
    pub total: u64,
}

impl Default for LogLimits {
    fn default() -> Self {
        LogLimits {
            keep: Keep {
                head: 8 << 20,
                tail: 8 << 20,
            },
            total: 1 << 30,
        }
    }
}

/// What the logs of a run keep, and what they mask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputPolicy {
    pub limits: LogLimits,
    /// Secrets masked before anything is written.
    pub mask: crate::mask::Mask,
}

/// Starts and kills the run's processes. Use it inside a tokio runtime: it spawns tasks.
pub struct Runner {
    tx: UnboundedSender<RunnerMsg>,
    grace: Duration,
    notify_timeout: Duration,
    kills: HashMap<usize, tokio::sync::watch::Sender<bool>>,
    running: Arc<AtomicUsize>,
    output: OutputPolicy,
    /// Bytes the run's logs hold so far.
    logged: Arc<AtomicU64>,
}

impl Runner {
    pub fn new(tx: UnboundedSender<RunnerMsg>) -> Runner {
        Runner {
            tx,
            grace: DEFAULT_GRACE,
            notify_timeout: notify::DEFAULT_TIMEOUT,
            kills: HashMap::new(),
            running: Arc::new(AtomicUsize::new(0)),
            output: OutputPolicy::default(),
            logged: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How logs are bounded and masked; `logged`: bytes the run's logs already hold (resume).
    pub fn with_output(mut self, output: OutputPolicy, logged: u64) -> Runner {
        self.output = output;
        self.logged = Arc::new(AtomicU64::new(logged));
        self
    }

    /// What the next attempt's log may keep: the per-attempt bound, less once the run's total
    /// is nearly used up.
    fn keep(&self) -> Keep {
        let LogLimits { keep, total } = self.output.limits;
        let left = total.saturating_sub(self.logged.load(Ordering::SeqCst));
        let head = keep.head.min(left / 2);
        let tail = keep.tail.min(left - head);
        Keep { head, tail }
    }

    /// Time between SIGTERM and SIGKILL when a group is killed.
    pub fn with_grace(mut self, grace: Duration) -> Runner {
        self.grace = grace;
        self
    }

    /// How long a notifier may run before its group is killed.
    pub fn with_notify_timeout(mut self, timeout: Duration) -> Runner {
        self.notify_timeout = timeout;
        self
    }

    /// Spawns now and returns `(pid, pgid)`; a task then tails the log and reports
    /// `Input::Exited`. On `Err` ("cannot start: ...") nothing started and nothing will be
    /// reported: the caller records the attempt as spawned without a pid and as `Failed` with
    /// that error, zero counts and the empty log's digest (the log exists unless creating it
    /// was what failed).
    pub fn spawn(
        &mut self,
        step: usize,
        spec: CommandSpec,
        tail: Arc<Mutex<OutputTail>>,
    ) -> Result<(u32, i32), String> {
        let started = Instant::now();
        let begun = process::create_log(&spec.log_path)
            .map_err(|e| format!("cannot start: creating {}: {e}", spec.log_path.display()))
            .and_then(|log| {
                let (out, reader) = self.reader(step, (log, &spec.log_path), tail)?;
                let out = out
                    .into_blocking_fd()
                    .map_err(|e| format!("cannot start: preparing the output pipe: {e}"))?;
                let (child, pid) = process::start(&spec, out, reader.raw_fd())
                    .map_err(|e| format!("cannot start: {e} (in {})", spec.workdir.display()))?;
                Ok((reader, child, pid))
            });
        match begun {
            Ok((reader, child, pid)) => {
                let pgid = pid as i32;
                let leader = Leader::Process { child, pgid };
                self.launch(step, spec.attempt, leader, reader, started, spec.timeout);
                Ok((pid, pgid))
            }
            Err(error) => Err(error),
        }
    }

    /// Plays a drill simulation; reports `Input::Exited` like a command (also when its log
    /// cannot be created: then `Failed` with "cannot start: ...").
    pub fn simulate(&mut self, step: usize, spec: SimSpec, tail: Arc<Mutex<OutputTail>>) {
        let started = Instant::now();
        let begun = process::create_log(&spec.log_path)
            .map_err(|e| format!("cannot start: creating {}: {e}", spec.log_path.display()))
            .and_then(|log| self.reader(step, (log, &spec.log_path), tail));
        let attempt = spec.attempt;
        match begun {
            Ok((out, reader)) => {
                let leader = Leader::Sim(simulate::start(spec, out));
                self.launch(step, attempt, leader, reader, started, None);
            }
            Err(error) => Reporter::new(self, step, attempt, false).failed(error),
        }
    }

    /// Asks for step `step` to be killed; its `Exited` report (outcome `Killed`) follows.
    pub fn kill(&mut self, step: usize) {
        if let Some(kill) = self.kills.get(&step) {
            let _ = kill.send(true);
        }
    }

    /// Asks every running step to be killed (the run is stopping for good).
    pub fn kill_all(&mut self) {
        for kill in self.kills.values() {
            let _ = kill.send(true);
        }
    }

    /// Runs a notify command in the background; reports `Input::NotifyDone`.
    pub fn notify(
        &self,
        on: String,
        command: String,
        payload: serde_json::Value,
        env: Vec<(String, String)>,
        workdir: PathBuf,
    ) {
        let n = Notification {
            on,
            command,
            payload,
            env,
            workdir,
            mask: self.output.mask.clone(),
        };
        let (tx, timeout, grace) = (self.tx.clone(), self.notify_timeout, self.grace);
        let running = self.counted();
        tokio::spawn(async move {
            let done = n.run(timeout, grace).await;
            running.fetch_sub(1, Ordering::SeqCst);
            let _ = tx.send(RunnerMsg::Input(done));
        });
    }

    /// Kills an orphaned group (`Effect::KillGroup`); reports `OrphanGone { killed: true }`.
    /// What it wrote while nobody read is logged first.
    pub fn kill_orphan(&self, step: usize, pgid: i32, log: PathBuf, tail: Arc<Mutex<OutputTail>>) {
        self.orphan(step, pgid, log, tail, true);
    }

    /// Waits for an orphaned group to end (`Effect::WatchGroup`), logging the rest of its
    /// output into its attempt's log; reports `OrphanGone`.
    pub fn watch_orphan(&self, step: usize, pgid: i32, log: PathBuf, tail: Arc<Mutex<OutputTail>>) {
        self.orphan(step, pgid, log, tail, false);
    }

    /// A kill is counted in `running` (leaving waits for it); a watch is not: an orphan is
    /// already on its own, and leaving must not wait for it.
    fn orphan(
        &self,
        step: usize,
        pgid: i32,
        log: PathBuf,
        tail: Arc<Mutex<OutputTail>>,
        kill: bool,
    ) {
        let (tx, grace) = (self.tx.clone(), self.grace);
        let running = if kill {
            self.counted()
        } else {
            Arc::new(AtomicUsize::new(1))
        };
        // Opened before any kill: once its last holder is gone the pipe cannot be reopened.
        let reader = self.adopt(step, pgid, &log, tail);
        tokio::spawn(async move {
            if kill {
                orphan::kill_group(pgid, grace).await;
            }
            orphan::follow(pgid, reader).await;
            running.fetch_sub(1, Ordering::SeqCst);
            let killed = kill;
            let _ = tx.send(RunnerMsg::Input(Input::OrphanGone { step, pgid, killed }));
        });
    }

    /// A reader of an orphan's output pipe, appending to its log; `None` when the pipe or the
    /// log cannot be had (the orphan is then only waited for).
    fn adopt(
        &self,
        step: usize,
        pgid: i32,
        log: &std::path::Path,
        tail: Arc<Mutex<OutputTail>>,
    ) -> Option<LogReader> {
        let input = orphan::output_of(pgid)?;
        let input = pipe::Receiver::from_file(input).ok()?;
        let file = std::fs::OpenOptions::new().append(true).open(log).ok()?;
        let had = file.metadata().map_or(0, |m| m.len());
        let mut keep = self.keep();
        keep.head = keep.head.saturating_sub(had);
        let ping = Pinger::new(self.tx.clone(), step);
        let redactor = self.output.mask.stream();
        let sink = LogSink::new(file, keep, log.parent().unwrap_or(log));
        Some(LogReader::new(input, redactor, sink, tail, ping))
    }

    /// Counts one more background task until it reports (decremented before sending, so
    /// whoever receives the report sees it finished).
    fn counted(&self) -> Arc<AtomicUsize> {
        self.running.fetch_add(1, Ordering::SeqCst);
        self.running.clone()
    }

    /// Commands, simulations, notifiers and orphan watches started and not yet reported.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// The pipe an attempt writes into and the reader that logs what comes out of it.
    fn reader(
        &self,
        step: usize,
        (log, path): (std::fs::File, &std::path::Path),
        tail: Arc<Mutex<OutputTail>>,
    ) -> Result<(pipe::Sender, LogReader), String> {
        let (out, input) =
            pipe::pipe().map_err(|e| format!("cannot start: creating the output pipe: {e}"))?;
        let ping = Pinger::new(self.tx.clone(), step);
        let redactor = self.output.mask.stream();
        let scratch = path.parent().unwrap_or(path);
        let sink = LogSink::new(log, self.keep(), scratch);
        Ok((out, LogReader::new(input, redactor, sink, tail, ping)))
    }

    fn launch(
        &mut self,
        step: usize,
        attempt: u32,
        leader: Leader,
        log: LogReader,
        started: Instant,
        timeout: Option<Duration>,
    ) {
        let (kill_tx, kill) = tokio::sync::watch::channel(false);
        self.kills.retain(|_, k| !k.is_closed());
        self.kills.insert(step, kill_tx);
        let w = Watch {
            log,
            started,
            timeout,
            grace: self.grace,
            kill,
            logged: self.logged.clone(),
        };
        let reporter = Reporter::new(self, step, attempt, true);
        tokio::spawn(async move {
            let report = watch::watch(leader, w).await;
            reporter.send(report);
        });
    }
}

/// Sends a step's `Exited` exactly once: also if its task panicked or was dropped.
struct Reporter {
    tx: UnboundedSender<RunnerMsg>,
    running: Arc<AtomicUsize>,
    step: usize,
    attempt: u32,
    /// Counted in `running` until delivered.
    counted: bool,
    sent: bool,
}

impl Reporter {
    fn new(runner: &Runner, step: usize, attempt: u32, counted: bool) -> Reporter {
        if counted {
            runner.running.fetch_add(1, Ordering::SeqCst);
        }
        Reporter {
            tx: runner.tx.clone(),
            running: runner.running.clone(),
            step,
            attempt,
            counted,
            sent: false,
        }
    }

    fn send(mut self, report: ExitReport) {
        self.deliver(report);
    }

    /// The report of an attempt that never started.
    fn failed(mut self, error: String) {
        self.deliver(not_started(error));
    }

    fn deliver(&mut self, report: ExitReport) {
        self.sent = true;
        // Decrement first: whoever receives `Exited` sees the runner no longer running it.
        if self.counted {
            self.running.fetch_sub(1, Ordering::SeqCst);
        }
        let (step, attempt) = (self.step, self.attempt);
        let _ = self.tx.send(RunnerMsg::Input(Input::Exited {
            step,
            attempt,
            report,
        }));
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if !self.sent {
            self.deliver(not_started("the runner task ended unexpectedly".into()));
        }
    }
}

/// The report of an attempt that never started: failed with `error`, an empty log.
pub fn not_started(error: String) -> ExitReport {
    ExitReport {
        outcome: StepOutcome::Failed,
        exit_code: None,
        signal: None,
        duration_ms: 0,
        lines: 0,
        bytes: 0,
        sha256: log::empty_sha256(),
        dropped: 0,
        error: Some(error),
        log_error: None,
    }
}

/// The runtime every run uses: one thread. A run is a sequence of short decisions; no
/// work is worth moving between threads, and each move costs a wake-up.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
