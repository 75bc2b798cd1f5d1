//! One client connection parsed as HTTP/1, incrementally and both ways, so the wire view can
//! redact what it shows.
//!
//! Every buffer is capped. What cannot be redacted is counted, never shown: a JSON body too
//! large to buffer, a head too long to keep, HTTP/2, and bytes that stop being HTTP once the
//! view has seen HTTP on that side (it has lost track: a live view drops events when it
//! cannot keep up, and the next bytes may be the middle of a body). A peer that speaks
//! something else from its very first byte is shown escaped, as socat would.

mod body;
mod head;
mod headers;
mod out;
mod request;
mod response;
mod side;

use std::collections::VecDeque;

use crate::docker::endpoint::Operation;

use super::{Redactor, Style};

use head::Head;
use out::Out;
use side::{Done, Side, State};

/// Longest head kept to redact it (Go's server allows 1 MiB plus 4 KiB of slack).
const MAX_HEAD: usize = (1 << 20) + 4096;
/// Longest chunk-size or trailer line.
const MAX_LINE: usize = 4096;
/// Largest JSON body buffered to redact it.
pub(super) const MAX_JSON: usize = 1 << 20;
/// Escaped bytes shown per body, and per chunk of a tunnel or of garbage.
pub(super) const SHOW: usize = 4096;
/// Client bytes held while the daemon decides whether it takes the connection over.
const MAX_HELD: usize = 64 * 1024;
/// Requests remembered while they wait for their answers.
const MAX_PENDING: usize = 1024;

// Why bytes are not shown (completes "(N bytes not shown: …)").
const PAST_BODY_CAP: &str = "past the first 4096 bytes of this body";
const PAST_CHUNK_CAP: &str = "past the first 4096 bytes of this chunk";
const HTTP2: &str = "HTTP/2, which may carry build secrets and registry credentials";
const LOST: &str = "not HTTP where a message was expected; the view lost track";
const FORGOTTEN: &str = "the view forgot this connection";
const HEAD_TOO_LONG: &str = "a head longer than 1 MiB cannot be redacted";
const FRAMING: &str = "body framing the view does not follow";
const HELD_TOO_MUCH: &str = "sent while the daemon had not yet answered a hijack request";

/// A connection's parsing state, both ways.
#[derive(Default)]
pub(super) struct Conn {
    /// Bytes seen client → daemon and daemon → client (socat's offsets).
    pub(super) sent: [u64; 2],
    /// When it was last fed (the wire view's event count).
    pub(super) used: u64,
    req: Side,
    resp: Side,
    /// Requests whose answers have not arrived, oldest first.
    pending: VecDeque<Pending>,
    next_seq: u64,
    /// The request being read (head seen, body not finished).
    current: Option<Current>,
    /// The daemon's answer to the current request, given before the client finished it.
    early: Option<(u64, Answer)>,
    /// Client bytes an answer released, shown after the rest of the answer's chunk.
    released: Vec<u8>,
}

/// What the response side needs to know about a request.
#[derive(Clone, Copy)]
struct Pending {
    seq: u64,
    head: bool,
    op: Option<Operation>,
    /// dockerd takes the connection over on this route (attach; exec start unless detached).
    route: bool,
    /// The client asked to upgrade the connection.
    upgrade: bool,
    /// What follows a takeover is HTTP/2.
    h2: bool,
}

#[derive(Clone, Copy)]
struct Current {
    seq: u64,
    /// The daemon may take the connection over: hold what follows until it answers.
    hold: bool,
}

/// What the daemon's answer made of a connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Http,
    Tunnel,
    Http2,
}

impl Answer {
    fn state(self) -> State {
        match self {
            Answer::Http => State::Head(Head::default()),
            Answer::Tunnel => State::Tunnel,
            Answer::Http2 => State::Hidden(HTTP2),
        }
    }
}

impl Conn {
    /// A connection whose earlier bytes were forgotten: nothing of it can be trusted to parse.
    pub(super) fn forgotten() -> Self {
        let mut conn = Conn::default();
        conn.req.state = State::Hidden(FORGOTTEN);
        conn.resp.state = State::Hidden(FORGOTTEN);
        conn
    }

    /// Take one chunk of bytes and append what it completes, redacted, to `text`.
    pub(super) fn feed(
        &mut self,
        to_daemon: bool,
        data: &[u8],
        r: &Redactor,
        style: &Style,
        text: &mut Vec<u8>,
    ) {
        let mut out = Out {
            text,
            style,
            hidden: None,
            raw_shown: 0,
        };
        self.run(to_daemon, data, &mut out, r);
        out.flush_hidden();
        let released = std::mem::take(&mut self.released);
        if !released.is_empty() {
            out.start_line();
            out.text.extend_from_slice(&released);
        }
    }

    fn run(&mut self, to_daemon: bool, mut data: &[u8], out: &mut Out, r: &Redactor) {
        while !data.is_empty() {
            let side = if to_daemon {
                &mut self.req
            } else {
                &mut self.resp
            };
            match side.step(&mut data, to_daemon, out, r) {
                None => {}
                Some(Done::Head(head)) if to_daemon => self.request_head(&head, out, r),
                Some(Done::Head(head)) => self.response_head(&head, out, r),
                Some(Done::Body(detached)) if to_daemon => self.request_done(detached),
                Some(Done::Body(_)) => {}
            }
        }
    }
}
