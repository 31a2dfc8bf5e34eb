//! `rollback sync [--runs-dir DIR]`: ships every run not yet whole in the store. Idempotent.
//! Exit 0 when all is shipped; 1 when a run was refused or could not be shipped (each
//! named, with why); 2 on bad input.

use super::args::SyncArgs;
use crate::exit::Exit;
use crate::store::{self, ship::Fate};
use crate::text::inline;
use crate::timeline::rundir::runs_root;

pub fn run(args: &SyncArgs) -> color_eyre::Result<Exit> {
    let store = match super::store_at::at(&args.at) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rollback sync: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let root = runs_root(args.runs.runs_dir.as_deref());
    if !crate::timeline::files::is_real_dir(&root) {
        eprintln!(
            "rollback sync: {} is not a runs directory",
            crate::text::path(&root)
        );
        return Ok(Exit::BadInput);
    }
    let only = (!args.only.is_empty()).then_some(args.only.as_slice());
    let synced = store::block_on(async {
        let mut client = store.connect().await?;
        store::schema::check(&store, &client).await?;
        Ok::<_, store::StoreError>(store::sync::sync(&store, &mut client, &root, only).await)
    });
    let synced = match synced {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rollback sync: {}: {e}", store.shown());
            return Ok(Exit::Failed);
        }
    };
    let mut records = 0;
    for (id, fate) in &synced.fates {
        match fate {
            Fate::Shipped(n) => {
                records += n;
                println!("shipped  {}  {n} record(s)", inline(id));
            }
            Fate::Already => {}
            Fate::Refused(why) => println!("REFUSED  {}  {}", inline(id), inline(why)),
            Fate::NotShipped(why) => println!("not shipped  {}  {}", inline(id), inline(why)),
        }
    }
    let shipped = synced.count(|f| matches!(f, Fate::Shipped(_)));
    let already = synced.count(|f| matches!(f, Fate::Already));
    let refused = synced.count(|f| matches!(f, Fate::Refused(_)));
    let failed = synced.count(|f| matches!(f, Fate::NotShipped(_)));
    println!(
        "{}: {shipped} run(s) shipped ({records} records), {already} already there, {refused} refused, {failed} not shipped",
        store.shown()
    );
    Ok(if synced.all_shipped() {
        Exit::Ok
    } else {
        Exit::Failed
    })
}
