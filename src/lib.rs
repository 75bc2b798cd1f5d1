//! sockeye sits on the Docker Engine socket: every Docker client works through it unchanged,
//! and it **sees** each call (named as the docker command a person would type), **guards**
//! it (per client, on the endpoint, the body and the daemon's state) and **remembers** it
//! (audit log, metrics). README.md is the user's guide; docs/design.md the design.
//!
//! # Crate map
//!
//! Folders by concern, dependencies flowing one way: a module imports only those listed
//! above it (`tests/layers.rs` reads every `use crate::` line and fails otherwise, and keeps
//! the pure modules free of I/O).
//!
//! | module | holds | I/O |
//! | --- | --- | --- |
//! | [`caller`] | who is calling: the peer the transport vouches for, the container it runs in, their one serialized shape | none |
//! | [`docker`] | Docker knowledge: endpoints as dockerd routes them, Go's JSON, form and URL rules (`gojson`), the security facts of a request, Go's time formats | none |
//! | [`config`] | typed addresses, socket permissions, limits | none |
//! | [`host`] | what the host gives a process: the fd limit, systemd's sockets and readiness, the SIGHUP reload coordinator | the process |
//! | [`guard`] | a request read exactly as dockerd will read it, decided by the policy ([`guard::policy`], pure) and Rego ([`guard::rego`]); the [`guard::Permitted`] request, the only thing the daemon side takes; [`guard::error`]: what sockeye answers itself, and whose fault it is | request bodies |
//! | [`event`] | what happened, as plain data: the call, its verdict and fault; the channel it travels on | a channel |
//! | [`see`] | the docker command a call stands for ([`see::action`]), what is a secret ([`see::redact`]), stream decoders, the live views, exports | the terminal |
//! | [`remember`] | the audit log, Prometheus metrics, a policy learned from a log | files |
//! | [`relay`] | listeners and TLS, one hyper connection per client, the life of one request ([`relay::exchange`]), the daemon side, health | sockets |
//! | [`cmd`] | one file per subcommand, and the command line | the process |
//!
//! The life of one request, phase by phase with its failure edges, is
//! [`relay::exchange::handle`]; docs/design.md draws it.

pub mod caller;
pub mod cmd;
pub mod config;
pub mod docker;
pub mod event;
pub mod guard;
pub mod host;
pub mod relay;
pub mod remember;
pub mod see;

pub use cmd::proxy::proxy;
