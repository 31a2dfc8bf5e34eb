//! Starting one step command for real: `sh -c <command>` in its own process group, stdin from
//! /dev/null, stdout and stderr into one pipe that the runner reads (to mask secrets and bound
//! the log). Variables reach the command only as environment variables, never spliced into its
//! text, so a value cannot inject code.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{OwnedFd, RawFd};
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

/// Creates a log file readable by its owner only, failing if it exists: an attempt's log is
/// never appended to by another.
pub(crate) fn create_log(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // append + create_new = O_WRONLY|O_APPEND|O_CREAT|O_EXCL.
    OpenOptions::new()
        .append(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// The descriptor at which a command's processes also hold the reading end of their own output
/// pipe. It keeps a command alive if `rollback` is killed: with a reader left, its writes fill
/// the pipe instead of raising SIGPIPE, and a resumed run reopens the pipe through
/// `/proc/<pid>/fd/63` to log the rest (see `orphan::output_of`).
pub const KEEPER_FD: i32 = 63;

/// Room in the pipe for what an orphan writes before a resumed run reads it.
const PIPE_SIZE: i32 = 1 << 20;

/// Spawns the command writing into `out`; returns the child and its pid (= its pgid).
/// `reader` is the pipe's reading end, kept open in the command at `KEEPER_FD`.
///
/// stdout and stderr share the one pipe, so their interleaving is kept. The output passes
/// through `rollback` so that secrets are masked before anything is written and a chatty
/// command cannot fill the disk.
pub(crate) fn start(spec: &CommandSpec, out: OwnedFd, reader: RawFd) -> io::Result<(Child, u32)> {
    use nix::fcntl::{FcntlArg, fcntl};
    // Best effort: an unprivileged process may be held to a smaller pipe.
    let _ = fcntl(&out, FcntlArg::F_SETPIPE_SZ(PIPE_SIZE));
    let mut cmd = Command::new(SHELL);
    cmd.arg("-c")
        .arg(&spec.command)
        .current_dir(&spec.workdir)
        .env("ROLLBACK_STEP", &spec.key)
        .env("ROLLBACK_ATTEMPT", spec.attempt.to_string())
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        // The team store's URL (with its password) is rollback's, never a step's.
        .env_remove("ROLLBACK_STORE")
        .stdin(Stdio::null())
        .stdout(Stdio::from(out.try_clone()?))
        .stderr(Stdio::from(out))
        // Its own group, so the whole tree (grandchildren too) can be signalled with killpg.
        .process_group(0);
    // SAFETY: between fork and exec only dup2 runs, which is async-signal-safe; the new
    // descriptor has no close-on-exec flag, so the command keeps it.
    unsafe {
        cmd.pre_exec(move || {
            if nix::libc::dup2(reader, KEEPER_FD) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("the command exited before its pid was known"))?;
    Ok((child, pid))
}
