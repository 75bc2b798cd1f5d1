//! The subcommands, one file each, and the command line they are parsed from: clap's types
//! ([`args`]), built into checked values ([`checked`]) with what they name read ([`load`]).

pub mod args;
pub mod audit;
pub mod certs;
pub mod certs_index;
pub mod checked;
pub mod dropin;
pub mod explain;
pub mod health;
pub mod load;
pub mod lookups;
pub mod policy;
pub mod proxy;
pub mod reload;
pub mod trace;
pub mod trace_guard;
