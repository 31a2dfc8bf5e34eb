use std::time::Duration;

use super::*;
use crate::monitor::window::Outcome;

const S: Duration = Duration::from_secs(1);

fn limits(interval: u64) -> Limits {
    Limits {
        interval: S * interval as u32,
        count: 3,
        initial_delay: Duration::ZERO,
        failure_limit: 0,
        consecutive_error_limit: 2,
    }
}

/// Windows ending at 10 s, 20 s and 30 s; a check of the immediate window and a trigger.
fn validation(check_window: Window) -> Validation {
    let spans = spans(&[
        (Window::Immediate, S * 10),
        (Window::ShortTerm, S * 20),
        (Window::LongTerm, S * 30),
    ]);
    Validation::new(
        spans,
        vec![
            Source {
                name: "health".into(),
                only: Some(check_window),
                limits: limits(5),
            },
            Source {
                name: "errors".into(),
                only: None,
                limits: limits(5),
            },
        ],
    )
}

fn sample(at: Duration, outcome: Outcome) -> Sample {
    Sample {
        at,
        outcome,
        value: None,
        message: None,
    }
}

/// Drives the validation to `until`, answering every due sample with `answer(source, at)`.
fn drive(v: &mut Validation, until: Duration, answer: impl Fn(usize, Duration) -> Outcome) {
    let mut now = Duration::ZERO;
    while now <= until {
        v.tick(now);
        for k in v.due(now) {
            let Some(w) = v.current() else { break };
            v.record(w, k, sample(now, answer(k, now)));
        }
        match v.next_wake() {
            Some(next) if next > now => now = next,
            Some(_) => now += S,
            None => break,
        }
    }
}

fn words(v: &Validation) -> Vec<&'static str> {
    v.verdicts().iter().map(WindowVerdict::word).collect()
}

#[test]
fn windows_follow_each_other_from_the_run_end() {
    let s = spans(&[(Window::Immediate, S * 15), (Window::ShortTerm, S * 60)]);
    assert_eq!((s[0].from, s[0].until), (Duration::ZERO, S * 15));
    assert_eq!((s[1].from, s[1].until), (S * 15, S * 60));
}

#[test]
fn verdicts_over_time() {
    use Outcome::*;
    type Answer = fn(usize, Duration) -> Outcome;
    type Case = (
        &'static str,
        Window,
        Duration,
        Answer,
        [&'static str; 3],
        RunVerdict,
    );
    let cases: [Case; 6] = [
        (
            "all well to the end",
            Window::Immediate,
            S * 31,
            |_, _| Success,
            ["passed", "passed", "passed"],
            RunVerdict::Validated,
        ),
        (
            "still in the short-term window",
            Window::Immediate,
            S * 12,
            |_, _| Success,
            ["passed", "running", "pending"],
            RunVerdict::Validating,
        ),
        (
            "the check fails at 5 s: regressed, the rest not run",
            Window::Immediate,
            S * 31,
            |k, at| {
                if k == 0 && at >= S * 5 {
                    Failure
                } else {
                    Success
                }
            },
            ["regressed", "not run", "not run"],
            RunVerdict::Regressed,
        ),
        (
            "the trigger fires in the long-term window",
            Window::Immediate,
            S * 31,
            |k, at| {
                if k == 1 && at >= S * 25 {
                    Failure
                } else {
                    Success
                }
            },
            ["passed", "passed", "regressed"],
            RunVerdict::Regressed,
        ),
        (
            "the check's probe only errs: blind, not run, never passed",
            Window::ShortTerm,
            S * 31,
            |k, _| if k == 0 { Error } else { Success },
            ["passed", "not run", "passed"],
            RunVerdict::NotValidated,
        ),
        (
            "inconclusive and never judged",
            Window::LongTerm,
            S * 31,
            |k, _| if k == 0 { Inconclusive } else { Success },
            ["passed", "passed", "not run"],
            RunVerdict::NotValidated,
        ),
    ];
    for (what, window, until, answer, want, run) in cases {
        let mut v = validation(window);
        drive(&mut v, until, answer);
        assert_eq!(words(&v), want, "{what}");
        assert_eq!(v.verdict(), run, "{what}");
    }
}

#[test]
fn a_window_whose_source_ends_on_a_probe_error_is_not_run_never_passed() {
    // The trigger sees well at 0 s, then its probe errs (no data) at 5 s, below the blind
    // limit; the immediate window ends at 10 s on that error.
    let mut v = validation(Window::ShortTerm);
    drive(&mut v, S * 31, |k, at| {
        if k == 1 && at == S * 5 {
            Outcome::Error
        } else {
            Outcome::Success
        }
    });
    assert_eq!(words(&v), ["not run", "passed", "passed"]);
    assert!(
        matches!(&v.verdicts()[0], WindowVerdict::NotRun { why }
            if why.contains("`errors` could not see at the window's end (its last sample was a probe error)")),
        "{:?}",
        v.verdicts()[0]
    );
    assert_eq!(v.verdict(), RunVerdict::NotValidated);
    // An error the source recovered from leaves the window judged on what it saw.
    let mut v = validation(Window::ShortTerm);
    drive(&mut v, S * 31, |k, at| {
        if k == 1 && at == S * 10 {
            Outcome::Error
        } else {
            Outcome::Success
        }
    });
    assert_eq!(v.verdict(), RunVerdict::Validated, "{:?}", v.verdicts());
}

#[test]
fn a_window_with_nothing_to_sample_is_not_run() {
    let mut v = Validation::new(spans(&[(Window::Immediate, S * 10)]), Vec::new());
    v.tick(Duration::ZERO);
    v.tick(S * 10);
    assert_eq!(words(&v), ["not run"]);
    assert_eq!(v.verdict(), RunVerdict::NotValidated);
}

#[test]
fn skipping_validation_leaves_every_window_not_run() {
    let mut v = validation(Window::Immediate);
    let changed = v.stop("skipped with --no-validate");
    assert_eq!(changed.len(), 3);
    assert!(
        changed.iter().all(
            |(_, w)| matches!(w, WindowVerdict::NotRun { why } if why.contains("--no-validate"))
        )
    );
    assert_eq!(v.verdict(), RunVerdict::NotValidated);
}

#[test]
fn a_window_whose_end_passed_during_an_interruption_is_not_run() {
    let mut v = validation(Window::Immediate);
    drive(&mut v, S * 6, |_, _| Outcome::Success);
    assert_eq!(v.current(), Some(0));
    // Stopped at 6 s, back at 14 s: the immediate window ended unwatched.
    v.resumed(S * 6, S * 14);
    assert_eq!(words(&v), ["not run", "running", "pending"]);
    assert!(
        matches!(&v.verdicts()[0], WindowVerdict::NotRun { why } if why.contains("interrupted"))
    );
}

#[test]
fn a_window_still_open_after_an_interruption_goes_on_with_its_samples() {
    let mut v = validation(Window::Immediate);
    drive(&mut v, S * 6, |_, _| Outcome::Success);
    v.resumed(S * 6, S * 8);
    assert_eq!(v.current(), Some(0));
    assert!(
        v.next_wake().unwrap() > S * 8,
        "no sample is due in the past"
    );
    v.tick(S * 10);
    assert_eq!(words(&v)[0], "passed");
}

#[test]
fn samples_for_a_closed_window_are_dropped() {
    let mut v = validation(Window::Immediate);
    v.tick(Duration::ZERO);
    v.tick(S * 11);
    let (changed, windows) = v.record(0, 0, sample(S * 11, Outcome::Failure));
    assert_eq!((changed, windows.len()), (None, 0));
    assert_ne!(v.verdict(), RunVerdict::Regressed);
}

#[test]
fn the_run_verdict_of_window_verdicts() {
    let p = WindowVerdict::Passed;
    let n = WindowVerdict::NotRun { why: "x".into() };
    let r = WindowVerdict::Regressed { source: "x".into() };
    let cases = [
        (vec![p.clone(), p.clone()], RunVerdict::Validated),
        (vec![p.clone(), n.clone()], RunVerdict::NotValidated),
        (vec![n.clone(), r.clone()], RunVerdict::Regressed),
        (
            vec![p.clone(), WindowVerdict::Running],
            RunVerdict::Validating,
        ),
        (vec![], RunVerdict::NotValidated),
    ];
    for (verdicts, want) in cases {
        assert_eq!(run_verdict(&verdicts), want, "{verdicts:?}");
    }
}
