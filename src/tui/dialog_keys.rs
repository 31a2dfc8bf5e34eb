//! Keys inside dialogs: each dialog reads its own answer (a name, a note, a choice) and
//! hands it to the engine. Esc closes a dialog and never quits.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Leaving, Modal, text_area, text_of};
use crate::engine::{Input, Waiting};

impl App {
    pub(crate) fn close(&mut self) {
        if let Some(
            Modal::Approval(_)
            | Modal::Manual(_)
            | Modal::PointOfNoReturn
            | Modal::Failure
            | Modal::RegionFailure
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
            Modal::RegionFailure | Modal::Failure if matches!(key.code, KeyCode::Char('p')) => {
                self.take_alternative(0, by)
            }
            Modal::RegionFailure if matches!(key.code, KeyCode::Char('c' | 'x')) => {
                let choice = if key.code == KeyCode::Char('c') {
                    crate::plan::RegionFailure::Continue
                } else {
                    crate::plan::RegionFailure::StopAll
                };
                self.send(Input::ChooseRegionPolicy { by, choice })
            }
            Modal::Failure
                if let KeyCode::Char(c @ '1'..='9') = key.code
                    && self
                        .session
                        .state
                        .waiting()
                        .step()
                        .is_some_and(|i| self.session.state.alternatives_for(i).len() > 1) =>
            {
                self.take_alternative(c as usize - '1' as usize, by)
            }
            Modal::Failure | Modal::RegionFailure | Modal::Interrupted => match key.code {
                KeyCode::Char('r') => self.send(Input::Retry { by }),
                KeyCode::Char('s') => {
                    self.modal = Some(Modal::Skip(text_area("why is it skipped? (recorded)")))
                }
                KeyCode::Char('a') => self.modal = Some(Modal::Abort(text_area("why? (recorded)"))),
                _ => {}
            },
            Modal::Orphan => match key.code {
                KeyCode::Char('w') => {
                    let by = self.session.operator.clone();
                    self.send(Input::WaitOrphan { by });
                    self.dismissed = Some(self.session.state.waiting());
                    self.modal = None;
                }
                KeyCode::Char('k') => {
                    let by = self.session.operator.clone();
                    self.send(Input::KillOrphan { by });
                    self.dismissed = Some(self.session.state.waiting());
                    self.modal = None;
                }
                _ => {}
            },
            Modal::Status(_) | Modal::Help => self.modal = None,
            Modal::Finished => {
                if enter || key.code == KeyCode::Char('q') {
                    self.leaving = Some(Leaving::Now);
                } else if key.code == KeyCode::Char('i') {
                    self.modal = Some(Modal::Impact(text_area("e.g. users_affected=1200")));
                }
            }
            Modal::Impact(t) => {
                if enter {
                    let text = text_of(t);
                    let now = chrono::Utc::now().timestamp_millis();
                    let dir = self.session.run.path.clone();
                    match crate::timeline::reports::enter_impact(&dir, &text, &by, now) {
                        Ok(kept) => {
                            self.flash = Some(format!("recorded {kept}; the report is updated"));
                            self.modal = Some(Modal::Finished);
                        }
                        Err(why) => self.flash = Some(crate::text::inline(&why).into_owned()),
                    }
                } else {
                    t.input(key);
                }
            }
            Modal::Quit(choice) => {
                let options = quit_options(&self.session.state).len();
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
                            self.quit_choice(n);
                        }
                    }
                    KeyCode::Enter => {
                        let n = *choice;
                        self.quit_choice(n);
                    }
                    KeyCode::Char('q') => self.modal = None,
                    _ => {}
                }
            }
        }
    }

    /// Carries out the `n`th of `quit_options`.
    fn quit_choice(&mut self, n: usize) {
        self.modal = None;
        let Some((_, choice)) = quit_options(&self.session.state).into_iter().nth(n) else {
            return;
        };
        match choice {
            QuitChoice::Stay => {}
            QuitChoice::KillOrphan => {
                let by = self.session.operator.clone();
                self.send(Input::KillOrphan { by })
            }
            QuitChoice::Leave => {
                self.send(Input::Leave {
                    reason: "operator quit".into(),
                    terminate: false,
                });
                self.leaving = Some(Leaving::Now);
            }
            QuitChoice::StopAndLeave => {
                self.send(Input::Leave {
                    reason: "operator quit and stopped the running step".into(),
                    terminate: true,
                });
                self.leaving = Some(Leaving::AfterKill);
            }
        }
    }
}

/// What leaving can mean now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitChoice {
    Stay,
    /// A command from before the restart is waited for: kill it instead (and stay).
    KillOrphan,
    /// Leave; a running command (or one from before) keeps running.
    Leave,
    StopAndLeave,
}

/// The quit dialog's choices, in order, with their labels; its keys and its text both come
/// from here.
pub fn quit_options(st: &crate::engine::RunState) -> Vec<(String, QuitChoice)> {
    let key = |i: usize| st.steps[i].key.clone();
    match (st.running(), st.waiting()) {
        (Some(i), _) => vec![
            ("Stay".into(), QuitChoice::Stay),
            (
                format!("Leave {} running and quit", key(i)),
                QuitChoice::Leave,
            ),
            (
                format!("Stop {} and quit", key(i)),
                QuitChoice::StopAndLeave,
            ),
        ],
        (None, Waiting::Orphan { step, .. }) => vec![
            (format!("Keep waiting for {}", key(step)), QuitChoice::Stay),
            (
                format!("Kill {} (from before) and stay", key(step)),
                QuitChoice::KillOrphan,
            ),
            (
                format!("Leave {} running and quit", key(step)),
                QuitChoice::Leave,
            ),
        ],
        _ => vec![
            ("Stay".into(), QuitChoice::Stay),
            ("Quit".into(), QuitChoice::Leave),
        ],
    }
}
