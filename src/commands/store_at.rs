//! Which store a command uses: readers only with `--store`, shippers whenever one is
//! configured (and not `--no-store`), `store` and `sync` always.

use std::time::Duration;

use super::args::{ShipArgs, StoreAt, StoreRead};
use crate::store::{Store, config};

/// How long a run's process waits at its end for its last records to ship.
const GRACE: Duration = Duration::from_secs(3);

/// The store a reader was asked to read, if any. `Err`: bad input (exit 2).
pub fn for_reading(arg: &StoreRead) -> Result<Option<Store>, String> {
    match arg.store.as_deref() {
        None => Ok(None),
        Some("config") => match config::configured(None)? {
            Some((s, _)) => Ok(Some(s)),
            None => Err(format!(
                "--store config: no store is configured (set {} or `store =` in {})",
                config::ENV,
                config_file()
            )),
        },
        Some(url) => config::parse(url).map(Some),
    }
}

/// The store `store` and `sync` use. `Err`: none configured, or unusable (exit 2).
pub fn at(arg: &StoreAt) -> Result<Store, String> {
    match config::configured(arg.store.as_deref())? {
        Some((s, _)) => Ok(s),
        None => Err(format!(
            "no store: give --store URL, set {}, or put `store = \"postgres://...\"` in {}",
            config::ENV,
            config_file()
        )),
    }
}

fn config_file() -> String {
    config::config_path().map_or_else(
        || "$XDG_CONFIG_HOME/rollback/config.toml".into(),
        |p| p.display().to_string(),
    )
}

/// Starts shipping for a command that runs a plan, when a store is configured. A store
/// named on the command line that cannot be used is bad input; one from the environment or
/// the config file only warns: a rollback never waits on the store.
pub fn start_shipping(arg: &ShipArgs) -> Result<(), String> {
    if arg.no_store {
        return Ok(());
    }
    match config::configured(arg.store.as_deref()) {
        Ok(Some((store, _))) => {
            // A shipper that cannot start is a warning: the run is recorded here, and
            // `rollback sync` ships it.
            if let Err(e) = crate::store::live::start(store) {
                eprintln!("rollback: not shipping to the store: {e}");
            }
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) if arg.store.is_some() => Err(format!("--store: {e}")),
        Err(e) => {
            eprintln!("rollback: not shipping to the store: {e}");
            Ok(())
        }
    }
}

/// At the end of a command that ran a plan: a short wait for the last records, and what
/// is left for `rollback sync`.
pub fn finish_shipping() {
    if let Some(left) = crate::store::live::finish(GRACE) {
        eprintln!("rollback: {left}");
    }
}
