//! Time is an input: the engine is given `now`, the shell asks a `Clock` for it. Tests use
//! a `ManualClock` and move it forward, so the SLA and escalations need no sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Wall-clock time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// A clock that moves only when told to; clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(ms: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(ms)))
    }
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
    pub fn advance_secs(&self, s: i64) {
        self.advance_ms(s * 1000);
    }
    pub fn set_ms(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A drill clock's factor as used: at least 1 (a NaN or a slower clock counts as 1).
pub fn sane_speed(speed: f64) -> f64 {
    if speed.is_finite() && speed >= 1.0 {
        speed
    } else {
        1.0
    }
}

/// Drill-clock milliseconds for `real_ms` of real time at `speed`.
pub fn drill_ms(real_ms: u64, speed: f64) -> u64 {
    (real_ms as f64 * sane_speed(speed)).round() as u64
}

/// Real milliseconds until the drill clock has moved `drill_ms`, rounded up so a deadline
/// woken for is never early.
pub fn real_ms(drill_ms: u64, speed: f64) -> u64 {
    (drill_ms as f64 / sane_speed(speed)).ceil() as u64
}

/// `10`, `2.5`: the factor as a person writes it.
pub fn factor_text(speed: f64) -> String {
    let s = sane_speed(speed);
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drill_clock_scales_both_ways_and_never_wakes_early() {
        assert_eq!(drill_ms(90_000, 10.0), 900_000);
        assert_eq!(real_ms(900_000, 10.0), 90_000);
        assert_eq!(real_ms(1, 3.0), 1, "rounded up");
        assert_eq!(drill_ms(1_000, f64::NAN), 1_000);
        assert_eq!(drill_ms(1_000, 0.5), 1_000, "never slower than real time");
        assert_eq!(
            (factor_text(60.0), factor_text(2.5)),
            ("60".into(), "2.5".into())
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at(1_000);
        let shared = c.clone();
        assert_eq!(c.now_ms(), 1_000);
        shared.advance_secs(5);
        assert_eq!(c.now_ms(), 6_000);
    }
}
