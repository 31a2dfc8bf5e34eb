//! `rollback resume RUN`: continue a run that was left or killed.

use std::sync::Arc;

use super::args::ResumeArgs;
use crate::engine::SystemClock;
use crate::exit::Exit;
use crate::session::{DrillOptions, ResumeError, ResumeOptions};
use crate::timeline::rundir::{find, runs_root};

use super::load::{given_vars, operator};
use crate::runner::runtime;

pub fn run(args: ResumeArgs) -> color_eyre::Result<Exit> {
    let root = runs_root(args.runs.runs_dir.as_deref());
    let dir = match find(&root, &args.run) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rollback resume: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let vars = match given_vars(&args.vars, &args.var_files) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("rollback resume: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let drill = match super::load::drill_options(args.speed, &[], &[]) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rollback resume: {e}");
            return Ok(Exit::BadInput);
        }
    };
    if args.speed != 1.0 {
        eprintln!(
            "rollback resume: a drill resumes on the clock it started with; --speed is ignored"
        );
    }
    let opts = ResumeOptions {
        operator: operator(args.operator.as_deref().or(args.headless.approver())),
        plan_changed_ok: args.plan_changed_ok,
        vars,
        drill: DrillOptions { ..drill },
        grace: None,
        logs: args.logs.limits(),
        hangup: args.logs.on_hangup,
    };
    let clock = Arc::new(SystemClock);
    // A run that completed and was sealed goes on with its validation windows.
    let sealed = matches!(crate::timeline::seal::read_mark(&dir), Ok(Some(_)));
    let windows = |operator| super::validate_windows::Options {
        operator,
        speed: args.speed,
        skip: args
            .headless
            .no_validate
            .then_some("skipped with --no-validate"),
        vars: opts.vars.clone(),
    };
    if sealed && crate::session::validate_windows::pending(&dir) {
        // Headless, the rollback has ended: its windows go on only when asked.
        if args.headless.headless && !args.headless.validate && !args.headless.no_validate {
            super::validate_windows::tell_later(&dir);
            return Ok(Exit::Ok);
        }
        let o = windows(&opts.operator);
        return Ok(runtime()?.block_on(super::validate_windows::go_on(&dir, o)));
    }
    if !args.headless.headless {
        return crate::tui::run_resume(dir, opts, clock);
    }
    let operator = opts.operator.clone();
    let later = windows(&operator);
    let validate = args.headless.validate;
    let rt = runtime()?;
    let mut h: crate::headless::Options = args.headless.clone().into();
    h.rerun_interrupted = args.rerun_interrupted;
    h.retry_failed = args.retry_failed;
    h.kill_orphans = args.kill_orphans;
    h.abort = args.abort.then(|| args.reason.clone().unwrap_or_default());
    Ok(rt.block_on(async move {
        match crate::session::resume(&dir, opts, clock) {
            Ok((session, rx)) => {
                let exit = crate::headless::drive(session, rx, h).await;
                if exit != Exit::Ok || !crate::session::validate_windows::pending(&dir) {
                    return exit;
                }
                if later.skip.is_none() && !validate {
                    super::validate_windows::tell_later(&dir);
                    return exit;
                }
                super::validate_windows::go_on(&dir, later).await
            }
            // Killed between its end and its seal: sealed now, so its windows can follow.
            Err(ResumeError::Ended {
                sealed_now: true, ..
            }) if crate::session::validate_windows::pending(&dir) => {
                if later.skip.is_none() && !validate {
                    super::validate_windows::tell_later(&dir);
                    return Exit::Ok;
                }
                super::validate_windows::go_on(&dir, later).await
            }
            Err(e) => {
                eprintln!("rollback resume: {e}");
                match e {
                    ResumeError::Other(_) => Exit::Internal,
                    _ => Exit::BadInput,
                }
            }
        }
    }))
}
