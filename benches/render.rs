//! One frame of the run screen for a 200-step plan whose selected step holds a 10,000-line
//! output ring, at 80x24, 160x48 and 300x100. Goal: <= 0.5 ms at 160x48 (only the visible
//! lines are styled and drawn).
//!
//! The first frames for a 10,000-step plan, as the TUI makes them (the plan already loaded):
//! the start screen, then the run started (run directory, journal, `run_started`), the app
//! made and drawn once on a TestBackend at 160x48. Goal: <= 50 ms. And a later frame of it.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use rollback::engine::{ManualClock, Mode, Trigger};
use rollback::plan::{Loaded, Source, load::parse_str};
use rollback::session::{self, DrillOptions, StartOptions};
use rollback::tui::app::App;
use rollback::tui::start::StartForm;
use rollback::tui::theme::Theme;

fn plan_text(per_phase: usize) -> String {
    let mut t = format!(
        "plan: big\ntitle: A plan of {} steps\nlevel: 2\noperation: application\nautomation: full\nphases:\n",
        per_phase * 4
    );
    for (p, kind) in ["capture", "prepare", "execute", "verify"]
        .iter()
        .enumerate()
    {
        t.push_str(&format!("  - id: {kind}\n    steps:\n"));
        for s in 0..per_phase {
            let verb = if *kind == "verify" { "check" } else { "run" };
            t.push_str(&format!(
                "      - {{id: s{p}-{s}, {verb}: 'echo {s}', simulate: {{duration: 1h}}}}\n"
            ));
        }
    }
    t
}

fn loaded(per_phase: usize, dir: &std::path::Path) -> Loaded {
    let text = plan_text(per_phase);
    Loaded {
        plan: parse_str(&text).expect("bench plan parses"),
        source: Source {
            path: dir.join("big.yaml").display().to_string(),
            text,
        },
    }
}

fn options(runs: &std::path::Path) -> StartOptions {
    StartOptions {
        mode: Mode::Drill,
        operator: "bench".into(),
        runs_root: runs.to_path_buf(),
        vars: Default::default(),
        scenario: None,
        regions: Vec::new(),
        trigger: Trigger::Manual,
        drill: DrillOptions {
            speed: 1.0,
            fail: vec![],
            ..Default::default()
        },
        grace: None,
        logs: Default::default(),
        hangup: Default::default(),
        rehearsal: None,
    }
}

/// The start screen, then the run screen, for 10,000 steps: the first frames an operator
/// waits for, and a frame after them.
fn first_frames(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _inside = rt.enter();
    let runs = tempfile::tempdir().unwrap();
    let loaded = loaded(2_500, runs.path());
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    c.bench_function("start screen first frame 10k steps 160x48", |b| {
        b.iter(|| {
            let form = StartForm::new(
                &loaded.plan,
                &Default::default(),
                Mode::Drill,
                None,
                "bench",
                Theme { color: true },
            );
            term.draw(|f| f.render_widget(&form, f.area())).unwrap();
        })
    });
    // Each run needs its own directory, named by its start time.
    let mut t = 1_800_000_000_000;
    c.bench_function("run screen first frame 10k steps 160x48", |b| {
        // The app is returned, so dropping it is not timed: the TUI keeps it.
        b.iter_with_large_drop(|| {
            t += 1000;
            let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
            let opts = options(runs.path());
            let (session, _rx) =
                session::start(&loaded, opts, Arc::new(ManualClock::at(t))).unwrap();
            let mut app = App::new(session, Theme { color: true });
            term.draw(|f| rollback::tui::view::render(&mut app, f))
                .unwrap();
            app
        })
    });
    let opts = options(runs.path());
    let (session, _rx) =
        session::start(&loaded, opts, Arc::new(ManualClock::at(t + 1000))).unwrap();
    let mut app = App::new(session, Theme { color: true });
    c.bench_function("run screen next frame 10k steps 160x48", |b| {
        b.iter(|| {
            term.draw(|f| rollback::tui::view::render(&mut app, f))
                .unwrap();
        })
    });
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _inside = rt.enter();
    let runs = tempfile::tempdir().unwrap();
    let loaded = loaded(50, runs.path());
    let opts = options(runs.path());
    let (session, _rx) =
        session::start(&loaded, opts, Arc::new(ManualClock::at(1_800_000_000_000))).unwrap();
    let mut app = App::new(session, Theme { color: true });
    let tail = app.session.tail(0).expect("the running step has a tail");
    {
        let mut t = tail.lock().unwrap();
        for i in 0..10_000 {
            t.push(format!("2026-11-27T22:41:{:02}Z \u{1b}[32mINFO\u{1b}[0m line {i} of the rollout, replica set checkout-api-7d9c\n", i % 60).as_bytes());
        }
    }
    for (w, h) in [(80u16, 24u16), (160, 48), (300, 100)] {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        c.bench_function(&format!("render run screen {w}x{h}"), |b| {
            b.iter(|| {
                buf.reset();
                rollback::tui::view::draw(&mut app, area, &mut buf);
            })
        });
        // The same frame through a terminal: the diff against the previous frame included.
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(&format!("draw through a terminal {w}x{h}"), |b| {
            b.iter(|| {
                term.draw(|f| rollback::tui::view::render(&mut app, f))
                    .unwrap();
            })
        });
    }
}

criterion_group!(benches, bench, first_frames);
criterion_main!(benches);
