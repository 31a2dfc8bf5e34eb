//! Writing one attempt's log with a bound: the first `head` bytes go to the file as they come
//! (so a crash keeps them); after that the last `tail` bytes are kept in a ring in an unlinked
//! scratch file (so memory stays flat however much is printed), and written at the end after a
//! line saying how much was dropped between them. A write or sync that fails is kept as
//! `error`: the caller treats it as fatal, never as a quietly shorter log.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::engine::describe::byte_size as size;

/// How much of one attempt's output its log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    pub head: u64,
    pub tail: u64,
}

/// What a finished log holds.
#[derive(Debug)]
pub(crate) struct Written {
    /// Bytes in the file.
    pub bytes: u64,
    /// Output bytes left out of the file.
    pub dropped: u64,
    /// sha256 of the file.
    pub sha256: String,
    pub error: Option<String>,
}

/// The last `cap` bytes after the head, in a file: byte `n` of them lives at `n % cap`.
struct Ring {
    file: File,
    cap: u64,
    /// Bytes that went in.
    pos: u64,
    /// The last byte that fell out: whether the kept part starts at a line.
    fell_out: Option<u8>,
}

const CHUNK: usize = 64 * 1024;

pub(crate) struct LogSink {
    file: File,
    /// Bytes the file held before (a command from before a restart goes on in its log).
    base: u64,
    keep: Keep,
    /// Where the ring's scratch file is made, once the head is full.
    scratch: PathBuf,
    sha: Sha256,
    written: u64,
    last: Option<u8>,
    ring: Option<Ring>,
    /// Bytes left out because there was no room at all (`tail` of 0).
    lost: u64,
    pub error: Option<String>,
}

impl LogSink {
    /// `scratch`: a directory on the log's filesystem (the log's own).
    pub fn new(file: File, keep: Keep, scratch: &Path) -> LogSink {
        LogSink {
            base: file.metadata().map_or(0, |m| m.len()),
            file,
            keep,
            scratch: scratch.to_path_buf(),
            sha: Sha256::new(),
            written: 0,
            last: None,
            ring: None,
            lost: 0,
            error: None,
        }
    }

    pub fn write(&mut self, mut bytes: &[u8]) {
        let room = self.keep.head.saturating_sub(self.written) as usize;
        if room > 0 {
            let n = room.min(bytes.len());
            self.put(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if bytes.is_empty() || self.error.is_some() {
            return;
        }
        if self.keep.tail == 0 {
            self.lost += bytes.len() as u64;
            return;
        }
        if self.ring.is_none() {
            match scratch_file(&self.scratch) {
                Ok(file) => {
                    self.ring = Some(Ring {
                        file,
                        cap: self.keep.tail,
                        pos: 0,
                        fell_out: None,
                    })
                }
                Err(e) => {
                    self.error = Some(format!("writing the output log's tail: {e}"));
                    return;
                }
            }
        }
        if let Some(ring) = self.ring.as_mut()
            && let Err(e) = ring.push(bytes)
        {
            self.error = Some(format!("writing the output log's tail: {e}"));
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_some() || bytes.is_empty() {
            return;
        }
        match self.file.write_all(bytes) {
            Ok(()) => {
                self.sha.update(bytes);
                self.written += bytes.len() as u64;
                self.last = bytes.last().copied();
            }
            Err(e) => {
                // A write cut short (a full disk) leaves bytes the digest never saw: cut
                // them off, so the log is what was recorded of it and `verify` agrees.
                let _ = self.file.set_len(self.base + self.written);
                self.error = Some(format!("writing the output log: {e}"));
            }
        }
    }

    /// Writes the tail (after a line about what was dropped) and makes the log durable.
    pub fn finish(mut self) -> Written {
        let mut dropped = self.lost;
        if let Some(ring) = self.ring.take() {
            dropped += ring.pos.saturating_sub(ring.cap);
            if let Err(e) = self.put_ring(&ring, &mut dropped) {
                self.error
                    .get_or_insert(format!("reading the output log's tail: {e}"));
            }
        } else if dropped > 0 {
            self.note(dropped);
        }
        if self.written > 0
            && self.error.is_none()
            && let Err(e) = self.file.sync_data()
        {
            self.error = Some(format!("syncing the output log: {e}"));
        }
        Written {
            bytes: self.written,
            dropped,
            sha256: hex::encode(self.sha.finalize()),
            error: self.error,
        }
    }

    /// The ring's bytes in order, after the note when some were dropped.
    fn put_ring(&mut self, ring: &Ring, dropped: &mut u64) -> std::io::Result<()> {
        let kept = ring.pos.min(ring.cap);
        let mut buf = vec![0u8; CHUNK];
        // Start the kept tail at a line when the first kept line was cut: it is noise.
        let mut from = 0;
        if *dropped > 0 && ring.fell_out.is_some_and(|b| b != b'\n') {
            let mut at = 0;
            while at < kept {
                let n = ring.read(at, &mut buf)?;
                if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
                    if at + (i as u64) + 1 < kept {
                        from = at + i as u64 + 1;
                    }
                    break;
                }
                at += n as u64;
            }
        }
        *dropped += from;
        if *dropped > 0 {
            self.note(*dropped);
        }
        let mut at = from;
        while at < kept {
            let n = ring.read(at, &mut buf)?;
            self.put(&buf[..n]);
            at += n as u64;
        }
        Ok(())
    }

    /// The line that says how much was left out here.
    fn note(&mut self, dropped: u64) {
        let newline = if self.last.is_some_and(|b| b != b'\n') {
            "\n"
        } else {
            ""
        };
        let note = format!("{newline}{}\n", dropped_line(dropped, self.keep));
        self.put(note.as_bytes());
    }
}

impl Ring {
    /// Reads kept bytes from the `at`th on (in order), up to the end of the ring or of `buf`.
    fn read(&self, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let kept = self.pos.min(self.cap);
        let start = if self.pos > self.cap {
            self.pos % self.cap
        } else {
            0
        };
        let off = (start + at) % self.cap;
        let n = ((kept - at) as usize)
            .min(buf.len())
            .min((self.cap - off) as usize);
        self.file.read_exact_at(&mut buf[..n], off)?;
        Ok(n)
    }

    fn push(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        let cap = self.cap as usize;
        if bytes.len() > cap {
            let skip = bytes.len() - cap;
            self.fell_out = Some(bytes[skip - 1]);
            self.pos += skip as u64;
            bytes = &bytes[skip..];
        } else if self.pos + bytes.len() as u64 > self.cap {
            // The last byte to fall out is the one now at the slot of our last byte.
            let slot = (self.pos + bytes.len() as u64 - 1) % self.cap;
            let mut b = [0u8];
            self.file.read_exact_at(&mut b, slot)?;
            self.fell_out = Some(b[0]);
        }
        while !bytes.is_empty() {
            let off = self.pos % self.cap;
            let n = bytes.len().min((self.cap - off) as usize);
            self.file.write_all_at(&bytes[..n], off)?;
            self.pos += n as u64;
            bytes = &bytes[n..];
        }
        Ok(())
    }
}

/// A private file in `dir` that no name points to: it goes with its last descriptor.
fn scratch_file(dir: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(format!(".tail-{}-{}", std::process::id(), unique()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The line a log holds where output was left out.
pub fn dropped_line(dropped: u64, keep: Keep) -> String {
    format!(
        "[rollback: {} of output dropped here; the log keeps the first {} and the last {}]",
        size(dropped),
        size(keep.head),
        size(keep.tail)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sink(head: u64, tail: u64) -> (LogSink, tempfile::NamedTempFile) {
        let f = tempfile::NamedTempFile::new().unwrap();
        let file = f.reopen().unwrap();
        let dir = f.path().parent().unwrap().to_path_buf();
        (LogSink::new(file, Keep { head, tail }, &dir), f)
    }

    fn content(f: &tempfile::NamedTempFile) -> String {
        let mut s = String::new();
        f.reopen().unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn small_output_is_kept_whole() {
        let (mut s, f) = sink(10, 10);
        for piece in ["ab\n", "cdefgh\n", "ij\n", "k"] {
            s.write(piece.as_bytes());
        }
        let w = s.finish();
        assert_eq!(content(&f), "ab\ncdefgh\nij\nk");
        assert_eq!((w.bytes, w.dropped), (14, 0));
        assert_eq!(w.sha256, hex::encode(Sha256::digest(b"ab\ncdefgh\nij\nk")));
    }

    #[test]
    fn big_output_keeps_head_and_tail_and_says_what_was_dropped() {
        let (mut s, f) = sink(8, 8);
        let lines: String = (0..100).map(|i| format!("{i:03}\n")).collect();
        for chunk in lines.as_bytes().chunks(7) {
            s.write(chunk);
        }
        let w = s.finish();
        let text = content(&f);
        let keep = Keep { head: 8, tail: 8 };
        assert!(text.starts_with("000\n001\n["), "{text}");
        assert!(text.ends_with("]\n098\n099\n"), "{text}");
        assert_eq!(w.dropped, 400 - 16);
        assert!(text.contains(&dropped_line(384, keep)), "{text}");
        assert_eq!(w.bytes, text.len() as u64);
        assert_eq!(w.sha256, hex::encode(Sha256::digest(text.as_bytes())));
    }

    #[test]
    fn a_cut_line_in_the_tail_is_dropped_too() {
        let (mut s, f) = sink(4, 6);
        s.write(b"head");
        s.write(b"xxxxxxxxxx middle\nend\n");
        let w = s.finish();
        assert!(content(&f).ends_with("]\nend\n"), "{}", content(&f));
        assert_eq!(w.dropped, 22 - 4);
    }

    #[test]
    fn a_failing_write_is_an_error_not_a_short_log() {
        let f = tempfile::NamedTempFile::new().unwrap();
        let read_only = std::fs::File::open(f.path()).unwrap();
        let mut s = LogSink::new(read_only, Keep { head: 8, tail: 8 }, &std::env::temp_dir());
        s.write(b"data\n");
        let w = s.finish();
        assert!(w.error.unwrap().starts_with("writing the output log"));
    }
}
