//! `sockeye policy check` and `sockeye policy explain`: a policy tried out without a relay.
//! `sockeye policy learn`: a policy written from an audit log.
//!
//! `explain` (in `explain.rs`) decides the sample request through the relay's own
//! [`crate::guard::Guard::judge`], so what it says is what the relay will do, refusals of
//! unreadable requests included.

use crate::cmd::args::{LearnArgs, PolicyCommand};
use crate::cmd::load::load_policy_file;
use crate::guard::policy::{Decision, Policy};
use crate::remember::audit::query::{CallerSpec, Filter};
use crate::remember::audit::read::{Malformed, Sources};
use crate::remember::learn::{self, Learner, Options, Skip};

/// Exit status when the request is denied (or the policy is invalid: 2).
const DENIED: i32 = 1;
const INVALID: i32 = 2;

pub fn run(cmd: PolicyCommand) -> i32 {
    match cmd {
        PolicyCommand::Check { file } => match check(&file) {
            Ok(said) => {
                println!("{}: {said}", file.display());
                0
            }
            Err(e) => {
                eprintln!("{e}");
                INVALID
            }
        },
        PolicyCommand::Learn(args) => match learn(args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("sockeye: {e}");
                INVALID
            }
        },
        PolicyCommand::Explain(args) => match crate::cmd::explain::explain(*args) {
            Ok((text, code)) => {
                println!("{text}");
                code
            }
            Err(e) => {
                eprintln!("sockeye: {e}");
                INVALID
            }
        },
    }
}

/// `policy check FILE`: a `.rego` file is read as Rego (as `--policy-rego` reads it), any
/// other as a TOML policy (`--policy`).
fn check(file: &std::path::Path) -> Result<String, String> {
    if file.extension().is_some_and(|e| e == "rego") {
        let rego = crate::guard::rego::RegoPolicy::from_file(file)?;
        let syntax = if rego.rego_v0() { "v0 syntax" } else { "v1" };
        return Ok(format!(
            "valid Rego ({syntax}): asks {}; use it with --policy-rego",
            rego.query()
        ));
    }
    load_policy_file(file).map(|p| summary(&p))
}

/// One line about a loaded policy.
pub fn summary(policy: &Policy) -> String {
    format!(
        "valid: {} rule(s), then default {}",
        policy.rules().len(),
        policy.default_action()
    )
}

/// Learn, write the policy, and check it: it must parse, and every call it learned must be
/// allowed again when replayed through it (read the files a second time, so memory stays
/// that of one line).
fn learn(args: LearnArgs) -> Result<i32, String> {
    let opts = Options {
        client: args
            .client
            .as_deref()
            .map(CallerSpec::parse)
            .transpose()
            .map_err(|e| format!("--client {e}"))?,
        endpoints_only: args.endpoints_only,
        allow_escalations: args.allow_escalations,
    };
    let (since, until) = args.time.parse(crate::cmd::audit::now())?;
    let window = Filter {
        since,
        until,
        ..Filter::default()
    };
    let sources = Sources::open(&args.files)?;
    let names = sources.names();
    let mut learner = Learner::new(opts.clone());
    let mut malformed = Malformed::default();
    let read = sources.for_each(&mut malformed, |r, _| {
        if window.matches(r) {
            learner.add(r);
        }
        true
    });
    if malformed.count > 0 {
        for l in malformed.report().lines() {
            eprintln!("sockeye: {l}");
        }
        eprintln!(
            "sockeye: {} malformed line(s) not learned: what they recorded will be denied",
            malformed.count
        );
    }
    read?;
    let learned = learner.finish(&names);
    let policy = Policy::from_toml(&learned.text).map_err(|errs| {
        let errs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        format!(
            "the learned policy does not parse (a bug in sockeye): {}\n{}",
            errs.join("; "),
            learned.text
        )
    })?;

    // Replay: a learned call the policy denies would break the client it was learned from.
    let mut denied = 0u64;
    let mut examples = Vec::new();
    let rereadable = !args.files.iter().any(|f| f.as_os_str() == "-");
    if rereadable {
        Sources::open(&args.files)?.for_each(&mut Malformed::default(), |r, _| {
            if !window.matches(r) || learn::learnable(r, &opts).is_err() {
                return true;
            }
            if let Some(Decision::Deny(d)) = learn::replay(&policy, r) {
                denied += 1;
                if examples.len() < 5 {
                    examples.push(format!("{} {} ({}): {d}", r.method, r.path, r.time));
                }
            }
            true
        })?;
    }

    match &args.output {
        Some(path) => std::fs::write(path, &learned.text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => print!("{}", learned.text),
    }
    let skipped: Vec<String> = learned
        .skipped
        .iter()
        .filter(|(skip, _)| *skip != Skip::OtherClient)
        .map(|(skip, n)| format!("{n} {}", skip.short()))
        .collect();
    eprintln!(
        "sockeye: learned {} rule(s) for {} client(s) from {} of {} record(s){}",
        learned.rules,
        learned.clients,
        learned.learned,
        learned.records,
        if skipped.is_empty() {
            String::new()
        } else {
            format!("; not learned: {} (see the comments)", skipped.join(", "))
        }
    );
    if learned.learned == 0 {
        eprintln!("sockeye: nothing was learned: the policy denies everything");
        return Ok(DENIED);
    }
    if denied > 0 {
        eprintln!(
            "sockeye: {denied} learned call(s) would be denied by the learned policy (a bug in \
             sockeye), e.g.:"
        );
        for e in examples {
            eprintln!("  {e}");
        }
        return Ok(DENIED);
    }
    if rereadable {
        eprintln!("sockeye: checked: every learned call is allowed again by the policy");
    }
    Ok(0)
}
