//! The async shell around the pure engine: one run, its journal and its runner. Every
//! input goes through `handle`: the engine decides, each event is appended and synced,
//! then applied to the state, and only then are effects carried out. The faces (TUI,
//! headless) own the event loop and call `handle`; they hold no rollback logic.

mod cut;
pub use cut::Cut;
mod outputs;
mod resume;
mod seal;
mod spec;
pub use spec::{Context as CommandContext, command_env};
mod start;
pub mod validate_loop;
mod validate_open;
pub mod validate_windows;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedReceiver;

use crate::engine::Record;
use crate::engine::{Clock, Effect, Input, Mode, RunState, decide_in_place};
use crate::plan::Plan;
use crate::plan::vars::Values;
use crate::runner::{OutputPolicy, OutputTail, Runner, RunnerMsg};
use crate::timeline::{Journal, RunDir};

pub use resume::{ResumeError, ResumeOptions, recorded_start, resume};
pub use start::{StartOptions, run_info, start, start_fired};

/// How many recent records a face can show without reading the file.
const RECENT: usize = 200;

/// Drill settings: how fast simulations play and which steps fail on purpose.
#[derive(Debug, Clone, Default)]
pub struct DrillOptions {
    pub speed: f64,
    /// `phase.step` or a step id, and how many attempts of it fail.
    pub fail: Vec<(String, u32)>,
    /// `phase.step` or a step id, and how many times slower its simulation plays.
    pub slow: Vec<(String, f64)>,
    /// The plan's exercise being played, if any.
    pub exercise: Option<String>,
    /// Who is being trained; the operator when not given.
    pub trainee: Option<String>,
    /// The exercise's cut: `phase.step` or a step id, and how long its command goes on after.
    pub orphan: Option<(String, std::time::Duration)>,
}

/// What happens to a running step when the terminal hangs up (SIGHUP, a dropped ssh).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Hangup {
    /// Let the running step finish and record it; start nothing after it.
    #[default]
    Finish,
    /// Stop the running step's process group at once.
    Kill,
}

/// The timeline can no longer be written: the run must stop (fail-stop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal(pub String);

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One run, open. The faces read it through the methods below and change it only by
/// `handle`, `on_runner` and `hang_up`: what they see is always what was recorded.
pub struct Session {
    plan: Arc<Plan>,
    /// Commands run relative to the directory the plan was loaded from.
    plan_dir: PathBuf,
    run: RunDir,
    state: RunState,
    operator: String,
    mode: Mode,
    vars: Values,
    /// The run's secrets: every text from outside crosses it before it is shown or written.
    mask: crate::mask::Mask,
    /// Recent records, oldest first, for display.
    recent: VecDeque<Record>,
    /// Why the last input was refused, for the face to show.
    notice: Option<String>,
    /// Set once the journal or a log failed; nothing more is recorded or started.
    fatal: Option<String>,
    on_hangup: Hangup,

    /// Set once `finish` has sealed the run (or tried to).
    sealed: bool,
    drill: DrillOptions,
    journal: Journal,
    clock: Arc<dyn Clock>,
    runner: Runner,
    tails: HashMap<usize, Arc<Mutex<OutputTail>>>,
    /// The step an exercise cuts the session during, once its command has started.
    cut: Option<usize>,
}

impl Session {
    fn new(
        parts: start::Parts,
        mut journal: Journal,
        runner: Runner,
        records: Vec<Record>,
    ) -> Session {
        if let Some(ship) = crate::store::live::after_record(&parts.run.path) {
            journal.after_each(ship);
        }
        let mut mask = crate::plan::vars::secrets(&parts.plan, &parts.vars);
        if let Some(store) = crate::store::live::mask().filter(|m| !m.is_empty()) {
            // The store's password, should a step come across it, is masked like the plan's.
            let forms = mask.forms().iter().chain(store.forms()).cloned().collect();
            mask = crate::mask::Mask::new(forms);
        }
        let short: Vec<&str> = parts
            .plan
            .vars
            .iter()
            .filter(|(name, v)| {
                v.secret
                    && parts.vars.get(name).is_some_and(|x| {
                        !x.is_empty() && x.chars().count() < crate::mask::MIN_SECRET
                    })
            })
            .map(|(name, _)| name.value.as_str())
            .collect();
        let notice = (!short.is_empty()).then(|| {
            format!(
                "secret {} shorter than {} characters: not masked (it would mask ordinary text)",
                short.join(", "),
                crate::mask::MIN_SECRET
            )
        });
        let output = OutputPolicy {
            limits: parts.logs,
            mask: mask.clone(),
        };
        let runner = runner.with_output(output, parts.run.logged_bytes());
        let mut recent: VecDeque<Record> = records.into_iter().collect();
        while recent.len() > RECENT {
            recent.pop_front();
        }
        Session {
            plan: parts.plan,
            plan_dir: parts.plan_dir,
            run: parts.run,
            state: parts.state,
            operator: parts.operator,
            mode: parts.mode,
            mask,
            vars: parts.vars,
            recent,
            notice,
            fatal: None,
            on_hangup: parts.hangup,
            sealed: false,
            drill: parts.drill,
            journal,
            clock: parts.clock,
            runner,
            tails: HashMap::new(),
            cut: None,
        }
    }

    /// The plan the run follows.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// The run's state: the fold of its records.
    pub fn state(&self) -> &RunState {
        &self.state
    }

    pub fn run(&self) -> &RunDir {
        &self.run
    }

    pub fn operator(&self) -> &str {
        &self.operator
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn vars(&self) -> &Values {
        &self.vars
    }

    /// The run's secrets: every text from outside crosses it before it is shown.
    pub fn mask(&self) -> &crate::mask::Mask {
        &self.mask
    }

    /// Recent records, oldest first.
    pub fn recent(&self) -> &VecDeque<Record> {
        &self.recent
    }

    /// Why the last input was refused, once: the face shows it and it is gone.
    pub fn take_notice(&mut self) -> Option<String> {
        self.notice
            .take()
            .or_else(crate::store::live::behind_notice)
    }

    /// Why nothing more is recorded or started, once the journal or a log failed.
    pub fn fatal(&self) -> Option<&str> {
        self.fatal.as_deref()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Decides, records and carries out one input, and everything it leads to at once
    /// (a spawn is answered before any other input is taken).
    pub fn handle(&mut self, input: Input) -> Result<(), Fatal> {
        let mut queue = VecDeque::from([input]);
        while let Some(input) = queue.pop_front() {
            if let Some(why) = &self.fatal {
                return Err(Fatal(why.clone()));
            }
            let now = self.clock.now_ms();
            // In place: no copy of every step per input; the state comes back unchanged, and
            // each event is applied for good only once it is recorded.
            let d = decide_in_place(&self.plan, &mut self.state, input, now, &self.operator);
            if let Some(why) = d.refused {
                self.notice = Some(why);
                continue;
            }
            for event in d.events {
                let event = self.redacted(event);
                let elapsed = if self.state.info.is_some() {
                    self.state.elapsed_ms(now)
                } else {
                    0
                };
                match self
                    .journal
                    .append(now, elapsed, self.mode, &self.operator, event)
                {
                    Ok(record) => {
                        self.state.apply(&record.stamped());
                        self.recent.push_back(record);
                        if self.recent.len() > RECENT {
                            self.recent.pop_front();
                        }
                    }
                    Err(e) => {
                        // Nothing that was not recorded may happen: no effect runs, and
                        // every command (the one whose start was not recorded too) stops.
                        return Err(self.halt(format!("the timeline cannot be written: {}", e.0)));
                    }
                }
            }
            for effect in d.effects {
                queue.extend(self.execute(effect));
            }
        }
        Ok(())
    }

    /// A message from the runner. A step whose log could not be written is recorded, then
    /// the run stops (fail-stop): a log silently cut short must never pass for a result.
    pub fn on_runner(&mut self, msg: RunnerMsg) -> Result<(), Fatal> {
        match msg {
            RunnerMsg::Input(input) => {
                if let Input::Exited { step, attempt, .. } = &input {
                    self.record_outputs(*step, *attempt);
                }
                let log_error = match &input {
                    Input::Exited { step, report, .. } => report.log_error.as_ref().map(|e| {
                        let key = self.state.steps.get(*step).map_or("", |s| s.key.as_str());
                        format!("the output log of {key} cannot be written: {e}")
                    }),
                    _ => None,
                };
                let Some(why) = log_error else {
                    return self.handle(input);
                };
                self.handle(input)?;
                Err(self.halt(why))
            }
            RunnerMsg::Output { .. } => Ok(()),
        }
    }

    /// The terminal is gone: recorded as the operator leaving, with the running step finished
    /// or stopped as `on_hangup` says; nothing new starts, and output goes nowhere from now
    /// on (writing to a closed terminal fails). The face then waits until nothing runs.
    pub fn hang_up(&mut self) -> Result<(), Fatal> {
        detach_from_terminal();
        let (reason, terminate) = match self.on_hangup {
            Hangup::Finish => ("the terminal hung up; the running step may finish", false),
            Hangup::Kill => ("the terminal hung up; the running step is stopped", true),
        };
        self.handle(Input::Leave {
            reason: reason.into(),
            terminate,
        })
    }

    /// Stops the run for good: every running command is killed, nothing more is started.
    fn halt(&mut self, why: String) -> Fatal {
        self.runner.kill_all();
        self.fatal = Some(why.clone());
        Fatal(why)
    }

    /// `event` with the run's secrets masked in every text it carries (its own digests and
    /// file names are left alone: a short secret must not break the hash chain).
    fn redacted(&self, event: crate::engine::Event) -> crate::engine::Event {
        self.mask.masked(event)
    }

    fn execute(&mut self, effect: Effect) -> Vec<Input> {
        match effect {
            Effect::Spawn { step, attempt } => self.spawn(step, attempt),
            Effect::Kill { step } => {
                self.runner.kill(step);
                Vec::new()
            }
            Effect::KillGroup { step, pgid } => {
                let (log, tail) = self.orphan_output(step);
                self.runner.kill_orphan(step, pgid, log, tail);
                Vec::new()
            }
            Effect::WatchGroup { step, pgid } => {
                let (log, tail) = self.orphan_output(step);
                self.runner.watch_orphan(step, pgid, log, tail);
                Vec::new()
            }
            Effect::Notify {
                on,
                command,
                mut payload,
            } => {
                self.mask.record(&mut payload);
                let env = self.notify_env(on, &payload);
                self.runner
                    .notify(on.to_string(), command, payload, env, self.plan_dir.clone());
                Vec::new()
            }
        }
    }

    /// Where an orphan's further output goes: its attempt's log, and the tail on screen.
    fn orphan_output(&mut self, step: usize) -> (PathBuf, Arc<Mutex<OutputTail>>) {
        let log = self.state.steps[step]
            .last_attempt()
            .map(|a| self.run.path.join(&a.log))
            .unwrap_or_default();
        let tail = self
            .tail(step)
            .unwrap_or_else(|| Arc::new(Mutex::new(OutputTail::default())));
        (log, tail)
    }

    /// The output of a step's latest attempt: live while it runs, read back from its log
    /// otherwise.
    pub fn tail(&mut self, step: usize) -> Option<Arc<Mutex<OutputTail>>> {
        if let Some(t) = self.tails.get(&step) {
            return Some(t.clone());
        }
        let attempt = self.state.steps.get(step)?.last_attempt()?;
        let tail = Arc::new(Mutex::new(OutputTail::default()));
        if let Ok(bytes) = read_end(&self.run.path.join(&attempt.log), 1 << 20)
            && let Ok(mut t) = tail.lock()
        {
            t.push(&bytes);
        }
        self.tails.insert(step, tail.clone());
        Some(tail)
    }

    /// Commands and notifiers still running.
    pub fn busy(&self) -> usize {
        self.runner.running()
    }

    /// When the engine next needs a tick: a retry falling due, the next escalation rung,
    /// the SLA running out.
    pub fn next_deadline_ms(&self) -> Option<i64> {
        let st = &self.state;
        if st.info.is_none() || st.end.is_some() {
            return None;
        }
        // Deadlines are on the run's clock (the drill clock in a drill): woken in real time.
        let mut at: Vec<i64> = Vec::new();
        if let Some((_, due)) = st.retry_due() {
            at.push(st.real_at(due));
        }
        if let Some(r) = self.plan.ladder().iter().find(|r| *r.level > st.escalation) {
            at.push(st.real_at(r.after.as_millis()));
        }
        if !st.sla_breached {
            at.push(st.real_at(st.sla_ms()));
        }
        // Each region's own clock: its next rung and its SLA.
        let region_sla = crate::engine::sla::region_sla_ms(&self.plan);
        let real = |drill: u64| crate::engine::clock::real_ms(drill, st.speed()) as i64;
        for r in st.regions.iter().filter(|r| r.finished.is_none()) {
            let Some(t0) = r.started_ms else { continue };
            if let Some(x) = self.plan.ladder().iter().find(|x| *x.level > r.escalation) {
                at.push(t0 + real(x.after.as_millis()));
            }
            if !r.sla_breached {
                at.push(t0 + real(region_sla));
            }
        }
        at.into_iter().min()
    }
}

/// The last `max` bytes of a file.
fn read_end(path: &std::path::Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = crate::timeline::files::open_regular(path)?;
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(max)))?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok(out)
}

/// Points stdout and stderr at /dev/null: after a hang-up every write to the terminal fails,
/// and a failed print must not end the run.
pub fn detach_from_terminal() {
    use std::os::fd::AsRawFd;
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        for fd in [1, 2] {
            // SAFETY: dup2 onto the standard descriptors; `null` stays open until both are done.
            unsafe {
                nix::libc::dup2(null.as_raw_fd(), fd);
            }
        }
    }
}

/// A new run's or a resumed run's session and the runner's message channel.
pub type Opened = (Session, UnboundedReceiver<RunnerMsg>);

pub use crate::timeline::rundir::hostname;
