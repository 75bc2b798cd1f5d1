//! One keep-alive HTTP/1.1 connection to the receiver, over TCP or TLS.

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, RETRY_AFTER, USER_AGENT};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use super::proto::Status;
use super::OtlpOptions;

/// The most of an answer read: a status and a message, or a partial success.
const MAX_ANSWER: usize = 64 * 1024;

const PROTOBUF: &str = "application/x-protobuf";

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
    pub body: Bytes,
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
    sender: SendRequest<Full<Bytes>>,
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
                .map_err(|e| format!("TLS: {}", chain(&e)))?;
            handshake(tls).await?
        } else {
            handshake(tcp).await?
        };
        Ok(Connection { sender })
    }

    /// Whether a request can go out on it now (the receiver has not closed it).
    pub fn is_ready(&self) -> bool {
        !self.sender.is_closed()
    }

    pub async fn post(&mut self, opts: &OtlpOptions, body: Vec<u8>) -> Result<Reply, String> {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(opts.endpoint.path.as_str())
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("request: {e}"))?;
        let headers = req.headers_mut();
        headers.insert(
            HOST,
            HeaderValue::from_str(&opts.endpoint.authority).map_err(|e| format!("Host: {e}"))?,
        );
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROTOBUF));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("sockeye/", env!("CARGO_PKG_VERSION"))),
        );
        for (k, v) in &opts.headers {
            headers.insert(k.clone(), v.clone());
        }
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection: {}", chain(&e)))?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| format!("request: {}", chain(&e)))?;
        let (head, body) = resp.into_parts();
        let body = Limited::new(body, MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
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
        Ok(Reply {
            status: head.status,
            retry_after,
            protobuf,
            body,
        })
    }
}

async fn handshake<S>(io: S) -> Result<SendRequest<Full<Bytes>>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP: {}", chain(&e)))?;
    tokio::spawn(async move {
        // Its failure is the next request's.
        let _ = conn.await;
    });
    Ok(sender)
}

/// An error and its causes, one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
