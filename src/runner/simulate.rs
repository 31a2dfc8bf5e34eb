//! Drill mode: a step's `simulate` block played instead of its command. Its lines are written to
//! the attempt's output pipe, paced evenly over `duration × slow / speed`, then it "exits" with `exit`;
//! the output is read, masked, logged and reported exactly like a real command's, so drills and
//! runs look alike.

use std::path::PathBuf;

use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::unix::pipe;

use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

/// The line a drill adds before failing on purpose (an exercise's `fail`, `--fail`).
pub const FAIL_LINE: &str = "simulated failure (--fail)";

/// One attempt of one simulated step.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSpec {
    pub key: String,
    pub attempt: u32,
    pub lines: Vec<String>,
    pub duration: Duration,
    pub exit: i32,
    /// `--fail`: append `FAIL_LINE` and exit 1 whatever `exit` says.
    pub fail: bool,
    /// How many times faster than written (at least 1).
    pub speed: f64,
    /// How many times slower than written this step plays (an exercise's `slow`, `--slow`).
    pub slow: f64,
    /// Absolute; created here, and it must not exist yet.
    pub log_path: PathBuf,
}

impl SimSpec {
    /// The real time the simulation takes.
    pub fn scaled(&self) -> Duration {
        let speed = if self.speed.is_nan() {
            1.0
        } else {
            self.speed.max(1.0)
        };
        let slow = if self.slow.is_finite() && self.slow > 0.0 {
            self.slow
        } else {
            1.0
        };
        Duration::try_from_secs_f64(self.duration.as_secs_f64() * slow / speed).unwrap_or_default()
    }
}

/// Starts writing the simulation into `out`; the task's result is the exit code.
pub(crate) fn start(spec: SimSpec, out: pipe::Sender) -> JoinHandle<Result<i32, String>> {
    tokio::spawn(play(spec, out))
}

async fn write(out: &mut pipe::Sender, text: &str) -> Result<(), String> {
    let mut line = Vec::with_capacity(text.len() + 1);
    line.extend_from_slice(text.as_bytes());
    line.push(b'\n');
    out.write_all(&line)
        .await
        .map_err(|e| format!("writing the simulated output: {e}"))
}

async fn play(spec: SimSpec, mut out: pipe::Sender) -> Result<i32, String> {
    let total = spec.scaled();
    let start = Instant::now();
    let n = spec.lines.len().max(1) as f64;
    for (i, text) in spec.lines.iter().enumerate() {
        sleep_until(start + total.mul_f64(i as f64 / n)).await;
        write(&mut out, text).await?;
    }
    sleep_until(start + total).await;
    if spec.fail {
        write(&mut out, FAIL_LINE).await?;
        return Ok(1);
    }
    Ok(spec.exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_step_takes_longer_and_the_drill_clock_shortens_it() {
        let spec = SimSpec {
            key: "p.s".into(),
            attempt: 1,
            lines: vec![],
            duration: Duration::from_secs(6),
            exit: 0,
            fail: false,
            speed: 2.0,
            slow: 3.0,
            log_path: PathBuf::new(),
        };
        assert_eq!(spec.scaled(), Duration::from_secs(9));
        let plain = SimSpec {
            slow: f64::NAN,
            ..spec
        };
        assert_eq!(plain.scaled(), Duration::from_secs(3));
    }
}
