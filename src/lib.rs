//! `rollback`: a terminal cockpit for live rollbacks.
//!
//! PURE core: [`plan`] (the plan as written), [`engine`] (the run as a state machine),
//! [`timeline::record`], [`report`], [`records`] (figures over many runs) and [`monitor`]
//! (trigger windows and conditions). EDGE: [`timeline`]'s journal and run directories,
//! [`runner`] (child processes), [`probe`] (the questions triggers ask), [`session`] (the
//! async shell binding them). FACES:
//! [`tui`], [`headless`], and the [`cli`] with its [`commands`].

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
pub mod text;
pub mod timeline;
pub mod tui;
pub mod watch;
