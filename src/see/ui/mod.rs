//! The inspector page (`--ui`, `sockeye ui FILE…`): the calls as a timeline in a browser,
//! grouped under the docker command that made them, each with its detail.
//!
//! This module holds the data and the page; serving it over HTTP is the relay's
//! ([`crate::relay::serve_ui`]). A live inspector is one more consumer of the lossy live
//! channel ([`crate::see::view::run`]): it never slows the relay, counts what it missed and
//! keeps only the newest calls. Everything it shows comes from the JSON view's objects and
//! the exports' records, through the one redaction module.

pub mod assets;
mod entry;
mod store;

use std::sync::{Arc, Mutex, MutexGuard};

use crate::event::{Event, Watcher};

pub use store::{Recorded, Store};

/// Calls kept by default (`--ui-keep`).
pub const DEFAULT_KEEP: usize = 5000;

/// Most bytes of one body kept per call: with `--ui-keep` calls, what bounds memory.
pub const BODY_KEEP: usize = 64 * 1024;

/// The store, shared by the consumer that fills it and the server that reads it.
#[derive(Clone)]
pub struct Inspector(Arc<Mutex<Store>>);

impl Inspector {
    pub fn new(store: Store) -> Inspector {
        Inspector(Arc::new(Mutex::new(store)))
    }

    /// The store, for one short look or change (never held across an await).
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Watcher for Inspector {
    fn show(&mut self, event: &Event, dropped: u64) {
        if matches!(event, Event::Call(_) | Event::Begun { .. }) || dropped > 0 {
            self.lock().event(event, dropped);
        }
    }
}

/// What the relay must record for the inspector: the request bodies that name a call, the
/// first bytes of every answer (the detail's bodies), and what each decision went through.
pub fn detail() -> crate::event::Detail {
    crate::event::Detail {
        request_capture: crate::see::view::REQUEST_CAPTURE,
        response_capture: BODY_KEEP,
        error_capture: crate::see::view::ERROR_CAPTURE,
        // The detail of a decided call shows the rules it went through.
        explain: true,
        ..Default::default()
    }
}
