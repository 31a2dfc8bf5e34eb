//! EDGE: the files of a run directory are untrusted: whoever can write there may have put a
//! link, a FIFO or a device in place of a record. Readers open only regular files, never
//! through a link and never waiting on a FIFO, and read a bounded amount. Writers never
//! write through a link: a whole file is written new beside its name and renamed into place,
//! an appended one is opened without following a link. Everything is owner-only.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What is read of a file kept whole in memory (a timeline for a report, a plan copy): a
/// run's records are far smaller; a larger file is refused, never read into memory.
pub const MAX_WHOLE: u64 = 64 * 1024 * 1024;

/// Why a file of a run cannot be read as one: it is not a regular file.
fn not_regular(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{} is {what}, not a regular file",
            crate::text::inline(&path.display().to_string())
        ),
    )
}

/// Opens `path` for reading if it is a regular file: a symbolic link, a FIFO, a socket or a
/// device is an error (`InvalidData`), and opening never blocks.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(nix::libc::ELOOP) => not_regular(path, "a symbolic link"),
            _ => e,
        })?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let what = if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    };
    Err(not_regular(path, what))
}

/// The whole of a regular file of at most `max` bytes; a larger one is an error.
pub fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len > max {
        return Err(too_large(path, max));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(path, max));
    }
    Ok(bytes)
}

/// `read_bounded` as text (lossy: a record is JSON, anything else fails its parse).
pub fn read_text(path: &Path, max: u64) -> io::Result<String> {
    read_bounded(path, max).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn too_large(path: &Path, max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{} is larger than {}: not read",
            crate::text::inline(&path.display().to_string()),
            crate::engine::describe::byte_size(max)
        ),
    )
}

/// Whether `path` is a directory itself, not a link to one.
pub fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Replaces the file at `path` with `bytes`, owner-only: written to a new file beside it,
/// synced, then renamed over the name (a link there is replaced, never followed).
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    super::journal::sync_dir(dir)
}

/// Opens a lock file of a run to read and write, owner-only, creating it if needed; a link
/// or anything but a regular file there is an error (a lock is rewritten with its holder).
pub fn open_lock(path: &Path) -> io::Result<File> {
    open_private(
        path,
        OpenOptions::new().read(true).write(true).truncate(false),
    )
}

/// Opens `path` to append to, owner-only, creating it if needed; a link or anything but a
/// regular file there is an error.
pub fn open_append(path: &Path) -> io::Result<File> {
    open_private(path, OpenOptions::new().append(true))
}

/// Opens `path` with `how`, created owner-only if missing, never through a link and never
/// anything but a regular file.
fn open_private(path: &Path, how: &mut OpenOptions) -> io::Result<File> {
    let file = how
        .create(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(nix::libc::ELOOP) => not_regular(path, "a symbolic link"),
            _ => e,
        })?;
    if !file.metadata()?.file_type().is_file() {
        return Err(not_regular(path, "not a regular file"));
    }
    Ok(file)
}

/// Bytes of timelines held whole in memory at once, over every reader.
pub const IN_FLIGHT: u64 = 24 * 1024 * 1024;

/// A count of bytes held, waited on when full: readers of big runs take turns, so memory
/// stays bounded however many runs are read at once.
pub struct Budget {
    left: std::sync::Mutex<u64>,
    freed: std::sync::Condvar,
    cap: u64,
}

pub struct Held<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    pub fn new(cap: u64) -> Budget {
        Budget {
            left: std::sync::Mutex::new(cap),
            freed: std::sync::Condvar::new(),
            cap,
        }
    }

    /// Waits until `bytes` (at most the whole budget) are free, and holds them.
    pub fn take(&self, bytes: u64) -> Held<'_> {
        let bytes = bytes.min(self.cap);
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        while *left < bytes {
            left = self.freed.wait(left).unwrap_or_else(|e| e.into_inner());
        }
        *left -= bytes;
        Held {
            budget: self,
            bytes,
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut left = self.budget.left.lock().unwrap_or_else(|e| e.into_inner());
        *left += self.bytes;
        self.budget.freed.notify_all();
    }
}

/// `read_bounded`, holding the file's bytes from `budget` while they are in memory.
pub fn read_held<'a>(path: &Path, max: u64, budget: &'a Budget) -> io::Result<(Vec<u8>, Held<'a>)> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len > max {
        return Err(too_large(path, max));
    }
    let held = budget.take(len);
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(path, max));
    }
    Ok((bytes, held))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_fifos_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, b"data").unwrap();
        assert_eq!(read_bounded(&real, 10).unwrap(), b"data");
        assert!(
            read_bounded(&real, 3)
                .unwrap_err()
                .to_string()
                .contains("larger")
        );

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = read_bounded(&link, 10).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");

        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let e = read_bounded(&fifo, 10).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");

        let e = read_bounded(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(e.to_string().contains("device"), "{e}");
    }

    #[test]
    fn writers_replace_a_link_and_never_write_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let report = dir.path().join("report.md");
        std::os::unix::fs::symlink(&victim, &report).unwrap();
        replace(&report, b"report").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(&report).unwrap(), b"report");
        assert!(!std::fs::symlink_metadata(&report).unwrap().is_symlink());

        let impact = dir.path().join("impact.jsonl");
        std::os::unix::fs::symlink(&victim, &impact).unwrap();
        assert!(open_append(&impact).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    }
}
