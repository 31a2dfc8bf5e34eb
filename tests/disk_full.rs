//! A disk that fills during a run: the write that fails is set aside like a torn line after
//! kill -9, never left to make `verify` call the record altered, and once there is room
//! again `resume` finishes and seals the run and `verify` passes. The runs directory is a
//! small tmpfs mounted in a private mount namespace (`unshare -m`); a machine where that
//! cannot be done fails the test saying so.

mod common;

use std::path::Path;
use std::process::Command;

/// Runs `scenario` (bash, with `$B` the binary and `$D` a fresh tmpfs of `size`) in a mount
/// namespace of its own; its stdout.
fn on_a_small_disk(dir: &Path, size: &str, scenario: &str) -> String {
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let script = format!(
        "set -u\nmount -t tmpfs -o size={size} tmpfs \"$D\" || {{ echo CANNOT-MOUNT; exit 9; }}\nexport ROLLBACK_RUNS_DIR=$D/runs\nmkdir -p \"$D/runs\"\n{scenario}"
    );
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "bash", "-c", &script])
        .env("B", common::bin())
        .env("D", &mnt)
        .env("USER", "tester")
        .output()
        .expect("unshare runs (util-linux)");
    let text = common::text(&out);
    assert!(
        out.status.code() != Some(9) && !text.contains("CANNOT-MOUNT") && out.status.success(),
        "a private tmpfs could not be mounted (the test needs root, or user namespaces for unshare -m): {text}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Each `name: code` line the scenario printed.
fn code(out: &str, name: &str) -> i32 {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{name}` in {out}"))
}

/// Fails the run, frees the room, resumes it, verifying before and after.
const SCENARIO: &str = r#"
head -c "$FILL" /dev/zero > "$D/filler"
"$B" run "$PLAN" --headless >/dev/null 2>&1; echo "run: $?"
RUN=$(ls -d "$D"/runs/*/ | head -1)
"$B" verify "$RUN" >"$D/../verify1" 2>&1; echo "verify-full: $?"
rm -f "$D/filler"
"$B" resume "$RUN" --headless --retry-failed --rerun-interrupted >"$D/../resume" 2>&1; echo "resume: $?"
"$B" verify "$RUN" >"$D/../verify2" 2>&1; echo "verify-after: $?"
"#;

fn plan(dir: &Path, execute: &str) -> String {
    let text = format!(
        "plan: full\ntitle: A disk that fills\nlevel: 2\noperation: application\nautomation: full\nphases:\n  - id: capture\n    steps:\n      - id: save\n        run: 'true'\n  - id: execute\n    steps:\n{execute}  - id: verify\n    steps:\n      - id: ok\n        check: 'true'\n"
    );
    let path = dir.join("plan.yaml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn an_output_log_cut_short_by_a_full_disk_is_not_called_altered() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(
        dir.path(),
        "      - id: chatty\n        run: 'i=0; while [ $i -lt 3000 ]; do echo \"line $i of output that fills the disk\"; i=$((i+1)); done'\n",
    );
    let out = on_a_small_disk(
        dir.path(),
        "256k",
        &format!("FILL=150000 PLAN={p}\n{SCENARIO}"),
    );
    let shown = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
    assert_eq!(code(&out, "run"), 4, "the log could not be written: {out}");
    assert_eq!(
        code(&out, "verify-full"),
        5,
        "unsealed, not altered: {}",
        shown("verify1")
    );
    assert_eq!(code(&out, "resume"), 0, "{}", shown("resume"));
    assert_eq!(code(&out, "verify-after"), 0, "{}", shown("verify2"));
}

#[test]
fn a_timeline_record_cut_short_by_a_full_disk_is_set_aside_at_resume() {
    let dir = tempfile::tempdir().unwrap();
    let steps: String = (0..60)
        .map(|i| format!("      - id: s{i}\n        run: 'true'\n"))
        .collect();
    let p = plan(dir.path(), &steps);
    let out = on_a_small_disk(
        dir.path(),
        "128k",
        &format!("FILL=100000 PLAN={p}\n{SCENARIO}"),
    );
    let shown = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
    assert_eq!(
        code(&out, "run"),
        4,
        "the timeline could not be written: {out}"
    );
    assert_eq!(
        code(&out, "verify-full"),
        5,
        "unsealed, not altered: {}",
        shown("verify1")
    );
    assert!(
        shown("verify1").contains("torn last line"),
        "{}",
        shown("verify1")
    );
    assert_eq!(code(&out, "resume"), 0, "{}", shown("resume"));
    assert_eq!(code(&out, "verify-after"), 0, "{}", shown("verify2"));
}
