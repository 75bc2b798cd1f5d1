//! One direction of a connection: what state its bytes are in, and one step through them.

use super::body::Body;
use super::head::{Head, Step};
use super::{Out, Redactor, FRAMING, HEAD_TOO_LONG, LOST, MAX_HELD, PAST_CHUNK_CAP};

/// One direction of a connection.
#[derive(Default)]
pub(super) struct Side {
    pub(super) state: State,
    /// A head was parsed on this side: from then on, bytes that are not HTTP mean the view
    /// lost track, not that the peer speaks something else.
    parsed_any: bool,
}

pub(super) enum State {
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
pub(super) enum Done {
    Head(Vec<u8>),
    /// A body ended; for a JSON body, what its top-level `Detach` said.
    Body(Option<bool>),
}

impl Side {
    /// Consume some of `data` (at least one byte).
    pub(super) fn step(
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
    pub(super) fn rest(&self, bytes: &[u8], out: &mut Out) {
        match self.state {
            State::Tunnel | State::Garbage => out.capped(bytes, PAST_CHUNK_CAP),
            State::Hidden(why) => out.hide(bytes.len() as u64, why),
            _ => out.hide(bytes.len() as u64, LOST),
        }
    }
}
