//! A seal is held to the records it seals: its summary is built again from the run's
//! records and plan copy, as sealing built it, and every figure `stats` and `ready` count
//! (outcome, SLA, durations, steps, retries, escalations, regions, rehearsal) must be the
//! same. A seal line edited and re-hashed alone passes the hash chain, never this.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::files;
use super::journal::read_complete;
use super::rundir::{PLAN_COPY, TIMELINE};
use crate::engine::record::Record;
use crate::engine::seal::Seal;
use crate::plan::Plan;
use crate::records::RunSummary;
use crate::report::summary::Summary;

/// Plans already read, by the digest the runs recorded of them: runs of one plan share one
/// read and one parse, and a plan copy is read only when its digest is new (and must then
/// be the plan recorded).
#[derive(Default)]
pub struct Plans(Mutex<HashMap<String, Arc<Plan>>>);

impl Plans {
    fn of(&self, dir: &Path, recorded: &str) -> Result<Arc<Plan>, String> {
        if let Some(plan) = self.0.lock().map_err(|_| "poisoned")?.get(recorded) {
            return Ok(plan.clone());
        }
        let path = dir.join(PLAN_COPY);
        let bytes = files::read_bounded(&path, files::MAX_WHOLE)
            .map_err(|e| format!("cannot read {PLAN_COPY}: {e}"))?;
        if hex::encode(Sha256::digest(&bytes)) != recorded {
            return Err(format!("{PLAN_COPY} is not the plan the run recorded"));
        }
        let plan = crate::plan::load::load_bytes(PLAN_COPY, bytes)
            .map_err(|e| format!("the plan copy does not load: {e}"))?
            .plan;
        let plan = Arc::new(plan);
        if let Ok(mut cache) = self.0.lock() {
            cache.insert(recorded.to_string(), plan.clone());
        }
        Ok(plan)
    }
}

/// Whether the seal of the run in `dir` sums up its records: `Err` names the first figure
/// that differs, or why the run cannot be read again.
pub fn seal_holds(dir: &Path, seal: &Seal, plans: &Plans) -> Result<(), String> {
    let bytes = files::read_bounded(&dir.join(TIMELINE), files::MAX_WHOLE)
        .map_err(|e| format!("cannot read {TIMELINE} again: {e}"))?;
    let (records, _) = read_complete(&bytes).map_err(|e| e.to_string())?;
    holds(plans, dir, &records, &Summary::of_seal(seal)?)
}

/// `seal_holds` over the run's records already read (the seal last).
pub fn holds(
    plans: &Plans,
    dir: &Path,
    records: &[Record],
    summary: &Summary,
) -> Result<(), String> {
    let recorded =
        crate::engine::record::recorded_plan_sha256(records).ok_or("no plan digest recorded")?;
    let plan = plans.of(dir, recorded)?;
    let Some((sealed, before)) = records.split_last() else {
        return Err("no records".into());
    };
    let report = crate::report::build(&plan, before, sealed.ts_ms);
    let rebuilt = Summary::of(&report);
    differs(
        &RunSummary::of("", summary, true),
        &RunSummary::of("", &rebuilt, true),
    )
    .map_or(Ok(()), |field| {
        Err(format!(
            "the seal's {field} is not what its records say (a seal rewritten after the run?)"
        ))
    })
}

/// The first figure counted over many runs on which two summaries of a run differ.
fn differs(sealed: &RunSummary, rebuilt: &RunSummary) -> Option<&'static str> {
    let (a, b) = (sealed, rebuilt);
    let figures: [(&'static str, bool); 17] = [
        ("plan", a.plan == b.plan),
        ("level", a.level == b.level),
        ("mode", a.mode == b.mode),
        ("automation", a.automation == b.automation),
        ("trigger", a.trigger == b.trigger),
        ("start", a.started_ms == b.started_ms),
        ("end", a.ended_ms == b.ended_ms),
        ("outcome", a.outcome == b.outcome),
        ("duration", a.duration_ms == b.duration_ms),
        ("SLA", a.sla_ms == b.sla_ms && a.within_sla == b.within_sla),
        ("steps", a.steps_selected == b.steps_selected),
        ("automated steps", a.steps_automated == b.steps_automated),
        ("retries", a.retries == b.retries),
        ("escalation", a.escalation == b.escalation),
        ("environment", a.environment == b.environment),
        (
            "participants",
            a.participants == b.participants && a.stakeholders == b.stakeholders,
        ),
        ("regions", a.regions == b.regions),
    ];
    figures
        .iter()
        .find(|(_, same)| !same)
        .map(|(name, _)| *name)
}
