//! `rollback validate` on broken plans: every rule and every kind of bad input, each with
//! its exit code and the exact line and column it is reported at.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BASE: &str = include_str!("plans/base.yaml");

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rollback")
}

/// Runs `rollback validate --quiet` on `files`, killing it if it outlives a generous deadline.
fn validate(args: &[&str], files: &[&Path]) -> Output {
    let mut child = Command::new(bin())
        .arg("validate")
        .arg("--quiet")
        .args(args)
        .args(files)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if child.try_wait().expect("wait works").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("validate did not finish before the deadline");
        }
        std::thread::park_timeout(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("temp file");
    p
}

/// The base plan with each `(from, to)` replaced once; panics if `from` is absent so a
/// change to the base cannot silently turn a case into a no-op.
fn edit(pairs: &[(&str, &str)]) -> String {
    let mut text = BASE.to_string();
    for (from, to) in pairs {
        assert!(text.contains(from), "base plan lacks {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

struct Case {
    name: &'static str,
    text: String,
    exit: i32,
    /// Lines that must appear, without the `path:` prefix.
    expect: &'static [&'static str],
}

fn run_cases(cases: Vec<Case>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    for case in cases {
        let path = write(
            dir.path(),
            &format!("{}.yaml", case.name),
            case.text.as_bytes(),
        );
        let out = validate(&[], &[&path]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let prefix = format!("{}:", path.display());
        let lines: Vec<&str> = stdout
            .lines()
            .map(|l| l.strip_prefix(&prefix).unwrap_or(l))
            .collect();
        let code = out.status.code().unwrap_or(-1);
        if code != case.exit {
            failures.push(format!(
                "{}: exit {code}, want {}\n{stdout}",
                case.name, case.exit
            ));
        }
        for want in case.expect {
            if !lines.contains(want) {
                failures.push(format!(
                    "{}: missing {want:?} in\n{}",
                    case.name,
                    lines.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn the_base_plan_is_valid() {
    run_cases(vec![Case {
        name: "base",
        text: BASE.to_string(),
        exit: 0,
        expect: &[],
    }]);
}

#[test]
fn structure_problems_are_all_reported_at_their_keys() {
    run_cases(vec![
        Case {
            name: "unknown-keys",
            text: edit(&[
                (
                    "        timeout: 10s\n        simulate: {duration: 1s}\n  - id: decide",
                    "        timout: 10s\n        simulate: {duration: 1s}\n  - id: decide",
                ),
                ("automation: semi", "automaton: semi"),
            ]),
            exit: 2,
            expect: &[
                "5:1: error: unknown key `automaton`, did you mean `automation`? [schema]",
                "11:9: error: unknown key `timout`, did you mean `timeout`? [schema]",
                "1:1: error: missing key `automation` [schema]",
            ],
        },
        Case {
            // A region's name becomes part of file names: `../../x` must never pass.
            name: "region-path",
            text: edit(&[(
                "automation: semi",
                "automation: semi\nregions: [eu, ../../x]",
            )]),
            exit: 2,
            expect: &[
                "6:15: error: `../../x` is not a valid id: use lowercase letters, digits, `-` and `_` [schema]",
            ],
        },
        Case {
            name: "wrong-type",
            text: edit(&[
                ("level: 3", "level: three"),
                ("run: echo undo", "run: [echo, undo]"),
            ]),
            exit: 2,
            expect: &[
                "3:8: error: expected a whole number for `level`, found a string [schema]",
                "22:14: error: expected a string for `run`, found a list [schema]",
            ],
        },
        Case {
            name: "bad-enum",
            text: edit(&[("operation: application", "operation: aplication")]),
            exit: 2,
            expect: &[
                "4:12: error: `aplication` is not allowed for `operation`, did you mean `application`? [schema]",
            ],
        },
        Case {
            name: "level-out-of-range",
            text: edit(&[("level: 3", "level: 5")]),
            exit: 2,
            expect: &[
                "3:8: error: 5 is out of range for `level`: must be between 2 and 4 [schema]",
            ],
        },
        Case {
            name: "bad-duration",
            text: edit(&[("simulate: {duration: 1s}", "simulate: {duration: 1 sec}")]),
            exit: 2,
            expect: &[
                "12:30: error: `1 sec` is not a duration: write it as 90s, 5m or 1h30m [schema]",
            ],
        },
        Case {
            name: "bare-number-duration",
            text: edit(&[("timeout: 10s", "timeout: 10")]),
            exit: 2,
            expect: &[
                "11:18: error: `10` is not a duration: write it as 90s, 5m or 1h30m [schema]",
            ],
        },
        Case {
            name: "yaml-1-1-boolean",
            text: edit(&[("point_of_no_return: true", "point_of_no_return: yes")]),
            exit: 2,
            expect: &[
                "19:25: error: expected true or false for `point_of_no_return`, found a string [schema]",
            ],
        },
        Case {
            name: "bad-id",
            text: edit(&[("- id: save", "- id: Save It")]),
            exit: 2,
            expect: &[
                "9:13: error: `Save It` is not a valid id: use lowercase letters, digits, `-` and `_` [schema]",
            ],
        },
        Case {
            name: "missing-steps",
            text: edit(&[(
                "    kind: prepare\n    steps:\n      - id: go\n        approve: Go ahead?\n",
                "    kind: prepare\n",
            )]),
            exit: 2,
            expect: &["13:5: error: missing key `steps` [schema]"],
        },
        Case {
            name: "duplicate-key",
            text: edit(&[("title: Base plan", "title: Base plan\ntitle: Again")]),
            exit: 2,
            expect: &["3:1: error: duplicate key `title`: it is already set at line 2 [yaml]"],
        },
        Case {
            name: "malformed",
            text: edit(&[("        approve: Go ahead?", "       approve: Go ahead?")]),
            exit: 2,
            expect: &[
                "17:8: error: while parsing a block collection, did not find expected '-' indicator [yaml]",
            ],
        },
        Case {
            name: "not-a-mapping",
            text: "- plan: x\n".into(),
            exit: 2,
            expect: &[
                "1:1: error: a plan is a mapping of keys (`plan:`, `title:`, ...), found a list [schema]",
            ],
        },
    ]);
}

#[test]
fn every_rule_names_itself_and_its_position() {
    run_cases(vec![
        Case {
            name: "ids",
            text: edit(&[
                ("- id: decide", "- id: capture"),
                (
                    "- id: undo",
                    "- id: undo\n        run: echo again\n        timeout: 1s\n        simulate: {}\n      - id: undo",
                ),
            ]),
            exit: 1,
            expect: &[
                "13:9: error: phase id `capture` is already used at line 7 [ids]",
                "25:13: error: step id `undo` is already used at line 21 [ids]",
            ],
        },
        Case {
            name: "step-kind",
            text: edit(&[
                (
                    "approve: Go ahead?",
                    "approve: Go ahead?\n        run: echo also\n        timeout: 5s",
                ),
                ("check: \"true\"", "check: \"true\"\n        role: dba"),
            ]),
            exit: 1,
            expect: &[
                "18:14: error: step `decide.go` has both `approve` and `run`: a step does one thing, split it in two [step-kind]",
                "31:15: error: `role` names who approves, so it belongs on an `approve` step [step-kind]",
            ],
        },
        Case {
            name: "step-nothing",
            text: edit(&[("        approve: Go ahead?\n", "        title: Nothing\n")]),
            exit: 1,
            expect: &[
                "16:13: error: step `decide.go` does nothing: give it one of `run`, `check`, `approve` or `manual` [step-kind]",
            ],
        },
        Case {
            name: "command-keys-on-a-gate",
            text: edit(&[(
                "approve: Go ahead?",
                "approve: Go ahead?\n        timeout: 5s",
            )]),
            exit: 1,
            expect: &[
                "18:18: error: `timeout` applies to `run` and `check` steps, and `decide.go` is an `approve` step [step-kind]",
            ],
        },
        Case {
            name: "references",
            text: edit(&[(
                "phases:\n",
                "scenarios:\n  app: {phases: [capture, exec]}\n  one: {steps: [verify.redy, nowhere]}\n  eu: {regions: [eu-west-1]}\nphases:\n",
            )]),
            exit: 1,
            expect: &[
                "7:27: error: no phase named `exec`, did you mean `execute`? [references]",
                "8:17: error: no step in phase `verify` named `redy`, did you mean `ready`? [references]",
                "8:30: error: write steps as `phase.step`, not `nowhere` [references]",
                "9:18: error: no region named `eu-west-1` [references]",
            ],
        },
        Case {
            name: "durations",
            text: edit(&[
                ("timeout: 10s", "timeout: 0s"),
                ("automation: semi", "automation: semi\nsla: 0m"),
            ]),
            exit: 1,
            expect: &[
                "6:6: error: the SLA must be longer than zero [durations]",
                "12:18: error: a timeout must be longer than zero [durations]",
            ],
        },
        Case {
            name: "vars",
            text: edit(&[(
                "phases:\n",
                "vars:\n  rev: {pattern: '[0-9+', default: '1'}\n  ns: {pattern: '[a-z]+', default: Prod}\n  9lives: {}\n  ROLLBACK_X: {}\n  token: {secret: true, default: hunter2}\nphases:\n",
            )]),
            exit: 1,
            expect: &[
                "7:18: error: pattern of `rev` is not a valid regular expression: error: unclosed character class [vars]",
                "8:36: error: default `Prod` of `ns` does not match its own pattern `[a-z]+` [vars]",
                "9:3: error: variable name `9lives` cannot be an environment variable: use letters, digits and `_`, not starting with a digit [vars]",
                "10:3: error: variable name `ROLLBACK_X` is reserved: ROLLBACK_* names carry the run's context [vars]",
                "11:34: warning: `token` is secret but has a default written in the plan: pass it with --var or --var-file instead [vars]",
            ],
        },
        Case {
            name: "template-phases",
            text: edit(&[
                ("  - id: capture\n", "  - id: snapshot\n"),
                ("  - id: verify\n", "  - id: smoke\n"),
            ]),
            exit: 1,
            expect: &[
                "7:3: error: the plan has no `capture` phase: every rollback captures the state before it changes anything [phases]",
                "7:3: error: the plan has no `verify` phase: every rollback verifies that it worked [phases]",
                "7:9: error: phase `snapshot` is not one of the template phases: add `kind:` (assess, capture, communicate, prepare, execute, verify, validate, close) [phases]",
            ],
        },
        Case {
            name: "execute-before-capture",
            text: edit(&[(
                "  - id: capture\n",
                "  - id: early\n    kind: execute\n    steps:\n      - id: oops\n        run: echo\n        timeout: 1s\n        simulate: {}\n  - id: capture\n",
            )]),
            exit: 1,
            expect: &[
                "7:9: error: an execute phase comes before the capture phase: capture the state before changing it [phases]",
            ],
        },
        Case {
            name: "empty-phase",
            text: edit(&[(
                "    kind: prepare\n    steps:\n      - id: go\n        approve: Go ahead?\n",
                "    kind: prepare\n    steps: []\n",
            )]),
            exit: 1,
            expect: &["15:12: error: phase `decide` has no steps [phases]"],
        },
        Case {
            name: "escalation",
            text: edit(&[(
                "phases:\n",
                "escalation:\n  - {after: 15m, level: 3, action: CTO}\n  - {after: 5m, level: 2, action: SRE}\nphases:\n",
            )]),
            exit: 1,
            expect: &[
                "8:13: error: escalation rungs go up in time: 5m comes after 15m [escalation]",
                "8:24: error: escalation levels go up: level 2 comes after level 3 [escalation]",
            ],
        },
        Case {
            name: "post-rollback",
            text: format!(
                "{BASE}post_rollback:\n  - {{window: immediate, check: 'true', manual: look}}\n  - {{window: long-term}}\n"
            ),
            exit: 1,
            expect: &[
                "47:48: error: a validation item is either a `check` or a `manual` check, not both [post-rollback]",
                "48:14: error: a long-term validation item needs a `check` or a `manual` text [post-rollback]",
            ],
        },
        Case {
            name: "warnings-only",
            text: edit(&[
                ("automation: semi", "automation: full"),
                (
                    "        simulate: {duration: 1s}\n  - id: decide",
                    "  - id: decide",
                ),
                ("title: Base plan", "title: \"TODO: name it\""),
                (
                    "    point_of_no_return: true\n",
                    "    point_of_no_return: true\n    estimate: 20m\n",
                ),
            ]),
            exit: 0,
            expect: &[
                "2:8: warning: placeholder left to fill in: TODO: name it [placeholder]",
                "3:8: warning: the phases are estimated at 20m in all, more than the SLA of 15m [estimates]",
                "9:13: warning: step `capture.save` has no `simulate`: a drill will show a placeholder instead of realistic output [drill]",
                "15:13: warning: the plan says `automation: full` but stops at an approval gate: say `semi` [automation]",
            ],
        },
    ]);
}

#[test]
fn an_sla_looser_than_the_operation_target_says_why() {
    let looser = "level: 3\noperation: configuration\nsla: 10m\n";
    run_cases(vec![
        Case {
            name: "no-reason",
            text: edit(&[("level: 3\noperation: application\n", looser)]),
            exit: 0,
            expect: &[
                "5:6: warning: an SLA of 10m is looser than the 5m the standard sets for a level 3 configuration rollback: tighten it or say why in `sla_reason` [sla]",
            ],
        },
        Case {
            name: "default-is-the-tighter",
            text: edit(&[
                ("operation: application", "operation: workflow"),
                (
                    "    point_of_no_return: true\n",
                    "    point_of_no_return: true\n    estimate: 6m\n",
                ),
            ]),
            exit: 0,
            expect: &[
                "3:8: warning: the phases are estimated at 6m in all, more than the SLA of 5m [estimates]",
            ],
        },
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let with_reason = edit(&[(
        "level: 3\noperation: application\n",
        "level: 3\noperation: configuration\nsla: 10m\nsla_reason: the config service restarts in 8m\n",
    )]);
    let path = write(dir.path(), "reason.yaml", with_reason.as_bytes());
    let out = validate(&[], &[&path]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        !stdout.contains("[sla]"),
        "a reason silences the warning:\n{stdout}"
    );
}

#[test]
fn level_rules_are_cumulative_and_named() {
    run_cases(vec![
        Case {
            name: "level-2",
            text: edit(&[
                ("level: 3", "level: 2"),
                ("automation: semi", "automation: semi\nsla: 45m"),
                ("        check: \"true\"\n", "        run: \"true\"\n"),
            ]),
            exit: 1,
            expect: &[
                "6:6: error: a level 2 plan must roll back within 30m; this SLA is 45m [level-2]",
                "8:3: error: a level 2 plan verifies its result: add a `check` or `manual` step [level-2]",
            ],
        },
        Case {
            name: "level-3",
            text: edit(&[
                ("automation: semi", "automation: manual\nsla: 20m"),
                ("    point_of_no_return: true\n", ""),
                (
                    "        run: echo undo\n        timeout: 10s\n",
                    "        run: echo undo\n",
                ),
                ("        check: \"true\"\n", "        manual: Looks fine\n"),
                (
                    "        timeout: 10s\n        simulate: {duration: 1s}\n",
                    "        timeout: 10s\n        simulate: {duration: 1s}\n",
                ),
            ]),
            exit: 1,
            expect: &[
                "5:13: error: a level 3 plan is automated: `automation` must be `full` or `semi` [level-3]",
                "6:6: error: a level 3 plan must roll back within 15m; this SLA is 20m [level-3]",
                "8:3: error: a level 3 plan has at least one automated verification: add a `check` step [level-3]",
                "8:3: error: a level 3 plan identifies its point of no return: set `point_of_no_return: true` on a phase or step [level-3]",
                "21:13: error: step `execute.undo` runs a command without a `timeout`; level 3 requires one on every `run` [level-3]",
            ],
        },
        Case {
            name: "level-4",
            text: edit(&[
                ("level: 3", "level: 4"),
                ("automation: semi", "automation: semi\nsla: 12m"),
            ]),
            exit: 1,
            expect: &[
                "6:6: error: a level 4 plan must roll back within 10m per region; this SLA is 12m [level-4]",
                "3:8: error: a level 4 plan declares the `regions` it covers [level-4]",
                "8:3: error: a level 4 plan has a stakeholder approval gate: an `approve` step with the `role` that approves [level-4]",
            ],
        },
        Case {
            name: "level-4-valid",
            text: edit(&[
                ("level: 3", "level: 4\nregions: [eu-west-1]"),
                (
                    "approve: Go ahead?",
                    "approve: Go ahead?\n        role: service owner",
                ),
            ]),
            exit: 0,
            expect: &[],
        },
    ]);
}

#[test]
fn bad_input_gets_exit_2_and_one_located_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for (i, c) in "bcdefghij".chars().enumerate() {
        let prev = (b'a' + i as u8) as char;
        bomb.push_str(&format!(
            "{c}: &{c} [{}]\n",
            vec![format!("*{prev}"); 9].join(", ")
        ));
    }
    let big = vec![b'#'; 60 * 1024 * 1024];
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), ":1:1: error: the plan is empty"),
        (
            "comments",
            b"# just a comment\n\n".to_vec(),
            ":1:1: error: the plan is empty",
        ),
        ("garbage", garbage, ": error: this is not UTF-8 text"),
        (
            "nul",
            b"plan: a\0b\n".to_vec(),
            ":1:8: error: this file holds NUL bytes",
        ),
        (
            "bomb",
            bomb.into_bytes(),
            "error: too many alias expansions for a plan",
        ),
        ("deep", "[".repeat(100_000).into_bytes(), ":1:"),
        (
            "huge",
            big,
            ": error: is 60.0 MiB; a plan may be at most 4 MiB",
        ),
        (
            "tabs",
            b"plan: x\n\ttitle: y\n".to_vec(),
            ": error: while scanning a plain scalar, found a tab",
        ),
    ];
    for (name, bytes, want) in cases {
        let path = write(d, &format!("{name}.yaml"), &bytes);
        let out = validate(&[], &[&path]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stdout}{stderr}");
        assert_eq!(
            stdout.lines().count(),
            1,
            "{name}: one message, got {stdout}"
        );
        assert!(stdout.contains(want), "{name}: want {want:?} in {stdout}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    let out = validate(&[], &[&d.join("missing.yaml")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("missing.yaml: error: cannot open"));
    let out = validate(&[], &[d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is a directory"));
}

#[test]
fn exit_code_is_the_worst_file_and_all_files_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = write(dir.path(), "ok.yaml", BASE.as_bytes());
    let rule = write(
        dir.path(),
        "rule.yaml",
        edit(&[("level: 3", "level: 4")]).as_bytes(),
    );
    let bad = write(dir.path(), "bad.yaml", b"plan: [\n");
    assert_eq!(validate(&[], &[&ok, &rule]).status.code(), Some(1));
    let out = validate(&[], &[&ok, &rule, &bad]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("rule.yaml:") && stdout.contains("bad.yaml:"),
        "{stdout}"
    );
}

#[test]
fn json_and_github_formats_carry_the_same_diagnostics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = write(
        dir.path(),
        "rule.yaml",
        edit(&[("level: 3", "level: 4")]).as_bytes(),
    );
    let out = validate(&["--format", "json"], &[&rule]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let diags = doc["files"][0]["diagnostics"].as_array().expect("a list");
    assert_eq!(diags.len(), 2);
    assert_eq!(diags[0]["line"], 3);
    assert_eq!(diags[0]["rule"], "level-4");
    assert_eq!(doc["files"][0]["valid"], false);
    let out = validate(&["--format", "github"], &[&rule]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!(
            "::error file={},line=3,col=8,title=rollback level-4::",
            rule.display()
        )),
        "{text}"
    );
}

#[test]
fn text_form_shows_the_source_line_under_the_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "p.yaml",
        edit(&[("timeout: 10s", "timout: 10s")]).as_bytes(),
    );
    let out = Command::new(bin())
        .arg("validate")
        .arg(&p)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("11 |         timout: 10s"), "{text}");
    assert!(
        text.contains("   |         ^ unknown key `timout`, did you mean `timeout`?"),
        "{text}"
    );
}

#[test]
fn shipped_plans_are_valid_without_warnings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("plans");
    let mut plans: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("plans/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    plans.sort();
    assert!(plans.len() >= 5, "{plans:?}");
    let refs: Vec<&Path> = plans.iter().map(PathBuf::as_path).collect();
    let out = validate(&[], &refs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        !stdout.contains("warning"),
        "warnings in shipped plans:\n{stdout}"
    );
    for p in &plans {
        let first = std::fs::read_to_string(p).expect("readable");
        assert!(
            first.starts_with("# yaml-language-server: $schema=../assets/plan.schema.json\n"),
            "{} lacks the schema comment",
            p.display()
        );
    }
}

/// Plan text that would redraw a terminal: clear screen, a carriage return and newline that
/// fake a verdict line, an OSC clipboard write, bidi overrides. Written with YAML escapes
/// (`\e`, `\r`) and, for the override, raw in the file so the snippet quotes it too.
const HOSTILE: &str = "\\e[2J\\r✔ valid\\n";

fn hostile_plan() -> String {
    edit(&[
        (
            "title: Base plan",
            &format!("title: \"TODO {HOSTILE}fake\u{202e}txt\""),
        ),
        (
            "approve: Go ahead?",
            "approve: \"TODO \\e]52;c;ZXZpbA==\\a\\u2066\"",
        ),
    ])
}

/// Everything a terminal would act on: C0 (newline aside), DEL, C1, bidi controls.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| c != '\n' && rollback::text::is_unsafe(c))
        .collect()
}

#[test]
fn plan_text_in_diagnostics_is_escaped_for_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "hostile.yaml", hostile_plan().as_bytes());
    let bad_id = write(
        dir.path(),
        "bad-id.yaml",
        edit(&[("id: save", &format!("id: \"s{HOSTILE}\""))]).as_bytes(),
    );
    let out = Command::new(bin())
        .arg("validate")
        .args([&p, &bad_id])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(raw_controls(&text), [], "{text}");
    let shown = format!(
        "{}:2:8: warning: placeholder left to fill in: TODO \\e[2J\\r✔ valid\\nfake\\u{{202e}}txt [placeholder]",
        p.display()
    );
    assert!(text.lines().any(|l| l == shown), "{text}");
    assert!(
        text.contains("TODO \\e]52;c;ZXZpbA==\\u{7}\\u{2066} [placeholder]"),
        "{text}"
    );
    // The snippet quotes the source line with its raw override escaped.
    assert!(text.contains("2 | title: \"TODO \\e[2J"), "{text}");
    assert!(text.contains("fake\\u{202e}txt\""), "{text}");
    // An id breaking the schema is quoted in the error, escaped.
    assert!(
        text.contains("error: `s\\e[2J\\r✔ valid\\n` is not a valid id"),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("✔")), "{text}");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn github_annotations_cannot_be_forged_and_json_stays_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "hostile.yaml", hostile_plan().as_bytes());
    let out = validate(&["--format", "github"], &[&p]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(raw_controls(&text), [], "{text}");
    assert_eq!(text.lines().count(), 2, "one line per diagnostic:\n{text}");
    assert!(
        text.lines().all(|l| l.starts_with("::warning file=")),
        "{text}"
    );
    assert!(
        text.contains("TODO \\e[2J%0D✔ valid%0Afake\\u{202e}txt"),
        "{text}"
    );

    let out = validate(&["--format", "json"], &[&p]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let messages: Vec<&str> = doc["files"][0]["diagnostics"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|d| d["message"].as_str().expect("text"))
        .collect();
    assert_eq!(
        messages,
        [
            "placeholder left to fill in: TODO \u{1b}[2J\r✔ valid\nfake\u{202e}txt",
            "placeholder left to fill in: TODO \u{1b}]52;c;ZXZpbA==\u{7}\u{2066}",
        ]
    );
}
