//! Processes left by a run that was killed (-9, power loss of the terminal, ...). Its commands
//! kept running in their own process groups; a resumed run finds them through /proc. A pgid can
//! be reused by an unrelated group, so a group is only taken as ours when one of its live
//! processes carries `ROLLBACK_RUN_ID=<run id>` in its environment.

use std::fs;
use std::time::Duration;

pub use super::group::group_alive;
use super::group::{self, POLL};

/// The environment a process was started with (NUL-separated `KEY=value` entries).
fn environ(pid: u32) -> Option<Vec<u8>> {
    fs::read(format!("/proc/{pid}/environ")).ok()
}

/// The value of `key` in a raw environ block.
fn env_value<'a>(environ: &'a [u8], key: &str) -> Option<&'a [u8]> {
    environ
        .split(|&b| b == 0)
        .find_map(|entry| entry.strip_prefix(key.as_bytes())?.strip_prefix(b"="))
}

/// True when some live process of group `pgid` belongs to run `run_id`.
pub fn group_of_run(pgid: i32, run_id: &str) -> bool {
    group::members(pgid).into_iter().any(|pid| {
        environ(pid)
            .is_some_and(|env| env_value(&env, "ROLLBACK_RUN_ID") == Some(run_id.as_bytes()))
    })
}

/// Every live process of run `run_id`: `(pid, pgid, ROLLBACK_STEP)`. Ourselves excluded.
pub fn processes_of_run(run_id: &str) -> Vec<(u32, i32, Option<String>)> {
    let me = std::process::id();
    group::pids()
        .filter(|&pid| pid != me)
        .filter_map(|pid| {
            let env = environ(pid)?;
            if env_value(&env, "ROLLBACK_RUN_ID") != Some(run_id.as_bytes()) {
                return None;
            }
            let (state, pgid) = group::stat(pid)?;
            if state == b'Z' || state == b'X' {
                return None;
            }
            let step =
                env_value(&env, "ROLLBACK_STEP").map(|v| String::from_utf8_lossy(v).into_owned());
            Some((pid, pgid, step))
        })
        .collect()
}

/// SIGTERM to the group, SIGKILL after `grace`, then waits until it is gone (giving up a few
/// seconds after SIGKILL: a process stuck in the kernel cannot be helped). For `Effect::KillGroup`.
pub async fn kill_group(pgid: i32, grace: Duration) {
    group::terminate(pgid, grace).await;
}

/// The reading end of an orphan's output pipe, reopened through a member that still holds
/// it at `KEEPER_FD`.
pub(crate) fn output_of(pgid: i32) -> Option<fs::File> {
    use std::os::unix::fs::FileTypeExt;
    group::members(pgid).into_iter().find_map(|pid| {
        let path = format!("/proc/{pid}/fd/{}", super::process::KEEPER_FD);
        let file = fs::File::open(path).ok()?;
        file.metadata().ok()?.file_type().is_fifo().then_some(file)
    })
}

/// Waits, however long it takes, until no live process is left in the group, logging what it
/// writes meanwhile. For `Effect::WatchGroup` (and after `Effect::KillGroup`).
pub(crate) async fn follow(pgid: i32, mut output: Option<super::log::LogReader>) {
    // An orphan may run for long: look less often than while killing, unless it writes.
    loop {
        if let Some(r) = output.as_mut() {
            r.drain(None);
        }
        if !group_alive(pgid) {
            break;
        }
        match &output {
            Some(r) => {
                tokio::select! {
                    _ = r.readable() => {}
                    _ = tokio::time::sleep(POLL * 10) => {}
                }
            }
            None => tokio::time::sleep(POLL * 10).await,
        }
    }
    if let Some(r) = output {
        r.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exact_values_only() {
        let env = b"A=1\0ROLLBACK_RUN_ID=run-1\0ROLLBACK_RUN_ID_X=no\0ROLLBACK_STEP=a.b\0";
        assert_eq!(env_value(env, "ROLLBACK_RUN_ID"), Some(&b"run-1"[..]));
        assert_eq!(env_value(env, "ROLLBACK_STEP"), Some(&b"a.b"[..]));
        assert_eq!(env_value(env, "ROLLBACK"), None);
        assert_eq!(env_value(env, "B"), None);
    }
}
