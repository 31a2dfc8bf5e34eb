//! `rollback triggers`: the catalogue of predefined triggers with their defaults, as a
//! table grouped by the standard's categories, or as JSON for tooling.

use std::fmt::Write as _;

use super::args::TriggersArgs;
use crate::exit::Exit;
use crate::plan::catalogue::{self, CATEGORIES, Entry};

pub fn run(args: &TriggersArgs) -> color_eyre::Result<Exit> {
    let entries = catalogue::entries();
    if args.json {
        println!("{}", serde_json::to_string_pretty(entries)?);
    } else {
        print!("{}", table(entries));
    }
    Ok(Exit::Ok)
}

/// The catalogue as text: one block per category, one line per trigger, then its query.
pub fn table(entries: &[Entry]) -> String {
    let mut out = String::new();
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for category in CATEGORIES {
        let _ = writeln!(out, "{category}");
        for e in entries.iter().filter(|e| e.category == category) {
            let threshold = e.threshold.as_deref().unwrap_or("-");
            let _ = writeln!(
                out,
                "  {:width$}  {:8}  {:>6}  {:12}  {}",
                e.name,
                e.severity.name(),
                threshold,
                e.probe_kind(),
                e.title,
            );
            let _ = writeln!(out, "  {:width$}  when {}", "", e.condition);
            if let Some(q) = &e.prometheus {
                let _ = writeln!(out, "  {:width$}  query {q}", "");
            }
        }
    }
    let _ = writeln!(
        out,
        "\nUse one in a plan with `use: NAME` (and `threshold:` in its unit); see plans/README.md."
    );
    out
}
