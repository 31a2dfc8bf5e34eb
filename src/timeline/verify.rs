//! `rollback verify RUN`: whether a run's record is whole. The hash chain shows a line
//! edited or reordered, and a line removed inside (the next line's `seq` jumps). The end
//! seal and `timeline.seal` show lines removed at the end of a finished run; a run that
//! has no seal but still has its `lock` is open or was left (see `seal`). The plan copy
//! must still match the plan hash last recorded, and every output log its digest.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::record::{GENESIS, Record, parse_line};
use super::rundir::{self, LOCK, PLAN_COPY, TIMELINE};
use super::seal::{MARK, read_mark};
use crate::engine::Event;

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Complete records read.
    pub records: usize,
    pub logs: usize,
    /// Bytes after the last complete line.
    pub torn_tail: bool,
    /// The first line edited or out of place, a forged seal, an output log changed:
    /// where (relative to the run directory, `timeline.jsonl:6`) and what.
    pub damage: Option<(String, String)>,
    pub seal: SealState,
    pub plan: PlanState,
    /// Who accepted a changed plan at a resume (each is on the record).
    pub plan_changes_accepted: Vec<String>,
    /// The validation segment chained after the seal, if there is one: how it stands.
    pub validation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealState {
    /// The last record seals the run and matches what it seals.
    Sealed,
    /// Records are missing; each gap names the last record before it.
    Truncated(Vec<Gap>),
    /// No seal and the run still has its lock: open now (`holder`) or left/killed.
    Unsealed {
        holder: Option<String>,
        /// An end was recorded (the process died before sealing).
        ended: bool,
    },
    /// The timeline is damaged before the end could be judged.
    NotChecked,
}

/// Records lost after `after_seq` (`None`: before the first one that remains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub after_seq: Option<u64>,
    /// `None` when only "at least one" is known.
    pub lost: Option<u64>,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanState {
    Matches,
    /// `now` is `None` when plan.yaml cannot be read.
    Changed {
        recorded: String,
        now: Option<String>,
    },
    /// No plan hash is on the record (no `run_started` left).
    Unrecorded,
}

/// The verdict, most serious first; each has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Damaged,
    Truncated,
    PlanChanged,
    Unsealed,
    Intact,
}

impl Verdict {
    pub fn finding(&self) -> Finding {
        match (&self.damage, &self.seal, &self.plan) {
            (Some(_), _, _) => Finding::Damaged,
            (_, SealState::Truncated(_), _) => Finding::Truncated,
            (_, _, PlanState::Changed { .. }) => Finding::PlanChanged,
            (_, SealState::Unsealed { .. } | SealState::NotChecked, _) => Finding::Unsealed,
            _ => Finding::Intact,
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads the chain, allowing gaps where whole lines were removed (a genuine line whose
/// `seq` jumps ahead): the records with their line numbers, the gaps, the first damage.
type Chain = (Vec<(usize, Record)>, Vec<Gap>, Option<(String, String)>);

fn read_lines(text: &str) -> Chain {
    let mut out: Vec<(usize, Record)> = Vec::new();
    let mut gaps = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = format!("{TIMELINE}:{}", i + 1);
        let r = match parse_line(line) {
            Ok(r) => r,
            Err(why) => return (out, gaps, Some((at, why))),
        };
        let (want_prev, want_seq) = match out.last() {
            Some((_, last)) => (last.hash.as_str(), last.seq + 1),
            None => (GENESIS, 0),
        };
        if r.prev != want_prev && r.seq > want_seq {
            gaps.push(Gap {
                after_seq: want_seq.checked_sub(1),
                lost: Some(r.seq - want_seq),
                why: "lines were removed here".into(),
            });
        } else if r.prev != want_prev {
            let why = "`prev` does not match the line before (a line was removed or reordered)";
            return (out, gaps, Some((at, why.into())));
        } else if r.seq != want_seq {
            let why = format!("sequence number {} where {want_seq} was expected", r.seq);
            return (out, gaps, Some((at, why)));
        }
        out.push((i + 1, r));
    }
    (out, gaps, None)
}

/// Checks the run in `dir`.
pub fn verify(dir: &Path) -> std::io::Result<Verdict> {
    let bytes = std::fs::read(dir.join(TIMELINE))?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let torn_tail = complete < bytes.len();
    let (lines, mut gaps, mut damage) = read_lines(&String::from_utf8_lossy(&bytes[..complete]));
    let records: Vec<Record> = lines.iter().map(|(_, r)| r.clone()).collect();

    let seal = if damage.is_some() {
        SealState::NotChecked
    } else {
        match judge_end(dir, &lines, torn_tail, &mut gaps) {
            Ok(s) => s,
            Err(d) => {
                damage = Some(d);
                SealState::NotChecked
            }
        }
    };
    let mut validation = None;
    if damage.is_none() && seal == SealState::Sealed {
        match super::segment::verify(dir, &records) {
            Ok(v) => validation = v,
            Err(d) => damage = Some(d),
        }
    }
    let mut logs = 0;
    if damage.is_none() {
        match check_logs(dir, &lines) {
            Ok(n) => logs = n,
            Err(d) => damage = Some(d),
        }
    }
    Ok(Verdict {
        records: records.len(),
        logs,
        torn_tail,
        damage,
        seal,
        plan: check_plan(dir, &records),
        plan_changes_accepted: records
            .iter()
            .filter_map(|r| match &r.event {
                Event::PlanChanged { by, .. } => Some(by.clone()),
                _ => None,
            })
            .collect(),
        validation,
    })
}

/// Whether the timeline ends as a sealed, an open or a cut-short run.
fn judge_end(
    dir: &Path,
    lines: &[(usize, Record)],
    torn_tail: bool,
    gaps: &mut Vec<Gap>,
) -> Result<SealState, (String, String)> {
    let mark = read_mark(dir).map_err(|e| (MARK.to_string(), e))?;
    let last = lines.last().map(|(_, r)| r);
    let held = |n: u64| last.map_or(0, |r| r.seq + 1) < n;
    let seal_line = lines.iter().find_map(|(n, r)| match &r.event {
        Event::RunSealed(s) => Some((*n, r, s)),
        _ => None,
    });
    let done = |gaps: &mut Vec<Gap>| {
        if gaps.is_empty() {
            SealState::Sealed
        } else {
            SealState::Truncated(std::mem::take(gaps))
        }
    };
    match seal_line {
        Some((n, r, seal)) => {
            let at = format!("{TIMELINE}:{n}");
            if lines.last().is_some_and(|(last_n, _)| *last_n != n) {
                let why = "records follow the seal: nothing may be added to a sealed run";
                return Err((at, why.into()));
            }
            if seal.records != r.seq || seal.chain_head != r.prev {
                let why = "the seal does not match the records before it";
                return Err((at, why.into()));
            }
            if let Some(m) = mark
                && (m.records != r.seq + 1 || m.hash != r.hash)
            {
                let why = format!(
                    "names {} records, but the sealed timeline holds {}",
                    m.records,
                    r.seq + 1
                );
                return Err((MARK.to_string(), why));
            }
            Ok(done(gaps))
        }
        None => match mark {
            Some(m) if held(m.records) => {
                let have = last.map_or(0, |r| r.seq + 1);
                gaps.push(Gap {
                    after_seq: last.map(|r| r.seq),
                    lost: Some(m.records - have),
                    why: if torn_tail {
                        "the run was sealed; its end was cut off (a partial line remains)".into()
                    } else {
                        "the run was sealed; its last lines were removed".into()
                    },
                });
                Ok(done(gaps))
            }
            Some(m) => Err((
                MARK.to_string(),
                format!(
                    "names {} records, but the timeline holds {} and no seal",
                    m.records,
                    last.map_or(0, |r| r.seq + 1)
                ),
            )),
            None if !gaps.is_empty() => Ok(done(gaps)),
            None if dir.join(LOCK).exists() => Ok(SealState::Unsealed {
                holder: rundir::holder(dir),
                ended: lines.iter().any(|(_, r)| {
                    matches!(
                        r.event,
                        Event::RunCompleted | Event::RunFailed { .. } | Event::RunAborted { .. }
                    )
                }),
            }),
            None => {
                gaps.push(Gap {
                    after_seq: last.map(|r| r.seq),
                    lost: None,
                    why: "the run ended (its lock is gone, which only sealing does) but its seal is missing".into(),
                });
                Ok(done(gaps))
            }
        },
    }
}

/// Every output log still has the digest recorded when its step ended.
fn check_logs(dir: &Path, lines: &[(usize, Record)]) -> Result<usize, (String, String)> {
    let mut logs: HashMap<(String, u32), String> = HashMap::new();
    let mut checked = 0;
    for (n, r) in lines {
        match &r.event {
            Event::StepStarted {
                step, attempt, log, ..
            } => {
                logs.insert((step.clone(), *attempt), log.clone());
            }
            Event::StepFinished {
                step,
                attempt,
                sha256,
                ..
            } => {
                let Some(log) = logs.get(&(step.clone(), *attempt)) else {
                    continue;
                };
                let at = format!("{TIMELINE}:{n}");
                match std::fs::read(dir.join(log)) {
                    Ok(content) if sha256_hex(&content) == *sha256 => checked += 1,
                    Ok(_) => {
                        let why = format!(
                            "{log} does not match the digest recorded when {step} ended (changed since?)"
                        );
                        return Err((at, why));
                    }
                    Err(e) => return Err((at, format!("{log} cannot be read: {e}"))),
                }
            }
            _ => {}
        }
    }
    Ok(checked)
}

/// plan.yaml against the plan hash last recorded.
fn check_plan(dir: &Path, records: &[Record]) -> PlanState {
    let Some(recorded) = super::recorded_plan_sha256(records) else {
        return PlanState::Unrecorded;
    };
    let now = std::fs::read(dir.join(PLAN_COPY))
        .ok()
        .map(|b| sha256_hex(&b));
    if now.as_deref() == Some(recorded) {
        PlanState::Matches
    } else {
        PlanState::Changed {
            recorded: recorded.to_string(),
            now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Mode;
    use crate::timeline::record::encode;

    fn chain(n: u64) -> Vec<String> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|seq| {
                let e = Event::Note {
                    by: "a".into(),
                    text: format!("n{seq}"),
                };
                let (line, hash) = encode(seq, 1, seq, Mode::Drill, "a", &e, &prev);
                prev = hash;
                line
            })
            .collect()
    }

    #[test]
    fn removed_lines_are_gaps_and_moved_or_edited_ones_are_damage() {
        let lines = chain(6);
        let text = |keep: &[usize]| keep.iter().map(|&i| lines[i].as_str()).collect::<String>();

        let (records, gaps, damage) = read_lines(&text(&[0, 1, 4, 5]));
        assert_eq!((records.len(), damage), (4, None));
        assert_eq!(gaps.len(), 1);
        assert_eq!((gaps[0].after_seq, gaps[0].lost), (Some(1), Some(2)));

        let (_, gaps, _) = read_lines(&text(&[2, 3]));
        assert_eq!((gaps[0].after_seq, gaps[0].lost), (None, Some(2)));

        let (_, _, damage) = read_lines(&text(&[0, 2, 1]));
        assert_eq!(damage.unwrap().0, "timeline.jsonl:3", "a line moved back");

        let edited = lines[1].replace("n1", "N1");
        let (_, _, damage) = read_lines(&(lines[0].clone() + &edited));
        assert!(damage.unwrap().1.contains("edited"));
    }
}
