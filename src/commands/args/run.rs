//! Arguments of the commands that run a plan: run, rehearse, drill and resume, and how they are
//! driven without a screen, how much output their logs keep and what a hang-up does.

use std::path::PathBuf;

use clap::Args;

use super::tools::TriggerArg;

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
    /// Record the plan's validation windows as not run (headless)
    #[arg(long)]
    pub no_validate: bool,
    /// Stay through the plan's validation windows after the rollback (headless; without it
    /// the command exits when the rollback ends and `rollback watch --validate RUN` runs
    /// them). A drill, headless or on screen, shows them only with it, on the drill clock
    #[arg(long, conflicts_with = "no_validate")]
    pub validate: bool,
    /// When a region fails for good under `on_region_failure: ask`: stop the other regions
    /// or let them continue (headless; default stop-all)
    #[arg(long, value_enum, value_name = "WHAT")]
    pub on_region_failure: Option<RegionChoice>,
}

/// What a region's failure does to the others, when the plan leaves it to the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegionChoice {
    StopAll,
    Continue,
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
    /// Roll back only this region of the plan (repeatable): a partial rollback
    #[arg(long = "region", value_name = "NAME")]
    pub regions: Vec<String>,
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
    #[command(flatten)]
    pub ship: super::store::ShipArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DrillArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Run the drill clock N times faster: simulated steps, the SLA countdown, the escalation
    /// ladder and retry delays together
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub speed: f64,
    /// Make a step fail on purpose, to practise retry and escalation: `phase.step` or a step
    /// id, optionally `:N` for its first N attempts (repeatable)
    #[arg(long, value_name = "STEP[:N]")]
    pub fail: Vec<String>,
    /// Make a step's simulation play FACTOR times slower: `phase.step:3` or `step:3x` (repeatable)
    #[arg(long, value_name = "STEP:FACTOR")]
    pub slow: Vec<String>,
    /// Play one of the plan's `drills:` exercises (its faults, and its speed unless --speed)
    #[arg(long, value_name = "NAME")]
    pub exercise: Option<String>,
    /// Who is being trained, for the score card and `stats --trainee` [default: the operator]
    #[arg(long, value_name = "NAME")]
    pub trainee: Option<String>,
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
    /// Close the run as aborted, recorded with who (--operator) and why (--reason): a run
    /// left after a failure nobody will take up again (headless)
    #[arg(long, requires = "reason", requires = "headless")]
    pub abort: bool,
    /// Why the run is aborted (with --abort)
    #[arg(long, value_name = "TEXT", requires = "abort")]
    pub reason: Option<String>,
    /// Give variables again (secret values are never recorded)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Who is resuming it [default: the --approve-as name, else $USER]
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    /// Ignored: a drill resumes on the clock it started with
    #[arg(long, default_value_t = 1.0, value_name = "N", hide = true)]
    pub speed: f64,
    #[command(flatten)]
    pub headless: HeadlessArgs,
    #[command(flatten)]
    pub logs: LogArgs,
    #[command(flatten)]
    pub runs: RunsDir,
    #[command(flatten)]
    pub ship: super::store::ShipArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RehearseArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Where the rehearsal runs, recorded for `rollback ready` (level 3 asks for prod-like);
    /// staging unless given (it is never guessed from the var-file)
    #[arg(long = "env", value_enum, default_value_t = crate::engine::rehearsal::Environment::Staging, value_name = "ENV")]
    pub environment: crate::engine::rehearsal::Environment,
    /// Someone taking part, recorded with the run (repeatable)
    #[arg(long, value_name = "NAME")]
    pub participant: Vec<String>,
    /// A stakeholder taking part (business owner, customer lead), recorded with the run;
    /// level 4 asks for a stakeholder rehearsal (repeatable)
    #[arg(long, value_name = "NAME")]
    pub stakeholder: Vec<String>,
}

impl RehearseArgs {
    /// What the rehearsal records about itself; a blank name is refused.
    pub fn rehearsal(&self) -> Result<crate::engine::rehearsal::Rehearsal, String> {
        use crate::engine::rehearsal::{Participant, Rehearsal};
        let named = |names: &[String], stakeholder: bool, flag: &str| {
            names
                .iter()
                .map(|n| match n.trim() {
                    "" => Err(format!("--{flag} needs a name")),
                    n => Ok(Participant {
                        name: n.to_string(),
                        stakeholder,
                    }),
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let mut participants = named(&self.participant, false, "participant")?;
        participants.extend(named(&self.stakeholder, true, "stakeholder")?);
        Ok(Rehearsal {
            environment: self.environment,
            participants,
        })
    }
}

impl From<HeadlessArgs> for crate::headless::Options {
    fn from(a: HeadlessArgs) -> crate::headless::Options {
        crate::headless::Options {
            approve_as: a.approve_as,
            confirm_manual: a.confirm_manual,
            verbose: a.verbose,
            on_region_failure: a.on_region_failure.map(|c| match c {
                RegionChoice::StopAll => crate::plan::RegionFailure::StopAll,
                RegionChoice::Continue => crate::plan::RegionFailure::Continue,
            }),
            ..Default::default()
        }
    }
}
