//! What a headless run answers to the engine's questions: the flags (`--approve-as`,
//! `--confirm-manual`, `--retry-failed`, `--rerun-interrupted`, `--kill-orphans`,
//! `--on-region-failure`), a plan's pre-authorisations and automatic alternatives, and a
//! drill's trainee; or why nobody can, which stops the run resumable.

use crate::engine::{Input, Waiting};
use crate::headless::Options;
use crate::plan::RegionFailure;
use crate::session::Session;

/// Questions that the flags answer only once.
#[derive(Default)]
pub(crate) struct Asked {
    orphans: std::collections::HashSet<usize>,
    /// Failed steps given another attempt.
    retried: std::collections::HashSet<usize>,
}

/// What the flags answer to the engine's question, or why nobody can.
pub(crate) fn answer(
    waiting: &Waiting,
    s: &Session,
    o: &Options,
    asked: &mut Asked,
) -> Result<Option<Input>, String> {
    let key = |i: usize| s.state().steps[i].key.clone();
    let flagged = match waiting {
        Waiting::Approval(_) | Waiting::PointOfNoReturn(_) => o.approve_as.is_some(),
        Waiting::Manual(_) => o.confirm_manual,
        _ => true,
    };
    if !flagged && let Some(input) = crate::headless::drill::answer(waiting, s) {
        return Ok(Some(input));
    }
    Ok(match waiting {
        Waiting::PointOfNoReturn(i)
            if o.approve_as.is_none()
                && let Some(by) = s.pre_authorised(*i) =>
        {
            Some(Input::ConfirmPointOfNoReturn {
                by: format!("{by} (pre-authorised by the plan)"),
            })
        }
        Waiting::Approval(i) | Waiting::PointOfNoReturn(i) => match &o.approve_as {
            Some(name) if matches!(waiting, Waiting::Approval(_)) => {
                Some(Input::Approve { by: name.clone() })
            }
            Some(name) => Some(Input::ConfirmPointOfNoReturn { by: name.clone() }),
            None if matches!(waiting, Waiting::Approval(_)) => {
                return Err(format!(
                    "{} waits for approval: pass --approve-as NAME",
                    key(*i)
                ));
            }
            None => {
                return Err(format!(
                    "{} is past the point of no return: pass --approve-as NAME to confirm it",
                    key(*i)
                ));
            }
        },
        Waiting::Manual(i) if o.confirm_manual => Some(Input::ConfirmManual {
            by: s.operator().to_string(),
            note: Some("confirmed with --confirm-manual (headless)".into()),
        }),
        Waiting::Manual(i) => {
            return Err(format!(
                "{} is a manual check: pass --confirm-manual",
                key(*i)
            ));
        }
        Waiting::RegionFailure(i) => {
            let choice = o.on_region_failure.unwrap_or(RegionFailure::StopAll);
            println!(
                "{} failed: {} for the other regions (--on-region-failure)",
                key(*i),
                choice.name()
            );
            Some(Input::ChooseRegionPolicy {
                by: s.operator().to_string(),
                choice,
            })
        }
        Waiting::Failure(i) if let Some(alt) = automatic_alternative(s, *i) => {
            Some(Input::TakeAlternative {
                by: s.operator().to_string(),
                alternative: alt,
                automatic: true,
            })
        }
        Waiting::Failure(i) if o.retry_failed && asked.retried.insert(*i) => Some(Input::Retry {
            by: s.operator().to_string(),
        }),
        Waiting::Failure(i) => {
            return Err(format!(
                "{} failed after {} attempt(s): retry, skip or abort with `rollback resume {}`",
                key(*i),
                s.state().steps[*i].attempts_used(),
                s.run().id
            ));
        }
        Waiting::Interrupted(i) if o.rerun_interrupted => Some(Input::Retry {
            by: s.operator().to_string(),
        }),
        Waiting::Interrupted(i) => {
            return Err(format!(
                "{} was interrupted and its outcome is unknown: check it, then resume with --rerun-interrupted",
                key(*i)
            ));
        }
        Waiting::Orphan { step, pgid } if asked.orphans.insert(*step) => {
            if o.kill_orphans {
                println!(
                    "killing process group {pgid} left running by {}",
                    key(*step)
                );
                Some(Input::KillOrphan {
                    by: s.operator().to_string(),
                })
            } else {
                println!(
                    "waiting for process group {pgid} ({} from before) to end; --kill-orphans kills it instead",
                    key(*step)
                );
                Some(Input::WaitOrphan {
                    by: s.operator().to_string(),
                })
            }
        }
        _ => None,
    })
}

/// The first alternative path the plan marks `automatic: true` for step `i`, if any.
fn automatic_alternative(s: &Session, i: usize) -> Option<String> {
    let src = s.state().steps.get(i)?.src;
    crate::engine::expand::alternatives(s.plan(), &src)
        .into_iter()
        .find(|(_, _, a)| a.automatic)
        .map(|(_, _, a)| a.id.value.clone())
}
