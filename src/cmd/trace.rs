//! `sockeye trace -- CMD ARGS…`: run a command against a private sockeye and show the API
//! calls it made, then a summary; optionally export them as curl commands or a HAR file.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use crate::cmd::args::TraceArgs;
use crate::cmd::checked::Export;
use crate::config::{DockerEnv, Limits, ListenAddr, SocketPerms, UpstreamAddr};
use crate::event::{Call, Event, Events, Watcher};
use crate::relay::listen::Bound;
use crate::relay::server::{self, Relay};
use crate::see::view::{line, Output, ViewOptions, Viewer, REQUEST_CAPTURE};

/// How long calls still open when the command exits may finish (e.g. an abandoned wait).
const SETTLE: Duration = Duration::from_secs(2);

/// Run the traced command; returns its exit code.
pub async fn run(args: TraceArgs, env: DockerEnv) -> Result<i32, String> {
    let upstream = args.upstream(env)?;
    let exports = args.exports()?;
    let watch = crate::cmd::trace_guard::Watch::new(&args.policy, args.learn)?;
    // JSON records on stderr by default: stdout is the traced command's own.
    let view = args.view.build(Output::Stderr)?;
    let ui = args.ui.build()?;
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
    let inspector = match ui {
        Some(ui) => {
            detail = detail.with(crate::see::ui::detail());
            let inspector = crate::cmd::ui::live(&upstream, ui.keep, ui.keep_bytes);
            let bound = crate::cmd::ui::serve(ui.addr, inspector.clone())?;
            eprintln!("sockeye: inspector on http://{bound}/");
            Some((inspector, bound))
        }
        None => None,
    };
    let mut watching = inspector.as_ref().map(|(i, _)| i.clone());
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
        guard: watch.guard(&upstream).into(),
        tasks: tokio_util::task::TaskTracker::new(),
        resolver: watch.resolver(&upstream),
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
                        if let Some(i) = watching.as_mut() {
                            i.show(&event, 0);
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

    print_summary(&calls, elapsed, &upstream, status.as_ref().ok().copied());
    eprint!("{}", watch.report(&calls));
    for export in &exports {
        write_export(export, &calls, &upstream)?;
    }
    let status = status?;
    if let Some((_, bound)) = inspector {
        let stop = crate::cmd::ui::until_stopped()?;
        eprintln!("sockeye: the inspector still serves http://{bound}/ (Ctrl-C to stop)");
        stop.await;
    }
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

/// How the command ended, as a shell would say it.
fn ended(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!(
            "was killed by signal {signal} (exit status {})",
            exit_code(status)
        ),
        (None, None) => "ended without an exit status".into(),
    }
}

fn print_summary(
    calls: &[Box<Call>],
    elapsed: Duration,
    upstream: &UpstreamAddr,
    status: Option<ExitStatus>,
) {
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
    if let Some(status) = status {
        let _ = writeln!(out, "command: {}", ended(status));
    }
    if calls.is_empty() {
        let _ = writeln!(
            out,
            "no API calls: the command did not talk to the daemon through DOCKER_HOST"
        );
        let _ = std::io::stderr().lock().write_all(&out);
        return;
    }
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

fn write_export(
    export: &Export,
    calls: &[Box<Call>],
    upstream: &UpstreamAddr,
) -> Result<(), String> {
    let records: Vec<crate::see::export::Exchange> = calls
        .iter()
        .map(|c| crate::see::describe::exchange(c))
        .collect();
    let (path, text) = match export {
        Export::Curl(path) => {
            use crate::see::export::Daemon;
            let daemon = match upstream {
                UpstreamAddr::Unix(p) => Daemon::Unix(p.display().to_string()),
                UpstreamAddr::Tcp(a) | UpstreamAddr::Tls(a) => Daemon::Tcp(a.clone()),
            };
            (path, crate::see::export::curl_script(&records, &daemon))
        }
        Export::Har(path) => {
            let har = crate::see::export::har(&records, env!("CARGO_PKG_VERSION"));
            (path, serde_json::to_string_pretty(&har).unwrap_or_default())
        }
    };
    let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    std::fs::write(path, text).map_err(cannot)?;
    if matches!(export, Export::Curl(_)) {
        // A script to run: executable, whatever the umask or an older file's mode.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(cannot)?;
    }
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// The commands a person typed, one line each: calls grouped by client process as
/// [`Grouper`](crate::see::action::Grouper) groups them, then summarized.
fn steps(calls: &[Box<Call>]) -> Vec<String> {
    use crate::see::action::{client_key, steps as commands, ActionRecord, CallFacts, Grouper};

    let mut groups: Vec<Vec<ActionRecord>> = Vec::new();
    let mut grouper = Grouper::default();
    for call in calls {
        let head = &call.head;
        let d = crate::see::describe::describe(head, &call.request_body);
        let query = head.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        let record = ActionRecord::new(&CallFacts {
            method: head.method.as_str(),
            route: &head.route,
            query,
            body: d.request_json.as_ref(),
        })
        .with_status(call.status());
        let i =
            grouper.assign(&client_key(head.caller.peer.pid(), head.id.conn), record.op) as usize;
        if i == groups.len() {
            groups.push(Vec::new());
        }
        groups[i].push(record);
    }
    groups.iter().flat_map(|g| commands(g)).collect()
}
