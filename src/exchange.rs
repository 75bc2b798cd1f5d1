//! The steps of one request, in order: classify, check what must be checked, forward,
//! relay the answer (streamed, or as a hijacked tunnel), and report what happened.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use tokio::sync::Mutex;
use tokio_util::task::TaskTracker;

use crate::body::{Metered, OnEnd, RelayBody};
use crate::endpoint::{self, Hijack};
use crate::error::ProxyError;
use crate::event::{AnsweredBy, Call, Event, Events};
use crate::listen::Peer;
use crate::upstream::{self, Upstream};

/// What every request on one client connection shares.
pub struct Conn {
    pub id: u64,
    pub peer: Arc<Peer>,
    pub upstream: Mutex<Upstream>,
    pub events: Events,
    pub max_inspected_body: usize,
    /// Hijacked sessions outlive the HTTP connection task; tracked for draining.
    pub tasks: TaskTracker,
    next_req: AtomicU64,
}

impl Conn {
    pub fn new(
        id: u64,
        peer: Arc<Peer>,
        upstream: Upstream,
        events: Events,
        max_inspected_body: usize,
        tasks: TaskTracker,
    ) -> Self {
        Conn {
            id,
            peer,
            upstream: Mutex::new(upstream),
            events,
            max_inspected_body,
            tasks,
            next_req: AtomicU64::new(1),
        }
    }
}

/// Handle one request. Never fails: every problem becomes a Docker-shaped error response.
pub async fn handle(
    conn: Arc<Conn>,
    req: Request<Incoming>,
) -> Result<Response<RelayBody>, std::convert::Infallible> {
    let report = Report::new(&conn, &req);
    let route = endpoint::classify(req.method().as_str(), req.uri().path());
    let asks_upgrade = req.headers().contains_key(header::UPGRADE);

    let (mut parts, body) = req.into_parts();

    // dockerd takes over attach and exec-start connections whether or not the client asked
    // for an upgrade, answering `200 OK` and then raw bytes both ways. sockeye relays a
    // hijack only as the client-requested `101` upgrade (see docs/design.md).
    let body: RelayBody = match (route.hijack(), asks_upgrade) {
        (Hijack::Always, false) => {
            return Ok(report.refuse(ProxyError::HijackWithoutUpgrade {
                method: parts.method.to_string(),
                path: parts.uri.path().to_string(),
            }));
        }
        (Hijack::UnlessDetached, false) => {
            let bytes = match read_exec_start(body, conn.max_inspected_body).await {
                Ok(bytes) => bytes,
                Err(e) => return Ok(report.refuse(e)),
            };
            match detach_requested(&bytes) {
                Ok(true) => {}
                Ok(false) => {
                    return Ok(report.refuse(ProxyError::HijackWithoutUpgrade {
                        method: parts.method.to_string(),
                        path: parts.uri.path().to_string(),
                    }))
                }
                Err(reason) => {
                    return Ok(report.refuse(ProxyError::UnreadableBody {
                        what: "exec start",
                        reason,
                    }))
                }
            }
            report
                .bytes_in
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            Full::new(bytes)
                .map_err(|never| match never {})
                .boxed_unsync()
        }
        _ => Metered::new(body, report.bytes_in.clone(), ()).boxed_unsync(),
    };

    let client_upgrade = if asks_upgrade {
        parts.extensions.remove::<OnUpgrade>()
    } else {
        None
    };
    let upstream_req = Request::from_parts(parts, body);

    let mut upstream = conn.upstream.lock().await;
    let mut resp = match upstream.send(upstream_req).await {
        Ok(resp) => resp,
        Err(e) => return Ok(report.refuse(e)),
    };

    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        let Some(client_upgrade) = client_upgrade else {
            return Ok(report.refuse(ProxyError::UpstreamFailed {
                upstream: upstream.addr().to_string(),
                reason: "the daemon switched protocols although the client did not ask to".into(),
            }));
        };
        drop(upstream);
        let daemon_upgrade = hyper::upgrade::on(&mut resp);
        let (parts, _) = resp.into_parts();
        let status = parts.status.as_u16();
        conn.tasks.spawn(async move {
            // Raw bytes flow only once the daemon has really answered 101 and that answer
            // has been written to the client.
            match tokio::try_join!(client_upgrade, daemon_upgrade) {
                Ok((client_io, daemon_io)) => {
                    let spliced = upstream::splice(client_io, daemon_io).await;
                    report.finish_hijack(status, spliced);
                }
                Err(e) => report.finish(Some(status), false, Some(upstream::error_chain(&e))),
            }
        });
        return Ok(Response::from_parts(parts, RelayBody::default()));
    }
    drop(upstream);

    let status = resp.status().as_u16();
    let (parts, body) = resp.into_parts();
    let done = Done {
        report: Some(report),
        status,
    };
    let bytes_out = done
        .report
        .as_ref()
        .map(|r| r.bytes_out.clone())
        .unwrap_or_default();
    Ok(Response::from_parts(
        parts,
        Metered::new(body, bytes_out, done).boxed_unsync(),
    ))
}

async fn read_exec_start(body: Incoming, limit: usize) -> Result<Bytes, ProxyError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ProxyError::BodyTooLarge {
            what: "exec start",
            limit,
        }),
        Err(e) => Err(ProxyError::UnreadableBody {
            what: "exec start",
            reason: e.to_string(),
        }),
    }
}

/// Whether an exec-start body asks for a detached exec, read as Go's `encoding/json` reads it
/// into `{Detach bool}`: keys match case-insensitively, the last one wins, `null` leaves the
/// value unchanged.
pub fn detach_requested(body: &[u8]) -> Result<bool, String> {
    let pairs: crate::json::Pairs = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let mut detach = false;
    for (key, value) in pairs.0 {
        if key.eq_ignore_ascii_case("detach") {
            match value {
                serde_json::Value::Bool(b) => detach = b,
                serde_json::Value::Null => {}
                other => return Err(format!("\"Detach\" must be a boolean, not {other}")),
            }
        }
    }
    Ok(detach)
}

/// What is known about a call so far; turned into an event once it ends.
struct Report {
    events: Events,
    call: Call,
    started: Instant,
    bytes_in: Arc<AtomicU64>,
    bytes_out: Arc<AtomicU64>,
}

impl Report {
    fn new(conn: &Conn, req: &Request<Incoming>) -> Self {
        let target = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_else(|| req.uri().to_string());
        Report {
            events: conn.events.clone(),
            call: Call {
                start: SystemTime::now(),
                conn: conn.id,
                req: conn.next_req.fetch_add(1, Ordering::Relaxed),
                peer: conn.peer.clone(),
                method: req.method().to_string(),
                target,
                status: None,
                answered_by: AnsweredBy::Daemon,
                bytes_in: 0,
                bytes_out: 0,
                hijacked: false,
                incomplete: false,
                duration: Default::default(),
                error: None,
            },
            started: Instant::now(),
            bytes_in: Arc::new(AtomicU64::new(0)),
            bytes_out: Arc::new(AtomicU64::new(0)),
        }
    }

    /// sockeye answers itself instead of the daemon.
    fn refuse(mut self, err: ProxyError) -> Response<RelayBody> {
        self.call.answered_by = AnsweredBy::Sockeye;
        let status = err.status().as_u16();
        let message = err.to_string();
        let resp = err.into_response();
        self.finish(Some(status), true, Some(message));
        resp
    }

    fn finish(mut self, status: Option<u16>, complete: bool, error: Option<String>) {
        self.call.status = status;
        self.call.incomplete = !complete;
        self.call.error = error;
        self.call.bytes_in = self.bytes_in.load(Ordering::Relaxed);
        self.call.bytes_out = self.bytes_out.load(Ordering::Relaxed);
        self.call.duration = self.started.elapsed();
        self.events.emit(Event::Call(self.call));
    }

    fn finish_hijack(mut self, status: u16, spliced: upstream::Spliced) {
        self.call.hijacked = true;
        self.bytes_in
            .fetch_add(spliced.client_to_daemon, Ordering::Relaxed);
        self.bytes_out
            .fetch_add(spliced.daemon_to_client, Ordering::Relaxed);
        let error = spliced.error.map(|k| format!("tunnel: {k}"));
        self.finish(Some(status), spliced.error.is_none(), error);
    }
}

/// Reports the call when the response body ends or is abandoned.
struct Done {
    report: Option<Report>,
    status: u16,
}

impl OnEnd for Done {
    fn ended(mut self, complete: bool) {
        if let Some(r) = self.report.take() {
            r.finish(Some(self.status), complete, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::detach_requested;

    #[test]
    fn exec_start_detach_is_read_like_dockerd_reads_it() {
        assert_eq!(
            detach_requested(br#"{"Detach":true,"Tty":false}"#),
            Ok(true)
        );
        assert_eq!(detach_requested(br#"{"detach":true}"#), Ok(true));
        assert_eq!(detach_requested(br#"{"DETACH":false}"#), Ok(false));
        assert_eq!(
            detach_requested(br#"{"Detach":true,"detach":false}"#),
            Ok(false)
        );
        assert_eq!(
            detach_requested(br#"{"Detach":true,"detach":null}"#),
            Ok(true)
        );
        assert_eq!(detach_requested(br#"{"Det\u0061ch":true}"#), Ok(true));
        assert_eq!(detach_requested(br#"{}"#), Ok(false));
        assert!(detach_requested(br#"{"Detach":1}"#).is_err());
        assert!(detach_requested(b"").is_err());
    }
}
