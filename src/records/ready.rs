//! Readiness by level: what the records must show before a plan may be relied on. L1 needs
//! nothing beyond validation; L2 a completed rehearsal (staging) with its timing recorded;
//! L3 also a completed rehearsal inside the SLA within the last N days, and one in a
//! prod-like environment; L4 also a rehearsal that covered more than one region and one a
//! stakeholder took part in (both within the last N days). Environment and participants
//! are what `rehearse --env/--participant/--stakeholder` recorded; a rehearsal from before
//! they were recorded is never taken for a prod-like or stakeholder one.

use serde::Serialize;

use super::RunSummary;
use crate::engine::Mode;
use crate::engine::record::utc_text;
use crate::engine::rehearsal::Environment;
use crate::engine::sla::clock_text;
use crate::report::RunOutcome;

const DAY_MS: u64 = 86_400_000;

/// One requirement and whether the records meet it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    pub id: &'static str,
    pub text: String,
    pub met: bool,
    /// The run that meets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// What is missing, when not met.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    pub plan: String,
    pub level: u8,
    pub ready: bool,
    pub requirements: Vec<Requirement>,
}

impl Readiness {
    pub fn missing(&self) -> impl Iterator<Item = &Requirement> {
        self.requirements.iter().filter(|r| !r.met)
    }
}

/// What `ready` is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked<'a> {
    pub plan: &'a str,
    pub level: u8,
    /// Errors `validate` reports for the plan.
    pub errors: usize,
    pub max_age_ms: u64,
    pub now_ms: i64,
}

fn req(id: &'static str, text: String, found: Result<String, String>) -> Requirement {
    let met = found.is_ok();
    let (evidence, missing) = match found {
        Ok(e) => (Some(e), None),
        Err(m) => (None, Some(m)),
    };
    Requirement {
        id,
        text,
        met,
        evidence,
        missing,
    }
}

/// The verdict on `asked.plan` from `runs` (every finished run; drills never count).
pub fn readiness(asked: &Asked, runs: &[RunSummary]) -> Readiness {
    let mut reqs = vec![req(
        "validates",
        "the plan validates".into(),
        match asked.errors {
            0 => Ok("no errors".into()),
            n => Err(format!("`rollback validate` reports {n} error(s)")),
        },
    )];
    let rehearsals: Vec<&RunSummary> = runs
        .iter()
        .filter(|r| r.mode == Mode::Rehearsal && r.plan == asked.plan)
        .collect();
    let timed: Vec<&RunSummary> = rehearsals
        .iter()
        .copied()
        .filter(|r| r.outcome == RunOutcome::Completed && r.ended_ms.is_some())
        .collect();
    if asked.level >= 2 {
        let latest = timed.iter().max_by_key(|r| r.started_ms);
        reqs.push(req(
            "staging",
            "tested in staging (a completed rehearsal) with its timing recorded".into(),
            match latest {
                Some(r) => Ok(format!("{} ({})", r.id, clock_text(r.duration_ms))),
                None if rehearsals.is_empty() => Err(format!(
                    "no rehearsal of `{}` is recorded: run `rollback rehearse` on staging",
                    asked.plan
                )),
                None => Err(format!(
                    "{} rehearsal(s) of `{}` recorded, none completed",
                    rehearsals.len(),
                    asked.plan
                )),
            },
        ));
    }
    if asked.level >= 3 {
        reqs.push(recent_within_sla(asked, &timed));
        reqs.push(prod_like(asked, &timed));
    }
    if asked.level >= 4 {
        let recent = recent(asked, &timed);
        let days = asked.max_age_ms / DAY_MS;
        let most = recent.iter().map(|r| r.regions).max();
        reqs.push(req(
            "multi_region",
            format!("a rehearsal across more than one region in the last {days} days"),
            latest(
                &recent,
                |r| r.regions > 1,
                |r| format!("{} regions", r.regions),
            )
            .ok_or_else(|| match most {
                Some(n) => format!(
                    "the {} completed rehearsal(s) of the last {days} days covered at most \
                         {n} region(s): rehearse the plan across its regions",
                    recent.len()
                ),
                None => format!("no completed rehearsal in the last {days} days"),
            }),
        ));
        reqs.push(req(
            "stakeholders",
            format!("a rehearsal with a stakeholder taking part in the last {days} days"),
            latest(
                &recent,
                |r| r.stakeholders > 0,
                |r| format!("{} stakeholder(s)", r.stakeholders),
            )
            .ok_or_else(|| {
                format!(
                    "none of the {} completed rehearsal(s) of the last {days} days recorded a \
                     stakeholder: rehearse with `--stakeholder NAME`",
                    recent.len()
                )
            }),
        ));
    }
    Readiness {
        plan: asked.plan.to_string(),
        level: asked.level,
        ready: reqs.iter().all(|r| r.met),
        requirements: reqs,
    }
}

/// Completed rehearsals started within the last `max_age`.
fn recent<'a>(asked: &Asked, timed: &[&'a RunSummary]) -> Vec<&'a RunSummary> {
    let cutoff = asked
        .now_ms
        .saturating_sub(i64::try_from(asked.max_age_ms).unwrap_or(i64::MAX));
    timed
        .iter()
        .copied()
        .filter(|r| r.started_ms >= cutoff)
        .collect()
}

/// The latest run that `ok` accepts, as evidence: `run-id (what)`.
fn latest(
    runs: &[&RunSummary],
    ok: impl Fn(&RunSummary) -> bool,
    what: impl Fn(&RunSummary) -> String,
) -> Option<String> {
    runs.iter()
        .filter(|r| ok(r))
        .max_by_key(|r| r.started_ms)
        .map(|r| format!("{} ({})", r.id, what(r)))
}

/// L3: a completed prod-like rehearsal within the SLA, within the last N days.
fn prod_like(asked: &Asked, timed: &[&RunSummary]) -> Requirement {
    let days = asked.max_age_ms / DAY_MS;
    let pool: Vec<&RunSummary> = recent(asked, timed)
        .into_iter()
        .filter(|r| r.within_sla == Some(true))
        .collect();
    let count = |env: Option<Environment>| pool.iter().filter(|r| r.environment == env).count();
    let found = latest(
        &pool,
        |r| r.environment == Some(Environment::ProdLike),
        |r| {
            format!(
                "prod-like, {} of {}",
                clock_text(r.duration_ms),
                clock_text(r.sla_ms)
            )
        },
    )
    .ok_or_else(|| {
        let mut ran = Vec::new();
        match count(Some(Environment::Staging)) {
            0 => {}
            n => ran.push(format!("{n} in staging")),
        }
        match count(None) {
            0 => {}
            n => ran.push(format!("{n} with the environment not recorded")),
        }
        let seen = if ran.is_empty() {
            format!("no completed rehearsal within the SLA in the last {days} days")
        } else {
            format!(
                "the completed rehearsals within the SLA of the last {days} days: {}",
                ran.join(", ")
            )
        };
        format!("{seen}; rehearse with `rollback rehearse --env prod-like`")
    });
    req(
        "prod_like",
        format!("a rehearsal in a prod-like environment within the SLA in the last {days} days"),
        found,
    )
}

fn recent_within_sla(asked: &Asked, timed: &[&RunSummary]) -> Requirement {
    let days = asked.max_age_ms / DAY_MS;
    let cutoff = asked
        .now_ms
        .saturating_sub(i64::try_from(asked.max_age_ms).unwrap_or(i64::MAX));
    let recent: Vec<&&RunSummary> = timed.iter().filter(|r| r.started_ms >= cutoff).collect();
    let good = recent
        .iter()
        .filter(|r| r.within_sla == Some(true))
        .max_by_key(|r| r.started_ms);
    let found = match (good, recent.iter().min_by_key(|r| r.duration_ms)) {
        (Some(r), _) => Ok(format!(
            "{} ({} of {})",
            r.id,
            clock_text(r.duration_ms),
            clock_text(r.sla_ms)
        )),
        (None, Some(best)) => Err(format!(
            "the {} completed rehearsal(s) of the last {days} days all missed the SLA \
             (best {} of {})",
            recent.len(),
            clock_text(best.duration_ms),
            clock_text(best.sla_ms)
        )),
        (None, None) => Err(match timed.iter().max_by_key(|r| r.started_ms) {
            Some(last) => format!(
                "no completed rehearsal in the last {days} days (the latest started {})",
                utc_text(last.started_ms)
            ),
            None => format!("no completed rehearsal in the last {days} days"),
        }),
    };
    req(
        "recent_within_sla",
        format!("a rehearsal within the SLA in the last {days} days"),
        found,
    )
}

#[cfg(test)]
mod tests;
