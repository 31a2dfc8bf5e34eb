//! `rollback verify RUN`: the hash chain holds and every output log still has the digest
//! recorded when its step ended.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::journal::read_complete;
use super::rundir::TIMELINE;
use crate::engine::Event;

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub records: usize,
    pub logs: usize,
    /// The first problem, naming the timeline line it concerns.
    pub problem: Option<(usize, String)>,
    /// Bytes after the last complete line (a run killed mid-write that was never resumed).
    pub torn_tail: bool,
}

/// Checks the run in `dir`.
pub fn verify(dir: &Path) -> std::io::Result<Verdict> {
    let bytes = std::fs::read(dir.join(TIMELINE))?;
    let (records, complete) = match read_complete(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return Ok(Verdict {
                records: e.line - 1,
                logs: 0,
                problem: Some((e.line, e.message)),
                torn_tail: false,
            });
        }
    };
    let mut logs: HashMap<(String, u32), String> = HashMap::new();
    let mut checked = 0;
    for (i, r) in records.iter().enumerate() {
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
                let line = i + 1;
                match std::fs::read(dir.join(log)) {
                    Ok(content) => {
                        checked += 1;
                        if hex::encode(Sha256::digest(&content)) != *sha256 {
                            return Ok(Verdict {
                                records: records.len(),
                                logs: checked,
                                problem: Some((
                                    line,
                                    format!(
                                        "{log} does not match the digest recorded when {step} ended (changed since?)"
                                    ),
                                )),
                                torn_tail: complete < bytes.len(),
                            });
                        }
                    }
                    Err(e) => {
                        return Ok(Verdict {
                            records: records.len(),
                            logs: checked,
                            problem: Some((line, format!("{log} cannot be read: {e}"))),
                            torn_tail: complete < bytes.len(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Verdict {
        records: records.len(),
        logs: checked,
        problem: None,
        torn_tail: complete < bytes.len(),
    })
}
