//! The request side: a request's head read, shown redacted, and what it tells the answer.

use crate::docker::endpoint::{self, Hijack, Operation, Streaming};

use super::body::{Body, Chunk, Framing};
use super::head::{split_lines, Head};
use super::headers::{headers, is_json, names_h2c};
use super::{Conn, Current, Out, Pending, Redactor, State, FRAMING, HTTP2, MAX_PENDING};

impl Conn {
    pub(super) fn request_head(&mut self, head: &[u8], out: &mut Out, r: &Redactor) {
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
    pub(super) fn request_done(&mut self, detached: Option<bool>) {
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
}
