//! Reading a record file line by line in bounded memory: a line longer than a record may be
//! is skipped through (never held), and the bytes after the last newline (a torn line) are
//! reported, not parsed. A file of any size costs one buffer.

use std::io::{self, BufRead, BufReader, Read};

/// The longest line a record may be: a run's seal holds a summary of every step, and even a
/// plan of ten thousand steps seals in well under this.
pub const MAX_RECORD: usize = 4 * 1024 * 1024;

/// One line of a record file.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A complete line, without its newline (lossy UTF-8: a record is JSON, and anything
    /// else fails its parse).
    Complete(&'a str),
    /// A complete line longer than `MAX_RECORD`, skipped: its length.
    TooLong(u64),
    /// Bytes after the last newline: a line cut short (a crash mid-write).
    Torn(u64),
}

pub struct Lines<R> {
    reader: BufReader<R>,
    buf: Vec<u8>,
    text: String,
    max: usize,
    /// Complete lines read so far.
    number: usize,
    /// Bytes of complete lines read so far.
    pub complete: u64,
    done: bool,
}

impl<R: Read> Lines<R> {
    pub fn new(inner: R) -> Lines<R> {
        Lines::with_max(inner, MAX_RECORD)
    }

    pub fn with_max(inner: R, max: usize) -> Lines<R> {
        Lines {
            reader: BufReader::with_capacity(64 * 1024, inner),
            buf: Vec::new(),
            text: String::new(),
            max,
            number: 0,
            complete: 0,
            done: false,
        }
    }

    /// The next line and its 1-based number, or `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<(usize, Line<'_>)>> {
        if self.done {
            return Ok(None);
        }
        self.buf.clear();
        let mut len: u64 = 0;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                self.done = true;
                return Ok((len > 0).then_some((self.number + 1, Line::Torn(len))));
            }
            let (take, newline) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = self.max.saturating_sub(self.buf.len());
            let body = if newline { take - 1 } else { take };
            self.buf.extend_from_slice(&chunk[..body.min(room)]);
            len += body as u64;
            self.reader.consume(take);
            if newline {
                self.number += 1;
                self.complete += len + 1;
                if len > self.max as u64 {
                    return Ok(Some((self.number, Line::TooLong(len))));
                }
                // A record is UTF-8 JSON: taken as it is; anything else, lossy, fails its parse.
                let text = match std::str::from_utf8(&self.buf) {
                    Ok(text) => text,
                    Err(_) => {
                        self.text = String::from_utf8_lossy(&self.buf).into_owned();
                        &self.text
                    }
                };
                return Ok(Some((self.number, Line::Complete(text))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_skipped_and_a_torn_end_is_told() {
        let mut text = b"one\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 100));
        text.extend_from_slice(b"\ntwo\nthr");
        let mut lines = Lines::with_max(&text[..], 10);
        assert_eq!(lines.next_line().unwrap(), Some((1, Line::Complete("one"))));
        assert_eq!(lines.next_line().unwrap(), Some((2, Line::TooLong(100))));
        assert_eq!(lines.next_line().unwrap(), Some((3, Line::Complete("two"))));
        assert_eq!(lines.next_line().unwrap(), Some((4, Line::Torn(3))));
        assert_eq!(lines.complete, text.len() as u64 - 3);
        assert_eq!(lines.next_line().unwrap(), None);
    }

    #[test]
    fn a_line_just_at_the_bound_is_kept() {
        let mut lines = Lines::with_max(&b"0123456789\n"[..], 10);
        assert_eq!(
            lines.next_line().unwrap(),
            Some((1, Line::Complete("0123456789")))
        );
    }
}
