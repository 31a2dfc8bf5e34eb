//! The command probe: `sh -c` in its own process group, stdin from /dev/null, its stdout
//! (bounded) read as a number or JSON. At the timeout the whole group is killed; after a
//! normal exit its leftovers are too, so a probe never leaves processes behind.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value as Json;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use crate::mask::Mask;
use crate::runner::SHELL;
use crate::runner::group;

/// A probe prints one value; more than this is not an answer.
pub const STDOUT_CAP: usize = 64 * 1024;
/// How much of stderr is read when the command fails: masked, then cut to `STDERR_SHOWN`.
const STDERR_CAP: usize = 8 * 1024;
/// How much of it is quoted.
const STDERR_SHOWN: usize = 512;
/// Time between SIGTERM and SIGKILL for a probe's group.
const GRACE: Duration = Duration::from_millis(500);

/// Runs `command` and reads its answer.
pub async fn run(command: &str, timeout: Duration, workdir: &Path) -> Result<Json, String> {
    run_with(command, timeout, workdir, &[], &Mask::default()).await
}

/// `run` with the plan's variables in the environment, as steps have them. What the command
/// says is masked of the run's secrets (`mask`) before it is cut for a message.
pub async fn run_with(
    command: &str,
    timeout: Duration,
    workdir: &Path,
    env: &[(String, String)],
    mask: &Mask,
) -> Result<Json, String> {
    let mut child = Command::new(SHELL)
        .arg("-c")
        .arg(command)
        .current_dir(workdir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start `{command}`: {e}"))?;
    let pgid = child.id().map_or(0, |pid| pid as i32);
    let _guard = GroupGuard(pgid);
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let finished = tokio::time::timeout(timeout, async {
        let (out, err) = tokio::join!(
            read_capped(stdout, STDOUT_CAP),
            read_capped(stderr, STDERR_CAP)
        );
        (out, err, child.wait().await)
    })
    .await;
    // Whatever happened, the group goes: on timeout the probe itself, after an exit whatever
    // it left running.
    group::terminate(pgid, GRACE).await;
    let (out, err, status) = finished.map_err(|_| {
        format!(
            "`{command}` did not answer within {}",
            crate::plan::duration::format(timeout)
        )
    })?;
    let status = status.map_err(|e| format!("cannot wait for `{command}`: {e}"))?;
    let (out, overflow) = out;
    if !status.success() {
        let why = match status.code() {
            Some(code) => format!("exited with {code}"),
            None => "was killed by a signal".into(),
        };
        let said = String::from_utf8_lossy(&err.0);
        let said = mask.text(&said);
        let said = crate::text::cut(said.trim(), STDERR_SHOWN);
        return Err(if said.is_empty() {
            format!("`{command}` {why}")
        } else {
            format!("`{command}` {why}: {said}")
        });
    }
    if overflow {
        return Err(format!(
            "`{command}` printed more than {} KiB: a probe prints one number or JSON value",
            STDOUT_CAP / 1024
        ));
    }
    parse_answer(&out, mask)
}

/// Kills the group if the probe is dropped before it finished (the watch stopping while a
/// probe runs): `kill_on_drop` alone would leave the command's own children running.
struct GroupGuard(i32);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if group::group_alive(self.0) {
            group::signal(self.0, nix::sys::signal::Signal::SIGKILL);
            // SIGKILL is delivered at once but a process takes a moment to exit: wait for
            // that (briefly), so that a watch that has ended has no probe left behind.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while group::group_alive(self.0) && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
    }
}

/// The answer as JSON: a number, or any JSON document. What is quoted of an answer that is
/// neither is masked before it is cut.
pub fn parse_answer(bytes: &[u8], mask: &Mask) -> Result<Json, String> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        return Err("the probe printed nothing; it must print a number or JSON".into());
    }
    serde_json::from_str(text).map_err(|_| {
        format!(
            "the probe printed `{}`, which is neither a number nor JSON",
            crate::text::cut(&mask.text(text), 60)
        )
    })
}

/// Reads to the end (so the writer never blocks), keeping `cap` bytes; says if it overflowed.
async fn read_capped(stream: Option<impl AsyncRead + Unpin>, cap: usize) -> (Vec<u8>, bool) {
    let Some(mut stream) = stream else {
        return (Vec::new(), false);
    };
    let mut kept = Vec::new();
    let mut overflow = false;
    let mut buf = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = cap.saturating_sub(kept.len());
        overflow |= n > room;
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    (kept, overflow)
}
