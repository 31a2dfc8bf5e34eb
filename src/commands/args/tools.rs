//! Arguments of the commands that read plans and records: runs, report, verify, stats,
//! ready, prune, validate, new, triggers and watch.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::run::RunsDir;
use crate::plan::Operation;

#[derive(Debug, Clone, Args)]
pub struct RunsArgs {
    /// Show at most N runs
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[command(flatten)]
    pub runs: RunsDir,
    #[command(flatten)]
    pub from: super::store::StoreRead,
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
    /// Enter an impact metric, kept with who and when (repeatable): users_affected,
    /// data_loss, downtime, revenue_impact, customer_complaints, affected_requests,
    /// failed_requests; e.g. `--set users_affected=1200 --set downtime=12m`
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Who enters the values [default: $USER]
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[command(flatten)]
    pub runs: RunsDir,
    #[command(flatten)]
    pub from: super::store::StoreRead,
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
    /// List this person's drills over time with their scores, instead of the team's figures
    #[arg(long, value_name = "NAME")]
    pub trainee: Option<String>,
    #[command(flatten)]
    pub runs: RunsDir,
    #[command(flatten)]
    pub from: super::store::StoreRead,
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
    #[command(flatten)]
    pub from: super::store::StoreRead,
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
    /// Also remove damaged runs (unreadable, or whose record does not verify) past the age,
    /// dated by their name; they are kept otherwise
    #[arg(long)]
    pub damaged: bool,
    #[command(flatten)]
    pub runs: RunsDir,
    #[command(flatten)]
    pub from: super::store::StoreRead,
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
pub struct ProbeArgs {
    /// The plan the trigger is in
    pub plan: PathBuf,
    /// The trigger's name
    pub trigger: String,
    /// Print the sample as JSON
    #[arg(long)]
    pub json: bool,
    /// A variable's value, as for a run (else the environment, else the plan's default)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The plan whose triggers to watch (with --validate: the run, a directory or id prefix)
    pub plan: PathBuf,
    /// No screen: one line per change of a trigger's state; `cancel WHO WHY` or `start WHO`
    /// on stdin answers a trigger waiting on an operator
    #[arg(long)]
    pub headless: bool,
    /// Print JSON lines
    #[arg(long)]
    pub json: bool,
    /// Run, or go on with, the post-rollback validation windows of the run given instead
    /// of a plan
    #[arg(long)]
    pub validate: bool,
    /// With --validate, for a drill or rehearsal: validation windows pass N times faster
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub speed: f64,
    /// The run a trigger starts is a drill (simulated steps): to practise the hand-over
    #[arg(long)]
    pub drill: bool,
    /// Set a variable for the probes and the run (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a YAML file of `name: value` (repeatable)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Who is watching [default: the --approve-as name, else $USER]
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    /// Pass approval gates and the point of no return of the started run as NAME (headless)
    #[arg(long, value_name = "NAME")]
    pub approve_as: Option<String>,
    /// Confirm manual checks of the started run (headless)
    #[arg(long)]
    pub confirm_manual: bool,
    #[command(flatten)]
    pub logs: super::run::LogArgs,
    #[command(flatten)]
    pub runs: RunsDir,
    #[command(flatten)]
    pub ship: super::store::ShipArgs,
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

#[derive(Debug, Clone, Args)]
pub struct FollowArgs {
    /// A run directory, or a unique prefix of a run id
    pub run: String,
    /// No screen: one line per event, for the incident channel
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub runs: RunsDir,
    #[command(flatten)]
    pub from: super::store::StoreRead,
}

#[derive(Debug, Clone, Args)]
pub struct DashboardArgs {
    /// Directory of run directories [default: as `rollback runs`]
    #[arg(value_name = "RUNS_DIR", conflicts_with = "runs_dir")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub runs: RunsDir,
    #[command(flatten)]
    pub from: super::store::StoreRead,
}
