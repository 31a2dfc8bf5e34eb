//! EDGE: watching a plan's triggers, shared by `rollback watch`, a drill exercise whose
//! trigger fires, and both faces: the loop that asks the probes when the board says a
//! sample is due (`watcher`, its answers judged by `probe::evaluate`), what a watch hands
//! the run it starts and its journal (`prepared`), and its changes as lines (`lines`).

pub mod journal;
pub mod lines;
pub mod prepared;
pub mod watcher;
