//! The guard in force, replaceable while sockeye runs (a policy reloaded on SIGHUP).
//!
//! Each request takes the guard in force when it arrives and keeps it to the end: a call in
//! flight is decided by one policy, never by half of each; the next request on the same
//! keep-alive connection gets the new one.

use std::sync::{Arc, RwLock};

use super::Guard;

/// Shared by every connection of a listener; cloning shares it.
#[derive(Clone, Debug)]
pub struct CurrentGuard(Arc<RwLock<Arc<Guard>>>);

impl CurrentGuard {
    pub fn new(guard: Arc<Guard>) -> CurrentGuard {
        CurrentGuard(Arc::new(RwLock::new(guard)))
    }

    /// The guard for one request.
    pub fn get(&self) -> Arc<Guard> {
        // A poisoned lock still holds a whole guard: the writer only swaps an Arc.
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Put `guard` in force for requests that arrive from now on.
    pub fn replace(&self, guard: Arc<Guard>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = guard;
    }
}

impl From<Arc<Guard>> for CurrentGuard {
    fn from(guard: Arc<Guard>) -> CurrentGuard {
        CurrentGuard::new(guard)
    }
}
