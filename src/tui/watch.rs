//! The watch screen: a thin face over the board (PURE, `monitor::board`) and the loop both
//! faces share (`crate::watch::watcher`). Keys become commands by a pure function of the key
//! and what is on screen; the footer is generated from the same table, so it lists only the
//! keys that apply. When the policy starts the rollback the screen becomes the run screen.

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::App;
use super::input::{self, Input, Keys};
use super::theme::Theme;
use super::watch_view::View;
use crate::exit::Exit;
use crate::monitor::board::{Board, Change};
use crate::monitor::policy::Pending;
use crate::watch::lines::{Next, settle};
use crate::watch::prepared::{Prepared, WatchJournal, start_run};
use crate::watch::watcher::{Step, Watcher};

/// A dialog over the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// A trigger's window, sample by sample.
    Samples(usize),
    /// Fire the rollback by hand for a trigger: confirm.
    Fire(usize),
    /// The reason for cancelling what a trigger waits on, being typed.
    Reason(usize, String),
}

/// What a key asks of the watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Pause(usize),
    Start(usize),
    Cancel(usize, String),
    /// An inconclusive trigger judged: bad (roll back) or fine.
    Judge(usize, bool),
    Quit,
}

/// What is on screen besides the board.
#[derive(Debug, Default)]
pub struct Screen {
    pub selected: usize,
    pub dialog: Option<Dialog>,
    /// The latest changes, newest last: a cancel stays readable after the next verdict.
    pub recent: std::collections::VecDeque<String>,
    /// The `?` help is open: the next key closes it.
    pub help: bool,
}

/// Every key of the watch screen, as its `?` help lists them.
pub const KEYS: [(&str, &str); 10] = [
    ("↑↓  k j", "select a trigger"),
    ("enter", "the selected trigger's samples (esc closes)"),
    ("p", "pause or resume the selected trigger"),
    ("f", "fire the rollback by hand (asks y/n)"),
    ("s", "start now, while a cancel window counts down"),
    ("c", "cancel what a trigger waits on (asks why)"),
    (
        "y / n",
        "an inconclusive or medium trigger: roll back / fine",
    ),
    ("q  ctrl-c", "stop watching; nothing is started"),
    ("?", "this help"),
    ("enter", "after a trigger fired: go on to the run screen"),
];

/// Changes kept on screen.
pub const RECENT: usize = 3;

impl Screen {
    fn note(&mut self, line: String) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(line);
    }
}

impl Screen {
    /// The keys that apply now, as the footer lists them.
    pub fn hints(&self, board: &Board) -> Vec<(&'static str, &'static str)> {
        match (&self.dialog, board.waiting()) {
            (Some(Dialog::Samples(_)), _) => vec![("esc", "close")],
            (Some(Dialog::Fire(_)), _) => vec![("y", "start the rollback"), ("n", "back")],
            (Some(Dialog::Reason(..)), _) => vec![("enter", "cancel it"), ("esc", "back")],
            (None, Some(_)) => vec![("s", "start now"), ("c", "cancel (reason)"), ("?", "help")],
            (None, None) if board.inconclusive().is_some() => {
                vec![
                    ("y", "bad: roll back"),
                    ("n", "fine: keep watching"),
                    ("?", "help"),
                ]
            }
            (None, None) => {
                let mut keys = vec![("↑↓", "select"), ("enter", "samples")];
                let row = board.rows.get(self.selected);
                keys.push(match row.map(|r| r.paused) {
                    Some(true) => ("p", "resume"),
                    _ => ("p", "pause"),
                });
                keys.extend([("f", "fire by hand"), ("q", "quit"), ("?", "help")]);
                keys
            }
        }
    }

    /// A key, given the board: what it changes on screen, and what it asks of the watch.
    pub fn on_key(&mut self, key: KeyEvent, board: &Board) -> Option<Cmd> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Some(Cmd::Quit);
        }
        // Any key closes the help, and does nothing else.
        if self.help {
            self.help = false;
            return None;
        }
        if self.dialog.is_none() && key.code == KeyCode::Char('?') {
            self.help = true;
            return None;
        }
        let n = board.rows.len();
        match (self.dialog.clone(), key.code) {
            (Some(Dialog::Samples(_)), KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) => {
                self.dialog = None;
            }
            (Some(Dialog::Fire(i)), KeyCode::Char('y')) => {
                self.dialog = None;
                return Some(Cmd::Start(i));
            }
            (Some(Dialog::Fire(_)), KeyCode::Char('n') | KeyCode::Esc) => self.dialog = None,
            (Some(Dialog::Reason(..)), KeyCode::Esc) => self.dialog = None,
            (Some(Dialog::Reason(i, why)), KeyCode::Enter) if !why.trim().is_empty() => {
                self.dialog = None;
                return Some(Cmd::Cancel(i, why));
            }
            (Some(Dialog::Reason(i, mut why)), KeyCode::Backspace) => {
                why.pop();
                self.dialog = Some(Dialog::Reason(i, why));
            }
            (Some(Dialog::Reason(i, mut why)), KeyCode::Char(c)) if why.len() < 200 => {
                why.push(c);
                self.dialog = Some(Dialog::Reason(i, why));
            }
            (Some(_), _) => {}
            (None, code) => match (board.waiting().map(Pending::trigger), code) {
                (Some(i), KeyCode::Char('s')) => return Some(Cmd::Start(i)),
                (Some(i), KeyCode::Char('c')) => {
                    self.dialog = Some(Dialog::Reason(i, String::new()));
                }
                (Some(_), _) => {}
                (None, KeyCode::Char(c @ ('y' | 'n'))) if board.inconclusive().is_some() => {
                    return board.inconclusive().map(|i| Cmd::Judge(i, c == 'y'));
                }
                (None, _) if board.inconclusive().is_some() => {}
                (None, KeyCode::Up | KeyCode::Char('k')) => {
                    self.selected = self.selected.saturating_sub(1);
                }
                (None, KeyCode::Down | KeyCode::Char('j')) => {
                    self.selected = (self.selected + 1).min(n.saturating_sub(1));
                }
                (None, KeyCode::Enter) => self.dialog = Some(Dialog::Samples(self.selected)),
                (None, KeyCode::Char('p')) => return Some(Cmd::Pause(self.selected)),
                (None, KeyCode::Char('f')) => self.dialog = Some(Dialog::Fire(self.selected)),
                (None, KeyCode::Char('q')) => return Some(Cmd::Quit),
                _ => {}
            },
        }
        None
    }
}

/// Carries out a command on the watch; returns the changes it made.
fn apply(w: &mut Watcher, cmd: Cmd, operator: &str) -> Vec<Change> {
    let now = w.now();
    match cmd {
        Cmd::Pause(i) => {
            w.board.toggle_pause(i, now);
            vec![]
        }
        Cmd::Start(i) => w.board.start_by(i, operator),
        Cmd::Cancel(i, why) => w.board.cancel(i, operator, &why, now).unwrap_or_default(),
        Cmd::Judge(i, bad) => w.board.judge(i, bad, operator, now),
        Cmd::Quit => vec![],
    }
}

/// `rollback watch PLAN` with a screen.
pub fn run(rt: &tokio::runtime::Runtime, mut p: Prepared) -> color_eyre::Result<Exit> {
    let theme = Theme::from_env();
    let mut terminal = super::open_terminal();
    let mut ended = None;
    let outcome = rt.block_on(async {
        let mut journal = WatchJournal::open(&p);
        let specs = std::mem::take(&mut p.specs);
        let cx = std::mem::take(&mut p.cx);
        p.cx.workdir = cx.workdir.clone();
        let mut w = Watcher::new(specs, cx, p.opts.drill.speed).await?;
        let mut screen = Screen::default();
        let mut keys = Keys::new();
        let operator = p.opts.operator.clone();
        let started = loop {
            let drawn = input::draw(&mut terminal, |f| {
                let view = View {
                    board: &w.board,
                    screen: &screen,
                    plan: &p.loaded.plan,
                    mode: p.opts.mode,
                    speed: p.opts.drill.speed,
                    now: w.now(),
                    theme,
                };
                f.render_widget(view, f.area());
            });
            if drawn.is_err() {
                journal.stopped(input::CLOSED);
                break None;
            }
            let changes = tokio::select! {
                step = w.next() => match step {
                    Step::Changes(c) => c,
                    Step::Tick => continue,
                    Step::Stop(why) => {
                        journal.stopped(why);
                        break None;
                    }
                },
                input = keys.next() => match input {
                    Input::Event(Event::Key(key)) => match screen.on_key(key, &w.board) {
                        Some(Cmd::Quit) => {
                            journal.stopped(&operator);
                            break None;
                        }
                        Some(cmd) => apply(&mut w, cmd, &operator),
                        None => continue,
                    },
                    Input::Event(_) => continue,
                    // SIGHUP, EOF or EIO: the watch ends, and says why.
                    Input::Gone => {
                        journal.stopped(input::CLOSED);
                        break None;
                    }
                },
            };
            match settle(&p, &w, &changes, &mut journal, &mut |line| {
                screen.note(line)
            }) {
                Next::Start(start) => break Some(start),
                Next::Ended(why) => {
                    ended = Some(why);
                    break None;
                }
                Next::Watch => {}
            }
        };
        w.shutdown().await;
        let fired = started.map(|(trigger, by)| w.fired(trigger, by));
        drop(w);
        // The trigger that fired stays in sight before the run screen takes over.
        if let Some(fired) = &fired {
            super::fired::show(&mut terminal, &mut keys, fired, p.opts.mode, theme).await;
        }
        // Its reader thread holds the terminal's event lock while it waits: the run screen's
        // stream would wait for it forever when no key ended the watch.
        drop(keys);
        let Some(fired) = fired else {
            return Ok(None);
        };
        let (session, rx) = start_run(&p, fired, &mut journal).map_err(std::io::Error::other)?;
        super::run_screen(&mut terminal, App::new(session, theme), rx)
            .await
            .map(Some)
    });
    ratatui::restore();
    match outcome {
        Ok(None) => {
            println!(
                "{}",
                ended.unwrap_or_else(|| "watch stopped; nothing was started".into())
            );
            Ok(Exit::Ok)
        }
        other => super::finish(other),
    }
}

/// Time left as `mm:ss`.
pub fn mmss(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> Board {
        crate::monitor::board::test_board(
            "  - name: a\n    command: x\n    condition: result > 1.0\n    severity: high\n  - name: b\n    command: y\n    condition: result > 1.0\n",
        )
    }

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn keys_become_commands_and_the_footer_lists_only_those_that_apply() {
        let mut b = board();
        let mut s = Screen::default();
        let keys = |s: &Screen, b: &Board| s.hints(b).iter().map(|h| h.0).collect::<Vec<_>>();
        assert_eq!(keys(&s, &b), ["↑↓", "enter", "p", "f", "q", "?"]);
        // `?` opens the help; the key that closes it does nothing else.
        assert_eq!(s.on_key(key(KeyCode::Char('?')), &b), None);
        assert!(s.help);
        assert_eq!(s.on_key(key(KeyCode::Char('q')), &b), None);
        assert!(!s.help);
        assert_eq!(s.on_key(key(KeyCode::Down), &b), None);
        assert_eq!(s.on_key(key(KeyCode::Char('p')), &b), Some(Cmd::Pause(1)));
        assert_eq!(s.on_key(key(KeyCode::Char('f')), &b), None);
        assert_eq!(keys(&s, &b), ["y", "n"]);
        assert_eq!(s.on_key(key(KeyCode::Char('y')), &b), Some(Cmd::Start(1)));
        // A countdown: only start and cancel apply, and a cancel needs a reason.
        b.record(0, Ok(serde_json::json!(5)), Duration::ZERO);
        assert_eq!(keys(&s, &b), ["s", "c", "?"]);
        assert_eq!(s.on_key(key(KeyCode::Char('p')), &b), None);
        s.on_key(key(KeyCode::Char('c')), &b);
        assert_eq!(s.on_key(key(KeyCode::Enter), &b), None, "no reason yet");
        for c in "noise".chars() {
            s.on_key(key(KeyCode::Char(c)), &b);
        }
        assert_eq!(
            s.on_key(key(KeyCode::Enter), &b),
            Some(Cmd::Cancel(0, "noise".into()))
        );
        assert_eq!(s.on_key(key(KeyCode::Char('s')), &b), Some(Cmd::Start(0)));
    }
}
