//! The watch loop both faces share: asks each trigger's probe when its window says a sample
//! is due, feeds the answers to the board (PURE), ticks the severity policy every second and
//! stops on SIGTERM or Ctrl-C. `next` is cancel-safe (it awaits only inside one `select!`),
//! so a face can select over it beside its own input. When the policy starts the rollback,
//! `fired` is what the run records in `run_started`. A drill's watch runs on the drill
//! clock: `now` is scaled by its speed, so intervals and cancel windows pass faster, and a
//! played probe (`ProbeSpec::Drill`) is answered from that clock instead of being asked.
//! An asked probe's answer is judged by its task, on a thread of its own (`evaluate`), so
//! no condition holds the loop.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval};

use crate::engine::FiredTrigger;
use crate::monitor::board::{Board, Change};
use crate::monitor::{Action, Sample, Spec, Verdict};
use crate::probe::Context;

/// What one turn of the loop brought.
#[derive(Debug)]
pub enum Step {
    /// The board changed (verdicts, policy actions).
    Changes(Vec<Change>),
    /// A second passed: countdowns move.
    Tick,
    /// SIGTERM or Ctrl-C: the watch should end.
    Stop(&'static str),
}

pub struct Watcher {
    pub board: Board,
    start: Instant,
    /// Wall time (UTC ms) at `start`, to record samples in real time.
    pub start_ms: i64,
    clock: Scale,
    cx: Arc<Context>,
    tx: mpsc::UnboundedSender<(usize, Sample)>,
    rx: mpsc::UnboundedReceiver<(usize, Sample)>,
    /// Each trigger's evaluations, one at a time (a lane each, none shared).
    lanes: Vec<crate::probe::evaluate::Lane>,
    probes: tokio::task::JoinSet<()>,
    term: Signal,
    int: Signal,
    tick: Interval,
}

impl Watcher {
    /// Starts watching: the receivers listen from now on. Call inside a tokio runtime.
    pub async fn new(specs: Vec<Spec>, mut cx: Context, speed: f64) -> std::io::Result<Watcher> {
        cx.receivers = crate::probe::Receivers::start(crate::probe::receiver_ports(
            specs.iter().map(|s| &s.probe),
        ))
        .await;
        let (tx, rx) = mpsc::unbounded_channel();
        let clock = Scale::new(speed);
        // A second of the drill clock, but no more often than ten times a second.
        let period = clock
            .real(Duration::from_secs(1))
            .max(Duration::from_millis(100));
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Ok(Watcher {
            lanes: crate::probe::evaluate::Lane::each(specs.len()),
            board: Board::new(specs, Duration::ZERO),
            start: Instant::now(),
            start_ms: chrono::Utc::now().timestamp_millis(),
            clock,
            cx: Arc::new(cx),
            tx,
            rx,
            probes: tokio::task::JoinSet::new(),
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            tick,
        })
    }

    /// Time since the watch began, on its clock.
    pub fn now(&self) -> Duration {
        self.clock.watch(self.start.elapsed())
    }

    /// Wall time (UTC ms) of a moment of the watch.
    pub fn wall_ms(&self, at: Duration) -> i64 {
        self.start_ms + self.clock.real(at).as_millis() as i64
    }

    /// Waits for the next thing worth showing.
    pub async fn next(&mut self) -> Step {
        loop {
            let next = self.board.next_due();
            let due = self.start + next.map_or(Duration::ZERO, |n| self.clock.real(n.0));
            tokio::select! {
                _ = tokio::time::sleep_until(due), if next.is_some() => {
                    let i = next.map_or(0, |n| n.1);
                    if let Some(answer) = self.board.rows[i].spec.probe.played(self.now()) {
                        let changes = self.board.record(i, Ok(answer), self.now());
                        if !changes.is_empty() {
                            return Step::Changes(changes);
                        }
                        continue;
                    }
                    self.board.rows[i].busy = true;
                    let spec = &self.board.rows[i].spec;
                    let judge = spec.judging().masked_by(&self.cx.mask);
                    let (probe, timeout) = (spec.probe.clone(), spec.timeout);
                    let (cx, tx, lane) = (self.cx.clone(), self.tx.clone(), self.lanes[i].clone());
                    self.probes.spawn(async move {
                        let answer = crate::probe::sample(&probe, timeout, &cx).await;
                        let sample = crate::probe::evaluate::judge(judge, &lane, answer).await;
                        let _ = tx.send((i, sample));
                    });
                }
                Some((i, sample)) = self.rx.recv() => {
                    let changes = self.board.record_sample(i, sample, self.now());
                    if !changes.is_empty() {
                        return Step::Changes(changes);
                    }
                }
                Some(_) = self.probes.join_next(), if !self.probes.is_empty() => {}
                _ = self.tick.tick() => {
                    let changes = self.board.tick(self.now());
                    return if changes.is_empty() { Step::Tick } else { Step::Changes(changes) };
                }
                _ = self.term.recv() => return Step::Stop("SIGTERM"),
                _ = self.int.recv() => return Step::Stop("interrupt"),
            }
        }
    }

    /// Stops the probes still asking (dropping them kills their process groups).
    pub async fn shutdown(&mut self) {
        self.probes.shutdown().await;
    }

    /// What the run records about the trigger that started it.
    pub fn fired(&self, trigger: usize, by: Option<String>) -> FiredTrigger {
        let row = &self.board.rows[trigger];
        let now = self.now();
        let (first, fired_at) = match row.window.verdict() {
            Verdict::Fired { first_failure } => (*first_failure, row.fired_at.unwrap_or(now)),
            // Started by hand before it fired: the moment of the decision.
            _ => (now, now),
        };
        let samples = row
            .window
            .samples()
            .map(|s| {
                let mut doc = serde_json::to_value(s).unwrap_or_default();
                doc["at"] = Json::String(rfc3339(self.wall_ms(s.at)));
                doc
            })
            .collect();
        FiredTrigger {
            name: row.spec.name.clone(),
            uses: row.spec.uses.clone(),
            severity: row.spec.severity.name().to_string(),
            condition: row.spec.condition_text.clone(),
            explain: row.spec.explain.clone(),
            value: row
                .last
                .as_ref()
                .and_then(|s| s.value.clone())
                .unwrap_or(Json::Null),
            first_failure_ms: self.wall_ms(first),
            fired_ms: self.wall_ms(fired_at),
            samples,
            started_by: by,
        }
    }
}

/// The watch's clock against real time: a drill's runs `speed` times faster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale(f64);

impl Scale {
    /// A factor below 1 (or not a number) is a real watch's clock.
    pub fn new(speed: f64) -> Scale {
        Scale(if speed.is_finite() && speed >= 1.0 {
            speed
        } else {
            1.0
        })
    }

    /// Watch time after `real` time.
    pub fn watch(self, real: Duration) -> Duration {
        real.mul_f64(self.0)
    }

    /// Real time for `watch` time.
    pub fn real(self, watch: Duration) -> Duration {
        watch.div_f64(self.0)
    }
}

pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The policy's decision to start, if these changes hold one.
pub fn start_in(changes: &[Change]) -> Option<(usize, Option<String>)> {
    changes.iter().find_map(|c| match c {
        Change::Policy(Action::Start { trigger, by }) => Some((*trigger, by.clone())),
        _ => None,
    })
}
