//! Retention: which runs `prune` may remove. Only sealed runs that ended before the cutoff
//! (and, checked by the command, still verify); a run without a seal (open, left, ended but
//! unsealed) is never a candidate, and a damaged one only when asked for, its age read from
//! its name. The standard keeps records at least 365 days; a shorter age needs an explicit
//! override.

use super::{Records, Unread};

/// The standard's retention minimum.
pub const MINIMUM_MS: u64 = 365 * 86_400_000;

/// A run to remove: its id, plan and end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doomed {
    pub id: String,
    pub plan: String,
    pub ended_ms: i64,
    /// Why a damaged run cannot be read; `None` for a sealed one.
    pub damaged: Option<String>,
}

/// What a prune would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retention {
    pub remove: Vec<Doomed>,
    /// Runs old enough (or of unknown age) that stay, and why.
    pub kept: Vec<(String, String)>,
}

/// The UTC start a run directory's name begins with (`2026-11-27T22-38-04Z-db`), in ms.
pub fn named_start_ms(id: &str) -> Option<i64> {
    let stamp = id.get(..20)?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%dT%H-%M-%SZ")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

/// The runs older than `older_than_ms` at `now_ms`, oldest first; damaged ones too when
/// `damaged` says so.
pub fn select(records: &Records, older_than_ms: u64, now_ms: i64, damaged: bool) -> Retention {
    let cutoff = now_ms.saturating_sub(i64::try_from(older_than_ms).unwrap_or(i64::MAX));
    let mut out = Retention::default();
    for r in records.runs.iter().filter(|r| r.last_ms() < cutoff) {
        if r.sealed {
            out.remove.push(Doomed {
                id: r.id.clone(),
                plan: r.plan.clone(),
                ended_ms: r.last_ms(),
                damaged: None,
            });
        } else {
            out.kept.push((
                r.id.clone(),
                "not sealed (it ended but was never sealed: `rollback resume` seals it)".into(),
            ));
        }
    }
    for u in &records.uncounted {
        let started = u.started_at.map(|t| t.ms()).or(named_start_ms(&u.id));
        if let (Unread::Corrupt { why }, Some(at), true) = (&u.why, started, damaged)
            && at < cutoff
        {
            out.remove.push(Doomed {
                id: u.id.clone(),
                plan: u.plan.clone().unwrap_or_else(|| "?".into()),
                ended_ms: at,
                damaged: Some(why.clone()),
            });
            continue;
        }
        if u.started_at.is_none_or(|t| t.ms() < cutoff) {
            let why = match &u.why {
                Unread::Open { holder } => format!("lock held ({holder})"),
                Unread::Corrupt { why } => {
                    format!("damaged ({why}): kept unless --damaged")
                }
                other => format!("not sealed: {}", other.text()),
            };
            out.kept.push((u.id.clone(), why));
        }
    }
    out.remove.sort_by_key(|d| d.ended_ms);
    out.kept.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Uncounted;
    use crate::records::testkit::{DAY, NOW, run};

    #[test]
    fn only_sealed_runs_past_the_cutoff_are_removed() {
        let mut old = run(1);
        old.started_ms = NOW - 400 * DAY;
        old.ended_ms = Some(old.started_ms + 1000);
        let unsealed = RunSummary {
            id: "unsealed".into(),
            sealed: false,
            ..old.clone()
        };
        let records = Records {
            runs: vec![old.clone(), run(2), unsealed],
            uncounted: vec![
                Uncounted {
                    id: "corrupt".into(),
                    plan: None,
                    mode: None,
                    started_at: None,
                    why: Unread::Corrupt { why: "x".into() },
                },
                Uncounted {
                    id: "young-open".into(),
                    plan: None,
                    mode: None,
                    started_at: Some(crate::report::Timestamp(NOW)),
                    why: Unread::Open {
                        holder: "pid 1".into(),
                    },
                },
            ],
        };
        let r = select(&records, MINIMUM_MS, NOW, false);
        assert_eq!(
            r.remove.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            ["run-1"]
        );
        let kept: Vec<&str> = r.kept.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(kept, ["corrupt", "unsealed"]);
        assert!(r.kept[1].1.contains("never sealed"));
        assert!(r.kept[0].1.contains("--damaged"));

        // Asked for, a damaged run goes once the date in its name is past the cutoff.
        let mut records = records;
        records.uncounted[0].id = "2020-01-01T00-00-00Z-db".into();
        let r = select(&records, MINIMUM_MS, NOW, true);
        let ids: Vec<&str> = r.remove.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["2020-01-01T00-00-00Z-db", "run-1"]);
        assert_eq!(r.remove[0].damaged.as_deref(), Some("x"));
        assert_eq!(named_start_ms("junk"), None);
    }

    use crate::records::RunSummary;
}
