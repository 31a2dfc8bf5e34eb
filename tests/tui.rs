//! Whole screens of the real app on ratatui's TestBackend, at 80x24 and 160x48, driven by a
//! script of keys through the same code as the terminal, with a manual clock. Where colour
//! carries meaning (the SLA running out, the escalation banner) the cells' styles are checked.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use rollback::engine::{ManualClock, Mode, Trigger, Waiting};
use rollback::plan::load_file;
use rollback::runner::RunnerMsg;
use rollback::session::{self, DrillOptions, StartOptions};
use rollback::tui::app::App;
use rollback::tui::start::StartForm;
use rollback::tui::theme::Theme;
use tokio::sync::mpsc::UnboundedReceiver;

const T0: i64 = 1_800_000_000_000;

fn demo() -> rollback::plan::Loaded {
    load_file(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/demo.yaml"))
        .expect("demo loads")
}

struct Rig {
    app: App,
    rx: UnboundedReceiver<RunnerMsg>,
    clock: ManualClock,
    _runs: tempfile::TempDir,
}

fn rig(theme: Theme, fail: &[(&str, u32)]) -> Rig {
    rig_at(theme, fail, 1000.0)
}

/// `speed` is the drill clock's: it scales the simulations and the SLA countdown alike.
fn rig_at(theme: Theme, fail: &[(&str, u32)], speed: f64) -> Rig {
    rig_of(demo(), &[("version", "41")], theme, fail, speed)
}

fn rig_of(
    loaded: rollback::plan::Loaded,
    vars: &[(&str, &str)],
    theme: Theme,
    fail: &[(&str, u32)],
    speed: f64,
) -> Rig {
    rig_in(loaded, vars, theme, fail, speed, &[])
}

/// `rig_of` for some of a regional plan's regions only.
fn rig_in(
    loaded: rollback::plan::Loaded,
    vars: &[(&str, &str)],
    theme: Theme,
    fail: &[(&str, u32)],
    speed: f64,
    regions: &[&str],
) -> Rig {
    let runs = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(T0);
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let vars = rollback::plan::vars::resolve(&loaded.plan, &vars).unwrap();
    let opts = StartOptions {
        mode: Mode::Drill,
        operator: "alice".into(),
        runs_root: runs.path().to_path_buf(),
        vars,
        scenario: None,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        trigger: Trigger::Manual,
        drill: DrillOptions {
            speed,
            fail: fail.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
            ..Default::default()
        },
        grace: Some(Duration::from_millis(200)),
        logs: Default::default(),
        hangup: Default::default(),
        rehearsal: None,
    };
    let (session, rx) =
        session::start(&loaded, opts, Arc::new(clock.clone())).expect("session starts");
    Rig {
        app: {
            let mut app = App::new(session, theme);
            // Keys come at once here; the dialog guard has its own test.
            app.guard_ms = 0;
            app
        },
        rx,
        clock,
        _runs: runs,
    }
}

impl Rig {
    /// Feeds runner reports until `cond` holds (a deadline, never a fixed sleep).
    async fn until(&mut self, what: &str, cond: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !cond(&self.app) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(msg)) => self.app.on_runner(msg),
                _ => panic!(
                    "timed out waiting for {what}; waiting on {:?}",
                    self.app.session.state().waiting()
                ),
            }
        }
    }

    fn key(&mut self, code: KeyCode) {
        self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Shows the open dialog, then lets its first moment pass so it takes keys.
    fn settle(&mut self) {
        self.draw(80, 24);
        self.clock.advance_ms(self.app.guard_ms);
    }

    fn timeline(&self) -> String {
        std::fs::read_to_string(self.app.session.run().timeline()).unwrap()
    }

    fn draw(&mut self, w: u16, h: u16) -> Buffer {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| rollback::tui::view::render(&mut self.app, f))
            .unwrap();
        term.backend().buffer().clone()
    }
}

fn text(buf: &Buffer) -> String {
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Durations measured by the real runner vary from run to run (more so on a fast drill
/// clock, where a slow machine's seconds become minutes); everything else on screen comes
/// from the manual clock.
macro_rules! snap {
    ($name:expr, $buf:expr) => {
        insta::with_settings!({filters => vec![
            // Longer ones too: a step of seconds on a x10 drill clock shows as `1m07s`.
            (r" *\b\d+[hm]\d\d[ms]\b| *\b\d+(\.\d)?s\b| *\b\d+ms\b", " [t]"),
            (r"(attempt \d+)  \d\d:\d\d", "$1  [t]"),
        ]}, {
            insta::assert_snapshot!($name, text(&$buf));
        });
    };
}

fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let t = text(buf);
    t.lines().enumerate().find_map(|(y, l)| {
        l.find(needle)
            .map(|i| (l[..i].chars().count() as u16, y as u16))
    })
}

#[test]
fn start_screen() {
    let loaded = demo();
    let form = StartForm::new(
        &loaded.plan,
        &Default::default(),
        Mode::Drill,
        None,
        "alice",
        Theme::plain(),
    );
    for (w, h) in [(80, 24), (160, 48)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| f.render_widget(&form, f.area())).unwrap();
        snap!(format!("start_{w}x{h}"), term.backend().buffer());
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_drill_through_every_screen() {
    let mut r = rig(Theme::from_env(), &[("execute.swap", 1)]);
    r.until("the first step to run", |a| {
        a.session.state().running().is_some()
    })
    .await;
    snap!("running_80x24", r.draw(80, 24));

    r.until("the approval gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    snap!("approval_80x24", r.draw(80, 24));
    snap!("approval_160x48", r.draw(160, 48));
    // The operator's name is there, selected: typing replaces it.
    r.type_text("dana");
    r.key(KeyCode::Enter);
    r.until("the point of no return", |a| {
        matches!(a.session.state().waiting(), Waiting::PointOfNoReturn(_))
    })
    .await;
    r.key(KeyCode::Char('y'));

    r.until("the failure", |a| {
        matches!(
            a.session.state().waiting(),
            Waiting::Retry { .. } | Waiting::Failure(_)
        )
    })
    .await;
    r.key(KeyCode::Char('r'));
    r.until("the swap to succeed", |a| {
        a.session.state().steps[6].status == rollback::engine::Status::Ok
    })
    .await;

    r.until("the manual check", |a| {
        matches!(a.session.state().waiting(), Waiting::Manual(_))
    })
    .await;
    r.type_text("pool is 50");
    r.key(KeyCode::Enter);
    r.until("the end", |a| {
        matches!(a.session.state().waiting(), Waiting::Finished(_))
    })
    .await;
    snap!("completed_80x24", r.draw(80, 24));
    // The key line says where leaving goes: out, or on to the validation windows.
    let shown = text(&r.draw(80, 24));
    assert!(shown.contains("enter/q quit"), "{shown}");
    r.app.windows_after = true;
    let shown = text(&r.draw(80, 24));
    assert!(shown.contains("enter/q validation windows"), "{shown}");
    let t = std::fs::read_to_string(r.app.session.run().timeline()).unwrap();
    assert!(t.contains(r#""type":"approved","step":"prepare.go","by":"dana""#));
    assert!(t.contains(r#""note":"pool is 50""#));
}

#[tokio::test(flavor = "current_thread")]
async fn failure_dialog_and_retry() {
    // The approval gate comes first; then the swap fails all its 3 planned attempts.
    let mut r = rig(Theme::from_env(), &[("execute.swap", 3)]);
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.key(KeyCode::Tab);
    r.key(KeyCode::Enter);
    r.until("the point of no return", |a| {
        matches!(a.session.state().waiting(), Waiting::PointOfNoReturn(_))
    })
    .await;
    snap!("point_of_no_return_80x24", r.draw(80, 24));
    r.key(KeyCode::Char('y'));
    for _ in 0..2 {
        r.until("a retry", |a| {
            matches!(a.session.state().waiting(), Waiting::Retry { .. })
        })
        .await;
        r.key(KeyCode::Char('r'));
    }
    r.until("the failure dialog", |a| {
        matches!(a.session.state().waiting(), Waiting::Failure(_))
    })
    .await;
    let buf = r.draw(80, 24);
    snap!("failure_80x24", buf);
    r.key(KeyCode::Char('r'));
    r.until("attempt 4 to succeed", |a| {
        a.session.state().steps[6].status == rollback::engine::Status::Ok
    })
    .await;
    assert_eq!(r.app.session.state().steps[6].attempts_used(), 4);
}

#[tokio::test(flavor = "current_thread")]
async fn escalation_banner_and_sla_colours() {
    // At x1 the manual clock is the SLA's: the simulations before the gate take 4 s.
    let mut r = rig_at(Theme { color: true }, &[], 1.0);
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.key(KeyCode::Esc);
    r.clock.advance_secs(160);
    r.app.tick();
    let buf = r.draw(80, 24);
    let (x, y) = find(&buf, "SLA 00:20 left").expect("countdown");
    assert_eq!(
        buf[(x, y)].fg,
        Color::Red,
        "under 15% left the countdown is red"
    );

    r.clock.advance_secs(150);
    r.app.tick();
    let buf = r.draw(80, 24);
    snap!("escalation_sla_breached_80x24", buf);
    let (x, y) = find(&buf, "ESCALATION LEVEL 2").expect("banner");
    assert_eq!(buf[(x, y)].bg, Color::Red);
    let (x, y) = find(&buf, "SLA +02:10 OVER").expect("overrun");
    assert_eq!(buf[(x, y)].bg, Color::Red);
    snap!("escalation_sla_breached_160x48", r.draw(160, 48));

    r.key(KeyCode::Char('e'));
    let buf = r.draw(80, 24);
    assert!(
        find(&buf, "ESCALATION LEVEL").is_none(),
        "acknowledged: the banner goes"
    );
    let t = std::fs::read_to_string(r.app.session.run().timeline()).unwrap();
    assert!(t.contains(r#""type":"escalation_acknowledged","level":2,"by":"alice""#));
}

#[tokio::test(flavor = "current_thread")]
async fn without_colour_the_selection_is_reverse_video_and_small_terminals_are_told() {
    let mut r = rig(Theme::plain(), &[]);
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.key(KeyCode::Esc);
    let buf = r.draw(80, 24);
    let (x, y) = find(&buf, "▶ go").expect("the selected step");
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "no colour at all under NO_COLOR"
    );
    let small = r.draw(60, 20);
    assert!(text(&small).contains("compact view: 60x20 (the full view needs 80x24)"));
    let tiny = r.draw(20, 4);
    assert!(text(&tiny).contains("too small"), "{}", text(&tiny));
    r.key(KeyCode::Char('q'));
    assert!(r.app.done(), "q leaves a terminal too small to ask");
}

#[tokio::test(flavor = "current_thread")]
async fn notes_status_updates_help_and_quit() {
    let mut r = rig(Theme::plain(), &[]);
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.key(KeyCode::Esc);
    r.key(KeyCode::Char('n'));
    r.type_text("db team");
    r.app
        .on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
    r.type_text("joined");
    r.key(KeyCode::Enter);
    r.key(KeyCode::Char('u'));
    snap!("status_update_80x24", r.draw(80, 24));
    r.key(KeyCode::Esc);
    r.key(KeyCode::Char('?'));
    snap!("help_80x24", r.draw(80, 24));
    r.key(KeyCode::Esc);
    r.key(KeyCode::Esc);
    assert!(!r.app.done(), "esc never quits");
    r.app
        .on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    snap!("quit_80x24", r.draw(80, 24));
    r.key(KeyCode::Enter);
    assert!(!r.app.done(), "the default is to stay");
    r.key(KeyCode::Char('q'));
    r.key(KeyCode::Down);
    r.key(KeyCode::Enter);
    assert!(r.app.done());
    let t = std::fs::read_to_string(r.app.session.run().timeline()).unwrap();
    assert!(
        t.contains(r#""type":"note","by":"alice","text":"db team\njoined""#),
        "{t}"
    );
    assert!(t.contains(r#""type":"status_update""#));
    assert!(t.contains(r#""type":"operator_left""#));
}

#[tokio::test(flavor = "current_thread")]
async fn a_dialog_that_opens_by_itself_drops_the_key_held_before_it() {
    // The swap fails once more than planned: the failure dialog opens by itself, twice.
    let mut r = rig(Theme::plain(), &[("execute.swap", 4)]);
    r.app.guard_ms = rollback::tui::app::DIALOG_GUARD_MS;
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.settle();
    r.key(KeyCode::Enter);
    r.until("the point of no return", |a| {
        matches!(a.session.state().waiting(), Waiting::PointOfNoReturn(_))
    })
    .await;
    r.settle();
    r.key(KeyCode::Char('y'));
    loop {
        r.until("a retry or the failure", |a| {
            matches!(
                a.session.state().waiting(),
                Waiting::Retry { .. } | Waiting::Failure(_)
            )
        })
        .await;
        if matches!(r.app.session.state().waiting(), Waiting::Failure(_)) {
            break;
        }
        r.clock.advance_ms(2_000);
        r.app.tick();
    }
    r.settle();
    r.key(KeyCode::Char('r'));
    r.until("attempt 4 to fail too", |a| {
        matches!(a.session.state().waiting(), Waiting::Failure(_))
            && a.session.state().steps[6].attempts_used() == 4
    })
    .await;
    // The dialog is back at once; the `r` still held is not a decision about it. Its keys
    // are there to read, dimmed, and said to work in a moment.
    let before = r.draw(80, 24);
    let (x, y) = find(&before, "keys in a moment:").expect("the guard's mark");
    assert!(
        find(&before, "r retry").is_some_and(|(_, ky)| ky >= y),
        "{}",
        text(&before)
    );
    assert!(before[(x, y)].modifier.contains(Modifier::DIM), "dimmed");
    r.key(KeyCode::Char('r'));
    assert_eq!(r.app.session.state().steps[6].attempts_used(), 4, "dropped");
    assert!(r.app.modal.is_some());
    // A moment later the dialog shows its keys and takes them.
    r.clock.advance_ms(rollback::tui::app::DIALOG_GUARD_MS);
    let after = text(&r.draw(80, 24));
    assert!(after.contains("r retry"), "{after}");
    r.key(KeyCode::Char('r'));
    r.until("attempt 5 to succeed", |a| {
        a.session.state().steps[6].status == rollback::engine::Status::Ok
    })
    .await;
    assert_eq!(r.app.session.state().steps[6].attempts_used(), 5);
}

#[tokio::test(flavor = "current_thread")]
async fn a_drill_s_step_times_read_on_the_drill_clock_like_its_header() {
    let mut r = rig(Theme::plain(), &[]);
    r.until("the first step to run", |a| {
        a.session.state().running().is_some()
    })
    .await;
    // 90 real milliseconds at x1000 are a minute and a half of the drill.
    r.clock.advance_ms(90);
    let screen = text(&r.draw(80, 24));
    assert!(screen.contains("attempt 1  01:30"), "{screen}");
    assert!(screen.contains("running  01:30"), "{screen}");
}

#[tokio::test(flavor = "current_thread")]
async fn keys_before_a_dialog_is_drawn_never_reach_its_field() {
    let mut r = rig(Theme::plain(), &[]);
    r.app.guard_ms = rollback::tui::app::DIALOG_GUARD_MS;
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    // Meant for the escalation banner, read before the gate was drawn.
    r.key(KeyCode::Char('e'));
    let shown = r.draw(80, 24);
    // Another, pressed as the gate appeared.
    r.key(KeyCode::Char('x'));
    let screen = text(&shown);
    assert!(screen.contains("│alice"), "the operator's name:\n{screen}");
    assert!(screen.contains("keys in a moment:"), "{screen}");
    assert!(screen.contains("enter approve"), "the keys show:\n{screen}");
    let compact = text(&r.draw(70, 20));
    assert!(
        compact.contains("keys in a moment: enter approve"),
        "the compact view too:\n{compact}"
    );
    r.clock.advance_ms(rollback::tui::app::DIALOG_GUARD_MS);
    let ready = text(&r.draw(80, 24));
    assert!(!ready.contains("keys in a moment"), "{ready}");
    assert!(ready.contains("│alice "), "nothing typed:\n{ready}");
    r.key(KeyCode::Enter);
    r.until("the point of no return", |a| {
        matches!(a.session.state().waiting(), Waiting::PointOfNoReturn(_))
    })
    .await;
    let t = r.timeline();
    assert!(
        t.contains(r#""type":"approved","step":"prepare.go","by":"alice""#),
        "{t}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn question_mark_opens_help_from_every_dialog_and_is_never_typed() {
    let mut r = rig(Theme::plain(), &[]);
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    let help = |r: &mut Rig, what: &str| {
        r.key(KeyCode::Char('?'));
        let s = text(&r.draw(80, 24));
        assert!(
            s.contains("acknowledge the escalation banner"),
            "{what}:\n{s}"
        );
        r.key(KeyCode::Esc);
        assert!(r.app.modal.is_some(), "{what}: the dialog is still open");
    };
    help(&mut r, "the gate");
    r.key(KeyCode::Enter);
    r.until("the point of no return", |a| {
        matches!(a.session.state().waiting(), Waiting::PointOfNoReturn(_))
    })
    .await;
    help(&mut r, "the point of no return");
    r.key(KeyCode::Esc);
    r.key(KeyCode::Char('n'));
    r.type_text("db");
    help(&mut r, "a note");
    r.type_text(" up");
    r.key(KeyCode::Enter);
    let t = r.timeline();
    assert!(
        t.contains(r#""type":"approved","step":"prepare.go","by":"alice""#),
        "{t}"
    );
    assert!(
        t.contains(r#""type":"note","by":"alice","text":"db up""#),
        "{t}"
    );
}

#[test]
fn question_mark_on_the_start_form_opens_its_help() {
    let loaded = demo();
    let mut form = StartForm::new(
        &loaded.plan,
        &Default::default(),
        Mode::Drill,
        None,
        "alice",
        Theme::plain(),
    );
    form.on_key(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| f.render_widget(&form, f.area())).unwrap();
    let s = text(term.backend().buffer());
    assert!(s.contains("shift-tab ↑"), "the form's help:\n{s}");
    assert!(form.fields.iter().all(|f| !f.value().contains('?')));
    form.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert!(!form.help);
}

#[tokio::test(flavor = "current_thread")]
async fn enter_at_the_point_of_no_return_says_to_press_y() {
    let mut r = rig(Theme::plain(), &[]);
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.key(KeyCode::Enter);
    r.until("the point of no return", |a| {
        matches!(a.session.state().waiting(), Waiting::PointOfNoReturn(_))
    })
    .await;
    r.key(KeyCode::Enter);
    let s = text(&r.draw(80, 24));
    assert!(
        matches!(r.app.session.state().waiting(), Waiting::PointOfNoReturn(_)),
        "enter does not confirm it"
    );
    assert!(s.contains("Press y to confirm"), "{s}");
    assert!(s.contains("y confirm and go on"), "{s}");
    r.key(KeyCode::Char('y'));
    assert!(
        r.timeline()
            .contains(r#""type":"point_of_no_return_confirmed""#)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn every_manual_check_starts_with_an_empty_note() {
    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plans/two_checks.yaml");
    let loaded = load_file(&plan).expect("the plan loads");
    let mut r = rig_of(loaded, &[], Theme::plain(), &[], 1000.0);
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.key(KeyCode::Enter);
    r.until("the point of no return", |a| {
        matches!(a.session.state().waiting(), Waiting::PointOfNoReturn(_))
    })
    .await;
    r.key(KeyCode::Char('y'));
    // Two checks, one after the other.
    let mut notes = Vec::new();
    for n in 0..2 {
        r.until("a manual check", |a| {
            matches!(a.session.state().waiting(), Waiting::Manual(_))
        })
        .await;
        let s = text(&r.draw(80, 24));
        assert!(
            s.contains("optional note for the record"),
            "check {n} empty:\n{s}"
        );
        let note = format!("seen {n}");
        r.type_text(&note);
        r.key(KeyCode::Enter);
        notes.push(note);
    }
    let t = r.timeline();
    for note in notes {
        assert_eq!(t.matches(&format!(r#""note":"{note}""#)).count(), 1, "{t}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_region_failure_asks_about_the_region_then_about_the_others() {
    let mut r = until_us_east_fails(&[]).await;
    // First this region, with every key for it; nothing yet about the others.
    let buf = r.draw(80, 24);
    snap!("region_failure_80x24", buf);
    let first = text(&buf);
    for key in [
        "r retry",
        "s skip…",
        "a abort…",
        "f leave it failed…",
        "p alternative path",
    ] {
        assert!(first.contains(key), "{key}:\n{first}");
    }
    assert!(!first.contains("continue others"), "{first}");
    r.key(KeyCode::Char('f'));
    let buf = r.draw(80, 24);
    snap!("region_failure_others_80x24", buf);
    let others = text(&buf);
    assert!(others.contains("What do the other regions do?"), "{others}");
    assert!(others.contains("c continue others"), "{others}");
    assert!(!others.contains("r retry"), "{others}");
    assert!(
        !r.timeline().contains("region_policy_chosen"),
        "f decides nothing"
    );
    r.key(KeyCode::Char('x'));
    r.until("the failure dialog", |a| {
        matches!(a.session.state().waiting(), Waiting::Failure(_))
    })
    .await;
    let t = r.timeline();
    assert!(
        t.contains(r#""type":"region_policy_chosen","step":"execute.undo@us-east-1","choice":"stop_all","by":"alice""#),
        "{t}"
    );
    let failed = text(&r.draw(80, 24));
    assert!(failed.contains("The other regions are stopped"), "{failed}");
    assert!(failed.contains("r retry"), "{failed}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_doubled_key_that_opens_a_field_is_not_typed_into_it() {
    let mut r = rig(Theme::plain(), &[]);
    r.app.guard_ms = rollback::tui::app::DIALOG_GUARD_MS;
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.settle();
    r.key(KeyCode::Esc);
    // `n` pressed twice opens the note once; the second is not its first letter.
    r.key(KeyCode::Char('n'));
    r.key(KeyCode::Char('n'));
    r.type_text("x");
    r.key(KeyCode::Enter);
    // A moment later an `n` is a letter like any other.
    r.key(KeyCode::Char('n'));
    r.clock.advance_ms(rollback::tui::app::DIALOG_GUARD_MS);
    r.type_text("no");
    r.key(KeyCode::Enter);
    let t = r.timeline();
    assert!(
        t.contains(r#""type":"note","by":"alice","text":"x""#),
        "{t}"
    );
    assert!(
        t.contains(r#""type":"note","by":"alice","text":"no""#),
        "{t}"
    );
}

#[test]
fn a_start_form_summary_cut_short_ends_in_an_ellipsis() {
    let text_of = |path: &str| {
        let loaded = rollback::plan::load::load_file(&common_repo().join(path)).unwrap();
        let given = rollback::plan::vars::Given::default();
        let form = StartForm::new(
            &loaded.plan,
            &given,
            Mode::Drill,
            None,
            "alice",
            Theme::plain(),
        );
        let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
        term.draw(|f| f.render_widget(&form, f.area())).unwrap();
        text(term.backend().buffer())
    };
    // The row before the fields: the summary's last.
    let last_head_row = |shown: &str| -> String {
        let lines: Vec<&str> = shown.lines().collect();
        let fields = lines
            .iter()
            .position(|l| {
                l.contains(" · ") && l.starts_with(" · ")
                    || l.starts_with(" ✔ ")
                    || l.contains("more below (tab")
            })
            .unwrap_or_else(|| panic!("the fields are listed:\n{shown}"));
        let row = lines[..fields].iter().rev().find(|l| !l.trim().is_empty());
        row.unwrap().trim_end().to_string()
    };
    // The database plan's summary wraps past its rows at 80x24: its last row says so.
    let shown = text_of("plans/database-migration.yaml");
    assert!(
        last_head_row(&shown).ends_with('…'),
        "the cut says so:\n{shown}"
    );
    // A summary that fits is not marked.
    let shown = text_of("tests/plans/base.yaml");
    assert!(!last_head_row(&shown).ends_with('…'), "{shown}");
}

fn common_repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "current_thread")]
async fn the_banner_s_key_acknowledges_over_a_dialog_that_types_nothing() {
    let mut r = rig_at(Theme::plain(), &[], 1.0);
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.key(KeyCode::Enter);
    r.until("the point of no return", |a| {
        matches!(a.session.state().waiting(), Waiting::PointOfNoReturn(_))
    })
    .await;
    r.clock.advance_secs(310);
    r.app.tick();
    assert!(text(&r.draw(80, 24)).contains("press e to acknowledge"));
    assert!(r.app.modal.is_some(), "the point of no return is asked");
    r.key(KeyCode::Char('e'));
    let shown = text(&r.draw(80, 24));
    assert!(!shown.contains("ESCALATION LEVEL"), "{shown}");
    assert!(
        shown.contains("Point of no return"),
        "the dialog stays: {shown}"
    );
    assert!(
        r.timeline()
            .contains(r#""type":"escalation_acknowledged","level":2,"by":"alice""#)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn over_a_field_the_banner_says_esc_comes_before_e() {
    let mut r = rig_at(Theme::plain(), &[], 1.0);
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.clock.advance_secs(310);
    r.app.tick();
    let shown = text(&r.draw(80, 24));
    assert!(
        shown.contains("press esc, then e to acknowledge"),
        "{shown}"
    );
    r.key(KeyCode::Esc);
    let shown = text(&r.draw(80, 24));
    assert!(shown.contains("press e to acknowledge"), "{shown}");
}

#[test]
fn the_dialog_guard_can_be_made_longer_for_a_slow_link() {
    use rollback::tui::app::{DIALOG_GUARD_MS, guard_ms};
    assert_eq!(guard_ms(None), DIALOG_GUARD_MS);
    assert_eq!(guard_ms(Some("1500")), 1500);
    assert_eq!(guard_ms(Some("0")), 0);
    for wrong in ["-1", "60000", "soon", ""] {
        assert_eq!(guard_ms(Some(wrong)), DIALOG_GUARD_MS, "{wrong}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_region_failing_alone_is_not_asked_about_other_regions() {
    let mut r = until_us_east_fails(&["us-east-1"]).await;
    let shown = text(&r.draw(80, 24));
    assert!(shown.contains("r retry"), "{shown}");
    assert!(
        !shown.contains("leave it failed"),
        "no other region: {shown}"
    );
    r.key(KeyCode::Char('f'));
    let shown = text(&r.draw(80, 24));
    assert!(!shown.contains("other regions do"), "{shown}");
    assert!(shown.contains("r retry"), "the question stays: {shown}");
}

/// The regional plan run in `regions` (all when empty) up to us-east-1's undo failing for
/// good: gate approved, point of no return passed.
async fn until_us_east_fails(regions: &[&str]) -> Rig {
    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/regional-example.yaml");
    let loaded = load_file(&plan).expect("the plan loads");
    let fail = [("execute.undo@us-east-1", 9)];
    let mut r = rig_in(loaded, &[], Theme::plain(), &fail, 1000.0, regions);
    r.until("the gate", |a| {
        matches!(a.session.state().waiting(), Waiting::Approval(_))
    })
    .await;
    r.key(KeyCode::Enter);
    r.until("the point of no return", |a| {
        matches!(a.session.state().waiting(), Waiting::PointOfNoReturn(_))
    })
    .await;
    r.key(KeyCode::Char('y'));
    r.until("the region's failure", |a| {
        matches!(a.session.state().waiting(), Waiting::RegionFailure(_))
    })
    .await;
    r
}
