//! `rollback store init|status`: the store's schema, created or migrated with versioned
//! migrations; its version and what a runs directory has not shipped yet.

use super::args::{StoreArgs, StoreCommand};
use crate::exit::Exit;
use crate::store::{self, Store, schema};
use crate::timeline::rundir::runs_root;

pub fn run(args: &StoreArgs) -> color_eyre::Result<Exit> {
    let at = match &args.command {
        StoreCommand::Init { at, .. } | StoreCommand::Status { at, .. } => at,
    };
    let store = match super::store_at::at(at) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rollback store: {e}");
            return Ok(Exit::BadInput);
        }
    };
    Ok(store::block_on(async {
        let mut client = match store.connect().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("rollback store: {}: {e}", store.shown());
                return Exit::Failed;
            }
        };
        match &args.command {
            StoreCommand::Init { teams, to, .. } => init(&store, &mut client, *to, teams).await,
            StoreCommand::Status { runs, .. } => {
                let root = runs_root(runs.runs_dir.as_deref());
                status(&store, &mut client, &root).await
            }
        }
    }))
}

async fn init(
    store: &Store,
    client: &mut tokio_postgres::Client,
    to: Option<u32>,
    teams: &[String],
) -> Exit {
    match schema::init(store, client, to, teams).await {
        Ok(m) => {
            if m.from == m.to {
                println!("{}: schema version {}, nothing to do", store.shown(), m.to);
            } else if m.from == 0 {
                println!("{}: created schema version {}", store.shown(), m.to);
            } else {
                println!(
                    "{}: migrated schema version {} to {}",
                    store.shown(),
                    m.from,
                    m.to
                );
            }
            for t in &m.teams_made {
                println!(
                    "created role rollback_team_{t}: `GRANT rollback_team_{t} TO <role>` lets a role ship team {t}'s runs"
                );
            }
            Exit::Ok
        }
        Err(e) => {
            eprintln!("rollback store init: {e}");
            Exit::Failed
        }
    }
}

async fn status(
    store: &Store,
    client: &mut tokio_postgres::Client,
    root: &std::path::Path,
) -> Exit {
    let version = match schema::version(store, client).await {
        Ok(v) => v,
        Err(e) => {
            eprintln!("rollback store status: {e}");
            return Exit::Failed;
        }
    };
    let latest = schema::latest();
    match version {
        None => {
            println!(
                "{}: no rollback store yet (`rollback store init` creates it)",
                store.shown()
            );
            return Exit::Failed;
        }
        Some(v) if v < latest => println!(
            "{}: schema version {v}, this rollback needs {latest} (`rollback store init` migrates it)",
            store.shown()
        ),
        Some(v) => println!("{}: schema version {v}", store.shown()),
    }
    if version != Some(latest) {
        return Exit::Failed;
    }
    let pending = crate::store::sync::pending(store, client, root).await;
    match pending {
        Ok(p) if p.is_empty() => {
            println!("every run in {} is shipped", crate::text::path(root));
            Exit::Ok
        }
        Ok(p) => {
            println!(
                "{} run(s) in {} not fully shipped (`rollback sync` ships them):",
                p.len(),
                crate::text::path(root)
            );
            for (id, why) in &p {
                println!(
                    "  {}  {}",
                    crate::text::inline(id),
                    crate::text::inline(why)
                );
            }
            Exit::Failed
        }
        Err(e) => {
            eprintln!("rollback store status: {e}");
            Exit::Failed
        }
    }
}
