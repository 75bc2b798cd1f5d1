//! The `--metrics` listener: `GET /metrics` and `GET /healthz`, plain HTTP/1.1.
//!
//! It runs on the control runtime, away from the relay threads: a scrape or a health check
//! never takes a turn on a thread that relays calls.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::relay::health::Health;
use crate::relay::side;
use crate::remember::metrics::{Metrics, CONTENT_TYPE};

/// A bound metrics listener, not yet serving.
pub struct MetricsServer {
    listener: std::net::TcpListener,
    metrics: Arc<Metrics>,
    health: Health,
}

impl MetricsServer {
    /// Bind now, so a taken port fails startup instead of a later scrape.
    pub fn bind(
        addr: SocketAddr,
        metrics: Arc<Metrics>,
        health: Health,
    ) -> Result<MetricsServer, String> {
        let listener = side::bind(
            addr,
            "--metrics",
            "anyone who reaches it can read which API calls are made, and how often",
        )?;
        Ok(MetricsServer {
            listener,
            metrics,
            health,
        })
    }

    /// The address bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serve until the runtime stops. Must run inside a tokio runtime.
    pub async fn serve(self) {
        let state = Arc::new((self.metrics, self.health));
        side::serve(self.listener, "--metrics", move |req| {
            let state = state.clone();
            async move { answer(&state.0, &state.1, &req).await }
        })
        .await;
    }
}

async fn answer(
    metrics: &Metrics,
    health: &Health,
    req: &Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    if path != "/metrics" && path != "/healthz" {
        return text(
            StatusCode::NOT_FOUND,
            "not found: try /metrics or /healthz\n",
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
        resp.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    if path == "/metrics" {
        let mut resp = Response::new(Full::new(Bytes::from(metrics.encode())));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(CONTENT_TYPE),
        );
        return resp;
    }
    match health.check().await {
        Ok(()) => text(StatusCode::OK, "ok\n"),
        Err(failing) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            &(failing.join("\n") + "\n"),
        ),
    }
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_owned())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}
