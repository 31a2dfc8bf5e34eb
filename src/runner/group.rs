//! Process groups seen through /proc and signalled with `killpg`. A group counts as alive while
//! a non-zombie process is in it: zombies cannot run, and PID 1 in a container may never reap
//! them. Groups 0 and 1 and our own group are never signalled.

use std::fs;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{Pid, getpgrp};

/// How often a dying group is looked at.
pub(crate) const POLL: Duration = Duration::from_millis(20);
/// How long to wait after SIGKILL before reporting anyway (a process stuck in the kernel).
pub(crate) const AFTER_KILL: Duration = Duration::from_secs(5);

/// The pids listed in /proc.
pub(crate) fn pids() -> impl Iterator<Item = u32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
}

/// `(state, pgrp)` of a process, from /proc/<pid>/stat.
pub(crate) fn stat(pid: u32) -> Option<(u8, i32)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let mut fields = text.get(text.rfind(')')? + 1..)?.split_ascii_whitespace();
    let state = *fields.next()?.as_bytes().first()?;
    let pgrp = fields.nth(1)?.parse().ok()?;
    Some((state, pgrp))
}

/// Live (non-zombie) members of group `pgid`.
pub(crate) fn members(pgid: i32) -> Vec<u32> {
    pids()
        .filter(|&pid| matches!(stat(pid), Some((s, g)) if g == pgid && s != b'Z' && s != b'X'))
        .collect()
}

/// Whether any non-zombie process is in group `pgid`.
pub fn group_alive(pgid: i32) -> bool {
    // Kernel threads sit in group 0; no command of ours can. A group the kernel no longer
    // knows (the common case once a command has exited) needs no scan of /proc.
    pgid > 0
        && killpg(Pid::from_raw(pgid), None) != Err(nix::errno::Errno::ESRCH)
        && pids()
            .any(|pid| matches!(stat(pid), Some((s, g)) if g == pgid && s != b'Z' && s != b'X'))
}

/// Sends `sig` to the group; a group that is already gone is not an error.
pub(crate) fn signal(pgid: i32, sig: Signal) {
    if pgid <= 1 || pgid == getpgrp().as_raw() {
        return;
    }
    let _ = killpg(Pid::from_raw(pgid), sig);
}

/// SIGTERM, up to `grace` for the group to go, then SIGKILL and up to `AFTER_KILL` more.
/// Returns whether the group is gone.
pub(crate) async fn terminate(pgid: i32, grace: Duration) -> bool {
    // An empty group's id may be reused some day: never signal one.
    if !group_alive(pgid) {
        return true;
    }
    signal(pgid, Signal::SIGTERM);
    if wait_gone(pgid, grace).await {
        return true;
    }
    signal(pgid, Signal::SIGKILL);
    wait_gone(pgid, AFTER_KILL).await
}

/// Polls until the group is gone or `limit` has passed; returns whether it is gone.
pub(crate) async fn wait_gone(pgid: i32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if !group_alive(pgid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_stat() {
        let (state, pgrp) = stat(std::process::id()).unwrap();
        assert_ne!(state, b'Z');
        assert_eq!(pgrp, getpgrp().as_raw());
        assert!(group_alive(pgrp));
        assert!(members(pgrp).contains(&std::process::id()));
    }
}
