//! One keep-alive HTTP/1.1 connection to the receiver, over TCP or TLS.

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, RETRY_AFTER, TE, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use super::proto::Status;
use super::OtlpOptions;
use crate::guard::error::error_chain;

/// The most of an answer read: a status and a message, or a partial success.
const MAX_ANSWER: usize = 64 * 1024;

const PROTOBUF: &str = "application/x-protobuf";
const GRPC: &str = "application/grpc";

/// What a 2xx or 413 means to the sender; any other status is an error.
pub enum Answer {
    Accepted,
    TooLarge,
}

/// The receiver's answer.
pub struct Reply {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub protobuf: bool,
    /// The message (unframed, for gRPC).
    pub body: Bytes,
    /// gRPC's `grpc-status` and `grpc-message`, when the receiver speaks gRPC.
    pub grpc: Option<(i32, String)>,
}

impl Reply {
    /// What the receiver said of a failure, for the log: `: message` from its
    /// `google.rpc.Status`, or the start of a text body; empty when it said nothing.
    pub fn why(&self) -> String {
        let said = if self.protobuf {
            <Status as prost::Message>::decode(self.body.clone())
                .map(|s| s.message)
                .unwrap_or_default()
        } else {
            String::from_utf8_lossy(&self.body).into_owned()
        };
        let said: String = said
            .trim()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(300)
            .collect();
        if said.is_empty() {
            String::new()
        } else {
            format!(": {said}")
        }
    }
}

pub struct Connection {
    sender: Sender,
}

enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

impl Connection {
    pub async fn open(opts: &OtlpOptions) -> Result<Connection, String> {
        let end = &opts.endpoint;
        let tcp = TcpStream::connect((end.host.as_str(), end.port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        // Records go out as one request each batch: no point waiting to fill a segment.
        let _ = tcp.set_nodelay(true);
        let sender = if end.https {
            let config = opts
                .tls
                .clone()
                .ok_or_else(|| "https without a TLS configuration".to_owned())?;
            let name = ServerName::try_from(end.host.clone())
                .map_err(|e| format!("{}: not a TLS server name: {e}", end.host))?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS: {}", error_chain(&e)))?;
            handshake(tls, end.grpc).await?
        } else {
            handshake(tcp, end.grpc).await?
        };
        Ok(Connection { sender })
    }

    /// Whether a request can go out on it now (the receiver has not closed it).
    pub fn is_ready(&self) -> bool {
        match &self.sender {
            Sender::Http1(s) => !s.is_closed(),
            Sender::Http2(s) => !s.is_closed(),
        }
    }

    pub async fn post(&mut self, opts: &OtlpOptions, body: Vec<u8>) -> Result<Reply, String> {
        let grpc = opts.endpoint.grpc;
        let body = if grpc {
            // gRPC's length-prefixed message: not compressed, then its length.
            let mut framed = Vec::with_capacity(body.len() + 5);
            framed.push(0);
            framed.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes());
            framed.extend_from_slice(&body);
            framed
        } else {
            body
        };
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(opts.endpoint.uri())
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("request: {e}"))?;
        let headers = req.headers_mut();
        if grpc {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(GRPC));
            headers.insert(TE, HeaderValue::from_static("trailers"));
        } else {
            headers.insert(
                HOST,
                HeaderValue::from_str(&opts.endpoint.authority)
                    .map_err(|e| format!("Host: {e}"))?,
            );
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROTOBUF));
        }
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("sockeye/", env!("CARGO_PKG_VERSION"))),
        );
        for (k, v) in &opts.headers {
            headers.insert(k.clone(), v.clone());
        }
        let resp = match &mut self.sender {
            Sender::Http1(s) => {
                s.ready()
                    .await
                    .map_err(|e| format!("connection: {}", error_chain(&e)))?;
                s.send_request(req).await
            }
            Sender::Http2(s) => {
                s.ready()
                    .await
                    .map_err(|e| format!("connection: {}", error_chain(&e)))?;
                s.send_request(req).await
            }
        }
        .map_err(|e| format!("request: {}", error_chain(&e)))?;
        let (head, body) = resp.into_parts();
        let collected = Limited::new(body, MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?;
        let trailers = collected.trailers().cloned();
        let mut body = collected.to_bytes();
        let grpc = match grpc {
            false => None,
            // A trailers-only answer has its status in the headers.
            true => grpc_status(trailers.as_ref().unwrap_or(&head.headers))
                .or_else(|| grpc_status(&head.headers)),
        };
        if grpc.is_some() && body.len() >= 5 {
            body = body.slice(5..);
        }
        let retry_after = head
            .headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let protobuf = head
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(PROTOBUF));
        if opts.endpoint.grpc && head.status.is_success() && grpc.is_none() {
            return Err("a gRPC answer without grpc-status".into());
        }
        Ok(Reply {
            status: head.status,
            retry_after,
            protobuf,
            body,
            grpc,
        })
    }
}

/// `grpc-status` and its percent-encoded `grpc-message`.
fn grpc_status(headers: &HeaderMap) -> Option<(i32, String)> {
    let code = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let message = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .map(|m| super::percent_decode(m).unwrap_or_else(|| m.to_owned()))
        .unwrap_or_default();
    Some((code, message))
}

async fn handshake<S>(io: S, h2: bool) -> Result<Sender, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    // Either connection's failure is the next request's.
    if h2 {
        let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(|e| format!("HTTP/2: {}", error_chain(&e)))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Sender::Http2(sender))
    } else {
        let (sender, conn) = http1::handshake(io)
            .await
            .map_err(|e| format!("HTTP: {}", error_chain(&e)))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Sender::Http1(sender))
    }
}
