//! The guard's questions to the daemon, on sockeye's own connections: one GET per lookup,
//! and the `/events` stream that keeps the guard's cache honest.
//!
//! A lookup opens a connection of its own, as the container resolver does: it is never the
//! client's connection (whose next request may already be on the wire) and needs no pool to
//! be correct. The cache in `guard::state` is what spares repeated lookups.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper::Request;
use hyper_util::rt::TokioIo;

use crate::config::UpstreamAddr;
use crate::guard::state::{Daemon, DaemonState, Fetched};
use crate::relay::upstream::{connect, error_chain, get_once};

/// Largest inspect answer read: a container with thousands of labels and mounts fits.
const MAX_ANSWER: usize = 8 * 1024 * 1024;
/// A lookup the daemon does not answer in this long fails the decision (it is refused).
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);
/// Wait before reconnecting a broken events stream; the cache is off meanwhile.
const EVENTS_RETRY: Duration = Duration::from_secs(1);

/// sockeye's own connection to the daemon it relays to.
#[derive(Clone)]
pub struct LookupClient {
    daemon: UpstreamAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl LookupClient {
    pub fn new(daemon: UpstreamAddr, tls: Option<Arc<rustls::ClientConfig>>) -> LookupClient {
        LookupClient { daemon, tls }
    }
}

impl Daemon for LookupClient {
    fn get(&self, path: String) -> Fetched<'_> {
        Box::pin(async move {
            let call = async {
                let stream = connect(&self.daemon, self.tls.as_ref())
                    .await
                    .map_err(|e| format!("cannot reach the daemon at {}: {e}", self.daemon))?;
                let (status, body) = get_once(stream, &path, MAX_ANSWER).await?;
                Ok((status.as_u16(), body))
            };
            tokio::time::timeout(LOOKUP_TIMEOUT, call)
                .await
                .unwrap_or_else(|_| Err(format!("no answer within {LOOKUP_TIMEOUT:?}")))
        })
    }
}

/// Follow the daemon's container, volume, network and image events for as long as the process runs, feeding
/// them to `state`; the cache is used only while the stream is connected.
pub async fn watch(client: LookupClient, state: Arc<DaemonState>) {
    loop {
        if let Err(e) = follow(&client, &state).await {
            tracing::debug!("daemon events stream: {e}");
        }
        state.set_live(false);
        tokio::time::sleep(EVENTS_RETRY).await;
    }
}

async fn follow(client: &LookupClient, state: &DaemonState) -> Result<(), String> {
    let stream = connect(&client.daemon, client.tls.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|e| error_chain(&e))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    // `{"type":["container","volume"]}`, percent-encoded.
    let req =
        Request::get("/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22volume%22%5D%7D")
            .header(http::header::HOST, "docker")
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
    let result = async {
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| error_chain(&e))?;
        if !resp.status().is_success() {
            return Err(format!("GET /events: {}", resp.status()));
        }
        // Subscribed: from here on every change reaches the cache, which starts empty.
        state.set_live(true);
        let mut body = resp.into_body();
        let mut pending: Vec<u8> = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| error_chain(&e))?;
            let Some(data) = frame.data_ref() else {
                continue;
            };
            pending.extend_from_slice(data);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                state.on_event(&line[..line.len() - 1]);
            }
            if pending.len() > MAX_ANSWER {
                return Err("an event line without end".into());
            }
        }
        Err("the daemon ended the events stream".to_owned())
    }
    .await;
    driver.abort();
    result
}
