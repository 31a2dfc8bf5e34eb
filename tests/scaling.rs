//! The cost of one input must not grow with the plan: the same inputs to a session over a
//! plan of 20 steps and of 2,000 must allocate the same. Counting allocations (on this
//! thread only) measures the work done without timing anything.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use rollback::engine::{Input, ManualClock, Mode, Trigger};
use rollback::plan::{Loaded, Source, load::parse_str};
use rollback::session::{self, DrillOptions, StartOptions};

struct Counting;

thread_local! {
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|n| n.set(n.get() + layout.size() as u64));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocated() -> u64 {
    ALLOCATED.with(Cell::get)
}

/// A plan whose first step is an approval gate (so nothing runs) followed by `n` commands.
fn plan(n: usize) -> String {
    let mut t = String::from(
        "plan: big\ntitle: Big\nlevel: 2\noperation: application\nautomation: semi\nphases:\n  - id: capture\n    steps:\n      - {id: go, approve: Go?}\n",
    );
    for i in 0..n {
        t.push_str(&format!("      - {{id: s{i:05}, run: 'true'}}\n"));
    }
    t
}

/// Bytes allocated on this thread by ten notes and a status update, the run at its gate.
fn bytes_per_inputs(n: usize) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _inside = rt.enter();
    let runs = tempfile::tempdir().unwrap();
    let text = plan(n);
    let loaded = Loaded {
        plan: parse_str(&text).expect("test plan parses"),
        source: Source {
            path: runs.path().join("big.yaml").display().to_string(),
            text,
        },
    };
    let opts = StartOptions {
        mode: Mode::Live,
        operator: "alice".into(),
        runs_root: runs.path().to_path_buf(),
        vars: Default::default(),
        scenario: None,
        regions: Vec::new(),
        trigger: Trigger::Manual,
        drill: DrillOptions::default(),
        grace: None,
        logs: Default::default(),
        hangup: Default::default(),
        rehearsal: None,
    };
    let clock = Arc::new(ManualClock::at(1_800_000_000_000));
    let (mut s, _rx) = session::start(&loaded, opts, clock).expect("session starts");
    // Warm up once, so lazily made buffers are not counted.
    s.handle(Input::Tick).unwrap();
    let before = allocated();
    for i in 0..10 {
        s.handle(Input::Note {
            by: "alice".into(),
            text: format!("note {i}"),
        })
        .unwrap();
    }
    s.handle(Input::Tick).unwrap();
    let spent = allocated() - before;
    assert_eq!(
        s.recent().len(),
        11,
        "the start and every note were recorded"
    );
    spent
}

#[test]
fn an_input_costs_the_same_in_a_plan_of_any_size() {
    let small = bytes_per_inputs(20);
    let large = bytes_per_inputs(2_000);
    assert!(
        large <= small + small / 10,
        "inputs to a 2,000-step run allocated {large} bytes, to a 20-step run {small}"
    );
}
