//! The regions of a run, one row each above the steps: where each region stands (phase and
//! step), its own clock against its SLA, and its state. When the screen has no room for a
//! row per region (80x24 with many regions) they share one compact line.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::fit::render_cut;
use super::theme::Theme;
use crate::engine::sla::{clock_text, region_sla_ms};
use crate::engine::{RunState, Status};
use crate::plan::Plan;

pub struct Lanes<'a> {
    pub plan: &'a Plan,
    pub state: &'a RunState,
    pub now_ms: i64,
    pub theme: Theme,
}

/// Rows the regions take on a screen `height` rows high: none without lanes, one per region
/// when they fit (three at 24 rows, one more per three rows beyond), else one line.
pub fn height(state: &RunState, height: u16) -> u16 {
    let n = state.regions.len() as u16;
    if n == 0 || !state.rules.iter().any(|r| r.lanes) {
        return 0;
    }
    let room = 3 + height.saturating_sub(24) / 3;
    if n <= room { n } else { 1 }
}

/// Where a region stands, as shown.
struct Lane<'a> {
    name: &'a str,
    icon: &'static str,
    word: &'static str,
    at: String,
    clock: String,
    style: ratatui::style::Style,
}

impl Lanes<'_> {
    fn lanes(&self) -> Vec<Lane<'_>> {
        let t = self.theme;
        let st = self.state;
        let sla = region_sla_ms(self.plan);
        st.regions
            .iter()
            .enumerate()
            .map(|(r, clock)| {
                let current = st
                    .steps
                    .iter()
                    .find(|s| s.lane == Some(r) && s.selected && !s.status.settled());
                let (icon, word, style) = match (current.map(|s| s.status), clock.finished) {
                    (_, Some((_, true))) => ("✔", "done", t.ok()),
                    (_, Some((_, false))) => ("✔", "done, over SLA", t.failed()),
                    (Some(Status::Running), _) => ("▶", "running", t.running()),
                    (Some(Status::Failed), _) => ("✖", "failed", t.failed()),
                    (Some(Status::Interrupted), _) => ("?", "unknown", t.waiting()),
                    _ if clock.started_ms.is_none() => ("·", "waiting", t.dim()),
                    _ => ("▸", "next", t.waiting()),
                };
                let at = current
                    .map(|s| {
                        let phase = &self.plan.phases[s.phase].id.value;
                        let step = s.key.split_once('.').map_or("", |(_, k)| k);
                        let step = step.split_once('@').map_or(step, |(k, _)| k);
                        format!("{phase} › {}", step.replace('+', " ⤳ "))
                    })
                    .unwrap_or_default();
                let elapsed = clock.elapsed_ms(self.now_ms, self.state.speed());
                let mut text = format!("{} / {}", clock_text(elapsed), clock_text(sla));
                if clock.escalation > 1 {
                    text.push_str(&format!("  Escalation {}", clock.escalation));
                }
                let style = if clock.sla_breached && clock.finished.is_none() {
                    t.failed()
                } else {
                    style
                };
                Lane {
                    name: &clock.name,
                    icon,
                    word,
                    at,
                    clock: text,
                    style,
                }
            })
            .collect()
    }
}

impl Widget for Lanes<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 {
            return;
        }
        let t = self.theme;
        let lanes = self.lanes();
        if (area.height as usize) < lanes.len() {
            // One line: each region's icon, name and clock.
            let mut spans = vec![Span::styled("Regions ", t.bold())];
            for l in &lanes {
                spans.push(Span::styled(format!("{} ", l.icon), l.style));
                let clock = l.clock.split(" / ").next().unwrap_or_default();
                spans.push(Span::raw(format!("{} {clock}  ", l.name)));
            }
            return render_cut(Line::from(spans), area, buf);
        }
        let name_w = lanes
            .iter()
            .map(|l| l.name.chars().count())
            .max()
            .unwrap_or(0);
        let wide = area.width >= 120;
        for (row, l) in lanes.iter().enumerate() {
            let y = area.y + row as u16;
            let clock_w = if wide { 32 } else { 15 };
            let mut spans = vec![
                Span::styled(format!(" {} ", l.icon), l.style),
                Span::styled(format!("{:<name_w$}  ", l.name), t.bold()),
                // A clock with its escalation may outgrow the column: a space still follows.
                Span::styled(format!("{:<clock_w$}", format!("{} ", l.clock)), l.style),
                Span::styled(format!("{:<8} ", l.word), l.style),
            ];
            spans.push(Span::raw(l.at.clone()));
            render_cut(Line::from(spans), Rect::new(area.x, y, area.width, 1), buf);
        }
    }
}

impl super::app::App {
    /// Takes the `n`th alternative path the plan offers for the failed step the run waits on.
    pub(crate) fn take_alternative(&mut self, n: usize, by: String) {
        let step = self.session.state().waiting().step();
        let Some(alternative) =
            step.and_then(|i| self.session.state().alternatives_for(i).into_iter().nth(n))
        else {
            self.flash = Some("the plan offers no alternative path here".into());
            return;
        };
        self.send(crate::engine::Input::TakeAlternative {
            by,
            alternative,
            automatic: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::load::parse_str;

    fn state(regions: usize) -> (Plan, RunState) {
        let names: Vec<String> = (0..regions).map(|i| format!("region-{i}")).collect();
        let text = format!(
            "plan: p\ntitle: t\nlevel: 4\noperation: application\nautomation: full\n\
             regions: [{}]\nphases:\n  - id: execute\n    for_each: region\n    steps:\n      \
             - {{id: apply, run: 'true'}}\n",
            names.join(", ")
        );
        let plan = parse_str(&text).expect("test plan parses");
        let st = RunState::new(&plan, None);
        (plan, st)
    }

    fn drawn(regions: usize, w: u16, h: u16) -> Vec<String> {
        let (plan, st) = state(regions);
        drawn_of(&plan, &st, w, h)
    }

    fn drawn_of(plan: &Plan, st: &RunState, w: u16, h: u16) -> Vec<String> {
        let rows = height(st, h);
        let area = Rect::new(0, 0, w, rows);
        let mut buf = Buffer::empty(area);
        Lanes {
            plan,
            state: st,
            now_ms: 0,
            theme: Theme::plain(),
        }
        .render(area, &mut buf);
        (0..rows)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect()
    }

    #[test]
    fn a_row_per_region_when_there_is_room_else_one_compact_line() {
        let rows = drawn(3, 80, 24);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0].trim_end(),
            " · region-0  00:00 / 10:00  waiting  execute › apply"
        );
        let rows = drawn(6, 80, 24);
        assert_eq!(rows.len(), 1, "six regions share a line at 80x24");
        assert!(rows[0].starts_with("Regions · region-0 00:00  · region-1 00:00"));
        assert!(rows[0].ends_with('…'), "cut, and it says so: {}", rows[0]);
        assert_eq!(drawn(6, 160, 48).len(), 6, "160x48 has room for a row each");
        assert!(drawn(6, 160, 48)[5].contains("region-5  00:00 / 10:00"));
    }

    #[test]
    fn an_escalated_region_s_clock_is_apart_from_its_state() {
        let (plan, mut st) = state(2);
        st.regions[0].escalation = 4;
        let rows = drawn_of(&plan, &st, 80, 24);
        assert!(
            rows[0].contains("00:00 / 10:00  Escalation 4 waiting"),
            "{}",
            rows[0]
        );
    }
}
