//! `rollback prune`: retention over real runs — the 365-day minimum, the dry run, and runs
//! that are never touched (not sealed, lock held).

mod common;

use common::{Runs, repo, text};

const LATER: [&str; 2] = ["--now", "2099-01-01T00:00:00Z"];

fn base() -> String {
    repo().join("tests/plans/base.yaml").display().to_string()
}

fn prune(runs: &Runs, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["prune", runs.path().to_str().unwrap()];
    args.extend(extra);
    let out = runs.run(&args);
    (out.status.code(), text(&out))
}

/// Two sealed runs and one left unsealed (a manual check nobody confirmed).
fn three_runs(runs: &Runs) {
    let p = base();
    for _ in 0..2 {
        let out = runs.run(&[
            "rehearse",
            &p,
            "--headless",
            "--approve-as",
            "ci",
            "--confirm-manual",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let out = runs.run(&["run", &p, "--headless"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(runs.run_dirs().len(), 3);
}

#[test]
fn an_age_below_the_minimum_is_refused_unless_forced() {
    let runs = Runs::new();
    three_runs(&runs);
    let (code, shown) = prune(&runs, &["--older-than", "364d", "--yes"]);
    assert_eq!(code, Some(2), "{shown}");
    assert!(
        shown.contains("below the standard's retention minimum of 365 days"),
        "{shown}"
    );
    assert_eq!(runs.run_dirs().len(), 3);

    let mut args = vec!["--older-than", "1d", "--force-below-minimum"];
    args.extend(LATER);
    let (code, shown) = prune(&runs, &args);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("2 run(s) would be removed"), "{shown}");
    assert_eq!(runs.run_dirs().len(), 3);
}

#[test]
fn without_yes_it_lists_and_removes_nothing() {
    let runs = Runs::new();
    three_runs(&runs);
    let (code, shown) = prune(&runs, &["--older-than", "365d"]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("nothing to prune"), "{shown}");

    let mut args = vec!["--older-than", "365d"];
    args.extend(LATER);
    let (code, shown) = prune(&runs, &args);
    assert_eq!(code, Some(0), "{shown}");
    assert_eq!(shown.matches("would remove").count(), 2, "{shown}");
    assert!(
        shown.contains("nothing was removed (--yes to remove them)"),
        "{shown}"
    );
    assert_eq!(runs.run_dirs().len(), 3);
}

#[test]
fn yes_removes_old_sealed_runs_but_never_an_unsealed_or_locked_one() {
    let runs = Runs::new();
    three_runs(&runs);
    let dirs = runs.run_dirs();
    let left = dirs
        .iter()
        .find(|d| !d.join("timeline.seal").exists())
        .unwrap();
    let sealed: Vec<_> = dirs
        .iter()
        .filter(|d| d.join("timeline.seal").exists())
        .collect();
    // Someone holds the lock of one sealed run (as a resume would).
    let lock = std::fs::File::create(sealed[0].join("lock")).unwrap();
    lock.try_lock().unwrap();

    let mut args = vec!["--older-than", "365d", "--yes"];
    args.extend(LATER);
    let (code, shown) = prune(&runs, &args);
    assert_eq!(code, Some(0), "{shown}");
    assert!(!sealed[1].exists(), "{shown}");
    assert!(sealed[0].exists() && left.exists(), "{shown}");
    assert!(shown.contains("1 run(s) removed"), "{shown}");
    assert!(shown.contains("lock held"), "{shown}");
    assert!(shown.contains("not sealed: left or interrupted"), "{shown}");
    let hidden = std::fs::read_dir(runs.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(hidden, 0, "nothing half-removed is left behind");
    drop(lock);
}

#[test]
fn a_run_that_does_not_verify_or_cannot_be_read_goes_only_with_damaged() {
    let runs = Runs::new();
    three_runs(&runs);
    let sealed: Vec<_> = runs
        .run_dirs()
        .into_iter()
        .filter(|d| d.join("timeline.seal").exists())
        .collect();
    // An output log changed after the run: the chain holds, the record does not verify.
    let log = std::fs::read_dir(sealed[0].join("output"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    std::fs::write(&log, "rewritten\n").unwrap();
    let junk = runs.path().join("2020-01-01T00-00-00Z-junk");
    std::fs::create_dir(&junk).unwrap();
    std::fs::write(junk.join("timeline.jsonl"), "not a record\n").unwrap();

    let mut args = vec!["--older-than", "365d", "--yes"];
    args.extend(LATER);
    let (code, shown) = prune(&runs, &args);
    assert_eq!(code, Some(0), "{shown}");
    assert!(sealed[0].exists() && junk.exists(), "{shown}");
    assert!(!sealed[1].exists(), "{shown}");
    assert!(shown.contains("does not verify"), "{shown}");
    assert!(shown.contains("kept unless --damaged"), "{shown}");

    args.push("--damaged");
    let (code, shown) = prune(&runs, &args);
    assert_eq!(code, Some(0), "{shown}");
    assert!(!sealed[0].exists() && !junk.exists(), "{shown}");
    assert!(shown.contains("2 run(s) removed"), "{shown}");
}
