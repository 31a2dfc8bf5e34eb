//! A run directory's files, mangled at random (bytes changed, lines cut, dropped, repeated or
//! swapped): `verify`, the standing `stats` counts on, and the report never panic, and a
//! timeline that was changed is never taken for the sealed run it was.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use rollback::timeline::standing::{Standing, standing};
use rollback::timeline::verify::{Finding, verify};

/// A finished demo drill, made once for every case.
fn real_run() -> &'static (tempfile::TempDir, PathBuf) {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| {
        let runs = common::Runs::new();
        let run = common::finished_demo_drill(&runs);
        (runs.dir, run)
    })
}

fn copy_run(from: &Path, to: &Path) {
    for name in ["timeline.jsonl", "timeline.seal", "plan.yaml"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
    std::fs::create_dir(to.join("output")).unwrap();
    for e in std::fs::read_dir(from.join("output")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join("output").join(e.file_name())).unwrap();
    }
}

#[derive(Debug, Clone)]
enum Mangle {
    Flip(usize, u8),
    Cut(usize),
    Drop(usize),
    Repeat(usize),
    Swap(usize),
}

fn mangle() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mangle::Flip(i, b)),
        any::<usize>().prop_map(Mangle::Cut),
        any::<usize>().prop_map(Mangle::Drop),
        any::<usize>().prop_map(Mangle::Repeat),
        any::<usize>().prop_map(Mangle::Swap),
    ]
}

fn apply(text: &[u8], m: &Mangle) -> Vec<u8> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut lines: Vec<Vec<u8>> = text
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    let n = lines.len();
    match *m {
        Mangle::Flip(i, b) => {
            let mut out = text.to_vec();
            let i = i % out.len();
            out[i] = b;
            return out;
        }
        Mangle::Cut(i) => return text[..i % text.len()].to_vec(),
        Mangle::Drop(i) => {
            lines.remove(i % n);
        }
        Mangle::Repeat(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Mangle::Swap(i) => lines.swap(i % n, (i + 1) % n),
    }
    lines.concat()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_mangled_timeline_is_never_a_sealed_run_and_never_a_panic(ms in prop::collection::vec(mangle(), 1..4)) {
        let (_, run) = real_run();
        let dir = tempfile::tempdir().unwrap();
        copy_run(run, dir.path());
        let original = std::fs::read(run.join("timeline.jsonl")).unwrap();
        let mut text = original.clone();
        for m in &ms {
            text = apply(&text, m);
        }
        std::fs::write(dir.path().join("timeline.jsonl"), &text).unwrap();
        let v = verify(dir.path()).unwrap();
        let s = standing(dir.path()).unwrap();
        let _ = rollback::timeline::reports::render_run(dir.path(), 0);
        if text == original {
            prop_assert_eq!(v.finding(), Finding::Intact);
            prop_assert!(matches!(s, Standing::Sealed(_)));
        } else {
            prop_assert_ne!(v.finding(), Finding::Intact, "{:?}", ms);
            prop_assert!(!matches!(s, Standing::Sealed(_)), "{:?}", ms);
        }
    }
}
