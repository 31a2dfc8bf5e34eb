//! The `stats` table as lines no wider than the terminal: on a narrow one the columns an
//! operator needs least go first (the runs by mode, the last rehearsal, p95, retries), then
//! the plan's name is cut with "…". A pipe gets every column.

use crate::engine::sla::clock_text;
use crate::records::figures::Figures;
use crate::report::metrics::pct_text;
use crate::text::{fit_width, inline};

/// A column: its heading, its cell for a row, and when it goes on a narrow terminal
/// (lower goes first; `u8::MAX` never).
struct Column {
    head: &'static str,
    keep: u8,
    cell: fn(&Figures) -> String,
}

fn pc(p: Option<f64>) -> String {
    p.map_or("-".into(), pct_text)
}

fn clock(v: Option<u64>) -> String {
    v.map_or("-".into(), clock_text)
}

const COLUMNS: &[Column] = &[
    Column {
        head: "RUNS",
        keep: u8::MAX,
        cell: |f| f.runs.to_string(),
    },
    Column {
        head: "LIVE",
        keep: 1,
        cell: |f| f.live.to_string(),
    },
    Column {
        head: "REH",
        keep: 1,
        cell: |f| f.rehearsal.to_string(),
    },
    Column {
        head: "DRILL",
        keep: 1,
        cell: |f| f.drill.to_string(),
    },
    Column {
        head: "SUCCESS",
        keep: u8::MAX,
        cell: |f| pc(f.success_pct),
    },
    Column {
        head: "SLA MET",
        keep: u8::MAX,
        cell: |f| pc(f.sla_met_pct),
    },
    Column {
        head: "AUTOMATED",
        keep: u8::MAX,
        cell: |f| pc(f.automated_pct),
    },
    Column {
        head: "FAILED",
        keep: 5,
        cell: |f| f.failed.to_string(),
    },
    Column {
        head: "RETRIES",
        keep: 4,
        cell: |f| f.retries.to_string(),
    },
    Column {
        head: "MEDIAN",
        keep: u8::MAX,
        cell: |f| clock(f.duration.map(|s| s.median_ms)),
    },
    Column {
        head: "P95",
        keep: 3,
        cell: |f| clock(f.duration.map(|s| s.p95_ms)),
    },
    Column {
        head: "LAST REHEARSAL",
        keep: 2,
        cell: |f| {
            f.since_last_rehearsal_ms
                .map_or("never".into(), super::stats::ago)
        },
    },
];

/// Columns a cut plan name keeps at least.
const NAME_MIN: usize = 10;
/// Columns of a plan's name worth more than the columns that go first.
const NAME_KEEP: usize = 24;

/// The header and a line per `(plan, figures)`, fitted to `width` when given.
pub fn lines(rows: &[(&str, &Figures)], width: Option<usize>) -> Vec<String> {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|(_, f)| COLUMNS.iter().map(|c| (c.cell)(f)).collect())
        .collect();
    let widths: Vec<usize> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .fold(c.head.len(), usize::max)
        })
        .collect();
    let names: Vec<String> = rows.iter().map(|(p, _)| inline(p).into_owned()).collect();
    let name_w = names
        .iter()
        .map(|n| n.chars().count())
        .fold("PLAN".len(), usize::max);
    let mut shown: Vec<usize> = (0..COLUMNS.len()).collect();
    let total = |shown: &[usize], name_w: usize| -> usize {
        name_w + shown.iter().map(|&i| widths[i] + 2).sum::<usize>()
    };
    let mut name_w = name_w;
    if let Some(w) = width {
        // Drop the least needed column while the table is too wide for names of up to
        // `NAME_KEEP`, then cut longer names.
        while total(&shown, name_w.min(NAME_KEEP)) > w {
            let Some(pos) = (0..shown.len())
                .filter(|&p| COLUMNS[shown[p]].keep != u8::MAX)
                .min_by_key(|&p| (COLUMNS[shown[p]].keep, std::cmp::Reverse(p)))
            else {
                break;
            };
            shown.remove(pos);
        }
        let room = w.saturating_sub(total(&shown, 0));
        name_w = name_w.min(room.max(NAME_MIN));
    }
    let line = |name: &str, cell: &dyn Fn(usize) -> String| {
        let mut out = format!("{:<name_w$}", fit_width(name, name_w));
        for &i in &shown {
            if i == COLUMNS.len() - 1 {
                out.push_str(&format!("  {}", cell(i)));
            } else {
                out.push_str(&format!("  {:>w$}", cell(i), w = widths[i]));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = vec![line("PLAN", &|i| COLUMNS[i].head.to_string())];
    for (r, name) in names.iter().enumerate() {
        out.push(line(name, &|i| cells[r][i].clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> Figures {
        let none = crate::records::figures::stats(&[], &Default::default(), 0).overall;
        Figures {
            runs: 12,
            live: 3,
            rehearsal: 4,
            drill: 5,
            ..none
        }
    }

    #[test]
    fn a_narrow_terminal_keeps_the_main_figures_and_cuts_the_name() {
        let f = figures();
        let rows = [("a-plan-with-a-rather-long-name-indeed", &f)];
        let wide = lines(&rows, None);
        assert!(wide[0].contains("LIVE") && wide[0].contains("LAST REHEARSAL"));
        assert!(wide[1].starts_with("a-plan-with-a-rather-long-name-indeed"));
        for w in [80, 60] {
            let narrow = lines(&rows, Some(w));
            for l in &narrow {
                assert!(l.chars().count() <= w, "{w}: {l}");
            }
            for head in ["PLAN", "RUNS", "SUCCESS", "SLA MET", "AUTOMATED", "MEDIAN"] {
                assert!(narrow[0].contains(head), "{w}: {}", narrow[0]);
            }
            assert!(!narrow[0].contains("LIVE"), "{w}: {}", narrow[0]);
        }
        let narrow = lines(&rows, Some(60));
        assert!(
            narrow[1].starts_with("a-plan") && narrow[1].contains('…'),
            "{}",
            narrow[1]
        );
    }
}
