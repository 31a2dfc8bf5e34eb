//! Run directories: `<runs>/<UTC start>-<plan id>/` with `timeline.jsonl`, a byte-exact
//! `plan.yaml`, `output/` and a `lock` that a live run holds. `<runs>` is `--runs-dir`,
//! else `$ROLLBACK_RUNS_DIR`, else `$XDG_DATA_HOME/rollback/runs`, else
//! `~/.local/share/rollback/runs`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::journal::sync_dir;

pub const TIMELINE: &str = "timeline.jsonl";
pub const PLAN_COPY: &str = "plan.yaml";
pub const OUTPUT: &str = "output";
pub const LOCK: &str = "lock";

/// Where runs are kept.
pub fn runs_root(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(p) = env("ROLLBACK_RUNS_DIR") {
        return p;
    }
    let data = env("XDG_DATA_HOME").unwrap_or_else(|| {
        env("HOME")
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".local/share")
    });
    data.join("rollback/runs")
}

/// A run directory this process holds the lock of.
#[derive(Debug)]
pub struct RunDir {
    pub path: PathBuf,
    pub id: String,
    _lock: File,
}

impl RunDir {
    pub fn timeline(&self) -> PathBuf {
        self.path.join(TIMELINE)
    }
    pub fn plan_copy(&self) -> PathBuf {
        self.path.join(PLAN_COPY)
    }
    /// Removes the lock file once the run is sealed: a finished run holds no lock, so a
    /// run directory without one has ended (see `seal`). The lock itself is released
    /// when this `RunDir` is dropped.
    pub fn remove_lock(&self) -> io::Result<()> {
        fs::remove_file(self.path.join(LOCK))?;
        sync_dir(&self.path)
    }
    /// `output/<phase>.<step>.<attempt>.log`, relative to the run directory.
    /// Bytes the run's output logs hold, for the run's total bound.
    pub fn logged_bytes(&self) -> u64 {
        fs::read_dir(self.path.join(OUTPUT))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum()
    }

    pub fn log_name(key: &str, attempt: u32) -> String {
        format!("{OUTPUT}/{key}.{attempt}.log")
    }
}

/// Directories of runs are for their owner only (0700, whatever the umask): logs and notes
/// of an incident are not for every user of the machine.
pub fn private_dirs() -> fs::DirBuilder {
    use std::os::unix::fs::DirBuilderExt;
    let mut b = fs::DirBuilder::new();
    b.mode(0o700);
    b
}

/// Options that create a file readable by its owner only (0600, whatever the umask).
pub fn private_file() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = OpenOptions::new();
    o.mode(0o600);
    o
}

/// Writes a whole file readable by its owner only (a report, say), replacing it: a new file
/// renamed into place, so a link left at the name is replaced, never written through.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    super::files::replace(path, bytes)
}

/// `2026-11-27T22-38-04Z`: sorts by time and is safe in every filesystem.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H-%M-%SZ").to_string()
}

/// Creates the directory of a new run, with the plan copied byte for byte, and locks it.
pub fn create(
    root: &Path,
    plan_id: &str,
    start: DateTime<Utc>,
    plan_bytes: &[u8],
    holder: &str,
) -> io::Result<RunDir> {
    private_dirs().recursive(true).create(root)?;
    let base = format!("{}-{plan_id}", stamp(start));
    let (path, id) = (1..)
        .map(|n| {
            let id = if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            (root.join(&id), id)
        })
        .find_map(|(path, id)| match private_dirs().create(&path) {
            Ok(()) => Some(Ok((path, id))),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => None,
            Err(e) => Some(Err(e)),
        })
        .expect("an unused name exists")?;
    let lock = lock(&path, holder).map_err(|held| io::Error::other(held.to_string()))?;
    let mut copy = private_file()
        .write(true)
        .create_new(true)
        .open(path.join(PLAN_COPY))?;
    copy.write_all(plan_bytes)?;
    copy.sync_all()?;
    private_dirs().create(path.join(OUTPUT))?;
    sync_dir(&path)?;
    sync_dir(root)?;
    Ok(RunDir {
        path,
        id,
        _lock: lock,
    })
}

/// Another process holds the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub holder: String,
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the run is open elsewhere ({})", self.holder)
    }
}

/// Takes the run's lock, or says who has it. The lock is released when the process ends,
/// however it ends, so a killed run can be resumed at once.
pub fn lock(dir: &Path, holder: &str) -> Result<File, Held> {
    let path = dir.join(LOCK);
    let mut file = super::files::open_lock(&path).map_err(|e| Held {
        holder: format!("cannot open {}: {e}", crate::text::path(&path)),
    })?;
    if file.try_lock().is_err() {
        let mut who = String::new();
        let _ = file.read_to_string(&mut who);
        return Err(Held {
            holder: if who.trim().is_empty() {
                "holder unknown".into()
            } else {
                who.trim().to_string()
            },
        });
    }
    let _ = file.set_len(0);
    let _ = file.write_all(holder.as_bytes());
    let _ = file.sync_data();
    Ok(file)
}

/// Who holds the run's lock, if anyone (without taking it). A lock that is not a regular
/// file is nobody's.
pub fn holder(dir: &Path) -> Option<String> {
    let mut file = super::files::open_regular(&dir.join(LOCK)).ok()?;
    if file.try_lock_shared().is_ok() {
        let _ = file.unlock();
        return None;
    }
    let mut who = String::new();
    let _ = file.read_to_string(&mut who);
    Some(who.trim().to_string())
}

/// Opens an existing run for resuming: locks it.
pub fn open(path: &Path, holder: &str) -> Result<RunDir, Held> {
    let lock = lock(path, holder)?;
    let id = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    Ok(RunDir {
        path: path.to_path_buf(),
        id,
        _lock: lock,
    })
}

/// This machine's name, for the record and the lock.
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown host".into())
}

/// `pid 123 on host since 2026-... (operator alice)`, written into the lock.
pub fn holder_text(operator: &str, now: DateTime<Utc>) -> String {
    let host = hostname();
    format!(
        "pid {} on {host} since {} (operator {operator})",
        std::process::id(),
        now.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

/// Finds a run: a path to its directory, or a unique prefix of its id under `root`.
pub fn find(root: &Path, query: &str) -> Result<PathBuf, String> {
    let as_path = Path::new(query);
    if as_path.join(TIMELINE).is_file() {
        return Ok(as_path.to_path_buf());
    }
    let ids = run_ids(root);
    let matches: Vec<&String> = ids.iter().filter(|id| id.starts_with(query)).collect();
    match matches.as_slice() {
        [one] => Ok(root.join(one)),
        [] => Err(format!(
            "no run `{query}` in {} (see `rollback runs`)",
            root.display()
        )),
        many => Err(format!(
            "`{query}` matches {} runs: {}; give more of the id",
            many.len(),
            many.iter()
                .take(5)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Ids of the runs under `root`, newest first: directories holding a timeline, never a
/// link to one elsewhere (a report or a resume would write through it).
pub fn run_ids(root: &Path) -> Vec<String> {
    let mut ids: Vec<String> = fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter(|e| e.path().join(TIMELINE).is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_name() {
        let root = tempfile::tempdir().unwrap();
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let run = create(
            root.path(),
            "demo",
            t,
            b"plan: demo\n",
            "pid 1 on a since x",
        )
        .unwrap();
        assert_eq!(run.id, "2027-01-15T08-00-00Z-demo");
        assert_eq!(fs::read(run.plan_copy()).unwrap(), b"plan: demo\n");
        let held = open(&run.path, "pid 2").unwrap_err();
        assert_eq!(held.holder, "pid 1 on a since x");
        drop(run);
        assert!(open(&root.path().join("2027-01-15T08-00-00Z-demo"), "pid 2").is_ok());
        let again = create(root.path(), "demo", t, b"x", "h").unwrap();
        assert_eq!(again.id, "2027-01-15T08-00-00Z-demo-2");
    }

    #[test]
    fn runs_are_found_by_unique_prefix() {
        let root = tempfile::tempdir().unwrap();
        for id in ["2027-01-15T08-00-00Z-a", "2027-01-15T09-00-00Z-b"] {
            fs::create_dir(root.path().join(id)).unwrap();
            fs::write(root.path().join(id).join(TIMELINE), b"").unwrap();
        }
        assert_eq!(run_ids(root.path())[0], "2027-01-15T09-00-00Z-b");
        assert!(
            find(root.path(), "2027-01-15T09")
                .unwrap()
                .ends_with("2027-01-15T09-00-00Z-b")
        );
        assert!(
            find(root.path(), "2027")
                .unwrap_err()
                .contains("matches 2 runs")
        );
        assert!(find(root.path(), "2030").unwrap_err().contains("no run"));
    }
}
