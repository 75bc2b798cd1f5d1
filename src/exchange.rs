//! The steps of one request, in order: classify, check what must be checked, forward,
//! relay the answer (streamed, or as a hijacked tunnel), and report what happened.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use tokio::sync::Mutex;
use tokio_util::task::TaskTracker;

use crate::body::{Metered, OnEnd, RelayBody, Tap};
use crate::endpoint::{self, Hijack};
use crate::error::ProxyError;
use crate::event::{
    AnsweredBy, Call, CallId, Dir, Event, Events, Flow, RequestHead, ResponseHead, Verdict,
};
use crate::facts::Facts;
use crate::guard::{self, Caller, Guard};
use crate::listen::Peer;
use crate::policy::{ClientContainer, Permit};
use crate::upstream::{self, Upstream};

/// What every request on one client connection shares.
pub struct Conn {
    pub id: u64,
    pub peer: Arc<Peer>,
    /// The container the peer process runs in, resolved once per connection.
    pub container: Option<Arc<ClientContainer>>,
    pub upstream: Mutex<Upstream>,
    pub events: Events,
    pub guard: Option<Arc<Guard>>,
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
            container: None,
            upstream: Mutex::new(upstream),
            events,
            guard: None,
            max_inspected_body,
            tasks,
            next_req: AtomicU64::new(1),
        }
    }

    /// Decide every request on this connection with `guard`.
    pub fn guarded(
        mut self,
        guard: Option<Arc<Guard>>,
        container: Option<Arc<ClientContainer>>,
    ) -> Self {
        self.guard = guard;
        self.container = container;
        self
    }
}

/// Handle one request. Never fails: every problem becomes a Docker-shaped error response.
pub async fn handle(
    conn: Arc<Conn>,
    req: Request<Incoming>,
) -> Result<Response<RelayBody>, std::convert::Infallible> {
    let asks_upgrade = req.headers().contains_key(header::UPGRADE);
    // Only POST routes hijack unasked, and an upgrade is only relayed when asked for; other
    // requests need a route lookup only when someone will look at the call.
    let route = if conn.guard.is_some()
        || conn.events.enabled()
        || req.method() == http::Method::POST
        || asks_upgrade
    {
        endpoint::classify(req.method().as_str(), req.uri().path())
    } else {
        endpoint::Classified::unclassified()
    };
    let hijack = route.hijack();
    let mut report = Report::new(&conn, &req, route);
    if let Err(why) = conn.events.admit() {
        return Ok(report.refuse(ProxyError::NotRecorded(why)));
    }
    let (mut parts, body) = req.into_parts();
    let mut body = Some(body);

    // The body the guard read and decided on; forwarded instead of the client's.
    let mut decided: Option<Bytes> = None;
    // Held until the request is forwarded: nothing reaches the daemon that the policy did
    // not allow.
    let mut _permit: Option<Permit> = None;
    if let Some(guard) = &conn.guard {
        let caller = Caller {
            peer: &conn.peer,
            container: conn.container.as_deref(),
        };
        match guard
            .check(caller, &parts, &report.head.route, &mut body)
            .await
        {
            Ok(cleared) => {
                report.verdict = Some(Verdict::of(&cleared.permit));
                report.facts = cleared.facts;
                if let Some(bytes) = cleared.body {
                    guard::set_body(&mut parts.headers, &bytes);
                    decided = Some(bytes);
                }
                _permit = Some(cleared.permit);
            }
            Err(refused) => {
                if let ProxyError::Denied(denial) = &refused.error {
                    report.verdict = Some(Verdict::denied(denial));
                }
                report.facts = refused.facts;
                if let Some(bytes) = &refused.body {
                    record_whole(&report, bytes);
                }
                return Ok(report.refuse(refused.error));
            }
        }
    }

    // dockerd takes over attach and exec-start connections whether or not the client asked
    // for an upgrade, answering `200 OK` and then raw bytes both ways. sockeye relays a
    // hijack only as the client-requested `101` upgrade (see docs/design.md).
    let body: RelayBody = match (hijack, asks_upgrade) {
        (Hijack::Always, false) => {
            return Ok(report.refuse(ProxyError::HijackWithoutUpgrade {
                method: parts.method.to_string(),
                path: parts.uri.path().to_string(),
            }));
        }
        (Hijack::UnlessDetached, false) => {
            let bytes = match decided.take() {
                Some(bytes) => bytes,
                None => match guard::read_whole(body.take(), conn.max_inspected_body, || {
                    "the exec start body".into()
                })
                .await
                {
                    Ok(bytes) => bytes,
                    Err(e) => return Ok(report.refuse(e)),
                },
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
                        what: "the exec start body".into(),
                        reason,
                    }))
                }
            }
            whole(&report, bytes)
        }
        _ => match (decided, body) {
            (Some(bytes), _) => whole(&report, bytes),
            // Nobody looks at this call: nothing to count.
            (None, Some(body)) if !conn.events.enabled() => body.boxed_unsync(),
            (None, Some(body)) => {
                Metered::new(body, report.request.clone(), report.tap(Dir::ToDaemon), ())
                    .boxed_unsync()
            }
            (None, None) => RelayBody::default(),
        },
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
        report.respond(&parts);
        conn.tasks.spawn(async move {
            // Raw bytes flow only once the daemon has really answered 101 and that answer
            // has been written to the client.
            match tokio::try_join!(client_upgrade, daemon_upgrade) {
                Ok((client_io, daemon_io)) => {
                    let taps = (report.tap(Dir::ToDaemon), report.tap(Dir::ToClient));
                    let flows = (report.request.clone(), report.response.clone());
                    report.events.session(true);
                    let spliced = upstream::splice(client_io, daemon_io, flows, taps).await;
                    report.events.session(false);
                    let error = spliced.error.map(|k| format!("tunnel: {k}"));
                    report.finish_hijack(spliced.error.is_none(), error);
                }
                Err(e) => report.finish(false, Some(upstream::error_chain(&e))),
            }
        });
        return Ok(Response::from_parts(parts, RelayBody::default()));
    }
    drop(upstream);

    let (parts, body) = resp.into_parts();
    if !conn.events.enabled() {
        return Ok(Response::from_parts(parts, body.boxed_unsync()));
    }
    report.respond(&parts);
    let flow = report.response.clone();
    let tap = report.tap(Dir::ToClient);
    let done = Done(report);
    Ok(Response::from_parts(
        parts,
        Metered::new(body, flow, tap, done).boxed_unsync(),
    ))
}

/// A body already read whole, recorded for the call's report, to forward.
fn whole(report: &Report, bytes: Bytes) -> RelayBody {
    record_whole(report, &bytes);
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Record a body read whole as if it had streamed past.
fn record_whole(report: &Report, bytes: &Bytes) {
    if report.events.enabled() {
        report.request.record(bytes);
        report.request.end();
        if let Some(tap) = report.tap(Dir::ToDaemon) {
            tap.events.emit(Event::Data {
                id: tap.id,
                dir: tap.dir,
                bytes: bytes.clone(),
            });
        }
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

/// What is known about a call so far; turned into a [`Call`] event once it ends.
struct Report {
    events: Events,
    head: Arc<RequestHead>,
    verdict: Option<Verdict>,
    facts: Option<Arc<Facts>>,
    response_head: Option<Arc<ResponseHead>>,
    answered_by: AnsweredBy,
    started: Instant,
    request: Arc<Flow>,
    response: Arc<Flow>,
}

impl Report {
    fn new(conn: &Conn, req: &Request<Incoming>, route: endpoint::Classified) -> Self {
        let events = conn.events.clone();
        let detail = events.detail();
        let target = if events.enabled() {
            req.uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_string())
                .unwrap_or_else(|| req.uri().to_string())
        } else {
            String::new()
        };
        let head = Arc::new(RequestHead {
            id: CallId {
                conn: conn.id,
                req: conn.next_req.fetch_add(1, Ordering::Relaxed),
            },
            start: SystemTime::now(),
            peer: conn.peer.clone(),
            container: conn.container.clone(),
            method: req.method().clone(),
            target,
            version: req.version(),
            // Only consumers that show headers pay for the copy.
            headers: if detail.heads || detail.request_capture > 0 {
                req.headers().clone()
            } else {
                Default::default()
            },
            route,
        });
        if detail.heads {
            events.emit(Event::Request(head.clone()));
        }
        Report {
            head,
            verdict: None,
            facts: None,
            response_head: None,
            answered_by: AnsweredBy::Daemon,
            started: Instant::now(),
            request: Flow::new(detail.request_capture),
            response: Flow::new(detail.response_capture),
            events,
        }
    }

    fn tap(&self, dir: Dir) -> Option<Tap> {
        self.events.detail().stream.then(|| Tap {
            events: self.events.clone(),
            id: self.head.id,
            dir,
        })
    }

    /// The response head is known (and about to be sent).
    fn respond(&mut self, parts: &http::response::Parts) {
        let head = Arc::new(ResponseHead {
            id: self.head.id,
            status: parts.status.as_u16(),
            version: parts.version,
            headers: if self.events.detail().heads || self.events.detail().response_capture > 0 {
                parts.headers.clone()
            } else {
                Default::default()
            },
        });
        if self.events.detail().heads {
            self.events.emit(Event::Response(head.clone()));
        }
        self.response_head = Some(head);
    }

    /// sockeye answers itself instead of the daemon.
    fn refuse(mut self, err: ProxyError) -> Response<RelayBody> {
        self.answered_by = AnsweredBy::Sockeye;
        let message = err.to_string();
        let resp = err.into_response();
        let (parts, body) = resp.into_parts();
        self.respond(&parts);
        self.finish(true, Some(message));
        Response::from_parts(parts, body)
    }

    fn finish(self, complete: bool, error: Option<String>) {
        self.emit(false, complete, error);
    }

    fn finish_hijack(self, complete: bool, error: Option<String>) {
        self.emit(true, complete, error);
    }

    fn emit(self, hijacked: bool, complete: bool, error: Option<String>) {
        if !self.events.enabled() {
            return;
        }
        let call = Call {
            response: self.response_head,
            answered_by: self.answered_by,
            bytes_in: self.request.total(),
            bytes_out: self.response.total(),
            hijacked,
            incomplete: !complete,
            duration: self.started.elapsed(),
            error,
            request_body: self.request.captured(),
            response_body: self.response.captured(),
            verdict: self.verdict,
            facts: self.facts,
            head: self.head,
        };
        self.events.call(call);
    }
}

/// Reports the call when the response body ends or is abandoned.
struct Done(Report);

impl OnEnd for Done {
    fn ended(self, complete: bool) {
        self.0.finish(complete, None);
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
