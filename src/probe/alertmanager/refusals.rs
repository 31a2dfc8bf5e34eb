//! What a receiver refused or dropped. A request it did not take may have carried the alert
//! a trigger waits for, and only its sender knows: so a trigger's sample is an error saying
//! what was refused, never a list that could read as healthy, when anything was refused
//! since that trigger's last sample or within `hold` of now. While refusals go on the
//! errors go on, and the trigger ends blind; an attacker can hide an alert behind nothing
//! but an error. Time is given, never read.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Why a connection ended without its request taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dropped {
    /// Answered with this status (a 401 without the token, a 413, ...).
    Answered(&'static str),
    /// A 503, unread: every place was held by a request with the token.
    Busy,
    /// Closed before its head came whole, to make room for a newer connection.
    Evicted,
    /// Its TLS handshake and head not done within the head's time.
    SlowHead,
    /// Its request not whole within the connection's time.
    SlowBody,
    /// Its TLS handshake failed.
    Tls,
    /// Its peer closed in the middle of the request.
    Cut,
}

/// The refusals kept to describe; how many there were is counted however many.
const KEPT: usize = 1024;

#[derive(Debug)]
pub struct Refusals {
    hold: Duration,
    head: Duration,
    deadline: Duration,
    /// The latest refusals, numbered, oldest first: those within `hold`, at most KEPT.
    recent: VecDeque<(u64, Instant, Dropped)>,
    /// How many there were; the latest's number.
    count: u64,
    last: Option<Instant>,
    /// For each label set sampled, the number of the latest refusal its last sample saw.
    seen: HashMap<Vec<(String, String)>, u64>,
}

impl Refusals {
    /// `head` and `deadline` are the receiver's times, for the messages.
    pub fn new(hold: Duration, head: Duration, deadline: Duration) -> Refusals {
        Refusals {
            hold,
            head,
            deadline,
            recent: VecDeque::new(),
            count: 0,
            last: None,
            seen: HashMap::new(),
        }
    }

    pub fn record(&mut self, why: Dropped, now: Instant) {
        self.count += 1;
        self.last = Some(now);
        self.recent.push_back((self.count, now, why));
        if self.recent.len() > KEPT {
            self.recent.pop_front();
        }
    }

    /// Whether a sample of the alerts carrying `labels` may be taken at `now`; if not, the
    /// error it is.
    pub fn check(&mut self, labels: &[(String, String)], now: Instant) -> Result<(), String> {
        let seen = match self.seen.get_mut(labels) {
            Some(seen) => std::mem::replace(seen, self.count),
            None => {
                self.seen.insert(labels.to_vec(), self.count);
                0
            }
        };
        let hold = self.hold;
        let recent = move |at: Instant| now.saturating_duration_since(at) < hold;
        while self.recent.front().is_some_and(|(_, at, _)| !recent(*at)) {
            self.recent.pop_front();
        }
        if self.count == seen && !self.last.is_some_and(recent) {
            return Ok(());
        }
        let mut tally: BTreeMap<Dropped, u64> = BTreeMap::new();
        for (_, _, why) in &self.recent {
            *tally.entry(*why).or_default() += 1;
        }
        // Since the last sample, beyond what is still kept.
        let older = (self.count - seen).saturating_sub(self.recent.len() as u64);
        let mut parts: Vec<String> = tally.into_iter().map(|(w, n)| self.say(w, n)).collect();
        if older > 0 {
            parts.push(format!("{older} before that"));
        }
        let total: u64 = self.recent.len() as u64 + older;
        let connections = if total == 1 {
            "connection"
        } else {
            "connections"
        };
        Err(format!(
            "the webhook receiver refused or dropped {total} {connections} in the last {} or since the last sample, and any may have carried an alert: {}",
            humantime::format_duration(self.hold),
            parts.join(", ")
        ))
    }

    fn say(&self, why: Dropped, n: u64) -> String {
        let time = |d: Duration| humantime::format_duration(d).to_string();
        match why {
            Dropped::Answered(status) => format!("{n} answered {status}"),
            Dropped::Busy => {
                format!("{n} answered 503, every place held by a request with the token")
            }
            Dropped::Evicted => format!("{n} closed before their head came, to make room"),
            Dropped::SlowHead => {
                format!("{n} closed without a whole head within {}", time(self.head))
            }
            Dropped::SlowBody => {
                format!(
                    "{n} closed without a whole request within {}",
                    time(self.deadline)
                )
            }
            Dropped::Tls => format!("{n} failed their TLS handshake"),
            Dropped::Cut => format!("{n} ended by their sender in the middle"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn labels(name: &str) -> Vec<(String, String)> {
        vec![("alertname".to_string(), name.to_string())]
    }

    #[test]
    fn a_refusal_is_an_error_for_every_trigger_until_the_hold_has_passed() {
        let t0 = Instant::now();
        let mut r = Refusals::new(secs(60), secs(2), secs(10));
        let (waf, auth) = (labels("Waf"), labels("Auth"));
        assert_eq!(r.check(&waf, t0), Ok(()));
        for _ in 0..64 {
            r.record(Dropped::SlowHead, t0 + secs(2));
        }
        r.record(Dropped::Answered("401 Unauthorized"), t0 + secs(3));
        let err = r.check(&waf, t0 + secs(3)).unwrap_err();
        assert!(err.contains("65 connections"), "{err}");
        assert!(
            err.contains("64 closed without a whole head within 2s"),
            "{err}"
        );
        assert!(err.contains("1 answered 401 Unauthorized"), "{err}");
        // Another trigger on the port, and the same one again while the hold lasts.
        assert!(r.check(&auth, t0 + secs(4)).is_err());
        assert!(r.check(&waf, t0 + secs(62)).is_err());
        assert_eq!(r.check(&waf, t0 + secs(63)), Ok(()));
        assert_eq!(r.check(&auth, t0 + secs(63)), Ok(()));
    }

    #[test]
    fn a_trigger_sampled_less_often_than_the_hold_still_sees_what_came_since() {
        let t0 = Instant::now();
        let mut r = Refusals::new(secs(60), secs(2), secs(10));
        let waf = labels("Waf");
        assert_eq!(r.check(&waf, t0), Ok(()));
        r.record(Dropped::Busy, t0 + secs(1));
        let err = r.check(&waf, t0 + secs(300)).unwrap_err();
        assert!(err.contains("1 before that"), "{err}");
        assert_eq!(r.check(&waf, t0 + secs(600)), Ok(()));
        // A first sample sees what came before it.
        let err = r.check(&labels("New"), t0 + secs(600)).unwrap_err();
        assert!(err.contains("1 connection in"), "{err}");
    }

    #[test]
    fn what_is_kept_to_describe_is_bounded_and_what_is_counted_is_not() {
        let t0 = Instant::now();
        let mut r = Refusals::new(secs(60), secs(2), secs(10));
        for _ in 0..(KEPT as u64 * 3) {
            r.record(Dropped::Evicted, t0);
        }
        assert_eq!(r.recent.len(), KEPT);
        let err = r.check(&labels("Waf"), t0).unwrap_err();
        assert!(err.contains(&format!("{} connections", KEPT * 3)), "{err}");
        assert!(err.contains(&format!("{} before that", KEPT * 2)), "{err}");
    }
}
