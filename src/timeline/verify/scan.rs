//! One pass over a timeline for `verify`: the chain, the seal, the plan digest in force and
//! each output log's digest, keeping never the records themselves.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::Gap;
use crate::engine::Event;
use crate::engine::record::{GENESIS, Record, parse_line};
use crate::timeline::files;
use crate::timeline::rundir::TIMELINE;

/// How many names of who accepted a changed plan are kept: the count goes on.
const ACCEPTED_SHOWN: usize = 100;

/// What a pass over the timeline keeps: never the records themselves, so a timeline of any
/// length is checked in the memory of one line.
#[derive(Default)]
pub(super) struct Scan {
    pub(super) records: usize,
    /// The last record and its line.
    pub(super) last: Option<(usize, Record)>,
    /// The seal and its line, once seen (it must be the last record).
    pub(super) seal: Option<(usize, Record)>,
    pub(super) gaps: Vec<Gap>,
    pub(super) damage: Option<(String, String)>,
    pub(super) ended: bool,
    pub(super) torn_tail: bool,
    pub(super) plan_sha256: Option<String>,
    pub(super) accepted: Vec<String>,
    /// Output logs of attempts that started and have not finished yet.
    pub(super) open_logs: HashMap<(String, u32), String>,
    pub(super) logs: usize,
    /// The first output log that does not match its digest.
    pub(super) log_damage: Option<(String, String)>,
}

impl Scan {
    /// Takes one complete line; false once the chain is damaged (nothing more is read).
    pub(super) fn line(&mut self, dir: &Path, n: usize, line: &str) -> bool {
        let at = format!("{TIMELINE}:{n}");
        let r = match parse_line(line) {
            Ok(r) => r,
            Err(why) => return self.damaged(at, why),
        };
        let (want_prev, want_seq) = match &self.last {
            Some((_, last)) => (last.hash.as_str(), last.seq + 1),
            None => (GENESIS, 0),
        };
        if r.prev != want_prev && r.seq > want_seq {
            self.gaps.push(Gap {
                after_seq: want_seq.checked_sub(1),
                lost: Some(r.seq - want_seq),
                why: "lines were removed here".into(),
            });
        } else if r.prev != want_prev {
            let why = "`prev` does not match the line before (a line was removed or reordered)";
            return self.damaged(at, why.into());
        } else if r.seq != want_seq {
            let why = format!("sequence number {} where {want_seq} was expected", r.seq);
            return self.damaged(at, why);
        }
        if let Some((seal_n, _)) = &self.seal {
            let why = "records follow the seal: nothing may be added to a sealed run";
            return self.damaged(format!("{TIMELINE}:{seal_n}"), why.into());
        }
        self.take(dir, n, &r);
        self.records += 1;
        if matches!(r.event, Event::RunSealed(_)) {
            self.seal = Some((n, r.clone()));
        }
        self.last = Some((n, r));
        true
    }

    /// What one genuine record tells: the plan hash in force, an end, an output log.
    fn take(&mut self, dir: &Path, n: usize, r: &Record) {
        match &r.event {
            Event::RunStarted(info) => self.plan_sha256 = Some(info.plan_sha256.clone()),
            Event::RunResumed { plan_sha256, .. } => self.plan_sha256 = Some(plan_sha256.clone()),
            Event::PlanChanged {
                plan_sha256, by, ..
            } => {
                self.plan_sha256 = Some(plan_sha256.clone());
                if self.accepted.len() < ACCEPTED_SHOWN {
                    self.accepted.push(by.clone());
                }
            }
            Event::RunCompleted | Event::RunFailed { .. } | Event::RunAborted { .. } => {
                self.ended = true
            }
            Event::StepStarted {
                step, attempt, log, ..
            } => {
                self.open_logs.insert((step.clone(), *attempt), log.clone());
            }
            Event::StepFinished {
                step,
                attempt,
                sha256,
                ..
            } => {
                let Some(log) = self.open_logs.remove(&(step.clone(), *attempt)) else {
                    return;
                };
                if self.log_damage.is_some() {
                    return;
                }
                match check_log(dir, &log, step, sha256) {
                    Ok(()) => self.logs += 1,
                    Err(why) => self.log_damage = Some((format!("{TIMELINE}:{n}"), why)),
                }
            }
            _ => {}
        }
    }

    pub(super) fn damaged(&mut self, at: String, why: String) -> bool {
        self.damage = Some((at, why));
        false
    }
}

/// An output log still has the digest recorded when its step ended: read as a stream,
/// only as a regular file.
fn check_log(dir: &Path, log: &str, step: &str, sha256: &str) -> Result<(), String> {
    let shown = crate::text::inline(log);
    let digest = files::open_regular(&dir.join(log))
        .and_then(sha256_of)
        .map_err(|e| format!("{shown} cannot be read: {e}"))?;
    if digest == sha256 {
        Ok(())
    } else {
        Err(format!(
            "{shown} does not match the digest recorded when {} ended (changed since?)",
            crate::text::inline(step)
        ))
    }
}

pub(super) fn sha256_of(mut file: std::fs::File) -> std::io::Result<String> {
    use std::io::Read;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(sha.finalize()));
        }
        sha.update(&buf[..n]);
    }
}
