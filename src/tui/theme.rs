//! Styles. Colour is never the only signal (every state also has an icon and a word), and
//! with `NO_COLOR` set everything is drawn with modifiers only (bold, reverse, underline).

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

/// `--color always|never` as `Some(true|false)`, `None` for auto; set once at start.
static CHOICE: std::sync::OnceLock<Option<bool>> = std::sync::OnceLock::new();

/// Records `--color` for every screen of this process: `Some(true)` always, `Some(false)`
/// never, `None` auto (colour unless `NO_COLOR`).
pub fn choose(always: Option<bool>) {
    let _ = CHOICE.set(always);
}

impl Theme {
    /// `--color always|never`, else colour unless `NO_COLOR` is set to anything non-empty
    /// (no-color.org).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = CHOICE.get().copied().flatten().unwrap_or(!no_color);
        Theme { color }
    }

    pub fn plain() -> Theme {
        Theme { color: false }
    }

    fn paint(&self, style: Style, fg: Color) -> Style {
        if self.color { style.fg(fg) } else { style }
    }

    pub fn base(&self) -> Style {
        Style::new()
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    pub fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        self.paint(Style::new(), Color::Green)
    }
    pub fn failed(&self) -> Style {
        self.paint(Style::new().add_modifier(Modifier::BOLD), Color::Red)
    }
    pub fn running(&self) -> Style {
        self.paint(Style::new().add_modifier(Modifier::BOLD), Color::Cyan)
    }
    /// A step waiting for the operator: the thing to look at.
    pub fn waiting(&self) -> Style {
        self.paint(
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            Color::Yellow,
        )
    }
    pub fn skipped(&self) -> Style {
        self.paint(Style::new(), Color::Magenta)
    }
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn key(&self) -> Style {
        self.paint(Style::new().add_modifier(Modifier::BOLD), Color::Cyan)
    }
    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    /// The mode banner: LIVE plain and bold, DRILL and REHEARSAL unmistakable.
    pub fn mode(&self, mode: crate::engine::Mode) -> Style {
        use crate::engine::Mode;
        let s = Style::new().add_modifier(Modifier::BOLD);
        match (self.color, mode) {
            (true, Mode::Live) => s.fg(Color::White).bg(Color::Red),
            (true, Mode::Rehearsal) => s.fg(Color::Black).bg(Color::Yellow),
            (true, Mode::Drill) => s.fg(Color::Black).bg(Color::Cyan),
            (false, Mode::Live) => s,
            (false, _) => s.add_modifier(Modifier::REVERSED),
        }
    }
    /// The SLA countdown: green, then yellow past 60%, red past 85%, reverse once breached.
    pub fn sla(&self, fraction: f64, breached: bool) -> Style {
        if breached {
            return if self.color {
                Style::new()
                    .fg(Color::White)
                    .bg(Color::Red)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
            };
        }
        let c = if fraction >= 0.85 {
            Color::Red
        } else if fraction >= 0.6 {
            Color::Yellow
        } else {
            Color::Green
        };
        let s = if fraction >= 0.85 {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        self.paint(s, c)
    }
    /// The escalation banner, until acknowledged.
    pub fn alarm(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        }
    }
    pub fn border(&self) -> Style {
        self.dim()
    }
    pub fn focus_border(&self) -> Style {
        self.paint(Style::new(), Color::Cyan)
    }
}
