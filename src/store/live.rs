//! Shipping as it happens: the commands that run plans start a shipper process (`shipper`)
//! when a store is configured. The journal tells it of each synced record through a pipe (a
//! write that never waits: a full pipe drops the message, and the end ships everything
//! anyway); it reads the run back from disk, as `sync` would, and ships what is new. A store
//! that is down, slow or refusing never reaches the run: the shipper backs off, the run is
//! told once that shipping is behind, and `rollback sync` catches up what was not shipped.
//!
//! A process, not a thread of the run's: every step is a fork of the run's process, and a
//! fork of a process with a second thread costs the run about a tenth more per step.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::config::Store;
use super::shipper::{MAX_MESSAGE, RECORD, SEALED};

struct Link {
    /// The shipper's stdin; closed at the end.
    to: Mutex<Option<File>>,
    from: Mutex<Heard>,
    child: Mutex<Child>,
}

/// What the shipper said so far.
#[derive(Default)]
struct Heard {
    file: Option<File>,
    partial: Vec<u8>,
    /// Why shipping is behind, while it is.
    behind: Option<String>,
    /// The run was told (once per process).
    told: bool,
    /// Its last word: `done`, or `left` and why.
    end: Option<Result<(), String>>,
}

static LINK: OnceLock<Link> = OnceLock::new();
/// The store shipped to: its password is in the run's mask even when no shipper could start.
static STORE: OnceLock<Store> = OnceLock::new();

/// Starts the shipper for `store` (once per process; later calls do nothing). `Err` when it
/// cannot be started.
pub fn start(store: Store) -> Result<(), String> {
    if LINK.get().is_some() {
        return Ok(());
    }
    let store = STORE.get_or_init(|| store);
    let url = store.url();
    if url.contains(['\n', '\0']) || url.len() + 1 >= MAX_MESSAGE {
        return Err("the store's URL is too long or holds a line break".into());
    }
    // This very program, even if the file was replaced since it started.
    let mut child = Command::new("/proc/self/exe")
        .arg0("rollback")
        .arg("shipper")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Away from the terminal's signals: it ends when the run's process closes its stdin.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the shipper: {e}"))?;
    let (Some(to), Some(from)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        return Err("cannot start the shipper: no pipe".into());
    };
    let to = File::from(OwnedFd::from(to));
    let from = File::from(OwnedFd::from(from));
    // The URL (with its password) goes through the pipe: never on a command line or in the
    // environment of a process another user may list.
    let said = write_quietly(&to, format!("{url}\n").as_bytes());
    let nonblocking = [to.as_fd(), from.as_fd()].into_iter().all(|fd| {
        use nix::fcntl::{FcntlArg, OFlag, fcntl};
        fcntl(fd, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).is_ok()
    });
    if !said || !nonblocking {
        let _ = child.kill();
        let _ = child.wait();
        return Err("cannot start the shipper: its pipe failed".into());
    }
    let link = Link {
        to: Mutex::new(Some(to)),
        from: Mutex::new(Heard {
            file: Some(from),
            ..Heard::default()
        }),
        child: Mutex::new(child),
    };
    if let Err(link) = LINK.set(link) {
        let _ = link.child.lock().map(|mut c| c.kill());
    }
    Ok(())
}

/// The store's mask, whenever one is configured to ship to: a run adds it to its own.
pub fn mask() -> Option<crate::mask::Mask> {
    STORE.get().map(|s| s.mask().clone())
}

/// Whether a shipper runs for this process.
pub fn running() -> bool {
    LINK.get().is_some()
}

/// What a journal calls with each record of the run in `dir`: nothing when no shipper
/// runs. One write to a pipe that never waits.
pub fn after_record(dir: &Path) -> Option<crate::timeline::AfterEach> {
    let link = LINK.get()?;
    let dir = dir.as_os_str().as_bytes();
    if dir.is_empty() || dir.len() + 2 > MAX_MESSAGE || dir.contains(&0) {
        return None;
    }
    let message = |kind: u8| {
        let mut m = Vec::with_capacity(dir.len() + 2);
        m.push(kind);
        m.extend_from_slice(dir);
        m.push(0);
        m
    };
    let (record, sealed) = (message(RECORD), message(SEALED));
    Some(Box::new(move |r| {
        let seal = matches!(r.event, crate::engine::Event::RunSealed(_));
        if let Ok(to) = link.to.lock()
            && let Some(to) = to.as_ref()
        {
            write_quietly(to, if seal { &sealed } else { &record });
        }
    }))
}

/// One non-blocking write to the shipper's pipe (shorter than PIPE_BUF: whole or not at
/// all). A shipper that is gone must not end the run: where SIGPIPE would kill (`watch`
/// prints as other Unix tools do), it is held off for the write and the one it raised is
/// taken back.
fn write_quietly(to: &File, message: &[u8]) -> bool {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};
    let mut pipe = SigSet::empty();
    pipe.add(Signal::SIGPIPE);
    let mut before = SigSet::empty();
    let held = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&pipe), Some(&mut before)).is_ok()
        && !before.contains(Signal::SIGPIPE);
    let written = { to }.write(message);
    if held {
        if matches!(&written, Err(e) if e.kind() == ErrorKind::BrokenPipe) {
            let zero = nix::libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: a valid signal set and timeout; returns at once whether or not one
            // is pending.
            unsafe {
                nix::libc::sigtimedwait(pipe.as_ref(), std::ptr::null_mut(), &zero);
            }
        }
        let _ = pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&pipe), None);
    }
    matches!(written, Ok(n) if n == message.len())
}

/// Once per process, when shipping has fallen behind: what to tell the operator.
pub fn behind_notice() -> Option<String> {
    let link = LINK.get()?;
    let mut heard = link.from.lock().ok()?;
    listen(&mut heard);
    if heard.told {
        return None;
    }
    let why = heard.behind.clone()?;
    heard.told = true;
    Some(format!(
        "shipping to the store is behind ({why}); the run goes on, recorded here, and `rollback sync` catches up"
    ))
}

/// Reads what the shipper said, without waiting.
fn listen(heard: &mut Heard) {
    let mut buf = [0u8; 4096];
    while let Some(file) = heard.file.as_ref() {
        match (&*file).read(&mut buf) {
            Ok(0) => {
                heard.file = None;
                if heard.end.is_none() && heard.behind.is_none() {
                    heard.behind = Some("the shipper stopped".into());
                }
            }
            Ok(n) => {
                heard.partial.extend_from_slice(&buf[..n]);
                while let Some(end) = heard.partial.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = heard.partial.drain(..=end).collect();
                    let line = String::from_utf8_lossy(&line[..end]).into_owned();
                    hear(heard, &line);
                }
                // A line longer than any the shipper writes: it is not heard any more.
                if heard.partial.len() > 64 * 1024 {
                    heard.partial.clear();
                    heard.file = None;
                    heard.behind = Some("the shipper said too much".into());
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

fn hear(heard: &mut Heard, line: &str) {
    match line.split_once(' ').unwrap_or((line, "")) {
        ("behind", why) => heard.behind = Some(why.to_string()),
        ("ok", _) => heard.behind = None,
        ("done", _) => heard.end = Some(Ok(())),
        ("left", why) => heard.end = Some(Err(why.to_string())),
        _ => {}
    }
}

/// At the end of the process: closes the shipper's stdin (ship what is queued, then end),
/// waits up to `grace` for its last word (not at all when the store is failing), and says
/// what is left for `rollback sync`.
pub fn finish(grace: Duration) -> Option<String> {
    let link = LINK.get()?;
    drop(link.to.lock().ok()?.take());
    let deadline = Instant::now() + grace;
    let mut heard = link.from.lock().ok()?;
    loop {
        listen(&mut heard);
        if heard.end.is_some() || heard.file.is_none() || heard.behind.is_some() {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let Some(file) = heard.file.as_ref() else {
            break;
        };
        // Woken by the shipper's next line or its end.
        let mut fds = [nix::poll::PollFd::new(
            file.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        let ms = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
        let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(ms));
    }
    let why = match &heard.end {
        Some(Ok(())) => None,
        Some(Err(why)) => Some(why.clone()),
        None => Some(heard.behind.clone().unwrap_or_else(|| {
            if heard.file.is_none() {
                "the shipper ended early".into()
            } else {
                "still shipping at exit".into()
            }
        })),
    };
    // A shipper that has not ended is stopped: the run's process ends now.
    if let Ok(mut child) = link.child.lock() {
        if heard.end.is_none() {
            let _ = child.kill();
        }
        // Reaped if it has ended; never waited on (the process ends now anyway).
        let _ = child.try_wait();
    }
    why.map(|why| {
        format!(
            "not everything was shipped to {} ({why}): `rollback sync` ships it",
            STORE.get().map_or("the store", |s| s.shown())
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::{SigHandler, Signal, signal};
    use nix::sys::wait::{WaitStatus, waitpid};
    use nix::unistd::{ForkResult, fork, pipe};

    /// In a child process with SIGPIPE's default disposition (as `watch` has), writes to a
    /// pipe whose reader is gone; how the child ended.
    fn write_to_a_gone_reader(quietly: bool) -> WaitStatus {
        let (reader, writer) = pipe().unwrap();
        drop(reader);
        let writer = File::from(writer);
        // SAFETY: the child only calls async-signal-safe functions, then `_exit`.
        match unsafe { fork() }.unwrap() {
            ForkResult::Child => unsafe {
                let _ = signal(Signal::SIGPIPE, SigHandler::SigDfl);
                if quietly {
                    write_quietly(&writer, b"r/runs/x\0");
                } else {
                    let _ = { &writer }.write(b"r/runs/x\0");
                }
                nix::libc::_exit(0)
            },
            ForkResult::Parent { child } => waitpid(child, None).unwrap(),
        }
    }

    #[test]
    fn a_shipper_that_is_gone_never_ends_the_run() {
        assert!(matches!(
            write_to_a_gone_reader(false),
            WaitStatus::Signaled(_, Signal::SIGPIPE, _)
        ));
        assert!(matches!(
            write_to_a_gone_reader(true),
            WaitStatus::Exited(_, 0)
        ));
    }
}
