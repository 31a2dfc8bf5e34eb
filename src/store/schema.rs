//! The store's schema: versioned migrations (`migrations/V*.sql`, applied by refinery), run
//! under an advisory lock so two `store init` at once apply each only once.

use tokio_postgres::Client;

use super::read::Column;

use super::config::Store;
use super::connect::StoreError;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// The schema version this build reads and writes.
pub fn latest() -> u32 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| m.version().max(0) as u32)
        .max()
        .unwrap_or(0)
}

/// Lock key of `store init` (any fixed number; "rollback" in ASCII).
const INIT_LOCK: i64 = 0x726f_6c6c_6261_636b;

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub from: u32,
    pub to: u32,
    /// Team roles made (`rollback_team_<team>`), those that were missing.
    pub teams_made: Vec<String>,
}

/// Creates or migrates the schema up to `to` (the latest when `None`), and the team roles
/// named. Idempotent.
pub async fn init(
    store: &Store,
    client: &mut Client,
    to: Option<u32>,
    teams: &[String],
) -> Result<Migrated, StoreError> {
    for t in teams {
        if !valid_team(t) {
            return Err(StoreError(format!(
                "team `{}`: a team is 1 to 40 of a-z, 0-9 and _",
                crate::text::inline(t)
            )));
        }
    }
    client
        .execute("SELECT pg_advisory_lock($1)", &[&INIT_LOCK])
        .await
        .map_err(|e| store.error(&e))?;
    let result = migrate(store, client, to, teams).await;
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&INIT_LOCK])
        .await;
    result
}

async fn migrate(
    store: &Store,
    client: &mut Client,
    to: Option<u32>,
    teams: &[String],
) -> Result<Migrated, StoreError> {
    let from = version(store, client).await?.unwrap_or(0);
    let mut runner = embedded::migrations::runner();
    if let Some(v) = to {
        runner = runner.set_target(refinery::Target::Version(v as i32));
    }
    runner
        .set_grouped(true)
        .run_async(client)
        .await
        .map_err(|e| StoreError(store.masked(&format!("migrating the schema: {e}"))))?;
    let to = version(store, client).await?.unwrap_or(0);
    let mut teams_made = Vec::new();
    for t in teams {
        let made: bool = client
            .query_one(
                "SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rollback_team_' || $1::text)",
                &[t],
            )
            .await
            .map_err(|e| store.error(&e))?
            .at(0);
        if made {
            // The name is checked above: a-z, 0-9 and _ only.
            client
                .batch_execute(&format!(
                    "CREATE ROLE rollback_team_{t} NOLOGIN IN ROLE rollback_member"
                ))
                .await
                .map_err(|e| store.error(&e))?;
            teams_made.push(t.clone());
        }
    }
    Ok(Migrated {
        from,
        to,
        teams_made,
    })
}

/// A team id as plans and roles hold it.
pub fn valid_team(t: &str) -> bool {
    (1..=40).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The schema version applied, `None` for a database without the store.
pub async fn version(store: &Store, client: &Client) -> Result<Option<u32>, StoreError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('refinery_schema_history') IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| store.error(&e))?
        .at(0);
    if !exists {
        return Ok(None);
    }
    let v: Option<i32> = client
        .query_one("SELECT max(version) FROM refinery_schema_history", &[])
        .await
        .map_err(|e| store.error(&e))?
        .at(0);
    Ok(v.map(|v| v.max(0) as u32))
}

/// The store's schema must be this build's: older wants `store init`, newer a newer build.
pub async fn check(store: &Store, client: &Client) -> Result<(), StoreError> {
    let want = latest();
    match version(store, client).await? {
        Some(v) if v == want => Ok(()),
        None => Err(StoreError(format!(
            "{} has no rollback store yet: `rollback store init` creates it",
            store.shown()
        ))),
        Some(v) if v < want => Err(StoreError(format!(
            "{} holds schema version {v}, this rollback needs {want}: `rollback store init` migrates it",
            store.shown()
        ))),
        Some(v) => Err(StoreError(format!(
            "{} holds schema version {v}, newer than this rollback knows ({want}): upgrade rollback",
            store.shown()
        ))),
    }
}
