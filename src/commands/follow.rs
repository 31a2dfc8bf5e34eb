//! `rollback follow RUN [--headless]`: a read-only live view of a run, for observers and the
//! incident channel. The timeline is tailed (inotify on the run directory wakes the reader
//! at once; a one-second poll covers network filesystems, where no notification comes, and
//! notices a runner killed outright, which changes no file). Never takes the lock, never
//! writes. Ends, saying how, when the run is sealed or its runner is gone.
//! Exit: 0 completed, 1 failed or stopped without ending, 3 aborted, 2 no such run.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use tokio::io::unix::AsyncFd;

use super::args::FollowArgs;
use crate::engine::{Event, Outcome};
use crate::exit::Exit;
use crate::timeline::follow::{Follower, Liveness};
use crate::timeline::rundir::{find, runs_root};

/// How often the run is looked at without a notification.
pub const POLL: Duration = Duration::from_secs(1);

/// Wakes when something in the run directory changes, or after [`POLL`].
pub struct Waker {
    fd: Option<AsyncFd<Watch>>,
}

struct Watch(Inotify);

impl AsRawFd for Watch {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl Waker {
    /// Watches `dir`; without inotify only polls. Call within a tokio runtime.
    pub fn new(dir: &std::path::Path) -> Waker {
        let fd = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
            .ok()
            .filter(|i| {
                let what = AddWatchFlags::IN_MODIFY
                    | AddWatchFlags::IN_CREATE
                    | AddWatchFlags::IN_DELETE
                    | AddWatchFlags::IN_MOVED_TO
                    | AddWatchFlags::IN_CLOSE_WRITE;
                i.add_watch(dir, what).is_ok()
            })
            // SAFETY: the inotify descriptor is owned by `Watch`, which the AsyncFd owns: it
            // stays open and the same until the AsyncFd is dropped.
            .and_then(|i| unsafe { AsyncFd::register(Watch(i)) }.ok());
        Waker { fd }
    }

    /// Returns after a change in the directory, or after `POLL` at most.
    pub async fn wait(&mut self) {
        let Some(fd) = &self.fd else {
            return tokio::time::sleep(POLL).await;
        };
        tokio::select! {
            ready = fd.readable() => {
                if let Ok(mut guard) = ready {
                    // Drain: one wake-up for however many appends arrived.
                    while guard.get_inner().0.read_events().is_ok() {}
                    guard.clear_ready();
                }
            }
            _ = tokio::time::sleep(POLL) => {}
        }
    }
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
                    "the run ended: {word}; its report: rollback report {}",
                    f.id
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

pub fn run(args: &FollowArgs) -> color_eyre::Result<Exit> {
    let root = runs_root(args.runs.runs_dir.as_deref());
    let dir = match find(&root, &args.run) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rollback follow: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let follower = match Follower::open(&dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rollback follow: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let rt = super::run::runtime()?;
    if !args.headless {
        return crate::tui::follow::run(&rt, follower);
    }
    Ok(rt.block_on(headless(follower)))
}

async fn headless(mut f: Follower) -> Exit {
    use std::io::Write;
    println!("following {} (read-only; ends when the run does)", f.id);
    let mut waker = Waker::new(&f.dir);
    loop {
        let (new, live) = match f.step() {
            Ok(x) => x,
            Err(e) => {
                eprintln!("rollback follow: {e}");
                return Exit::Internal;
            }
        };
        let sla = f.state.sla_ms();
        let mut out = std::io::stdout().lock();
        for r in &new {
            let _ = writeln!(out, "{}", crate::headless::event_line(r, sla, &[]));
        }
        let _ = out.flush();
        drop(out);
        if live != Liveness::Running {
            let (text, code) = ending(&f, &live);
            println!("{text}");
            return code;
        }
        waker.wait().await;
    }
}
