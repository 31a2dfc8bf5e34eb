//! How often the run screen wakes by itself while a step runs and nothing else happens: the
//! spinner and the SLA clock, on a manual clock. Each wake-up is a redraw.

use std::sync::Arc;

use rollback::engine::{Input, ManualClock, Mode, Trigger, Waiting};
use rollback::plan::load_file;
use rollback::session::{self, DrillOptions, StartOptions};
use rollback::tui::wake_in_ms;

#[tokio::test]
async fn a_running_step_wakes_the_screen_a_few_times_a_second_and_every_second() {
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
        trigger: Trigger::Manual,
        drill: DrillOptions {
            speed: 1.0,
            fail: vec![],
        },
        grace: None,
    };
    let clock = ManualClock::at(1_800_000_000_123);
    let (mut s, _rx) = session::start(&loaded, opts, Arc::new(clock.clone())).unwrap();
    assert!(matches!(s.state.waiting(), Waiting::Running(_)));
    let (mut wakes, mut waited) = (0, 0);
    while waited < 10_000 {
        let gap = wake_in_ms(&s);
        assert!(gap > 0, "a wake-up with nothing to show");
        assert!(gap <= 1000, "the SLA clock needs a redraw every second");
        clock.advance_ms(gap as i64);
        s.handle(Input::Tick).unwrap();
        waited += gap;
        wakes += 1;
    }
    assert!(matches!(s.state.waiting(), Waiting::Running(_)));
    assert!(
        wakes <= 50,
        "{wakes} wake-ups in 10 s while a step runs (at most 5 a second)"
    );
}
