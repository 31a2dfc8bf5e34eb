//! Writing one attempt's log with a bound: the first `head` bytes go to the file as they come
//! (so a crash keeps them), the last `tail` bytes wait in memory and are written at the end
//! after a line saying how much was dropped between them. A write or sync that fails is kept
//! as `error`: the caller treats it as fatal, never as a quietly shorter log.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;

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

pub(crate) struct LogSink {
    file: File,
    keep: Keep,
    sha: Sha256,
    written: u64,
    last: Option<u8>,
    ring: VecDeque<u8>,
    dropped: u64,
    /// The last byte left out: whether the kept tail starts at a line.
    dropped_last: Option<u8>,
    pub error: Option<String>,
}

impl LogSink {
    pub fn new(file: File, keep: Keep) -> LogSink {
        LogSink {
            file,
            keep,
            sha: Sha256::new(),
            written: 0,
            last: None,
            ring: VecDeque::new(),
            dropped: 0,
            dropped_last: None,
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
        if bytes.is_empty() {
            return;
        }
        let cap = self.keep.tail as usize;
        let over = (self.ring.len() + bytes.len()).saturating_sub(cap);
        if over == 0 {
            self.ring.extend(bytes);
            return;
        }
        self.dropped += over as u64;
        if over >= self.ring.len() {
            let from_bytes = over - self.ring.len();
            self.dropped_last = match from_bytes {
                0 => self.ring.back().copied(),
                n => Some(bytes[n - 1]),
            };
            self.ring.clear();
            self.ring.extend(&bytes[from_bytes..]);
        } else {
            self.dropped_last = Some(self.ring[over - 1]);
            self.ring.drain(..over);
            self.ring.extend(bytes);
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
            Err(e) => self.error = Some(format!("writing the output log: {e}")),
        }
    }

    /// Writes the tail (after a line about what was dropped) and makes the log durable.
    pub fn finish(mut self) -> Written {
        let mut ring: Vec<u8> = std::mem::take(&mut self.ring).into();
        if self.dropped > 0 {
            // Start the kept tail at a line boundary: a cut line is noise.
            let cut = self.dropped_last.is_some_and(|b| b != b'\n');
            if let Some(i) = memchr::memchr(b'\n', &ring).filter(|&i| cut && i + 1 < ring.len()) {
                self.dropped += (i + 1) as u64;
                ring.drain(..=i);
            }
            let newline = if self.last.is_some_and(|b| b != b'\n') {
                "\n"
            } else {
                ""
            };
            let note = format!("{newline}{}\n", dropped_line(self.dropped, self.keep));
            self.put(note.as_bytes());
        }
        self.put(&ring);
        if self.written > 0
            && self.error.is_none()
            && let Err(e) = self.file.sync_data()
        {
            self.error = Some(format!("syncing the output log: {e}"));
        }
        Written {
            bytes: self.written,
            dropped: self.dropped,
            sha256: hex::encode(self.sha.finalize()),
            error: self.error,
        }
    }
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
        (LogSink::new(file, Keep { head, tail }), f)
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
        let mut s = LogSink::new(read_only, Keep { head: 8, tail: 8 });
        s.write(b"data\n");
        let w = s.finish();
        assert!(w.error.unwrap().starts_with("writing the output log"));
    }
}
