//! `post_rollback:` as plans write it. The mapping form declares the validation windows
//! (when each ends, counted from the rollback's end) and the `post_checks` sampled in them
//! besides the plan's triggers. The older list form is still read: its items are the
//! post-checks, and with no windows declared they stay follow-ups that never run.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

use super::duration::Dur;
use super::loc::Loc;
use super::model::{Validation, Window};

/// The standard's windows end 15 minutes, 1 hour and 24 hours after the rollback.
pub const DEFAULT_ENDS: [(Window, Duration); 3] = [
    (Window::Immediate, Duration::from_secs(15 * 60)),
    (Window::ShortTerm, Duration::from_secs(60 * 60)),
    (Window::LongTerm, Duration::from_secs(24 * 60 * 60)),
];

/// Post-rollback validation.
#[derive(Debug, Clone, Default)]
pub struct PostRollback {
    /// Declared windows; `None` in the list form (nothing runs: follow-ups only).
    pub windows: Option<Loc<Windows>>,
    /// Re-evaluate the plan's triggers in every window.
    pub triggers: bool,
    pub post_checks: Vec<Validation>,
}

/// When each window ends, after the rollback. Each starts where the one before ends.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Windows {
    /// End of the immediate window (service, performance, data). Default 15m.
    #[serde(default)]
    pub immediate: Option<Loc<Dur>>,
    /// End of the short-term window (user impact, business, stability). Default 1h.
    #[serde(default, rename = "short-term")]
    pub short_term: Option<Loc<Dur>>,
    /// End of the long-term window (trends, data quality, customer communication). Default 24h.
    #[serde(default, rename = "long-term")]
    pub long_term: Option<Loc<Dur>>,
}

impl Windows {
    /// Each window's end as written, or its default.
    pub fn ends(&self) -> [(Window, Duration, Option<super::loc::Pos>); 3] {
        let written = [&self.immediate, &self.short_term, &self.long_term];
        let mut out = [(Window::Immediate, Duration::ZERO, None); 3];
        for (i, ((w, default), given)) in DEFAULT_ENDS.iter().zip(written).enumerate() {
            out[i] = (
                *w,
                given.as_ref().map_or(*default, |d| d.0),
                given.as_ref().map(|d| d.pos),
            );
        }
        out
    }
}

/// The mapping form, for the schema.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PostRollbackMap {
    /// When each window ends after the rollback (defaults: immediate 15m, short-term 1h,
    /// long-term 24h). Declaring them makes the windows run after a successful run.
    #[serde(default)]
    windows: Option<Windows>,
    /// Re-evaluate the plan's triggers in every window. Default true.
    #[serde(default)]
    triggers: Option<bool>,
    /// Checks sampled in their window, and manual items for people to confirm.
    #[serde(default)]
    post_checks: Vec<Validation>,
}

impl PostRollback {
    pub fn iter(&self) -> std::slice::Iter<'_, Validation> {
        self.post_checks.iter()
    }
    pub fn len(&self) -> usize {
        self.post_checks.len()
    }
    pub fn is_empty(&self) -> bool {
        self.post_checks.is_empty()
    }
}

impl<'a> IntoIterator for &'a PostRollback {
    type Item = &'a Validation;
    type IntoIter = std::slice::Iter<'a, Validation>;
    fn into_iter(self) -> Self::IntoIter {
        self.post_checks.iter()
    }
}

impl<'de> Deserialize<'de> for PostRollback {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PostRollback;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping with `windows` and `post_checks`, or a list of items")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<PostRollback, E> {
                Ok(PostRollback::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PostRollback, A::Error> {
                let mut post_checks = Vec::new();
                while let Some(v) = seq.next_element::<Validation>()? {
                    post_checks.push(v);
                }
                Ok(PostRollback {
                    windows: None,
                    triggers: true,
                    post_checks,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PostRollback, A::Error> {
                let mut out = PostRollback {
                    windows: None,
                    triggers: true,
                    post_checks: Vec::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "windows" => {
                            out.windows = map.next_value::<Option<Loc<Windows>>>()?;
                        }
                        "triggers" => out.triggers = map.next_value()?,
                        "post_checks" => out.post_checks = map.next_value()?,
                        other => {
                            return Err(serde::de::Error::unknown_field(
                                other,
                                &["windows", "triggers", "post_checks"],
                            ));
                        }
                    }
                }
                // The mapping form runs its windows, with the standard's ends by default.
                if out.windows.is_none() {
                    out.windows = Some(Loc::new(Windows::default(), Default::default()));
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for PostRollback {
    fn schema_name() -> Cow<'static, str> {
        "PostRollback".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let list = generator.subschema_for::<Vec<Validation>>();
        let map = generator.subschema_for::<PostRollbackMap>();
        // if/then/else rather than anyOf: a mistake inside either form is reported where it
        // is, with the keys that form accepts.
        schemars::json_schema!({
            "description": "Validation after the rollback: `{windows, triggers, post_checks}`, whose windows run after a successful run; or a list of items, reported as follow-ups only.",
            "if": {"type": "array"},
            "then": list,
            "else": map,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::load::{LoadError, load_bytes};
    use crate::plan::validate::validate;

    const BASE: &str = include_str!("../../tests/plans/base.yaml");

    /// The base plan with `post` appended: its post-rollback section.
    fn load(post: &str) -> Result<crate::plan::Plan, Vec<(String, String)>> {
        let text = format!("{BASE}{post}");
        let shown = |d: &crate::plan::Diagnostic| (d.pos().to_string(), d.message.clone());
        match load_bytes("p.yaml", text.into_bytes()) {
            Ok(l) => {
                let problems: Vec<_> = validate(&l.plan)
                    .iter()
                    .filter(|d| d.severity == crate::plan::Severity::Error)
                    .map(shown)
                    .collect();
                if problems.is_empty() {
                    Ok(l.plan)
                } else {
                    Err(problems)
                }
            }
            Err(LoadError::Invalid { diagnostics, .. }) => {
                Err(diagnostics.iter().map(shown).collect())
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_list_form_still_reads_as_follow_ups_without_windows() {
        let plan = load("post_rollback:\n  - {window: immediate, check: 'true'}\n  - {window: long-term, manual: look}\n").unwrap();
        assert!(plan.post_rollback.windows.is_none());
        assert_eq!(plan.post_rollback.len(), 2);
    }

    #[test]
    fn the_mapping_form_declares_windows_with_the_standard_s_defaults() {
        let plan = load("post_rollback:\n  post_checks:\n    - {window: immediate, check: 'true', interval: 10s, expect: result == 0}\n").unwrap();
        let post = &plan.post_rollback;
        let ends: Vec<_> = post
            .windows
            .as_ref()
            .unwrap()
            .ends()
            .iter()
            .map(|e| e.1)
            .collect();
        assert_eq!(ends, DEFAULT_ENDS.map(|e| e.1));
        assert!(post.triggers);
        assert_eq!(
            post.post_checks[0].interval.as_ref().unwrap().0,
            Duration::from_secs(10)
        );

        let plan =
            load("post_rollback:\n  windows: {short-term: 2h}\n  triggers: false\n").unwrap();
        let ends = plan.post_rollback.windows.as_ref().unwrap().ends();
        assert_eq!(ends[1].1, Duration::from_secs(7200));
        assert!(!plan.post_rollback.triggers);
    }

    #[test]
    fn bad_fields_are_reported_where_they_are_written() {
        // Each case: the section's lines after `post_rollback:`, the text the error must
        // point at (its first occurrence), and what it must say.
        let cases = [
            (
                "  windws: {immediate: 5m}",
                "windws",
                "did you mean `windows`",
            ),
            ("  windows: {medium: 5m}", "medium", "unknown key `medium`"),
            (
                "  windows: {immediate: 20m, short-term: 10m}",
                "10m",
                "must end after the one before it (20m)",
            ),
            ("  windows: {immediate: soon}", "soon", "not a duration"),
            (
                "  post_checks:\n    - {window: immediate, manual: look, interval: 1m}",
                "1m",
                "`interval` applies to a `check`",
            ),
            (
                "  post_checks:\n    - {window: immediate, check: 'true', interval: 0s}",
                "0s",
                "longer than 0s",
            ),
            (
                "  post_checks:\n    - {window: immediate, check: 'true', expect: 'result >'}",
                "'result",
                "`expect` does not compile",
            ),
            (
                "  post_checks:\n    - {window: later, check: 'true'}",
                "later",
                "`later` is not allowed",
            ),
        ];
        let first = BASE.lines().count() + 2;
        for (post, marker, want) in cases {
            let problems = load(&format!("post_rollback:\n{post}\n")).expect_err(post);
            let (n, text) = post
                .lines()
                .enumerate()
                .find(|(_, l)| l.contains(marker))
                .unwrap();
            let pos = format!("{}:{}", first + n, text.find(marker).unwrap() + 1);
            assert!(
                problems.iter().any(|(p, m)| *p == pos && m.contains(want)),
                "{post}: want {pos} {want:?}, got {problems:?}"
            );
        }
    }
}
