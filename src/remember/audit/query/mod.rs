//! Questions asked of an audit log: which records match (by caller, endpoint, decision,
//! time), one readable line per record, and a summary of who did what and what was denied.
//!
//! Pure: records come in one at a time (see [`super::read`]), and a [`Summary`] keeps
//! counters per caller, endpoint and rule, never the records themselves, so a log of any
//! size can be summarized.
//!
//! - `client.rs`: who called, as one identity ([`Client`]);
//! - `caller_spec.rs`: a caller to look for, as `--caller` and `--client` take it;
//! - `filter.rs`: which records to keep, by caller, endpoint, decision and time;
//! - `line.rs`: one readable line per record;
//! - `summary.rs`: counters over the records seen, as tables or JSON.
//!
//! The times `--since` and `--until` take are read by [`crate::docker::time::parse_time`].

mod caller_spec;
mod client;
mod filter;
mod line;
mod summary;

pub use caller_spec::{CallerSpec, CALLER_KEYS};
pub use client::Client;
pub use filter::{is_denial, DecisionFilter, Filter};
pub use line::{caller_label, line, one_line};
pub use summary::Summary;

#[cfg(test)]
mod tests;
