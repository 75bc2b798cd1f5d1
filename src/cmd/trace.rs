//! `sockeye trace -- CMD ARGS…`: run a command against a private sockeye and show the API
//! calls it made, then a summary; optionally export them as curl commands or a HAR file.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use crate::cmd::args::TraceArgs;
use crate::cmd::checked::Export;
use crate::config::{Limits, ListenAddr, SocketPerms, UpstreamAddr};
use crate::event::{Call, Event, Events};
use crate::relay::listen::Bound;
use crate::relay::server::{self, Relay};
use crate::see::view::{line, ViewOptions, Viewer, REQUEST_CAPTURE};

/// How long calls still open when the command exits may finish (e.g. an abandoned wait).
const SETTLE: Duration = Duration::from_secs(2);

/// Run the traced command; returns its exit code.
pub async fn run(args: TraceArgs, docker_host: Option<&str>) -> Result<i32, String> {
    let upstream = args.upstream(docker_host)?;
    let exports = args.exports()?;
    let view = args.view.build();
    let dir = tempfile::Builder::new()
        .prefix("sockeye-trace-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let socket = dir.path().join("docker.sock");
    let bound = Bound::bind(
        &ListenAddr::Unix(socket.clone()),
        &SocketPerms {
            mode: 0o600,
            group: None,
        },
    )
    .map_err(|e| e.to_string())?;
    let listener = bound
        .listener()
        .map_err(|e| format!("cannot listen: {e}"))?;

    let mut detail = view.as_ref().map(ViewOptions::detail).unwrap_or_default();
    detail.request_capture = detail.request_capture.max(REQUEST_CAPTURE);
    if !exports.is_empty() {
        detail.heads = true;
        detail.request_capture = detail.request_capture.max(args.view.body_limit);
        detail.response_capture = args.view.body_limit;
    }
    // A trace keeps every call: its summary and exports must be complete.
    let (events, mut rx) = Events::lossless(detail);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = Limits {
        drain_timeout: SETTLE,
        ..Limits::default()
    };
    let relay = Relay {
        upstream: upstream.clone(),
        upstream_tls: None,
        limits,
        events,
        guard: std::sync::Arc::new(crate::guard::Guard::open()).into(),
        tasks: tokio_util::task::TaskTracker::new(),
        resolver: None,
        identify: true,
    };
    let server = tokio::spawn(server::run(listener, relay, async {
        let _ = stopped.await;
    }));

    let collector = tokio::spawn(async move {
        let mut viewer = view.map(Viewer::new);
        let mut calls: Vec<Box<Call>> = Vec::new();
        // Drained on a tick, not awaited, for the reason given at `view::run`.
        let mut tick = tokio::time::interval(crate::see::view::DRAIN_EVERY);
        loop {
            tick.tick().await;
            loop {
                match rx.try_recv() {
                    Ok(event) => {
                        if let Some(v) = viewer.as_mut() {
                            v.show(&event, 0);
                        }
                        if let Event::Call(call) = event {
                            calls.push(call);
                        }
                    }
                    Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                    Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => return calls,
                }
            }
        }
    });

    let started = Instant::now();
    let status = run_command(&args.command, &socket).await;
    let elapsed = started.elapsed();
    let _ = stop.send(());
    let _ = server.await;
    let mut calls = collector
        .await
        .map_err(|e| format!("trace recorder failed: {e}"))?;
    calls.sort_by_key(|c| c.head.start);

    print_summary(&calls, elapsed, &upstream);
    for export in &exports {
        write_export(export, &calls)?;
    }
    let status = status?;
    Ok(exit_code(status))
}

async fn run_command(command: &[String], socket: &std::path::Path) -> Result<ExitStatus, String> {
    let (program, args) = command.split_first().ok_or("no command given after --")?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    child
        .wait()
        .await
        .map_err(|e| format!("waiting for {program}: {e}"))
}

/// The command's own exit code; a signal death maps to 128 + signal, as shells do.
fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

fn print_summary(calls: &[Box<Call>], elapsed: Duration, upstream: &UpstreamAddr) {
    let mut out = Vec::new();
    let (bytes_in, bytes_out) = calls
        .iter()
        .fold((0, 0), |(i, o), c| (i + c.bytes_in, o + c.bytes_out));
    let _ = writeln!(
        out,
        "\n── sockeye trace: {} calls to {upstream} in {} ──",
        calls.len(),
        line::duration(elapsed)
    );
    let steps = steps(calls);
    if !steps.is_empty() {
        let _ = writeln!(out, "steps:");
        for step in steps {
            let _ = writeln!(out, "  {step}");
        }
    }
    let mut by_endpoint: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for c in calls {
        *by_endpoint.entry(c.head.route.name()).or_default() += 1;
        *by_status.entry(line::status_text(c.status())).or_default() += 1;
    }
    let _ = writeln!(out, "endpoints:");
    for (name, n) in &by_endpoint {
        let _ = writeln!(out, "  {n:>4}  {name}");
    }
    let _ = writeln!(out, "statuses:");
    for (status, n) in &by_status {
        let _ = writeln!(out, "  {n:>4}  {status}");
    }
    let _ = writeln!(
        out,
        "bytes: {} to the daemon, {} from it",
        line::bytes(bytes_in),
        line::bytes(bytes_out)
    );
    let _ = std::io::stderr().lock().write_all(&out);
}

fn write_export(export: &Export, calls: &[Box<Call>]) -> Result<(), String> {
    let records: Vec<crate::see::export::Exchange> = calls
        .iter()
        .map(|c| crate::see::describe::exchange(c))
        .collect();
    let (path, text) = match export {
        Export::Curl(path) => (
            path,
            crate::see::export::curl_script(&records, "/var/run/docker.sock"),
        ),
        Export::Har(path) => {
            let har = crate::see::export::har(&records, env!("CARGO_PKG_VERSION"));
            (path, serde_json::to_string_pretty(&har).unwrap_or_default())
        }
    };
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// The commands a person typed, one line each: calls grouped by client process (a new
/// `_ping` from the same process starts a new command), then summarized.
fn steps(calls: &[Box<Call>]) -> Vec<String> {
    use crate::docker::endpoint::Operation;
    use crate::see::action::{summarize, ActionRecord, CallFacts};
    use std::collections::HashMap;

    let mut groups: Vec<Vec<ActionRecord>> = Vec::new();
    let mut open: HashMap<String, usize> = HashMap::new();
    for call in calls {
        let head = &call.head;
        let key = match &head.caller.peer {
            crate::caller::Peer::Unix { pid: Some(pid), .. } => format!("pid {pid}"),
            _ => format!("conn {}", head.id.conn),
        };
        let d = crate::see::describe::describe(head, &call.request_body);
        let query = head.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        let record = ActionRecord::new(&CallFacts {
            method: head.method.as_str(),
            route: &head.route,
            query,
            body: d.request_json.as_ref(),
        });
        let is_ping = matches!(
            record.op,
            Some(Operation::SystemPing | Operation::SystemPingHead)
        );
        if is_ping {
            // A ping opens a new invocation, unless the group so far is only pings (the CLI
            // retries a failed HEAD /_ping as GET /_ping).
            if let Some(&i) = open.get(&key) {
                let only_pings = groups[i].iter().all(|r| {
                    matches!(
                        r.op,
                        Some(Operation::SystemPing | Operation::SystemPingHead)
                    )
                });
                if !only_pings {
                    open.remove(&key);
                }
            }
        }
        let i = *open.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(record);
    }
    groups
        .iter()
        .map(|g| summarize(g))
        .filter(|s| !s.is_empty())
        .collect()
}
