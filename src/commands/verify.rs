//! `rollback verify RUN`: exit 0 when the chain and every output digest hold, 1 naming the
//! first bad line otherwise.

use crate::cli::VerifyArgs;
use crate::exit::Exit;
use crate::timeline::rundir::{TIMELINE, find, runs_root};
use crate::timeline::verify::verify;

pub fn run(args: &VerifyArgs) -> color_eyre::Result<Exit> {
    let root = runs_root(args.runs.runs_dir.as_deref());
    let dir = match find(&root, &args.run) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rollback verify: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let v = match verify(&dir) {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "rollback verify: cannot read {}: {e}",
                dir.join(TIMELINE).display()
            );
            return Ok(Exit::BadInput);
        }
    };
    let timeline = dir.join(TIMELINE);
    match v.problem {
        Some((line, why)) => {
            println!("{}:{line}: {why}", timeline.display());
            println!("verification FAILED: records before line {line} are intact");
            Ok(Exit::Failed)
        }
        None => {
            if v.torn_tail {
                println!(
                    "{}: a torn last line follows the last record (the run was killed mid-write; `rollback resume` sets it aside)",
                    timeline.display()
                );
            }
            println!(
                "verified: {} records, hash chain intact, {} output logs match their digests",
                v.records, v.logs
            );
            Ok(Exit::Ok)
        }
    }
}
