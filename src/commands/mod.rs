//! One module per subcommand: each turns its arguments into output and an exit code.

pub mod new;
pub mod validate;
