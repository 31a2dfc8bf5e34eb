//! EDGE: the record of a run on disk (its line format and hash chain are the engine's,
//! `engine::record`): `journal` appends and syncs; `rundir` lays out and locks run
//! directories; `seal` closes an ended run's timeline; `verify` checks a run; `reports`
//! reads a run back into its report and writes its copies.

pub mod files;
pub mod follow;
pub mod journal;
pub mod lines;
pub mod rebuild;
pub mod reports;
pub mod rundir;
pub mod seal;
pub mod segment;
pub mod standing;
pub mod verify;
pub mod waker;

pub use journal::{AfterEach, Journal, JournalError};
pub use rundir::RunDir;
