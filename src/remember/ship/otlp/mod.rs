//! `--audit-otlp URL`: audit records as OpenTelemetry log records, sent over OTLP/HTTP
//! (protobuf), or OTLP/gRPC, to an OpenTelemetry Collector or any OTLP receiver (docs/audit-log.md,
//! "OpenTelemetry (OTLP)").
//!
//! The spool and the shipping task ([`super`]) hand a batch of records to [`Otlp::send`];
//! it is one `POST` of one `ExportLogsServiceRequest` on one keep-alive connection, and
//! `Ok` only once the receiver answered 2xx.
//!
//! What the receiver answers decides what happens to the batch (OTLP/HTTP's rules, and
//! where they drop data, this sink's own):
//! - 2xx: delivered. A `partial_success` that rejected records is logged and counted, and
//!   not retried: the receiver took the request, could not use some records (the spec
//!   forbids sending them again), and there is no saying which ones, so a retry would
//!   deliver the others twice.
//! - 429, 502, 503, 504, no connection, a timeout: the receiver is busy or away; retried,
//!   no sooner than its `Retry-After` (seconds; until then a send fails at once, so the
//!   shipping task's backoff and its timeout stay its own).
//! - 413: the batch is sent again in halves, down to one record a request.
//! - any other status (400, 401, 403, 404, 500, …): OTLP says drop the data. An audit log
//!   does not: a wrong token, path or collector configuration is fixed by an operator, and
//!   the records must still be there when it is. They stay in the spool and are retried
//!   like the rest, and the refusal is logged as an error once each time it starts or
//!   changes (not on every retry), so that it cannot go unnoticed nor flood the log. The
//!   spool's bound then
//!   decides, as for a receiver that is down: calls are refused, or with
//!   `--audit-fail-open` served and counted as unrecorded.

mod client;
pub mod map;
pub mod proto;
mod tls;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{HeaderName, HeaderValue};
use http::{StatusCode, Uri};

pub use tls::{client_config, system_bundle};

use super::Transport;
use client::{Answer, Connection};

/// How long one request may take, connecting included, before it counts as failed
/// (OpenTelemetry SDKs' default export timeout).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// OTLP/gRPC's method.
const GRPC_EXPORT: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

/// The longest `Retry-After` obeyed: a receiver that asks for more is asked again then,
/// rather than leaving the spool to fill for an hour.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Where and how to send.
#[derive(Clone, Debug)]
pub struct OtlpOptions {
    pub endpoint: Endpoint,
    /// `--audit-otlp-header K=V`, sent with every request and never logged (tokens).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// For `https`: whom to trust ([`client_config`]).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The resource's `host.name` for records that do not name their host (written by a
    /// sockeye before records named it): [`crate::remember::audit::record::host`].
    pub host: String,
    pub timeout: Duration,
}

/// An OTLP/HTTP logs endpoint, read from `--audit-otlp URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub https: bool,
    /// OTLP/gRPC (`--audit-otlp-protocol grpc`): HTTP/2, the `LogsService/Export` method.
    pub grpc: bool,
    /// As written in the URL (`collector:4318`, `[::1]:4318`): the `Host` header.
    pub authority: String,
    /// To connect to and to name in TLS (IPv6 unbracketed).
    pub host: String,
    pub port: u16,
    /// `/v1/logs` unless the URL gives a path; with its query, if any.
    pub path: String,
}

impl Endpoint {
    /// `http://HOST[:PORT][/PATH]` or `https://…`. Without a path (or with `/`),
    /// `/v1/logs`, as OpenTelemetry SDKs append it to a base endpoint.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let bad = |why: &str| format!("--audit-otlp {url}: {why}");
        let uri: Uri = url.parse().map_err(|e| bad(&format!("not a URL ({e})")))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            Some(other) => {
                return Err(bad(&format!(
                    "the scheme is {other}; OTLP/HTTP takes http:// or https://"
                )))
            }
            None => return Err(bad("give the scheme: http://HOST:PORT/v1/logs")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            // A password in the URL would be in every log line that names the sink.
            // Not echoed either.
            return Err("--audit-otlp: credentials in the URL would be logged; send them with --audit-otlp-header Authorization=Basic…".into());
        }
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let path = match uri.path_and_query().map(|p| p.as_str()) {
            None | Some("" | "/") => "/v1/logs".to_owned(),
            Some(p) if p.starts_with("/?") => format!("/v1/logs{}", &p[1..]),
            Some(p) => p.to_owned(),
        };
        Ok(Endpoint {
            https,
            grpc: false,
            authority: authority.as_str().to_owned(),
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(if https { 443 } else { 80 }),
            path,
        })
    }

    /// `http://HOST[:PORT]` or `https://…` of an OTLP/gRPC receiver: no path, the method's
    /// is fixed.
    pub fn parse_grpc(url: &str) -> Result<Endpoint, String> {
        let mut end = Endpoint::parse(url)?;
        if end.path != "/v1/logs" {
            return Err(format!(
                "--audit-otlp {url}: an OTLP/gRPC receiver is named by its address alone (http://HOST:4317)"
            ));
        }
        end.grpc = true;
        end.path = GRPC_EXPORT.into();
        Ok(end)
    }

    /// `https://collector:4318/v1/logs`, without the query (which may hold a token); for
    /// gRPC `grpc http://collector:4317`.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        if self.grpc {
            return format!("grpc {scheme}://{}", self.authority);
        }
        let path = self.path.split('?').next().unwrap_or_default();
        format!("{scheme}://{}{path}", self.authority)
    }

    /// The request's URI: origin-form for HTTP/1.1, absolute for HTTP/2 (its `:scheme` and
    /// `:authority`).
    fn uri(&self) -> String {
        if self.grpc {
            let scheme = if self.https { "https" } else { "http" };
            format!("{scheme}://{}{}", self.authority, self.path)
        } else {
            self.path.clone()
        }
    }
}

/// `--audit-otlp-header K=V`: a header for every request (`Authorization=Bearer …`).
pub fn parse_header(kv: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (k, v) = kv
        .split_once('=')
        .ok_or_else(|| "--audit-otlp-header takes NAME=VALUE".to_owned())?;
    let name = HeaderName::from_bytes(k.trim().as_bytes())
        .map_err(|_| format!("--audit-otlp-header: {:?} is not a header name", k.trim()))?;
    // The value is not echoed: it is likely a secret.
    let mut value = HeaderValue::from_str(v.trim()).map_err(|_| {
        format!("--audit-otlp-header {name}: the value is not a valid header value")
    })?;
    value.set_sensitive(true);
    Ok((name, value))
}

/// `OTEL_EXPORTER_OTLP_LOGS_HEADERS` or `OTEL_EXPORTER_OTLP_HEADERS`, as OpenTelemetry SDKs
/// read them: `name=value` pairs joined by commas, values percent-encoded. `var` names the
/// variable in an error; a value is never repeated in one.
pub fn parse_env_headers(var: &str, list: &str) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let mut out = Vec::new();
    for pair in list.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("{var}: each entry is name=value"))?;
        let v = percent_decode(v.trim())
            .ok_or_else(|| format!("{var} {}: the value is not percent-encoded UTF-8", k.trim()))?;
        let (name, value) = parse_header(&format!("{}={v}", k.trim()))
            .map_err(|e| e.replace("--audit-otlp-header", var))?;
        out.push((name, value));
    }
    Ok(out)
}

pub(super) fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// The OTLP sink's transport.
pub struct Otlp {
    name: String,
    opts: OtlpOptions,
    conn: Option<Connection>,
    /// Not before this: the receiver's `Retry-After`.
    not_before: Option<tokio::time::Instant>,
    /// The refusal last logged as an error; cleared by a delivery.
    refusing: Option<String>,
    /// The last send failed: the shipping task has said so in the log already.
    failing: bool,
    rejected: Arc<AtomicU64>,
}

impl Otlp {
    pub fn new(mut opts: OtlpOptions) -> Otlp {
        // gRPC servers want HTTP/2 named in the TLS handshake.
        if let Some(tls) = &mut opts.tls {
            let alpn: &[u8] = if opts.endpoint.grpc {
                b"h2"
            } else {
                b"http/1.1"
            };
            Arc::make_mut(tls).alpn_protocols = vec![alpn.to_vec()];
        }
        Otlp {
            name: format!("otlp {}", opts.endpoint.url()),
            opts,
            conn: None,
            not_before: None,
            refusing: None,
            failing: false,
            rejected: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Records the receiver took but rejected (`partial_success`), since start.
    pub fn rejected(&self) -> Arc<AtomicU64> {
        self.rejected.clone()
    }

    async fn deliver(&mut self, batch: &[Vec<u8>]) -> Result<(), String> {
        let sent = self.deliver_all(batch).await;
        self.failing = sent.is_err();
        if sent.is_ok() {
            self.refusing = None;
        }
        sent
    }

    async fn deliver_all(&mut self, batch: &[Vec<u8>]) -> Result<(), String> {
        if let Some(at) = self.not_before {
            let now = tokio::time::Instant::now();
            if now < at {
                return Err(format!(
                    "the receiver asked to be sent nothing for {} s more (Retry-After)",
                    (at - now).as_secs_f64().ceil()
                ));
            }
            self.not_before = None;
        }
        // Halves still to send, last first: a 413 splits the batch until it fits.
        let mut todo = vec![batch];
        while let Some(part) = todo.pop() {
            match self.post(part).await? {
                Answer::TooLarge if part.len() > 1 => {
                    let (first, second) = part.split_at(part.len() / 2);
                    todo.push(second);
                    todo.push(first);
                }
                Answer::TooLarge => {
                    return Err(self.refused(
                        "HTTP 413 Payload Too Large: one record is larger than the receiver takes",
                    ))
                }
                Answer::Accepted => {}
            }
        }
        Ok(())
    }

    async fn post(&mut self, part: &[Vec<u8>]) -> Result<Answer, String> {
        let observed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        let body = prost::Message::encode_to_vec(&map::request(part, &self.opts.host, observed));
        let timeout = self.opts.timeout;
        let sent = tokio::time::timeout(timeout, self.exchange(body)).await;
        let reply = match sent {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => {
                self.conn = None;
                return Err(e);
            }
            Err(_) => {
                self.conn = None;
                return Err(format!("no answer within {} s", timeout.as_secs()));
            }
        };
        if let (true, Some((code, message))) = (reply.status.is_success(), &reply.grpc) {
            return self.grpc_answer(part.len(), *code, message, &reply.body);
        }
        if reply.status.is_success() {
            self.accepted(part.len(), &reply.body);
            return Ok(Answer::Accepted);
        }
        if reply.status == StatusCode::PAYLOAD_TOO_LARGE {
            return Ok(Answer::TooLarge);
        }
        let why = reply.why();
        if let Some(wait) = reply.retry_after {
            self.not_before = Some(tokio::time::Instant::now() + wait.min(MAX_RETRY_AFTER));
        }
        match reply.status.as_u16() {
            429 | 502 | 503 | 504 => Err(format!(
                "the receiver is unavailable (HTTP {}{why})",
                reply.status
            )),
            _ => Err(self.refused(&format!("HTTP {}{why}", reply.status))),
        }
    }

    /// A gRPC status, as OTLP/gRPC's rules read it (with the same exception for refusals
    /// as HTTP's: kept and retried).
    fn grpc_answer(
        &mut self,
        sent: usize,
        code: i32,
        message: &str,
        body: &[u8],
    ) -> Result<Answer, String> {
        let why = if message.is_empty() {
            String::new()
        } else {
            format!(": {message}")
        };
        match code {
            0 => {
                self.accepted(sent, body);
                Ok(Answer::Accepted)
            }
            // RESOURCE_EXHAUSTED: a message over the receiver's limit, or a rate limit;
            // smaller requests suit both.
            8 => Ok(Answer::TooLarge),
            // CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS.
            1 | 4 | 10 | 11 | 14 | 15 => Err(format!(
                "the receiver is unavailable (gRPC status {code}{why})"
            )),
            _ => Err(self.refused(&format!("gRPC status {code}{why}"))),
        }
    }

    /// A refusal that retrying alone will not cure: an error in the log when it starts or
    /// changes. The shipping task logs a sink's first failure itself; this logs a refusal
    /// that follows another failure (a receiver back up, but refusing), which it would not.
    fn refused(&mut self, status: &str) -> String {
        let message = format!(
            "the receiver refuses the records ({status}); they stay spooled and are retried until it takes them: check the URL, --audit-otlp-header and the receiver's configuration"
        );
        let kind = status.split(':').next().unwrap_or_default();
        if self.refusing.as_deref() != Some(kind) {
            self.refusing = Some(kind.to_owned());
            if self.failing {
                tracing::error!("audit sink {}: {message}", self.name);
            }
        }
        message
    }

    /// A 2xx: delivered, but the receiver may say it could not use some records.
    fn accepted(&mut self, sent: usize, body: &[u8]) {
        let Ok(answer) = <proto::ExportLogsServiceResponse as prost::Message>::decode(body) else {
            // JSON or nothing: a receiver that says no more than 2xx took them all.
            return;
        };
        let Some(partial) = answer.partial_success else {
            return;
        };
        if partial.rejected_log_records > 0 {
            self.rejected
                .fetch_add(partial.rejected_log_records as u64, Ordering::Relaxed);
            tracing::warn!(
                "audit sink {}: the receiver took {sent} records but rejected {} of them ({}); they are not sent again",
                self.name,
                partial.rejected_log_records,
                partial.error_message
            );
        } else if !partial.error_message.is_empty() {
            tracing::warn!(
                "audit sink {}: the receiver took the records, saying: {}",
                self.name,
                partial.error_message
            );
        }
    }

    async fn exchange(&mut self, body: Vec<u8>) -> Result<client::Reply, String> {
        let conn = match self.conn.as_mut() {
            Some(conn) if conn.is_ready() => conn,
            _ => self.conn.insert(Connection::open(&self.opts).await?),
        };
        conn.post(&self.opts, body).await
    }
}

impl Transport for Otlp {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(
        &'a mut self,
        batch: &'a [Vec<u8>],
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(self.deliver(batch))
    }
}

#[cfg(test)]
mod tests;
