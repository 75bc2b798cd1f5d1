//! sockeye started inside the test process, on a socket in a temp dir.

use std::path::PathBuf;
use std::time::Duration;

use sockeye::config::{Limits, ListenAddr, SocketPerms, UpstreamAddr};
use sockeye::event::Events;
use sockeye::listen::Listener;
use sockeye::server::{self, Relay};
use tokio::sync::oneshot;

/// An in-process sockeye on a socket in a temp dir.
pub struct Running {
    _dir: tempfile::TempDir,
    pub socket: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
}

impl Running {
    pub async fn start(upstream: UpstreamAddr, limits: Limits) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("sockeye.sock");
        let listener = Listener::bind(&ListenAddr::Unix(socket.clone()), &SocketPerms::default())
            .await
            .unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let relay = Relay {
            upstream,
            limits,
            events: Events::discard(),
        };
        let done = tokio::spawn(server::run(listener, relay, async {
            let _ = stopped.await;
        }));
        Running {
            _dir: dir,
            socket,
            stop: Some(stop),
            done,
        }
    }

    pub async fn shutdown(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(20), &mut self.done)
            .await
            .expect("sockeye did not stop")
            .unwrap();
    }
}
