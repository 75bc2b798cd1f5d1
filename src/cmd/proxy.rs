//! `sockeye proxy` as a process: threads, runtimes, signals, and the order of shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::cmd::checked::{listener_policy, ProxyConfig, ShipConfig};
use crate::cmd::reload::{AuditReopen, Listening, PolicyReload, TlsReload, UpstreamTlsReload};
use crate::config::{ListenAddr, ListenSpec};
use crate::event::{Detail, Events, Sink, Watcher};
use crate::guard::current::CurrentGuard;
use crate::guard::policy::Mode;
use crate::guard::state::DaemonState;
use crate::guard::Guard;
use crate::host::reload::{Reload, Reloader};
use crate::host::{fdlimit, systemd};
use crate::relay::health::Health;
use crate::relay::identity::Resolver;
use crate::relay::listen::Bound;
use crate::relay::lookup::{self, LookupClient};
use crate::relay::serve_metrics::MetricsServer;
use crate::relay::serve_ui::UiServer;
use crate::relay::server::{self, Relay};
use crate::relay::tls_live::{self, LiveTls};
use crate::relay::{tls, tls_upstream};
use crate::remember::audit::AuditLog;
use crate::remember::metrics::{Metrics, Scraped};
use crate::remember::ship::otlp::{self, Otlp, OtlpOptions};
use crate::remember::ship::syslog::Syslog;
use crate::remember::ship::RemoteSink;
use crate::see::view;

/// How long shutdown lets the live view finish its last lines once the relay has stopped.
const VIEW_GRACE: Duration = Duration::from_secs(2);

/// How long shutdown lets remote audit sinks deliver what their spool holds.
const SHIP_GRACE: Duration = Duration::from_secs(5);

/// Run `sockeye proxy` until SIGINT or SIGTERM (a second signal stops at once).
///
/// One thread per core, each with its own single-threaded runtime accepting on the same
/// socket: a client connection and its daemon connection then live on one thread, and
/// relaying a request never wakes another thread (measured: cross-thread wake-ups were most
/// of the CPU per small request; see docs/benchmarks.md).
pub fn proxy(mut cfg: ProxyConfig) -> Result<(), String> {
    // First: every record, and the startup line, name this host.
    if let Some(host) = &cfg.audit_host {
        crate::remember::audit::record::set_host(host.clone());
    }
    let fd_limit = fdlimit::raise().map_or_else(
        |e| {
            tracing::warn!("{e}");
            "fd limit unchanged".to_owned()
        },
        |l| l.to_string(),
    );
    // Certificates are read and checked before anything is bound: a bad file stops sockeye
    // at start, not at a client's first handshake.
    let server_tls = match &cfg.tls {
        None => None,
        Some(files) => {
            let loaded = tls_live::load(files)?;
            for warning in &loaded.warnings {
                tracing::warn!("{warning}");
            }
            Some(Arc::new(LiveTls::new(files.clone(), loaded)))
        }
    };
    let (upstream_tls, upstream_live) = match &cfg.upstream_tls {
        None => (None, None),
        Some(files) => {
            let (config, live) = tls_upstream::live_client_config(files)?;
            (Some(config), Some(live))
        }
    };
    let control = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    // Catch the stop signals before anything is bound: a client (or a supervisor) may act the
    // moment a socket accepts, and a SIGTERM then must stop sockeye as it always does (drain,
    // remove the socket files), not kill it with the default action.
    let (mut int, mut term, mut hup) = {
        let _rt = control.enter();
        let catch = |kind| signal(kind).map_err(|e| format!("cannot catch signals: {e}"));
        (
            catch(SignalKind::interrupt())?,
            catch(SignalKind::terminate())?,
            catch(SignalKind::hangup())?,
        )
    };
    let mut bound = Vec::with_capacity(cfg.listen.len());
    let mut names = vec![String::new(); cfg.listen.len()];
    if cfg.socket_activated {
        for (b, addr, name) in activated_sockets()? {
            cfg.listen.push(ListenSpec {
                addr,
                profile: None,
            });
            bound.push(b);
            names.push(format!(" (systemd: {name})"));
        }
    }
    for spec in cfg.listen.iter().skip(bound.len()) {
        let b = Bound::bind(&spec.addr, &cfg.perms).map_err(|e| e.to_string())?;
        bound.push(match (&spec.addr, &server_tls) {
            (ListenAddr::Tls(_), Some(config)) => b.with_tls(config.clone()),
            _ => b,
        });
    }
    warn_about_exposure(&cfg, &bound);
    let facts = startup_facts(&cfg, &fd_limit);
    // The terminal view and the inspector read one lossy channel, drained on one task.
    let inspector = cfg
        .ui
        .map(|ui| crate::cmd::ui::live(&cfg.upstream, ui.keep, ui.keep_bytes));
    let mut watchers: Vec<Box<dyn Watcher>> = Vec::new();
    let mut detail = Detail::default();
    if let Some(view) = cfg.view.clone() {
        detail = detail.with(view.detail());
        watchers.push(Box::new(view::Viewer::new(view)));
    }
    if let Some(inspector) = &inspector {
        detail = detail.with(crate::see::ui::detail());
        watchers.push(Box::new(inspector.clone()));
    }
    let (events, view_task) = if watchers.is_empty() {
        (Events::discard(), None)
    } else {
        let (events, feed) = Events::lossy(4096, detail);
        let task = control.spawn(view::run(feed, watchers));
        (events, Some(task))
    };
    let audit = match &cfg.audit {
        Some(opts) => Some(Arc::new(AuditLog::open(opts.clone()).map_err(|e| {
            format!(
                "cannot open the audit log {}: {e}",
                opts.path.as_deref().unwrap_or("-".as_ref()).display()
            )
        })?)),
        None => None,
    };
    // The policy bundle, fetched while the configuration was checked; polled from here on.
    let bundle = cfg.policy_source.bundle.get().cloned();
    let mut sinks: Vec<Arc<dyn Sink>> = Vec::new();
    if let Some(a) = &audit {
        sinks.push(a.clone());
    }
    let remote = open_remote_sinks(&cfg.ship)?;
    for r in &remote {
        sinks.push(r.clone());
    }
    // Counting needs no caller identity: metrics alone must not cost a lookup per connection.
    let identify = cfg.guard.is_some() || events.viewed() || !sinks.is_empty();
    // Bound now, so a taken port fails startup.
    let ui_server = match (cfg.ui, &inspector) {
        (Some(ui), Some(inspector)) => Some(UiServer::bind(ui.addr, inspector.clone())?),
        _ => None,
    };
    let metrics_server = match cfg.metrics {
        Some(addr) => {
            let m = Metrics::new(Scraped {
                view_dropped: Some(events.dropped_counter()),
                audit: audit.clone(),
                ship: remote.clone(),
            });
            let m = Arc::new(match &bundle {
                Some(_) => m.with_bundle(),
                None => m,
            });
            if let Some(b) = &bundle {
                b.report_to(m.clone());
            }
            sinks.push(m.clone());
            if let Some(digest) = &cfg.policy_digest {
                m.policy_in_force(digest);
            }
            let health = Health {
                upstream: cfg.upstream.clone(),
                upstream_tls: upstream_tls.clone(),
                audit: audit.clone(),
                ship: remote.clone(),
            };
            Some((MetricsServer::bind(addr, m.clone(), health)?, m))
        }
        None => None,
    };
    let (metrics_server, metrics) = match metrics_server {
        Some((server, m)) => (Some(server), Some(m)),
        None => (None, None),
    };
    if let (Some(live), Some(m)) = (&server_tls, &metrics) {
        live.report_to(m.clone());
    }
    let events = events.with_sinks(sinks);
    let relay = Relay {
        upstream: cfg.upstream.clone(),
        upstream_tls: upstream_tls.clone(),
        limits: cfg.limits.clone(),
        events: events.clone(),
        guard: CurrentGuard::new(cfg.guard.clone().unwrap_or_else(|| Arc::new(Guard::open()))),
        // Who runs in which container matters to a policy and to whoever watches.
        resolver: identify.then(|| Resolver::new(cfg.upstream.clone(), upstream_tls.clone())),
        identify,
        tasks: TaskTracker::new(),
    };
    let open = relay.tasks.clone();
    // One relay per listener, so that each can carry its own profile.
    // A listener's own profile is its policy, in place of --policy/--profile; a Rego policy,
    // the mode and the body limit apply to every listener.
    let relays: Vec<Relay> = cfg
        .listen
        .iter()
        .map(|spec| -> Result<Relay, String> {
            let Some(policy) = listener_policy(spec)? else {
                return Ok(relay.clone());
            };
            let (rego, mode, body_limit) = match &cfg.guard {
                Some(g) => (g.rego.clone(), g.mode, g.body_limit),
                None => (None, Mode::Enforce, cfg.limits.max_inspected_body),
            };
            let mut r = relay.clone();
            let guard = Guard::new(Some(policy), rego, mode, body_limit);
            r.guard = CurrentGuard::new(Arc::new(match &cfg.isolation {
                Some(iso) => guard.isolating(iso.clone()),
                None => guard,
            }));
            r.resolver = r
                .resolver
                .or_else(|| Some(Resolver::new(cfg.upstream.clone(), r.upstream_tls.clone())));
            Ok(r)
        })
        .collect::<Result<_, _>>()?;
    drop(relay);
    // Decisions that depend on what the daemon holds (a volume's options, the container an
    // exec runs in) ask it on sockeye's own connections, with a cache kept by its events.
    // A reloaded policy's guards get the same connection (`PolicyReload::state`).
    let policed: Vec<Arc<Guard>> = relays
        .iter()
        .map(|r| r.guard.get())
        .filter(|g| !g.is_open())
        .collect();
    let mut daemon_state = None;
    let identifying = relays.iter().any(|r| r.resolver.is_some());
    if !policed.is_empty() || cfg.policy_source.given() || identifying {
        let client = LookupClient::new(cfg.upstream.clone(), upstream_tls.clone());
        let state = Arc::new(DaemonState::new(Box::new(client.clone())));
        for guard in policed {
            guard.connect_state(state.clone());
        }
        // The same events say when a TCP client's address may have changed hands.
        for resolver in relays.iter().filter_map(|r| r.resolver.as_ref()) {
            resolver.follow(state.clone());
        }
        daemon_state = Some(state.clone());
        std::thread::Builder::new()
            .name("sockeye-events".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(lookup::watch(client, state));
                }
            })
            .map_err(|e| format!("cannot start the daemon events thread: {e}"))?;
    }
    let mut reloader = Reloader::default();
    if let Some(a) = &audit {
        reloader.add(AuditReopen(a.clone()));
    }
    if let Some(live) = upstream_live {
        reloader.add(UpstreamTlsReload(live));
    }
    if let Some(live) = &server_tls {
        reloader.add(TlsReload {
            live: live.clone(),
            audit: audit.clone(),
        });
    }
    if let (true, Some(g)) = (cfg.policy_source.given(), &cfg.guard) {
        let policy = Arc::new(PolicyReload {
            source: cfg.policy_source.clone(),
            mode: g.mode,
            body_limit: g.body_limit,
            listeners: cfg
                .listen
                .iter()
                .zip(&relays)
                .map(|(spec, r)| Listening {
                    spec: spec.clone(),
                    guard: r.guard.clone(),
                })
                .collect(),
            audit: audit.clone(),
            metrics: metrics.clone(),
            digest: std::sync::Mutex::new(cfg.policy_digest.clone()),
            state: daemon_state.clone(),
            isolation: cfg.isolation.clone(),
        });
        reloader.add(policy.clone());
        // A new bundle rebuilds every listener's guard, as a SIGHUP does.
        if let Some(b) = &bundle {
            control.spawn(b.clone().run(move || {
                if let Err(why) = policy.reload() {
                    tracing::error!("policy bundle: the new revision is not in force: {why}");
                }
            }));
        }
    }
    let stop = CancellationToken::new();
    let bound = Arc::new(bound);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut workers = Vec::with_capacity(threads);
    for i in 0..threads {
        let (relays, stop, bound) = (relays.clone(), stop.clone(), bound.clone());
        let worker = std::thread::Builder::new()
            .name(format!("sockeye-{i}"))
            .spawn(move || -> Result<(), String> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the async runtime: {e}"))?;
                rt.block_on(async {
                    rt_keepalive_tick();
                    let mut servers = tokio::task::JoinSet::new();
                    for (b, relay) in bound.iter().zip(relays) {
                        let listener = b
                            .listener()
                            .map_err(|e| format!("cannot listen on {}: {e}", b.local_addr()))?;
                        servers.spawn(server::run(listener, relay, stop.clone().cancelled_owned()));
                    }
                    drop(bound);
                    while let Some(done) = servers.join_next().await {
                        done.map_err(|e| format!("a listener failed: {e}"))?;
                    }
                    Ok(())
                })
            })
            .map_err(|e| format!("cannot start a worker thread: {e}"))?;
        workers.push(worker);
    }
    drop(relays);
    // The view ends when the last sender does: only the relays (now on the workers) hold one.
    drop(events);
    let addrs: Vec<String> = bound
        .iter()
        .zip(&names)
        .map(|(b, name)| format!("{}{name}", b.local_addr()))
        .collect();
    let origin = cfg
        .upstream_origin
        .as_ref()
        .map(|o| format!(" ({o})"))
        .unwrap_or_default();
    tracing::info!(
        "relaying {} → {}{origin}; {}",
        addrs.join(", "),
        cfg.upstream,
        facts
    );
    warn_if_upstream_missing(&cfg.upstream);
    if let Some(server) = metrics_server {
        if let Some(addr) = server.local_addr() {
            tracing::info!("metrics on http://{addr}/metrics, health on http://{addr}/healthz");
        }
        control.spawn(server.serve());
    }
    if let Some(server) = ui_server {
        if let Some(addr) = server.local_addr() {
            tracing::info!("inspector on http://{addr}/");
        }
        control.spawn(server.serve());
    }

    let result = control.block_on(async move {
        // Listening and serving: a Type=notify unit is started now, not before.
        tell_systemd("READY=1");
        loop {
            tokio::select! {
                _ = int.recv() => break,
                _ = term.recv() => break,
                _ = hup.recv() => {
                    // Nothing to read again: SIGHUP stops, as it would without a handler.
                    if reloader.is_empty() {
                        break;
                    }
                    tell_systemd("RELOADING=1");
                    // And ask the bundle server now rather than at the next interval.
                    if let Some(b) = &bundle {
                        b.wake();
                    }
                    // Policy files are small; the control thread serves only metrics.
                    reloader.reload();
                    tell_systemd("READY=1");
                }
            }
        }
        tell_systemd("STOPPING=1");
        // The socket files go first, so new clients fail fast while open requests drain.
        drop(bound);
        stop.cancel();
        match open.len() {
            0 => {}
            n => tracing::info!(
                "draining {n} open connection{} for at most {:?} (Ctrl-C again to stop now)",
                if n == 1 { "" } else { "s" },
                cfg.limits.drain_timeout
            ),
        }
        let joined = tokio::task::spawn_blocking(move || {
            workers.into_iter().map(|w| w.join()).collect::<Vec<_>>()
        });
        tokio::select! {
            joined = joined => {
                for result in joined.map_err(|e| e.to_string())? {
                    match result {
                        Ok(r) => r?,
                        Err(_) => return Err("a worker thread panicked".to_string()),
                    }
                }
            }
            _ = int.recv() => return Err("interrupted again: stopped without draining".into()),
            _ = term.recv() => return Err("terminated again: stopped without draining".into()),
        }
        if !open.is_empty() {
            tracing::warn!(
                "{} connection(s) still open after {:?}; closed them",
                open.len(),
                cfg.limits.drain_timeout
            );
        }
        // Every sender is gone with the workers: the view shows what is left and ends. The
        // bound is for a view stuck writing to a terminal; shutdown never waits on it
        // otherwise, and says so when it did.
        if let Some(task) = view_task {
            if tokio::time::timeout(VIEW_GRACE, task).await.is_err() {
                tracing::warn!(
                    "the live view was still running {VIEW_GRACE:?} after the relay stopped; \
                     stopped without it"
                );
            }
        }
        Ok(())
    });
    // Every call is recorded: remote sinks deliver what they can in a few seconds, and keep
    // the rest in their spool for the next start (at once after a second Ctrl-C).
    let grace = if result.is_ok() {
        SHIP_GRACE
    } else {
        Duration::ZERO
    };
    for r in &remote {
        r.stop(grace);
    }
    // Dropping the runtime would wait for the blocking join of the workers: after a second
    // Ctrl-C they may still be draining, and the process must end now.
    control.shutdown_background();
    result
}

/// The remote audit sinks (`--audit-syslog`), each with its spool opened and its shipping
/// started. A spool that cannot be created or is held by another sockeye fails startup.
fn open_remote_sinks(ship: &ShipConfig) -> Result<Vec<Arc<RemoteSink>>, String> {
    let mut remote = Vec::new();
    if let Some(opts) = &ship.syslog {
        let tls = match &opts.tls_files {
            Some(files) => Some(tls::audit_client_config(
                &files.ca,
                files.cert.as_ref().map(|(c, k)| (c.as_path(), k.as_path())),
                "--audit-syslog",
            )?),
            None => None,
        };
        remote.push(RemoteSink::start(Syslog::new(opts, tls), &ship.options)?);
    }
    if let Some(o) = &ship.otlp {
        let tls = match (o.endpoint.https, &o.cert) {
            (false, _) => None,
            (true, None) => Some(otlp::client_config(o.ca.as_deref())?),
            (true, Some((cert, key))) => {
                let ca = match &o.ca {
                    Some(ca) => ca.clone(),
                    None => otlp::system_bundle()?,
                };
                Some(tls::audit_client_config(
                    &ca,
                    Some((cert.as_path(), key.as_path())),
                    "--audit-otlp",
                )?)
            }
        };
        let opts = OtlpOptions {
            endpoint: o.endpoint.clone(),
            headers: o.headers.clone(),
            tls,
            host: crate::remember::audit::record::host().to_owned(),
            timeout: otlp::TIMEOUT,
        };
        remote.push(RemoteSink::start(Otlp::new(opts), &ship.options)?);
    }
    Ok(remote)
}

/// The sockets systemd passed, adopted, each with the address it is bound to and its name.
fn activated_sockets() -> Result<Vec<(Bound, ListenAddr, String)>, String> {
    let adopt = |e: std::io::Error| format!("cannot use a socket systemd passed: {e}");
    let passed = systemd::take()?;
    if passed.is_empty() {
        return Err("LISTEN_FDS is set, but systemd passed no socket".into());
    }
    passed
        .into_iter()
        .map(|p| match p {
            systemd::Passed::Tcp(l, name) => {
                let addr = l.local_addr().map_err(adopt)?;
                Ok((
                    Bound::adopt_tcp(l).map_err(adopt)?,
                    ListenAddr::Tcp(addr),
                    name,
                ))
            }
            systemd::Passed::Unix(l, name) => {
                let path = l
                    .local_addr()
                    .ok()
                    .and_then(|a| a.as_pathname().map(std::path::Path::to_path_buf))
                    .unwrap_or_default();
                Ok((
                    Bound::adopt_unix(l).map_err(adopt)?,
                    ListenAddr::Unix(path),
                    name,
                ))
            }
        })
        .collect()
}

/// What the startup line says besides the listeners: the policy and its digest, the mode,
/// the audit sinks and the fd limit.
fn startup_facts(cfg: &ProxyConfig, fd_limit: &str) -> String {
    let policy = match &cfg.policy_digest {
        Some(d) => format!("{} ({d})", cfg.policy_source.label()),
        None => cfg.policy_source.label(),
    };
    let mode = match cfg.guard.as_ref().map(|g| g.mode) {
        Some(Mode::Audit) => {
            "mode audit: NOTHING IS ENFORCED, every call is relayed and what the policy would \
             deny is only reported"
        }
        Some(Mode::Enforce) => "mode enforce: denied calls never reach the daemon",
        None => "nothing enforced",
    };
    let mut audit = match &cfg.audit {
        Some(a) => {
            let to = match &a.path {
                Some(p) => format!("audit {}", p.display()),
                None => "audit standard output".to_owned(),
            };
            let format = match a.format {
                crate::remember::audit::AuditFormat::Json => "",
                crate::remember::audit::AuditFormat::Ecs => " (ECS field names)",
            };
            // The host records name, once said: a container's ID there is worth noticing.
            let host = crate::remember::audit::record::host();
            format!("{to}{format}, host {host}")
        }
        // Only remote sinks: the host their records name, said all the same.
        None if cfg.ship.any() => format!("audit host {}", crate::remember::audit::record::host()),
        None => "audit none".to_owned(),
    };
    if let Some(s) = &cfg.ship.syslog {
        audit.push_str(&format!(", syslog {}", s.addr));
    }
    if let Some(o) = &cfg.ship.otlp {
        audit.push_str(&format!(
            "{} otlp {}",
            if cfg.audit.is_some() || cfg.ship.syslog.is_some() {
                ","
            } else {
                ""
            },
            o.endpoint.url()
        ));
    }
    if cfg.ship.any() {
        audit.push_str(&format!(
            " (spool {}, at most {} bytes)",
            cfg.ship.options.spool.display(),
            cfg.ship.options.max_bytes
        ));
    }
    let metrics = cfg
        .metrics
        .map(|m| format!("; metrics {m}"))
        .unwrap_or_default();
    format!("{policy}; {mode}; {audit}{metrics}; {fd_limit}")
}

/// A daemon socket that is not there yet is worth a line at start: every call will be
/// answered "cannot reach the Docker daemon" until the daemon creates it (a daemon started
/// after sockeye is fine, a mistyped path is not).
fn warn_if_upstream_missing(upstream: &crate::config::UpstreamAddr) {
    if let crate::config::UpstreamAddr::Unix(path) = upstream {
        if std::fs::symlink_metadata(path).is_err() {
            tracing::warn!(
                "the upstream socket {} does not exist: calls fail (\"cannot reach the Docker \
                 daemon\") until the daemon creates it; is --upstream (or DOCKER_HOST) right?",
                path.display()
            );
        }
    }
}

/// Tell systemd, when it asked to be told (`Type=notify`); a failure is only logged.
fn tell_systemd(state: &str) {
    if let Err(e) = systemd::notify(state) {
        tracing::warn!("cannot notify systemd ({state}): {e}");
    }
}

/// Keep a timer that fires every second on this runtime.
///
/// hyper re-arms its request-head timer (`--head-timeout`) for every request. When that timer
/// is the earliest one the runtime has, tokio's time driver wakes itself through its eventfd
/// to recompute its sleep: one extra syscall and epoll round per request (measured with
/// strace). With an earlier timer always pending, a new 60 s deadline is never the earliest.
fn rt_keepalive_tick() {
    tokio::spawn(async {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
        }
    });
}

/// Say loudly what an exposed listener lets anyone do. Secure by default means these take a
/// flag (`--insecure-tcp`) or a choice (no `--tls-client-ca`); they still deserve a warning
/// every time sockeye starts.
fn warn_about_exposure(cfg: &ProxyConfig, bound: &[Bound]) {
    // A drop-in says once what it exposes, in its own words.
    if let Some(said) = &cfg.announce {
        tracing::warn!("{said}");
    }
    let client_ca = cfg.tls.as_ref().and_then(|t| t.client_ca.as_ref());
    for (spec, b) in cfg.listen.iter().zip(bound) {
        let addr = b.local_addr();
        match &spec.addr {
            a if a.is_exposed_plain_tcp() && cfg.announce.is_none() => tracing::warn!(
                "!!! INSECURE: {addr} is plain TCP on a non-loopback address (--insecure-tcp). \
                 Anyone who can reach this port can do whatever the policy allows — without a \
                 policy, be root on the Docker host — unauthenticated and unencrypted. Use \
                 tls:// with --tls-client-ca instead."
            ),
            ListenAddr::Tls(_) if client_ca.is_none() => tracing::warn!(
                "{addr}: TLS without --tls-client-ca: the connection is encrypted, but anyone \
                 who can reach this port has the policy's full power (without a policy: root \
                 on the Docker host). Add --tls-client-ca to require client certificates."
            ),
            _ => {}
        }
    }
}
