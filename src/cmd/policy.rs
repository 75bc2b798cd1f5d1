//! `sockeye policy check` and `sockeye policy explain`: a policy tried out without a relay.
//! `sockeye policy learn`: a policy written from an audit log.
//!
//! `explain` reads the sample request through the same steps the relay uses
//! ([`crate::guard::needs_body`], [`crate::guard::read`]), so what it says is what the relay
//! will do, refusals of unreadable requests included.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Request};

use crate::caller::{Caller, ClientContainer, Peer};
use crate::cmd::args::{ExplainArgs, LearnArgs, PolicyArgs, PolicyCommand};
use crate::cmd::load::load_policy_file;
use crate::cmd::lookups::Lookups;
use crate::config::UpstreamAddr;
use crate::docker::endpoint;
use crate::guard::policy::{Decision, Mode, Policy};
use crate::guard::state::DaemonState;
use crate::guard::{self, Guard};
use crate::relay::lookup::LookupClient;
use crate::remember::audit::query::{CallerSpec, Filter};
use crate::remember::audit::read::{Malformed, Sources};
use crate::remember::learn::{self, Learner, Options, Skip};

/// Exit status when the request is denied (or the policy is invalid: 2).
const DENIED: i32 = 1;
const INVALID: i32 = 2;
/// `policy explain`: the decision needs the daemon's state, and no daemon was given.
const UNDECIDED: i32 = 3;

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
        PolicyCommand::Explain(args) => match explain(*args) {
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

/// The explanation, and the exit status: 0 allowed, 1 denied or refused, 3 undecided.
fn explain(args: ExplainArgs) -> Result<(String, i32), String> {
    let source = PolicyArgs {
        policy: args.file.clone().or(args.source.policy.clone()),
        ..args.source.clone()
    };
    let policy = source
        .load()?
        .ok_or("give a policy FILE, --profile NAME or --tecnativa-env")?;
    let (method, target) = args
        .request
        .trim()
        .split_once(' ')
        .ok_or("--request takes 'METHOD TARGET', e.g. 'GET /containers/json'")?;
    let body = match &args.body {
        None => None,
        Some(b) => Some(match b.strip_prefix('@') {
            Some(file) => Bytes::from(
                std::fs::read(file).map_err(|e| format!("cannot read --body {file}: {e}"))?,
            ),
            None => Bytes::from(b.clone()),
        }),
    };
    let mut builder = Request::builder().method(method).uri(target.trim());
    if body.is_some() {
        let ct = HeaderValue::from_str(&args.content_type)
            .map_err(|_| "--content-type is not a valid header value")?;
        builder = builder.header(header::CONTENT_TYPE, ct);
    }
    let (parts, ()) = builder
        .body(())
        .map_err(|e| format!("--request {:?}: {e}", args.request))?
        .into_parts();
    let route = endpoint::classify(parts.method.as_str(), parts.uri.path());
    let caller = caller(&args)?;

    let mut out = format!(
        "request: {} {}\nendpoint: {route}\ncaller: {}",
        parts.method, parts.uri, caller.peer
    );
    if let Some(c) = &caller.container {
        out.push_str(&format!(" in container {}", c.name));
    }
    out.push('\n');
    let refused = |out: String, e: crate::relay::error::ProxyError| {
        (
            format!(
                "{out}refused before the policy: {} {e}",
                e.status().as_u16()
            ),
            DENIED,
        )
    };
    let body = match guard::needs_body(&parts, &route, false) {
        Err(e) => return Ok(refused(out, e)),
        Ok(true) => Some(body.unwrap_or_default()),
        Ok(false) => body,
    };
    let mut reading = match guard::read(&parts, &route, body) {
        Err(e) => return Ok(refused(out, e)),
        Ok(r) => r,
    };
    let lookups = Lookups::of(&route, &reading);
    if !lookups.refs.is_empty() {
        let Some(upstream) = &args.upstream else {
            out.push_str(&lookups.needed());
            return Ok((out, UNDECIDED));
        };
        let guard = Guard::new(Some(policy.clone()), None, Mode::Enforce, usize::MAX);
        let addr = UpstreamAddr::parse(upstream).map_err(|e| format!("--upstream: {e}"))?;
        if matches!(addr, UpstreamAddr::Tls(_)) {
            return Err("--upstream: explain asks a unix:// or tcp:// daemon, not tls://".into());
        }
        let client = LookupClient::new(addr.clone(), None);
        guard.connect_state(Arc::new(DaemonState::new(Box::new(client))));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the lookups: {e}"))?;
        match runtime.block_on(guard.consult_state(&parts, &route, &mut reading)) {
            Err(e) => {
                out.push_str(&lookups.failed(&addr));
                return Ok(refused(out, e));
            }
            Ok(pinned) => {
                out.push_str(&lookups.made(&addr, &reading, pinned.as_ref()));
            }
        }
    }
    if let Some(facts) = &reading.facts {
        let escalations = facts.escalations(&[]);
        if !escalations.is_empty() {
            let list: Vec<String> = escalations.iter().map(ToString::to_string).collect();
            out.push_str(&format!("escalations: {}\n", list.join("; ")));
        }
    }
    let explanation = policy.explain(&reading.facts_for(&caller, &parts, &route));
    let code = match explanation.decision {
        Decision::Allow(_) => 0,
        Decision::Deny(_) => DENIED,
    };
    out.push_str("rules:\n");
    out.push_str(&explanation.to_string());
    Ok((out, code))
}

fn caller(args: &ExplainArgs) -> Result<Caller, String> {
    let peer = match &args.source_addr {
        Some(addr) => {
            let addr = addr
                .parse::<SocketAddr>()
                .or_else(|_| addr.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 0)))
                .map_err(|_| format!("--source {addr:?}: expected an IP address"))?;
            Peer::Tcp { addr }
        }
        None => Peer::Unix {
            uid: args.uid.unwrap_or_else(|| nix::unistd::getuid().as_raw()),
            gid: args.gid.unwrap_or_else(|| nix::unistd::getgid().as_raw()),
            pid: None,
            process: args.process.clone(),
            exe: args.exe.clone(),
        },
    };
    let container = match &args.container_name {
        None => None,
        Some(name) => {
            let mut labels = BTreeMap::new();
            for l in &args.label {
                let (k, v) = l
                    .split_once('=')
                    .ok_or_else(|| format!("--label {l:?}: expected KEY=VALUE"))?;
                labels.insert(k.to_owned(), v.to_owned());
            }
            Some(ClientContainer {
                id: args.container_id.clone().unwrap_or_default(),
                name: name.trim_start_matches('/').to_owned(),
                labels,
            })
        }
    };
    Ok(Caller { peer, container })
}
