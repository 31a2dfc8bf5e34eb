//! Diagnostics about a plan: one line `path:line:col: severity: message [rule]`, an
//! optional source snippet under it, and the JSON and GitHub-annotation forms for tooling.

use std::fmt::Write as _;

use serde::Serialize;

use super::loc::Pos;
use crate::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in a plan. `rule` names where it comes from: `yaml` and `schema` for
/// the format, `level-3` and the like for certification rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    #[serde(flatten)]
    pub pos: PosJson,
    pub severity: Severity,
    pub rule: &'static str,
    pub message: String,
}

/// `Pos` as `{"line":..,"column":..}` in JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PosJson {
    pub line: u32,
    pub column: u32,
}

impl Diagnostic {
    pub fn error(pos: Pos, rule: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, pos, rule, message)
    }
    pub fn warning(pos: Pos, rule: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, pos, rule, message)
    }
    fn new(severity: Severity, pos: Pos, rule: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            pos: PosJson {
                line: pos.line.max(1),
                column: pos.col.max(1),
            },
            severity,
            rule,
            message: message.into(),
        }
    }
    pub fn pos(&self) -> Pos {
        Pos::new(self.pos.line, self.pos.column)
    }

    /// `path:line:col: error: message [rule]`, plan text escaped for a terminal.
    pub fn one_line(&self, path: &str) -> String {
        format!(
            "{}:{}:{}: {}: {} [{}]",
            text::inline(path),
            self.pos.line,
            self.pos.column,
            self.severity.name(),
            text::inline(&self.message),
            self.rule
        )
    }

    /// `::error file=..,line=..,col=..,title=..::message` for GitHub workflow annotations.
    pub fn github(&self, path: &str) -> String {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let msg = self
            .message
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        format!(
            "::{level} file={},line={},col={},title=rollback {}::{}",
            github_property(path),
            self.pos.line,
            self.pos.column,
            self.rule,
            text::inline(&msg)
        )
    }
}

/// A value inside `::error key=value,...::`, escaped the way GitHub's toolkit does.
pub fn github_property(value: &str) -> String {
    let escaped = value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(':', "%3A")
        .replace(',', "%2C");
    text::inline(&escaped).into_owned()
}

/// Where each line of a source starts, built once per file so that each snippet costs only
/// its own lines (rescanning the source per diagnostic made many warnings quadratic).
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = if text.is_empty() { vec![] } else { vec![0] };
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        if starts.last() == Some(&text.len()) && !text.is_empty() {
            starts.pop();
        }
        Lines { text, starts }
    }

    /// Line `n` (1-based) without its line ending, as `str::lines` gives it.
    pub fn get(&self, n: usize) -> Option<&'a str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let end = self.starts.get(n).map_or(self.text.len(), |&e| e);
        let line = &self.text[start..end];
        let line = line.strip_suffix('\n').unwrap_or(line);
        Some(line.strip_suffix('\r').unwrap_or(line))
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}

/// The source lines around `pos` with a caret under the column, in the layout compilers use.
/// `lines` is built once per file. Control characters and bidi overrides in the source or
/// the message are shown escaped, so a plan cannot garble the terminal.
pub fn snippet(lines: &Lines, pos: Pos, message: &str) -> String {
    let line = pos.line.max(1) as usize;
    let Some(at) = lines.get(line) else {
        return String::new();
    };
    let first = line.saturating_sub(2).max(1);
    let width = line.to_string().len();
    let mut out = String::new();
    let _ = writeln!(out, "{:width$} |", "");
    for n in first..=line {
        let text = printable(lines.get(n).unwrap_or(""));
        let _ = writeln!(out, "{n:>width$} | {text}");
    }
    // The caret sits under the column as shown, escapes widened.
    let before: String = at.chars().take(pos.col.max(1) as usize - 1).collect();
    let pad = printable(&before).chars().count();
    let _ = writeln!(
        out,
        "{:width$} | {}^ {}",
        "",
        " ".repeat(pad),
        text::inline(message)
    );
    out
}

/// A source line as shown under a diagnostic: clipped, control characters escaped.
fn printable(line: &str) -> String {
    match line.char_indices().nth(160) {
        Some((i, _)) => text::inline(&line[..i]).into_owned(),
        None => text::inline(line).into_owned(),
    }
}

/// The nearest candidate to `word`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_names_file_line_col_severity_and_rule() {
        let d = Diagnostic::error(Pos::new(3, 7), "schema", "unknown key `timout`");
        assert_eq!(
            d.one_line("p.yaml"),
            "p.yaml:3:7: error: unknown key `timout` [schema]"
        );
    }

    #[test]
    fn snippet_points_at_the_column() {
        let s = snippet(&Lines::new("a: 1\nbb: 2\ncc: x\n"), Pos::new(3, 5), "here");
        assert!(s.contains("3 | cc: x"), "{s}");
        assert!(s.contains("  |     ^ here"), "{s}");
    }

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["timeout", "title", "retry"];
        assert_eq!(did_you_mean("timout", keys), Some("timeout"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }

    #[test]
    fn github_annotation_escapes_newlines() {
        let d = Diagnostic::warning(Pos::new(1, 2), "level-3", "a\nb");
        assert_eq!(
            d.github("x.yaml"),
            "::warning file=x.yaml,line=1,col=2,title=rollback level-3::a%0Ab"
        );
    }

    #[test]
    fn plan_text_cannot_reach_the_terminal_raw() {
        let d = Diagnostic::warning(
            Pos::new(1, 1),
            "placeholder",
            "TODO \u{1b}[2J\r✔ valid\n\u{202e}",
        );
        let line = d.one_line("p.yaml");
        assert_eq!(
            line,
            "p.yaml:1:1: warning: TODO \\e[2J\\r✔ valid\\n\\u{202e} [placeholder]"
        );
        let gh = d.github("dir,x:y.yaml");
        assert!(!gh.chars().any(text::is_unsafe), "{gh:?}");
        assert!(
            gh.starts_with("::warning file=dir%2Cx%3Ay.yaml,line=1"),
            "{gh}"
        );
        assert!(gh.ends_with("::TODO \\e[2J%0D✔ valid%0A\\u{202e}"), "{gh}");
    }

    #[test]
    fn snippets_escape_the_source_and_keep_the_caret_under_the_column() {
        let s = snippet(
            &Lines::new("a: 1\nt: \"\u{1b}[2J\tx\"\n"),
            Pos::new(2, 10),
            "bad\rfake",
        );
        assert!(!s.chars().any(|c| c != '\n' && text::is_unsafe(c)), "{s:?}");
        assert!(s.contains("2 | t: \"\\e[2J\\tx\""), "{s}");
        // `x` is column 10 as written and 12 as shown (`\e` and `\t` take two each).
        let caret = format!("  | {}^ bad\\rfake", " ".repeat(11));
        assert!(s.contains(&caret), "{s}");
    }

    #[test]
    fn the_line_index_agrees_with_str_lines() {
        for text in ["", "a", "a\n", "a\r\nb", "\n\n", "x\ny\n\nz", "\r\n"] {
            let lines = Lines::new(text);
            let want: Vec<&str> = text.lines().collect();
            let got: Vec<&str> = (1..=lines.len()).map(|n| lines.get(n).unwrap()).collect();
            assert_eq!(got, want, "{text:?}");
            assert_eq!(lines.get(lines.len() + 1), None);
            assert_eq!(lines.get(0), None);
        }
    }
}
