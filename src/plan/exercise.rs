//! Training exercises as written in a plan's `drills:`: the faults a drill plays, the same
//! for every trainee.

use schemars::JsonSchema;
use serde::Deserialize;

use super::duration::Dur;
use super::loc::{Entries, Loc};

/// A training exercise: the faults a drill of the plan plays, the same for every trainee.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// What the trainee practises, shown when the drill starts.
    #[serde(default)]
    pub title: Option<String>,
    /// Steps (`phase.step` or a step id) that fail on purpose, each for its first N attempts.
    #[serde(default)]
    pub fail: Entries<Loc<u32>>,
    /// Steps whose simulation plays slower, each by a factor such as `3x`.
    #[serde(default)]
    pub slow: Entries<Loc<String>>,
    /// Drill clock factor when `--speed` is not given.
    #[serde(default)]
    pub speed: Option<Loc<f64>>,
    /// A trigger of the plan that fires: the drill starts by watching it, as `rollback watch`
    /// would, with its probe's answers played instead of asked.
    #[serde(default)]
    pub trigger: Option<ExerciseTrigger>,
    /// The session is cut while this step runs, as a dropped SSH connection would cut it: its
    /// command goes on as a real process, and the trainee resumes the run and finds it.
    #[serde(default)]
    pub orphan: Option<ExerciseOrphan>,
}

/// The trigger an exercise fires, and what its probe answers before and after.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExerciseTrigger {
    /// The plan's trigger, by name.
    pub name: Loc<String>,
    /// Drill time its probe answers `healthy` before it answers `firing` (default 1m).
    #[serde(default)]
    pub after: Option<Loc<Dur>>,
    /// The probe's answer while all is well; the condition must not hold for it.
    pub healthy: Loc<serde_json::Value>,
    /// The probe's answer once things go wrong; the condition must hold for it.
    pub firing: Loc<serde_json::Value>,
}

/// The step during which an exercise cuts the session.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExerciseOrphan {
    /// `phase.step` or a step id; the cut comes once its first attempt has started.
    pub step: Loc<String>,
    /// Real time its command keeps running after the cut (default 1m), so there is something
    /// to find when the trainee resumes.
    #[serde(default)]
    pub lasts: Option<Loc<Dur>>,
}
