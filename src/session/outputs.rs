//! Step outputs: a command may write `NAME=VALUE` lines to the file `$ROLLBACK_OUTPUTS`
//! names (beside its log, made owner-only before the command starts, so appending to it
//! keeps it private); when the step ends they are read, recorded as `step_outputs` just
//! before its `step_finished` with secrets masked, and the file is removed: the timeline
//! is the record, and a secret a command wrote there must not stay on disk. Impact figures written this way fill the report's
//! impact metrics (`users_affected=1200`), attributed to the step.

use std::path::{Path, PathBuf};

use super::Session;
use crate::engine::Event;

/// At most this much of the file is read, and this many pairs kept.
const MAX_BYTES: u64 = 64 * 1024;
const MAX_PAIRS: usize = 64;
const MAX_VALUE: usize = 500;

/// The outputs file of `log` (an attempt's log, relative to the run directory).
pub fn file_of(run: &Path, log: &str) -> PathBuf {
    run.join(format!("{log}.outputs"))
}

/// Creates the (empty, owner-only) outputs file of `log` and returns its path: whatever was
/// at that name goes first (a link there is removed, never written through). A file that
/// cannot be made is no error: the command then simply has nowhere private to write.
pub fn prepare(run: &Path, log: &str) -> PathBuf {
    use std::os::unix::fs::OpenOptionsExt;
    let path = file_of(run, log);
    let _ = std::fs::remove_file(&path);
    let _ = crate::timeline::rundir::private_file()
        .write(true)
        .create_new(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&path);
    path
}

/// `NAME=VALUE` lines; names are letters, digits and `_`; other lines are ignored.
pub fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            let k = k.trim();
            let ok = !k.is_empty()
                && k.len() <= 64
                && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            ok.then(|| (k.to_string(), v.trim().chars().take(MAX_VALUE).collect()))
        })
        .take(MAX_PAIRS)
        .collect()
}

impl Session {
    /// Records what the ended attempt of `step` wrote to its outputs file, if anything.
    pub(super) fn record_outputs(&mut self, step: usize, attempt: u32) {
        let Some(a) = self.state.steps[step]
            .attempts
            .iter()
            .find(|a| a.n == attempt)
        else {
            return;
        };
        let path = file_of(&self.run.path, &a.log);
        let Ok(file) = crate::timeline::files::open_regular(&path) else {
            return;
        };
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_BYTES), &mut bytes);
        // A line cut at the bound could hold the start of a secret: only whole lines count.
        if bytes.len() as u64 == MAX_BYTES {
            let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            bytes.truncate(whole);
        }
        // Masked before anything is cut: no part of a secret is kept.
        let text = String::from_utf8_lossy(&bytes);
        let outputs = parse(&self.mask.text(&text));
        if outputs.is_empty() {
            let _ = std::fs::remove_file(&path);
            return;
        }
        let event = self.redacted(Event::StepOutputs {
            step: self.state.steps[step].key.clone(),
            attempt,
            outputs,
        });
        if self.record(event).is_ok() {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_name_value_lines_are_taken() {
        let got = super::parse("users_affected=1200\nnoise\n bad name=1\ndata_loss = none \n=x\n");
        assert_eq!(
            got,
            [
                ("users_affected".to_string(), "1200".to_string()),
                ("data_loss".to_string(), "none".to_string())
            ]
        );
    }
}
