//! `sockeye audit FILE…`: the records of audit logs that match, one line each or as JSON,
//! or a summary of them. Files are streamed: a log of any size takes the memory of one line
//! (plus the summary's counters).

use std::io::{self, BufWriter, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cmd::args::AuditArgs;
use crate::guard::policy::Glob;
use crate::remember::audit::query::{line, CallerSpec, DecisionFilter, Filter, Summary};
use crate::remember::audit::read::{Malformed, Sources};

/// Exit status on errors (bad arguments, unreadable files).
const ERROR: i32 = 2;

pub fn run(args: AuditArgs) -> i32 {
    match query(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("sockeye: {e}");
            ERROR
        }
    }
}

/// Seconds since the epoch, for relative times (`--since 10m`).
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

fn query(args: AuditArgs) -> Result<(), String> {
    let (since, until) = args.time.parse(now())?;
    let filter = Filter {
        callers: args
            .caller
            .iter()
            .map(|c| CallerSpec::parse(c).map_err(|e| format!("--caller {e}")))
            .collect::<Result<_, _>>()?,
        endpoints: args.endpoint.iter().map(|e| Glob(e.clone())).collect(),
        decisions: args
            .decision
            .iter()
            .map(|d| DecisionFilter::parse(d).map_err(|e| format!("--decision: {e}")))
            .collect::<Result<_, _>>()?,
        since,
        until,
    };
    let sources = Sources::open(&args.files)?;
    let mut malformed = Malformed::default();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut summary = Summary::default();
    let mut write_error = None;
    let read = sources.for_each(&mut malformed, |r, raw| {
        if !filter.matches(r) {
            return true;
        }
        if args.summary {
            summary.add(r);
            return true;
        }
        let written = if args.json {
            writeln!(out, "{raw}")
        } else {
            writeln!(out, "{}", line(r))
        };
        // A closed pipe (`| head`) ends the query quietly; other errors are reported.
        match written {
            Ok(()) => true,
            Err(e) => {
                write_error = Some(e);
                false
            }
        }
    });
    if malformed.count > 0 {
        for l in malformed.report().lines() {
            eprintln!("sockeye: {l}");
        }
    }
    read?;
    if args.summary {
        let text = if args.json {
            format!("{}\n", summary.to_json(args.top))
        } else {
            summary.render(args.top)
        };
        if let Err(e) = out.write_all(text.as_bytes()) {
            write_error = Some(e);
        }
        if malformed.count > 0 && !args.json {
            let _ = writeln!(
                out,
                "\n{} malformed line(s) skipped (listed on stderr)",
                malformed.count
            );
        }
    }
    if let Err(e) = out.flush() {
        write_error = Some(e);
    }
    match write_error {
        Some(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}
