//! The `runs` listing as lines no wider than the terminal: the plan's name is cut first,
//! then the outcome, then the run's id, each ending in "…" when cut.

use crate::text::{fit_width, inline};

use super::runs::Row;

/// Columns a cut column keeps at least.
const MIN: [usize; 3] = [12, 8, 10];

/// The width to fit: `COLUMNS` when set, else the terminal's when stdout is one; `None`
/// (values whole) when the listing goes to a pipe or a file.
pub fn width() -> Option<usize> {
    use std::io::IsTerminal;
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    columns.filter(|c: &usize| *c > 0).or_else(|| {
        std::io::stdout()
            .is_terminal()
            .then(|| crossterm::terminal::size().ok())
            .flatten()
            .map(|(w, _)| w as usize)
    })
}

/// The header and one line per row, fitted to `width` when given.
pub fn lines(rows: &[Row], width: Option<usize>) -> Vec<String> {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                inline(&r.id).into_owned(),
                inline(&r.plan).into_owned(),
                crate::text::inline(&r.mode).into_owned(),
                inline(&r.outcome).into_owned(),
                r.time.clone(),
            ]
        })
        .collect();
    let head = ["RUN", "PLAN", "MODE", "OUTCOME", "TIME / SLA"].map(String::from);
    let col = |i: usize| {
        std::iter::once(&head)
            .chain(&cells)
            .map(|c| unicode_width::UnicodeWidthStr::width(c[i].as_str()))
            .max()
            .unwrap_or(0)
    };
    let mut w: Vec<usize> = (0..5).map(col).collect();
    if let Some(max) = width {
        // Two columns between each; the last column is never padded.
        let mut over = (w.iter().sum::<usize>() + 8).saturating_sub(max);
        for (i, min) in [(1, MIN[0]), (3, MIN[1]), (0, MIN[2])] {
            let give = over.min(w[i].saturating_sub(min));
            w[i] -= give;
            over -= give;
        }
    }
    std::iter::once(&head)
        .chain(&cells)
        .map(|c| {
            let mut line = String::new();
            for i in 0..5 {
                let text = fit_width(&c[i], w[i]);
                line.push_str(&text);
                if i < 4 {
                    let pad = w[i] - unicode_width::UnicodeWidthStr::width(text.as_ref());
                    line.push_str(&" ".repeat(pad + 2));
                }
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        Row {
            id: "2026-12-07T15-37-00Z-database-migration-with-replicas".into(),
            plan: "database-migration-with-replicas-in-three-regions".into(),
            mode: "rehearsal".into(),
            outcome: "interrupted (resumable)".into(),
            time: "00:12:00 / 00:15:00 missed".into(),
        }
    }

    #[test]
    fn the_listing_fits_80_columns_and_cuts_with_an_ellipsis() {
        let wide = lines(&[row()], None);
        assert!(wide[1].len() > 120, "whole values when not fitted");
        let fitted = lines(&[row()], Some(80));
        for l in &fitted {
            assert!(
                unicode_width::UnicodeWidthStr::width(l.as_str()) <= 80,
                "{l}"
            );
        }
        assert!(fitted[1].contains("database-mi…"), "{}", fitted[1]);
        assert!(
            fitted[1].ends_with("00:12:00 / 00:15:00 missed"),
            "{}",
            fitted[1]
        );
        assert!(fitted[1].contains("rehearsal"), "{}", fitted[1]);
        // Room enough: nothing is cut.
        assert!(!lines(&[row()], Some(200))[1].contains('…'));
    }
}
