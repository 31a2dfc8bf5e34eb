//! The start screen: what the plan is (title, level, operation, SLA, automation, phases, the
//! point of no return, the scenario), the variables it still needs, checked as they are
//! typed (secrets masked), and the operator's name. Enter on the last field starts the clock.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::theme::Theme;
use crate::engine::Mode;
use crate::mask::REDACTED;
use crate::plan::vars::{Given, Source, Values, check, from_env, process_env};
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
    /// The form's keys are shown over it (`?`).
    pub help: bool,
    /// Values already given (`--var`, `--var-file`) and not asked again.
    pub(super) given: Given,
    /// Every variable's value and source as the form opened, for the values line.
    pub(super) shown: Values,
    /// The run being resumed, when the form asks again for its secrets.
    pub(super) resuming: Option<String>,
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
            help: false,
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
    pub(super) fn values_line(&self) -> Option<String> {
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
        if std::mem::take(&mut self.help) {
            return None;
        }
        // Help, never a character of a value (one with a `?` is given with --var).
        if key.code == KeyCode::Char('?')
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            self.help = true;
            return None;
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

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::{Terminal, backend::TestBackend};

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
