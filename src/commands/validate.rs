//! `rollback validate PLAN...`: exit 0 when all are valid, 1 when a plan breaks a rule,
//! 2 when a file cannot be read or parsed. Every problem of every file is printed.

use serde::Serialize;

use super::args::{DiagFormat, ValidateArgs};
use crate::exit::Exit;
use std::io::Write;

use crate::monitor::check_plan as validate;
use crate::plan::diag::{Lines, github_property, snippet};
use crate::plan::validate::has_errors;
use crate::plan::{Diagnostic, LoadError, load_file};
use crate::text;

/// The verdict on one file.
#[derive(Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    pub valid: bool,
    /// Set when the file could not be read at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    #[serde(skip)]
    pub source: String,
    #[serde(skip)]
    pub exit: Exit,
}

/// Loads and validates one plan file.
pub fn check_file(path: &std::path::Path) -> FileReport {
    match load_file(path) {
        Ok(loaded) => {
            let diagnostics = validate(&loaded.plan);
            let errors = has_errors(&diagnostics);
            FileReport {
                path: loaded.source.path,
                valid: !errors,
                error: None,
                diagnostics,
                source: loaded.source.text,
                exit: if errors { Exit::Failed } else { Exit::Ok },
            }
        }
        Err(LoadError::Unreadable { path, message }) => FileReport {
            path,
            valid: false,
            error: Some(message),
            diagnostics: Vec::new(),
            source: String::new(),
            exit: Exit::BadInput,
        },
        Err(LoadError::Invalid {
            source,
            diagnostics,
        }) => FileReport {
            path: source.path,
            valid: false,
            error: None,
            diagnostics,
            source: source.text,
            exit: Exit::BadInput,
        },
    }
}

/// The exit code for a set of files: the worst of them (bad input beats a broken rule).
pub fn overall(reports: &[FileReport]) -> Exit {
    if reports.iter().any(|r| r.exit == Exit::BadInput) {
        Exit::BadInput
    } else if reports.iter().any(|r| r.exit == Exit::Failed) {
        Exit::Failed
    } else {
        Exit::Ok
    }
}

pub fn run(args: &ValidateArgs) -> Exit {
    let reports: Vec<FileReport> = args.plans.iter().map(|p| check_file(p)).collect();
    // One buffered writer for all of it: a write per line costs more than the checks.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match args.format {
        DiagFormat::Json => {
            let doc = serde_json::json!({ "files": reports });
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        DiagFormat::Github => write_github(&reports, &mut out),
        DiagFormat::Text => write_text(&reports, args.quiet, &mut out),
    };
    if written.and_then(|()| out.flush()).is_err() {
        return Exit::Internal;
    }
    drop(out);
    if args.format == DiagFormat::Text {
        eprintln!("{}", summary(&reports));
    }
    overall(&reports)
}

/// GitHub workflow annotations, one a line.
pub fn write_github(reports: &[FileReport], out: &mut impl Write) -> std::io::Result<()> {
    for r in reports {
        if let Some(e) = &r.error {
            let file = github_property(&r.path);
            writeln!(out, "::error file={file}::{}", text::inline(e))?;
        }
        for d in &r.diagnostics {
            writeln!(out, "{}", d.github(&r.path))?;
        }
    }
    Ok(())
}

/// `file:line:col: severity: message [rule]` lines, each with its snippet unless `quiet`.
/// Plan text is escaped for the terminal.
pub fn write_text(
    reports: &[FileReport],
    quiet: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    for r in reports {
        if let Some(e) = &r.error {
            writeln!(out, "{}: error: {}", text::inline(&r.path), text::inline(e))?;
        }
        let lines = Lines::new(&r.source);
        for d in &r.diagnostics {
            writeln!(out, "{}", d.one_line(&r.path))?;
            if !quiet {
                out.write_all(snippet(&lines, d.pos(), &d.message).as_bytes())?;
            }
        }
    }
    Ok(())
}

/// `2 of 3 plans valid, 4 warnings`
pub fn summary(reports: &[FileReport]) -> String {
    let total = reports.len();
    let valid = reports.iter().filter(|r| r.valid).count();
    let warnings: usize = reports
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter(|d| d.severity == crate::plan::Severity::Warning)
        .count();
    format!(
        "{valid} of {total} plan{} valid{}",
        if total == 1 { "" } else { "s" },
        match warnings {
            0 => String::new(),
            1 => ", 1 warning".into(),
            n => format!(", {n} warnings"),
        }
    )
}
