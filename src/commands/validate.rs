//! `rollback validate PLAN...`: exit 0 when all are valid, 1 when a plan breaks a rule,
//! 2 when a file cannot be read or parsed. Every problem of every file is printed.

use serde::Serialize;

use crate::cli::{DiagFormat, ValidateArgs};
use crate::exit::Exit;
use crate::plan::diag::snippet;
use crate::plan::validate::{has_errors, validate};
use crate::plan::{Diagnostic, LoadError, load_file};

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
    match args.format {
        DiagFormat::Json => {
            let doc = serde_json::json!({ "files": reports });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        DiagFormat::Github => {
            for r in &reports {
                if let Some(e) = &r.error {
                    println!("::error file={}::{e}", r.path);
                }
                for d in &r.diagnostics {
                    println!("{}", d.github(&r.path));
                }
            }
        }
        DiagFormat::Text => print_text(&reports, args.quiet),
    }
    overall(&reports)
}

fn print_text(reports: &[FileReport], quiet: bool) {
    for r in reports {
        if let Some(e) = &r.error {
            println!("{}: error: {e}", r.path);
        }
        for d in &r.diagnostics {
            println!("{}", d.one_line(&r.path));
            if !quiet {
                print!("{}", snippet(&r.source, d.pos(), &d.message));
            }
        }
    }
    let total = reports.len();
    let valid = reports.iter().filter(|r| r.valid).count();
    let warnings: usize = reports
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter(|d| d.severity == crate::plan::Severity::Warning)
        .count();
    eprintln!(
        "{valid} of {total} plan{} valid{}",
        if total == 1 { "" } else { "s" },
        match warnings {
            0 => String::new(),
            1 => ", 1 warning".into(),
            n => format!(", {n} warnings"),
        }
    );
}
