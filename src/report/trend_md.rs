//! The rehearsal comparison as a markdown section: the verdict in one sentence, the recent
//! rehearsals run by run, phases against the previous one and the median, and the steps
//! that got slower. Durations as `1.2s` / `4m05s`: rehearsals of short plans differ below a second.

use super::md::{cell, cell_code, code, table};
use super::metrics::pct_text;
use crate::engine::describe::duration_text;
use crate::report::trend::{Comparison, Point, SLOWER_MIN_MS, SLOWER_PCT, Trend};

fn headroom(ms: i64) -> String {
    if ms >= 0 {
        format!("{} to spare", duration_text(ms as u64))
    } else {
        format!("{} over", duration_text(ms.unsigned_abs()))
    }
}

fn opt(ms: Option<u64>) -> String {
    ms.map_or_else(|| "-".into(), duration_text)
}

fn row(p: &Point, this: bool) -> Vec<String> {
    let id = cell_code(&p.run_id);
    vec![
        if this { format!("{id} (this one)") } else { id },
        format!("{} UTC", p.started_at.text()),
        duration_text(p.duration_ms),
        match p.within_sla {
            Some(true) => "met".into(),
            Some(false) => "missed".into(),
            None => "open".into(),
        },
        p.environment.map_or("not recorded", |e| e.name()).into(),
    ]
}

pub(super) fn markdown(plan: &str, c: &Comparison) -> String {
    let mut out = String::from("\n## Compared with earlier rehearsals\n\n");
    if c.trend == Trend::First {
        out.push_str(&format!(
            "The first completed rehearsal of {} recorded in this runs directory: nothing to \
             compare with yet. SLA headroom {}.\n\n",
            code(plan),
            headroom(c.sla_headroom_ms)
        ));
        return out;
    }
    let change = match (c.change_pct, c.median_ms) {
        (Some(p), Some(m)) => format!(
            "{} {} their median ({})",
            pct_text(p.abs()),
            if p >= 0.0 { "over" } else { "under" },
            duration_text(m)
        ),
        _ => "no earlier total to compare with".into(),
    };
    out.push_str(&format!(
        "Against {} earlier completed rehearsal(s) of {} (same plan, same runs directory): \
         {} in total, {change}: **{}**. SLA headroom {}{}.\n\n",
        c.earlier_count,
        code(plan),
        duration_text(c.this.duration_ms),
        c.trend.word(),
        headroom(c.sla_headroom_ms),
        c.previous_headroom_ms
            .map(|h| format!(" (the previous one: {})", headroom(h)))
            .unwrap_or_default()
    ));
    let mut rows: Vec<Vec<String>> = c.earlier.iter().map(|p| row(p, false)).collect();
    rows.push(row(&c.this, true));
    out.push_str(&table(
        &["Rehearsal", "Started", "Duration", "SLA", "Environment"],
        &rows,
    ));
    out.push_str("\n### Phases\n\n");
    let phases: Vec<Vec<String>> = c
        .phases
        .iter()
        .map(|p| {
            vec![
                cell(&p.id),
                opt(p.this_ms),
                opt(p.previous_ms),
                opt(p.median_ms),
            ]
        })
        .collect();
    out.push_str(&table(
        &["Phase", "This one", "Previous", "Median before"],
        &phases,
    ));
    out.push_str("\n### Steps that got slower\n\n");
    if c.slower_steps.is_empty() {
        out.push_str(&format!(
            "None: no step took {}% and {} longer than in the previous rehearsal.\n",
            SLOWER_PCT,
            duration_text(SLOWER_MIN_MS)
        ));
    }
    for s in &c.slower_steps {
        out.push_str(&format!(
            "- {}: {} (the previous rehearsal: {})\n",
            code(&s.key),
            duration_text(s.this_ms),
            duration_text(s.previous_ms)
        ));
    }
    out.push('\n');
    out
}
