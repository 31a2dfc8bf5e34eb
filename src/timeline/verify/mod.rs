//! `rollback verify RUN`: whether a run's record is whole. The hash chain shows a line
//! edited or reordered, and a line removed inside (the next line's `seq` jumps). The end
//! seal and `timeline.seal` show lines removed at the end of a finished run; a run that
//! has no seal but still has its `lock` is open or was left (see `seal`). The plan copy
//! must still match the plan hash last recorded, and every output log its digest.

use std::path::Path;

use super::files;
use super::lines::{Line, Lines, MAX_RECORD};
use super::rundir::{self, LOCK, PLAN_COPY, TIMELINE};
use super::seal::{MARK, read_mark};
use crate::engine::Event;
use crate::engine::record::Record;

mod scan;
use scan::{Scan, sha256_of};

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

/// Checks the run in `dir`, reading each file once as a stream: memory stays that of one
/// record whatever the size of the run. Only regular files are read, never through a link;
/// a timeline that is not one is an error, any other such file is damage.
pub fn verify(dir: &Path) -> std::io::Result<Verdict> {
    let file = files::open_regular(&dir.join(TIMELINE))?;
    let mut lines = Lines::new(file);
    let mut scan = Scan::default();
    while let Some((n, line)) = lines.next_line()? {
        let more = match line {
            Line::Complete(text) => scan.line(dir, n, text),
            Line::TooLong(len) => scan.damaged(
                format!("{TIMELINE}:{n}"),
                format!("a line of {len} bytes: no record is longer than {MAX_RECORD} bytes"),
            ),
            Line::Torn(_) => {
                scan.torn_tail = true;
                true
            }
        };
        if !more {
            break;
        }
    }
    let mut damage = scan.damage.take();
    let mut gaps = std::mem::take(&mut scan.gaps);
    let seal = if damage.is_some() {
        SealState::NotChecked
    } else {
        match judge_end(dir, &scan, &mut gaps) {
            Ok(s) => s,
            Err(d) => {
                damage = Some(d);
                SealState::NotChecked
            }
        }
    };
    // The seal's summary must be what its records say (a seal re-hashed alone passes the
    // chain); a timeline too large to read whole is checked as a chain only, and a plan
    // copy changed since is its own finding.
    let plan = check_plan(dir, scan.plan_sha256.as_deref());
    if damage.is_none()
        && seal == SealState::Sealed
        && plan == PlanState::Matches
        && let Some((
            n,
            Record {
                event: Event::RunSealed(s),
                ..
            },
        )) = &scan.seal
        && std::fs::symlink_metadata(dir.join(TIMELINE)).is_ok_and(|m| m.len() <= files::MAX_WHOLE)
        && let Err(why) = super::rebuild::seal_holds(dir, s, &Default::default())
    {
        damage = Some((format!("{TIMELINE}:{n}"), why));
    }
    let mut validation = None;
    if damage.is_none() && seal == SealState::Sealed {
        let sealed = scan.seal.as_ref().map(|(_, r)| r);
        match super::segment::verify(dir, sealed) {
            Ok(v) => validation = v,
            Err(d) => damage = Some(d),
        }
    }
    if damage.is_none() {
        damage = scan.log_damage.take();
    }
    Ok(Verdict {
        records: scan.records,
        logs: scan.logs,
        torn_tail: scan.torn_tail,
        damage,
        seal,
        plan,
        plan_changes_accepted: scan.accepted,
        validation,
    })
}

/// Whether the timeline ends as a sealed, an open or a cut-short run.
fn judge_end(dir: &Path, scan: &Scan, gaps: &mut Vec<Gap>) -> Result<SealState, (String, String)> {
    let mark = read_mark(dir).map_err(|e| (MARK.to_string(), e))?;
    let torn_tail = scan.torn_tail;
    let last = scan.last.as_ref().map(|(_, r)| r);
    let held = |n: u64| last.map_or(0, |r| r.seq + 1) < n;
    let seal_line = scan.seal.as_ref().and_then(|(n, r)| match &r.event {
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
                ended: scan.ended,
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

/// plan.yaml against the plan hash last recorded.
fn check_plan(dir: &Path, recorded: Option<&str>) -> PlanState {
    let Some(recorded) = recorded else {
        return PlanState::Unrecorded;
    };
    let now = files::open_regular(&dir.join(PLAN_COPY))
        .and_then(sha256_of)
        .ok();
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
    use crate::engine::record::GENESIS;
    use crate::engine::record::encode;

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

    /// `verify` of a run directory holding these lines (and a lock: not sealed).
    fn verdict(lines: &[&str]) -> Verdict {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(TIMELINE), lines.concat()).unwrap();
        std::fs::write(dir.path().join(LOCK), "").unwrap();
        verify(dir.path()).unwrap()
    }

    #[test]
    fn removed_lines_are_gaps_and_moved_or_edited_ones_are_damage() {
        let lines = chain(6);
        let pick =
            |keep: &[usize]| verdict(&keep.iter().map(|&i| lines[i].as_str()).collect::<Vec<_>>());
        let gaps = |v: Verdict| match v.seal {
            SealState::Truncated(g) => g,
            other => panic!("{other:?}"),
        };

        let v = pick(&[0, 1, 4, 5]);
        assert_eq!((v.records, v.damage.clone()), (4, None));
        let g = gaps(v);
        assert_eq!(g.len(), 1);
        assert_eq!((g[0].after_seq, g[0].lost), (Some(1), Some(2)));

        let g = gaps(pick(&[2, 3]));
        assert_eq!((g[0].after_seq, g[0].lost), (None, Some(2)));

        let v = pick(&[0, 2, 1]);
        assert_eq!(v.damage.unwrap().0, "timeline.jsonl:3", "a line moved back");

        let edited = lines[1].replace("n1", "N1");
        let v = verdict(&[&lines[0], &edited]);
        assert!(v.damage.unwrap().1.contains("edited"));
    }

    #[test]
    fn a_huge_line_is_damage_read_in_bounded_memory_and_links_are_refused() {
        let lines = chain(2);
        let huge = "x".repeat(MAX_RECORD + 10) + "\n";
        let v = verdict(&[&lines[0], &huge, &lines[1]]);
        let (at, why) = v.damage.unwrap();
        assert_eq!(at, "timeline.jsonl:2");
        assert!(why.contains("no record is longer"), "{why}");

        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, lines.concat()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.path().join(TIMELINE)).unwrap();
        assert!(
            verify(dir.path())
                .unwrap_err()
                .to_string()
                .contains("symbolic link")
        );
    }
}
