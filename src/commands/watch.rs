//! `rollback watch PLAN [--headless [--json]]`: samples the plan's triggers on their
//! intervals; the severity policy decides what a fired trigger does, and when it starts the
//! rollback the watch goes on into the run of the same plan, in the same process. The
//! loop is `crate::watch`; its faces are `watch_lines` (headless) and `tui::watch`.
//!
//! Exit codes: 0 stopped by SIGTERM or Ctrl-C with nothing started; once a run started,
//! the run's code (0 completed, 1 failed or stopped on a question, 3 aborted); 2 bad input
//! (an invalid plan, a plan without triggers, a missing variable); 4 internal.

use std::time::Duration;

use super::args::WatchArgs;
use crate::exit::Exit;

pub fn run(args: &WatchArgs) -> color_eyre::Result<Exit> {
    if args.validate {
        return super::validate_windows::watch(args);
    }
    let loaded = match super::load::load_for_run(&args.plan) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    if loaded.plan.triggers.is_empty() {
        eprintln!(
            "rollback watch: {} has no triggers to watch (see `rollback triggers`)",
            args.plan.display()
        );
        return Ok(Exit::BadInput);
    }
    let prepared = match super::watch_start::prepare(args, loaded) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("rollback watch: {}", crate::text::inline(&e));
            return Ok(Exit::BadInput);
        }
    };
    // Probes run on blocking threads, and glibc gives each thread its own malloc arena:
    // two arenas hold a watch's small allocations at a fraction of the memory.
    // SAFETY: called before any thread is started; mallopt only sets an allocator limit.
    #[cfg(target_env = "gnu")]
    unsafe {
        nix::libc::mallopt(nix::libc::M_ARENA_MAX, 2);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let exit = if args.headless {
        // What the headless run answers by itself, from the watch's flags.
        let answers = crate::headless::Options {
            approve_as: args.approve_as.clone(),
            confirm_manual: args.confirm_manual,
            ..Default::default()
        };
        runtime.block_on(super::watch_lines::watch(prepared, answers, None))
    } else {
        crate::tui::watch::run(&runtime, prepared)
    };
    // An HTTP probe's blocking thread may still wait on a silent server: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    exit
}
