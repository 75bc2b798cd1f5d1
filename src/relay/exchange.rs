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

use crate::caller::Caller;
use crate::docker::endpoint;
use crate::docker::facts::Facts;
use crate::event::{
    AnsweredBy, Call, CallId, Dir, Event, Events, Fault, Flow, Recorder, RequestHead, ResponseHead,
    Tap, Verdict,
};
use crate::guard;
use crate::guard::current::CurrentGuard;
use crate::guard::{Account, Body};
use crate::relay::body::{Metered, OnEnd, RelayBody, Sender};
use crate::relay::drain;
use crate::relay::error::{IntoResponse, ProxyError};
use crate::relay::grpc;
use crate::relay::shape::{self, Answer};
use crate::relay::splice;
use crate::relay::tls_live::SessionGuard;
use crate::relay::upstream::{self, Upstream};

/// What every request on one client connection shares.
pub struct Conn {
    pub id: u64,
    /// Who is calling, taken once at accept time.
    pub caller: Arc<Caller>,
    pub upstream: Mutex<Upstream>,
    pub events: Events,
    /// Decides every request ([`guard::Guard::open`] without a policy), each with the guard
    /// in force when it arrived. The daemon side takes only what it cleared.
    pub guard: CurrentGuard,
    pub max_inspected_body: usize,
    /// Hijacked sessions outlive the HTTP connection task; tracked for draining.
    pub tasks: TaskTracker,
    /// A `tls://` client's session: cancelled when a SIGHUP reload revokes its certificate.
    /// Its tunnels (exec, attach) hold it too: they outlive the HTTP connection's task, stay
    /// known to the reload while they run, and end when it closes the session.
    pub session: Option<Arc<SessionGuard>>,
    next_req: AtomicU64,
}

impl Conn {
    pub fn new(
        id: u64,
        caller: Arc<Caller>,
        guard: CurrentGuard,
        upstream: Upstream,
        events: Events,
        max_inspected_body: usize,
        tasks: TaskTracker,
    ) -> Self {
        Conn {
            id,
            caller,
            upstream: Mutex::new(upstream),
            events,
            guard,
            max_inspected_body,
            tasks,
            session: None,
            next_req: AtomicU64::new(1),
        }
    }

    /// The id of the next call on this connection (a request, or an RPC inside one of its
    /// interposed tunnels).
    pub fn next_call_id(&self) -> CallId {
        CallId {
            conn: self.id,
            req: self.next_req.fetch_add(1, Ordering::Relaxed),
        }
    }
}

/// Handle one request. Never fails: every problem becomes a Docker-shaped error response.
///
/// The phases, each with its failure edge (docs/design.md draws them): classify the path;
/// admit (the audit log can record); the guard (read as dockerd will, decide); forward the
/// request the guard cleared; relay the answer (streamed, a 101 tunnel, a stream until the
/// daemon closes, or read whole and redacted as the permit says: `relay::shape`); record the call, with its fault if it has one.
pub async fn handle(
    conn: Arc<Conn>,
    req: Request<Incoming>,
) -> Result<Response<RelayBody>, std::convert::Infallible> {
    // The policy in force now decides this call to its end, whatever a reload does meanwhile.
    let guard = conn.guard.get();
    // Classify.
    let asks_upgrade = req.headers().contains_key(header::UPGRADE);
    // Only POST routes hijack unasked, and an upgrade is only relayed when asked for; other
    // requests need a route lookup only when someone will look at the call.
    let route = if !guard.is_open()
        || conn.events.enabled()
        || req.method() == http::Method::POST
        || asks_upgrade
    {
        super::routes::classify(req.method().as_str(), req.uri().path())
    } else {
        endpoint::Classified::unclassified()
    };
    let mut report = Report::new(&conn, &req, route);
    // Admit.
    if let Err(why) = conn.events.admit() {
        let (parts, body) = req.into_parts();
        drain::unread(&parts.headers, body).await;
        return Ok(report.refuse(ProxyError::NotRecorded(why)));
    }
    let (mut parts, body) = req.into_parts();
    let mut body = Some(body);

    // Guard. Its word is held until the request is forwarded: the daemon side takes only a
    // request the guard cleared.
    // The inspector shows what the decision went through: then the guard keeps an account,
    // as for `policy explain` (the same judge either way).
    let mut account = conn.events.detail().explain.then(Account::default);
    let judged = guard
        .judge(
            &conn.caller,
            &parts,
            &report.head.route,
            Body::Wire(&mut body),
            account.as_mut(),
        )
        .await;
    let trace = |verdict: &mut Option<Verdict>| {
        if let (Some(v), Some(a)) = (verdict.as_mut(), &account) {
            v.trace = a.trace(guard.rego.as_ref().map(|r| r.name()));
        }
    };
    let mut cleared = match judged {
        Ok(cleared) => cleared,
        Err(refused) => {
            if let ProxyError::Denied(denial) = &refused.error {
                report.verdict = Some(Verdict::denied(denial).by_revision(guard.revision()));
                trace(&mut report.verdict);
            }
            report.facts = refused.facts;
            if let Some(bytes) = &refused.body {
                record_whole(&report, bytes);
            }
            if let Some(body) = body.take() {
                drain::unread(&parts.headers, body).await;
            }
            return Ok(report.refuse(refused.error));
        }
    };
    report.verdict = Verdict::of(cleared.permit()).map(|v| v.by_revision(guard.revision()));
    trace(&mut report.verdict);
    report.facts = cleared.facts.take();
    if let Some(uri) = cleared.pinned.take() {
        parts.uri = uri;
    }
    // The body the guard read and decided on; forwarded instead of the client's.
    let decided = cleared.body.take();
    if let Some(bytes) = &decided {
        guard::set_body(&mut parts.headers, bytes);
    }

    let body: RelayBody = match (decided, body) {
        (Some(bytes), _) => whole(&report, bytes),
        // Nobody looks at this call: nothing to count.
        (None, Some(body)) if !conn.events.enabled() => body.boxed_unsync(),
        (None, Some(body)) => {
            let recorder = report.recorder(Dir::ToDaemon);
            Metered::new(body, recorder, Sender::Client, ()).boxed_unsync()
        }
        (None, None) => RelayBody::default(),
    };

    let is_head = parts.method == http::Method::HEAD;
    let client_upgrade = if asks_upgrade {
        parts.extensions.remove::<OnUpgrade>()
    } else {
        None
    };
    // What the decision hides of the answer, and in which answer.
    let redact = cleared.permit().redact();
    let op = report.head.route.operation();
    let upstream_req = cleared.forward(Request::from_parts(parts, body));

    // Forward.
    let mut upstream = conn.upstream.lock().await;
    let mut resp = match upstream.send(upstream_req).await {
        Ok(resp) => resp,
        Err(e) => {
            // The client's body broke before the daemon answered: what the daemon had of it
            // is part of the record.
            let said = match &e {
                ProxyError::BodyAborted { reason } | ProxyError::UnreadableBody { reason, .. } => {
                    report.broken_upload(e.fault(), reason, None)
                }
                _ => e.to_string(),
            };
            return Ok(report.refuse_saying(e, said));
        }
    };

    // Relay the answer: a tunnel after a 101, else its body, streamed.
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
        report.begun();
        // Under a policy, BuildKit's control API is relayed call by call and each build
        // decided (`relay::grpc`); without one, it is a tunnel like any other.
        let interposed = (!guard.is_open()
            && report.head.route.operation() == Some(endpoint::Operation::Grpc))
        .then(|| Arc::new(grpc::Tunnel::new(conn.clone(), report.head.route.clone())));
        let session = conn.session.clone();
        conn.tasks.spawn(async move {
            // Raw bytes flow only once the daemon has really answered 101 and that answer
            // has been written to the client.
            match tokio::join!(client_upgrade, daemon_upgrade) {
                (Ok(client_io), Ok(daemon_io)) if interposed.is_some() => {
                    let recorders = (
                        report.recorder(Dir::ToDaemon),
                        report.recorder(Dir::ToClient),
                    );
                    report.open_session();
                    let tunnel = interposed.expect("checked above");
                    let relayed = grpc::interpose(client_io, daemon_io, tunnel, recorders);
                    let revoked = revoked(session.as_deref());
                    tokio::select! {
                        result = relayed => match result {
                            Ok(()) => report.finish(None, None),
                            Err((fault, e)) => {
                                report.finish(Some(fault), Some(format!("tunnel: {e}")))
                            }
                        },
                        () = revoked => {
                            let why = "closed by sockeye: the client certificate was revoked";
                            report.finish(None, Some(why.into()));
                        }
                    }
                }
                (Ok(client_io), Ok(daemon_io)) => {
                    let recorders = (
                        report.recorder(Dir::ToDaemon),
                        report.recorder(Dir::ToClient),
                    );
                    report.open_session();
                    let splice = splice::splice(client_io, daemon_io, recorders);
                    let revoked = revoked(session.as_deref());
                    let spliced = tokio::select! {
                        spliced = splice => spliced,
                        () = revoked => {
                            // Both ends are dropped with the splice: closed at once.
                            let why = "closed by sockeye: the client certificate was revoked";
                            report.finish(None, Some(why.into()));
                            return;
                        }
                    };
                    let error = spliced.error.map(|k| format!("tunnel: {k}"));
                    report.finish(spliced.fault, error);
                }
                (Err(e), _) => {
                    report.finish(Some(Fault::ClientAborted), Some(upstream::error_chain(&e)))
                }
                (_, Err(e)) => {
                    report.finish(Some(Fault::UpstreamBroke), Some(upstream::error_chain(&e)))
                }
            }
        });
        return Ok(Response::from_parts(parts, RelayBody::default()));
    }
    drop(upstream);

    let (mut parts, body) = resp.into_parts();
    // Shaped as the decision said (never a hijacking route's: those stream).
    match shape::answer(op, redact, is_head, &mut parts, body).await {
        Ok(Answer::Passed(body)) => Ok(relay_answer(report, parts, body, is_head)),
        Ok(Answer::Shaped(bytes)) => {
            if let Some(verdict) = report.verdict.as_mut() {
                verdict.redacted = redact.names();
            }
            let body = Full::new(bytes).map_err(|never| match never {});
            Ok(relay_answer(report, parts, body, is_head))
        }
        Err(e) => Ok(report.refuse(e)),
    }
}

/// Relay the daemon's answer: its body streamed to the client (recorded when someone
/// looks), the call reported when it ends.
fn relay_answer<B>(
    mut report: Report,
    mut parts: http::response::Parts,
    body: B,
    is_head: bool,
) -> Response<RelayBody>
where
    B: hyper::body::Body<Data = Bytes, Error = hyper::Error> + Unpin + Send + 'static,
{
    // An answer delimited by the close is relayed so, whatever the route: dockerd answers that
    // way only on attach and exec start, but Podman also on its own libpod routes (exec start
    // of `podman --remote exec`), whose client reads the raw socket after the head and takes
    // hyper's chunk sizes for stream frames. Two header lookups; every route pays them.
    let until_close = delimited_by_close(is_head, &parts);
    if until_close {
        // hyper frames a body of unknown length as chunked in an HTTP/1.1 answer and keeps
        // the connection; only an HTTP/1.0 answer is delimited by closing it, as dockerd
        // delimits this one. The status line says 1.0 (the one byte that differs): every
        // client reads the body the same way, and the connection ends with it as it does
        // directly, so nothing pipelined behind a hijack is ever read as a request.
        parts.version = http::Version::HTTP_10;
    }
    if !report.events.enabled() {
        return Response::from_parts(parts, body.boxed_unsync());
    }
    // As the client gets it.
    report.respond(&parts);
    // A raw stream after `200 OK`: the header-less form of attach and exec start, recorded
    // as the session its upgraded twin is.
    if until_close && parts.status.is_success() {
        report.open_session();
    }
    report.begun();
    let recorder = report.recorder(Dir::ToClient);
    let done = Done(report);
    Response::from_parts(
        parts,
        Metered::new(body, recorder, Sender::Daemon, done).boxed_unsync(),
    )
}

/// Whether the daemon delimits this answer's body by closing the connection: neither
/// `Content-Length` nor `Transfer-Encoding`, on an answer that has a body. dockerd (Go's
/// net/http) answers that way only on a connection it has hijacked: attach or exec start
/// sent without `Upgrade` (`200 OK` and the raw stream), or an error it found after
/// hijacking (`dockerd-behaviour.md` §3.3). Podman does the same on libpod's attach and exec
/// start (`/v4.3.1/libpod/exec/{id}/start`), routes dockerd does not have.
fn delimited_by_close(is_head: bool, parts: &http::response::Parts) -> bool {
    let bodiless = is_head
        || parts.status.is_informational()
        || parts.status == StatusCode::NO_CONTENT
        || parts.status == StatusCode::NOT_MODIFIED;
    !bodiless
        && !parts.headers.contains_key(header::CONTENT_LENGTH)
        && !parts.headers.contains_key(header::TRANSFER_ENCODING)
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
        let recorder = report.recorder(Dir::ToDaemon);
        recorder.record(bytes);
        recorder.end();
    }
}

/// The request headers a call keeps: all of them for consumers that show heads or export
/// calls (a live view, `trace`), only `Content-Type` (which tells a JSON body) when only the
/// sinks look (the audit log names a call's action from its body): copying and dropping the
/// whole map was ≈ 1.4 k instructions per audited call.
fn request_headers(
    events: &Events,
    detail: &crate::event::Detail,
    headers: &http::HeaderMap,
) -> http::HeaderMap {
    if detail.heads || (detail.request_capture > 0 && events.viewed()) {
        return headers.clone();
    }
    let mut kept = http::HeaderMap::new();
    if detail.request_capture > 0 {
        if let Some(ct) = headers.get(header::CONTENT_TYPE) {
            kept.insert(header::CONTENT_TYPE, ct.clone());
        }
    }
    kept
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
    /// The request body's length as its `Content-Length` announced it (when recorded).
    announced: Option<u64>,
    /// The call is a hijacked session: its end is the session's end.
    session: bool,
    request: Arc<Flow>,
    response: Arc<Flow>,
    /// The call is on record. A report dropped before that (hyper drops the exchange when the
    /// client goes away mid-request, a drain cuts a session short) records it then: a call
    /// the daemon may have run is never missing from the audit log.
    recorded: bool,
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
            id: conn.next_call_id(),
            start: SystemTime::now(),
            caller: conn.caller.clone(),
            method: req.method().clone(),
            target,
            version: req.version(),
            headers: request_headers(&events, &detail, req.headers()),
            route,
        });
        if detail.heads {
            events.emit(Event::Request(head.clone()));
        }
        let announced = if events.enabled() {
            req.headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok())
        } else {
            None
        };
        Report {
            announced,
            head,
            verdict: None,
            facts: None,
            response_head: None,
            answered_by: AnsweredBy::Daemon,
            session: false,
            recorded: false,
            started: Instant::now(),
            request: Flow::new(detail.request_capture),
            response: Flow::new(detail.response_capture),
            events,
        }
    }

    /// Where this call's bytes going `dir` are recorded.
    fn recorder(&self, dir: Dir) -> Recorder {
        let flow = match dir {
            Dir::ToDaemon => &self.request,
            Dir::ToClient => &self.response,
        };
        Recorder {
            flow: flow.clone(),
            tap: self.events.detail().stream.then(|| Tap {
                events: self.events.clone(),
                id: self.head.id,
                dir,
            }),
        }
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
        // The daemon's reason for an error is what a person needs: the view shows its
        // `message`, from the answer's first bytes (this flow has seen none yet).
        let error_capture = self.events.detail().error_capture;
        if head.status >= 400 && error_capture > self.response.limit() {
            self.response = Flow::new(error_capture);
        }
        self.response_head = Some(head);
    }

    /// The answer head went out on a call that may run long after it (a session, `logs -f`,
    /// `events`, `wait`): the live view says it began, since the call's own line comes only
    /// when it ends. Nothing else hears of it: the audit log keeps one record per call.
    fn begun(&self) {
        if !self.events.viewed() {
            return;
        }
        let Some(response) = &self.response_head else {
            return;
        };
        if crate::see::view::runs_long(&self.head, response.status, self.session) {
            self.events.emit(Event::Begun {
                head: self.head.clone(),
                response: response.clone(),
            });
        }
    }

    /// sockeye answers itself instead of the daemon.
    fn refuse(self, err: ProxyError) -> Response<RelayBody> {
        let message = err.to_string();
        self.refuse_saying(err, message)
    }

    /// sockeye answers `err` itself; the record's error says `message`.
    fn refuse_saying(mut self, err: ProxyError, message: String) -> Response<RelayBody> {
        self.answered_by = AnsweredBy::Sockeye;
        let err_fault = err.fault();
        let resp = err.into_response();
        let (parts, body) = resp.into_parts();
        self.respond(&parts);
        self.finish(Some(err_fault), Some(message));
        Response::from_parts(parts, body)
    }

    /// A request body the client broke off (`fault`: cut off or malformed, `why`) after
    /// sockeye had begun relaying it, in words for the record: how much of it came, and
    /// what the daemon had (those bytes, and the answer it had begun, `answered`). hyper
    /// closes the daemon's connection rather than end that body wrong; the daemon may well
    /// have acted on what it got (`docker cp` writes files as they come).
    fn broken_upload(&self, fault: Fault, why: &str, answered: Option<u16>) -> String {
        let n = self.request.total();
        let of = match self.announced {
            Some(m) => format!("{n} of the {m} bytes its Content-Length announced"),
            None => format!("{n} bytes"),
        };
        let broke = match fault {
            Fault::ClientAborted => {
                format!("the client broke its request body off after {of} ({why})")
            }
            _ => format!("the client's request body is malformed after {of} ({why})"),
        };
        let daemon = match answered {
            Some(status) => format!("had answered {status}"),
            None => "had not answered".to_string(),
        };
        format!(
            "{broke}; sockeye had passed those bytes on to the daemon, which {daemon}, and \
             closed the daemon's connection"
        )
    }

    /// The connection now carries a raw stream both ways (or, in the header-less form, the
    /// daemon's output until it closes): the call is a session until [`Report::finish`].
    fn open_session(&mut self) {
        self.session = true;
        self.events.session(true);
    }

    /// The call ended: at its natural end, or with `fault` saying why not. A refusal is
    /// complete (sockeye's answer went out whole) and still carries its fault.
    fn finish(mut self, fault: Option<Fault>, error: Option<String>) {
        self.record(fault, error);
    }

    fn record(&mut self, fault: Option<Fault>, error: Option<String>) {
        if self.recorded || !self.events.enabled() {
            return;
        }
        self.recorded = true;
        // sockeye's own answer is whole, unless the client went away before it could have it.
        let complete = fault.is_none()
            || (self.answered_by == AnsweredBy::Sockeye && fault != Some(Fault::ClientAborted));
        if self.session {
            self.events.session(false);
        }
        let call = Call {
            response: self.response_head.take(),
            answered_by: self.answered_by,
            bytes_in: self.request.total(),
            bytes_out: self.response.total(),
            hijacked: self.session,
            incomplete: !complete,
            duration: self.started.elapsed(),
            error,
            request_body: self.request.captured(),
            response_body: self.response.captured(),
            verdict: self.verdict.take(),
            facts: self.facts.take(),
            head: self.head.clone(),
            fault,
        };
        self.events.call(call);
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        self.record(
            Some(Fault::ClientAborted),
            Some("cut short before it ended: the client went away (or sockeye stopped)".into()),
        );
    }
}

/// Reports the call when the response body ends or is abandoned.
struct Done(Report);

impl OnEnd for Done {
    fn ended(self, fault: Option<Fault>) {
        let report = self.0;
        let request = report.request.clone();
        match (fault, request.broken()) {
            // The client broke its upload off while the daemon answered: sockeye closed the
            // daemon's connection with it, which broke the answer too. The client's doing.
            (Some(_), Some((fault, why))) => {
                let answered = report.response_head.as_ref().map(|h| h.status);
                let said = report.broken_upload(*fault, why, answered);
                report.finish(Some(*fault), Some(said));
            }
            _ => report.finish(fault, None),
        }
    }
}

/// Ends when a reload closes the session of a certificate it revoked; never without one.
async fn revoked(session: Option<&SessionGuard>) {
    match session {
        Some(s) => s.close.cancelled().await,
        None => std::future::pending().await,
    }
}
