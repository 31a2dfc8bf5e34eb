//! `rollback`: a terminal cockpit for live rollbacks.
//!
//! PURE core: [`plan`]. The faces ([`cli`], [`commands`]) sit on top.

pub mod cli;
pub mod commands;
pub mod engine;
pub mod exit;
pub mod plan;
pub mod timeline;
