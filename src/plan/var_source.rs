//! Where a variable's value comes from: `--var`, `--var-file`, the environment (`env: true`),
//! the plan's default, the start screen, or (in a drill) the plan's example or a placeholder. Shown beside the value and recorded in the journal.

use super::model::Var;

/// Where a variable's value came from, shown on the start screen and recorded in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// `--var name=value`.
    Given,
    /// `--var-file FILE`.
    VarFile,
    /// The environment of `rollback` (`env: true` on the variable).
    Environment,
    /// The plan's `default`, or empty for an optional variable without one.
    #[default]
    Default,
    /// Typed (or changed) on the start screen.
    Prompt,
    /// A drill: the variable's `example`.
    DrillExample,
    /// A drill: a value made up and marked DRILL, for a variable without an example.
    DrillPlaceholder,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Given => "given",
            Source::VarFile => "var-file",
            Source::Environment => "environment",
            Source::Default => "default",
            Source::Prompt => "prompt",
            Source::DrillExample => "drill example",
            Source::DrillPlaceholder => "drill placeholder",
        }
    }
}

/// Values the operator gave before the run, in the order given (a later one wins): var files
/// first, then `--var`, each with its source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Given(pub Vec<(String, String, Source)>);

impl Given {
    /// All from `--var` (or typed, as `source` says).
    pub fn all(pairs: &[(String, String)], source: Source) -> Given {
        Given(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone(), source))
                .collect(),
        )
    }
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(k, v, _)| (k.clone(), v.clone()))
            .collect()
    }
    /// The last value given for `name`, with its source.
    pub fn get(&self, name: &str) -> Option<(&str, Source)> {
        self.0
            .iter()
            .rev()
            .find(|(k, _, _)| k == name)
            .map(|(_, v, s)| (v.as_str(), *s))
    }
}

/// The value of an `env: true` variable in the environment `env` describes: set and not empty.
pub fn from_env(name: &str, var: &Var, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    var.env
        .then(|| env(name))
        .flatten()
        .filter(|v| !v.is_empty())
}

/// The environment of this process, the one place variables read it.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
