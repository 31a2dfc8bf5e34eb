//! Diagnostics about a plan: one line `path:line:col: severity: message [rule]`, an
//! optional source snippet under it, and the JSON and GitHub-annotation forms for tooling.

use std::fmt::Write as _;

use serde::Serialize;

use super::loc::Pos;

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

    /// `path:line:col: error: message [rule]`
    pub fn one_line(&self, path: &str) -> String {
        format!(
            "{path}:{}:{}: {}: {} [{}]",
            self.pos.line,
            self.pos.column,
            self.severity.name(),
            self.message,
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
            "::{level} file={path},line={},col={},title=rollback {}::{msg}",
            self.pos.line, self.pos.column, self.rule
        )
    }
}

/// The source lines around `pos` with a caret under the column, in the layout compilers use.
pub fn snippet(source: &str, pos: Pos, message: &str) -> String {
    let line = pos.line.max(1) as usize;
    let lines: Vec<&str> = source.lines().collect();
    if line > lines.len() {
        return String::new();
    }
    let first = line.saturating_sub(2).max(1);
    let width = line.to_string().len();
    let mut out = String::new();
    let _ = writeln!(out, "{:width$} |", "");
    for n in first..=line {
        let text = printable(lines[n - 1]);
        let _ = writeln!(out, "{n:>width$} | {text}");
    }
    let col = (pos.col.max(1) as usize).min(lines[line - 1].chars().count() + 1);
    let _ = writeln!(out, "{:width$} | {}^ {message}", "", " ".repeat(col - 1));
    out
}

/// Control characters in a broken file would garble the terminal; show them as `\u{..}`.
fn printable(line: &str) -> String {
    let clipped: String = line.chars().take(160).collect();
    clipped
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
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
        let s = snippet("a: 1\nbb: 2\ncc: x\n", Pos::new(3, 5), "here");
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
}
