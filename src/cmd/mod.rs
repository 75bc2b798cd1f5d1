//! The subcommands, one file each, and the command line they are parsed from.

pub mod audit;
pub mod certs;
pub mod cli;
pub mod health;
pub mod policy;
pub mod proxy;
pub mod trace;
