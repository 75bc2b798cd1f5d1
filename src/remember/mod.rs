//! Remembering calls: the audit log, metrics, and policies learned from an audit log.

pub mod audit;
pub mod learn;
pub mod metrics;
pub mod ship;
