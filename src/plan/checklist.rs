//! The standard's verification checklist: six automated checks and four manual ones, each
//! filled by the plan with an existing step, a command, a trigger's probe or a confirmation,
//! or marked not applicable with a reason. The items a plan fills with a command, a trigger
//! or a confirmation become steps of its verify phase when it is read, so the engine runs,
//! records and reports them like every other step.

use schemars::JsonSchema;
use serde::Deserialize;

use super::duration::Dur;
use super::loc::{Loc, Pos};
use super::model::{Phase, PhaseKind, Plan, Retry, Simulate, Step};

/// The verification after the rollback, item by item as the standard lists it.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    /// What a failed automated check leads to: `reverify` (three attempts, 30 s apart, for
    /// the checks written here), `escalate` (the next escalation level at once), or `ask`
    /// (the operator decides, as for any failed step; the default).
    #[serde(default)]
    pub on_failure: Option<Loc<OnFailure>>,
    /// Automated: the service answers its health checks.
    #[serde(default)]
    pub service_health: Option<Loc<Item>>,
    /// Automated: the running version or revision is the one captured before the change.
    #[serde(default)]
    pub version: Option<Loc<Item>>,
    /// Automated: the error rate is back to its baseline.
    #[serde(default)]
    pub error_rate: Option<Loc<Item>>,
    /// Automated: latency is back to its baseline.
    #[serde(default)]
    pub latency: Option<Loc<Item>>,
    /// Automated: row counts or checksums match what was captured before.
    #[serde(default)]
    pub data_integrity: Option<Loc<Item>>,
    /// Automated: the dependencies are reachable.
    #[serde(default)]
    pub dependencies: Option<Loc<Item>>,
    /// Manual: a smoke test of the main user journey passes.
    #[serde(default)]
    pub smoke_test: Option<Loc<Item>>,
    /// Manual: the logs were reviewed and show no new errors.
    #[serde(default)]
    pub logs_reviewed: Option<Loc<Item>>,
    /// Manual: the stakeholders were told the rollback is done.
    #[serde(default)]
    pub stakeholders_informed: Option<Loc<Item>>,
    /// Manual: the monitoring dashboards look normal.
    #[serde(default)]
    pub dashboards_normal: Option<Loc<Item>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    Reverify,
    Escalate,
    Ask,
}

/// One item of the checklist: exactly one of `step`, `check`, `trigger`, `confirm` or
/// `not_applicable`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The step of the plan that does this check, as `phase.step`, or a list of them (one
    /// per region, say): the item passes when all of them passed.
    #[serde(default)]
    pub step: Option<Loc<StepRefs>>,
    /// Automated items: a shell command; exit 0 means the check passed.
    #[serde(default)]
    pub check: Option<Loc<String>>,
    /// Automated items: a trigger of the plan, sampled once; the check passes when the
    /// trigger's condition does not hold.
    #[serde(default)]
    pub trigger: Option<Loc<String>>,
    /// Manual items: what the operator confirms by looking.
    #[serde(default)]
    pub confirm: Option<Loc<String>>,
    /// Why this check does not apply to this change.
    #[serde(default)]
    pub not_applicable: Option<Loc<String>>,
    /// Time allowed for a `check` or `trigger` (default 1m).
    #[serde(default)]
    pub timeout: Option<Loc<Dur>>,
}

/// One step or several.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StepRefs {
    One(String),
    Many(Vec<String>),
}

impl StepRefs {
    pub fn keys(&self) -> Vec<&str> {
        match self {
            StepRefs::One(k) => vec![k.as_str()],
            StepRefs::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}

/// Whether an item is checked by a machine or by a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Automated,
    Manual,
}

/// The ten items in the standard's order: key, words, kind.
pub const ITEMS: [(&str, &str, Kind); 10] = [
    ("service_health", "service health", Kind::Automated),
    (
        "version",
        "version matches the captured state",
        Kind::Automated,
    ),
    ("error_rate", "error rate at baseline", Kind::Automated),
    ("latency", "latency at baseline", Kind::Automated),
    ("data_integrity", "data integrity", Kind::Automated),
    ("dependencies", "dependencies reachable", Kind::Automated),
    ("smoke_test", "smoke test of the user journey", Kind::Manual),
    ("logs_reviewed", "logs reviewed", Kind::Manual),
    (
        "stakeholders_informed",
        "stakeholders informed",
        Kind::Manual,
    ),
    (
        "dashboards_normal",
        "monitoring dashboards normal",
        Kind::Manual,
    ),
];

impl Checklist {
    /// The items in the standard's order, `None` where the plan left one out.
    pub fn items(&self) -> [Option<&Loc<Item>>; 10] {
        [
            self.service_health.as_ref(),
            self.version.as_ref(),
            self.error_rate.as_ref(),
            self.latency.as_ref(),
            self.data_integrity.as_ref(),
            self.dependencies.as_ref(),
            self.smoke_test.as_ref(),
            self.logs_reviewed.as_ref(),
            self.stakeholders_informed.as_ref(),
            self.dashboards_normal.as_ref(),
        ]
    }

    pub fn on_failure(&self) -> OnFailure {
        self.on_failure.as_ref().map_or(OnFailure::Ask, |o| o.value)
    }
}

impl Item {
    /// The steps that carry the item out, as `phase.step`: those named, or the one this
    /// item adds to the verify phase. Empty when not applicable.
    pub fn step_keys(&self, key: &str, verify_phase: &str) -> Vec<String> {
        if let Some(s) = &self.step {
            return s.keys().into_iter().map(str::to_string).collect();
        }
        if self.check.is_some() || self.trigger.is_some() || self.confirm.is_some() {
            return vec![format!("{verify_phase}.{}", step_id(key))];
        }
        Vec::new()
    }
}

/// The id of the step an item adds: `checklist-service-health`.
pub fn step_id(key: &str) -> String {
    format!("checklist-{}", key.replace('_', "-"))
}

/// The id of the phase the checklist's own steps go in: the plan's first verify phase for
/// all regions, or `verify`, added before the phases that come after verification.
pub fn verify_phase(plan: &Plan) -> String {
    plan.phases
        .iter()
        .find(|p| p.kind() == Some(PhaseKind::Verify) && p.region.is_none())
        .map_or_else(|| "verify".to_string(), |p| p.id.value.clone())
}

/// The words of the automated item that `step_key` checks, when the plan's checklist says
/// a failure of it escalates at once.
pub fn escalates_on_failure(plan: &Plan, step_key: &str) -> Option<&'static str> {
    let list = plan.verification.as_ref()?;
    if list.on_failure() != OnFailure::Escalate {
        return None;
    }
    let phase = verify_phase(plan);
    ITEMS
        .iter()
        .zip(list.items())
        .filter(|((_, _, kind), _)| *kind == Kind::Automated)
        .find_map(|((key, words, _), item)| {
            let item = item?;
            // One region's copy of a step (`phase.step@region`) counts as the step.
            let plan_key = step_key.split('@').next().unwrap_or(step_key);
            item.step_keys(key, &phase)
                .iter()
                .any(|k| k == plan_key)
                .then_some(*words)
        })
}

/// The shell command that samples a trigger of the run's plan once.
fn probe_command(trigger: &str) -> String {
    let quoted = format!("'{}'", trigger.replace('\'', r"'\''"));
    format!("\"$ROLLBACK_EXE\" probe \"$ROLLBACK_RUN_DIR/plan.yaml\" {quoted}")
}

/// A fully automated plan runs without a person, verification included: its `confirm`
/// items are for people after the run, not steps the run waits on.
pub fn after_the_run(plan: &Plan) -> bool {
    *plan.automation == super::model::Automation::Full
}

/// Adds the steps of the checklist's items to the verify phase (made when missing).
pub fn expand(plan: &mut Plan) {
    let Some(list) = plan.verification.clone() else {
        return;
    };
    let reverify = list.on_failure() == OnFailure::Reverify;
    let unattended = after_the_run(plan);
    let mut steps = Vec::new();
    for ((key, words, _), item) in ITEMS.iter().zip(list.items()) {
        let Some(item) = item else { continue };
        if unattended && item.confirm.is_some() {
            continue;
        }
        let Some(step) = item_step(key, words, item, reverify) else {
            continue;
        };
        steps.push(step);
    }
    if steps.is_empty() {
        return;
    }
    let phase_id = verify_phase(plan);
    let at = list
        .service_health
        .as_ref()
        .map_or(Pos::default(), |i| i.pos);
    let phases = &mut plan.phases.value;
    let index = match phases.iter().position(|p| p.id.value == phase_id) {
        Some(i) => i,
        None => {
            let after_verify = phases.iter().position(|p| {
                matches!(p.kind(), Some(PhaseKind::Validate) | Some(PhaseKind::Close))
            });
            let i = after_verify.unwrap_or(phases.len());
            phases.insert(
                i,
                Phase {
                    id: Loc::new(phase_id, at),
                    kind: Some(Loc::new(PhaseKind::Verify, at)),
                    title: Some("Verification checklist".into()),
                    steps: Loc::new(Vec::new(), at),
                    ..Phase::default()
                },
            );
            i
        }
    };
    let phase = &mut phases[index];
    // Names already taken are left to validate to report; never two steps with one id.
    steps.retain(|s| !phase.steps.iter().any(|o| o.id.value == s.id.value));
    phase.steps.value.extend(steps);
}

fn item_step(key: &str, words: &str, item: &Loc<Item>, reverify: bool) -> Option<Step> {
    let at = item.pos;
    let timeout = item
        .timeout
        .as_ref()
        .map(|t| t.value)
        .unwrap_or(Dur::mins(1));
    let simulated = |line: String| {
        Some(Loc::new(
            Simulate {
                duration: Some(Loc::new(Dur::secs(1), at)),
                output: vec![line],
                exit: 0,
            },
            at,
        ))
    };
    let retry = reverify.then(|| Retry {
        attempts: Loc::new(3, at),
        delay: Some(Loc::new(Dur::secs(30), at)),
    });
    let mut step = Step {
        id: Loc::new(step_id(key), at),
        title: Some(format!("Checklist: {words}")),
        ..Step::default()
    };
    if let Some(c) = &item.check {
        step.check = Some(c.clone());
        step.timeout = Some(Loc::new(timeout, at));
        step.retry = retry;
        step.simulate = simulated(format!("{words}: passed"));
    } else if let Some(t) = &item.trigger {
        step.check = Some(Loc::new(probe_command(&t.value), t.pos));
        step.timeout = Some(Loc::new(timeout, at));
        step.retry = retry;
        step.explain = Some(format!(
            "Samples the trigger `{}` once: the check passes when its condition does not hold.",
            t.value
        ));
        step.simulate = simulated(format!("trigger {}: condition does not hold", t.value));
    } else if let Some(c) = &item.confirm {
        step.manual = Some(c.clone());
    } else {
        return None;
    }
    Some(step)
}

#[cfg(test)]
mod tests {
    use crate::plan::load::parse_str;

    const HEAD: &str = "plan: p\ntitle: t\nlevel: 2\noperation: application\nautomation: semi\n";

    fn steps(text: &str) -> Vec<(String, Vec<String>)> {
        let plan = parse_str(text).expect("test plan parses");
        plan.phases
            .iter()
            .map(|p| {
                let ids = p.steps.iter().map(|s| s.id.value.clone()).collect();
                (p.id.value.clone(), ids)
            })
            .collect()
    }

    #[test]
    fn written_items_join_the_verify_phase_and_references_add_nothing() {
        let text = format!(
            "{HEAD}triggers:\n  - {{name: errs, command: echo 0, condition: result > 1.0}}\nphases:\n  \
             - id: verify\n    steps:\n      - {{id: up, check: 'true'}}\n  \
             - id: close\n    steps:\n      - {{id: bye, manual: done}}\n\
             verification:\n  on_failure: reverify\n  service_health: {{step: verify.up}}\n  \
             version: {{check: 'true'}}\n  error_rate: {{trigger: errs}}\n  \
             latency: {{not_applicable: batch job}}\n  smoke_test: {{confirm: it works}}\n"
        );
        let got = steps(&text);
        assert_eq!(
            got[0].1,
            [
                "up",
                "checklist-version",
                "checklist-error-rate",
                "checklist-smoke-test"
            ]
        );
        let plan = parse_str(&text).unwrap();
        let s = &plan.phases[0].steps[2];
        let probe = s.check.as_ref().unwrap();
        assert_eq!(
            probe.value,
            "\"$ROLLBACK_EXE\" probe \"$ROLLBACK_RUN_DIR/plan.yaml\" 'errs'"
        );
        assert_eq!(
            s.retry.as_ref().map(|r| *r.attempts),
            Some(3),
            "reverify retries"
        );
        assert!(s.simulate.is_some(), "a drill plays it");
        assert!(plan.phases[0].steps[3].manual.is_some());
    }

    #[test]
    fn a_fully_automated_plan_leaves_confirmations_to_people_after_the_run() {
        let text = format!(
            "{HEAD}phases:\n  - id: verify\n    steps:\n      - {{id: up, check: 'true'}}\n\
             verification:\n  version: {{check: 'true'}}\n  smoke_test: {{confirm: it works}}\n"
        );
        let semi = steps(&text);
        assert_eq!(
            semi[0].1,
            ["up", "checklist-version", "checklist-smoke-test"]
        );
        let full = steps(&text.replace("automation: semi", "automation: full"));
        assert_eq!(
            full[0].1,
            ["up", "checklist-version"],
            "nothing waits on a person"
        );
    }

    #[test]
    fn without_a_verify_phase_for_all_regions_one_is_added_before_what_follows() {
        let text = format!(
            "{HEAD}regions: [eu]\nphases:\n  - id: verify-eu\n    kind: verify\n    region: eu\n    \
             steps:\n      - {{id: up, check: 'true'}}\n  - id: close\n    steps:\n      \
             - {{id: bye, manual: done}}\nverification:\n  smoke_test: {{confirm: it works}}\n"
        );
        let got = steps(&text);
        let order: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(order, ["verify-eu", "verify", "close"]);
        assert_eq!(got[1].1, ["checklist-smoke-test"]);
    }
}
