//! `sockeye ui FILE…`: the inspector page over recorded calls — audit logs, or a HAR file
//! (`trace --export har`) — with no live feed; and what `proxy` and `trace` share to serve
//! it live.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Version};
use serde_json::{json, Map, Value};

use crate::caller::{Caller, Peer};
use crate::cmd::args::UiFilesArgs;
use crate::config::UpstreamAddr;
use crate::event::{AnsweredBy, Call, CallId, Captured, RequestHead, ResponseHead};
use crate::relay::serve_ui::UiServer;
use crate::remember::audit::read::{Malformed, Sources};
use crate::remember::audit::Record;
use crate::see::action::{client_key, ActionRecord, CallFacts};
use crate::see::export::Daemon;
use crate::see::ui::{Inspector, Recorded, Store, BODY_KEEP};

/// Where `sockeye ui` serves when --ui is not given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8484";

/// The daemon a call's curl command talks to: the one sockeye relays to.
pub fn daemon(upstream: &UpstreamAddr) -> Daemon {
    match upstream {
        UpstreamAddr::Unix(p) => Daemon::Unix(p.display().to_string()),
        UpstreamAddr::Tcp(a) | UpstreamAddr::Tls(a) => Daemon::Tcp(a.clone()),
    }
}

/// A live inspector of calls relayed to `upstream`, keeping `keep` of them and at most
/// `keep_bytes`.
pub fn live(upstream: &UpstreamAddr, keep: usize, keep_bytes: usize) -> Inspector {
    Inspector::new(Store::new(
        (keep, keep_bytes),
        BODY_KEEP,
        daemon(upstream),
        true,
    ))
}

/// Bind the inspector's listener and serve it on the current runtime; returns the address.
pub fn serve(addr: SocketAddr, inspector: Inspector) -> Result<SocketAddr, String> {
    let server = UiServer::bind(addr, inspector)?;
    let bound = server.local_addr().unwrap_or(addr);
    tokio::spawn(server.serve());
    Ok(bound)
}

/// Run `sockeye ui FILE…` until interrupted.
pub fn run(args: UiFilesArgs) -> Result<(), String> {
    let addr = match args.ui.addr()? {
        Some(a) => a,
        None => DEFAULT_ADDR.parse().map_err(|e| format!("{e}"))?,
    };
    let keep = if args.ui.ui.is_some() {
        args.ui.ui_keep
    } else {
        1_000_000
    };
    let mut store = Store::new(
        (keep, args.ui.ui_keep_bytes),
        BODY_KEEP,
        Daemon::Unix("/var/run/docker.sock".into()),
        false,
    );
    let loaded = load(&args.files, &mut store)?;
    let inspector = Inspector::new(store);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async move {
        let stop = until_stopped()?;
        let bound = serve(addr, inspector)?;
        tracing::info!("{loaded}; inspector on http://{bound}/ (Ctrl-C to stop)");
        stop.await;
        Ok(())
    })
}

/// Caught now, awaited later: resolves on SIGINT or SIGTERM, so that serving the page ends
/// as a stop ends anything else (the caller cleans up and exits 0) rather than by the
/// default action of SIGTERM (`trace --ui` left its socket's directory behind).
pub fn until_stopped() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let catch = |kind| signal(kind).map_err(|e| format!("cannot catch signals: {e}"));
    let (mut int, mut term) = (
        catch(SignalKind::interrupt())?,
        catch(SignalKind::terminate())?,
    );
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

/// Read every file into `store`: one HAR file, or audit logs. Says what was loaded.
fn load(files: &[std::path::PathBuf], store: &mut Store) -> Result<String, String> {
    if let [one] = files {
        if one.as_os_str() != "-" {
            let text =
                std::fs::read(one).map_err(|e| format!("cannot read {}: {e}", one.display()))?;
            if let Some(Value::Object(har)) = serde_json::from_slice::<Value>(&text)
                .ok()
                .filter(|v| v.get("log").is_some())
            {
                let n = load_har(&har, store).map_err(|e| {
                    format!("{}: not a HAR file sockeye can read: {e}", one.display())
                })?;
                return Ok(format!("{n} calls from {}", one.display()));
            }
        }
    }
    let sources = Sources::open(files)?;
    let names = sources.names().join(", ");
    let mut malformed = Malformed::default();
    let mut n = 0;
    sources.for_each(&mut malformed, |record, _| {
        store.add_recorded(recorded(record));
        n += 1;
        true
    })?;
    if malformed.count > 0 {
        eprint!("{}", malformed.report());
    }
    Ok(format!("{n} calls from {names}"))
}

/// An audit record as the page shows a call: the `--format json` object's fields.
fn recorded(r: &Record) -> Recorded {
    let path = r.path.split('?').next().unwrap_or("");
    let query = r.path.split_once('?').map_or("", |(_, q)| q);
    let route = crate::docker::endpoint::classify(&r.method, path);
    let record = ActionRecord::new(&CallFacts {
        method: &r.method,
        route: &route,
        query,
        body: None,
    })
    .with_status(r.status);
    let mut peer = r.caller.clone();
    let container = peer.container.take();
    let policy = r.decision.as_ref().map(|d| {
        json!({
            "decision": if d == "refused" { "deny" } else { d.as_str() },
            "rule": r.rule.clone().unwrap_or_else(|| d.clone()),
            "reason": r.reason.clone().or_else(|| r.error.clone()),
            "redacted": r.redacted,
        })
    });
    let row = json!({
        "schema": crate::see::view::SCHEMA_VERSION,
        "time": r.time,
        "time_unix": r.time_unix,
        "id": r.id,
        "conn": r.conn,
        "req": r.req,
        "peer": peer,
        "container": container.map(|c| json!({"id": c.id, "name": c.name})),
        "endpoint": r.endpoint,
        "section": r.section,
        "params": r.params,
        "api_version": r.api_version,
        "action": r.action,
        "method": r.method,
        "target": r.path,
        "status": r.status,
        "answered_by": r.answered_by,
        "hijacked": r.hijacked,
        "bytes_in": r.bytes_in,
        "bytes_out": r.bytes_out,
        "duration_ms": r.duration_ms,
        "incomplete": r.incomplete,
        "error": r.error,
        "daemon_message": Value::Null,
        "policy": policy,
    });
    Recorded {
        row: match row {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        client: client_key(r.caller.pid, r.conn),
        record,
        extra: json!({ "facts": r.facts }),
    }
}

/// The calls of a HAR file, as the relay would have recorded them (no caller: a HAR has
/// none). Returns how many.
fn load_har(har: &Map<String, Value>, store: &mut Store) -> Result<usize, String> {
    let entries = har
        .get("log")
        .and_then(|l| l.get("entries"))
        .and_then(Value::as_array)
        .ok_or("no log.entries")?;
    for (i, e) in entries.iter().enumerate() {
        let call = har_call(i as u64 + 1, e).map_err(|why| format!("entry {}: {why}", i + 1))?;
        store.add(&call, false, None);
    }
    Ok(entries.len())
}

fn har_call(n: u64, e: &Value) -> Result<Call, String> {
    let req = e.get("request").ok_or("no request")?;
    let method = req
        .get("method")
        .and_then(Value::as_str)
        .ok_or("no request.method")?;
    let url = req
        .get("url")
        .and_then(Value::as_str)
        .ok_or("no request.url")?;
    // `http://docker/v1.41/containers/json?all=1` → `/v1.41/containers/json?all=1`.
    let target = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    };
    let path = target.split('?').next().unwrap_or("");
    let start = e
        .get("startedDateTime")
        .and_then(Value::as_str)
        .and_then(|t| crate::docker::time::parse_time(t, 0.0).ok())
        .map_or(UNIX_EPOCH, |s| {
            UNIX_EPOCH + Duration::from_secs_f64(s.max(0.0))
        });
    let id = CallId { conn: 1, req: n };
    let head = Arc::new(RequestHead {
        id,
        start,
        caller: Arc::new(Caller::bare(Peer::Tcp {
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        })),
        method: method
            .parse::<Method>()
            .map_err(|_| format!("bad method {method:?}"))?,
        target: target.to_owned(),
        version: Version::HTTP_11,
        headers: headers(req.get("headers")),
        route: crate::docker::endpoint::classify(method, path),
    });
    let (request_body, bytes_in) = har_body(req.get("postData"), req.get("bodySize"));
    let resp = e.get("response");
    let status = resp
        .and_then(|r| r.get("status"))
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|&s| s > 0);
    let (response_body, bytes_out) = har_body(
        resp.and_then(|r| r.get("content")),
        resp.and_then(|r| r.get("bodySize")),
    );
    Ok(Call {
        response: status.map(|status| {
            Arc::new(ResponseHead {
                id,
                status,
                version: Version::HTTP_11,
                headers: headers(resp.and_then(|r| r.get("headers"))),
            })
        }),
        head,
        answered_by: AnsweredBy::Daemon,
        bytes_in,
        bytes_out,
        hijacked: e.get("_hijacked").and_then(Value::as_bool).unwrap_or(false),
        incomplete: false,
        duration: Duration::from_secs_f64(
            e.get("time")
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
                .max(0.0)
                / 1000.0,
        ),
        error: None,
        request_body,
        response_body,
        verdict: None,
        facts: None,
        fault: None,
    })
}

fn headers(list: Option<&Value>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for h in list.and_then(Value::as_array).into_iter().flatten() {
        let (Some(name), Some(value)) = (
            h.get("name").and_then(Value::as_str),
            h.get("value").and_then(Value::as_str),
        ) else {
            continue;
        };
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(k, v);
        }
    }
    map
}

/// A HAR body (`postData` or `content`): its bytes, and its size as recorded.
fn har_body(body: Option<&Value>, size: Option<&Value>) -> (Captured, u64) {
    let text = body.and_then(|b| b.get("text")).and_then(Value::as_str);
    let base64 = body.and_then(|b| b.get("encoding")).and_then(Value::as_str) == Some("base64");
    let bytes = match text {
        Some(t) if base64 => data_encoding::BASE64
            .decode(t.as_bytes())
            .map(Bytes::from)
            .unwrap_or_default(),
        Some(t) => Bytes::from(t.to_owned()),
        None => Bytes::new(),
    };
    let size = body
        .and_then(|b| b.get("size"))
        .or(size)
        .and_then(Value::as_i64)
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(bytes.len() as u64);
    let whole = bytes.len() as u64 == size;
    (Captured { bytes, whole }, size)
}
