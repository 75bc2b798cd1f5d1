#![doc = include_str!("../README.md")]

pub mod caller;
pub mod cmd;
pub mod config;
pub mod docker;
pub mod event;
pub mod guard;
pub mod relay;
pub mod remember;
pub mod see;

pub use cmd::proxy::proxy;
