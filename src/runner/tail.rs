//! `OutputTail`: the most recent output of one step attempt, bounded in lines and in bytes,
//! shared as `Arc<Mutex<OutputTail>>` between the runner (writer) and the UI (reader at draw
//! time). One byte buffer plus line-start offsets: no allocation per line, and the buffer never
//! holds more than 1.5 × `max_bytes` (kept bytes plus a dropped prefix awaiting compaction).

use std::collections::VecDeque;

use memchr::memchr2;

/// A bounded ring of recent output lines. Lines end at `\n`; a trailing partial line stays open
/// until its newline arrives. A carriage return rewrites the line, as on a terminal: the text
/// after the last `\r` replaces it (progress bars), and `\r\n` is a plain newline. Other
/// bytes are kept raw (escapes): the UI sanitizes. The log file keeps every byte.
#[derive(Debug, Clone)]
pub struct OutputTail {
    max_lines: usize,
    max_bytes: usize,
    /// Stored bytes; `buf[0]` is stored-stream offset `base`.
    buf: Vec<u8>,
    base: u64,
    /// Stored-stream offsets where the kept lines start (a line cut at the front starts at its
    /// first kept byte). Never empty once a byte was pushed.
    starts: VecDeque<u64>,
    total: u64,
    /// The last kept line has no newline yet.
    open: bool,
    /// The open line ended in `\r`: what comes next replaces it, unless it is a newline.
    rewind: bool,
    generation: u64,
}

impl Default for OutputTail {
    fn default() -> Self {
        OutputTail::new(10_000, 1 << 20)
    }
}

impl OutputTail {
    /// Keeps at most `max_lines` lines and `max_bytes` bytes (each at least 1).
    pub fn new(max_lines: usize, max_bytes: usize) -> OutputTail {
        OutputTail {
            max_lines: max_lines.max(1),
            max_bytes: max_bytes.max(1),
            buf: Vec::new(),
            base: 0,
            starts: VecDeque::new(),
            total: 0,
            open: false,
            rewind: false,
            generation: 0,
        }
    }

    /// Appends raw output; the oldest lines go when a cap is passed.
    pub fn push(&mut self, chunk: &[u8]) {
        self.generation += 1;
        let mut rest = chunk;
        while let Some(&next) = rest.first() {
            if self.rewind {
                match next {
                    // `\r\r` is one return; `\r\n` just ends the line.
                    b'\r' => {
                        rest = &rest[1..];
                        continue;
                    }
                    b'\n' => {}
                    _ => self.clear_open_line(),
                }
                self.rewind = false;
            }
            match memchr2(b'\n', b'\r', rest) {
                Some(i) if rest[i] == b'\n' => {
                    self.piece(&rest[..=i], true);
                    rest = &rest[i + 1..];
                }
                Some(i) => {
                    // The text before the return stays shown until something replaces it.
                    self.piece(&rest[..i], false);
                    self.rewind = true;
                    rest = &rest[i + 1..];
                }
                None => {
                    self.piece(rest, false);
                    rest = &[];
                }
            }
        }
    }

    /// Empties the open line (a carriage return was followed by new text).
    fn clear_open_line(&mut self) {
        if self.open
            && let Some(&start) = self.starts.back()
        {
            self.buf.truncate((start - self.base) as usize);
        }
    }

    /// Every line ever seen, an open partial line included.
    pub fn total_lines(&self) -> u64 {
        self.total
    }

    /// Absolute index of the oldest line still held (`total_lines()` when none is).
    pub fn first_kept(&self) -> u64 {
        self.total - self.starts.len() as u64
    }

    /// Line `abs` without its `\n`, if still held.
    pub fn line(&self, abs: u64) -> Option<&[u8]> {
        if abs < self.first_kept() || abs >= self.total {
            return None;
        }
        let i = (abs - self.first_kept()) as usize;
        let start = (self.starts[i] - self.base) as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.buf.len(), |&n| (n - self.base) as usize);
        let line = &self.buf[start..end];
        Some(line.strip_suffix(b"\n").unwrap_or(line))
    }

    /// Changes on every push: redraw when it differs from the last one drawn.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Appends one piece of a line (`ends`: it carries the line's newline).
    fn piece(&mut self, mut piece: &[u8], ends: bool) {
        if !self.open {
            self.starts.push_back(self.end());
            self.total += 1;
            self.open = true;
            if self.starts.len() > self.max_lines {
                self.starts.pop_front();
            }
        }
        if piece.len() >= self.max_bytes {
            // Only the piece's last bytes can survive: drop what this line held, copy no more.
            piece = &piece[piece.len() - self.max_bytes..];
            let end = self.end();
            if let Some(last) = self.starts.back_mut() {
                *last = end;
            }
        }
        // Make room before copying, so the buffer stays within its bound.
        while self.held() + piece.len() > self.max_bytes {
            if self.starts.len() > 1 {
                self.starts.pop_front();
            } else {
                let cut = self.held() + piece.len() - self.max_bytes;
                self.starts[0] += cut as u64;
                break;
            }
        }
        self.compact_if_due();
        self.reserve(piece.len());
        self.buf.extend_from_slice(piece);
        if ends {
            self.open = false;
        }
    }

    fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    fn held(&self) -> usize {
        self.starts
            .front()
            .map_or(0, |&s| (self.end() - s) as usize)
    }

    /// Drops the dead prefix once it is half the cap: each byte moves O(1) times amortized.
    fn compact_if_due(&mut self) {
        let dead = self
            .starts
            .front()
            .map_or(self.buf.len(), |&s| (s - self.base) as usize);
        if dead > 0 && dead >= self.max_bytes / 2 {
            self.buf.drain(..dead);
            self.base += dead as u64;
        }
    }

    /// Grows geometrically but never past the bound (plain `Vec` doubling could reach 3×).
    fn reserve(&mut self, add: usize) {
        let need = self.buf.len() + add;
        if need > self.buf.capacity() {
            let bound = self.max_bytes + self.max_bytes / 2;
            let want = (self.buf.capacity() * 2).clamp(need, bound.max(need));
            self.buf.reserve_exact(want - self.buf.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(t: &OutputTail) -> Vec<String> {
        (t.first_kept()..t.total_lines())
            .map(|i| String::from_utf8_lossy(t.line(i).unwrap()).into_owned())
            .collect()
    }

    #[test]
    fn partial_lines_stay_open_until_newline() {
        let mut t = OutputTail::default();
        t.push(b"hel");
        assert_eq!((t.total_lines(), lines(&t)), (1, vec!["hel".to_string()]));
        t.push(b"lo\nwor");
        t.push(b"ld\r\n\n");
        assert_eq!(lines(&t), ["hello", "world", ""]);
        assert_eq!(t.total_lines(), 3);
        assert_eq!(t.line(3), None);
        assert_eq!(t.generation(), 3);
    }

    #[test]
    fn chunking_does_not_change_the_lines() {
        let text: Vec<u8> = (0..500)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut whole = OutputTail::new(64, 1000);
        whole.push(&text);
        for size in [1, 3, 7, 64, 999] {
            let mut t = OutputTail::new(64, 1000);
            text.chunks(size).for_each(|c| t.push(c));
            assert_eq!(lines(&t), lines(&whole), "chunk size {size}");
            assert_eq!(t.first_kept(), whole.first_kept());
        }
    }

    #[test]
    fn line_cap_drops_oldest() {
        let mut t = OutputTail::new(3, 1 << 20);
        (1..=10).for_each(|i| t.push(format!("{i}\n").as_bytes()));
        assert_eq!((t.total_lines(), t.first_kept()), (10, 7));
        assert_eq!(lines(&t), ["8", "9", "10"]);
        assert_eq!(t.line(6), None);
    }

    #[test]
    fn byte_cap_drops_oldest_and_bounds_the_buffer() {
        let mut t = OutputTail::new(1000, 100);
        for i in 0..10_000 {
            t.push(format!("{i:08}\n").as_bytes());
            assert!(t.held() <= 100 && t.buf.capacity() <= 150, "at {i}");
        }
        assert_eq!(t.total_lines(), 10_000);
        assert_eq!(t.first_kept(), 10_000 - 11);
        assert_eq!(t.line(9_999), Some(&b"00009999"[..]));
    }

    #[test]
    fn an_endless_line_keeps_only_its_last_bytes() {
        let mut t = OutputTail::new(10, 1000);
        t.push(b"before\n");
        for i in 0..1000u32 {
            t.push(&[b'a' + (i % 26) as u8; 300]);
            assert!(t.buf.capacity() <= 1500);
        }
        t.push(&vec![b'z'; 5000]);
        assert_eq!(t.total_lines(), 2);
        assert_eq!(t.first_kept(), 1);
        assert_eq!(t.line(1), Some(&[b'z'; 1000][..]));
        t.push(b"!\n");
        let last = t.line(1).unwrap();
        assert_eq!((last.len(), &last[996..]), (999, &b"zz!"[..]));
        t.push(b"next\n");
        assert_eq!((t.line(1), t.line(2)), (None, Some(&b"next"[..])));
    }

    #[test]
    fn carriage_returns_rewrite_the_line_however_the_chunks_fall() {
        let text = b"start\n10%\r50%\r100%\ndone\r\nnext";
        for size in 1..=text.len() {
            for offset in 0..size.min(text.len()) {
                let mut t = OutputTail::default();
                t.push(&text[..offset]);
                text[offset..].chunks(size).for_each(|c| t.push(c));
                assert_eq!(
                    lines(&t),
                    ["start", "100%", "done", "next"],
                    "chunks of {size} after {offset}"
                );
            }
        }
    }

    #[test]
    fn an_unfinished_progress_line_shows_its_latest_state() {
        let mut t = OutputTail::default();
        t.push(b"copying 10%\r");
        assert_eq!(lines(&t), ["copying 10%"], "shown until replaced");
        t.push(b"copying 5");
        assert_eq!(lines(&t), ["copying 5"]);
        t.push(b"0%\r\r");
        t.push(b"copying 90%");
        assert_eq!(
            (t.total_lines(), lines(&t)),
            (1, vec!["copying 90%".to_string()])
        );
        t.push(b"\r\n");
        t.push(b"\rafter");
        assert_eq!(lines(&t), ["copying 90%", "after"]);
    }

    #[test]
    fn an_endless_progress_line_stays_within_the_byte_cap() {
        let mut t = OutputTail::new(10, 100);
        for i in 0..10_000 {
            t.push(format!("{i:05} of 10000\r").as_bytes());
            assert!(t.buf.len() <= 100, "at {i}");
        }
        assert_eq!(lines(&t), ["09999 of 10000"]);
    }
}
