//! The team store (EDGE): runs shipped to a shared PostgreSQL, and every figure read back
//! from it. Local-first: a run is recorded in its run directory exactly as without a store;
//! shipping is a second path that never holds a rollback up (`live`), and `sync` catches up.
//! PostgreSQL's roles, TLS and row-level security do the access control (`migrations/`).

pub mod config;
pub mod connect;
pub mod figures;
pub mod follow;
pub mod live;
pub mod local;
pub mod percentiles;
pub mod read;
mod rows;
pub mod schema;
pub mod ship;
pub mod shipper;
pub mod sync;

pub use config::Store;
pub use connect::StoreError;

/// Runs `f` on a runtime of its own (the commands are not async; neither is the shipper's
/// thread).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime always builds")
        .block_on(f)
}
