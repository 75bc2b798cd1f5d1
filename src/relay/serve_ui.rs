//! The `--ui` listener: the inspector page and its data over plain HTTP/1.1, read-only.
//!
//! Like the metrics listener it runs on the control runtime, away from the relay threads.
//! Nothing it answers reaches the daemon: the page reads what the inspector already holds.
//!
//! - `GET /` and the page's files ([`crate::see::ui::assets`]);
//! - `GET /api/events`: server-sent events, every call held, then each one as it comes;
//! - `GET /api/calls`: every call held, as one JSON document;
//! - `GET /api/call/SEQ`: one call's detail;
//! - `GET /api/har?seq=1,2`: those calls (all without `seq`) as a HAR file.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use tokio::sync::mpsc;

use crate::relay::side;
use crate::see::ui::{assets, Inspector};

/// A bound inspector listener, not yet serving.
pub struct UiServer {
    listener: std::net::TcpListener,
    inspector: Inspector,
    /// Only `localhost` and loopback names in `Host`: a web page elsewhere cannot read the
    /// inspector through a DNS name rebound to 127.0.0.1.
    loopback: bool,
}

/// How often a watching page hears something, so a page that went is noticed.
pub const KEEPALIVE: Duration = Duration::from_secs(15);

type UiBody = BoxBody<Bytes, Infallible>;

impl UiServer {
    /// Bind now, so a taken port fails startup. A non-loopback address was allowed by
    /// the caller (`--ui-insecure`); it is said loudly.
    pub fn bind(addr: SocketAddr, inspector: Inspector) -> Result<UiServer, String> {
        let listener = side::bind(
            addr,
            "--ui",
            "!!! (--ui-insecure) anyone who reaches it can read every API call made through \
             sockeye, unauthenticated and unencrypted",
        )?;
        Ok(UiServer {
            listener,
            inspector,
            loopback: addr.ip().is_loopback(),
        })
    }

    /// The address bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serve until the runtime stops. Must run inside a tokio runtime.
    pub async fn serve(self) {
        let keepalive = self.inspector.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(KEEPALIVE);
            loop {
                tick.tick().await;
                keepalive.lock().keepalive();
            }
        });
        let (inspector, loopback) = (self.inspector, self.loopback);
        side::serve(self.listener, "--ui", move |req| {
            let inspector = inspector.clone();
            async move { answer(&inspector, loopback, &req) }
        })
        .await;
    }
}

fn answer(inspector: &Inspector, loopback: bool, req: &Request<Incoming>) -> Response<UiBody> {
    if loopback && !local_host(req) {
        return text(
            StatusCode::FORBIDDEN,
            "the inspector answers only to localhost and loopback addresses\n",
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "read-only: only GET\n");
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let path = req.uri().path();
    if let Some((ct, body)) = assets::file(path) {
        return with_type(Full::new(Bytes::from_static(body.as_bytes())).boxed(), ct);
    }
    match path {
        "/api/events" => {
            let (first, rx) = inspector.lock().subscribe();
            let mut resp = with_type(
                Events {
                    first: Some(first),
                    rx,
                }
                .boxed(),
                "text/event-stream",
            );
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        "/api/calls" => json(&inspector.lock().rows()),
        "/api/har" => {
            let seqs = seqs(req.uri().query().unwrap_or(""));
            let har = inspector.lock().har(&seqs);
            let mut resp = with_type(
                Full::new(Bytes::from(
                    serde_json::to_vec_pretty(&har).unwrap_or_default(),
                ))
                .boxed(),
                "application/json",
            );
            resp.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"sockeye.har\""),
            );
            resp
        }
        _ => match path
            .strip_prefix("/api/call/")
            .and_then(|s| s.parse::<u64>().ok())
            .and_then(|seq| inspector.lock().detail(seq))
        {
            Some(detail) => json(&detail),
            None => text(StatusCode::NOT_FOUND, "not found (no longer kept?)\n"),
        },
    }
}

/// `seq=1,2,3` (repeated or comma-separated).
fn seqs(query: &str) -> Vec<u64> {
    query
        .split('&')
        .filter_map(|p| p.strip_prefix("seq="))
        .flat_map(|v| v.split([',', '+']).map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// A `Host` header naming this machine by a loopback name (any port).
fn local_host(req: &Request<Incoming>) -> bool {
    let Some(host) = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn with_type(body: UiBody, content_type: &'static str) -> Response<UiBody> {
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // Only its own files, no inline script, no framing by other pages.
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    resp
}

fn json(v: &serde_json::Value) -> Response<UiBody> {
    with_type(
        Full::new(Bytes::from(serde_json::to_vec(v).unwrap_or_default())).boxed(),
        "application/json",
    )
}

fn text(status: StatusCode, body: &'static str) -> Response<UiBody> {
    let mut resp = with_type(
        Full::new(Bytes::from_static(body.as_bytes())).boxed(),
        "text/plain; charset=utf-8",
    );
    *resp.status_mut() = status;
    resp
}

/// The event stream of one page: what was held when it connected, then each new event.
struct Events {
    first: Option<Bytes>,
    rx: mpsc::Receiver<Bytes>,
}

impl Body for Events {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        self.rx
            .poll_recv(cx)
            .map(|next| next.map(|b| Ok(Frame::data(b))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seqs_are_read_comma_separated_or_repeated() {
        assert_eq!(seqs("seq=1,2&seq=7&x=3"), [1, 2, 7]);
        assert_eq!(seqs(""), Vec::<u64>::new());
    }
}
