//! The response side: an answer's head read and shown redacted, and what it makes of the
//! connection.

use crate::docker::endpoint::{Operation, Streaming};

use super::body::{Body, Chunk, Framing};
use super::head::split_lines;
use super::headers::{headers, is_json, names_h2c};
use super::{Answer, Conn, Out, Redactor, State, HELD_TOO_MUCH};

impl Conn {
    pub(super) fn response_head(&mut self, head: &[u8], out: &mut Out, r: &Redactor) {
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
