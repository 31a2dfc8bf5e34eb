//! The command line: the subcommands, each with its arguments (`commands::args`), and
//! `dispatch`, which calls one function each. Dependencies point from here to `commands`.

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit::Exit;

#[derive(Debug, Parser)]
#[command(
    name = "rollback",
    version,
    about = "Run a rollback plan phase by phase, against its SLA, with a record nothing can lose"
)]
pub struct Cli {
    /// Colour on the screen: auto (unless NO_COLOR is set), always, or never
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,
    #[command(subcommand)]
    pub command: Command,
}

/// `--color`: when the screen uses colour. Without it, states still have icons and words,
/// and the screen draws with bold, underline and reverse video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a plan for real, in production
    Run(RunArgs),
    /// Run a plan for real on staging or a prod-like environment, recorded as a rehearsal
    Rehearse(RehearseArgs),
    /// Practise a plan: nothing is executed, each step's `simulate` block plays instead
    Drill(DrillArgs),
    /// Continue a run that was left or killed (a run directory or a unique prefix of its id)
    Resume(ResumeArgs),
    /// List runs, newest first
    Runs(RunsArgs),
    /// The report of a run, in Markdown or JSON
    Report(ReportArgs),
    /// Check a run's record: hash chain, end seal, plan copy and output digests (exit 0 intact, 1 altered, 5 unsealed, 6 truncated, 7 plan changed)
    Verify(VerifyArgs),
    /// Check plans against the format and the rules of their certification level
    Validate(ValidateArgs),
    /// Write a new plan with the eight template phases, ready to fill in
    New(NewArgs),
    /// Print the JSON Schema of the plan format (for editors)
    Schema,
    /// Print a completion script for a shell (e.g. `rollback completions bash > /etc/bash_completion.d/rollback`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (e.g. `rollback man > rollback.1; man ./rollback.1`)
    Man,
    /// The team's figures over recorded runs, each of the standard's criteria met or unmet (exit 1 when one is unmet)
    Stats(StatsArgs),
    /// Whether a plan's level requirements are met by recorded runs: the permit check for a deploy pipeline
    Ready(ReadyArgs),
    /// Remove sealed runs older than an age (at least the standard's 365 days); lists only, without --yes
    Prune(PruneArgs),
    /// List the predefined automatic rollback triggers and their defaults
    Triggers(TriggersArgs),
    /// Follow a run as it happens, read-only: the operator's header, SLA and steps (ends with the run: exit 0 completed, 1 failed or stopped, 3 aborted)
    Follow(FollowArgs),
    /// The team's figures, plans and runs on one screen; live runs with their phase and SLA clock (Enter: a run's report, or follow it live)
    Dashboard(DashboardArgs),
    /// Watch a plan's triggers; one that fires starts the run under the severity policy
    /// (exit 0 stopped, else the run's code; 2 bad input)
    Watch(WatchArgs),
    /// Sample one trigger of a plan once: exit 0 when its condition does not hold, 1 when it holds, the probe failed or a person must judge
    Probe(ProbeArgs),
    /// The team store (PostgreSQL): `init` creates or migrates its schema, `status` says its version and what is not shipped
    Store(StoreArgs),
    /// Ship every run of a runs directory not yet in the team store (exit 0 all shipped, 1 a run refused or not shipped, 2 bad input)
    Sync(SyncArgs),
    /// Ships a run's records to the team store as they are journaled; started by the
    /// commands that run plans, it reads its instructions on stdin
    #[command(hide = true)]
    Shipper,
}

use crate::commands::args::*;

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

/// A run's writes must fail with an error the journal can report (fail-stop), not kill
/// the process: ignore SIGXFSZ so a file-size limit shows up as EFBIG.
fn keep_running_on_file_size_limit() {
    // SAFETY: called before any thread is spawned; SIG_IGN has no handler to race.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGXFSZ,
            nix::sys::signal::SigHandler::SigIgn,
        );
    }
}

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> color_eyre::Result<Exit> {
    use crate::commands;
    if matches!(
        cli.command,
        Command::Validate(_)
            | Command::Schema
            | Command::New(_)
            | Command::Runs(_)
            | Command::Report(_)
            | Command::Verify(_)
            | Command::Completions { .. }
            | Command::Man
            | Command::Stats(_)
            | Command::Ready(_)
            | Command::Prune(_)
            | Command::Triggers(_)
            | Command::Watch(_)
            | Command::Follow(_)
            | Command::Store(_)
            | Command::Sync(_)
    ) {
        die_quietly_on_closed_stdout();
    } else {
        keep_running_on_file_size_limit();
    }
    crate::tui::theme::choose(match cli.color {
        ColorArg::Always => Some(true),
        ColorArg::Never => Some(false),
        ColorArg::Auto => None,
    });
    // Commands that run a plan ship its records when a store is configured.
    let ship = match &cli.command {
        Command::Run(a) => Some(&a.ship),
        Command::Rehearse(a) => Some(&a.run.ship),
        Command::Drill(a) => Some(&a.run.ship),
        Command::Resume(a) => Some(&a.ship),
        Command::Watch(a) => Some(&a.ship),
        _ => None,
    };
    if let Some(ship) = ship
        && let Err(e) = commands::store_at::start_shipping(ship)
    {
        eprintln!("rollback: {e}");
        return Ok(Exit::BadInput);
    }
    let exit = run_command(cli.command);
    if crate::store::live::running() {
        commands::store_at::finish_shipping();
    }
    exit
}

fn run_command(command: Command) -> color_eyre::Result<Exit> {
    use crate::commands;
    use crate::engine::Mode;
    match command {
        Command::Run(args) => commands::run::run(args, Mode::Live, Default::default()),
        Command::Rehearse(args) => commands::run::rehearse(args),
        Command::Drill(args) => commands::run::drill(args),
        Command::Resume(args) => commands::resume::run(args),
        Command::Runs(args) => commands::runs::run(&args),
        Command::Report(args) => commands::report::run(&args),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Validate(args) => Ok(commands::validate::run(&args)),
        Command::New(args) => commands::new::run(&args),
        Command::Stats(args) => commands::stats::run(&args),
        Command::Ready(args) => commands::ready::run(&args),
        Command::Prune(args) => commands::prune::run(&args),
        Command::Triggers(args) => commands::triggers::run(&args),
        Command::Watch(args) => commands::watch::run(&args),
        Command::Probe(args) => commands::probe::run(&args),
        Command::Follow(args) => commands::follow::run(&args),
        Command::Dashboard(args) => commands::dashboard::run(&args),
        Command::Store(args) => commands::store::run(&args),
        Command::Sync(args) => commands::sync::run(&args),
        Command::Shipper => Ok(match crate::store::shipper::serve() {
            0 => Exit::Ok,
            1 => Exit::Failed,
            _ => Exit::BadInput,
        }),
        Command::Schema => {
            print!("{}", crate::plan::schema::schema_text());
            Ok(Exit::Ok)
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "rollback", &mut std::io::stdout());
            Ok(Exit::Ok)
        }
        Command::Man => {
            use clap::CommandFactory;
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(Exit::Ok)
        }
    }
}
