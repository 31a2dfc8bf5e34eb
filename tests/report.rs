//! `timeline::reports::render_run` over real run directories: timelines written by the real engine
//! (`decide` + `apply`, with a fixed clock) through the real `Journal`, beside a byte-exact
//! plan copy, then read back, replayed and rendered.

use std::path::{Path, PathBuf};

use rollback::engine::decide::{ExitReport, Input, decide};
use rollback::engine::selection::{regions_in_run, selected_steps};
use rollback::engine::sla::run_sla_ms;
use rollback::engine::{Mode, RunInfo, RunState, StepOutcome, Trigger, Waiting};
use rollback::plan::Plan;
use rollback::plan::load::load_bytes;
use rollback::report::{Report, RunOutcome, SlaVerdict, TOP_LEVEL_KEYS};
use rollback::timeline::reports::render_run;
use rollback::timeline::rundir::{self, TIMELINE};
use rollback::timeline::{Journal, RunDir};
use sha2::{Digest, Sha256};

const T0: i64 = 1_800_000_000_000;
const NOW: i64 = T0 + 7 * 86_400_000;

/// Three automated steps and two for people; a note and a skip reason with `|` in them.
const PLAN: &str = "plan: small\ntitle: Roll back small-api\nlevel: 3\noperation: application\n\
automation: semi\nsla: 5m\n\
phases:\n  - id: capture\n    steps:\n      - {id: save, run: 'true'}\n  \
- id: decide\n    kind: prepare\n    steps:\n      - {id: go, approve: Go?}\n  \
- id: execute\n    point_of_no_return: true\n    steps:\n      - {id: undo, run: 'true'}\n  \
- id: verify\n    steps:\n      - {id: ready, check: 'true'}\n      - {id: look, manual: Looks fine}\n\
post_rollback:\n  - {window: immediate, check: 'curl -fsS https://small/health'}\n  \
- {window: short-term, manual: No new tickets}\n  - {window: long-term, manual: Postmortem}\n";

/// A run being played: the engine decides, the journal writes, the state applies.
struct Run {
    plan: Plan,
    state: RunState,
    journal: Journal,
    dir: RunDir,
    now: i64,
    operator: String,
    mode: Mode,
}

impl Run {
    fn start(root: &Path, bytes: &[u8], mode: Mode, scenario: Option<&str>) -> Run {
        let plan = load_bytes("plan.yaml", bytes.to_vec())
            .expect("plan loads")
            .plan;
        let start = chrono::DateTime::from_timestamp_millis(T0).unwrap();
        let id = &plan.plan.value;
        let dir = rundir::create(root, id, start, bytes, "test").expect("run dir");
        let journal = Journal::create(&dir.timeline()).expect("timeline");
        let state = RunState::new(&plan, scenario);
        let info = RunInfo {
            run_id: dir.id.clone(),
            plan: id.clone(),
            title: plan.title.value.clone(),
            team: None,
            plan_sha256: hex::encode(Sha256::digest(bytes)),
            level: *plan.level,
            sla_ms: run_sla_ms(&plan, regions_in_run(&plan, scenario)),
            scenario: scenario.map(str::to_string),
            regions: vec![],
            vars: vec![],
            var_sources: vec![],
            trigger: Trigger::Auto,
            fired: None,
            plan_path: "plans/x.yaml".into(),
            host: "bastion".into(),
            pid: 7,
            version: "test".into(),
            rehearsal: None,
            drill: None,
        };
        let mut run = Run {
            plan,
            state,
            journal,
            dir,
            now: T0,
            operator: "alice".into(),
            mode,
        };
        run.feed(Input::Start(Box::new(info), mode));
        run
    }

    fn feed(&mut self, input: Input) {
        let d = decide(&self.plan, &self.state, input, self.now, &self.operator);
        assert!(d.refused.is_none(), "refused: {:?}", d.refused);
        for e in d.events {
            let elapsed = match self.state.info {
                Some(_) => self.state.elapsed_ms(self.now),
                None => 0,
            };
            let r = self
                .journal
                .append(self.now, elapsed, self.mode, &self.operator, e)
                .expect("append");
            self.state.apply(&r.stamped());
        }
    }

    /// Runs the ready command: started now, ended `secs` later.
    fn command(&mut self, secs: i64) {
        let Waiting::Ready(step) = self.state.waiting() else {
            panic!("no command ready: {:?}", self.state.waiting());
        };
        let attempt = self.state.steps[step].attempts_used() + 1;
        let log = RunDir::log_name(&self.state.steps[step].key, attempt);
        self.feed(Input::Spawned {
            step,
            attempt,
            pid: Some(99),
            pgid: Some(99),
            log,
        });
        self.now += secs * 1000;
        self.feed(Input::Exited {
            step,
            attempt,
            report: ExitReport {
                outcome: StepOutcome::Ok,
                exit_code: Some(0),
                signal: None,
                duration_ms: (secs * 1000) as u64,
                lines: 2,
                bytes: 20,
                sha256: "cd".repeat(32),
                dropped: 0,
                error: None,
                log_error: None,
            },
        });
    }

    /// Every remaining step goes well, a few seconds apart, until the run completes.
    fn all_ok(&mut self) -> &mut Self {
        loop {
            let by = self.operator.clone();
            match self.state.waiting() {
                Waiting::Finished(_) => return self,
                Waiting::Ready(_) => self.command(2),
                Waiting::PointOfNoReturn(_) => self.feed(Input::ConfirmPointOfNoReturn { by }),
                Waiting::Approval(_) => self.feed(Input::Approve { by }),
                Waiting::Manual(_) => self.feed(Input::ConfirmManual { by, note: None }),
                w => panic!("cannot play on from {w:?}"),
            }
            self.now += 3_000;
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path.clone()
    }
}

fn render(run: &Run) -> Report {
    render_run(&run.path(), NOW).unwrap_or_else(|e| panic!("render: {e}"))
}

fn has_all(md: &str, wants: &[&str]) {
    for want in wants {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
}

#[test]
fn a_run_directory_renders_with_people_notes_and_metrics() {
    let root = tempfile::tempdir().unwrap();
    let mut run = Run::start(root.path(), PLAN.as_bytes(), Mode::Live, None);
    run.command(3);
    run.now += 20_000;
    run.operator = "bob".into();
    run.feed(Input::Approve { by: "bob".into() });
    run.feed(Input::Note {
        by: "bob".into(),
        text: "status | page\nupdated".into(),
    });
    run.operator = "alice".into();
    run.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
    run.command(2);
    run.command(2);
    run.now += 30_000;
    run.feed(Input::Skip {
        by: "alice".into(),
        reason: "dashboards down | checked by phone".into(),
    });
    let r = render(&run);

    assert_eq!(r.outcome.status, RunOutcome::Completed);
    assert_eq!(r.timing.sla, SlaVerdict::Met);
    assert_eq!(r.run.operators, ["alice", "bob"]);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let q = &r.metrics.quality;
    assert_eq!(q.automated_pct, Some(60.0), "3 run/check of 5 steps");
    assert_eq!(
        q.plan_followed_pct,
        Some(80.0),
        "the skipped check counts against"
    );
    assert_eq!(r.metrics.execution.attempts, 3);
    assert_eq!(r.metrics.execution.retries, 0);

    let md = r.to_markdown();
    has_all(
        &md,
        &[
            "# Rollback report: Roll back small-api\n",
            "| Outcome | completed |",
            "| Trigger | auto |",
            "| Operator | alice (also: bob) |",
            ": met (",
            "| `verify.look` | manual | skipped | +00:27 | 30s | skipped by alice: dashboards down \\| checked by phone |",
            "| note | bob | status \\| page<br>updated |",
            "| `decide.go` | approve | ok | +00:03 | 20s | approved by bob |",
            "point of no return, confirmed by alice",
            "### Immediate (0-15 min)",
            "### Short-term (15 min-1 h)",
            "### Long-term (1-24 h)",
            "- [ ] Run `curl -fsS https://small/health`",
            "- [ ] No new tickets",
            "3 automated (run/check), 2 manual (approve/manual): 60% automated",
            "| Plan followed | 80%: 4 of 5 steps ok (1 skipped, 0 failed, 0 not done) |",
            "| Downtime | missing |",
        ],
    );
    // Every table row has as many cells as its header: no `|` leaked out of a cell.
    for table in md.split("\n\n").filter(|b| b.starts_with("| ")) {
        let cells = |l: &str| l.replace("\\|", "").matches('|').count();
        let mut lines = table.lines();
        let width = cells(lines.next().unwrap());
        for l in lines {
            assert_eq!(cells(l), width, "row {l:?} in\n{table}");
        }
    }
}

#[test]
fn json_round_trips_with_the_documented_top_level_keys() {
    let root = tempfile::tempdir().unwrap();
    let mut run = Run::start(root.path(), PLAN.as_bytes(), Mode::Drill, None);
    run.all_ok();
    let r = render(&run);
    let v = r.to_json();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let (mut got, mut want) = (keys, TOP_LEVEL_KEYS.to_vec());
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(v["report_version"], 1);
    assert_eq!(v["run"]["mode"], "drill");
    assert_eq!(v["outcome"]["status"], "completed");
    assert_eq!(v["metrics"]["quality"]["tested_beforehand"], "yes");
    assert_eq!(v["generated_at"], "2027-01-22T08:00:00.000Z");
    let text = serde_json::to_string_pretty(&v).unwrap();
    let back: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back, v);
    let typed: Report = serde_json::from_value(back).unwrap();
    assert_eq!(typed, r);
    assert!(
        r.to_markdown()
            .starts_with("# Rollback report (DRILL): Roll back small-api\n")
    );
}

#[test]
fn a_run_over_its_sla_says_by_how_much() {
    let root = tempfile::tempdir().unwrap();
    let mut run = Run::start(root.path(), PLAN.as_bytes(), Mode::Live, None);
    run.command(2);
    run.now = T0 + 6 * 60_000;
    run.feed(Input::Tick);
    run.all_ok();
    let r = render(&run);
    assert_eq!(r.timing.sla, SlaVerdict::Missed);
    let md = r.to_markdown();
    has_all(
        &md,
        &[
            "of 05:00: missed by 01:",
            "SLA of 05:00 breached at +06:00",
            "| +06:00 | 2 | Engage senior SRE | time elapsed | **not acknowledged** |",
        ],
    );
}

#[test]
fn a_damaged_chain_is_refused_naming_the_line() {
    let root = tempfile::tempdir().unwrap();
    let mut run = Run::start(root.path(), PLAN.as_bytes(), Mode::Live, None);
    run.all_ok();
    let path = run.path().join(TIMELINE);
    let text = std::fs::read_to_string(&path).unwrap();
    let edited: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 2 {
                l.replace("\"alice\"", "\"mallory\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&path, edited.join("\n") + "\n").unwrap();
    let err = render_run(&run.path(), NOW).unwrap_err();
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn a_torn_tail_and_a_changed_plan_copy_are_warnings() {
    let root = tempfile::tempdir().unwrap();
    let mut run = Run::start(root.path(), PLAN.as_bytes(), Mode::Live, None);
    run.command(1);
    let path = run.path().join(TIMELINE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"seq\":9,\"ts\":\"20");
    std::fs::write(&path, bytes).unwrap();
    std::fs::write(
        run.path().join("plan.yaml"),
        PLAN.replace("small-api", "other-api"),
    )
    .unwrap();
    let r = render(&run);
    assert_eq!(r.outcome.status, RunOutcome::NotFinished);
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
    let md = r.to_markdown();
    has_all(
        &md,
        &[
            "> **Warning:** the timeline ends in an incomplete line",
            "is not the plan recorded for this run",
            "in progress/interrupted",
        ],
    );
}

#[test]
fn an_empty_or_missing_run_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    assert!(
        render_run(root.path(), NOW)
            .unwrap_err()
            .contains("plan.yaml")
    );
    std::fs::write(root.path().join("plan.yaml"), PLAN).unwrap();
    std::fs::write(root.path().join(TIMELINE), "").unwrap();
    assert!(
        render_run(root.path(), NOW)
            .unwrap_err()
            .contains("no run start")
    );
}

#[test]
fn every_shipped_plan_renders_a_drill_naming_every_selected_step() {
    let plans = Path::new(env!("CARGO_MANIFEST_DIR")).join("plans");
    let mut seen = 0;
    for entry in std::fs::read_dir(&plans).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let plan = load_bytes("p", bytes.clone()).unwrap().plan;
        let scenarios: Vec<Option<String>> = std::iter::once(None)
            .chain(plan.scenarios.keys().map(|k| Some(k.to_string())))
            .collect();
        for scenario in scenarios {
            let root = tempfile::tempdir().unwrap();
            let mut run = Run::start(root.path(), &bytes, Mode::Drill, scenario.as_deref());
            run.all_ok();
            let r = render(&run);
            let md = r.to_markdown();
            let what = format!("{} {scenario:?}", path.display());
            assert_eq!(r.outcome.status, RunOutcome::Completed, "{what}");
            assert!(md.starts_with("# Rollback report (DRILL): "), "{what}");
            let selected = selected_steps(&plan, scenario.as_deref());
            let keys = plan
                .steps()
                .map(|(p, s)| format!("{}.{}", p.id.value, s.id.value));
            for (key, on) in keys.zip(selected) {
                // A step of a `for_each: region` phase is named once per region.
                let named =
                    md.contains(&format!("\n| `{key}`")) || md.contains(&format!("\n| `{key}@"));
                assert_eq!(named, on, "{what}: step {key} selected={on}\n{md}");
            }
            let items: usize = r.follow_ups.groups.iter().map(|g| g.items.len()).sum();
            assert_eq!(items, plan.post_rollback.len(), "{what}");
            assert_eq!(md.matches("- [ ] ").count(), items, "{what}");
            assert_eq!(r.metrics.quality.plan_followed_pct, Some(100.0), "{what}");
            seen += 1;
        }
    }
    assert!(seen >= 5, "only {seen} plan runs");
}
