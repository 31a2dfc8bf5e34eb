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
