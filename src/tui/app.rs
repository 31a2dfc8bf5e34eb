//! The run screen's state: the session, what is selected and scrolled, which dialog is
//! open. Keys become engine inputs here; nothing about the rollback is decided here.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use super::dialog::Modal;
use super::dialog::guard::Guard;
use super::keymap::{self, Action};
use super::steps::Rows;
use super::theme::Theme;
use crate::engine::{Input, Waiting};
use crate::runner::RunnerMsg;
use crate::session::Session;

/// How long a question that opened by itself ignores keys once it is on screen.
pub const DIALOG_GUARD_MS: i64 = 400;

/// `ROLLBACK_DIALOG_GUARD_MS`: a longer guard for a slow link, where keys arrive late; from
/// 0 to 10 s, else the default.
pub fn guard_ms(given: Option<&str>) -> i64 {
    given
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|ms| (0..=10_000).contains(ms))
        .unwrap_or(DIALOG_GUARD_MS)
}

/// How the operator leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaving {
    /// Nothing runs (or the run ended): leave now.
    Now,
    /// A step was asked to terminate; leave once its end is recorded.
    AfterKill,
}

pub struct App {
    pub session: Session,
    pub theme: Theme,
    /// The step whose output is shown.
    pub selected: usize,
    /// Selection follows the running step, output follows its newest line.
    pub follow: bool,
    /// First output line shown when not following the tail.
    pub scroll: Option<u64>,
    pub modal: Option<Modal>,
    /// The question whose dialog the operator closed to look around; reopened with Enter.
    pub(crate) dismissed: Option<Waiting>,
    /// A short message for the hint line (a refusal, a confirmation).
    pub flash: Option<String>,
    pub leaving: Option<Leaving>,
    /// Output pane height at the last draw, for paging.
    pub page: u16,
    /// The last draw found the terminal below the usable size.
    pub small: bool,
    /// The steps pane's lines, made once for the run.
    pub rows: Rows,
    /// A question drops every key until it has been on screen this long (see `guard`).
    pub guard_ms: i64,
    pub(crate) guard: Guard,
    /// The question the open dialog answers: it closes when the run asks another.
    pub(crate) asked: Option<Waiting>,
    /// Help is shown over the screen and any dialog.
    pub help: bool,
    /// A completed run goes on to its validation windows on this screen when left.
    pub windows_after: bool,
}

impl App {
    pub fn new(session: Session, theme: Theme) -> App {
        let selected = session
            .state()
            .running()
            .or_else(|| session.state().cursor())
            .unwrap_or(0);
        let rows = Rows::new(session.plan(), session.state());
        let mut app = App {
            rows,
            session,
            theme,
            selected,
            follow: true,
            scroll: None,
            modal: None,
            dismissed: None,
            flash: None,
            leaving: None,
            page: 10,
            small: false,
            guard_ms: guard_ms(std::env::var("ROLLBACK_DIALOG_GUARD_MS").ok().as_deref()),
            guard: Guard::default(),
            asked: None,
            help: false,
            windows_after: false,
        };
        app.sync();
        app
    }

    /// Feeds an input to the engine; a refusal is shown, a broken journal is fatal.
    pub(crate) fn send(&mut self, input: Input) {
        let _ = self.session.handle(input);
        if let Some(why) = self.session.take_notice() {
            self.flash = Some(why);
        }
        self.sync();
    }

    /// A message from the runner, through the same path as headless: the session records a
    /// step's outputs and stops the run on a log that cannot be written.
    pub fn on_runner(&mut self, msg: RunnerMsg) {
        if matches!(msg, RunnerMsg::Output { .. }) {
            return;
        }
        let _ = self.session.on_runner(msg);
        if let Some(why) = self.session.take_notice() {
            self.flash = Some(why);
        }
        self.sync();
    }

    pub fn tick(&mut self) {
        self.send(Input::Tick);
    }

    /// Keeps the view in step with the run: selection follows, the dialog for what the run
    /// waits on opens by itself (unless the operator closed it to look around).
    pub fn sync(&mut self) {
        // An alternative path taken adds its steps to the list.
        if !self.rows.fits(self.session.state()) {
            self.rows = Rows::new(self.session.plan(), self.session.state());
        }
        let waiting = self.session.state().waiting();
        if self.dismissed.as_ref().is_some_and(|d| *d != waiting) {
            self.dismissed = None;
        }
        if self.follow
            && let Some(i) = self
                .session
                .state()
                .running()
                .or_else(|| self.session.state().cursor())
            && i != self.selected
        {
            self.selected = i;
            self.scroll = None;
        }
        if self.modal.as_ref().is_some_and(|m| self.stale(m, &waiting)) {
            self.modal = None;
        }
        let free = self.modal.is_none() && !self.help;
        if free && self.dismissed.is_none() && self.leaving.is_none() {
            self.ask(&waiting);
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        if key.kind == crossterm::event::KeyEventKind::Release {
            return;
        }
        self.flash = None;
        let quit_key = key.code == KeyCode::Char('q')
            || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL));
        if self.small && quit_key {
            // Too small to ask: leave as is; a running step keeps running, all resumable.
            if self.session.state().end.is_none() {
                self.send(Input::Leave {
                    reason: "operator quit (terminal too small)".into(),
                    terminate: false,
                });
            }
            self.leaving = Some(Leaving::Now);
            return;
        }
        let ctrl_c = quit_key && key.code != KeyCode::Char('q');
        if self.help {
            // Any key closes help; ctrl-c goes on to ask about leaving.
            self.help = false;
            if self
                .modal
                .as_ref()
                .is_some_and(super::dialog::Modal::is_question)
            {
                self.arm_guard();
            }
            if !ctrl_c {
                return self.sync();
            }
        } else if key.code == KeyCode::Char('?')
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            // Help from anywhere, a dialog's field included: a `?` is never typed.
            self.help = true;
            return;
        }
        if (self.guarded() && !self.passes_guard(key)) || self.repeats_opener(key) {
            return;
        }
        let had_field = self.modal.as_ref().is_some_and(Modal::has_field);
        if self.modal.is_some() {
            self.modal_key(key);
        } else if let Some(action) = keymap::action(key) {
            self.act(action);
        }
        self.note_opener(key, had_field);
        self.sync();
    }

    fn act(&mut self, action: Action) {
        let by = self.session.operator().to_string();
        let waiting = self.session.state().waiting();
        match action {
            Action::Next => {
                self.dismissed = None;
                self.ask(&waiting);
                if self.modal.is_none() {
                    self.flash = Some(match waiting {
                        Waiting::Running(i) => {
                            format!("{} is running", self.session.state().steps[i].key)
                        }
                        Waiting::Retry { .. } => "a retry is scheduled (r: retry now)".into(),
                        _ => "nothing waits for you".into(),
                    });
                }
            }
            Action::Retry => self.send(Input::Retry { by }),
            Action::Alternative => self.take_alternative(0, by),
            Action::Skip => {
                if !self.ask_skip() {
                    self.flash = Some("no step can be skipped now".into());
                }
            }
            Action::Abort if self.session.state().end.is_none() => self.ask_abort(),
            Action::Abort => self.flash = Some("the run has already ended".into()),
            Action::Acknowledge => self.send(Input::Acknowledge { by }),
            Action::Note => {
                self.modal = Some(Modal::Note(super::dialog::text_area(
                    "what happened? (recorded)",
                )))
            }
            Action::StatusUpdate => {
                let st = &self.session.state();
                let text = crate::report::status::status_update(
                    self.session.plan(),
                    st,
                    self.session.recent().back(),
                    self.session.now_ms(),
                );
                self.send(Input::StatusUpdate {
                    by,
                    text: text.clone(),
                });
                self.modal = Some(Modal::Status(text));
            }
            Action::Help => self.help = true,
            Action::Quit if self.session.state().end.is_some() => self.leaving = Some(Leaving::Now),
            Action::Quit => self.modal = Some(Modal::Quit(0)),
            Action::Up => self.select(-1),
            Action::Down => self.select(1),
            Action::PageUp => self.scroll_by(-(self.page as i64)),
            Action::PageDown => self.scroll_by(self.page as i64),
            Action::Top => {
                self.follow = false;
                self.scroll = Some(0);
            }
            Action::Bottom => self.scroll = None,
            Action::Follow => {
                self.follow = true;
                self.scroll = None;
            }
        }
    }

    fn select(&mut self, by: i64) {
        let n = self.session.state().steps.len() as i64;
        let mut i = self.selected as i64;
        loop {
            i += by;
            if i < 0 || i >= n {
                return;
            }
            if self.session.state().steps[i as usize].selected {
                break;
            }
        }
        self.selected = i as usize;
        self.follow = false;
        self.scroll = None;
    }

    fn scroll_by(&mut self, by: i64) {
        let Some(tail) = self.session.tail(self.selected) else {
            return;
        };
        let Ok(t) = tail.lock() else { return };
        let first = t.first_kept() as i64;
        let last_top = (t.total_lines() as i64 - self.page as i64).max(first);
        let top = self.scroll.map_or(last_top, |s| s as i64);
        let next = (top + by).clamp(first, last_top);
        self.scroll = if next >= last_top {
            None
        } else {
            Some(next as u64)
        };
    }

    /// Whether the loop may end: leaving, and nothing still to be recorded.
    pub fn done(&self) -> bool {
        match self.leaving {
            Some(Leaving::Now) => true,
            Some(Leaving::AfterKill) => self.session.state().running().is_none(),
            None => false,
        }
    }
}
