//! One module per subcommand: each turns its arguments into output and an exit code.

pub mod args;
pub mod dashboard;
pub mod drill_trigger;
pub mod drive;
pub mod follow;
pub mod load;
pub mod new;
pub mod probe;
pub mod prune;
pub mod ready;
pub mod records;
pub mod report;
pub mod resume;
pub mod run;
pub mod runs;
pub mod runs_table;
pub mod stats;
mod stats_table;
pub mod triggers;
pub mod validate;
pub mod validate_windows;
pub mod verify;
pub mod watch;
pub mod watch_lines;
pub mod watch_start;
