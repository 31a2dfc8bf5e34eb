//! The left pane: phases and their steps, each with an icon and a word for its status (colour
//! is never the only signal), its duration, who approved, and the point of no return.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use super::theme::Theme;
use crate::engine::describe::duration_text;
use crate::engine::sla::clock_text;
use crate::engine::state::StepState;
use crate::engine::{RunState, Status, Waiting};
use crate::plan::Plan;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Milliseconds a spinner frame shows: four frames a second are enough to say "alive", and
/// each costs a wake-up and a redraw.
pub const SPIN_MS: i64 = 250;

pub struct Steps<'a> {
    pub plan: &'a Plan,
    pub state: &'a RunState,
    /// The pane's lines, made once for the run (see [`Rows`]).
    pub rows: &'a Rows,
    pub selected: usize,
    pub now_ms: i64,
    pub theme: Theme,
    pub focused: bool,
}

/// Icon, word and style of a step, as shown. `elapsed_ms` (the run's clock) turns the spinner.
pub fn look(
    s: &StepState,
    i: usize,
    waiting: &Waiting,
    elapsed_ms: i64,
    t: Theme,
) -> (&'static str, &'static str, Style) {
    let asks = matches!(waiting,
        Waiting::Approval(w) | Waiting::Manual(w) | Waiting::PointOfNoReturn(w)
        | Waiting::Failure(w) | Waiting::Interrupted(w) if *w == i);
    if asks {
        let word = match s.status {
            Status::Failed => "failed",
            Status::Interrupted => "unknown",
            _ => "waiting",
        };
        return ("▶", word, t.waiting());
    }
    if matches!(waiting, Waiting::Retry { step, .. } if *step == i) {
        return ("↻", "retry", t.running());
    }
    match s.status {
        Status::Pending => ("·", "pending", t.dim()),
        Status::Running => (
            SPINNER[(elapsed_ms / SPIN_MS).rem_euclid(10) as usize],
            "running",
            t.running(),
        ),
        Status::Ok => ("✔", "ok", t.ok()),
        Status::Failed => ("✖", "failed", t.failed()),
        Status::Skipped => ("↷", "skipped", t.skipped()),
        Status::Interrupted => ("?", "unknown", t.waiting()),
        Status::Replaced => ("⤳", "replaced", t.skipped()),
    }
}

/// How long the step took, or has taken so far, on the run's clock (a drill's runs faster,
/// like the header's).
fn duration(s: &StepState, now_ms: i64, st: &RunState) -> String {
    // A command's time is what its attempt recorded, as the timeline says it.
    if s.status != Status::Running
        && let Some(end) = s.last_attempt().and_then(|a| a.end.as_ref())
    {
        return duration_text(st.on_clock(end.duration_ms));
    }
    let Some(start) = s.started_ms() else {
        return String::new();
    };
    let end = match s.status {
        Status::Running => now_ms,
        _ => s.ended_ms.unwrap_or(now_ms),
    };
    let ms = st.on_clock(u64::try_from(end - start).unwrap_or(0));
    if ms < 60_000 && s.status != Status::Running {
        duration_text(ms)
    } else {
        clock_text(ms)
    }
}

struct Row {
    left: Vec<Span<'static>>,
    right: String,
    right_style: Style,
    step: Option<usize>,
}

/// A line of the pane, before it is dressed: cheap, so only visible ones are dressed.
enum Entry {
    Phase { phase: usize, members: Vec<usize> },
    Step { phase: usize, step: usize },
}

/// The pane's lines in order: each phase with steps in the run, then those steps. Which
/// steps are in a run never changes, so this is made once, not at every frame: a frame
/// then costs the rows it shows, whatever the plan's size.
pub struct Rows {
    entries: Vec<Entry>,
    /// The line of each step of the plan (`usize::MAX` for steps not in the run).
    line_of: Vec<usize>,
    /// Alternative paths taken when it was made: each adds steps to the run.
    paths: u32,
}

impl Rows {
    pub fn new(plan: &Plan, st: &RunState) -> Rows {
        let mut entries = Vec::new();
        let mut line_of = vec![usize::MAX; st.steps.len()];
        // A phase's steps are together in the run: once per region in a lane phase, with
        // the steps of an alternative path after the step they replace.
        let mut by_phase: Vec<Vec<usize>> = vec![Vec::new(); plan.phases.len()];
        for (i, s) in st.steps.iter().enumerate() {
            if s.selected
                && let Some(m) = by_phase.get_mut(s.phase)
            {
                m.push(i);
            }
        }
        for (pi, members) in by_phase.into_iter().enumerate() {
            if members.is_empty() {
                continue;
            }
            entries.push(Entry::Phase {
                phase: pi,
                members: members.clone(),
            });
            for step in members {
                line_of[step] = entries.len();
                entries.push(Entry::Step { phase: pi, step });
            }
        }
        Rows {
            entries,
            line_of,
            paths: st.paths_taken,
        }
    }

    /// Made for this plan and state (same steps, same selection).
    pub fn fits(&self, st: &RunState) -> bool {
        self.line_of.len() == st.steps.len()
            && self.paths == st.paths_taken
            && st
                .steps
                .first()
                .is_none_or(|s| s.selected == (self.line_of[0] != usize::MAX))
    }
}

impl Steps<'_> {
    fn phase_row(&self, pi: usize, members: &[usize], cursor: Option<usize>) -> Row {
        let t = self.theme;
        let st = self.state;
        let phase = &self.plan.phases[pi];
        let all_settled = members.iter().all(|&i| st.steps[i].status.settled());
        let any_failed = members
            .iter()
            .any(|&i| matches!(st.steps[i].status, Status::Failed | Status::Interrupted));
        let active = members
            .iter()
            .any(|&i| st.steps[i].status != Status::Pending || Some(i) == cursor);
        let (icon, style) = if all_settled {
            ("✔", t.ok())
        } else if any_failed {
            ("✖", t.failed())
        } else if active {
            ("▸", t.running())
        } else {
            ("·", t.dim())
        };
        let start = members
            .iter()
            .filter_map(|&i| st.steps[i].started_ms())
            .min();
        let end = members.iter().filter_map(|&i| st.steps[i].ended_ms).max();
        let on_clock = |real: i64| st.on_clock(u64::try_from(real).unwrap_or(0));
        let dur = match (start, all_settled) {
            (Some(s), true) => duration_text(on_clock(end.unwrap_or(s) - s)),
            (Some(s), false) => clock_text(on_clock(self.now_ms - s)),
            _ => String::new(),
        };
        let mut left = vec![
            Span::styled(format!("{icon} "), style),
            Span::styled(phase.id.value.clone(), t.bold()),
        ];
        if phase.point_of_no_return.set {
            left.push(Span::styled(" ⚠ no return", t.waiting()));
        }
        Row {
            left,
            right: dur,
            right_style: t.dim(),
            step: None,
        }
    }

    fn step_row(&self, pi: usize, i: usize, waiting: &Waiting) -> Row {
        let t = self.theme;
        let s = &self.state.steps[i];
        let elapsed = self.now_ms - self.state.started_ms;
        let (icon, word, style) = look(s, i, waiting, elapsed, t);
        let id = s
            .key
            .split_once('.')
            .map_or(s.key.as_str(), |(_, id)| id)
            .replace('+', " ⤳ ");
        let mut left = vec![
            Span::raw("  "),
            Span::styled(format!("{icon} "), style),
            Span::raw(id),
        ];
        if s.point_of_no_return && !self.plan.phases[pi].point_of_no_return.set {
            left.push(Span::styled(" ⚠", t.waiting()));
        }
        if let Some(by) = &s.approved_by {
            left.push(Span::styled(format!(" ({by})"), t.dim()));
        }
        if s.attempts_used() > 1 {
            left.push(Span::styled(format!(" ×{}", s.attempts_used()), t.dim()));
        }
        let right = format!("{word:>7} {:>6}", duration(s, self.now_ms, self.state));
        Row {
            left,
            right,
            right_style: style,
            step: Some(i),
        }
    }
}

impl Widget for Steps<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let block = Block::default()
            .borders(Borders::RIGHT)
            .border_style(if self.focused {
                t.focus_border()
            } else {
                t.border()
            });
        let inner = block.inner(area);
        block.render(area, buf);
        let own;
        let rows = if self.rows.fits(self.state) {
            self.rows
        } else {
            own = Rows::new(self.plan, self.state);
            &own
        };
        let entries = &rows.entries;
        let overflow = entries.len() > inner.height as usize;
        // When the list does not fit, its last row says how much is hidden.
        let h = inner.height as usize - usize::from(overflow && inner.height > 1);
        let sel_row = rows
            .line_of
            .get(self.selected)
            .copied()
            .filter(|&l| l != usize::MAX)
            .unwrap_or(0);
        let top = sel_row
            .saturating_sub(h / 2)
            .min(entries.len().saturating_sub(h));
        let waiting = self.state.waiting();
        let cursor = self.state.cursor();
        for (n, entry) in entries.iter().skip(top).take(h).enumerate() {
            let row = match entry {
                Entry::Phase { phase, members } => self.phase_row(*phase, members, cursor),
                Entry::Step { phase, step } => self.step_row(*phase, *step, &waiting),
            };
            let y = inner.y + n as u16;
            let line_area = Rect {
                x: inner.x,
                y,
                width: inner.width,
                height: 1,
            };
            let right_w = row.right.chars().count() as u16;
            let room = if inner.width > right_w + 12 {
                inner.width - right_w - 1
            } else {
                inner.width
            };
            super::fit::render_cut(
                Line::from(row.left),
                Rect {
                    width: room,
                    ..line_area
                },
                buf,
            );
            if inner.width > right_w + 12 {
                let x = inner.x + inner.width - right_w;
                buf.set_string(x, y, &row.right, row.right_style);
            }
            if row.step == Some(self.selected) {
                buf.set_style(line_area, t.selected());
            }
        }
        if overflow && h > 0 {
            let (above, below) = (top, entries.len().saturating_sub(top + h));
            let more = match (above, below) {
                (0, b) => format!("  ↓ {b} more"),
                (a, 0) => format!("  ↑ {a} more"),
                (a, b) => format!("  ↑ {a} more  ↓ {b} more"),
            };
            buf.set_string(inner.x, inner.y + inner.height - 1, more, t.dim());
        }
    }
}
