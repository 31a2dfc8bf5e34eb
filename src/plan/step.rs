//! A step of a plan as written: what it does (exactly one of run, check, approve, manual),
//! how it is retried and timed out, the point of no return, and what a drill plays instead.

use schemars::JsonSchema;
use serde::Deserialize;

use super::duration::Dur;
use super::lanes::Alternative;
use super::loc::{Entries, Loc};
use super::model::ID_PATTERN;

/// A step: exactly one of `run`, `check`, `approve` or `manual`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Identifier, unique in its phase; written `phase.step` elsewhere.
    #[schemars(pattern(ID_PATTERN))]
    pub id: Loc<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// Shell command that changes something (run with `sh -c`).
    #[serde(default)]
    pub run: Option<Loc<String>>,
    /// Shell command that verifies something; exit 0 means the check passed.
    #[serde(default)]
    pub check: Option<Loc<String>>,
    /// Approval gate: the question a named person must approve.
    #[serde(default)]
    pub approve: Option<Loc<String>>,
    /// Who must approve this gate (e.g. "service owner", "change advisory board").
    #[serde(default)]
    pub role: Option<Loc<String>>,
    /// Manual check: what the operator must confirm by looking.
    #[serde(default)]
    pub manual: Option<Loc<String>>,
    /// Kill the command (its whole process group) after this long.
    #[serde(default)]
    pub timeout: Option<Loc<Dur>>,
    #[serde(default)]
    pub retry: Option<Retry>,
    /// Extra environment variables for the command.
    #[serde(default)]
    pub env: Entries<String>,
    /// Directory to run in, relative to the plan file.
    #[serde(default)]
    pub workdir: Option<Loc<String>>,
    /// Why this step exists and what to watch for; shown in drills and training.
    #[serde(default)]
    pub explain: Option<String>,
    /// What a drill shows instead of running the command.
    #[serde(default)]
    pub simulate: Option<Loc<Simulate>>,
    /// This step cannot be undone: the operator must confirm before it starts (`true`), or
    /// the plan pre-authorises unattended runs to pass it (`{approve: auto, by: pipeline}`).
    #[serde(default)]
    #[schemars(with = "NoReturnSpec")]
    pub point_of_no_return: NoReturn,
    /// Other ways to recover when this step fails for good (before its phase's).
    #[serde(default)]
    pub alternatives: Vec<Alternative>,
}

/// A point of no return as the plan marks it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "NoReturnSpec")]
pub struct NoReturn {
    pub set: bool,
    /// Who pre-authorised it: a headless run passes it without `--approve-as`, recorded as
    /// confirmed by this name.
    pub auto_by: Option<String>,
}

/// How `point_of_no_return` is written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum NoReturnSpec {
    Flag(bool),
    PreAuthorised(PreAuthorised),
}

/// Passing the point of no return is decided in advance, for unattended (headless) runs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreAuthorised {
    /// Only `auto`.
    pub approve: AutoApprove,
    /// Who is accountable for passing it, recorded as the confirmer (e.g. `pipeline`).
    pub by: String,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AutoApprove {
    Auto,
}

impl From<NoReturnSpec> for NoReturn {
    fn from(spec: NoReturnSpec) -> NoReturn {
        match spec {
            NoReturnSpec::Flag(set) => NoReturn { set, auto_by: None },
            NoReturnSpec::PreAuthorised(p) => NoReturn {
                set: true,
                auto_by: Some(p.by),
            },
        }
    }
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Run,
    Check,
    Approve,
    Manual,
}

impl StepKind {
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Run => "run",
            StepKind::Check => "check",
            StepKind::Approve => "approve",
            StepKind::Manual => "manual",
        }
    }
    /// Commands the tool executes, as opposed to steps a person carries out.
    pub fn is_command(self) -> bool {
        matches!(self, StepKind::Run | StepKind::Check)
    }
}

impl Step {
    /// The kinds this step declares; a valid step declares exactly one.
    pub fn kinds(&self) -> Vec<(StepKind, &Loc<String>)> {
        [
            (StepKind::Run, &self.run),
            (StepKind::Check, &self.check),
            (StepKind::Approve, &self.approve),
            (StepKind::Manual, &self.manual),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect()
    }

    /// The step's kind and its text (command, question or check). Validated plans have one.
    pub fn action(&self) -> (StepKind, &str) {
        self.kinds()
            .first()
            .map(|(k, v)| (*k, v.value.as_str()))
            .unwrap_or((StepKind::Manual, ""))
    }

    pub fn kind(&self) -> StepKind {
        self.action().0
    }

    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.id)
    }

    /// How many attempts the plan allows before the operator is asked.
    pub fn attempts(&self) -> u32 {
        self.retry.as_ref().map(|r| *r.attempts).unwrap_or(1).max(1)
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Total attempts, the first included (at least 1).
    #[schemars(range(min = 1, max = 100))]
    pub attempts: Loc<u32>,
    /// Wait between attempts.
    #[serde(default)]
    pub delay: Option<Loc<Dur>>,
}

/// The simulated behaviour of a step in a drill.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Simulate {
    /// How long the simulated command takes.
    #[serde(default)]
    pub duration: Option<Loc<Dur>>,
    /// Lines the simulated command prints, spread over its duration.
    #[serde(default)]
    pub output: Vec<String>,
    /// Exit code of the simulated command.
    #[serde(default)]
    pub exit: i32,
}
