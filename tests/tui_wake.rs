//! How often the run screen wakes by itself while a step runs and nothing else happens: the
//! spinner and the SLA clock, on a manual clock. Each wake-up is a redraw.

use std::sync::Arc;

use rollback::engine::{Input, ManualClock, Mode, Trigger, Waiting};
use rollback::plan::load_file;
use rollback::session::{self, DrillOptions, StartOptions};
use rollback::tui::wake_in_ms;

#[tokio::test]
async fn a_running_step_spins_at_first_then_wakes_the_screen_once_a_second() {
    let runs = tempfile::tempdir().unwrap();
    let loaded =
        load_file(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/demo.yaml"))
            .expect("demo loads");
    let vars =
        rollback::plan::vars::resolve(&loaded.plan, &[("version".into(), "41".into())]).unwrap();
    let opts = StartOptions {
        mode: Mode::Drill,
        operator: "alice".into(),
        runs_root: runs.path().to_path_buf(),
        vars,
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
    };
    let clock = ManualClock::at(1_800_000_000_123);
    let (mut s, _rx) = session::start(&loaded, opts, Arc::new(clock.clone())).unwrap();
    assert!(matches!(s.state().waiting(), Waiting::Running(_)));
    // (wake-ups in the first 5 s, in the next 5 s)
    let (mut early, mut late, mut waited) = (0, 0, 0);
    while waited < 10_000 {
        let gap = wake_in_ms(&s);
        assert!(gap > 0, "a wake-up with nothing to show");
        assert!(gap <= 1000, "the SLA clock needs a redraw every second");
        clock.advance_ms(gap as i64);
        s.handle(Input::Tick).unwrap();
        waited += gap;
        if waited <= 5_000 {
            early += 1;
        } else {
            late += 1;
        }
    }
    assert!(matches!(s.state().waiting(), Waiting::Running(_)));
    assert!(early > 5, "the spinner turns in the step's first seconds");
    assert!(
        early <= 25,
        "{early} wake-ups in the first 5 s of a step (at most 5 a second)"
    );
    assert!(
        late <= 5,
        "{late} wake-ups from 5 s to 10 s of a quiet step (one a second)"
    );
}
