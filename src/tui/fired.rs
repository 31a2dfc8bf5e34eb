//! The moment a trigger fires, between the watch screen and the run screen: which trigger,
//! the value that fired it, its condition and its latest samples. A person who started the
//! rollback moves on with enter; when the policy started it by itself (nobody may be
//! watching), the run screen follows after a few seconds.

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind};
use ratatui::DefaultTerminal;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::input::{self, Input, Keys};
use super::theme::Theme;
use crate::engine::{FiredTrigger, Mode};
use crate::text::inline;

/// How long the screen stays when the policy started the rollback by itself.
pub const SHOWN_FOR: Duration = Duration::from_secs(5);

/// Samples listed, newest last.
const SAMPLES: usize = 8;

/// When the screen gives way to the run screen, on the clock it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// The policy started the rollback: it goes on by itself after `SHOWN_FOR`.
    pub by_itself: bool,
    pub since: Duration,
}

impl Pause {
    pub fn new(fired: &FiredTrigger, now: Duration) -> Pause {
        Pause {
            by_itself: fired.started_by.is_none(),
            since: now,
        }
    }

    /// Time left before the run screen, when it comes by itself.
    pub fn left(&self, now: Duration) -> Option<Duration> {
        self.by_itself
            .then(|| SHOWN_FOR.saturating_sub(now.saturating_sub(self.since)))
    }

    /// Whether the run screen comes now: its time is up, or enter was pressed.
    pub fn over(&self, now: Duration, key: Option<&KeyEvent>) -> bool {
        let pressed =
            key.is_some_and(|k| k.kind != KeyEventKind::Release && k.code == KeyCode::Enter);
        pressed || self.left(now).is_some_and(|l| l.is_zero())
    }
}

/// The fired trigger, drawn over the whole screen.
pub struct FiredView<'a> {
    pub fired: &'a FiredTrigger,
    pub pause: Pause,
    pub now: Duration,
    pub mode: Mode,
    pub theme: Theme,
}

/// A sample's value as an operator reads it: a Prometheus vector as `job=api 0.31` for each
/// series, anything else as its JSON.
pub(crate) fn value_text(v: &serde_json::Value) -> String {
    let serde_json::Value::Array(items) = v else {
        return v.to_string();
    };
    if items.is_empty() || items.iter().any(|i| i.get("value").is_none()) {
        return v.to_string();
    }
    let series = items.iter().map(|i| {
        let labels: Vec<String> = i["labels"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, l)| {
                format!(
                    "{k}={}",
                    l.as_str().map_or_else(|| l.to_string(), str::to_string)
                )
            })
            .collect();
        match labels.is_empty() {
            true => i["value"].to_string(),
            false => format!("{} {}", labels.join(","), i["value"]),
        }
    });
    series.collect::<Vec<_>>().join("; ")
}

/// One sample as the run records it: its time of day, outcome and value.
fn sample_line(s: &serde_json::Value) -> String {
    let at = s["at"].as_str().unwrap_or("");
    let time = at.split('T').nth(1).unwrap_or(at).trim_end_matches('Z');
    let outcome = s["outcome"].as_str().unwrap_or("?");
    let value = match (&s["value"], s["message"].as_str()) {
        (serde_json::Value::Null, Some(m)) => m.to_string(),
        (serde_json::Value::Null, None) => "-".into(),
        (v, _) => value_text(v),
    };
    let line = format!("{time:<10} {outcome:<9} {}", crate::text::cut(&value, 50));
    inline(&line).into_owned()
}

impl FiredView<'_> {
    fn lines(&self) -> Vec<Line<'static>> {
        let (f, t) = (self.fired, self.theme);
        let value = crate::text::cut(&value_text(&f.value), 60).into_owned();
        let mut lines = vec![
            Line::styled(
                inline(&format!("value {value}  condition {}", f.condition)).into_owned(),
                t.alarm(),
            ),
            Line::from(inline(&f.explain).into_owned()),
            Line::raw(""),
            Line::styled("latest samples, newest last:", t.dim()),
        ];
        let skip = f.samples.len().saturating_sub(SAMPLES);
        lines.extend(
            f.samples[skip..]
                .iter()
                .map(|s| Line::raw(format!("  {}", sample_line(s)))),
        );
        lines.push(Line::raw(""));
        let next = match (self.pause.left(self.now), &f.started_by) {
            (Some(left), _) => format!(
                "The rollback starts in {}s.",
                left.as_millis().div_ceil(1000)
            ),
            (None, Some(by)) => format!("Started by {}: the rollback starts.", inline(by)),
            (None, None) => String::new(),
        };
        lines.push(Line::styled(next, t.alarm()));
        lines
    }
}

impl Widget for FiredView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        Clear.render(area, buf);
        let drill = if self.mode == Mode::Drill {
            "DRILL  "
        } else {
            ""
        };
        let title = format!(
            " {drill}⚡ TRIGGER FIRED: {} ({}) ",
            inline(&self.fired.name),
            self.fired.severity
        );
        let body = Rect {
            height: area.height.saturating_sub(1),
            ..area
        };
        Paragraph::new(self.lines())
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.alarm())
                    .title(Span::styled(
                        crate::text::fit_width(&title, area.width.saturating_sub(2) as usize)
                            .into_owned(),
                        t.alarm(),
                    )),
            )
            .render(body, buf);
        let keys = Line::from(vec![
            Span::styled(" enter ", t.key()),
            Span::raw(" go on to the run screen now  "),
            Span::styled(" ? ", t.key()),
            Span::raw(" help "),
        ]);
        let footer = Rect {
            y: area.bottom().saturating_sub(1),
            height: 1,
            ..area
        };
        super::fit::render_cut(keys, footer, buf);
    }
}

/// The keys of this screen, for its help.
const KEYS: &[(&str, &str)] = &[
    ("enter", "go on to the run screen now"),
    ("?", "this help (the countdown goes on)"),
];

/// A key on this screen: `true` when it leaves for the run screen. With the help open, any
/// key only closes it.
fn on_key(help: &mut bool, pause: Pause, now: Duration, key: &KeyEvent) -> bool {
    if key.kind == KeyEventKind::Release {
        return false;
    }
    if *help {
        *help = false;
        return false;
    }
    if key.code == KeyCode::Char('?') {
        *help = true;
        return false;
    }
    pause.over(now, Some(key))
}

/// Shows `fired` until enter, or until its time is up when the policy started the run, or
/// until the terminal goes away.
pub async fn show(
    terminal: &mut DefaultTerminal,
    keys: &mut Keys,
    fired: &FiredTrigger,
    mode: Mode,
    theme: Theme,
) {
    let start = tokio::time::Instant::now();
    let pause = Pause::new(fired, Duration::ZERO);
    let mut help = false;
    loop {
        let now = start.elapsed();
        if pause.over(now, None) {
            return;
        }
        let view = FiredView {
            fired,
            pause,
            now,
            mode,
            theme,
        };
        let drawn = input::draw(terminal, |f| {
            f.render_widget(view, f.area());
            if help {
                let title = "Trigger fired · Keys";
                f.render_widget(
                    super::help::Help {
                        title,
                        keys: KEYS,
                        theme,
                    },
                    f.area(),
                );
            }
        });
        if drawn.is_err() {
            return;
        }
        // Redrawn each quarter second: the countdown moves, a resize is drawn again.
        tokio::select! {
            input = keys.next() => match input {
                Input::Event(Event::Key(k)) if on_key(&mut help, pause, now, &k) => return,
                Input::Event(_) => {}
                Input::Gone => return,
            },
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn fired(by: Option<&str>) -> FiredTrigger {
        let sample = |at: &str, v: f64| serde_json::json!({"at": format!("2026-12-07T{at}Z"), "outcome": "failing", "value": v});
        FiredTrigger {
            name: "error-rate".into(),
            uses: None,
            severity: "critical".into(),
            condition: "result > 0.05".into(),
            explain: "errors are up after the deploy".into(),
            value: serde_json::json!(0.31),
            first_failure_ms: 0,
            fired_ms: 0,
            samples: vec![sample("15:00:01", 0.004), sample("15:00:06", 0.31)],
            started_by: by.map(str::to_string),
        }
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn the_policy_s_run_comes_after_a_few_seconds_a_person_s_after_enter() {
        let s = Duration::from_secs;
        let policy = Pause::new(&fired(None), s(10));
        assert!(!policy.over(s(14), None));
        assert_eq!(policy.left(s(12)), Some(s(3)));
        assert!(policy.over(s(15), None));
        assert!(policy.over(s(11), Some(&key(KeyCode::Enter))));
        let person = Pause::new(&fired(Some("alice")), s(0));
        assert!(!person.over(s(3600), None), "a person moves on with a key");
        assert!(!person.over(s(1), Some(&key(KeyCode::Char('q')))));
        assert!(person.over(s(1), Some(&key(KeyCode::Enter))));
    }

    #[test]
    fn a_prometheus_vector_reads_as_its_series_and_their_values() {
        let v = serde_json::json!([
            {"labels": {"job": "checkout-api"}, "value": 0.31},
            {"labels": {"job": "cart", "zone": "b"}, "value": 0.02}
        ]);
        assert_eq!(
            value_text(&v),
            "job=checkout-api 0.31; job=cart,zone=b 0.02"
        );
        assert_eq!(value_text(&serde_json::json!(0.31)), "0.31");
        assert_eq!(value_text(&serde_json::json!(["a"])), r#"["a"]"#);
    }

    #[test]
    fn question_mark_opens_its_help_and_the_key_that_closes_it_does_nothing_else() {
        let s = Duration::from_secs;
        let pause = Pause::new(&fired(Some("ana")), s(0));
        let mut help = false;
        assert!(!on_key(&mut help, pause, s(1), &key(KeyCode::Char('?'))));
        assert!(help, "? opens the help");
        assert!(!on_key(&mut help, pause, s(1), &key(KeyCode::Enter)));
        assert!(!help, "enter closes the help and only that");
        assert!(on_key(&mut help, pause, s(1), &key(KeyCode::Enter)));
    }

    #[test]
    fn the_screen_shows_the_value_the_condition_and_the_samples_at_80x24() {
        let f = fired(None);
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        FiredView {
            fired: &f,
            pause: Pause::new(&f, Duration::ZERO),
            now: Duration::from_millis(1500),
            mode: Mode::Drill,
            theme: Theme::plain(),
        }
        .render(area, &mut buf);
        let text: String = (0..24)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect();
        for needle in [
            "DRILL  ⚡",
            "TRIGGER FIRED: error-rate (critical)",
            "value 0.31  condition result > 0.05",
            "15:00:01   failing   0.004",
            "15:00:06   failing   0.31",
            "The rollback starts in 4s.",
            "enter  go on to the run screen now",
            "?  help",
        ] {
            assert!(text.contains(needle), "{needle}:\n{text}");
        }
    }
}
