//! `sockeye audit FILE…`: the records of audit logs (of one host or several) that match,
//! merged by time, one line each or as JSON, or a summary of them. Files are streamed: a log
//! of any size takes the memory of one line per file (plus the summary's counters).
//! `--follow` reads the files on as they grow.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cmd::args::AuditArgs;
use crate::docker::endpoint::Operation;
use crate::guard::policy::Glob;
use crate::remember::audit::follow::Follow;
use crate::remember::audit::merge::{Merge, Plain, Source};
use crate::remember::audit::query::{line, CallerSpec, DecisionFilter, Filter, Summary};
use crate::remember::audit::read::Malformed;
use crate::remember::audit::stream::Stream;
use crate::remember::audit::Record;

/// Exit status on errors (bad arguments, unreadable files).
const ERROR: i32 = 2;

/// How often `--follow` looks for more: a log is read by a person, a quarter second late
/// is still live.
const POLL: Duration = Duration::from_millis(250);

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

/// An `--endpoint` that names no endpoint would silently match nothing: say so, with the
/// name probably meant.
fn endpoint(glob: &str) -> Result<Glob, String> {
    let g = Glob(glob.to_owned());
    let names = Operation::ALL.iter().map(|o| o.name()).chain(["Unknown"]);
    if names.into_iter().any(|n| g.matches(n)) {
        return Ok(g);
    }
    let hint = Operation::closest(glob)
        .map(|o| format!("; did you mean {}?", o.name()))
        .unwrap_or_default();
    Err(format!(
        "--endpoint {glob}: no endpoint has that name{hint}"
    ))
}

fn query(args: AuditArgs) -> Result<(), String> {
    let (since, until) = args.time.parse(now())?;
    let filter = Filter {
        callers: args
            .caller
            .iter()
            .map(|c| CallerSpec::parse(c).map_err(|e| format!("--caller {e}")))
            .collect::<Result<_, _>>()?,
        endpoints: args
            .endpoint
            .iter()
            .map(|e| endpoint(e))
            .collect::<Result<_, _>>()?,
        decisions: args
            .decision
            .iter()
            .map(|d| DecisionFilter::parse(d).map_err(|e| format!("--decision: {e}")))
            .collect::<Result<_, _>>()?,
        hosts: args.host.iter().map(|h| Glob(h.clone())).collect(),
        since,
        until,
    };
    // Every log is opened before any is read, so a typo fails before any output.
    let mut merge = Merge::new(open(&args.files, args.follow)?);
    let mut malformed = Malformed::default();
    let mut p = Printer {
        filter,
        summary: args.summary.then(Summary::default),
        json: args.json,
        out: BufWriter::new(io::stdout().lock()),
        write_error: None,
        total: 0,
        matched: 0,
    };
    let mut read = Ok(());
    let mut reported = 0;
    loop {
        match merge.round(&mut malformed, &mut |r, raw| p.record(r, raw)) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                read = Err(e);
                break;
            }
        }
        if !args.follow || merge.ended() {
            break;
        }
        // Shown as they come: a follow has no end to report them at.
        for l in &malformed.shown[reported..] {
            eprintln!("sockeye: {l}");
        }
        reported = malformed.shown.len();
        if let Err(e) = p.out.flush() {
            p.write_error = Some(e);
            break;
        }
        std::thread::sleep(POLL);
    }
    if malformed.count > reported as u64 {
        for l in malformed.report().lines().skip(reported) {
            eprintln!("sockeye: {l}");
        }
    }
    read?;
    let mut out = p.out;
    let mut write_error = p.write_error;
    match p.summary {
        None if p.matched == 0 => {
            let s = if p.total == 1 { "" } else { "s" };
            eprintln!("sockeye: 0 of {} record{s} matched", p.total);
        }
        None => {}
        Some(summary) => {
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

const STDIN: &str = "(standard input)";

/// The logs, each as it is read: to its end, or followed (`--follow`: every file but a
/// rotated one, and standard input as a stream).
fn open(files: &[PathBuf], follow: bool) -> Result<Vec<Box<dyn Source>>, String> {
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err("- (standard input) may be given once".into());
    }
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for f in files {
        if f.as_os_str() == "-" {
            out.push(if follow {
                Box::new(Stream::spawn(STDIN.into(), io::stdin()))
            } else {
                Box::new(Plain::new(STDIN.into(), io::stdin().lock()))
            });
        } else if follow && !rotated(f, files) {
            out.push(Box::new(Follow::open(f)?));
        } else {
            let name = f.display().to_string();
            let file = File::open(f).map_err(|e| format!("cannot read {name}: {e}"))?;
            out.push(Box::new(Plain::new(name, BufReader::new(file))));
        }
    }
    Ok(out)
}

/// `FILE.N` given with `FILE`: a rotated file, which no longer grows. Following it by name
/// would read the next rotation's file again (`FILE` becomes `FILE.1`).
fn rotated(f: &Path, files: &[PathBuf]) -> bool {
    let name = f.as_os_str().to_string_lossy();
    match name.rsplit_once('.') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            files.iter().any(|g| g.as_os_str() == base)
        }
        _ => false,
    }
}

/// Where matching records go: printed, or counted into the summary.
struct Printer<W: Write> {
    filter: Filter,
    /// `Some` with --summary.
    summary: Option<Summary>,
    json: bool,
    out: W,
    write_error: Option<io::Error>,
    total: u64,
    matched: u64,
}

impl<W: Write> Printer<W> {
    /// `false` once standard output is gone.
    fn record(&mut self, r: &Record, raw: &str) -> bool {
        self.total += 1;
        if !self.filter.matches(r) {
            return true;
        }
        self.matched += 1;
        if let Some(summary) = &mut self.summary {
            summary.add(r);
            return true;
        }
        let written = if self.json {
            writeln!(self.out, "{raw}")
        } else {
            writeln!(self.out, "{}", line(r))
        };
        // A closed pipe (`| head`) ends the query quietly; other errors are reported.
        match written {
            Ok(()) => true,
            Err(e) => {
                self.write_error = Some(e);
                false
            }
        }
    }
}
