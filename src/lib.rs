//! `rollback`: a terminal cockpit for live rollbacks.
//!
//! Three layers (ARCHITECTURE.md is the map, `tests/layers.rs` holds the code to it).
//! CORE, pure: [`text`], [`mask`], [`plan`], [`monitor`], [`engine`], [`exit`], [`report`],
//! [`records`]. EDGE, doing the I/O: [`timeline`], [`runner`], [`probe`], [`session`],
//! [`watch`]. FACES, asking and showing: [`headless`], [`tui`], [`commands`], [`cli`].

pub mod cli;
pub mod commands;
pub mod engine;
pub mod exit;
pub mod headless;
pub mod mask;
pub mod monitor;
pub mod plan;
pub mod probe;
pub mod records;
pub mod report;
pub mod runner;
pub mod session;
pub mod store;
pub mod text;
pub mod timeline;
pub mod tui;
pub mod watch;
