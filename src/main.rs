use std::process::ExitCode;

use clap::Parser;
use rollback::{cli, exit::Exit};

fn main() -> ExitCode {
    if color_eyre::install().is_err() {
        return Exit::Internal.into();
    }
    match cli::dispatch(cli::Cli::parse()) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("rollback: {e:?}");
            Exit::Internal.into()
        }
    }
}
