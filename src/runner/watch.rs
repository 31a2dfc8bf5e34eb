//! The life of one started step attempt, command or simulation: tail its log while it runs,
//! honour a kill request or the timeout, and once the leader has exited make sure nothing of its
//! process group is left, read the log to its end and sum up. Always ends with a report.

use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::process::Child;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until};

use super::group::{self, AFTER_KILL, POLL};
use super::log::LogReader;
use crate::engine::{ExitReport, StepOutcome};

/// Bytes read per turn of the loop while output keeps coming, so kills and timeouts are still
/// looked at between reads.
const BUDGET: usize = 1 << 20;

/// The longest look-away from a quiet log: a step that sleeps costs a few wake-ups a second,
/// and output after a silence shows within half a second.
const QUIET_POLL: Duration = Duration::from_millis(500);

/// How long to wait before looking at the log again after `quiet` looks in a row found
/// nothing new: `POLL` at first, doubling up to `QUIET_POLL`. New output resets it.
fn nap_after(quiet: u32) -> Duration {
    POLL.saturating_mul(1 << quiet.min(8)).min(QUIET_POLL)
}

/// How the leader ended.
#[derive(Debug, Default)]
pub(crate) struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub error: Option<String>,
}

/// What the step's outcome hangs on.
pub(crate) enum Leader {
    /// `sh -c`, leader of its own process group (`pgid` = its pid).
    Process { child: Child, pgid: i32 },
    /// A drill: the task writing the simulated output; its result is the exit code.
    Sim(JoinHandle<Result<i32, String>>),
}

impl Leader {
    async fn wait(&mut self) -> Exit {
        match self {
            Leader::Process { child, .. } => match child.wait().await {
                Ok(status) => {
                    use std::os::unix::process::ExitStatusExt;
                    Exit {
                        code: status.code(),
                        signal: status.signal(),
                        error: None,
                    }
                }
                Err(e) => Exit {
                    error: Some(format!("waiting for the command: {e}")),
                    ..Exit::default()
                },
            },
            Leader::Sim(task) => match task.await {
                Ok(Ok(code)) => Exit {
                    code: Some(code),
                    ..Exit::default()
                },
                Ok(Err(e)) => Exit {
                    code: Some(1),
                    error: Some(e),
                    ..Exit::default()
                },
                // Cancelled: reported like a command that died of SIGTERM.
                Err(_) => Exit {
                    signal: Some(Signal::SIGTERM as i32),
                    ..Exit::default()
                },
            },
        }
    }
}

/// Everything the watch needs besides the leader.
pub(crate) struct Watch {
    pub log: LogReader,
    pub started: Instant,
    pub timeout: Option<Duration>,
    pub grace: Duration,
    pub kill: watch::Receiver<bool>,
}

#[derive(Clone, Copy, PartialEq)]
enum Stop {
    Killed,
    TimedOut,
}

enum Ev {
    Exited(Exit),
    Kill,
    KillClosed,
    Timeout,
    Nap,
}

/// Watches the attempt to its end; the tail holds every output byte when this returns.
pub(crate) async fn watch(mut leader: Leader, mut w: Watch) -> ExitReport {
    let deadline = w.timeout.map(|t| w.started + t);
    let mut exit: Option<Exit> = None;
    let mut ended = None;
    let mut stop = None;
    let (mut term_at, mut kill_at): (Option<Instant>, Option<Instant>) = (None, None);
    let mut kill_open = true;
    let mut quiet = 0;
    loop {
        let seen = w.log.bytes();
        let more = w.log.drain(Some(BUDGET));
        quiet = if w.log.bytes() > seen { 0 } else { quiet + 1 };
        if exit.is_some() || stop.is_some() {
            match &mut leader {
                // A step ends when its command exits. Leftovers in its group (background jobs)
                // are terminated: they would otherwise hold on and run unrecorded.
                Leader::Process { pgid, .. } => {
                    let alive = group::group_alive(*pgid);
                    if !alive && exit.is_some() {
                        break;
                    }
                    let now = Instant::now();
                    if alive && term_at.is_none() {
                        group::signal(*pgid, Signal::SIGTERM);
                        term_at = Some(now);
                    } else if alive
                        && kill_at.is_none()
                        && term_at.is_some_and(|t| now - t >= w.grace)
                    {
                        group::signal(*pgid, Signal::SIGKILL);
                        kill_at = Some(now);
                    } else if kill_at.is_some_and(|t| now - t >= AFTER_KILL) {
                        break; // stuck in the kernel: report anyway
                    }
                }
                Leader::Sim(task) if exit.is_none() => {
                    task.abort();
                    exit = Some(leader.wait().await);
                    ended = Some(Instant::now());
                    break;
                }
                Leader::Sim(_) => break,
            }
        }
        let ev = {
            let waiting = exit.is_none();
            // Ending (leftovers in the group, the grace period) is watched closely.
            let pause = if waiting && stop.is_none() {
                nap_after(quiet)
            } else {
                POLL
            };
            let nap = async {
                if more {
                    tokio::task::yield_now().await
                } else {
                    sleep(pause).await
                }
            };
            let listening = waiting && kill_open && stop.is_none();
            let timing = waiting && deadline.is_some() && stop.is_none();
            let far = Instant::now() + Duration::from_secs(86_400 * 365);
            tokio::select! {
                biased;
                e = leader.wait(), if waiting => Ev::Exited(e),
                r = w.kill.changed(), if listening => match r {
                    Ok(()) => Ev::Kill,
                    Err(_) => Ev::KillClosed, // the Runner is gone: no kill can come
                },
                _ = sleep_until(deadline.unwrap_or(far)), if timing => Ev::Timeout,
                _ = nap => Ev::Nap,
            }
        };
        match ev {
            Ev::Exited(e) => {
                exit = Some(e);
                ended = Some(Instant::now());
            }
            Ev::Kill => stop = Some(Stop::Killed),
            Ev::KillClosed => kill_open = false,
            Ev::Timeout => stop = Some(Stop::TimedOut),
            Ev::Nap => {}
        }
    }
    let duration = ended.unwrap_or_else(Instant::now) - w.started;
    let exit = exit.unwrap_or_default();
    let outcome = match (stop, exit.code) {
        (Some(Stop::Killed), _) => StepOutcome::Killed,
        (Some(Stop::TimedOut), _) => StepOutcome::TimedOut,
        (None, Some(0)) if exit.error.is_none() => StepOutcome::Ok,
        _ => StepOutcome::Failed,
    };
    let totals = w.log.finish();
    ExitReport {
        outcome,
        exit_code: exit.code,
        signal: exit.signal,
        duration_ms: duration.as_millis() as u64,
        lines: totals.lines,
        bytes: totals.bytes,
        sha256: totals.sha256,
        error: exit.error.or(totals.error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_log_is_looked_at_less_and_less_often() {
        assert_eq!(nap_after(0), POLL);
        assert_eq!(nap_after(1), POLL * 2);
        let naps: Vec<Duration> = (0..40).map(nap_after).collect();
        assert!(naps.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(naps.last(), Some(&QUIET_POLL));
        // After a second of quiet, at most two looks a second.
        let mut t = Duration::ZERO;
        let mut quiet = 0;
        while t < Duration::from_secs(1) {
            t += nap_after(quiet);
            quiet += 1;
        }
        assert!(nap_after(quiet) >= Duration::from_millis(500));
    }
}
