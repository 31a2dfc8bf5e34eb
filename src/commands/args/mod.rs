//! The arguments of each command, as clap parses them: `cli` only names the commands and
//! hands each its arguments, and the commands own what they are given.

mod run;
mod store;
mod tools;

pub use run::*;
pub use store::*;
pub use tools::*;
