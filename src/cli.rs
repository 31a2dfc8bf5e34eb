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
    /// Run a plan for real on staging, recorded as a rehearsal
    Rehearse(RunArgs),
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
    /// Watch a plan's triggers: one line per change of state (exit 0 stopped, 1 fired, 2 bad input)
    Watch(WatchArgs),
}

/// Where runs are kept.
#[derive(Debug, Clone, Args)]
pub struct RunsDir {
    /// Directory of run directories [default: $ROLLBACK_RUNS_DIR, else $XDG_DATA_HOME/rollback/runs]
    #[arg(long, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,
}

/// How a run is driven without a screen.
#[derive(Debug, Clone, Args)]
pub struct HeadlessArgs {
    /// No screen: one line per event, for automation and CI
    #[arg(long)]
    pub headless: bool,
    /// Pass approval gates and the point of no return as NAME (headless)
    #[arg(long, value_name = "NAME")]
    pub approve_as: Option<String>,
    /// Confirm manual checks (recorded as confirmed by the operator in headless mode)
    #[arg(long)]
    pub confirm_manual: bool,
    /// Print each step's output too (headless)
    #[arg(long, short)]
    pub verbose: bool,
}

impl HeadlessArgs {
    /// Without a screen nobody types a name, so the approver is also the operator of record.
    pub fn approver(&self) -> Option<&str> {
        self.approve_as.as_deref().filter(|_| self.headless)
    }
}

/// How much of each command's output its log keeps, and what a hang-up does.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// When the terminal hangs up (ssh dropped): let the running step finish, record it and
    /// start nothing more, or stop it at once; either way the run stays resumable
    #[arg(long, value_enum, default_value_t = crate::session::Hangup::Finish, value_name = "WHAT")]
    pub on_hangup: crate::session::Hangup,
    /// Keep the first SIZE of each attempt's output in its log (e.g. 8MiB)
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "8MiB",
        env = "ROLLBACK_LOG_HEAD"
    )]
    pub log_head: bytesize::ByteSize,
    /// Keep the last SIZE of each attempt's output in its log
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "8MiB",
        env = "ROLLBACK_LOG_TAIL"
    )]
    pub log_tail: bytesize::ByteSize,
    /// At most SIZE of logs for the whole run; later steps keep less once it is used
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "1GiB",
        env = "ROLLBACK_LOG_TOTAL"
    )]
    pub log_total: bytesize::ByteSize,
}

impl LogArgs {
    pub fn limits(&self) -> crate::runner::LogLimits {
        crate::runner::LogLimits {
            keep: crate::runner::Keep {
                head: self.log_head.as_u64(),
                tail: self.log_tail.as_u64(),
            },
            total: self.log_total.as_u64(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The plan file
    pub plan: PathBuf,
    /// Set a variable (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a YAML file of `name: value` (repeatable)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Run a partial rollback: one of the plan's scenarios
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// Who is running it [default: the --approve-as name, else $USER]
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    /// What started the rollback (a metric of the standard)
    #[arg(long, value_enum, default_value_t = TriggerArg::Manual)]
    pub trigger: TriggerArg,
    #[command(flatten)]
    pub headless: HeadlessArgs,
    #[command(flatten)]
    pub logs: LogArgs,
    #[command(flatten)]
    pub runs: RunsDir,
}

#[derive(Debug, Clone, Args)]
pub struct DrillArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Play simulations N times faster
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub speed: f64,
    /// Make a step fail on purpose, to practise retry and escalation: `phase.step` or a step
    /// id, optionally `:N` for its first N attempts (repeatable)
    #[arg(long, value_name = "STEP[:N]")]
    pub fail: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ResumeArgs {
    /// A run directory, or a unique prefix of a run id
    pub run: String,
    /// Resume although plan.yaml changed since it was recorded (who accepted which change
    /// is recorded); `--force` is the former name
    #[arg(long, alias = "force")]
    pub plan_changed_ok: bool,
    /// Start again a step that was interrupted (headless; its outcome is unknown)
    #[arg(long)]
    pub rerun_interrupted: bool,
    /// Give a step that failed for good one more attempt (headless; once per resume)
    #[arg(long)]
    pub retry_failed: bool,
    /// Kill a command still running from before instead of waiting for it (headless)
    #[arg(long)]
    pub kill_orphans: bool,
    /// Give variables again (secret values are never recorded)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Who is resuming it [default: the --approve-as name, else $USER]
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    /// Drills: play simulations N times faster
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub speed: f64,
    #[command(flatten)]
    pub headless: HeadlessArgs,
    #[command(flatten)]
    pub logs: LogArgs,
    #[command(flatten)]
    pub runs: RunsDir,
}

#[derive(Debug, Clone, Args)]
pub struct RunsArgs {
    /// Show at most N runs
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[command(flatten)]
    pub runs: RunsDir,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Md,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// A run directory, or a unique prefix of a run id
    pub run: String,
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub runs: RunsDir,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// A run directory, or a unique prefix of a run id
    pub run: String,
    #[command(flatten)]
    pub runs: RunsDir,
}

/// "Now" for commands that judge ages; hidden, for reproducible checks and tests.
#[derive(Debug, Clone, Args)]
pub struct NowArg {
    /// Judge ages as at this instant (RFC 3339) instead of the current time
    #[arg(long, hide = true, value_name = "RFC3339", value_parser = parse_instant)]
    pub now: Option<i64>,
}

impl NowArg {
    pub fn ms(&self) -> i64 {
        self.now
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis())
    }
}

fn parse_instant(s: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("not an RFC 3339 time: {e}"))
}

#[derive(Debug, Clone, Args)]
pub struct StatsArgs {
    /// Directory of run directories [default: as `rollback runs`]
    #[arg(value_name = "RUNS_DIR", conflicts_with = "runs_dir")]
    pub dir: Option<PathBuf>,
    /// Print the figures as JSON
    #[arg(long)]
    pub json: bool,
    /// Only runs started within this age (e.g. 30d, 12h)
    #[arg(long, value_name = "AGE", value_parser = humantime::parse_duration)]
    pub since: Option<std::time::Duration>,
    /// Only runs of this plan (its `plan:` id)
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,
    /// Count drills too (left out of the team's figures by default)
    #[arg(long)]
    pub include_drills: bool,
    #[command(flatten)]
    pub runs: RunsDir,
    #[command(flatten)]
    pub now: NowArg,
}

#[derive(Debug, Clone, Args)]
pub struct ReadyArgs {
    /// The plan file
    pub plan: PathBuf,
    /// Directory of run directories [default: as `rollback runs`]
    #[arg(long = "runs", visible_alias = "runs-dir", value_name = "DIR")]
    pub runs: Option<PathBuf>,
    /// How recent the rehearsal a level 3 or 4 plan needs must be
    #[arg(long, value_name = "AGE", default_value = "90d", value_parser = humantime::parse_duration)]
    pub max_age: std::time::Duration,
    /// Print the verdict as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub now: NowArg,
}

#[derive(Debug, Clone, Args)]
pub struct PruneArgs {
    /// Directory of run directories [default: as `rollback runs`]
    #[arg(value_name = "RUNS_DIR", conflicts_with = "runs_dir")]
    pub dir: Option<PathBuf>,
    /// Remove sealed runs that ended longer ago than this (e.g. 400d, 2y)
    #[arg(long, value_name = "AGE", value_parser = humantime::parse_duration)]
    pub older_than: std::time::Duration,
    /// Remove them; without it, only list what would go
    #[arg(long)]
    pub yes: bool,
    /// Allow an age below the standard's 365-day retention minimum
    #[arg(long)]
    pub force_below_minimum: bool,
    #[command(flatten)]
    pub runs: RunsDir,
    #[command(flatten)]
    pub now: NowArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriggerArg {
    Manual,
    Auto,
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

#[derive(Debug, Args)]
pub struct TriggersArgs {
    /// Print the catalogue as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The plan whose triggers to watch
    pub plan: PathBuf,
    /// No screen: one line per change of a trigger's state (the only mode for now)
    #[arg(long)]
    pub headless: bool,
    /// Print JSON lines
    #[arg(long)]
    pub json: bool,
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
    use crate::engine::Mode;
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
    ) {
        die_quietly_on_closed_stdout();
    } else {
        keep_running_on_file_size_limit();
    }
    crate::tui::theme::choose(cli.color);
    match cli.command {
        Command::Run(args) => commands::run::run(args, Mode::Live, Default::default()),
        Command::Rehearse(args) => commands::run::run(args, Mode::Rehearsal, Default::default()),
        Command::Drill(args) => match commands::run::drill_options(args.speed, &args.fail) {
            Ok(drill) => commands::run::run(args.run, Mode::Drill, drill),
            Err(e) => {
                eprintln!("rollback drill: {e}");
                Ok(Exit::BadInput)
            }
        },
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
