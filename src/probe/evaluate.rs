//! Conditions are judged on a thread of their own, never on a watch loop's task. Their
//! limits bound what one may cost; this bounds how long anyone waits for it: an answer not
//! judged within `LIMIT` is an error sample. So the other triggers keep their intervals
//! and a signal ends the watch at once, whatever a condition does. A trigger judges one
//! answer at a time: while its last evaluation runs on, its next answer is an error too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value as Json;

use crate::monitor::{Judge, Outcome, Sample};

/// How long an answer may take to judge.
pub const LIMIT: Duration = Duration::from_secs(1);
/// The evaluating thread's stack: conditions and results nest 32 levels at most.
const STACK: usize = 4 * 1024 * 1024;

/// One trigger's evaluations, one at a time.
#[derive(Debug, Clone, Default)]
pub struct Lane(Arc<AtomicBool>);

impl Lane {
    /// A lane for each of `n` triggers (`vec![lane; n]` would share one between them all).
    pub fn each(n: usize) -> Vec<Lane> {
        (0..n).map(|_| Lane::default()).collect()
    }

    /// The lane, unless an evaluation holds it.
    fn take(&self) -> Option<Release> {
        (!self.0.swap(true, Ordering::AcqRel)).then(|| Release(self.0.clone()))
    }
}

/// Frees the lane when the evaluation ends, however it ends.
struct Release(Arc<AtomicBool>);

impl Drop for Release {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Judges `answer` apart, within `LIMIT`. The sample's time is the caller's to set.
pub async fn judge(judge: Judge, lane: &Lane, answer: Result<Json, String>) -> Sample {
    apart(lane, LIMIT, answer, move |a| {
        judge.sample(Duration::ZERO, a)
    })
    .await
}

/// The same, for a caller outside a runtime.
pub fn judge_blocking(judge: Judge, lane: &Lane, answer: Result<Json, String>) -> Sample {
    let Some(release) = lane.take() else {
        return busy();
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let work = move || judge.sample(Duration::ZERO, answer);
    if let Err(e) = spawn(release, work, move |s| {
        let _ = tx.send(s);
    }) {
        return e;
    }
    match rx.recv_timeout(LIMIT) {
        Ok(sample) => sample,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => late(),
        Err(_) => failed(),
    }
}

type Answer = Result<Json, String>;

async fn apart(
    lane: &Lane,
    limit: Duration,
    answer: Answer,
    work: impl FnOnce(Answer) -> Sample + Send + 'static,
) -> Sample {
    let Some(release) = lane.take() else {
        return busy();
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    if let Err(e) = spawn(
        release,
        move || work(answer),
        move |s| {
            let _ = tx.send(s);
        },
    ) {
        return e;
    }
    match tokio::time::timeout(limit, rx).await {
        Ok(Ok(sample)) => sample,
        Ok(Err(_)) => failed(),
        Err(_) => late(),
    }
}

/// Runs `work` on a thread of its own, which frees the lane before it hands the sample
/// to `done` (so the next answer finds it free), or as it unwinds.
fn spawn(
    release: Release,
    work: impl FnOnce() -> Sample + Send + 'static,
    done: impl FnOnce(Sample) + Send + 'static,
) -> Result<(), Sample> {
    std::thread::Builder::new()
        .name("condition".into())
        .stack_size(STACK)
        .spawn(move || {
            let sample = work();
            drop(release);
            done(sample);
        })
        .map(drop)
        .map_err(|e| error(None, format!("cannot evaluate the condition: {e}")))
}

/// An answer not judged: kept out of the sample (it is neither masked nor cut).
fn busy() -> Sample {
    error(
        None,
        "the condition is still being evaluated on an earlier answer".into(),
    )
}

fn failed() -> Sample {
    error(None, "the condition's evaluation failed".into())
}

fn late() -> Sample {
    error(
        None,
        format!(
            "the condition took longer than {}s to evaluate",
            LIMIT.as_secs_f64()
        ),
    )
}

fn error(value: Option<Json>, message: String) -> Sample {
    Sample {
        at: Duration::ZERO,
        outcome: Outcome::Error,
        value,
        message: Some(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Instant;

    fn judge_of(condition: &str) -> Judge {
        Judge {
            condition: crate::plan::condition::Condition::compile(condition).unwrap(),
            inconclusive: None,
            threshold: None,
            reads: crate::monitor::spec::Reads::Answer,
            mask: Default::default(),
        }
    }

    #[tokio::test]
    async fn an_answer_is_judged_apart_and_the_lane_is_free_again() {
        let lane = Lane::default();
        let s = judge(judge_of("result > 1.0"), &lane, Ok(json!(5))).await;
        assert_eq!(s.outcome, Outcome::Failure);
        let s = judge_blocking(judge_of("result > 1.0"), &lane, Ok(json!(0)));
        assert_eq!(s.outcome, Outcome::Success);
        wait_free(&lane);
    }

    #[tokio::test]
    async fn a_late_evaluation_is_an_error_and_holds_its_lane_until_it_ends() {
        let lane = Lane::default();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let slow = move |_: Answer| {
            let _ = wait.recv();
            judge_of("true").sample(Duration::ZERO, Ok(json!(0)))
        };
        let s = apart(&lane, Duration::from_millis(20), Ok(json!(1)), slow).await;
        assert_eq!(s.outcome, Outcome::Error);
        assert!(s.message.unwrap().contains("longer than"));
        let next = judge(judge_of("result > 1.0"), &lane, Ok(json!(7))).await;
        assert_eq!(next.outcome, Outcome::Error, "{next:?}");
        assert_eq!(next.value, None, "an answer not judged is not kept");
        assert!(next.message.unwrap().contains("still being evaluated"));
        go.send(()).unwrap();
        wait_free(&lane);
        let s = judge(judge_of("result > 1.0"), &lane, Ok(json!(7))).await;
        assert_eq!(s.outcome, Outcome::Failure);
    }

    #[test]
    fn every_trigger_has_a_lane_of_its_own() {
        let lanes = Lane::each(2);
        let _held = lanes[0].take().expect("free");
        assert!(lanes[0].take().is_none());
        assert!(
            lanes[1].take().is_some(),
            "the other trigger's lane is free"
        );
    }

    fn wait_free(lane: &Lane) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while lane.0.load(Ordering::Acquire) {
            assert!(Instant::now() < deadline, "the lane stayed taken");
            std::thread::park_timeout(Duration::from_millis(5));
        }
    }
}
