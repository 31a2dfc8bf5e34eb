//! What a screen reads from its terminal: an event (a key, a resize), or that the terminal
//! went away. Gone means SIGHUP, a tty that hung up (its reads give EOF or EIO), or a frame
//! that cannot be written; every screen ends on it the same way, through `Keys::next`.
//!
//! crossterm's reader never reports a dead tty: it reads it again at once, forever. So one
//! thread watches the tty for a hang-up, and SIGHUP; when the tty is dead it gives the
//! reader an empty pipe instead (it goes back to sleep), points stdout and stderr at
//! /dev/null (a print must not fail), and only then says the terminal is gone. Once gone,
//! always gone: a screen opened afterwards ends at once.

use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::{Once, OnceLock};

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use ratatui::{DefaultTerminal, Frame};
use tokio::sync::watch;

/// What a screen read.
pub enum Input {
    Event(Event),
    /// The terminal went away: the screen ends as it would on SIGHUP.
    Gone,
}

/// The terminal went away (see `Input::Gone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone;

/// How the record says it, where a screen records the terminal going away.
pub const CLOSED: &str = "the terminal closed";

fn state() -> &'static watch::Sender<bool> {
    static GONE: OnceLock<watch::Sender<bool>> = OnceLock::new();
    GONE.get_or_init(|| watch::channel(false).0)
}

/// Whether the terminal has gone away.
pub fn is_gone() -> bool {
    *state().borrow()
}

/// The terminal is gone: when its tty is dead the process lets go of it first, so what
/// follows (restoring the terminal, a closing line) cannot fail or spin on it.
pub fn lose() {
    if tty_dead() {
        release_tty();
    }
    state().send_replace(true);
}

/// Whether stdin's tty has hung up (or was closed), without reading from it.
fn tty_dead() -> bool {
    let stdin = std::io::stdin();
    let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::empty())];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
}

fn release_tty() {
    static RELEASED: Once = Once::new();
    RELEASED.call_once(|| {
        // An empty pipe whose writer stays open: crossterm's reader is told "nothing yet"
        // and waits, where the dead tty had it read again at once.
        if let Ok((reader, writer)) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC) {
            let _ = nix::unistd::dup2_stdin(&reader);
            std::mem::forget(writer);
        }
        crate::session::detach_from_terminal();
    });
}

/// Watches the terminal from now on (once per process): the tty must be stdin, where
/// crossterm reads it too, so when stdin is not a terminal `/dev/tty` becomes stdin.
pub fn watch_terminal() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        let is_tty = || nix::unistd::isatty(std::io::stdin()).unwrap_or(false);
        if !is_tty()
            && let Ok(tty) = std::fs::File::options()
                .read(true)
                .write(true)
                .open("/dev/tty")
        {
            let _ = nix::unistd::dup2_stdin(&tty);
        }
        if !is_tty() {
            return;
        }
        let Ok((signals, wake)) = UnixStream::pair() else {
            return;
        };
        if signal_hook::low_level::pipe::register(signal_hook::consts::SIGHUP, wake).is_err() {
            return;
        }
        let _ = std::thread::Builder::new()
            .name("terminal".into())
            .spawn(move || watch_loop(signals));
    });
}

/// Sleeps in poll until SIGHUP or the tty's hang-up; ends once the tty is dead.
fn watch_loop(signals: UnixStream) {
    let dead = PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL;
    loop {
        let stdin = std::io::stdin();
        let mut fds = [
            PollFd::new(stdin.as_fd(), PollFlags::empty()),
            PollFd::new(signals.as_fd(), PollFlags::POLLIN),
        ];
        // A hang-up wakes the poll; the timeout is a second look in case a wake-up is lost.
        match poll(&mut fds, PollTimeout::from(1000u16)) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return,
        }
        let hung = fds[0].revents().is_some_and(|r| r.intersects(dead));
        let signalled = fds[1]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLIN));
        if signalled {
            let mut buf = [0u8; 64];
            let _ = std::io::Read::read(&mut &signals, &mut buf);
        }
        if hung || signalled {
            lose();
        }
        if hung {
            // The signal handler writes here until the process ends: a closed reader would
            // make a later SIGHUP raise SIGPIPE, which kills the commands that do not ignore it.
            std::mem::forget(signals);
            return;
        }
    }
}

/// A screen's terminal events, ending in `Gone` when the terminal goes away.
pub struct Keys {
    events: Option<EventStream>,
    gone: watch::Receiver<bool>,
}

impl Default for Keys {
    fn default() -> Self {
        Keys::new()
    }
}

impl Keys {
    pub fn new() -> Keys {
        let gone = state().subscribe();
        // Once gone, crossterm's reader is of no use: no stream is made.
        let events = (!*gone.borrow()).then(EventStream::new);
        Keys { events, gone }
    }

    /// The next event, or `Gone`: SIGHUP, a dead tty, or a reader that failed or ended.
    pub async fn next(&mut self) -> Input {
        let Some(events) = self.events.as_mut() else {
            return Input::Gone;
        };
        tokio::select! {
            biased;
            _ = self.gone.wait_for(|g| *g) => Input::Gone,
            ev = events.next() => match ev {
                Some(Ok(e)) => Input::Event(e),
                Some(Err(_)) | None => {
                    lose();
                    Input::Gone
                }
            },
        }
    }
}

/// Draws a frame. A terminal that cannot be written to is gone, as if it hung up; nothing
/// is drawn once it is gone.
pub fn draw(terminal: &mut DefaultTerminal, render: impl FnOnce(&mut Frame)) -> Result<(), Gone> {
    if is_gone() {
        return Err(Gone);
    }
    if terminal.draw(render).is_err() {
        lose();
        return Err(Gone);
    }
    Ok(())
}
