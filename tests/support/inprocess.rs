//! sockeye started inside the test process, on a socket in a temp dir.

use std::path::PathBuf;
use std::time::Duration;

use sockeye::config::{Limits, ListenAddr, SocketPerms, UpstreamAddr};
use sockeye::event::Events;
use sockeye::relay::listen::Bound;
use sockeye::relay::server::{self, Relay};
use tokio::sync::oneshot;

/// An in-process sockeye on a socket in a temp dir.
pub struct Running {
    _dir: tempfile::TempDir,
    /// Owns the socket file; dropped first on shutdown, as `sockeye proxy` does.
    bound: Option<Bound>,
    pub socket: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
}

impl Running {
    pub async fn start(upstream: UpstreamAddr, limits: Limits) -> Running {
        Running::start_with_events(upstream, limits, Events::discard()).await
    }

    /// With `events` going to sinks (an audit log, metrics) the test reads.
    pub async fn start_with_events(
        upstream: UpstreamAddr,
        limits: Limits,
        events: Events,
    ) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("sockeye.sock");
        let bound =
            Bound::bind(&ListenAddr::Unix(socket.clone()), &SocketPerms::default()).unwrap();
        let listener = bound.listener().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let relay = Relay {
            upstream,
            upstream_tls: None,
            limits,
            events,
            guard: std::sync::Arc::new(sockeye::guard::Guard::open()).into(),
            tasks: tokio_util::task::TaskTracker::new(),
            resolver: None,
            identify: false,
        };
        let done = tokio::spawn(server::run(listener, relay, async {
            let _ = stopped.await;
        }));
        Running {
            _dir: dir,
            bound: Some(bound),
            socket,
            stop: Some(stop),
            done,
        }
    }

    pub async fn shutdown(mut self) {
        drop(self.bound.take());
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(20), &mut self.done)
            .await
            .expect("sockeye did not stop")
            .unwrap();
    }
}
