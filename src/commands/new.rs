//! `rollback new NAME`: writes a plan from the template, never over an existing file
//! unless asked.

use std::io::Write as _;
use std::path::PathBuf;

use color_eyre::eyre::{Context, eyre};

use super::args::NewArgs;
use crate::exit::Exit;
use crate::plan::template::new_plan;

pub fn run(args: &NewArgs) -> color_eyre::Result<Exit> {
    let id = regex::Regex::new(crate::plan::model::ID_PATTERN).expect("valid regex");
    if !id.is_match(&args.name) {
        eprintln!(
            "rollback new: `{}` is not a valid plan id: use lowercase letters, digits, `-` and `_`",
            args.name
        );
        return Ok(Exit::BadInput);
    }
    let text = new_plan(&args.name, args.level, args.operation.into());
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.yaml", args.name)));
    if path.as_os_str() == "-" {
        print!("{text}");
        return Ok(Exit::Ok);
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = match options.open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "rollback new: {} exists; choose another name or pass --force",
                path.display()
            );
            return Ok(Exit::BadInput);
        }
        Err(e) => return Err(eyre!(e)).wrap_err(format!("cannot create {}", path.display())),
    };
    file.write_all(text.as_bytes())
        .and_then(|_| file.sync_all())
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote {}: fill in the TODOs, then `rollback validate {0}` and `rollback drill {0}`",
        path.display()
    );
    Ok(Exit::Ok)
}
