//! What `/healthz` checks: the daemon answers `/_ping`, and the audit log can be written.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::UpstreamAddr;
use crate::relay::upstream::ask_once;
use crate::remember::audit::AuditLog;
use crate::remember::ship::RemoteSink;

/// How long `/healthz` waits for the daemon's `/_ping`: a daemon slower than this is not
/// serving clients well either, and a HEALTHCHECK has its own timeout (30 s by default).
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Largest answer `get` reads: a `/_ping` says `OK`, `/healthz` a few lines.
const MAX_ANSWER: usize = 64 * 1024;

/// The checks behind `/healthz`.
#[derive(Clone)]
pub struct Health {
    pub upstream: UpstreamAddr,
    pub upstream_tls: Option<Arc<rustls::ClientConfig>>,
    pub audit: Option<Arc<AuditLog>>,
    /// Remote audit sinks: unhealthy while one refuses calls (its spool full).
    pub ship: Vec<Arc<RemoteSink>>,
}

impl Health {
    /// `Ok` when every check passes, else one line per failing check.
    pub async fn check(&self) -> Result<(), Vec<String>> {
        let mut failing = Vec::new();
        if let Err(e) = ping(&self.upstream, self.upstream_tls.as_ref(), PING_TIMEOUT).await {
            failing.push(format!("daemon: {e}"));
        }
        if let Some(audit) = &self.audit {
            if let Err(e) = audit.health() {
                failing.push(format!("audit: {e}"));
            }
        }
        for sink in &self.ship {
            if let Err(e) = sink.health() {
                failing.push(format!("audit: {e}"));
            }
        }
        if failing.is_empty() {
            Ok(())
        } else {
            Err(failing)
        }
    }
}

/// `GET /_ping` on the daemon, answered `200` within `timeout`.
pub async fn ping(
    addr: &UpstreamAddr,
    tls: Option<&Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> Result<(), String> {
    let asked = async {
        let stream = crate::relay::upstream::connect(addr, tls)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        get(stream, "/_ping").await
    };
    match tokio::time::timeout(timeout, asked).await {
        Err(_) => Err(format!("{addr} did not answer /_ping within {timeout:?}")),
        Ok(Err(e)) => Err(e),
        Ok(Ok((200, _))) => Ok(()),
        Ok(Ok((status, body))) => Err(format!(
            "{addr} answered /_ping with {status}: {}",
            one_line(&body)
        )),
    }
}

/// One `GET path` on a fresh connection: the status and (the start of) the body.
pub async fn get<S>(io: S, path: &str) -> Result<(u16, String), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    ask(io, http::Method::GET, path).await
}

/// [`get`] with another method.
pub async fn ask<S>(io: S, method: http::Method, path: &str) -> Result<(u16, String), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (status, body) = ask_once(io, method, path, MAX_ANSWER).await?;
    Ok((status.as_u16(), String::from_utf8_lossy(&body).into_owned()))
}

pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
