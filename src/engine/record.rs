//! One timeline line: a JSON object with the sequence number, UTC time, elapsed time, mode,
//! operator, the event's `type` and fields, then `prev` and `hash`. `hash` is the sha256 of
//! the line as written up to `prev` (closed with `}`), and `prev` is the hash of the line
//! before, so editing or removing any line breaks the chain from there on.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Event, Mode, RunState, Stamped};
use crate::plan::Plan;

/// `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A line of the timeline, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub seq: u64,
    pub ts_ms: i64,
    pub elapsed_ms: u64,
    pub mode: Mode,
    pub operator: String,
    pub event: Event,
    pub prev: String,
    pub hash: String,
}

impl Record {
    /// What the engine's fold needs.
    pub fn stamped(&self) -> Stamped {
        Stamped {
            seq: self.seq,
            mode: self.mode,
            ts_ms: self.ts_ms,
            operator: self.operator.clone(),
            event: self.event.clone(),
        }
    }
    pub fn time(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.ts_ms).unwrap_or_default()
    }
}

#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    ts: String,
    elapsed_ms: u64,
    mode: Mode,
    operator: &'a str,
    #[serde(flatten)]
    event: &'a Event,
    prev: &'a str,
}

#[derive(Deserialize)]
struct Parsed {
    seq: u64,
    ts: String,
    elapsed_ms: u64,
    mode: Mode,
    operator: String,
    #[serde(flatten)]
    event: Event,
    prev: String,
}

/// Milliseconds since the epoch as `2026-11-27T22:38:04.123Z`.
pub fn utc_text(ts_ms: i64) -> String {
    DateTime::from_timestamp_millis(ts_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The line for an event (ending in `\n`) and its hash.
pub fn encode(
    seq: u64,
    ts_ms: i64,
    elapsed_ms: u64,
    mode: Mode,
    operator: &str,
    event: &Event,
    prev: &str,
) -> (String, String) {
    let body = serde_json::to_string(&Body {
        seq,
        ts: utc_text(ts_ms),
        elapsed_ms,
        mode,
        operator,
        event,
        prev,
    })
    .expect("events always serialize");
    let hash = sha256_hex(body.as_bytes());
    let mut line = String::with_capacity(body.len() + 80);
    line.push_str(&body[..body.len() - 1]);
    line.push_str(",\"hash\":\"");
    line.push_str(&hash);
    line.push_str("\"}\n");
    (line, hash)
}

/// Parses one line (without its `\n`) and checks that its hash matches its content.
pub fn parse_line(line: &str) -> Result<Record, String> {
    const TAIL: usize = ",\"hash\":\"".len() + 64 + "\"}".len();
    if line.len() < TAIL + 2 || !line.ends_with("\"}") {
        return Err("not a complete timeline record".into());
    }
    let split = line.len() - TAIL;
    let (head, tail) = line.split_at(split);
    let hash = tail
        .strip_prefix(",\"hash\":\"")
        .and_then(|t| t.strip_suffix("\"}"))
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or("the record has no hash")?;
    let body = format!("{head}}}");
    let mut want = [0u8; 32];
    hex::decode_to_slice(hash, &mut want).map_err(|_| "the record has no hash")?;
    if Sha256::digest(body.as_bytes())[..] != want[..] {
        return Err("the record's hash does not match its content (edited?)".into());
    }
    let p: Parsed = serde_json::from_str(&body).map_err(|e| format!("unreadable record: {e}"))?;
    let ts_ms = DateTime::parse_from_rfc3339(&p.ts)
        .map_err(|e| format!("bad time {:?}: {e}", p.ts))?
        .timestamp_millis();
    Ok(Record {
        seq: p.seq,
        ts_ms,
        elapsed_ms: p.elapsed_ms,
        mode: p.mode,
        operator: p.operator,
        event: p.event,
        prev: p.prev,
        hash: hash.to_string(),
    })
}

/// A problem found while reading a timeline, naming its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Parses complete lines and checks the chain: hashes, `prev` links and contiguous
/// sequence numbers from 0.
pub fn read_chain<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Vec<Record>, ChainError> {
    let mut out: Vec<Record> = Vec::new();
    for (i, line) in lines.into_iter().enumerate() {
        let err = |message: String| ChainError {
            line: i + 1,
            message,
        };
        let r = parse_line(line).map_err(err)?;
        let (want_prev, want_seq) = match out.last() {
            Some(last) => (last.hash.as_str(), last.seq + 1),
            None => (GENESIS, 0),
        };
        if r.prev != want_prev {
            return Err(err(
                "`prev` does not match the line before (a line was removed or reordered)".into(),
            ));
        }
        if r.seq != want_seq {
            return Err(err(format!(
                "sequence number {} where {want_seq} was expected",
                r.seq
            )));
        }
        out.push(r);
    }
    Ok(out)
}

/// The state a timeline describes: a replay of its events over the plan it was run with.
pub fn replay(plan: &Plan, records: &[Record]) -> RunState {
    let info = records.iter().find_map(|r| match &r.event {
        Event::RunStarted(info) => Some(info),
        _ => None,
    });
    let scenario = info.and_then(|i| i.scenario.as_deref());
    let regions = info.map(|i| i.regions.as_slice()).unwrap_or_default();
    let mut state = RunState::for_run(plan, scenario, regions);
    for r in records {
        state.apply(&r.stamped());
    }
    state
}

/// The plan hash the run last recorded: at its start, or at a resume (which records the
/// plan it resumed with, changed or not).
pub fn recorded_plan_sha256(records: &[Record]) -> Option<&str> {
    records.iter().rev().find_map(|r| match &r.event {
        Event::RunStarted(info) => Some(info.plan_sha256.as_str()),
        Event::RunResumed { plan_sha256, .. } | Event::PlanChanged { plan_sha256, .. } => {
            Some(plan_sha256.as_str())
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seq: u64, prev: &str, text: &str) -> (String, String) {
        let e = Event::Note {
            by: "alice".into(),
            text: text.into(),
        };
        encode(
            seq,
            1_800_000_000_123 + seq as i64,
            seq * 10,
            Mode::Drill,
            "alice",
            &e,
            prev,
        )
    }

    #[test]
    fn lines_round_trip_with_their_fields_in_order() {
        let (l, h) = line(0, GENESIS, "hello \"world\"\n");
        assert!(l.starts_with("{\"seq\":0,\"ts\":\"2027-01-15T08:00:00.123Z\",\"elapsed_ms\":0,\"mode\":\"drill\",\"operator\":\"alice\",\"type\":\"note\""), "{l}");
        assert!(
            l.ends_with(&format!(",\"prev\":\"{GENESIS}\",\"hash\":\"{h}\"}}\n")),
            "{l}"
        );
        assert_eq!(l.matches('\n').count(), 1, "one line, newlines escaped");
        let r = parse_line(l.trim_end()).unwrap();
        assert_eq!(r.ts_ms, 1_800_000_000_123);
        assert_eq!(
            r.event,
            Event::Note {
                by: "alice".into(),
                text: "hello \"world\"\n".into()
            }
        );
    }

    #[test]
    fn the_chain_names_the_first_bad_line() {
        let (a, ha) = line(0, GENESIS, "a");
        let (b, hb) = line(1, &ha, "b");
        let (c, _) = line(2, &hb, "c");
        let good = [a.trim_end(), b.trim_end(), c.trim_end()];
        assert_eq!(read_chain(good).unwrap().len(), 3);

        let edited = b.replace("\"b\"", "\"B\"");
        let bad = [a.trim_end(), edited.trim_end(), c.trim_end()];
        assert_eq!(read_chain(bad).unwrap_err().line, 2);

        let dropped = [a.trim_end(), c.trim_end()];
        let e = read_chain(dropped).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("prev"), "{e}");

        assert!(
            parse_line(&a.trim_end()[..a.len() - 10]).is_err(),
            "a torn line is refused"
        );
    }
}
