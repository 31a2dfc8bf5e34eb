//! Plan text on the screen and in printed reports: a plan whose titles, questions,
//! explanations, prompts and escalation actions hold escape sequences, carriage returns,
//! newlines and bidi overrides is shown with all of them escaped and visible, never handed
//! to the terminal.

mod common;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use rollback::engine::{ManualClock, Mode, Trigger, Waiting};
use rollback::plan::load::load_bytes;
use rollback::runner::RunnerMsg;
use rollback::session::{self, DrillOptions, StartOptions};
use rollback::tui::app::App;
use rollback::tui::start::StartForm;
use rollback::tui::theme::Theme;
use tokio::sync::mpsc::UnboundedReceiver;

/// `\e[2J` clears the screen; `\r✔ …\n` would fake a line; U+202E reverses what follows.
const PLAN: &str = r#"plan: hostile
title: "Roll back \e[2J\r✔ done\n\u202Eevil"
description: "About \e[31mred"
owner: "ops\e]0;pwned\a"
level: 3
operation: application
automation: semi
escalation:
  - {after: 1m, level: 2, action: "Call \e[2J\r✔ nobody"}
vars:
  v:
    prompt: "Value \e[2J\r✔ ok"
    description: "Help \e[5m"
    default: x
phases:
  - id: capture
    steps:
      - id: save
        title: "Save \e[2J\r✔ saved"
        run: echo saved
        timeout: 10s
        simulate: {duration: 1s}
  - id: decide
    kind: prepare
    steps:
      - id: go
        approve: "Go \e[2J\r✔ approved\n\u202E?"
        role: "boss \e[2J"
  - id: execute
    point_of_no_return: true
    steps:
      - id: undo
        title: "Undo \e[2J"
        run: echo undo
        timeout: 10s
        explain: "Explain \e[2J\r✔ PONR"
        simulate: {duration: 1s}
  - id: verify
    steps:
      - id: ready
        check: "true"
        timeout: 10s
        simulate: {duration: 1s}
      - id: look
        manual: "Look \e[2J\r✔ fine"
"#;

fn loaded() -> rollback::plan::Loaded {
    load_bytes("hostile.yaml", PLAN.as_bytes().to_vec()).expect("the plan loads")
}

fn draw(w: u16, h: u16, f: impl FnOnce(&mut ratatui::Frame)) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(f).unwrap();
    term.backend().buffer().clone()
}

/// The screen as text, and a failure if any cell holds a character a terminal acts on.
fn screen(buf: &Buffer) -> String {
    let area = buf.area;
    let text = (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| c != '\n' && rollback::text::is_unsafe(c))
        .collect();
    assert_eq!(raw, [], "raw control characters on screen:\n{text}");
    text
}

fn assert_shows(text: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(text.contains(w), "missing {w:?} on screen:\n{text}");
    }
}

#[test]
fn the_start_screen_escapes_plan_text() {
    let plan = loaded().plan;
    let form = StartForm::new(
        &plan,
        &Default::default(),
        Mode::Drill,
        None,
        "alice",
        Theme::plain(),
    );
    let text = screen(&draw(160, 48, |f| f.render_widget(&form, f.area())));
    assert_shows(
        &text,
        &[
            "Roll back \\e[2J\\r✔ done\\n\\u{202e}evil",
            "About \\e[31mred",
            "owner ops\\e]0;pwned\\u{7}",
            "Value \\e[2J\\r✔ ok",
            "Help \\e[5m",
        ],
    );
}

struct Rig {
    app: App,
    rx: UnboundedReceiver<RunnerMsg>,
    clock: ManualClock,
    _runs: tempfile::TempDir,
}

impl Rig {
    fn new() -> Rig {
        let runs = tempfile::tempdir().unwrap();
        let loaded = loaded();
        let clock = ManualClock::at(1_800_000_000_000);
        let vars = rollback::plan::vars::resolve(&loaded.plan, &[]).unwrap();
        let opts = StartOptions {
            mode: Mode::Drill,
            operator: "alice".into(),
            runs_root: runs.path().to_path_buf(),
            vars,
            scenario: None,
            regions: Vec::new(),
            trigger: Trigger::Manual,
            drill: DrillOptions {
                speed: 1000.0,
                fail: Default::default(),
                ..Default::default()
            },
            grace: Some(Duration::from_millis(200)),
            logs: Default::default(),
            hangup: Default::default(),
            rehearsal: None,
        };
        let (session, rx) =
            session::start(&loaded, opts, Arc::new(clock.clone())).expect("session starts");
        let mut app = App::new(session, Theme::plain());
        // Keys come at once here; the dialog guard is tested in tui.rs.
        app.guard_ms = 0;
        Rig {
            app,
            rx,
            clock,
            _runs: runs,
        }
    }

    /// Feeds runner reports until `cond` holds (a deadline, never a fixed sleep).
    async fn until(&mut self, what: &str, cond: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !cond(&self.app) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(msg)) => self.app.on_runner(msg),
                _ => panic!("timed out waiting for {what}"),
            }
        }
    }

    fn key(&mut self, code: KeyCode) {
        self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    fn screen(&mut self) -> String {
        let app = &mut self.app;
        screen(&draw(160, 48, |f| rollback::tui::view::render(app, f)))
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_run_screen_and_its_dialogs_escape_plan_text() {
    let mut r = Rig::new();
    r.until("the first step to run", |a| {
        a.session.state().running().is_some()
    })
    .await;
    assert_shows(&r.screen(), &["Save \\e[2J\\r✔ saved: no output yet"]);

    r.until("the approval gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    assert_shows(
        &r.screen(),
        &[
            // The question's lines flow into one paragraph.
            "Go \\e[2J\\r✔ approved \\u{202e}?",
            "Who approves: boss \\e[2J",
        ],
    );

    r.key(KeyCode::Esc);
    r.clock.advance_secs(61);
    r.app.tick();
    assert_shows(&r.screen(), &["Call \\e[2J\\r✔ nobody"]);
    r.key(KeyCode::Char('e'));

    r.key(KeyCode::Enter);
    for c in "dana".chars() {
        r.key(KeyCode::Char(c));
    }
    r.key(KeyCode::Enter);
    r.until("the point of no return", |a| {
        matches!(a.session.state().waiting(), Waiting::PointOfNoReturn(_))
    })
    .await;
    assert_shows(
        &r.screen(),
        &["Next: Undo \\e[2J (a command)", "Explain \\e[2J\\r✔ PONR"],
    );
    r.key(KeyCode::Char('y'));

    r.until("the manual check", |a| {
        matches!(a.session.state().waiting(), Waiting::Manual(_))
    })
    .await;
    assert_shows(&r.screen(), &["Look \\e[2J\\r✔ fine"]);
}

#[test]
fn the_printed_report_escapes_plan_text() {
    let runs = common::Runs::new();
    let plan = runs.path().join("hostile.yaml");
    std::fs::write(&plan, PLAN).expect("plan written");
    let out = runs.run(&[
        "drill",
        plan.to_str().expect("utf-8 path"),
        "--headless",
        "--approve-as",
        "ci",
        "--confirm-manual",
        "--speed",
        "1000",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
    let run = runs.only_run();
    let out = runs.run(&["report", run.to_str().expect("utf-8 path")]);
    let md = String::from_utf8_lossy(&out.stdout);
    let raw: Vec<char> = md
        .chars()
        .filter(|&c| c != '\n' && c != '\t' && rollback::text::is_unsafe(c))
        .collect();
    assert_eq!(raw, [], "{md}");
    // The markdown keeps each title on its line (returns and newlines become spaces).
    assert_shows(
        &md,
        &[
            "Roll back \\e[2J ✔ done \\u{202e}evil",
            "`capture.save`: Save \\e[2J",
        ],
    );
}
