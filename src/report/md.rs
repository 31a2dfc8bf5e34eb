//! Markdown escaping that renders the same on GitHub and GitLab: table cells keep to one
//! line (newlines become `<br>`, `|` is escaped), free text cannot open HTML, and code spans
//! pick a fence their content cannot close.

/// Plain text for a table cell.
pub fn cell(text: &str) -> String {
    let text = text.trim_end_matches(['\n', '\r']);
    html(text)
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "<br>")
        .replace('|', "\\|")
}

/// Plain text outside a table, folded onto one line.
pub fn inline(text: &str) -> String {
    html(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A code span (one line) that is safe inside a table cell.
pub fn cell_code(text: &str) -> String {
    code(&one_line(text)).replace('|', "\\|")
}

/// A code span on one line, outside tables.
pub fn code(text: &str) -> String {
    let text = one_line(text);
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A fenced code block, indented by `indent` spaces (to sit under a list item).
pub fn block(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let fence = "`".repeat((longest_run(text, '`') + 1).max(3));
    let mut out = format!("{pad}{fence}sh\n");
    for line in text.trim_end().lines() {
        out.push_str(&pad);
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&pad);
    out.push_str(&fence);
    out.push('\n');
    out
}

/// A table: the header, then rows of cells already escaped.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    out.push('|');
    for _ in header {
        out.push_str("---|");
    }
    out.push('\n');
    for row in rows {
        out.push_str("| ");
        out.push_str(&row.join(" | "));
        out.push_str(" |\n");
    }
    out
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_stay_on_one_line_and_in_their_column() {
        let cases = [
            ("a | b", "a \\| b"),
            ("line one\nline two\n", "line one<br>line two"),
            ("crlf\r\nend", "crlf<br>end"),
            ("<script>&", "&lt;script&gt;&amp;"),
        ];
        for (text, want) in cases {
            assert_eq!(cell(text), want, "{text:?}");
        }
        assert_eq!(cell_code("grep a | wc -l"), "`grep a \\| wc -l`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(inline("folded\n  text"), "folded text");
    }

    #[test]
    fn blocks_outlast_their_backticks_and_tables_have_a_rule() {
        let b = block("echo ```\nls", 2);
        assert!(b.starts_with("  ````sh\n  echo ```\n  ls\n  ````"), "{b}");
        let t = table(&["A", "B"], &[vec!["1".into(), "2".into()]]);
        assert_eq!(t, "| A | B |\n|---|---|\n| 1 | 2 |\n");
    }
}
