//! The standard's predefined triggers, kept as data in `assets/triggers.yaml` and read
//! once. Each entry gives defaults a plan takes with `use:`; thresholds carry a unit so
//! that `threshold: 500ms` on an error rate is refused rather than misread.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::plan::trigger::TriggerSeverity;

const SOURCE: &str = include_str!("../../assets/triggers.yaml");

/// The six categories of the standard, in its order.
pub const CATEGORIES: [&str; 6] = [
    "metric",
    "health-check",
    "business",
    "data-quality",
    "security",
    "customer-impact",
];

/// The unit a threshold is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// `5%`, bound to conditions as 0.05.
    Percent,
    /// `500ms`, `2s`, bound to conditions in seconds (Prometheus' unit).
    Duration,
    /// A plain number: a count or a rate.
    Number,
    /// The trigger has no threshold.
    None,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Percent => "percent",
            Unit::Duration => "duration",
            Unit::Number => "number",
            Unit::None => "none",
        }
    }

    /// The unit a threshold of a plan's own trigger is written in: `%`, a duration, or none.
    pub fn of_written(text: &str) -> Unit {
        let t = text.trim();
        if t.ends_with('%') {
            Unit::Percent
        } else if t.parse::<f64>().is_ok() {
            Unit::Number
        } else {
            Unit::Duration
        }
    }

    /// The threshold as conditions see it, or why the text is not in this unit.
    pub fn parse(self, text: &str) -> Result<f64, String> {
        let t = text.trim();
        let number = |s: &str| s.trim().parse::<f64>().ok().filter(|f| f.is_finite());
        match self {
            Unit::Percent => match t.strip_suffix('%').and_then(number) {
                Some(p) => Ok(p / 100.0),
                None => Err(format!(
                    "`{text}` is not a percentage: write it as 5% or 0.5%"
                )),
            },
            Unit::Duration => match crate::plan::duration::parse(t) {
                Ok(d) => Ok(d.as_secs_f64()),
                Err(_) => Err(format!(
                    "`{text}` is not a duration: write it as 500ms, 2s or 1m"
                )),
            },
            Unit::Number => number(t).ok_or_else(|| {
                format!("`{text}` is not a plain number: write it without a unit, as 100 or 2.5")
            }),
            Unit::None => Err("this trigger has no threshold to set".into()),
        }
    }
}

/// A probe template: where to look is the plan's, what to ask is the catalogue's.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTemplate {
    #[serde(default)]
    pub value: Option<crate::plan::trigger::HttpValue>,
    #[serde(default)]
    pub jsonpath: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::plan::status::Statuses>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertTemplate {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// One predefined trigger.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    pub category: String,
    pub title: String,
    pub unit: Unit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    pub severity: TriggerSeverity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_limit: Option<u32>,
    /// PromQL, with `${selector}` for the plan's label matchers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpTemplate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager: Option<AlertTemplate>,
    pub condition: String,
    pub explain: String,
}

impl Entry {
    /// Which probe the entry samples with.
    pub fn probe_kind(&self) -> &'static str {
        if self.prometheus.is_some() {
            "prometheus"
        } else if self.http.is_some() {
            "http"
        } else {
            "alertmanager"
        }
    }

    pub fn interval(&self) -> Option<Duration> {
        self.interval
            .as_deref()
            .and_then(|i| crate::plan::duration::parse(i).ok())
    }

    /// The threshold as conditions see it (0.05 for 5%), if the entry has one.
    pub fn default_threshold(&self) -> Option<f64> {
        self.threshold
            .as_deref()
            .and_then(|t| self.unit.parse(t).ok())
    }

    /// The one-line explanation with the threshold as written filled in.
    pub fn explain_with(&self, threshold: Option<&str>) -> String {
        let written = threshold.or(self.threshold.as_deref()).unwrap_or("");
        self.explain.replace("{threshold}", written)
    }
}

/// Every predefined trigger, in the catalogue's order.
pub fn entries() -> &'static [Entry] {
    static ENTRIES: LazyLock<Vec<Entry>> = LazyLock::new(|| {
        serde_saphyr::from_str(SOURCE).expect("assets/triggers.yaml is a valid catalogue")
    });
    &ENTRIES
}

pub fn find(name: &str) -> Option<&'static Entry> {
    entries().iter().find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::condition::Condition;

    #[test]
    fn the_catalogue_covers_the_standards_six_categories_with_twenty_or_more() {
        let all = entries();
        assert!(all.len() >= 20, "{}", all.len());
        let count = |c: &str| all.iter().filter(|e| e.category == c).count();
        for (category, at_least) in CATEGORIES.iter().zip([8, 3, 3, 2, 2, 2]) {
            assert!(
                count(category) >= at_least,
                "{category}: {}",
                count(category)
            );
        }
        assert!(
            all.iter()
                .all(|e| CATEGORIES.contains(&e.category.as_str()))
        );
    }

    #[test]
    fn every_entry_is_usable_as_written() {
        let mut names = std::collections::HashSet::new();
        for e in entries() {
            assert!(names.insert(&e.name), "{} twice", e.name);
            let probes = [
                e.prometheus.is_some(),
                e.http.is_some(),
                e.alertmanager.is_some(),
            ];
            assert_eq!(probes.iter().filter(|p| **p).count(), 1, "{}", e.name);
            assert!(Condition::compile(&e.condition).is_ok(), "{}", e.name);
            assert_eq!(
                e.threshold.is_some(),
                e.unit != Unit::None,
                "{}: a threshold exactly when there is a unit",
                e.name
            );
            if e.threshold.is_some() {
                assert!(e.default_threshold().is_some(), "{}", e.name);
            }
            if let Some(i) = &e.interval {
                assert!(e.interval().is_some(), "{}: {i}", e.name);
            }
            assert!(!e.explain_with(None).contains('{'), "{}", e.name);
        }
    }

    #[test]
    fn units_refuse_thresholds_written_in_another() {
        assert_eq!(Unit::Percent.parse("5%"), Ok(0.05));
        assert_eq!(Unit::Duration.parse("500ms"), Ok(0.5));
        assert_eq!(Unit::Number.parse("12"), Ok(12.0));
        for (unit, text) in [
            (Unit::Percent, "500ms"),
            (Unit::Percent, "0.05"),
            (Unit::Duration, "5%"),
            (Unit::Duration, "300"),
            (Unit::Number, "5%"),
            (Unit::Number, "2s"),
            (Unit::None, "1"),
        ] {
            assert!(unit.parse(text).is_err(), "{unit:?} {text}");
        }
    }
}
