//! A receiver's places: at most `Bounds::connections` connections at once. A connection is a
//! stranger until its head shows the token. When every place is taken, the stranger that
//! came first is closed to make room for the new connection; only when token holders hold
//! every place is the new one refused. Reserving places for token holders would not do: a
//! new connection is a stranger too until its head is read, and strangers holding their
//! share would keep it out as before. Alertmanager sends its head at once, so it is a
//! stranger for a moment and never the one that came first while others wait idle.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::task::AbortHandle;

#[derive(Debug)]
pub(super) struct Places {
    max: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    /// Strangers in the order they came, with what ends each (once its task runs).
    strangers: BTreeMap<u64, Option<AbortHandle>>,
    trusted: usize,
}

/// One connection's place, given up when dropped.
#[derive(Debug)]
pub(super) struct Place {
    places: Arc<Places>,
    id: u64,
    trusted: bool,
}

impl Places {
    pub fn new(max: usize) -> Arc<Places> {
        Arc::new(Places {
            max,
            inner: Mutex::new(Inner::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a new connection, and whether a stranger was closed to make it; none
    /// when token holders hold every place.
    pub fn admit(self: &Arc<Self>) -> Option<(Place, bool)> {
        let mut inner = self.lock();
        let mut evicted = None;
        if inner.strangers.len() + inner.trusted >= self.max {
            let (_, first) = inner.strangers.pop_first()?;
            evicted = Some(first);
        }
        let id = inner.next;
        inner.next += 1;
        inner.strangers.insert(id, None);
        drop(inner);
        // Out of the lock: the task's place, when dropped, takes it.
        if let Some(Some(task)) = &evicted {
            task.abort();
        }
        let place = Place {
            places: self.clone(),
            id,
            trusted: false,
        };
        Some((place, evicted.is_some()))
    }

    /// Tells how to end the task of the connection in place `id`, should its place be
    /// needed (the task holds its place, so this comes once it is spawned).
    pub fn ends_with(&self, id: u64, task: AbortHandle) {
        if let Some(slot) = self.lock().strangers.get_mut(&id) {
            *slot = Some(task);
        }
    }
}

impl Place {
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The head showed the token: the place is no longer taken from it. False when it was
    /// already (its task is ending).
    pub fn trust(&mut self) -> bool {
        let mut inner = self.places.lock();
        if inner.strangers.remove(&self.id).is_none() {
            return false;
        }
        inner.trusted += 1;
        self.trusted = true;
        true
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut inner = self.places.lock();
        if self.trusted {
            inner.trusted -= 1;
        } else {
            inner.strangers.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> tokio::task::JoinHandle<()> {
        tokio::spawn(std::future::pending())
    }

    #[tokio::test]
    async fn the_first_stranger_makes_room_and_token_holders_never_do() {
        let places = Places::new(3);
        let admit = |task: Option<&tokio::task::JoinHandle<()>>| {
            let (place, evicted) = places.admit().expect("a place");
            if let Some(t) = task {
                places.ends_with(place.id(), t.abort_handle());
            }
            (place, evicted)
        };
        let (a_task, c_task) = (pending(), pending());
        let (mut a, _) = admit(Some(&a_task));
        let (mut b, _) = admit(None);
        let (_c, evicted) = admit(Some(&c_task));
        assert!(!evicted, "room for three");
        assert!(b.trust(), "b showed the token");
        // Full: the stranger that came first is closed; not the token holder.
        let (mut d, evicted) = admit(None);
        assert!(evicted);
        assert!(a_task.await.unwrap_err().is_cancelled());
        assert!(!a.trust(), "its place was taken");
        let (mut e, evicted) = admit(None);
        assert!(evicted);
        assert!(c_task.await.unwrap_err().is_cancelled());
        assert!(d.trust() && e.trust());
        assert!(places.admit().is_none(), "token holders hold every place");
        // A place given up is free again.
        drop(b);
        let (_f, evicted) = admit(None);
        assert!(!evicted);
    }
}
