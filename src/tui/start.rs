//! The start screen: what the plan is (title, level, operation, SLA, automation, phases, the
//! point of no return, the scenario), the variables it still needs, checked as they are
//! typed (secrets masked), and the operator's name. Enter on the last field starts the clock.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};
use ratatui_textarea::TextArea;

use super::theme::Theme;
use crate::engine::Mode;
use crate::engine::selection::{regions_in_run, selected_steps};
use crate::engine::sla::{clock_text, run_sla_ms};
use crate::plan::vars::{Values, check};
use crate::plan::{Plan, Var};
use crate::text;

pub struct Field {
    pub name: String,
    pub label: String,
    pub help: Option<String>,
    pub var: Option<Var>,
    pub input: TextArea<'static>,
}

impl Field {
    pub fn value(&self) -> String {
        self.input.lines().join("").trim().to_string()
    }

    /// Why the value is not acceptable, if it is not.
    pub fn problem(&self) -> Option<String> {
        let v = self.value();
        match &self.var {
            Some(var) => check(&self.name, var, &v).err(),
            None if v.is_empty() => Some("the operator's name is needed for the record".into()),
            None => None,
        }
    }
}

/// What the operator answered.
pub enum StartAnswer {
    Start {
        vars: Vec<(String, String)>,
        operator: String,
    },
    Leave,
}

pub struct StartForm<'a> {
    pub plan: &'a Plan,
    pub mode: Mode,
    pub scenario: Option<String>,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub error: Option<String>,
    pub theme: Theme,
    /// Values already given (`--var`, `--var-file`) and not asked again.
    given: Vec<(String, String)>,
}

fn input(value: &str, secret: bool) -> TextArea<'static> {
    let mut t = TextArea::new(vec![value.to_string()]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t.set_cursor_line_style(ratatui::style::Style::new());
    if secret {
        t.set_mask_char('•');
    }
    t
}

impl<'a> StartForm<'a> {
    pub fn new(
        plan: &'a Plan,
        given: &[(String, String)],
        mode: Mode,
        scenario: Option<String>,
        operator: &str,
        theme: Theme,
    ) -> Self {
        let mut fields = Vec::new();
        for (name, var) in plan.vars.iter() {
            let given_value = given
                .iter()
                .rev()
                .find(|(k, _)| *k == name.value)
                .map(|(_, v)| v.clone());
            let ask = var.prompt.is_some()
                || (var.required && given_value.is_none() && var.default.is_none());
            if !ask {
                continue;
            }
            let value = given_value
                .or_else(|| var.default.as_ref().map(|d| d.value.clone()))
                .unwrap_or_default();
            let mut help = Vec::new();
            if let Some(d) = &var.description {
                help.push(text::flow(d));
            }
            if let Some(p) = &var.pattern {
                help.push(format!("must match {}", text::inline(p)));
            }
            fields.push(Field {
                name: name.value.clone(),
                label: text::inline(var.prompt.as_deref().unwrap_or(&name.value)).into_owned(),
                help: (!help.is_empty()).then(|| help.join("; ")),
                input: input(&value, var.secret),
                var: Some(var.clone()),
            });
        }
        fields.push(Field {
            name: "operator".into(),
            label: "Your name (recorded as the operator)".into(),
            help: None,
            var: None,
            input: input(operator, false),
        });
        StartForm {
            plan,
            mode,
            scenario,
            fields,
            focus: 0,
            error: None,
            theme,
            given: given.to_vec(),
        }
    }

    /// The answer once the operator submits, `None` while the form is still open.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<StartAnswer> {
        if key.kind == crossterm::event::KeyEventKind::Release {
            return None;
        }
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return Some(StartAnswer::Leave);
        }
        self.error = None;
        let last = self.fields.len() - 1;
        match key.code {
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1).min(last),
            KeyCode::BackTab | KeyCode::Up => self.focus = self.focus.saturating_sub(1),
            KeyCode::Enter if self.focus < last => match self.fields[self.focus].problem() {
                Some(p) => self.error = Some(p),
                None => self.focus += 1,
            },
            KeyCode::Enter => return self.submit(),
            KeyCode::Esc => {}
            _ => {
                self.fields[self.focus].input.input(key);
            }
        }
        None
    }

    fn submit(&mut self) -> Option<StartAnswer> {
        if let Some((i, p)) = self
            .fields
            .iter()
            .enumerate()
            .find_map(|(i, f)| f.problem().map(|p| (i, p)))
        {
            self.focus = i;
            self.error = Some(p);
            return None;
        }
        let mut vars = self.given.clone();
        let (operator, asked) = self.fields.split_last()?;
        vars.extend(asked.iter().map(|f| (f.name.clone(), f.value())));
        if let Err(problems) = crate::plan::vars::resolve(self.plan, &vars) {
            self.error = problems.into_iter().next();
            return None;
        }
        Some(StartAnswer::Start {
            vars,
            operator: operator.value(),
        })
    }

    /// The values that will be used, for the run to start with.
    pub fn values(plan: &Plan, vars: &[(String, String)]) -> Values {
        crate::plan::vars::resolve(plan, vars).unwrap_or_default()
    }
}

impl Widget for &StartForm<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let p = self.plan;
        let sla = run_sla_ms(p, regions_in_run(p, self.scenario.as_deref()));
        let mut lines = vec![
            Line::from(vec![
                Span::styled(" ROLLBACK ", t.title()),
                Span::raw(" "),
                Span::styled(p.plan.value.clone(), t.bold()),
                Span::raw(format!("  L{}  ", *p.level)),
                Span::styled(format!(" {} ", self.mode.banner()), t.mode(self.mode)),
                Span::styled("  clock not started", t.dim()),
            ]),
            Line::raw(""),
            Line::styled(format!(" {}", text::inline(&p.title)), t.bold()),
            Line::raw(format!(
                " {} · automation {} · SLA {}{} · owner {}",
                serde_json::to_value(*p.operation)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                serde_json::to_value(*p.automation)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                clock_text(sla),
                if *p.level >= 4 { " (all regions)" } else { "" },
                text::inline(p.owner.as_ref().map_or("-", |o| o.value.as_str())),
            )),
            Line::raw(format!(
                " scenario: {}",
                self.scenario.as_deref().unwrap_or("the whole plan")
            )),
        ];
        let selected = selected_steps(p, self.scenario.as_deref());
        let mut flat = 0;
        let mut phases = vec![Span::raw(" phases: ")];
        for (n, phase) in p.phases.iter().enumerate() {
            let in_run = selected[flat..flat + phase.steps.len()].iter().any(|s| *s);
            flat += phase.steps.len();
            if n > 0 {
                phases.push(Span::styled(" → ", t.dim()));
            }
            let style = if in_run { t.base() } else { t.dim() };
            phases.push(Span::styled(phase.id.value.clone(), style));
            if phase.point_of_no_return.set || phase.steps.iter().any(|s| s.point_of_no_return.set)
            {
                phases.push(Span::styled(" ⚠ no return", t.waiting()));
            }
        }
        lines.push(Line::from(phases));
        if let Some(d) = &p.description {
            lines.push(Line::styled(format!(" {}", text::flow(d)), t.dim()));
        }
        let head_h = (lines.len() as u16 + 3).min(area.height / 2);
        Paragraph::new(lines).wrap(Wrap { trim: false }).render(
            Rect {
                height: head_h,
                ..area
            },
            buf,
        );
        let mut y = area.y + head_h;
        let w = area.width.min(90);
        for (i, f) in self.fields.iter().enumerate() {
            if y + 4 > area.y + area.height.saturating_sub(2) {
                break;
            }
            let focused = i == self.focus;
            let mark = match f.problem() {
                None => Span::styled(" ✔ ", t.ok()),
                Some(_) if f.value().is_empty() => Span::styled(" · ", t.dim()),
                Some(_) => Span::styled(" ✖ ", t.failed()),
            };
            let label_style = if focused { t.waiting() } else { t.bold() };
            Line::from(vec![mark, Span::styled(f.label.clone(), label_style)]).render(
                Rect {
                    x: area.x,
                    y,
                    width: w,
                    height: 1,
                },
                buf,
            );
            let mut ta = f.input.clone();
            let mut block = Block::default()
                .borders(Borders::ALL)
                .border_style(if focused {
                    t.focus_border()
                } else {
                    t.border()
                });
            if let Some(h) = &f.help {
                block = block.title_bottom(Span::styled(format!(" {h} "), t.dim()));
            }
            ta.set_block(block);
            if !focused {
                ta.set_cursor_style(ratatui::style::Style::new());
            }
            ta.render(
                Rect {
                    x: area.x + 1,
                    y: y + 1,
                    width: w.saturating_sub(2),
                    height: 3,
                },
                buf,
            );
            y += 4;
        }
        let bottom = area.y + area.height - 1;
        if let Some(e) = &self.error {
            buf.set_string(area.x + 1, bottom - 1, text::inline(e), t.failed());
        }
        let last = self.focus + 1 == self.fields.len();
        let enter = if last {
            "start the rollback"
        } else {
            "next field"
        };
        Line::from(vec![
            Span::styled(" enter", t.key()),
            Span::raw(format!(" {enter} ")),
            Span::styled(" tab", t.key()),
            Span::raw(" next field (shift-tab back) "),
            Span::styled(" ctrl-c", t.key()),
            Span::raw(" leave "),
        ])
        .render(
            Rect {
                x: area.x,
                y: bottom,
                width: area.width,
                height: 1,
            },
            buf,
        );
    }
}
