#![doc = include_str!("../README.md")]

pub mod action;
pub mod audit;
pub mod audit_cmd;
pub mod body;
pub mod certs;
pub mod cli;
pub mod config;
pub mod decode;
pub mod describe;
pub mod endpoint;
pub mod error;
pub mod event;
pub mod exchange;
pub mod export;
pub mod facts;
pub mod gojson;
pub mod guard;
pub mod identity;
pub mod json;
pub mod listen;
pub mod metrics;
pub mod policy;
pub mod policy_cmd;
pub mod redact;
mod run;
pub mod server;
pub mod stream;
pub mod tls;
pub mod trace;
pub mod upstream;
pub mod view;

pub use run::proxy;
