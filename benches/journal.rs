//! Appending one event to the timeline (encode, hash, write, fdatasync) against a bare
//! write + fdatasync of the same bytes. Goal: within 1.2x; the sync dominates.

use std::io::Write;

use criterion::{Criterion, criterion_group, criterion_main};
use rollback::engine::record::{GENESIS, encode};
use rollback::engine::{Event, Mode};
use rollback::timeline::Journal;

fn event() -> Event {
    Event::StepFinished {
        step: "execute.undo".into(),
        attempt: 1,
        outcome: rollback::engine::StepOutcome::Ok,
        exit_code: Some(0),
        signal: None,
        duration_ms: 1234,
        lines: 42,
        bytes: 2048,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
        dropped: 0,
        error: None,
        log_error: None,
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut journal = Journal::create(&dir.path().join("timeline.jsonl")).expect("journal");
    let mut ts = 1_800_000_000_000;
    c.bench_function("journal append + fdatasync", |b| {
        b.iter(|| {
            ts += 1;
            journal
                .append(ts, 1000, Mode::Live, "alice", event())
                .expect("append");
        })
    });
    let (line, _) = encode(0, ts, 1000, Mode::Live, "alice", &event(), GENESIS);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.path().join("bare.jsonl"))
        .expect("file");
    c.bench_function("bare write + fdatasync", |b| {
        b.iter(|| {
            file.write_all(line.as_bytes()).expect("write");
            file.sync_data().expect("sync");
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
