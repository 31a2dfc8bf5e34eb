//! Durations as plans write them: `90s`, `5m`, `1h30m`, `500ms`.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{Deserialize, Deserializer, Error as _};

/// The pattern the schema publishes; the loader checks it before humantime parses.
pub const DURATION_PATTERN: &str = "^([0-9]+(ms|s|m|h))+$";

/// A duration with the text it was written as, so messages quote the author's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dur(pub Duration);

impl Dur {
    pub const fn secs(s: u64) -> Self {
        Dur(Duration::from_secs(s))
    }
    pub const fn mins(m: u64) -> Self {
        Dur(Duration::from_secs(m * 60))
    }
    pub fn as_millis(&self) -> u64 {
        u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX)
    }
}

/// Parses `90s`, `5m`, `1h30m`; a bare number is refused because the unit is ambiguous.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() || !matches_pattern(t) {
        return Err(format!(
            "`{text}` is not a duration: write it as 90s, 5m or 1h30m"
        ));
    }
    humantime::parse_duration(t).map_err(|e| format!("`{text}` is not a duration: {e}"))
}

/// Hand check of [`DURATION_PATTERN`] without compiling a regex on every call.
fn matches_pattern(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
        let unit = if b[i..].starts_with(b"ms") {
            2
        } else if i < b.len() && matches!(b[i], b's' | b'm' | b'h') {
            1
        } else {
            0
        };
        if unit == 0 {
            return false;
        }
        i += unit;
    }
    true
}

/// Formats a duration the way plans write them (`1h30m`, `5m`, `90s` stays `1m30s`).
pub fn format(d: Duration) -> String {
    let total = d.as_secs();
    let ms = d.subsec_millis();
    if total == 0 {
        return format!("{ms}ms");
    }
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format(self.0))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map(Dur).map_err(D::Error::custom)
    }
}

impl JsonSchema for Dur {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration such as 90s, 5m or 1h30m (units: ms, s, m, h).",
            "examples": ["30s", "5m", "1h30m"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_plans_use() {
        let cases = [
            ("90s", Some(90)),
            ("5m", Some(300)),
            ("1h30m", Some(5400)),
            ("1h", Some(3600)),
            ("0s", Some(0)),
            ("5", None),
            ("-5m", None),
            ("5 m", None),
            ("1.5m", None),
            ("", None),
            ("m", None),
            ("5d", None),
        ];
        for (text, want) in cases {
            let got = parse(text).ok().map(|d| d.as_secs());
            assert_eq!(got, want, "{text}");
        }
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
    }

    #[test]
    fn formats_back_to_plan_notation() {
        for (secs, want) in [
            (90, "1m30s"),
            (300, "5m"),
            (5400, "1h30m"),
            (0, "0ms"),
            (45, "45s"),
        ] {
            assert_eq!(format(Duration::from_secs(secs)), want);
        }
    }
}
