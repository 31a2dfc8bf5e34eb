//! `rollback follow RUN [--headless]`: a read-only live view of a run, for observers and the
//! incident channel. The timeline is tailed (inotify on the run directory wakes the reader
//! at once; a one-second poll covers network filesystems, where no notification comes, and
//! notices a runner killed outright, which changes no file). Never takes the lock, never
//! writes. Ends, saying how, when the run is sealed or its runner is gone.
//! Exit: 0 completed, 1 failed or stopped without ending, 3 aborted, 2 no such run.

use super::args::FollowArgs;
use crate::exit::Exit;
use crate::timeline::follow::{Follower, Liveness, ending};
use crate::timeline::rundir::{find, runs_root};

pub fn run(args: &FollowArgs) -> color_eyre::Result<Exit> {
    match super::store_at::for_reading(&args.from) {
        Ok(Some(store)) => return from_store(args, &store),
        Ok(None) => {}
        Err(e) => {
            eprintln!("rollback follow: {e}");
            return Ok(Exit::BadInput);
        }
    }
    let root = runs_root(args.runs.runs_dir.as_deref());
    let dir = match find(&root, &args.run) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rollback follow: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let follower = match Follower::open(&dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rollback follow: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let rt = crate::runner::runtime()?;
    if !args.headless {
        return crate::tui::follow::run(&rt, follower);
    }
    Ok(rt.block_on(headless(follower)))
}

/// Follows a run in the team store, shipped from another machine.
fn from_store(args: &FollowArgs, store: &crate::store::Store) -> color_eyre::Result<Exit> {
    let rt = crate::runner::runtime()?;
    let follower = match rt.block_on(crate::store::follow::open(store, &args.run)) {
        Ok(Ok(f)) => f,
        Ok(Err(why)) => {
            eprintln!("rollback follow: {why}");
            return Ok(Exit::BadInput);
        }
        Err(e) => {
            eprintln!("rollback follow: {}: {e}", store.shown());
            return Ok(Exit::Failed);
        }
    };
    if !args.headless {
        return crate::tui::follow::run(&rt, follower);
    }
    Ok(rt.block_on(headless(follower)))
}

async fn headless(mut f: Follower) -> Exit {
    use std::io::Write;
    println!(
        "following {} (read-only; ends when the run does)",
        crate::text::inline(&f.id)
    );
    loop {
        let (new, live) = match f.step() {
            Ok(x) => x,
            Err(e) => {
                eprintln!("rollback follow: {e}");
                return Exit::Internal;
            }
        };
        let sla = f.state.sla_ms();
        let mut out = std::io::stdout().lock();
        for r in &new {
            let _ = writeln!(
                out,
                "{}",
                crate::headless::event_line(r, sla, f.state.speed(), &Default::default())
            );
        }
        let _ = out.flush();
        drop(out);
        if live != Liveness::Running {
            let (text, code) = ending(&f, &live);
            println!("{}", crate::text::inline(&text));
            return code;
        }
        f.wait().await;
    }
}
