//! PURE: the one way secrets are kept from the screen, stdout and the disk. Every byte that
//! comes from outside (a step's output, a probe's answer, a check's result, a notifier's
//! stderr, a step's outputs file) crosses a [`Mask`] before it is shown, printed or written.
//! A `Mask` holds every form of the run's secret values (`secret_forms`); records keep only
//! their own envelope fields (hashes, digests, file names) as they are, and only at the
//! top level, so a probe value under a key named `hash` is masked like any other.

mod forms;
mod stream;

pub use forms::{MIN_SECRET, secret_forms};
pub use stream::Redactor;

use std::borrow::Cow;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::Value as Json;

/// What a secret is replaced with, in logs, the timeline, reports and on screen.
pub const REDACTED: &str = "***";

/// Fields of a record that are never masked, at its top level only: digests, hashes, file
/// names and keys of the plan, which a short secret must not break.
pub const ENVELOPE: &[&str] = &[
    "type",
    "seq",
    "ts",
    "prev",
    "hash",
    "chain_head",
    "sha256",
    "plan_sha256",
    "recorded_sha256",
    "log",
    "step",
    "run_id",
];

/// The forms of a run's secrets and a matcher over them. Cheap to clone.
#[derive(Clone, Default)]
pub struct Mask {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    /// Longest first, as `secret_forms` returns them.
    forms: Vec<String>,
    matcher: AhoCorasick,
}

impl PartialEq for Mask {
    fn eq(&self, other: &Mask) -> bool {
        self.forms() == other.forms()
    }
}

impl Eq for Mask {}

impl std::fmt::Debug for Mask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mask({} forms)", self.forms().len())
    }
}

impl Mask {
    /// A mask of `forms` as `secret_forms` returns them (empty ones are ignored).
    pub fn new(forms: Vec<String>) -> Mask {
        let forms: Vec<String> = forms.into_iter().filter(|f| !f.is_empty()).collect();
        if forms.is_empty() {
            return Mask::default();
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&forms)
            .expect("plain literal patterns always build");
        Mask {
            inner: Some(Arc::new(Inner { forms, matcher })),
        }
    }

    /// A mask of these secret values, in every form they may show up in.
    pub fn of_values<'a>(values: impl IntoIterator<Item = &'a str>) -> Mask {
        Mask::new(secret_forms(values))
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_none()
    }

    pub fn forms(&self) -> &[String] {
        self.inner.as_ref().map_or(&[], |i| &i.forms)
    }

    /// `text` with every form of every secret replaced; borrowed when nothing is.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Some(inner) = &self.inner else {
            return Cow::Borrowed(text);
        };
        if !inner.matcher.is_match(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        inner.matcher.replace_all_with(text, &mut out, |_, _, out| {
            out.push_str(REDACTED);
            true
        });
        Cow::Owned(out)
    }

    /// Masks every string inside `value`, keys included, at every depth, and a number that
    /// is a secret (a token of digits); true when something changed. For answers from
    /// outside, whose every part is data.
    pub fn json(&self, value: &mut Json) -> bool {
        self.walk(value, &Walk::DATA, 0)
    }

    /// Masks a record (an event, a notify payload, a journal entry): every value, but not
    /// the record's own keys, nor the values of its envelope fields at the top level.
    pub fn record(&self, value: &mut Json) -> bool {
        self.walk(value, &Walk::RECORD, 0)
    }

    /// A record (an event) masked as `record` masks its JSON form; the same value when there
    /// is nothing to mask (its digests and file names are kept, so the chain still holds). A
    /// secret that is also a word of the record's own vocabulary (an outcome, a mode) would
    /// make it unreadable: such one-word values are then left, and every text from outside
    /// has been masked at its source already.
    pub fn masked<T: serde::Serialize + serde::de::DeserializeOwned>(&self, item: T) -> T {
        if self.is_empty() {
            return item;
        }
        let Ok(original) = serde_json::to_value(&item) else {
            return item;
        };
        for walk in [&Walk::RECORD, &Walk::RECORD_NOT_WORDS] {
            let mut value = original.clone();
            if !self.walk(&mut value, walk, 0) {
                return item;
            }
            if let Ok(masked) = serde_json::from_value(value) {
                return masked;
            }
        }
        item
    }

    fn walk(&self, value: &mut Json, how: &Walk, depth: usize) -> bool {
        if self.is_empty() {
            return false;
        }
        match value {
            Json::String(s) => {
                if how.words_kept && is_word(s) {
                    return false;
                }
                match self.text(s) {
                    Cow::Owned(r) => {
                        *s = r;
                        true
                    }
                    Cow::Borrowed(_) => false,
                }
            }
            Json::Number(n) => {
                let text = n.to_string();
                let masked = self.text(&text);
                if masked == text {
                    return false;
                }
                *value = Json::String(masked.into_owned());
                true
            }
            Json::Array(items) => items
                .iter_mut()
                .fold(false, |acc, v| self.walk(v, how, depth + 1) | acc),
            Json::Object(map) => {
                let mut changed = false;
                let entries = std::mem::take(map);
                for (key, mut v) in entries {
                    let envelope = depth == 0 && how.envelope && ENVELOPE.contains(&key.as_str());
                    if !envelope {
                        changed |= self.walk(&mut v, how, depth + 1);
                    }
                    let k = if how.keys {
                        self.text(&key).into_owned()
                    } else {
                        key.clone()
                    };
                    changed |= k != key;
                    map.insert(k, v);
                }
                changed
            }
            _ => false,
        }
    }

    /// A streaming masker for output that arrives in chunks.
    pub fn stream(&self) -> Redactor {
        Redactor::new(self.forms())
    }
}

/// How a walk over JSON masks.
struct Walk {
    /// Object keys too (an answer's keys are data; a record's are its own).
    keys: bool,
    /// The top level's envelope fields are kept.
    envelope: bool,
    /// One-word values (`failed`, `drill`) are kept: the record's own vocabulary.
    words_kept: bool,
}

impl Walk {
    const DATA: Walk = Walk {
        keys: true,
        envelope: false,
        words_kept: false,
    };
    const RECORD: Walk = Walk {
        keys: false,
        envelope: true,
        words_kept: false,
    };
    const RECORD_NOT_WORDS: Walk = Walk {
        keys: false,
        envelope: true,
        words_kept: true,
    };
}

/// A value that reads as a word of a vocabulary (an enum's variant), not a text.
fn is_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_is_masked_in_every_form_and_borrowed_when_clean() {
        let m = Mask::of_values(["s3cr3t", "p@ss w/rd"]);
        assert_eq!(m.text("auth s3cr3t ok"), format!("auth {REDACTED} ok"));
        assert_eq!(m.text("u=p%40ss%20w%2Frd"), format!("u={REDACTED}"));
        assert!(matches!(m.text("nothing here"), Cow::Borrowed(_)));
        assert_eq!(Mask::default().text("s3cr3t"), "s3cr3t");
    }

    #[test]
    fn only_top_level_envelope_fields_are_kept() {
        let m = Mask::of_values(["hunter22"]);
        let mut event = json!({
            "type": "trigger_sample",
            "hash": "hunter22",
            "value": {"hash": "hunter22", "log": ["hunter22"], "step": {"x": "hunter22"}},
        });
        assert!(m.record(&mut event));
        assert_eq!(
            event,
            json!({
                "type": "trigger_sample",
                "hash": "hunter22",
                "value": {"hash": "***", "log": ["***"], "step": {"x": "***"}},
            })
        );
        let mut answer = json!({"hash": "hunter22", "hunter22": 1});
        assert!(m.json(&mut answer));
        assert_eq!(answer, json!({"hash": "***", "***": 1}));
    }

    #[test]
    fn a_secret_of_digits_is_masked_where_an_answer_holds_it_as_a_number() {
        let m = Mask::of_values(["98765432"]);
        let mut answer = json!({"v": 98765432, "n": [1, 98765432.0], "s": "id 98765432"});
        assert!(m.json(&mut answer));
        assert_eq!(
            answer,
            json!({"v": "***", "n": [1, "***.0"], "s": "id ***"})
        );
    }

    #[test]
    fn a_secret_that_is_also_a_word_of_the_record_never_makes_it_unreadable() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        #[serde(rename_all = "snake_case")]
        enum Outcome {
            TimedOut,
            Ok,
        }
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Finished {
            outcome: Outcome,
            timed_out: bool,
            stderr: String,
        }
        let m = Mask::of_values(["timed"]);
        let e = Finished {
            outcome: Outcome::TimedOut,
            timed_out: true,
            stderr: "the timed token".into(),
        };
        let masked = m.masked(e);
        assert_eq!(masked.outcome, Outcome::TimedOut);
        assert_eq!(masked.stderr, "the *** token");
        let _ = Outcome::Ok;
    }
}
