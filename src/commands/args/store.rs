//! Arguments naming the team store: where runs ship to, where readers read from, and the
//! `store` and `sync` commands.

use clap::{Args, Subcommand};

use super::run::RunsDir;

/// For the commands that run a plan: shipping to the store as records are journaled.
#[derive(Debug, Clone, Default, Args)]
pub struct ShipArgs {
    /// Ship the run's records to this team store as they are recorded [default:
    /// $ROLLBACK_STORE, else `store =` in $XDG_CONFIG_HOME/rollback/config.toml]
    #[arg(long, value_name = "URL", conflicts_with = "no_store")]
    pub store: Option<String>,
    /// Do not ship this run, whatever is configured (`rollback sync` can ship it later)
    #[arg(long)]
    pub no_store: bool,
}

/// For the commands that read records: the store instead of a runs directory.
#[derive(Debug, Clone, Default, Args)]
pub struct StoreRead {
    /// Read the team store at this postgres:// URL instead of a runs directory (`config`:
    /// the store $ROLLBACK_STORE or the config file names)
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

/// Where the store is, for `store` and `sync`.
#[derive(Debug, Clone, Default, Args)]
pub struct StoreAt {
    /// The team store's postgres:// URL [default: $ROLLBACK_STORE, else `store =` in
    /// $XDG_CONFIG_HOME/rollback/config.toml]
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum StoreCommand {
    /// Create the store's schema, or migrate it to this version (idempotent); needs a role
    /// that may create tables and roles
    Init {
        /// Also create the role rollback_team_TEAM for each team named (repeatable)
        #[arg(long = "team", value_name = "TEAM")]
        teams: Vec<String>,
        /// Migrate only up to this schema version
        #[arg(long, hide = true, value_name = "N")]
        to: Option<u32>,
        #[command(flatten)]
        at: StoreAt,
    },
    /// The store's schema version and, for a runs directory, what is not shipped yet
    Status {
        #[command(flatten)]
        at: StoreAt,
        #[command(flatten)]
        runs: RunsDir,
    },
}

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    pub command: StoreCommand,
}

#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// Ship only these runs (ids; repeatable)
    #[arg(long = "run", value_name = "ID")]
    pub only: Vec<String>,
    #[command(flatten)]
    pub at: StoreAt,
    #[command(flatten)]
    pub runs: RunsDir,
}
