//! One answer judged by a trigger's conditions: a success, a failure, inconclusive or an
//! error, never a pass by default. A `Judge` owns what it needs (the compiled conditions
//! are shared), so the edge can judge on a thread of its own; judging stays pure.

use std::time::Duration;

use serde_json::Value as Json;

use super::condition::Condition;
use super::window::{Outcome, Sample};

#[derive(Debug, Clone)]
pub struct Judge {
    pub condition: Condition,
    pub inconclusive: Option<Condition>,
    pub threshold: Option<f64>,
}

impl Judge {
    /// Judges one probe answer: an error stays an error; a condition that cannot be
    /// evaluated is an error too.
    pub fn sample(&self, at: Duration, answer: Result<Json, String>) -> Sample {
        let sample = |outcome, value, message| Sample {
            at,
            outcome,
            value,
            message,
        };
        let value = match answer {
            Ok(v) => v,
            Err(e) => return sample(Outcome::Error, None, Some(e)),
        };
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
