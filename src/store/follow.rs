//! Following a run from the store, from any machine: LISTEN wakes the follower when a
//! shipper adds records to the run, then only the records after the last one read are
//! asked for. No polling loop: a long quiet wait re-asks once, in case a wake-up was lost
//! with a dropped connection (which is then made again).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_postgres::{Client, Notification};

use super::config::Store;
use super::connect::StoreError;
use super::read::{Found, find, lines};
use crate::timeline::follow::{Follower, Source};

/// Records asked for at once; more are taken on the next turn.
const PAGE: i64 = 5_000;
/// A follower with no wake-up for this long asks anyway.
const QUIET: Duration = Duration::from_secs(30);
/// The channel shippers' inserts notify (see the schema).
const CHANNEL: &str = "rollback_records";

struct StoreTail {
    store: Store,
    run: Found,
    /// The connection, and its notifications; `None` after it failed.
    client: Option<(Client, mpsc::Receiver<Notification>)>,
    last: Option<u64>,
    /// The hash of the last record read: each next one must follow it.
    head: String,
    /// Lines read and not yet taken.
    buffered: Vec<String>,
    /// The last page was full: read on without waiting.
    more: bool,
    failed: Option<String>,
}

/// A follower of the run `query` names in the store. `Ok(Err)`: no such run (bad input).
pub async fn open(store: &Store, query: &str) -> Result<Result<Follower, String>, StoreError> {
    let (client, rx) = listening(store).await?;
    super::schema::check(store, &client).await?;
    let run = match find(store, &client, query).await? {
        Ok(r) => r,
        Err(why) => return Ok(Err(why)),
    };
    let Some(plan_text) = run.plan_yaml.clone() else {
        return Ok(Err(format!("the store holds no plan copy of {}", run.run)));
    };
    let plan = match crate::plan::load::load_bytes("plan.yaml", plan_text.into_bytes()) {
        Ok(l) => l.plan,
        Err(e) => return Ok(Err(format!("the run's plan copy does not load:\n{e}"))),
    };
    let mut tail = StoreTail {
        store: store.clone(),
        run,
        client: Some((client, rx)),
        last: None,
        head: crate::engine::record::GENESIS.to_string(),
        buffered: Vec::new(),
        more: false,
        failed: None,
    };
    tail.fetch().await;
    let id = tail.run.run.clone();
    Ok(Ok(Follower::with_source(id, plan, Box::new(tail))))
}

async fn listening(store: &Store) -> Result<(Client, mpsc::Receiver<Notification>), StoreError> {
    let (client, rx) = store.connect_listening().await?;
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .map_err(|e| store.error(&e))?;
    Ok((client, rx))
}

impl StoreTail {
    fn key(&self) -> String {
        format!("{}/{}", self.run.host, self.run.run)
    }

    /// Reads what follows the last record read, into the buffer.
    async fn fetch(&mut self) {
        if self.client.is_none() {
            match listening(&self.store).await {
                Ok(c) => self.client = Some(c),
                Err(e) => {
                    self.failed = Some(e.0);
                    return;
                }
            }
        }
        let Some((client, _)) = &self.client else {
            return;
        };
        match lines(&self.store, client, &self.run, self.last, PAGE).await {
            Ok(new) => {
                self.more = new.len() as i64 == PAGE;
                // Each record must follow the one before: what the store sends is checked.
                for line in new {
                    let want = self.last.map_or(0, |l| l + 1);
                    match crate::engine::record::parse_line(&line) {
                        Ok(r) if r.seq == want && r.prev == self.head => {
                            self.last = Some(r.seq);
                            self.head = r.hash;
                            self.buffered.push(line);
                        }
                        _ => {
                            self.failed = Some(format!(
                                "the store's record {want} of {} does not follow the one before",
                                self.run.run
                            ));
                            self.more = false;
                            return;
                        }
                    }
                }
                self.failed = None;
            }
            Err(e) => {
                // Made again on the next turn.
                self.client = None;
                self.failed = Some(e.0);
            }
        }
    }

    async fn next(&mut self) {
        if !self.more && self.failed.is_none() {
            let key = self.key();
            if let Some((_, rx)) = &mut self.client {
                let deadline = tokio::time::Instant::now() + QUIET;
                loop {
                    match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(n)) if n.payload() == key => break,
                        Ok(Some(_)) => continue,
                        // The connection is gone: make it again.
                        Ok(None) => {
                            self.client = None;
                            break;
                        }
                        Err(_) => break,
                    }
                }
            }
        } else if self.failed.is_some() {
            // The store failed: try again after a pause, never in a tight loop.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        self.fetch().await;
    }
}

impl Source for StoreTail {
    fn read(&mut self) -> Result<Vec<String>, String> {
        if self.buffered.is_empty()
            && let Some(why) = &self.failed
        {
            return Err(format!("{}: {why}", self.store.shown()));
        }
        Ok(std::mem::take(&mut self.buffered))
    }

    fn running(&self) -> Option<bool> {
        None
    }

    fn wait(&mut self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.next())
    }

    fn suffix(&self) -> &str {
        " --store URL"
    }
}
