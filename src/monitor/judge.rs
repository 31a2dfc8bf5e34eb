//! One answer judged by a trigger's conditions: a success, a failure, inconclusive or an
//! error, never a pass by default. A `Judge` owns what it needs (the compiled conditions
//! are shared), so the edge can judge on a thread of its own; judging stays pure.

use std::time::Duration;

use serde_json::Value as Json;

use super::spec::{NO_SERIES, Reads};
use super::window::{Outcome, Sample};
use crate::plan::condition::Condition;

/// Bytes of an answer a sample keeps once it is judged: the window, the watch's record and
/// the run's record of what fired hold a few KiB per sample, whatever the probe answered.
pub const KEPT: usize = 4 * 1024;

#[derive(Debug, Clone)]
pub struct Judge {
    pub condition: Condition,
    pub inconclusive: Option<Condition>,
    pub threshold: Option<f64>,
    /// What the answer is: an empty list of series is no data, an error.
    pub reads: Reads,
    /// The run's secrets: an answer is judged as it came, then masked (and only then cut)
    /// in the sample that is kept, shown and recorded.
    pub mask: crate::mask::Mask,
}

impl Judge {
    /// This judge, keeping its samples masked of `mask`.
    pub fn masked_by(mut self, mask: &crate::mask::Mask) -> Judge {
        self.mask = mask.clone();
        self
    }
}

impl Judge {
    /// Judges one probe answer: an error stays an error; no series is an error; a condition
    /// that cannot be evaluated is an error too. The sample keeps the answer cut to `KEPT`.
    pub fn sample(&self, at: Duration, answer: Result<Json, String>) -> Sample {
        let sample = |outcome, value: Option<Json>, message: Option<String>| Sample {
            at,
            outcome,
            value: value.map(|mut v| {
                self.mask.json(&mut v);
                crate::text::cut_json(&v, KEPT)
            }),
            message: message.map(|m| self.mask.text(&m).into_owned()),
        };
        let value = match answer {
            Ok(v) => v,
            Err(e) => return sample(Outcome::Error, None, Some(e)),
        };
        if self.reads == Reads::Series && value.as_array().is_some_and(Vec::is_empty) {
            return sample(Outcome::Error, Some(value), Some(NO_SERIES.into()));
        }
        match self.condition.holds(&value, self.threshold) {
            Err(e) => sample(Outcome::Error, Some(value), Some(e)),
            Ok(true) => sample(Outcome::Failure, Some(value), None),
            Ok(false) => match &self.inconclusive {
                None => sample(Outcome::Success, Some(value), None),
                Some(c) => match c.holds(&value, self.threshold) {
                    Err(e) => sample(Outcome::Error, Some(value), Some(e)),
                    Ok(true) => sample(Outcome::Inconclusive, Some(value), None),
                    Ok(false) => sample(Outcome::Success, Some(value), None),
                },
            },
        }
    }
}
