//! Waking a reader of a run directory (`follow`, the dashboard) when something in it
//! changes: inotify where there is one, and a poll besides for network filesystems, where
//! no notification comes, and for a runner killed outright, which changes no file.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use tokio::io::unix::AsyncFd;

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
