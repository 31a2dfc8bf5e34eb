//! A region failing for good never vanishes from what the run tells: the end screen and the
//! headless end count it, the report says what became of it under an outcome that agrees,
//! and `stats` counts the failure and the retry, each duration on one clock.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{Runs, repo, text};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rollback::engine::{Input, ManualClock, Mode, Trigger, Waiting};
use rollback::plan::RegionFailure;
use rollback::session::{self, DrillOptions, StartOptions};
use rollback::tui::app::App;
use rollback::tui::theme::Theme;

const TOLD: &str = "Region us-east-1 failed at execute.undo@us-east-1: retried, then ok";

fn regional() -> String {
    repo()
        .join("plans/regional-example.yaml")
        .display()
        .to_string()
}

/// What a person answers, by what the run waits for; `None` while steps run.
fn answer(w: &Waiting) -> Option<Input> {
    let by = "dana".to_string();
    Some(match w {
        Waiting::Approval(_) => Input::Approve { by },
        Waiting::PointOfNoReturn(_) => Input::ConfirmPointOfNoReturn { by },
        Waiting::Manual(_) => Input::ConfirmManual { by, note: None },
        Waiting::RegionFailure(_) => Input::ChooseRegionPolicy {
            by,
            choice: RegionFailure::Continue,
        },
        Waiting::Failure(_) => Input::Retry { by },
        _ => return None,
    })
}

fn screen(app: &mut App) -> String {
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| rollback::tui::view::render(app, f)).unwrap();
    let buf = term.backend().buffer().clone();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "current_thread")]
async fn the_end_screen_counts_the_region_that_failed() {
    let runs = tempfile::tempdir().unwrap();
    let loaded = rollback::plan::load_file(Path::new(&regional())).unwrap();
    let vars = rollback::plan::vars::resolve(&loaded.plan, &[]).unwrap();
    let opts = StartOptions {
        mode: Mode::Drill,
        operator: "dana".into(),
        runs_root: runs.path().to_path_buf(),
        vars,
        scenario: None,
        regions: Vec::new(),
        trigger: Trigger::Manual,
        drill: DrillOptions {
            speed: 1000.0,
            fail: vec![("undo@us-east-1".into(), 1)],
            ..Default::default()
        },
        grace: Some(Duration::from_millis(200)),
        logs: Default::default(),
        hangup: Default::default(),
        rehearsal: None,
    };
    let clock = ManualClock::at(1_800_000_000_000);
    let (session, mut rx) = session::start(&loaded, opts, Arc::new(clock)).unwrap();
    let mut app = App::new(session, Theme::plain());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let waiting = app.session.state().waiting();
        if matches!(waiting, Waiting::Finished(_)) && app.session.busy() == 0 {
            break;
        }
        if let Some(input) = answer(&waiting).filter(|_| app.session.busy() == 0) {
            app.session.handle(input).unwrap();
            continue;
        }
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg)) => app.on_runner(msg),
            _ => panic!("the run did not end: {waiting:?}"),
        }
    }
    app.tick();
    let shown = screen(&mut app);
    assert!(shown.contains("Run completed"), "{shown}");
    assert!(shown.contains(", 1 failed"), "{shown}");
    assert!(!shown.contains(", 0 failed"), "{shown}");
    assert!(shown.contains("attempts failed, 1 retry"), "{shown}");
    assert!(shown.contains(TOLD), "{shown}");
}

/// A headless drill whose undo fails in us-east-1, resumed with a retry.
fn drill_retried(runs: &Runs) -> (std::path::PathBuf, String) {
    let plan = regional();
    let args = [
        "drill",
        &plan,
        "--fail",
        "undo@us-east-1",
        "--speed",
        "100",
        "--headless",
        "--approve-as",
        "dana",
        "--confirm-manual",
    ];
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let dir = runs.only_run();
    let id = dir.file_name().unwrap().to_str().unwrap().to_string();
    let out = runs.run(&["resume", &id, "--headless", "--retry-failed"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (dir, text(&out))
}

#[test]
fn headless_report_and_stats_all_tell_the_failure() {
    let runs = Runs::new();
    let (dir, said) = drill_retried(&runs);
    assert!(said.contains(", 1 failed"), "{said}");
    assert!(said.contains(TOLD), "{said}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["outcome"]["status"], "completed");
    let exec = json["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "execute")
        .unwrap();
    assert_eq!(exec["status"], "recovered", "{exec}");
    assert_eq!(json["failures"][0]["step"], "execute.undo@us-east-1");
    assert_eq!(json["failures"][0]["fate"], "retried");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("| regions_stop_all | `execute.undo@us-east-1` |"),
        "{md}"
    );
    assert!(md.contains("| retry | `execute.undo@us-east-1` |"), "{md}");

    let root = runs.path().to_str().unwrap();
    let out = runs.run(&["stats", root, "--include-drills", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["overall"]["failures"];
    assert_eq!(
        (f["failed_attempts"].as_u64(), f["retried"].as_u64()),
        (Some(1), Some(1)),
        "{v}"
    );
    assert_eq!(v["overall"]["retries"], 1);
    let shown = text(&runs.run(&["stats", root, "--include-drills"]));
    assert!(
        shown.contains("failed on the way: 1 of ")
            && shown.contains("1 step failed for good (1 retried, then ok) in 1 region"),
        "{shown}"
    );
}

#[test]
fn stats_keeps_real_time_and_the_drill_clock_apart_and_labels_drills() {
    let runs = Runs::new();
    drill_retried(&runs);
    let plans = tempfile::tempdir().unwrap();
    let live = plans.path().join("live.yaml");
    std::fs::write(
        &live,
        "plan: live\ntitle: Live\nlevel: 2\noperation: application\nautomation: full\n\
         phases:\n  - id: capture\n    steps:\n      - {id: save, run: 'true'}\n  \
         - id: execute\n    steps:\n      - {id: undo, run: 'true'}\n  \
         - id: verify\n    steps:\n      - {id: ok, check: 'true'}\n",
    )
    .unwrap();
    let out = runs.run(&["run", live.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let root = runs.path().to_str().unwrap();
    let out = runs.run(&["stats", root, "--include-drills", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let o = &v["overall"];
    // The drill takes under a second of real time, over half a minute on its x100 clock.
    let real_p95 = o["duration"]["p95_ms"].as_u64().unwrap();
    assert!(real_p95 < 20_000, "the drill's clock left out: {o}");
    let drill = o["drill_duration"]["median_ms"].as_u64().unwrap();
    assert!(drill > 30_000, "{o}");
    let exec = o["drill_phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == "execute")
        .unwrap();
    assert!(
        exec["median_ms"].as_u64().unwrap() > 20_000,
        "on the drill clock: {exec}"
    );
    assert!(
        o["phases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["p95_ms"].as_u64().unwrap() < 20_000),
        "real time only: {o}"
    );
    let shown = text(&runs.run(&["stats", root, "--include-drills"]));
    assert!(shown.contains("per phase, median / p95, real time:\n  live: capture 00:00 / 00:00, execute 00:00 / 00:00, verify 00:00 / 00:00\n"), "{shown}");
    assert!(
        shown.contains(
            "drills, median / p95 on the drill clock:\n  regional-example [drill]: whole run 0"
        ),
        "{shown}"
    );
}
