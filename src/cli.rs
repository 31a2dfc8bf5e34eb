//! Command-line definitions: one struct per subcommand; `dispatch` calls one function each.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::Exit;
use crate::plan::Operation;

#[derive(Debug, Parser)]
#[command(
    name = "rollback",
    version,
    about = "Run a rollback plan phase by phase, against its SLA, with a record nothing can lose"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check plans against the format and the rules of their certification level
    Validate(ValidateArgs),
    /// Write a new plan with the eight template phases, ready to fill in
    New(NewArgs),
    /// Print the JSON Schema of the plan format (for editors)
    Schema,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagFormat {
    /// `file:line:col: error: message [rule]` with the source line under it
    Text,
    /// One JSON document listing every file and its diagnostics
    Json,
    /// GitHub workflow annotations (`::error file=...`)
    Github,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Plan files
    #[arg(required = true)]
    pub plans: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = DiagFormat::Text)]
    pub format: DiagFormat,
    /// Print only the one-line form, without the source snippet
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Plan id; the file is NAME.yaml unless --output is given
    pub name: String,
    /// Certification level, 2 to 4
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=4))]
    pub level: u8,
    #[arg(long, value_enum, default_value_t = OperationArg::Application)]
    pub operation: OperationArg,
    /// Where to write the plan (`-` for standard output)
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Replace the file if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OperationArg {
    Application,
    Database,
    Infrastructure,
    Configuration,
    Workflow,
}

impl From<OperationArg> for Operation {
    fn from(o: OperationArg) -> Operation {
        match o {
            OperationArg::Application => Operation::Application,
            OperationArg::Database => Operation::Database,
            OperationArg::Infrastructure => Operation::Infrastructure,
            OperationArg::Configuration => Operation::Configuration,
            OperationArg::Workflow => Operation::Workflow,
        }
    }
}

/// Commands that only print should end quietly when their reader goes away
/// (`rollback validate ... | head`), as other Unix tools do. Commands that run a rollback
/// keep SIGPIPE ignored: a notifier that closes its stdin must never kill a rollback.
fn die_quietly_on_closed_stdout() {
    // SAFETY: called before any thread is spawned; restores the default disposition.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
}

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> color_eyre::Result<Exit> {
    if matches!(
        cli.command,
        Command::Validate(_) | Command::Schema | Command::New(_)
    ) {
        die_quietly_on_closed_stdout();
    }
    match cli.command {
        Command::Validate(args) => Ok(crate::commands::validate::run(&args)),
        Command::New(args) => crate::commands::new::run(&args),
        Command::Schema => {
            print!("{}", crate::plan::schema::schema_text());
            Ok(Exit::Ok)
        }
    }
}
