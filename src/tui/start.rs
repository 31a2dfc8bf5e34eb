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
use crate::plan::vars::{Given, REDACTED, Source, Values, check, from_env, process_env};
use crate::plan::{Plan, Var};
use crate::text;

pub struct Field {
    pub name: String,
    pub label: String,
    pub help: Option<String>,
    pub var: Option<Var>,
    pub input: TextArea<'static>,
    /// The value the field was filled in with, and where that came from.
    pub initial: (String, Source),
}

impl Field {
    pub fn value(&self) -> String {
        self.input.lines().join("").trim().to_string()
    }

    /// Where the value comes from: the one it was filled in with, or the operator's typing.
    pub fn source(&self) -> Source {
        if self.value() == self.initial.0 {
            self.initial.1
        } else {
            Source::Prompt
        }
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
    Start { vars: Given, operator: String },
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
    given: Given,
    /// Every variable's value and source as the form opened, for the values line.
    shown: Values,
    /// The run being resumed, when the form asks again for its secrets.
    resuming: Option<String>,
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
        given: &Given,
        mode: Mode,
        scenario: Option<String>,
        operator: &str,
        theme: Theme,
    ) -> Self {
        let mut fields = Vec::new();
        for (name, var) in plan.vars.iter() {
            let known = given
                .get(name)
                .map(|(v, s)| (v.to_string(), s))
                .or_else(|| from_env(name, var, &process_env).map(|v| (v, Source::Environment)));
            // A drill never asks for a secret: it has its drill value already.
            let ask = !(mode == Mode::Drill && var.secret)
                && (var.prompt.is_some()
                    || (var.required && known.is_none() && var.default.is_none()));
            if !ask {
                continue;
            }
            let initial = known
                .or_else(|| {
                    var.default
                        .as_ref()
                        .map(|d| (d.value.clone(), Source::Default))
                })
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
                input: input(&initial.0, var.secret),
                var: Some(var.clone()),
                initial,
            });
        }
        fields.push(Field {
            name: "operator".into(),
            label: "Your name (recorded as the operator)".into(),
            help: None,
            var: None,
            input: input(operator, false),
            initial: (operator.to_string(), Source::Given),
        });
        let shown = crate::plan::vars::resolve_from(plan, given, &process_env).unwrap_or_default();
        StartForm {
            plan,
            mode,
            scenario,
            fields,
            focus: 0,
            error: None,
            theme,
            given: given.clone(),
            shown,
            resuming: None,
        }
    }

    /// The form `resume` shows: the secrets the run needs again (they are never recorded)
    /// and the operator's name, for the run `run_id`.
    pub fn secrets(
        plan: &'a Plan,
        names: &[String],
        mode: Mode,
        run_id: &str,
        operator: &str,
        theme: Theme,
    ) -> Self {
        let mut form = StartForm::new(plan, &Given::default(), mode, None, operator, theme);
        form.fields.retain(|f| f.var.is_none());
        let asked = plan.vars.iter().filter(|(n, _)| names.contains(&n.value));
        let fields: Vec<Field> = asked
            .map(|(name, var)| Field {
                name: name.value.clone(),
                label: text::inline(var.prompt.as_deref().unwrap_or(&name.value)).into_owned(),
                help: var.description.as_deref().map(text::flow),
                input: input("", true),
                var: Some(var.clone()),
                initial: (String::new(), Source::Prompt),
            })
            .collect();
        form.fields.splice(0..0, fields);
        form.shown = Values::default();
        form.resuming = Some(run_id.to_string());
        form
    }

    /// `name = value (source)` for each variable not asked as a field: what commands will
    /// see, and why.
    fn values_line(&self) -> Option<String> {
        let parts: Vec<String> = self
            .shown
            .iter()
            .filter(|(k, _)| !self.fields.iter().any(|f| f.name == *k))
            .map(|(k, v)| {
                let secret = self.plan.vars.get(k).is_some_and(|var| var.secret);
                let v = if secret && !v.is_empty() { REDACTED } else { v };
                let source = self.shown.source(k).unwrap_or_default().name();
                format!("{k} = {} ({source})", text::inline(v))
            })
            .collect();
        (!parts.is_empty()).then(|| format!(" values: {}", parts.join(" · ")))
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
        vars.0.extend(
            asked
                .iter()
                .map(|f| (f.name.clone(), f.value(), f.source())),
        );
        // A resumed run has its other values recorded: only the new run checks them all.
        let resolved = match self.resuming {
            Some(_) => Ok(Values::default()),
            None => crate::plan::vars::resolve_from(self.plan, &vars, &process_env),
        };
        if let Err(problems) = resolved {
            self.error = problems.into_iter().next();
            return None;
        }
        Some(StartAnswer::Start {
            vars,
            operator: operator.value(),
        })
    }

    /// The values that will be used, for the run to start with.
    pub fn values(plan: &Plan, vars: &Given) -> Values {
        crate::plan::vars::resolve_from(plan, vars, &process_env).unwrap_or_default()
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
                match &self.resuming {
                    Some(_) => Span::styled(
                        "  resuming: type the secrets again (never recorded)",
                        t.waiting(),
                    ),
                    None => Span::styled("  clock not started", t.dim()),
                },
            ]),
            small_terminal(area)
                .map(|w| Line::styled(w, t.waiting()))
                .unwrap_or_default(),
            Line::styled(format!(" {}", text::inline(&p.title)), t.bold()),
            Line::raw(format!(
                " {} · automation {} · SLA {}{} · owner {}",
                p.operation.name(),
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
        if let Some(v) = self.values_line() {
            lines.push(Line::raw(v));
        }
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
        let limit = area.y + area.height.saturating_sub(2);
        let (first, shown) = field_window(self.fields.len(), self.focus, limit.saturating_sub(y));
        if shown < self.fields.len() {
            let below = self.fields.len() - first - shown;
            let mut parts = Vec::new();
            if first > 0 {
                parts.push(format!("↑ {first} more above"));
            }
            if below > 0 {
                parts.push(format!("↓ {below} more below"));
            }
            let words = format!(" {} (tab, shift-tab)", parts.join(" · "));
            buf.set_stringn(area.x, y, words, area.width as usize, t.dim());
            y += 1;
        }
        for (i, f) in self.fields.iter().enumerate().skip(first).take(shown) {
            if y + 4 > limit {
                break;
            }
            let focused = i == self.focus;
            let mark = match f.problem() {
                None => Span::styled(" ✔ ", t.ok()),
                Some(_) if f.value().is_empty() => Span::styled(" · ", t.dim()),
                Some(_) => Span::styled(" ✖ ", t.failed()),
            };
            let label_style = if focused { t.waiting() } else { t.bold() };
            let mut label = vec![mark, Span::styled(f.label.clone(), label_style)];
            if f.var.is_some() && !f.value().is_empty() {
                label.push(Span::styled(format!("  ({})", f.source().name()), t.dim()));
            }
            super::fit::render_cut(
                Line::from(label),
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
            if self.resuming.is_some() {
                "resume the rollback"
            } else {
                "start the rollback"
            }
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

/// The warning the start screen gives when the run screen will not fit.
fn small_terminal(area: Rect) -> Option<String> {
    use super::view::{MIN_HEIGHT, MIN_WIDTH};
    (area.width < MIN_WIDTH || area.height < MIN_HEIGHT).then(|| {
        format!(
            " ⚠ this terminal is {}x{}; the run screen needs {MIN_WIDTH}x{MIN_HEIGHT}: enlarge it before you start (or get a compact view)",
            area.width, area.height
        )
    })
}

/// Which fields fit in `rows` (four rows each, one more for the "above/below" line when
/// not all fit): the first shown and how many, always including the focused one.
fn field_window(count: usize, focus: usize, rows: u16) -> (usize, usize) {
    let fit = |rows: u16| (rows / 4) as usize;
    if fit(rows) >= count {
        return (0, count);
    }
    let shown = fit(rows.saturating_sub(1)).max(1).min(count);
    let first = (focus + 1).saturating_sub(shown).min(count - shown);
    (first, shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::{Terminal, backend::TestBackend};

    #[test]
    fn the_fields_shown_always_hold_the_focus() {
        // All fit: no scrolling, no "above/below" line.
        assert_eq!(field_window(3, 2, 12), (0, 3));
        // Two fit beside the "above/below" line; the window follows the focus.
        assert_eq!(field_window(6, 0, 10), (0, 2));
        assert_eq!(field_window(6, 3, 10), (2, 2));
        assert_eq!(field_window(6, 5, 10), (4, 2));
        // Too little room still shows the focused one.
        assert_eq!(field_window(6, 4, 2), (4, 1));
    }

    #[test]
    fn every_value_shows_its_source_and_secrets_stay_masked() {
        let plan = crate::plan::load::parse_str(
            "plan: p\ntitle: t\nlevel: 2\noperation: database\nautomation: semi\nvars:\n  profile: {prompt: Profile, default: prod}\n  region: {default: eu-west-1}\n  token: {secret: true}\nphases: []\n",
        )
        .expect("test plan parses");
        let given = Given(vec![
            ("region".into(), "us-east-1".into(), Source::VarFile),
            ("token".into(), "hunter2".into(), Source::Given),
        ]);
        let mut form = StartForm::new(&plan, &given, Mode::Drill, None, "alice", Theme::plain());
        let screen = |form: &StartForm| {
            let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
            term.draw(|f| f.render_widget(form, f.area())).unwrap();
            let buf = term.backend().buffer().clone();
            (0..buf.area.height)
                .map(|y| {
                    (0..buf.area.width)
                        .map(|x| buf[(x, y)].symbol().to_string())
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let text = screen(&form);
        assert!(
            text.contains("values: region = us-east-1 (var-file) · token = *** (given)"),
            "{text}"
        );
        assert!(text.contains("Profile  (default)"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        form.on_key(KeyEvent::from(KeyCode::Char('x')));
        assert!(screen(&form).contains("Profile  (prompt)"));
        let Some(StartAnswer::Start { vars, .. }) = ({
            form.focus = form.fields.len() - 1;
            form.on_key(KeyEvent::from(KeyCode::Enter))
        }) else {
            panic!("the form starts");
        };
        let values = StartForm::values(&plan, &vars);
        assert_eq!(values.get("profile"), Some("prodx"));
        assert_eq!(values.source("profile"), Some(Source::Prompt));
        assert_eq!(values.source("region"), Some(Source::VarFile));
    }
}
