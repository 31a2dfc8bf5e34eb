//! Times in a report: instants are milliseconds since the epoch, written as RFC 3339 UTC with
//! milliseconds in JSON and as `YYYY-MM-DD HH:MM:SS` in markdown; in-run moments are also
//! given as elapsed time since the run started (`+mm:ss`).

use chrono::DateTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::record::utc_text;
use crate::engine::sla::clock_text;

/// An instant, milliseconds since the Unix epoch; JSON `"2027-01-15T08:00:00.000Z"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn ms(self) -> i64 {
        self.0
    }

    /// `2027-01-15 08:00:00` (UTC), as markdown shows it.
    pub fn text(self) -> String {
        DateTime::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    /// `2027-01-15T08:00:00.000Z`, as JSON carries it.
    pub fn rfc3339(self) -> String {
        utc_text(self.0)
    }

    /// `self + ms`.
    pub fn plus(self, ms: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(i64::try_from(ms).unwrap_or(i64::MAX)))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Timestamp(t.timestamp_millis()))
            .map_err(|e| serde::de::Error::custom(format!("bad time {text:?}: {e}")))
    }
}

/// `+04:12`, or `+1:02:05` past an hour: time since the run started.
pub fn elapsed_text(ms: u64) -> String {
    format!("+{}", clock_text(ms))
}

/// Milliseconds from `from` to `to`, zero if `to` is earlier.
pub fn between(from: i64, to: i64) -> u64 {
    u64::try_from(to.saturating_sub(from)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_the_same_in_json_and_markdown() {
        let t = Timestamp(1_800_000_000_123);
        assert_eq!(t.text(), "2027-01-15 08:00:00");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2027-01-15T08:00:00.123Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert_eq!(elapsed_text(252_000), "+04:12");
        assert_eq!(elapsed_text(3_725_000), "+1:02:05");
        assert_eq!(between(10, 4), 0);
    }
}
