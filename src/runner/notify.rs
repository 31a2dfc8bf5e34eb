//! Notify commands, run beside the rollback and never in its way: `sh -c` in its own process
//! group, the payload as one JSON line on stdin, stdout discarded, the first 4 KiB of stderr
//! kept (masked of the run's secrets before it is cut, so no part of one is kept), and a
//! timeout after which the group is killed. A notifier that ignores its stdin or
//! exits early cannot hurt us: EPIPE is ignored (Rust programs ignore SIGPIPE by default).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::{SHELL, group};
use crate::engine::Input;

/// How long a notifier may run unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a notifier's stderr is kept.
pub const STDERR_CAP: usize = 4096;
/// How long stderr is still read once the notifier's group is gone.
const STDERR_LINGER: Duration = Duration::from_millis(200);

/// One notification to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// What it is for (an event name or an escalation), echoed back in the report.
    pub on: String,
    pub command: String,
    pub payload: Value,
    /// ROLLBACK_LEVEL, ROLLBACK_PLAN, ROLLBACK_RUN_DIR, ...; added to the inherited environment.
    pub env: Vec<(String, String)>,
    pub workdir: PathBuf,
    /// The run's secrets, masked in what the notifier says on stderr.
    pub mask: crate::mask::Mask,
}

impl Notification {
    /// Runs the notifier to its end (or its timeout) and reports `Input::NotifyDone`.
    pub async fn run(self, timeout: Duration, grace: Duration) -> Input {
        let started = Instant::now();
        let done = |exit_code, timed_out, ran: Duration, stderr| Input::NotifyDone {
            on: self.on.clone(),
            command: self.command.clone(),
            exit_code,
            timed_out,
            duration_ms: ran.as_millis() as u64,
            stderr,
        };
        let spawned = Command::new(SHELL)
            .arg("-c")
            .arg(&self.command)
            .current_dir(&self.workdir)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => return done(None, false, Duration::ZERO, format!("cannot start: {e}")),
        };
        let pgid = child.id().map_or(0, |pid| pid as i32);
        let mut body = serde_json::to_vec(&self.payload).unwrap_or_default();
        body.push(b'\n');
        let stdin = child.stdin.take();
        let feed = tokio::spawn(async move {
            if let Some(mut stdin) = stdin {
                // Err(BrokenPipe) when the notifier does not read: fine.
                let _ = stdin.write_all(&body).await;
            }
        });
        let reader = tokio::spawn(read_capped(child.stderr.take(), self.mask.stream()));
        let waited = tokio::time::timeout(timeout, child.wait()).await;
        // Its time is until it exited or timed out; the kill that follows is not its time.
        let ran = started.elapsed();
        let (exit_code, timed_out) = match waited {
            Ok(Ok(status)) => (status.code(), false),
            Ok(Err(_)) => (None, false),
            Err(_) => (None, true),
        };
        // On timeout the notifier goes; after a normal exit, so do its leftovers (they would
        // hold the stderr pipe open and run unrecorded).
        group::terminate(pgid, grace).await;
        if timed_out {
            let _ = tokio::time::timeout(grace, child.wait()).await;
        }
        feed.abort();
        let stderr = match tokio::time::timeout(STDERR_LINGER, reader).await {
            Ok(Ok(text)) => text,
            _ => String::new(),
        };
        done(exit_code, timed_out, ran, stderr)
    }
}

/// Reads to EOF (so the writer never blocks on a full pipe), keeping the first `STDERR_CAP`
/// bytes of what it says once masked.
async fn read_capped(
    stream: Option<impl AsyncRead + Unpin>,
    mut redactor: crate::mask::Redactor,
) -> String {
    let Some(mut stream) = stream else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut masked = Vec::new();
    let mut buf = [0u8; 4096];
    let keep = |masked: &[u8], kept: &mut Vec<u8>| {
        let room = STDERR_CAP.saturating_sub(kept.len());
        kept.extend_from_slice(&masked[..masked.len().min(room)]);
    };
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
        masked.clear();
        redactor.push(&buf[..n], &mut masked);
        keep(&masked, &mut kept);
    }
    masked.clear();
    redactor.finish(&mut masked);
    keep(&masked, &mut kept);
    String::from_utf8_lossy(&kept).into_owned()
}
