//! The subcommands, one file each, and the command line they are parsed from: clap's types
//! ([`args`]), built into checked values ([`checked`]) with what they name read ([`load`]).

pub mod args;
pub mod audit;
pub mod bundle;
pub mod certs;
pub mod certs_index;
pub mod check;
pub mod checked;
pub mod dropin;
pub mod explain;
pub mod health;
pub mod load;
pub mod lookups;
pub mod policy;
pub mod proxy;
pub mod range;
pub mod reload;
pub mod trace;
pub mod trace_guard;
pub mod ui;

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;

/// The command line parsed, or clap's error printed and the process ended (exit 2).
pub fn parse(argv: impl IntoIterator<Item = OsString>) -> args::Cli {
    try_parse(argv).unwrap_or_else(|e| e.exit())
}

/// [`parse`] without exiting: clap's errors, with a hint where a person's mistake is a known
/// one (`sockeye trace docker ps` without the `--` before the command).
pub fn try_parse(argv: impl IntoIterator<Item = OsString>) -> Result<args::Cli, clap::Error> {
    let argv: Vec<OsString> = argv.into_iter().collect();
    args::Cli::try_parse_from(&argv).map_err(|mut e| {
        let subcommand = argv
            .iter()
            .skip(1)
            .find(|a| !a.to_string_lossy().starts_with('-'));
        if e.kind() == ErrorKind::UnknownArgument
            && subcommand.is_some_and(|s| s == "trace")
            && !argv.iter().any(|a| a == "--")
        {
            e.insert(
                ContextKind::Suggested,
                ContextValue::StyledStrs(vec![
                    "the command to trace goes after `--`: sockeye trace [OPTIONS] -- docker ps"
                        .into(),
                ]),
            );
        }
        e
    })
}
