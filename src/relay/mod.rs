//! The relay: listeners, TLS, one hyper connection per client, the life of a request, the
//! daemon side, and the errors sockeye answers itself.

pub mod accept_failures;
pub mod body;
pub mod bundle_fetch;
mod drain;
pub mod error;
pub mod exchange;
pub mod grpc;
pub mod h2;
pub mod health;
pub mod identity;
pub mod listen;
pub mod lookup;
pub mod routes;
pub mod serve_metrics;
pub mod serve_ui;
pub mod server;
pub mod shape;
mod side;
pub mod splice;
pub mod stream;
pub mod tls;
pub mod tls_live;
pub mod tls_upstream;
pub mod upstream;
