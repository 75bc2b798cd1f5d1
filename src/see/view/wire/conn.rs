//! One client connection parsed as HTTP/1, incrementally and both ways, so the wire view can
//! redact what it shows.
//!
//! Every buffer is capped. What cannot be redacted is counted, never shown: a JSON body too
//! large to buffer, a head too long to keep, HTTP/2, and bytes that stop being HTTP once the
//! view has seen HTTP on that side (it has lost track: a live view drops events when it
//! cannot keep up, and the next bytes may be the middle of a body). A peer that speaks
//! something else from its very first byte is shown escaped, as socat would.

use std::collections::VecDeque;

use crate::docker::endpoint::{self, Hijack, Operation, Streaming};

use super::{visible, Redactor, Style};

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

    fn request_head(&mut self, head: &[u8], out: &mut Out, r: &Redactor) {
        out.start_line();
        let lines = split_lines(head);
        let first = lines[0];
        let mut parts = first.content.splitn(3, |&b| b == b' ');
        let method = String::from_utf8_lossy(parts.next().unwrap_or_default());
        let target = String::from_utf8_lossy(parts.next().unwrap_or_default());
        let version = String::from_utf8_lossy(parts.next().unwrap_or_default());
        if method == "PRI" && version == "HTTP/2.0" {
            // HTTP/2 with prior knowledge: the preface, then frames both ways.
            out.raw(head);
            self.req.state = State::Hidden(HTTP2);
            self.resp.state = State::Hidden(HTTP2);
            return;
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target.as_ref(), None),
        };
        let op = endpoint::classify(&method, path).operation();
        match query.map(|q| (q, (r.query)(op, q))) {
            Some((q, shown)) if shown != q => out.line(
                &format!("{method} {path}?{shown} {version}"),
                first.ending(),
            ),
            _ => out.raw(first.full),
        }
        let facts = headers(&lines[1..], out, r);

        let route = matches!(
            op.map(Operation::hijack),
            Some(Hijack::Always | Hijack::UnlessDetached)
        );
        let upgrade = facts.upgrade.is_some();
        let h2 = op.is_some_and(|o| o.streaming() == Streaming::H2c)
            || facts.upgrade.as_deref().is_some_and(names_h2c);
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(Pending {
            seq,
            head: method == "HEAD",
            op,
            route,
            upgrade,
            h2,
        });
        self.current = Some(Current {
            seq,
            hold: route || upgrade,
        });

        let framing = match (&facts.transfer_encoding, facts.content_length) {
            (Some(te), _) if te.trim().eq_ignore_ascii_case("chunked") => {
                Some(Framing::Chunked(Chunk::Size(Vec::new())))
            }
            // dockerd answers 501 or 400 and closes: what follows is not a request.
            (Some(_), _) | (None, Some(Err(()))) => {
                self.current = None;
                self.req.state = State::Hidden(FRAMING);
                return;
            }
            (None, None | Some(Ok(0))) => None,
            (None, Some(Ok(n))) => Some(Framing::Length(n)),
        };
        match framing {
            None => self.request_done(None),
            Some(framing) => {
                let json = is_json(&facts.content_type)
                    || op.is_some_and(|o| {
                        !matches!(
                            o.streaming(),
                            Streaming::TarRequest | Streaming::TarRequestProgress
                        )
                    });
                self.req.state = State::Body(Body::new(framing, json, op));
            }
        }
    }

    /// The current request has been read whole; `detached` is what its JSON body said.
    fn request_done(&mut self, detached: Option<bool>) {
        self.req.state = State::Head(Head::default());
        let Some(mut cur) = self.current.take() else {
            return;
        };
        if detached == Some(true) {
            if let Some(p) = self.pending.iter_mut().find(|p| p.seq == cur.seq) {
                p.route = false;
                cur.hold = p.upgrade;
            }
        }
        if !cur.hold {
            return;
        }
        match self.early.take() {
            Some((seq, answer)) if seq == cur.seq => self.req.state = answer.state(),
            other => {
                self.early = other;
                self.req.state = State::Held {
                    bytes: Vec::new(),
                    dropped: 0,
                };
            }
        }
    }

    fn response_head(&mut self, head: &[u8], out: &mut Out, r: &Redactor) {
        out.start_line();
        let lines = split_lines(head);
        let status: u16 = std::str::from_utf8(lines[0].content.get(9..12).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        out.raw(lines[0].full);
        let facts = headers(&lines[1..], out, r);
        if (100..200).contains(&status) && status != 101 {
            return; // Informational: the real answer follows.
        }
        let req = self.pending.pop_front();
        let seq = req.map(|p| p.seq);
        let op = req.and_then(|p| p.op);
        if status == 101 {
            let h2 = req.is_some_and(|p| p.h2) || facts.upgrade.as_deref().is_some_and(names_h2c);
            let answer = if h2 { Answer::Http2 } else { Answer::Tunnel };
            self.resp.state = answer.state();
            self.answer(seq, answer, out, r);
            return;
        }
        let unframed = facts.content_length.is_none() && facts.transfer_encoding.is_none();
        if req.is_some_and(|p| p.route) && unframed {
            // dockerd hijacked without an Upgrade header: raw bytes both ways until close.
            self.resp.state = State::Tunnel;
            self.answer(seq, Answer::Tunnel, out, r);
            return;
        }
        if req.is_some_and(|p| p.route || p.upgrade) {
            self.answer(seq, Answer::Http, out, r);
        }
        let framing = if req.is_some_and(|p| p.head) || status == 204 || status == 304 {
            None
        } else if let Some(te) = &facts.transfer_encoding {
            let last = te.rsplit(',').next().unwrap_or_default().trim();
            if last.eq_ignore_ascii_case("chunked") {
                Some(Framing::Chunked(Chunk::Size(Vec::new())))
            } else {
                Some(Framing::Close)
            }
        } else {
            match facts.content_length {
                Some(Ok(0)) => None,
                Some(Ok(n)) => Some(Framing::Length(n)),
                None | Some(Err(())) => Some(Framing::Close),
            }
        };
        let Some(framing) = framing else { return };
        // `/auth` answers may carry an IdentityToken; plain JSON answers carry Env, swarm
        // join tokens, unlock keys, volume options: all go through the redaction.
        let json = op == Some(Operation::SystemAuth)
            || (!matches!(framing, Framing::Close)
                && is_json(&facts.content_type)
                && !op.is_some_and(|o| {
                    !matches!(
                        o.streaming(),
                        Streaming::Plain | Streaming::HeadOnly | Streaming::LongPoll
                    )
                }));
        self.resp.state = State::Body(Body::new(framing, json, op));
    }

    /// The daemon answered request `seq` (when known) in a way that decides what the client's
    /// later bytes are.
    fn answer(&mut self, seq: Option<u64>, answer: Answer, out: &mut Out, r: &Redactor) {
        if let (Some(cur), Some(seq)) = (self.current, seq) {
            if cur.seq == seq {
                self.early = Some((seq, answer));
                return;
            }
        }
        // What the client sent meanwhile is shown after the answer's own bytes.
        let mut text = Vec::new();
        let mut later = Out {
            text: &mut text,
            style: out.style,
            hidden: None,
            raw_shown: 0,
        };
        match &mut self.req.state {
            State::Held { bytes, dropped } => {
                let held = std::mem::take(bytes);
                let dropped = *dropped;
                self.req.state = answer.state();
                if !held.is_empty() {
                    later.note(&format!(
                        "(> the {} bytes the client sent before this answer:)",
                        held.len()
                    ));
                    self.run(true, &held, &mut later, r);
                }
                later.hide(dropped as u64, HELD_TOO_MUCH);
            }
            State::Head(head) if answer != Answer::Http => {
                let partial = std::mem::take(&mut head.buf);
                self.req.state = answer.state();
                if !partial.is_empty() {
                    later.note(&format!(
                        "(> the {} bytes the client sent before this answer:)",
                        partial.len()
                    ));
                    self.req.rest(&partial, &mut later);
                }
            }
            _ => {}
        }
        later.flush_hidden();
        self.released.extend_from_slice(&text);
    }
}

/// One direction of a connection.
#[derive(Default)]
struct Side {
    state: State,
    /// A head was parsed on this side: from then on, bytes that are not HTTP mean the view
    /// lost track, not that the peer speaks something else.
    parsed_any: bool,
}

enum State {
    Head(Head),
    Body(Body),
    /// Client bytes after a request that may take the connection over, until the answer.
    Held {
        bytes: Vec<u8>,
        dropped: usize,
    },
    /// Raw bytes both ways after a takeover: shown escaped, capped per chunk.
    Tunnel,
    /// Counted, not shown.
    Hidden(&'static str),
    /// Not HTTP from the first byte: shown escaped, capped per chunk.
    Garbage,
}

impl Default for State {
    fn default() -> Self {
        State::Head(Head::default())
    }
}

/// What a step completed that the connection must act on.
enum Done {
    Head(Vec<u8>),
    /// A body ended; for a JSON body, what its top-level `Detach` said.
    Body(Option<bool>),
}

impl Side {
    /// Consume some of `data` (at least one byte).
    fn step(
        &mut self,
        data: &mut &[u8],
        request: bool,
        out: &mut Out,
        r: &Redactor,
    ) -> Option<Done> {
        match &mut self.state {
            State::Head(head) => match head.take(data, request) {
                Step::More => None,
                Step::Blank(line) => {
                    out.raw(&line);
                    None
                }
                Step::NotHttp(bytes) => {
                    self.state = if self.parsed_any {
                        State::Hidden(LOST)
                    } else {
                        State::Garbage
                    };
                    self.rest(&bytes, out);
                    None
                }
                Step::TooLong(n) => {
                    self.state = State::Hidden(HEAD_TOO_LONG);
                    out.hide(n as u64, HEAD_TOO_LONG);
                    None
                }
                Step::Done(head) => {
                    self.parsed_any = true;
                    Some(Done::Head(head))
                }
            },
            State::Body(body) => {
                let fed = body.feed(data, out, r);
                *data = &data[fed.used..];
                if fed.broken {
                    out.hide(fed.lost as u64, FRAMING);
                    self.state = State::Hidden(FRAMING);
                    None
                } else if fed.done {
                    match std::mem::take(&mut self.state) {
                        State::Body(body) => Some(Done::Body(body.finish(out, r))),
                        _ => None,
                    }
                } else {
                    None
                }
            }
            State::Held { bytes, dropped } => {
                let keep = (MAX_HELD - bytes.len()).min(data.len());
                bytes.extend_from_slice(&data[..keep]);
                *dropped += data.len() - keep;
                *data = &[];
                None
            }
            _ => {
                let rest = std::mem::take(data);
                self.rest(rest, out);
                None
            }
        }
    }

    /// Bytes in a state that shows them as they come (or counts them).
    fn rest(&self, bytes: &[u8], out: &mut Out) {
        match self.state {
            State::Tunnel | State::Garbage => out.capped(bytes, PAST_CHUNK_CAP),
            State::Hidden(why) => out.hide(bytes.len() as u64, why),
            _ => out.hide(bytes.len() as u64, LOST),
        }
    }
}

/// A head being read.
#[derive(Default)]
struct Head {
    buf: Vec<u8>,
    /// Where the line being read starts in `buf`.
    line_start: usize,
    /// The request or status line was read and looks right.
    first_line: bool,
}

enum Step {
    More,
    /// An empty line before the first line (tolerated).
    Blank(Vec<u8>),
    NotHttp(Vec<u8>),
    TooLong(usize),
    Done(Vec<u8>),
}

impl Head {
    fn take(&mut self, data: &mut &[u8], request: bool) -> Step {
        loop {
            if data.is_empty() {
                return Step::More;
            }
            let newline = data.iter().position(|&b| b == b'\n');
            let end = newline.map_or(data.len(), |p| p + 1);
            self.buf.extend_from_slice(&data[..end]);
            *data = &data[end..];
            if !self.first_line && !plausible_start(&self.buf, request) {
                return Step::NotHttp(std::mem::take(self).buf);
            }
            if self.buf.len() > MAX_HEAD {
                return Step::TooLong(std::mem::take(self).buf.len());
            }
            if newline.is_none() {
                return Step::More;
            }
            let line = strip_eol(&self.buf[self.line_start..]);
            if !self.first_line {
                if line.is_empty() {
                    return Step::Blank(std::mem::take(self).buf);
                }
                if !first_line_ok(line, request) {
                    return Step::NotHttp(std::mem::take(self).buf);
                }
                self.first_line = true;
            } else if line.is_empty() {
                return Step::Done(std::mem::take(self).buf);
            }
            self.line_start = self.buf.len();
        }
    }
}

/// Whether the bytes so far can still begin a request line (`METHOD SP`) or status line.
fn plausible_start(buf: &[u8], request: bool) -> bool {
    if !request {
        let n = buf.len().min(5);
        return buf[..n] == b"HTTP/"[..n];
    }
    for (i, &b) in buf.iter().enumerate().take(33) {
        if b == b' ' {
            return i > 0;
        }
        if !is_tchar(b) {
            return false;
        }
    }
    buf.len() < 33
}

fn first_line_ok(line: &[u8], request: bool) -> bool {
    if request {
        let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        parts.len() == 3
            && !parts[0].is_empty()
            && parts[0].iter().all(|&b| is_tchar(b))
            && !parts[1].is_empty()
            && parts[2].starts_with(b"HTTP/")
    } else {
        line.starts_with(b"HTTP/")
            && matches!(line.iter().position(|&b| b == b' '), Some(sp)
                if line.len() >= sp + 4
                    && line[sp + 1..sp + 4].iter().all(u8::is_ascii_digit)
                    && matches!(line.get(sp + 4), None | Some(b' ')))
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn strip_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[derive(Clone, Copy)]
struct Line<'a> {
    /// Without the line ending.
    content: &'a [u8],
    /// With it.
    full: &'a [u8],
}

impl<'a> Line<'a> {
    fn ending(&self) -> &'a [u8] {
        &self.full[self.content.len()..]
    }
}

fn split_lines(head: &[u8]) -> Vec<Line<'_>> {
    head.split_inclusive(|&b| b == b'\n')
        .map(|full| Line {
            content: strip_eol(full),
            full,
        })
        .collect()
}

/// What the headers say about framing and upgrades.
#[derive(Default)]
struct Facts {
    /// `Err` when invalid or contradictory (dockerd answers 400).
    content_length: Option<Result<u64, ()>>,
    /// All Transfer-Encoding values, joined.
    transfer_encoding: Option<String>,
    content_type: String,
    upgrade: Option<String>,
}

impl Facts {
    fn note(&mut self, name: &str, value: &[u8]) {
        let text = String::from_utf8_lossy(value);
        if name.eq_ignore_ascii_case("content-length") {
            let parsed = if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
                text.parse::<u64>().map_err(|_| ())
            } else {
                Err(())
            };
            self.content_length = match (self.content_length, parsed) {
                (None, p) => Some(p),
                (Some(Ok(a)), Ok(b)) if a == b => Some(Ok(a)),
                _ => Some(Err(())),
            };
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            self.transfer_encoding = Some(match self.transfer_encoding.take() {
                Some(before) => format!("{before}, {text}"),
                None => text.into_owned(),
            });
        } else if name.eq_ignore_ascii_case("content-type") && self.content_type.is_empty() {
            self.content_type = text.into_owned();
        } else if name.eq_ignore_ascii_case("upgrade") && self.upgrade.is_none() {
            self.upgrade = Some(text.into_owned());
        }
    }
}

/// Show header lines (and the blank line ending them), each value through the redaction:
/// a line whose value it leaves alone is shown as it was sent.
fn headers(lines: &[Line], out: &mut Out, r: &Redactor) -> Facts {
    let mut facts = Facts::default();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        // obs-fold: continuation lines belong to this header's value.
        let mut j = i + 1;
        while j < lines.len() && matches!(lines[j].content.first(), Some(b' ' | b'\t')) {
            j += 1;
        }
        let group = &lines[i..j];
        i = j;
        let Some(colon) = line.content.iter().position(|&b| b == b':') else {
            group.iter().for_each(|l| out.raw(l.full));
            continue;
        };
        let raw_name = &line.content[..colon];
        let name = String::from_utf8_lossy(raw_name);
        let name = name.trim();
        let mut value = line.content[colon + 1..].trim_ascii().to_vec();
        for more in &group[1..] {
            value.push(b' ');
            value.extend_from_slice(more.content.trim_ascii());
        }
        facts.note(name, &value);
        let shown = (r.header)(name, &value);
        if shown == String::from_utf8_lossy(&value) {
            group.iter().for_each(|l| out.raw(l.full));
        } else {
            let raw_name = String::from_utf8_lossy(raw_name);
            out.line(&format!("{raw_name}: {shown}"), line.ending());
        }
    }
    facts
}

fn is_json(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default();
    media.to_ascii_lowercase().contains("json")
}

fn names_h2c(upgrade: &str) -> bool {
    upgrade.to_ascii_lowercase().contains("h2c")
}

/// A body being read.
struct Body {
    framing: Framing,
    render: Render,
    /// Escaped bytes shown so far (payload and chunk lines).
    shown: usize,
}

enum Framing {
    Length(u64),
    Chunked(Chunk),
    /// Until the connection closes.
    Close,
}

enum Chunk {
    Size(Vec<u8>),
    Data(u64),
    /// The line ending after a chunk's data.
    DataEnd(Vec<u8>),
    Trailer(Vec<u8>),
}

enum Render {
    /// Buffered whole, parsed, redacted, shown compact.
    Json {
        op: Option<Operation>,
        buf: Vec<u8>,
        total: u64,
        too_big: bool,
    },
    /// Shown escaped, capped.
    Escaped,
}

/// What `Body::feed` did.
struct Fed {
    used: usize,
    done: bool,
    /// The framing is broken: the body (and the connection) cannot be followed.
    broken: bool,
    /// Bytes consumed and neither shown nor counted yet (when broken).
    lost: usize,
}

impl Body {
    fn new(framing: Framing, json: bool, op: Option<Operation>) -> Self {
        let render = if json {
            Render::Json {
                op,
                buf: Vec::new(),
                total: 0,
                too_big: false,
            }
        } else {
            Render::Escaped
        };
        Body {
            framing,
            render,
            shown: 0,
        }
    }

    fn feed(&mut self, data: &[u8], out: &mut Out, r: &Redactor) -> Fed {
        let mut used = 0;
        loop {
            let rest = &data[used..];
            let fed = |used, done| Fed {
                used,
                done,
                broken: false,
                lost: 0,
            };
            match std::mem::replace(&mut self.framing, Framing::Close) {
                Framing::Close => {
                    self.payload(rest, out);
                    return fed(data.len(), false);
                }
                Framing::Length(left) => {
                    let n = left.min(rest.len() as u64) as usize;
                    self.payload(&rest[..n], out);
                    self.framing = Framing::Length(left - n as u64);
                    return fed(used + n, left == n as u64);
                }
                Framing::Chunked(Chunk::Data(left)) => {
                    if rest.is_empty() {
                        self.framing = Framing::Chunked(Chunk::Data(left));
                        return fed(used, false);
                    }
                    let n = left.min(rest.len() as u64) as usize;
                    self.payload(&rest[..n], out);
                    used += n;
                    self.framing = Framing::Chunked(if left == n as u64 {
                        Chunk::DataEnd(Vec::new())
                    } else {
                        Chunk::Data(left - n as u64)
                    });
                }
                Framing::Chunked(mut chunk) => {
                    let (Chunk::Size(line) | Chunk::DataEnd(line) | Chunk::Trailer(line)) =
                        &mut chunk
                    else {
                        return fed(used, false); // Data is handled above.
                    };
                    if rest.is_empty() {
                        self.framing = Framing::Chunked(chunk);
                        return fed(used, false);
                    }
                    let end = rest.iter().position(|&b| b == b'\n').map(|p| p + 1);
                    let n = end.unwrap_or(rest.len());
                    line.extend_from_slice(&rest[..n]);
                    used += n;
                    if line.len() > MAX_LINE {
                        let lost = line.len();
                        return Fed {
                            used,
                            done: false,
                            broken: true,
                            lost,
                        };
                    }
                    if end.is_none() {
                        self.framing = Framing::Chunked(chunk);
                        return fed(used, false);
                    }
                    let line = std::mem::take(line);
                    let content = strip_eol(&line);
                    let next = match chunk {
                        Chunk::Size(_) => match chunk_size(content) {
                            None => {
                                return Fed {
                                    used,
                                    done: false,
                                    broken: true,
                                    lost: line.len(),
                                }
                            }
                            Some(0) => Chunk::Trailer(Vec::new()),
                            Some(size) => Chunk::Data(size),
                        },
                        Chunk::DataEnd(_) if content.is_empty() => Chunk::Size(Vec::new()),
                        Chunk::DataEnd(_) => {
                            return Fed {
                                used,
                                done: false,
                                broken: true,
                                lost: line.len(),
                            }
                        }
                        Chunk::Trailer(_) if content.is_empty() => {
                            // The end of the body is always shown.
                            out.raw(&line);
                            return fed(used, true);
                        }
                        Chunk::Trailer(_) => {
                            // A trailer is a header: redact it like one.
                            self.shown += line.len();
                            headers(
                                &[Line {
                                    content,
                                    full: &line,
                                }],
                                out,
                                r,
                            );
                            self.framing = Framing::Chunked(Chunk::Trailer(Vec::new()));
                            continue;
                        }
                        Chunk::Data(_) => return fed(used, false),
                    };
                    if matches!(next, Chunk::Trailer(_)) {
                        out.raw(&line); // The last chunk: the end of the body is always shown.
                    } else {
                        self.framing_line(&line, out);
                    }
                    self.framing = Framing::Chunked(next);
                }
            }
        }
    }

    /// A chunk-size line or the line ending after chunk data, shown like socat shows it.
    fn framing_line(&mut self, line: &[u8], out: &mut Out) {
        if self.shown < SHOW {
            self.shown += line.len();
            out.raw(line);
        } else {
            out.hide(line.len() as u64, PAST_BODY_CAP);
        }
    }

    fn payload(&mut self, bytes: &[u8], out: &mut Out) {
        if bytes.is_empty() {
            return;
        }
        match &mut self.render {
            Render::Json {
                buf,
                total,
                too_big,
                ..
            } => {
                *total += bytes.len() as u64;
                if *too_big {
                } else if buf.len() + bytes.len() > MAX_JSON {
                    *too_big = true;
                    *buf = Vec::new();
                } else {
                    buf.extend_from_slice(bytes);
                }
            }
            Render::Escaped => {
                let n = SHOW.saturating_sub(self.shown).min(bytes.len());
                self.shown += n;
                out.raw(&bytes[..n]);
                out.hide((bytes.len() - n) as u64, PAST_BODY_CAP);
            }
        }
    }

    /// The body ended: show a JSON body, redacted. Returns its top-level `Detach`.
    fn finish(self, out: &mut Out, r: &Redactor) -> Option<bool> {
        let Render::Json {
            op,
            buf,
            total,
            too_big,
        } = self.render
        else {
            return None;
        };
        if total == 0 {
            return None;
        }
        if too_big {
            out.note(&format!(
                "({total} bytes not shown: a JSON body larger than 1 MiB cannot be redacted)"
            ));
            return None;
        }
        let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&buf) else {
            out.note(&format!(
                "({total} bytes not shown: not valid JSON, so not redactable)"
            ));
            return None;
        };
        // dockerd reads keys case-insensitively; the last match wins.
        let detached = value.as_object().and_then(|o| {
            o.iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("detach"))
                .filter_map(|(_, v)| v.as_bool())
                .next_back()
        });
        (r.json)(op, &mut value);
        out.line(&value.to_string(), b"");
        detached
    }
}

fn chunk_size(line: &[u8]) -> Option<u64> {
    let size = line
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if size.is_empty() || size.len() > 16 || !size.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(size).ok()?, 16).ok()
}

/// What one chunk's rendering is being written to.
struct Out<'a> {
    text: &'a mut Vec<u8>,
    style: &'a Style,
    /// Bytes left out and not yet reported, and why.
    hidden: Option<(u64, &'static str)>,
    /// Escaped tunnel or garbage bytes shown for this chunk.
    raw_shown: usize,
}

impl Out<'_> {
    fn flush_hidden(&mut self) {
        if let Some((n, why)) = self.hidden.take() {
            self.note(&format!("({n} bytes not shown: {why})"));
        }
    }

    fn start_line(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with(b"\n") {
            self.text.push(b'\n');
        }
    }

    /// Bytes as they were on the wire, escaped.
    fn raw(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.flush_hidden();
        self.text.extend_from_slice(&visible(bytes));
    }

    /// A line of the view's own (a redacted head line, a JSON body), with the line ending
    /// the wire had.
    fn line(&mut self, s: &str, ending: &[u8]) {
        self.flush_hidden();
        self.start_line();
        self.text.extend_from_slice(&visible(s.as_bytes()));
        self.text.extend_from_slice(&visible(ending));
        if !ending.ends_with(b"\n") {
            self.text.push(b'\n');
        }
    }

    fn note(&mut self, s: &str) {
        if self.hidden.is_some() {
            self.flush_hidden();
        }
        self.start_line();
        self.text.extend_from_slice(self.style.dim(s).as_bytes());
        self.text.push(b'\n');
    }

    fn hide(&mut self, n: u64, why: &'static str) {
        if n == 0 {
            return;
        }
        match &mut self.hidden {
            Some((m, w)) if *w == why => *m += n,
            _ => {
                self.flush_hidden();
                self.hidden = Some((n, why));
            }
        }
    }

    /// Escaped bytes of a tunnel or of garbage, at most `SHOW` per chunk.
    fn capped(&mut self, bytes: &[u8], why: &'static str) {
        let n = SHOW.saturating_sub(self.raw_shown).min(bytes.len());
        self.raw_shown += n;
        self.raw(&bytes[..n]);
        self.hide((bytes.len() - n) as u64, why);
    }
}
