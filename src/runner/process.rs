//! Starting one step command for real: `sh -c <command>` in its own process group, stdin from
//! /dev/null, stdout and stderr straight into the attempt's log file. Variables reach the command
//! only as environment variables, never spliced into its text, so a value cannot inject code.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::SHELL;

/// One attempt of one step command.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandSpec {
    /// `phase.step`; exported as `ROLLBACK_STEP` (the caller's env may override it).
    pub key: String,
    pub attempt: u32,
    /// Run as `sh -c <command>`.
    pub command: String,
    /// Added to the inherited environment; later entries win. Put `ROLLBACK_RUN_ID` here so a
    /// resumed run can recognise the command's processes (see `orphan`).
    pub env: Vec<(String, String)>,
    pub workdir: PathBuf,
    pub timeout: Option<Duration>,
    /// Absolute; created here, and it must not exist yet.
    pub log_path: PathBuf,
}

/// Creates a log file, failing if it exists: an attempt's log is never appended to by another.
pub(crate) fn create_log(path: &Path) -> io::Result<File> {
    // append + create_new = O_WRONLY|O_APPEND|O_CREAT|O_EXCL.
    OpenOptions::new().append(true).create_new(true).open(path)
}

/// Spawns the command writing into `log`; returns the child and its pid (= its pgid).
///
/// The output goes directly to the file, not through a pipe: if `rollback` is killed -9 the
/// command keeps running and logging, never dies of SIGPIPE, and the log is complete. The runner
/// (and a resumed run) reads the log as it grows. stdout and stderr share one open file
/// description (O_APPEND), so their interleaving is kept.
pub(crate) fn start(spec: &CommandSpec, log: File) -> io::Result<(Child, u32)> {
    let mut cmd = Command::new(SHELL);
    cmd.arg("-c")
        .arg(&spec.command)
        .current_dir(&spec.workdir)
        .env("ROLLBACK_STEP", &spec.key)
        .env("ROLLBACK_ATTEMPT", spec.attempt.to_string())
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        // Its own group, so the whole tree (grandchildren too) can be signalled with killpg.
        .process_group(0);
    let child = cmd.spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("the command exited before its pid was known"))?;
    Ok((child, pid))
}
