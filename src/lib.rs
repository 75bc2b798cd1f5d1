#![doc = include_str!("../README.md")]

pub mod action;
pub mod body;
pub mod cli;
pub mod config;
pub mod decode;
pub mod describe;
pub mod endpoint;
pub mod error;
pub mod event;
pub mod exchange;
pub mod export;
pub mod json;
pub mod listen;
pub mod redact;
pub mod server;
pub mod stream;
pub mod trace;
pub mod upstream;
pub mod view;

use cli::ProxyConfig;
use event::Events;
use listen::Listener;
use server::Relay;

/// Run `sockeye proxy` until SIGINT or SIGTERM (a second signal stops at once).
pub async fn proxy(cfg: ProxyConfig) -> Result<(), String> {
    let listener = Listener::bind(&cfg.listen, &cfg.perms)
        .await
        .map_err(|e| e.to_string())?;
    let events = match cfg.view {
        None => Events::discard(),
        Some(view) => {
            let (events, rx) = Events::lossy(4096, view.detail());
            tokio::spawn(view::run(rx, events.clone(), view));
            events
        }
    };
    tracing::info!(
        "relaying {} → {} (Ctrl-C to stop)",
        listener.local_addr(),
        cfg.upstream
    );
    let relay = Relay {
        upstream: cfg.upstream,
        limits: cfg.limits,
        events,
    };
    let mut shutdown =
        shutdown_signals().map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let first = async {
        shutdown.recv().await;
    };
    let served = server::run(listener, relay, first);
    tokio::pin!(served);
    served.as_mut().await;
    Ok(())
}

/// SIGINT and SIGTERM, merged.
fn shutdown_signals() -> std::io::Result<tokio::sync::mpsc::Receiver<()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            if tx.send(()).await.is_err() {
                break;
            }
        }
    });
    Ok(rx)
}
