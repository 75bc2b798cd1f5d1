//! `sockeye proxy` as a process: threads, runtimes, signals, and the order of shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

use crate::audit::AuditLog;
use crate::cli::ProxyConfig;
use crate::event::{Events, Sink};
use crate::listen::Bound;
use crate::metrics::{health::Health, Metrics, MetricsServer, Scraped};
use crate::server::{self, Relay};
use crate::view;

/// Run `sockeye proxy` until SIGINT or SIGTERM (a second signal stops at once).
///
/// One thread per core, each with its own single-threaded runtime accepting on the same
/// socket: a client connection and its daemon connection then live on one thread, and
/// relaying a request never wakes another thread (measured: cross-thread wake-ups were most
/// of the CPU per small request; see docs/benchmarks.md).
pub fn proxy(cfg: ProxyConfig) -> Result<(), String> {
    let bound = Bound::bind(&cfg.listen, &cfg.perms).map_err(|e| e.to_string())?;
    let control = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let (events, view_task) = match cfg.view {
        None => (Events::discard(), None),
        Some(view) => {
            let (events, rx) = Events::lossy(4096, view.detail());
            let task = control.spawn(view::run(rx, events.clone(), view));
            (events, Some(task))
        }
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
    let mut sinks: Vec<Arc<dyn Sink>> = Vec::new();
    if let Some(a) = &audit {
        sinks.push(a.clone());
    }
    // Counting needs no caller identity: metrics alone must not cost a lookup per connection.
    let identify = cfg.guard.is_some() || events.viewed() || !sinks.is_empty();
    let metrics_server = match cfg.metrics {
        Some(addr) => {
            let m = Arc::new(Metrics::new(Scraped {
                view_dropped: Some(events.dropped_counter()),
                audit: audit.clone(),
            }));
            sinks.push(m.clone());
            let health = Health {
                upstream: cfg.upstream.clone(),
                audit: audit.clone(),
            };
            Some(MetricsServer::bind(addr, m, health)?)
        }
        None => None,
    };
    let events = events.with_sinks(sinks);
    let relay = Relay {
        upstream: cfg.upstream.clone(),
        limits: cfg.limits,
        events: events.clone(),
        guard: cfg.guard.clone(),
        // Who runs in which container matters to a policy and to whoever watches.
        resolver: identify.then(|| crate::identity::Resolver::new(cfg.upstream.clone())),
    };
    let stop = CancellationToken::new();
    let bound = Arc::new(bound);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut workers = Vec::with_capacity(threads);
    for i in 0..threads {
        let (relay, stop, bound) = (relay.clone(), stop.clone(), bound.clone());
        let worker = std::thread::Builder::new()
            .name(format!("sockeye-{i}"))
            .spawn(move || -> Result<(), String> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the async runtime: {e}"))?;
                rt.block_on(async {
                    rt_keepalive_tick();
                    let listener = bound
                        .listener()
                        .map_err(|e| format!("cannot listen: {e}"))?;
                    drop(bound);
                    server::run(listener, relay, stop.cancelled_owned()).await;
                    Ok(())
                })
            })
            .map_err(|e| format!("cannot start a worker thread: {e}"))?;
        workers.push(worker);
    }
    drop(relay);
    tracing::info!(
        "relaying {} → {} (Ctrl-C to stop)",
        bound.local_addr(),
        cfg.upstream
    );
    if let Some(server) = metrics_server {
        if let Some(addr) = server.local_addr() {
            tracing::info!("metrics on http://{addr}/metrics, health on http://{addr}/healthz");
        }
        control.spawn(server.serve());
    }

    control.block_on(async move {
        let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
        let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
        let mut hup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
        loop {
            tokio::select! {
                _ = int.recv() => break,
                _ = term.recv() => break,
                _ = hup.recv() => match &audit {
                    // logrotate moved the file: the next record goes to a new one.
                    Some(a) => a.request_reopen(),
                    None => break,
                },
            }
        }
        // The socket file goes first, so new clients fail fast while open requests drain.
        drop(bound);
        stop.cancel();
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
        // Every sender is gone with the workers: the view shows what is left and ends.
        if let Some(task) = view_task {
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
        Ok(())
    })
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
