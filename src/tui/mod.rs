//! The terminal UI.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::Clock;
use crate::exit::Exit;
use crate::plan::Loaded;
use crate::session::{ResumeOptions, StartOptions};

pub fn run_new(
    _loaded: Loaded,
    _given: Vec<(String, String)>,
    _opts: StartOptions,
    _clock: Arc<dyn Clock>,
) -> color_eyre::Result<Exit> {
    eprintln!("rollback: the terminal UI is not available in this build; use --headless");
    Ok(Exit::BadInput)
}

pub fn run_resume(
    _dir: PathBuf,
    _opts: ResumeOptions,
    _clock: Arc<dyn Clock>,
) -> color_eyre::Result<Exit> {
    eprintln!("rollback: the terminal UI is not available in this build; use --headless");
    Ok(Exit::BadInput)
}
