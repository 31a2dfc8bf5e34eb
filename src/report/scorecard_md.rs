//! The drill score card as a section of the markdown report.

use super::md::{cell, cell_code, table};
use super::scorecard::{DrillCard, median};
use crate::engine::clock::factor_text;
use crate::engine::sla::clock_text;

impl DrillCard {
    /// The drill section of the markdown report.
    pub fn markdown(&self) -> String {
        let mut out = String::from("## Drill score card\n\n");
        let sla = match self.sla_met {
            Some(true) => "met",
            Some(false) => "missed",
            None => "not decided (the drill has not ended)",
        };
        let mut rows = vec![
            vec!["Trainee".into(), cell(&self.trainee)],
            vec![
                "Exercise".into(),
                self.exercise.as_deref().map_or("none".into(), cell_code),
            ],
            vec![
                "Drill clock".into(),
                format!(
                    "x{} (SLA, escalations and simulations)",
                    factor_text(self.speed)
                ),
            ],
            vec![
                "Duration".into(),
                format!(
                    "{} on the drill clock, {} real",
                    clock_text(self.drill_duration_ms),
                    clock_text(self.real_duration_ms)
                ),
            ],
            vec![
                "SLA (drill clock)".into(),
                format!(
                    "{sla}: {} of {}",
                    clock_text(self.drill_duration_ms),
                    clock_text(self.sla_ms)
                ),
            ],
        ];
        let acked = self.escalations.iter().filter(|e| e.in_time).count();
        rows.push(vec![
            "Escalations acknowledged in time".into(),
            format!("{acked} of {}", self.escalations.len()),
        ]);
        let median = median(self.decisions.iter().filter_map(|d| d.drill_ms));
        rows.push(vec![
            "Decisions".into(),
            format!(
                "{}{}",
                self.decisions.len(),
                median.map_or(String::new(), |m| format!(
                    " (median {} to decide on the drill clock)",
                    clock_text(m)
                ))
            ),
        ]);
        rows.push(vec!["Mistakes".into(), self.mistakes.len().to_string()]);
        out.push_str(&table(&["Score", "Value"], &rows));
        if !self.decisions.is_empty() {
            let rows: Vec<Vec<String>> = self
                .decisions
                .iter()
                .map(|d| {
                    let t = |ms: Option<u64>| ms.map_or("-".into(), clock_text);
                    vec![
                        d.kind.clone(),
                        d.step.as_deref().map_or("-".into(), cell_code),
                        cell(&d.by),
                        t(d.drill_ms),
                        t(d.real_ms),
                    ]
                })
                .collect();
            out.push('\n');
            out.push_str(&table(
                &["Decision", "Step", "By", "Time to decide (drill)", "Real"],
                &rows,
            ));
        }
        if !self.mistakes.is_empty() {
            out.push_str("\nMistakes:\n\n");
            for m in &self.mistakes {
                out.push_str(&format!("- {}\n", cell(m)));
            }
        }
        out.push_str(
            "\nTimes in the sections below are real; the SLA above is kept on the drill clock.\n\n",
        );
        out
    }
}
