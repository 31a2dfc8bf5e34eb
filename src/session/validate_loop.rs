//! The sampling loop of validation windows, for any face (lines, or the screen): asks each
//! source when its sample is due (its probe in its own process group, with its timeout,
//! its answer judged apart from the loop by `watch::evaluate`; simulated in a drill),
//! records every answer before it is shown, re-alerts through the plan's `notify` when a
//! source starts failing, and sleeps until the next sample or the end of the window, on
//! the drill clock.

use std::future::Future;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use super::validate_windows::{Validating, simulated};
use crate::monitor::validation::WindowVerdict;
use crate::monitor::{Outcome, Sample, Verdict};

/// How validation shows itself.
pub trait Face {
    /// Windows whose verdict changed (opened, passed, regressed, not run).
    fn windows(&mut self, v: &Validating, changed: &[(usize, WindowVerdict)]);
    /// A failed or erroneous sample of source `k` in window `w`.
    fn sample(&mut self, v: &Validating, w: usize, k: usize, sample: &Sample);
    /// Time passed: a countdown line, or a redraw.
    fn tick(&mut self, v: &Validating, now_ms: i64);
    /// How often `tick` is called.
    fn every(&self) -> Duration;
}

/// How the loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Every window is judged.
    Judged,
    /// The operator left, with why.
    Left(String),
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What a failed or erroneous sample says.
pub fn sample_text(v: &Validating, k: usize, sample: &Sample) -> String {
    sample.message.clone().unwrap_or_else(|| {
        let value = sample.value.as_ref().map(|x| format!(" (result {x})"));
        format!("{}{}", v.specs[k].explain, value.unwrap_or_default())
    })
}

/// Samples until every window is judged, or `leave` resolves (with why): then the leaving
/// is recorded. `Err` when the record cannot be written.
pub async fn run_loop(
    v: &mut Validating,
    face: &mut dyn Face,
    leave: impl Future<Output = String>,
) -> Result<Ended, String> {
    let mut leave = std::pin::pin!(leave);
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, usize, Sample)>();
    let mut busy = vec![false; v.specs.len()];
    let lanes = crate::probe::evaluate::Lane::each(v.specs.len());
    let mut probes = tokio::task::JoinSet::new();
    let mut countdown = tokio::time::interval(face.every());
    countdown.tick().await;
    let drill = v.mode == crate::engine::Mode::Drill;
    // What every probe shares, the webhook receivers of alertmanager triggers included: they
    // listen for as long as the windows are sampled.
    let cx = std::sync::Arc::new(crate::probe::Context {
        workdir: v.workdir.clone(),
        env: v.env.clone(),
        mask: v.mask.clone(),
        receivers: if drill {
            Default::default()
        } else {
            crate::probe::Receivers::start(crate::probe::receiver_ports(
                v.specs.iter().map(|s| &s.probe),
            ))
            .await
        },
    });
    while v.ended().is_none() {
        let now = now_ms();
        let changed = v.tick(now)?;
        face.windows(v, &changed);
        if v.ended().is_some() {
            break;
        }
        let at = v.clock(now);
        let Some(w) = v.validation.current() else {
            break;
        };
        for k in v.validation.due(at) {
            if busy[k] {
                continue;
            }
            if drill {
                take(v, face, now, w, k, simulated(at)).await?;
                continue;
            }
            busy[k] = true;
            let (probe, timeout) = (v.specs[k].probe.clone(), v.specs[k].timeout);
            let (judge, lane) = (v.specs[k].judging().masked_by(&v.mask), lanes[k].clone());
            let (cx, tx) = (cx.clone(), tx.clone());
            probes.spawn(async move {
                let answer = crate::probe::sample(&probe, timeout, &cx).await;
                let sample = crate::probe::evaluate::judge(judge, &lane, answer).await;
                let _ = tx.send((w, k, sample));
            });
        }
        if v.ended().is_some() {
            break;
        }
        let wake = v
            .validation
            .next_wake()
            .map_or(now + 1000, |at| v.wall_ms(at));
        // A sample still running is due "now": wait for its answer, not in a busy loop.
        let wait = Duration::from_millis((wake - now).clamp(20, 60_000) as u64);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            Some((w, k, mut sample)) = rx.recv() => {
                busy[k] = false;
                let now = now_ms();
                sample.at = v.clock(now);
                take(v, face, now, w, k, sample).await?;
            }
            _ = countdown.tick() => face.tick(v, now_ms()),
            why = &mut leave => {
                // Probes still running are dropped, which kills their process groups.
                probes.shutdown().await;
                v.leave(now_ms(), &why)?;
                return Ok(Ended::Left(why));
            }
        }
    }
    probes.shutdown().await;
    Ok(Ended::Judged)
}

/// Records a sample, shows what changed, re-alerts on a failing source.
async fn take(
    v: &mut Validating,
    face: &mut dyn Face,
    now: i64,
    w: usize,
    k: usize,
    sample: crate::monitor::Sample,
) -> Result<(), String> {
    let bad = sample.outcome == Outcome::Failure;
    let (verdict, changed) = v.sample(now, w, k, sample.clone())?;
    let name = v.specs[k].name.clone();
    let window = v.validation.spans()[w].window.name();
    if bad || sample.outcome == Outcome::Error {
        face.sample(v, w, k, &sample);
    }
    if matches!(
        verdict,
        Some(Verdict::Fired { .. } | Verdict::Failing { .. })
    ) {
        realert(v, now, window, &name, &sample).await?;
    }
    let changed = v.settle(now, changed)?;
    face.windows(v, &changed);
    Ok(())
}

/// Sends the plan's notifier the failure, and records its end in the segment.
async fn realert(
    v: &mut Validating,
    now: i64,
    window: &str,
    source: &str,
    sample: &crate::monitor::Sample,
) -> Result<(), String> {
    let Some(command) = v.plan.notify.as_ref().map(|n| n.value.clone()) else {
        return Ok(());
    };
    let payload = json!({
        "event": "validation_failed",
        "run_id": v.info.run_id,
        "plan": v.info.plan,
        "window": window,
        "source": source,
        "value": sample.value,
        "message": sample.message,
    });
    let mut env = v.env.clone();
    env.push(("ROLLBACK_EVENT".into(), "validation_failed".into()));
    let n = crate::runner::notify::Notification {
        mask: v.mask.clone(),
        on: "validation_failed".into(),
        command,
        payload,
        env,
        workdir: v.workdir.clone(),
    };
    // Awaited: the re-alert is on the record before anything else is sampled.
    let done = n
        .run(
            crate::runner::notify::DEFAULT_TIMEOUT,
            Duration::from_millis(500),
        )
        .await;
    if let crate::engine::Input::NotifyDone {
        on,
        command,
        exit_code,
        timed_out,
        duration_ms,
        stderr,
    } = done
    {
        v.record(
            now,
            crate::engine::Event::NotifyFinished {
                on,
                command,
                exit_code,
                timed_out,
                duration_ms,
                stderr,
            },
        )?;
    }
    Ok(())
}
