//! `sockeye policy explain`: the relay's answer to one sample request, and why.
//!
//! The request is decided by [`Guard::judge`], the relay's own path from a request to its
//! answer, with a guard built as `proxy` builds it: the same policy loading (TOML and Rego),
//! mode and body limit, the same daemon lookups when `--upstream` is given, and a caller
//! made as the relay makes one (a Unix-socket client, a TCP or TLS client with its
//! certificate, the container it runs in). What explain adds is only the telling: each rule
//! tried, the Rego policy's word, each lookup.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Request};

use crate::caller::{Caller, ClientCert, ClientContainer, Peer};
use crate::cmd::args::{ExplainArgs, ModeArg, PolicyArgs};
use crate::cmd::checked::MIN_MAX_BODY;
use crate::cmd::lookups::Lookups;
use crate::config::UpstreamAddr;
use crate::docker::endpoint;
use crate::guard::error::ProxyError;
use crate::guard::policy::Mode;
use crate::guard::state::DaemonState;
use crate::guard::{Account, Body, Guard};
use crate::relay::identity::Resolver;
use crate::relay::lookup::LookupClient;

/// Exit status when the request is denied or refused.
pub const DENIED: i32 = 1;
/// The decision needs the daemon's state, and no daemon was given.
pub const UNDECIDED: i32 = 3;

/// The explanation, and the exit status: 0 allowed, 1 denied or refused, 3 undecided.
pub fn explain(args: ExplainArgs) -> Result<(String, i32), String> {
    let source = PolicyArgs {
        policy: args.file.clone().or(args.source.policy.clone()),
        ..args.source.clone()
    };
    if !source.given() {
        return Err(
            "give a policy FILE, --profile NAME, --tecnativa-env or --policy-rego FILE".into(),
        );
    }
    // Read as `proxy` reads them: a Rego file that cannot be read fails here as it fails there.
    let loaded = source.load_digested()?;
    let mode = match args.mode {
        ModeArg::Enforce => Mode::Enforce,
        ModeArg::Audit => Mode::Audit,
    };
    if args.max_body < MIN_MAX_BODY {
        return Err(format!("--max-body must be at least {MIN_MAX_BODY}"));
    }
    let guard = Guard::new(loaded.policy, loaded.rego, mode, args.max_body);

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

    let upstream = match &args.upstream {
        None => None,
        Some(u) => {
            let addr = UpstreamAddr::parse(u).map_err(|e| format!("--upstream: {e}"))?;
            if matches!(addr, UpstreamAddr::Tls(_)) {
                return Err(
                    "--upstream: explain asks a unix:// or tcp:// daemon, not tls://".into(),
                );
            }
            guard.connect_state(Arc::new(DaemonState::new(Box::new(LookupClient::new(
                addr.clone(),
                None,
            )))));
            Some(addr)
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the lookups: {e}"))?;
    let caller = runtime.block_on(caller(&args, upstream.as_ref()))?;

    let mut out = String::new();
    if let Some(digest) = &loaded.digest {
        out.push_str(&format!("policy: {digest}\n"));
    }
    out.push_str(&format!(
        "request: {} {}\nendpoint: {route}\ncaller: {}",
        parts.method, parts.uri, caller.peer
    ));
    if let Some(c) = &caller.container {
        out.push_str(&format!(" in container {}", c.name));
        if !c.labels.is_empty() {
            let labels: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&format!(" ({})", labels.join(", ")));
        }
    }
    out.push('\n');

    let mut account = Account::default();
    let judged = runtime.block_on(guard.judge(
        &caller,
        &parts,
        &route,
        Body::Given(body),
        Some(&mut account),
    ));
    let refused = |mut out: String, e: &ProxyError| {
        out.push_str(&format!(
            "refused before the policy: {} {e}",
            e.status().as_u16()
        ));
        (out, DENIED)
    };
    if !account.read {
        let Err(r) = &judged else {
            unreachable!("a guard with a policy reads every request it clears")
        };
        return Ok(refused(out, &r.error));
    }
    let lookups = Lookups::of(&route, account.facts_read.as_deref());
    if !lookups.refs.is_empty() {
        let Some(addr) = &upstream else {
            out.push_str(&lookups.needed());
            return Ok((out, UNDECIDED));
        };
        match &judged {
            Err(r) if !matches!(r.error, ProxyError::Denied(_)) => {
                out.push_str(&lookups.failed(addr));
                return Ok(refused(out, &r.error));
            }
            _ => {
                out.push_str(&lookups.made(addr, account.facts.as_deref(), account.pinned.as_ref()))
            }
        }
    }
    if let Err(r) = &judged {
        if !matches!(r.error, ProxyError::Denied(_)) {
            return Ok(refused(out, &r.error));
        }
    }
    if let Some(facts) = &account.facts {
        let escalations = facts.escalations(&[]);
        if !escalations.is_empty() {
            let list: Vec<String> = escalations.iter().map(ToString::to_string).collect();
            out.push_str(&format!("escalations: {}\n", list.join("; ")));
        }
    }
    if account.toml {
        out.push_str("rules:\n");
        for step in &account.steps {
            out.push_str(&format!("  {step}\n"));
        }
    }
    if let Some(line) = account.rego_line(guard.rego.as_ref().map(|r| r.name())) {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(match judged {
        Ok(cleared) => {
            let permit = cleared.permit();
            match permit.overruled() {
                Some(denial) => out.push_str(&format!(
                    "forwarded in audit mode; enforcing, it would be {denial}"
                )),
                None => out.push_str(&format!("allowed by rule {}", permit.rule())),
            }
            if !permit.redact().is_empty() {
                out.push_str(&format!(
                    "; the answer is shown with {} redacted",
                    permit.redact()
                ));
            }
            (out, 0)
        }
        Err(r) => {
            let ProxyError::Denied(denial) = &r.error else {
                unreachable!("other refusals were told above")
            };
            out.push_str(&denial.to_string());
            (out, DENIED)
        }
    })
}

/// The caller the relay would see: a Unix-socket client (yours by default), a TCP client, or
/// a TLS client with its certificate; in a container given as is, or resolved with the
/// daemon as the relay resolves one.
async fn caller(args: &ExplainArgs, upstream: Option<&UpstreamAddr>) -> Result<Caller, String> {
    let tls = args.tls || args.cert_subject.is_some() || !args.cert_san.is_empty();
    let addr = match &args.source_addr {
        Some(addr) => Some(
            addr.parse::<SocketAddr>()
                .or_else(|_| addr.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 0)))
                .map_err(|_| format!("--source {addr:?}: expected an IP address"))?,
        ),
        None => None,
    };
    let peer = match (addr, tls) {
        (addr, true) => Peer::Tls {
            addr: addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
            cert: cert(args)?,
        },
        (Some(addr), false) => Peer::Tcp { addr },
        (None, false) => Peer::Unix {
            uid: args.uid.unwrap_or_else(|| nix::unistd::getuid().as_raw()),
            gid: args.gid.unwrap_or_else(|| nix::unistd::getgid().as_raw()),
            pid: None,
            process: args.process.clone(),
            exe: args.exe.clone(),
        },
    };
    let container = match (&args.container_name, &args.container, upstream) {
        (Some(name), _, _) => {
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
        (None, Some(wanted), Some(daemon)) => {
            // The relay knows a caller's container by its full ID (from the cgroup); a person
            // knows it by name: the daemon says which ID that is, then the relay's own
            // resolution says what the relay would know of it.
            let id = container_id(daemon, wanted).await?;
            let found = Resolver::new(daemon.clone(), None)
                .container_by_id(&id)
                .await;
            Some(found.ok_or_else(|| {
                format!("--container {wanted:?}: {daemon} did not describe container {id}")
            })?)
        }
        // A network client on a container network is the container that holds its address.
        (None, None, Some(daemon)) => match peer.addr() {
            Some(addr) => {
                Resolver::new(daemon.clone(), None)
                    .container_by_addr(addr.ip())
                    .await
            }
            None => None,
        },
        _ => None,
    };
    Ok(Caller { peer, container })
}

/// The certificate of `--cert-subject` and `--cert-san`, read as the relay reads a verified
/// one ([`ClientCert::from_der`]): the subject's first CN is its common name.
fn cert(args: &ExplainArgs) -> Result<Option<ClientCert>, String> {
    if args.cert_subject.is_none() && args.cert_san.is_empty() {
        return Ok(None);
    }
    let subject = args.cert_subject.clone().unwrap_or_default();
    let mut common_name = None;
    for attr in split_rdns(&subject) {
        let (key, value) = attr
            .split_once('=')
            .ok_or_else(|| format!("--cert-subject {subject:?}: expected TYPE=VALUE,…"))?;
        if key.trim().eq_ignore_ascii_case("CN") && common_name.is_none() {
            common_name = Some(unescape(value.trim()));
        }
    }
    Ok(Some(ClientCert {
        subject,
        common_name,
        sans: args.cert_san.clone(),
    }))
}

/// An RFC 4514 name's attributes: split at the commas and plus signs not escaped by `\`.
fn split_rdns(subject: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, c) in subject.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' | '+' => {
                parts.push(&subject[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&subject[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// The full ID of the container `wanted` names, as the daemon says.
async fn container_id(daemon: &UpstreamAddr, wanted: &str) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Inspected {
        #[serde(rename = "Id")]
        id: String,
    }
    // Container names and IDs are these characters only; anything else names no container.
    if wanted.is_empty()
        || !wanted
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        return Err(format!(
            "--container {wanted:?}: not a container name or ID"
        ));
    }
    let path = format!("/containers/{wanted}/json");
    let stream = crate::relay::upstream::connect(daemon, None)
        .await
        .map_err(|e| format!("--container: cannot connect to {daemon}: {e}"))?;
    let (status, body) = crate::relay::upstream::get_once(stream, &path, 4 << 20)
        .await
        .map_err(|e| format!("--container: {daemon}: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "--container {wanted:?}: {daemon} answered {status}: {}",
            String::from_utf8_lossy(&body).trim()
        ));
    }
    serde_json::from_slice::<Inspected>(&body)
        .map(|c| c.id)
        .map_err(|e| format!("--container {wanted:?}: {daemon}'s answer: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_subject_is_read_for_its_first_common_name() {
        let names = |s: &str| {
            split_rdns(s)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("CN=alice,O=ops"), ["CN=alice", "O=ops"]);
        assert_eq!(names(r"CN=a\,b+OU=x"), [r"CN=a\,b", "OU=x"]);
        assert_eq!(unescape(r"a\,b"), "a,b");
    }
}
