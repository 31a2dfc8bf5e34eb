//! The watch's own record in the runs directory (`.watch/<UTC start>-<plan>.jsonl`, owner-only
//! like everything there): started, every change, cancels, how it ended; one JSON line per
//! entry, synced as it goes. It is bounded: a probe value or message is cut to a few KiB
//! per entry, and once a watch has written `CAP` bytes only what decides or ends something
//! (policy actions, fired triggers, the end) is still written, with how many entries were
//! left out. A watch whose journal cannot be created still watches (it says so once).

use std::io::Write;
use std::path::PathBuf;

use serde_json::{Value as Json, json};

use super::prepared::Prepared;
use crate::timeline::rundir::private_dirs;

/// Bytes of a probe's value, or of a message, kept in one entry or line.
pub const VALUE_MAX: usize = 4 * 1024;
/// Bytes one watch writes before it keeps only what decides or ends something.
pub const CAP: u64 = 16 * 1024 * 1024;

pub struct WatchJournal {
    file: Option<std::fs::File>,
    pub path: PathBuf,
    written: u64,
    left_out: u64,
}

impl WatchJournal {
    pub fn open(p: &Prepared) -> WatchJournal {
        let now = chrono::Utc::now();
        let dir = p.opts.runs_root.join(".watch");
        let path = dir.join(format!(
            "{}-{}.jsonl",
            now.format("%Y-%m-%dT%H-%M-%SZ"),
            p.loaded.plan.plan.value
        ));
        let file = private_dirs()
            .recursive(true)
            .create(&dir)
            .and_then(|_| {
                // A link in place of `.watch` would put the record anywhere.
                if crate::timeline::files::is_real_dir(&dir) {
                    crate::timeline::files::open_append(&path)
                } else {
                    Err(std::io::Error::other(".watch is not a directory (a link?)"))
                }
            })
            .map_err(|e| {
                eprintln!(
                    "rollback watch: not recording the watch in {}: {e}",
                    path.display()
                )
            })
            .ok();
        let mut j = WatchJournal {
            file,
            path,
            written: 0,
            left_out: 0,
        };
        j.write(json!({
            "type": "watch_started",
            "plan": p.loaded.plan.plan.value,
            "plan_path": p.loaded.source.path,
            "operator": p.opts.operator,
            "triggers": p.specs.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
            "pid": std::process::id(),
        }));
        j
    }

    /// Records how the watch ended: by whom, or why (`the terminal closed`, a signal).
    pub fn stopped(&mut self, by: &str) {
        self.write(json!({"type": "watch_stopped", "by": by}));
    }

    /// Appends one entry, stamped with the time, its sample bounded.
    pub fn write(&mut self, mut entry: Json) {
        entry["time"] = json!(super::lines::now());
        if let Some(sample) = entry.get_mut("sample") {
            bound_sample(sample);
        }
        let Some(f) = &mut self.file else { return };
        if self.written >= CAP && !decides(&entry) {
            self.left_out += 1;
            return;
        }
        if self.left_out > 0 {
            entry["left_out_before"] = json!(self.left_out);
            self.left_out = 0;
        }
        let mut line = entry.to_string();
        line.push('\n');
        self.written += line.len() as u64;
        let _ = f.write_all(line.as_bytes()).and_then(|_| f.sync_data());
    }
}

/// A sample's value and message cut to `VALUE_MAX` bytes each.
pub fn bound_sample(sample: &mut Json) {
    if let Some(v) = sample.get_mut("value") {
        *v = crate::text::cut_json(v, VALUE_MAX);
    }
    if let Some(Json::String(m)) = sample.get_mut("message")
        && m.len() > VALUE_MAX
    {
        *m = crate::text::cut(m, VALUE_MAX).into_owned();
    }
}

/// Entries kept past the cap: what a person decided, what the policy did, and the end.
fn decides(entry: &Json) -> bool {
    match entry["type"].as_str() {
        Some("verdict") => entry["verdict"]["state"] == "fired",
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_cut_and_verdicts_give_way_past_the_cap() {
        let mut sample =
            json!({"value": {"blob": "x".repeat(10_000)}, "message": "m".repeat(10_000)});
        bound_sample(&mut sample);
        assert!(
            sample.to_string().len() < 3 * VALUE_MAX,
            "{}",
            sample.to_string().len()
        );
        assert!(decides(&json!({"type": "policy"})));
        assert!(!decides(
            &json!({"type": "verdict", "verdict": {"state": "failing"}})
        ));
    }
}
