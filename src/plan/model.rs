//! The plan as written: serde types read straight from YAML, and the source of the
//! published JSON Schema (`assets/plan.schema.json`). Doc comments here become the
//! descriptions editors show, so they are written for plan authors.

use schemars::JsonSchema;
use serde::Deserialize;

use super::duration::Dur;
pub use super::exercise::{Exercise, ExerciseOrphan, ExerciseTrigger};
pub use super::lanes::{Alternative, ForEach, RegionFailure};
use super::loc::{Entries, Loc};
pub use super::step::{
    AutoApprove, NoReturn, NoReturnSpec, PreAuthorised, Retry, Simulate, Step, StepKind,
};

/// Ids of plans, phases, steps and scenarios.
pub const ID_PATTERN: &str = "^[a-z0-9][a-z0-9_-]*$";

/// Team ids: they become part of a database role's name.
pub const TEAM_PATTERN: &str = "^[a-z0-9_]{1,40}$";

/// A rollback plan: how to reverse one change, phase by phase, within an SLA.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "rollback plan")]
pub struct Plan {
    /// Identifier of the plan: lowercase letters, digits, `-` and `_`.
    #[schemars(pattern(ID_PATTERN))]
    pub plan: Loc<String>,
    /// One line saying what this plan rolls back.
    pub title: Loc<String>,
    /// Longer context for the operator: what the change was, what "rolled back" looks like.
    #[serde(default)]
    pub description: Option<String>,
    /// The team or person accountable for the plan.
    #[serde(default)]
    pub owner: Option<Loc<String>>,
    /// The team whose store role ships this plan's runs (`rollback_team_<team>`): 1 to 40 of
    /// a-z, 0-9 and `_`. Runs of a plan without one ship as team `default`.
    #[serde(default)]
    #[schemars(pattern(TEAM_PATTERN))]
    pub team: Option<Loc<String>>,
    /// Certification level the plan claims, 2 to 4; sets the default SLA and the rules it must meet.
    #[schemars(range(min = 2, max = 4))]
    pub level: Loc<u8>,
    /// What kind of change is rolled back.
    pub operation: Loc<Operation>,
    /// Time allowed for the whole rollback (per region at level 4). Default: the tighter of the
    /// level's (L2 30m, L3 15m, L4 10m) and the operation's (configuration and workflow 5m,
    /// application 15m, database and infrastructure 30m).
    #[serde(default)]
    pub sla: Option<Loc<Dur>>,
    /// Why `sla` is looser than that default (validate warns when it is and no reason is given).
    #[serde(default)]
    pub sla_reason: Option<Loc<String>>,
    /// How much of the plan runs without a person: full, semi (approval gates) or manual.
    pub automation: Loc<Automation>,
    /// Regions the plan covers; required at level 4, where the SLA applies per region. Each
    /// name is an id: it becomes part of file names (`execute.apply@eu-west-1`).
    #[serde(default)]
    #[schemars(inner(pattern(ID_PATTERN)))]
    pub regions: Vec<Loc<String>>,
    /// Variables handed to every command as environment variables (never pasted into command text).
    #[serde(default)]
    pub vars: Entries<Var>,
    /// Command run at start, on each escalation, on SLA breach and at the end, with the event as JSON on stdin.
    #[serde(default)]
    pub notify: Option<Loc<String>>,
    /// Escalation ladder by elapsed time. Default: L2 at 5m (senior SRE), L3 at 15m (CTO/VP), L4 at 30m (full incident response).
    #[serde(default)]
    pub escalation: Option<Loc<Vec<Rung>>>,
    /// Partial rollbacks: named subsets of phases, steps or regions.
    #[serde(default)]
    pub scenarios: Entries<Scenario>,
    /// The phases, in order.
    pub phases: Loc<Vec<Phase>>,
    /// Validation after the rollback, in the standard's time windows: a mapping with
    /// `windows` (their ends) and `post_checks`, whose checks and the plan's triggers are
    /// sampled in each window; or, as before, a list of items reported as follow-ups only.
    #[serde(default)]
    pub post_rollback: super::post::PostRollback,
    /// Signals that say the rollback should start: probes sampled on an interval.
    #[serde(default)]
    pub triggers: Vec<super::trigger::Trigger>,
    /// How long operators may cancel before a `severity: high` trigger starts the rollback,
    /// for the triggers that do not set their own `cancel_window`. Default 60s.
    #[serde(default)]
    pub cancel_window: Option<Loc<Dur>>,
    /// The standard's verification checklist: six automated checks and four manual ones.
    #[serde(default)]
    pub verification: Option<Loc<super::checklist::Checklist>>,
    /// How many regions a `for_each: region` phase works on at once (default 1: one by one).
    #[serde(default)]
    #[schemars(range(min = 1, max = 64))]
    pub parallel: Option<Loc<u32>>,
    /// What one region failing for good does to the others (default `stop_all`).
    #[serde(default)]
    pub on_region_failure: Option<Loc<RegionFailure>>,
    /// Training exercises, by name: faults a drill injects (`rollback drill PLAN --exercise NAME`).
    #[serde(default)]
    pub drills: Entries<Exercise>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Application,
    Database,
    Infrastructure,
    Configuration,
    Workflow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Automation {
    /// Every step runs without a person, verification included.
    Full,
    /// Commands run by themselves; people approve at gates.
    Semi,
    /// People carry out the steps; the tool keeps time and record.
    Manual,
}

/// A variable. Its value comes from `--var`, `--var-file`, the environment (with `env`), the
/// start screen, or `default`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Var {
    /// What the variable is for, shown beside its prompt.
    #[serde(default)]
    pub description: Option<String>,
    /// Value used when none is given.
    #[serde(default)]
    pub default: Option<Loc<String>>,
    /// Question shown on the start screen.
    #[serde(default)]
    pub prompt: Option<String>,
    /// The run cannot start without a value.
    #[serde(default)]
    pub required: bool,
    /// Regular expression the whole value must match.
    #[serde(default)]
    pub pattern: Option<Loc<String>>,
    /// Redacted wherever shown: screen, timeline, report.
    #[serde(default)]
    pub secret: bool,
    /// A realistic value that is not a real one: what a drill uses when nobody gives a value
    /// (a drill never asks for a secret). Must match `pattern`.
    #[serde(default)]
    pub example: Option<Loc<String>>,
    /// Takes the value of the environment variable of the same name, when it is set and not
    /// empty and no `--var`/`--var-file` gives one: it wins over `default`.
    #[serde(default)]
    pub env: bool,
}

/// One rung of the escalation ladder.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// Elapsed time at which this rung is reached.
    pub after: Loc<Dur>,
    /// Escalation level, 2 to 4 (level 1, retry with logging, is where every run starts).
    #[schemars(range(min = 2, max = 4))]
    pub level: Loc<u8>,
    /// Who to engage or what to do, shown in the banner.
    pub action: String,
    /// Command run when the rung is reached (overrides the plan's `notify` for this rung).
    #[serde(default)]
    pub notify: Option<String>,
}

/// A partial rollback: the subset of the plan to run.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub kind: Option<ScenarioKind>,
    /// Phases to run, by id. Empty means all phases.
    #[serde(default)]
    pub phases: Vec<Loc<String>>,
    /// Steps to run, as `phase.step`; when given, only these steps of their phases run.
    #[serde(default)]
    pub steps: Vec<Loc<String>>,
    /// Regions to roll back; phases tagged with other regions are left out.
    #[serde(default)]
    #[schemars(inner(pattern(ID_PATTERN)))]
    pub regions: Vec<Loc<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioKind {
    Full,
    ApplicationOnly,
    DatabaseOnly,
    SingleService,
    ConfigurationOnly,
    Regional,
}

/// The eight phases of the rollback template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhaseKind {
    Assess,
    Capture,
    Communicate,
    Prepare,
    Execute,
    Verify,
    Validate,
    Close,
}

impl PhaseKind {
    pub const ALL: [PhaseKind; 8] = [
        PhaseKind::Assess,
        PhaseKind::Capture,
        PhaseKind::Communicate,
        PhaseKind::Prepare,
        PhaseKind::Execute,
        PhaseKind::Verify,
        PhaseKind::Validate,
        PhaseKind::Close,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PhaseKind::Assess => "assess",
            PhaseKind::Capture => "capture",
            PhaseKind::Communicate => "communicate",
            PhaseKind::Prepare => "prepare",
            PhaseKind::Execute => "execute",
            PhaseKind::Verify => "verify",
            PhaseKind::Validate => "validate",
            PhaseKind::Close => "close",
        }
    }

    pub fn from_name(name: &str) -> Option<PhaseKind> {
        PhaseKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A phase of the rollback.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Identifier, unique in the plan.
    #[schemars(pattern(ID_PATTERN))]
    pub id: Loc<String>,
    /// Which of the eight template phases this is; defaults to the id when the id is one of them.
    #[serde(default)]
    pub kind: Option<Loc<PhaseKind>>,
    #[serde(default)]
    pub title: Option<String>,
    /// Expected time for the phase.
    #[serde(default)]
    pub estimate: Option<Loc<Dur>>,
    /// Entering this phase cannot be undone: the operator must confirm first (`true`), or the
    /// plan pre-authorises unattended runs to pass it (`{approve: auto, by: pipeline}`).
    #[serde(default)]
    #[schemars(with = "NoReturnSpec")]
    pub point_of_no_return: NoReturn,
    /// The region this phase acts on (level 4 plans).
    #[serde(default)]
    pub region: Option<Loc<String>>,
    pub steps: Loc<Vec<Step>>,
    /// `region`: the phase runs once per region of the run, each region a lane with its own
    /// clock; its commands get `ROLLBACK_REGION`.
    #[serde(default)]
    pub for_each: Option<Loc<ForEach>>,
    /// Regions this phase works on at once; overrides the plan's `parallel`.
    #[serde(default)]
    #[schemars(range(min = 1, max = 64))]
    pub parallel: Option<Loc<u32>>,
    /// What one region failing for good does to the others; overrides the plan's.
    #[serde(default)]
    pub on_region_failure: Option<Loc<RegionFailure>>,
    /// Other ways to recover, offered when a step of this phase fails for good.
    #[serde(default)]
    pub alternatives: Vec<Alternative>,
}

impl Phase {
    /// The template phase, from `kind` or from the id.
    pub fn kind(&self) -> Option<PhaseKind> {
        self.kind
            .as_ref()
            .map(|k| k.value)
            .or_else(|| PhaseKind::from_name(&self.id))
    }
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.id)
    }
}

/// A post-rollback validation item: exactly one of `check` or `manual`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    /// The window it belongs to: immediate, short-term or long-term.
    pub window: Loc<Window>,
    #[serde(default)]
    pub title: Option<String>,
    /// Shell command; while its window runs it is sampled, and exit 0 means all is well.
    #[serde(default)]
    pub check: Option<Loc<String>>,
    /// What a person confirms by looking (a follow-up in the report).
    #[serde(default)]
    pub manual: Option<Loc<String>>,
    /// Time between samples of the check. Default 1m.
    #[serde(default)]
    pub interval: Option<Loc<Dur>>,
    /// A check that has not ended after this long is an error sample. Default 30s.
    #[serde(default)]
    pub timeout: Option<Loc<Dur>>,
    /// CEL expression over `result` (the check's stdout read as a number or JSON) that is
    /// true when all is well, e.g. `result < 0.01`. Without it, exit 0 is well.
    #[serde(default)]
    pub expect: Option<Loc<String>>,
}

/// Validation windows after the rollback: `immediate` (to 15 minutes: service,
/// performance, data), `short-term` (to 1 hour: user impact, business metrics, stability),
/// `long-term` (to 24 hours: trends, data quality, customer communication).
// No doc comments on the variants: they would turn the schema's `enum` into a `oneOf`,
// whose error messages do not list the allowed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Window {
    Immediate,
    ShortTerm,
    LongTerm,
}

impl Window {
    pub fn name(self) -> &'static str {
        match self {
            Window::Immediate => "immediate",
            Window::ShortTerm => "short-term",
            Window::LongTerm => "long-term",
        }
    }
}

impl Validation {
    pub fn text(&self) -> &str {
        self.check
            .as_ref()
            .or(self.manual.as_ref())
            .map(|l| l.value.as_str())
            .unwrap_or("")
    }
}
