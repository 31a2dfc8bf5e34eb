//! Plan text shown on a terminal. A plan is untrusted input: an escape sequence, a carriage
//! return or a bidi override in a title or a message could redraw the screen or fake a
//! verdict. Every face shows such characters escaped and visible (`\e`, `\r`, `\u{202e}`);
//! JSON output keeps the exact text (serde_json escapes it already).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as it is: C0 controls (tab and newline included),
/// DEL, C1 controls, the bidi embeddings, overrides and isolates, and the Unicode line and
/// paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{2028}' | '\u{2029}')
}

/// How `c` is written when escaped: `\e`, `\r`, `\n`, `\t`, `\0`, otherwise `\u{..}`.
pub fn escape_char(c: char, out: &mut String) {
    match c {
        '\u{1b}' => out.push_str("\\e"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// A single-line field as it may be shown: every unsafe character escaped, newlines too.
/// Borrows when there is nothing to escape, which is nearly always.
pub fn inline(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
}

/// A multi-line text (a command, an explanation, a report) as it may be shown: newlines
/// and tabs kept, every other unsafe character escaped (a `\r` before a newline too).
pub fn block(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

/// A text shown as one flowing paragraph (an explanation, a question): its lines joined with
/// spaces, then escaped as a single-line field.
pub fn flow(s: &str) -> String {
    let joined: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    inline(&joined.join(" ")).into_owned()
}

fn escape_where(s: &str, unsafe_: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(&unsafe_) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if unsafe_(c) {
            escape_char(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A path as it may be shown: a run directory's name is untrusted like plan text.
pub fn path(p: &std::path::Path) -> String {
    inline(&p.display().to_string()).into_owned()
}

/// At most `max` bytes of `s` (cut at a character boundary), with `…` when cut.
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &s[..end]))
}

/// At most `cols` terminal columns of `s`, ending in `…` when cut: a cut name never reads as
/// a whole one.
pub fn fit_width(s: &str, cols: usize) -> Cow<'_, str> {
    use unicode_width::UnicodeWidthChar;
    if unicode_width::UnicodeWidthStr::width(s) <= cols {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > cols {
            break;
        }
        out.push(c);
        used += w;
    }
    if cols > 0 {
        // "who to…", not "who to …": the mark stays with the word it cuts.
        out.truncate(out.trim_end().len());
        out.push('…');
    }
    Cow::Owned(out)
}

/// A value from outside bounded for a record or a line: itself when its JSON text fits in
/// `max` bytes, else that text cut, saying how long it was.
pub fn cut_json(value: &serde_json::Value, max: usize) -> serde_json::Value {
    let text = value.to_string();
    if text.len() <= max {
        return value.clone();
    }
    let shown = cut(&text, max);
    serde_json::Value::String(format!("{shown} ({} bytes, cut)", text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_and_say_so() {
        assert_eq!(cut("héllo", 10), "héllo");
        assert_eq!(cut("héllo wörld", 6), "hé…");
        let big = serde_json::json!({"v": "x".repeat(100)});
        let small = cut_json(&big, 20);
        let said = format!("({} bytes, cut)", big.to_string().len());
        assert!(small.as_str().unwrap().ends_with(&said), "{small}");
        assert_eq!(cut_json(&serde_json::json!(3), 20), serde_json::json!(3));
    }

    #[test]
    fn a_text_fitted_to_columns_ends_in_an_ellipsis_when_cut() {
        assert_eq!(fit_width("SLA missed", 10), "SLA missed");
        assert_eq!(fit_width("SLA missed", 5), "SLA…");
        assert_eq!(fit_width("日本語", 4), "日…");
        assert_eq!(fit_width("abc", 0), "");
    }

    #[test]
    fn escapes_controls_and_bidi_visibly() {
        let cases = [
            ("plain text ✔", "plain text ✔"),
            ("\u{1b}[2Jcleared", "\\e[2Jcleared"),
            ("ok\r✔ valid\n", "ok\\r✔ valid\\n"),
            ("a\tb\0c\u{7}d\u{7f}", "a\\tb\\0c\\u{7}d\\u{7f}"),
            ("csi\u{9b}2J", "csi\\u{9b}2J"),
            (
                "abc\u{202e}fed\u{2066}x\u{2069}",
                "abc\\u{202e}fed\\u{2066}x\\u{2069}",
            ),
            ("line\u{2028}sep", "line\\u{2028}sep"),
            ("back\\slash", "back\\slash"),
        ];
        for (raw, shown) in cases {
            assert_eq!(inline(raw), shown, "{raw:?}");
        }
        assert!(matches!(inline("nothing to do"), Cow::Borrowed(_)));
    }

    #[test]
    fn flowing_text_joins_its_lines() {
        assert_eq!(
            flow("  Roll back\n  the config.\n\n"),
            "Roll back the config."
        );
        assert_eq!(flow("a\u{1b}[2J\rb"), "a\\e[2J\\rb");
    }

    #[test]
    fn blocks_keep_their_lines_and_tabs() {
        assert_eq!(
            block("one\r\n\ttwo \u{1b}[31m\u{202e}\n"),
            "one\\r\n\ttwo \\e[31m\\u{202e}\n"
        );
    }

    #[test]
    fn nothing_unsafe_survives_any_input() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!inline(&all).chars().any(is_unsafe));
        assert!(
            !block(&all)
                .chars()
                .any(|c| is_unsafe(c) && c != '\n' && c != '\t')
        );
    }
}
