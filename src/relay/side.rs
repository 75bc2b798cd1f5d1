//! What the side listeners (`--metrics`, `--ui`) share: a TCP port of their own, bound at
//! startup so that a taken port fails it, and plain HTTP/1.1 served on the control runtime,
//! away from the relay threads, until the runtime stops.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};

/// Scrapers, health checkers and browsers send small requests at once; anything slower is
/// stuck.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Bind `addr` for `flag` now; `exposed` is said once when the address is not loopback.
pub fn bind(addr: SocketAddr, flag: &str, exposed: &str) -> Result<std::net::TcpListener, String> {
    let listener = std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("cannot listen for {flag} on {addr}: {e}"))?;
    if !addr.ip().is_loopback() {
        tracing::warn!("{flag} {addr} is not a loopback address: {exposed}");
    }
    Ok(listener)
}

/// Serve every connection of `listener` with `answer` until the runtime stops.
pub async fn serve<A, F, B>(listener: std::net::TcpListener, flag: &str, answer: A)
where
    A: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot serve {flag}: {e}");
            return;
        }
    };
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!("{flag} accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let answer = answer.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(req).await) }
            });
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
