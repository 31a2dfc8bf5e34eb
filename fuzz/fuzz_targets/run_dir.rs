//! Any bytes as a run directory's files (the timeline, its seal mark, the plan copy and the
//! validation segment, split at NUL bytes): `verify`, the standing `stats` and `ready` count
//! on, and the report never panic, whatever the files hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

const FILES: [&str; 4] = ["timeline.jsonl", "timeline.seal", "plan.yaml", "validation.jsonl"];

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("rollback-fuzz-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let mut parts = data.split(|&b| b == 0).filter(|p| !p.is_empty());
    for name in FILES {
        if let Some(bytes) = parts.next() {
            std::fs::write(dir.join(name), bytes).expect("a scratch file");
        }
    }
    let _ = rollback::timeline::verify::verify(&dir);
    let _ = rollback::timeline::standing::standing(&dir);
    let _ = rollback::timeline::reports::render_run(&dir, 0);
});
