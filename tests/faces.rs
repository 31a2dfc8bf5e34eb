//! Both faces write the same record: one plan driven through the terminal UI (the real app
//! on ratatui's TestBackend, fed by the runner as the terminal feeds it) and headless (the
//! binary) records the same events in the same order, a step's outputs included, and
//! neither leaves a step's outputs file behind.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rollback::engine::{SystemClock, Trigger, Waiting};
use rollback::session::{self, StartOptions};
use rollback::tui::app::App;
use rollback::tui::theme::Theme;

const PLAN: &str = r#"plan: faces
title: The same record from both faces
level: 2
operation: application
automation: full
phases:
  - id: capture
    steps:
      - id: save
        run: 'echo saving; printf "users_affected=12\n" > "$ROLLBACK_OUTPUTS"'
  - id: execute
    steps:
      - id: undo
        run: echo undo
  - id: verify
    steps:
      - id: ok
        check: 'true'
"#;

/// The event types of a run's timeline, in order.
fn types(run: &Path) -> Vec<String> {
    common::event_types(run)
}

/// Files a step's outputs leave beside its log, if any are left.
fn outputs_left(run: &Path) -> Vec<String> {
    std::fs::read_dir(run.join("output"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".outputs"))
        .collect()
}

async fn through_the_screen(plan: &Path, runs: &Path) -> std::path::PathBuf {
    let loaded = rollback::plan::load_file(plan).unwrap();
    let vars = rollback::plan::vars::resolve(&loaded.plan, &[]).unwrap();
    let opts = StartOptions {
        mode: rollback::engine::Mode::Live,
        operator: "tester".into(),
        runs_root: runs.to_path_buf(),
        vars,
        scenario: None,
        regions: Vec::new(),
        trigger: Trigger::Manual,
        drill: Default::default(),
        grace: Some(Duration::from_millis(200)),
        logs: Default::default(),
        hangup: Default::default(),
        rehearsal: None,
    };
    let (session, mut rx) = session::start(&loaded, opts, Arc::new(SystemClock)).unwrap();
    let mut app = App::new(session, Theme::plain());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !matches!(app.session.state().waiting(), Waiting::Finished(_)) || app.session.busy() > 0 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg)) => app.on_runner(msg),
            _ => panic!("the run did not end: {:?}", app.session.state().waiting()),
        }
    }
    let dir = app.session.run().path.clone();
    drop(app); // seals the run, as leaving the screen does
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screen_and_headless_record_the_same_events() {
    let runs = common::Runs::new();
    let plan = runs.path().join("faces.yaml");
    std::fs::write(&plan, PLAN).unwrap();

    let shown = tempfile::tempdir().unwrap();
    let on_screen = through_the_screen(&plan, shown.path()).await;

    let out = runs.run(&["run", plan.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
    let headless = runs.only_run();

    assert!(
        types(&on_screen).contains(&"step_outputs".to_string()),
        "the screen recorded the step's outputs: {:?}",
        types(&on_screen)
    );
    assert_eq!(types(&on_screen), types(&headless));
    assert_eq!(outputs_left(&on_screen), Vec::<String>::new());
    assert_eq!(outputs_left(&headless), Vec::<String>::new());
}
