//! Keys inside dialogs: each dialog reads its own answer (a name, a note, a choice) and
//! hands it to the engine. Esc closes a dialog and never quits.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Leaving, Modal, text_area, text_of};
use crate::engine::Input;

impl App {
    pub(crate) fn close(&mut self) {
        if let Some(
            Modal::Approval(_)
            | Modal::Manual(_)
            | Modal::PointOfNoReturn
            | Modal::Failure
            | Modal::Interrupted
            | Modal::Orphan
            | Modal::Finished,
        ) = self.modal
        {
            self.dismissed = Some(self.session.state.waiting());
        }
        self.modal = None;
    }

    pub(crate) fn modal_key(&mut self, key: KeyEvent) {
        let by = self.session.operator.clone();
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c && !matches!(self.modal, Some(Modal::Quit(_))) {
            self.modal = Some(Modal::Quit(0));
            return;
        }
        if key.code == KeyCode::Esc {
            return self.close();
        }
        let enter = key.code == KeyCode::Enter && !key.modifiers.contains(KeyModifiers::ALT);
        let newline = (key.code == KeyCode::Enter && key.modifiers.contains(KeyModifiers::ALT))
            || (key.code == KeyCode::Char('j') && key.modifiers.contains(KeyModifiers::CONTROL));
        let Some(modal) = self.modal.as_mut() else {
            return;
        };
        match modal {
            Modal::Approval(t) => match key.code {
                _ if enter => {
                    let name = text_of(t);
                    self.send(Input::Approve { by: name });
                }
                KeyCode::Tab => {
                    t.select_all();
                    t.cut();
                    t.insert_str(&by);
                }
                _ => {
                    t.input(key);
                }
            },
            Modal::Manual(t) | Modal::Note(t) if newline => t.insert_newline(),
            Modal::Manual(t) => {
                if enter {
                    let note = Some(text_of(t));
                    self.send(Input::ConfirmManual { by, note });
                } else {
                    t.input(key);
                }
            }
            Modal::Note(t) => {
                if enter {
                    let text = text_of(t);
                    self.modal = None;
                    self.send(Input::Note { by, text });
                } else {
                    t.input(key);
                }
            }
            Modal::Skip(t) => {
                if enter {
                    let reason = text_of(t);
                    self.send(Input::Skip { by, reason });
                    if self.flash.is_none() {
                        self.modal = None;
                    }
                } else {
                    t.input(key);
                }
            }
            Modal::Abort(t) => {
                if enter {
                    let reason = Some(text_of(t))
                        .filter(|r| !r.is_empty())
                        .unwrap_or_else(|| "aborted by the operator".into());
                    self.modal = None;
                    self.send(Input::Abort { by, reason });
                } else {
                    t.input(key);
                }
            }
            Modal::PointOfNoReturn => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.send(Input::ConfirmPointOfNoReturn { by })
                }
                KeyCode::Char('n') => self.close(),
                _ => {}
            },
            Modal::Failure | Modal::Interrupted => match key.code {
                KeyCode::Char('r') => self.send(Input::Retry { by }),
                KeyCode::Char('s') => {
                    self.modal = Some(Modal::Skip(text_area("why is it skipped? (recorded)")))
                }
                KeyCode::Char('a') => self.modal = Some(Modal::Abort(text_area("why? (recorded)"))),
                _ => {}
            },
            Modal::Orphan => match key.code {
                KeyCode::Char('w') => {
                    self.send(Input::WaitOrphan);
                    self.dismissed = Some(self.session.state.waiting());
                    self.modal = None;
                }
                KeyCode::Char('k') => {
                    self.send(Input::KillOrphan);
                    self.dismissed = Some(self.session.state.waiting());
                    self.modal = None;
                }
                _ => {}
            },
            Modal::Status(_) | Modal::Help => self.modal = None,
            Modal::Finished => {
                if enter || key.code == KeyCode::Char('q') {
                    self.leaving = Some(Leaving::Now);
                }
            }
            Modal::Quit(choice) => {
                let running = self.session.state.running().is_some();
                let options = if running { 3 } else { 2 };
                match key.code {
                    KeyCode::Up | KeyCode::Left | KeyCode::BackTab => {
                        *choice = (*choice + options - 1) % options
                    }
                    KeyCode::Down | KeyCode::Right | KeyCode::Tab => {
                        *choice = (*choice + 1) % options
                    }
                    KeyCode::Char(d @ '1'..='3') => {
                        let n = d as usize - '1' as usize;
                        if n < options {
                            *choice = n;
                            self.quit_choice(n, running);
                        }
                    }
                    KeyCode::Enter => {
                        let n = *choice;
                        self.quit_choice(n, running);
                    }
                    KeyCode::Char('q') => self.modal = None,
                    _ => {}
                }
            }
        }
    }

    /// 0 stays; 1 leaves (a running step keeps running); 2 terminates the step, then leaves.
    fn quit_choice(&mut self, n: usize, running: bool) {
        self.modal = None;
        match (n, running) {
            (0, _) => {}
            (1, _) => {
                self.send(Input::Leave {
                    reason: "operator quit".into(),
                    terminate: false,
                });
                self.leaving = Some(Leaving::Now);
            }
            _ => {
                self.send(Input::Leave {
                    reason: "operator quit and stopped the running step".into(),
                    terminate: true,
                });
                self.leaving = Some(Leaving::AfterKill);
            }
        }
    }
}
