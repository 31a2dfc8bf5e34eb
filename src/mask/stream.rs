//! Masking secrets in a byte stream that arrives in arbitrary chunks. A secret may be cut
//! between two reads, so the end of each chunk that could still be the start of a secret is
//! held back until the next chunk (or the end) decides; everything else goes out at once, so
//! the live view never waits on ordinary text.

use aho_corasick::{AhoCorasick, MatchKind};

use super::REDACTED;

/// A streaming secret masker; without secrets it passes bytes through untouched.
pub struct Redactor {
    /// Longest form first, as `secret_forms` returns them.
    forms: Vec<Vec<u8>>,
    matcher: Option<AhoCorasick>,
    held: Vec<u8>,
}

impl Redactor {
    /// `forms`: every text to mask (see `plan::vars::secret_forms`).
    pub fn new(forms: &[String]) -> Redactor {
        let forms: Vec<Vec<u8>> = forms
            .iter()
            .filter(|f| !f.is_empty())
            .map(|f| f.as_bytes().to_vec())
            .collect();
        let matcher = (!forms.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&forms)
                .expect("plain literal patterns always build")
        });
        Redactor {
            forms,
            matcher,
            held: Vec::new(),
        }
    }

    /// Without secrets to mask, bytes go through untouched.
    pub fn passes_through(&self) -> bool {
        self.matcher.is_none()
    }

    /// Masks `chunk` into `out`, holding back a tail that may be the start of a secret.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.matcher.is_none() {
            out.extend_from_slice(chunk);
            return;
        }
        self.held.extend_from_slice(chunk);
        self.emit(false, out);
    }

    /// Everything still held, masked: the stream has ended.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.matcher.is_some() {
            self.emit(true, out);
        }
    }

    fn emit(&mut self, end: bool, out: &mut Vec<u8>) {
        let Some(matcher) = &self.matcher else { return };
        let buf = std::mem::take(&mut self.held);
        let hold = if end { buf.len() } else { self.hold_from(&buf) };
        // A match that starts before `hold` is final: a longer one from the same start, or an
        // earlier start, would make its unfinished bytes a prefix of a form, i.e. `hold`.
        let mut pos = 0;
        for m in matcher.find_iter(&buf) {
            if m.start() >= hold {
                break;
            }
            out.extend_from_slice(&buf[pos..m.start()]);
            out.extend_from_slice(REDACTED.as_bytes());
            pos = m.end();
        }
        let cut = pos.max(hold);
        out.extend_from_slice(&buf[pos..cut]);
        self.held = buf[cut..].to_vec();
    }

    /// The first offset from which the rest of `buf` could still grow into a secret.
    fn hold_from(&self, buf: &[u8]) -> usize {
        let longest = self.forms.first().map_or(0, Vec::len);
        let window = buf.len().saturating_sub(longest.saturating_sub(1));
        (window..buf.len())
            .find(|&i| {
                let rest = &buf[i..];
                self.forms
                    .iter()
                    .any(|f| f.len() > rest.len() && f.starts_with(rest))
            })
            .unwrap_or(buf.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::secret_forms;

    fn run(forms: &[String], chunks: &[&[u8]]) -> (String, Vec<usize>) {
        let mut r = Redactor::new(forms);
        let mut out = Vec::new();
        let mut seen = Vec::new();
        for c in chunks {
            r.push(c, &mut out);
            seen.push(out.len());
        }
        r.finish(&mut out);
        (String::from_utf8(out).unwrap(), seen)
    }

    #[test]
    fn a_secret_cut_at_every_possible_place_is_masked() {
        let forms = secret_forms(["hunter2"]);
        let text = b"pw=hunter2; again hunter2\n";
        for cut in 0..=text.len() {
            let (out, _) = run(&forms, &[&text[..cut], &text[cut..]]);
            assert_eq!(out, "pw=***; again ***\n", "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(run(&forms, &bytes).0, "pw=***; again ***\n");
    }

    #[test]
    fn ordinary_text_is_not_held_back() {
        let forms = secret_forms(["hunter2"]);
        let (_, seen) = run(&forms, &[b"50% done\r", b"60% done hun"]);
        assert_eq!(seen[0], 9, "nothing that cannot start a secret waits");
        assert_eq!(seen[1], 9 + 9, "only `hun` waits for the next read");
    }

    #[test]
    fn longer_forms_win_and_every_line_of_a_multiline_secret_goes() {
        let forms = secret_forms(["ab cd", "line-one\nline-two"]);
        let (out, _) = run(&forms, &[b"x ab%20cd y ab c", b"d\nline-two\n"]);
        assert_eq!(out, "x *** y ***\n***\n");
    }

    #[test]
    fn without_secrets_bytes_pass_through() {
        let (out, seen) = run(&[], &[b"a\x1b[31mb", b"\r\n"]);
        assert_eq!(out, "a\x1b[31mb\r\n");
        assert_eq!(seen, vec![7, 9]);
    }
}
