//! BuildKit as the daemon serves it on `/grpc`: which RPCs can reach the host, their
//! request messages (protobuf, read with `prost`), the facts those add up to, and gRPC's
//! framing. Pure: the relay hands over the bytes (`relay::grpc`).

pub mod grpc;
pub mod proto;
pub mod rpc;

pub use rpc::{facts, rpc, unread, Rpc, SOLVE};

#[cfg(test)]
mod tests;
