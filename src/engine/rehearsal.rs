//! What a rehearsal records about itself, so readiness can be proved from records: the
//! environment it ran in and who took part (stakeholders marked). Part of `run_started`.

use serde::{Deserialize, Serialize};

/// Where a rehearsal ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Environment {
    /// A staging environment: proves the plan works, not that it works at production scale.
    #[default]
    Staging,
    /// An environment like production in size, data and topology (the standard's L3).
    ProdLike,
}

impl Environment {
    pub fn name(self) -> &'static str {
        match self {
            Environment::Staging => "staging",
            Environment::ProdLike => "prod-like",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub name: String,
    /// A stakeholder (business owner, customer-facing lead) rather than an engineer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stakeholder: bool,
}

/// The rehearsal's environment and participants, as given to `rollback rehearse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rehearsal {
    pub environment: Environment,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<Participant>,
}

impl Rehearsal {
    pub fn stakeholders(&self) -> impl Iterator<Item = &Participant> {
        self.participants.iter().filter(|p| p.stakeholder)
    }

    /// `prod-like; Ana (stakeholder), Bo`.
    pub fn text(&self) -> String {
        let people: Vec<String> = self
            .participants
            .iter()
            .map(|p| {
                if p.stakeholder {
                    format!("{} (stakeholder)", p.name)
                } else {
                    p.name.clone()
                }
            })
            .collect();
        if people.is_empty() {
            format!("{}; participants not named", self.environment.name())
        } else {
            format!("{}; {}", self.environment.name(), people.join(", "))
        }
    }
}
