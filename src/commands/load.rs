//! What every command that starts or resumes a run needs first: the plan loaded and
//! checked, the variables given, the drill's options and the operator's name.

use std::path::Path;

use crate::exit::Exit;
use crate::monitor::check_plan as validate;
use crate::plan::diag::{Lines, snippet};
use crate::plan::drill_vars::parse_factor;
use crate::plan::vars::{Given, Source, parse_assignment, parse_var_file};
use crate::plan::{Diagnostic, LoadError, Loaded, Severity, load_file};
use crate::session::DrillOptions;

/// Parses `--speed`, `--fail STEP[:N]` and `--slow STEP:FACTOR`.
pub fn drill_options(speed: f64, fail: &[String], slow: &[String]) -> Result<DrillOptions, String> {
    if !(speed.is_finite() && speed >= 1.0) {
        return Err(format!("--speed must be 1 or more, not {speed}"));
    }
    let fail = fail
        .iter()
        .map(|f| match f.rsplit_once(':') {
            Some((step, n)) => n
                .parse::<u32>()
                .map(|n| (step.to_string(), n))
                .map_err(|_| format!("--fail {f}: `{n}` is not a number of attempts")),
            None => Ok((f.clone(), 1)),
        })
        .collect::<Result<_, _>>()?;
    let slow = slow
        .iter()
        .map(|f| match f.rsplit_once(':') {
            Some((step, n)) => parse_factor(n)
                .map(|n| (step.to_string(), n))
                .ok_or_else(|| format!("--slow {f}: `{n}` is not a factor of 1 or more (e.g. 3x)")),
            None => Err(format!("--slow {f}: write STEP:FACTOR, e.g. {f}:3x")),
        })
        .collect::<Result<_, _>>()?;
    Ok(DrillOptions {
        speed,
        fail,
        slow,
        ..Default::default()
    })
}

/// The operator's name: given, or the login name.
pub fn operator(given: Option<&str>) -> String {
    given
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "operator".into())
}

fn print_diagnostics(path: &str, source: &str, diags: &[Diagnostic]) {
    let lines = Lines::new(source);
    for d in diags {
        eprintln!("{}", d.one_line(path));
        eprint!("{}", snippet(&lines, d.pos(), &d.message));
    }
}

/// Rules whose breach makes a plan unsafe to run; level rules only warn at run time, so
/// a plan that misses its certification can still roll back production at 3 a.m.
fn blocks_running(d: &Diagnostic) -> bool {
    d.severity == Severity::Error && !d.rule.starts_with("level-")
}

/// Loads a plan for running: exit 2 with every problem when it cannot be run.
pub fn load_for_run(path: &Path) -> Result<Loaded, Exit> {
    let loaded = match load_file(path) {
        Ok(l) => l,
        Err(LoadError::Unreadable { path, message }) => {
            eprintln!("{path}: error: {message}");
            return Err(Exit::BadInput);
        }
        Err(LoadError::Invalid {
            source,
            diagnostics,
        }) => {
            print_diagnostics(&source.path, &source.text, &diagnostics);
            return Err(Exit::BadInput);
        }
    };
    let diags = validate(&loaded.plan);
    let (blocking, rest): (Vec<Diagnostic>, Vec<Diagnostic>) =
        diags.into_iter().partition(blocks_running);
    if !blocking.is_empty() {
        print_diagnostics(&loaded.source.path, &loaded.source.text, &blocking);
        eprintln!("rollback: the plan cannot be run until these are fixed");
        return Err(Exit::BadInput);
    }
    for d in rest.iter().filter(|d| d.severity == Severity::Error) {
        eprintln!("{} (running anyway)", d.one_line(&loaded.source.path));
    }
    Ok(loaded)
}

/// `--var-file`s in order, then `--var`s (later ones win).
pub fn given_vars(
    vars: &[String],
    files: &[std::path::PathBuf],
) -> Result<Vec<(String, String)>, String> {
    given_with_sources(vars, files).map(|g| g.pairs())
}

/// `--var-file` values, then `--var` values (a later one wins), each with its source.
pub fn given_with_sources(vars: &[String], files: &[std::path::PathBuf]) -> Result<Given, String> {
    let mut given = Given::default();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let pairs = parse_var_file(&text).map_err(|e| format!("{}:{e}", f.display()))?;
        given
            .0
            .extend(pairs.into_iter().map(|(k, v)| (k, v, Source::VarFile)));
    }
    for v in vars {
        let (k, v) = parse_assignment(v).map_err(|e| format!("--var {e}"))?;
        given.0.push((k, v, Source::Given));
    }
    Ok(given)
}
