//! Bodies as they stream through: counted and tapped, never collected.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::{Body, Frame, SizeHint};

use crate::event::{Fault, Recorder};
use crate::guard::{self, error::ProxyError};

/// The body type on both sides of the relay.
pub type RelayBody = UnsyncBoxBody<Bytes, hyper::Error>;

/// Told once when a metered body is done: `None` at its natural end, else why it ended early.
pub trait OnEnd {
    fn ended(self, fault: Option<Fault>);
}

impl OnEnd for () {
    fn ended(self, _fault: Option<Fault>) {}
}

/// Whose body a [`Metered`] relays, and so whose fault it is when the body breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    /// A request body: the client's fault, cut off or malformed; the break is noted on the
    /// flow, for the call's record whatever ends it (`Flow::broken`).
    Client,
    /// A response body: the daemon broke it.
    Daemon,
}

/// Passes frames through unchanged, recording them with a [`Recorder`].
pub struct Metered<B: Body, E: OnEnd> {
    inner: B,
    recorder: Recorder,
    sender: Sender,
    on_end: Option<E>,
}

impl<B: Body, E: OnEnd> Metered<B, E> {
    pub fn new(inner: B, recorder: Recorder, sender: Sender, on_end: E) -> Self {
        Metered {
            inner,
            recorder,
            sender,
            on_end: Some(on_end),
        }
    }
}

impl<B, E> Body for Metered<B, E>
where
    B: Body<Data = Bytes, Error = hyper::Error> + Unpin,
    E: OnEnd + Unpin,
{
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.recorder.record(data);
                }
                // A body of known length is not polled past its last frame: report the end
                // now, before that frame goes out, so the call is on record before the
                // client has all of it.
                if self.inner.is_end_stream() {
                    self.recorder.end();
                    if let Some(e) = self.on_end.take() {
                        e.ended(None);
                    }
                }
            }
            Poll::Ready(None) => {
                self.recorder.end();
                if let Some(e) = self.on_end.take() {
                    e.ended(None);
                }
            }
            Poll::Ready(Some(Err(err))) => {
                let fault = match self.sender {
                    Sender::Daemon => Fault::UpstreamBroke,
                    Sender::Client => {
                        let broken = guard::broken_body("the request body".into(), err);
                        let fault = broken.fault();
                        let why = match broken {
                            ProxyError::UnreadableBody { reason, .. }
                            | ProxyError::BodyAborted { reason } => reason,
                            other => other.to_string(),
                        };
                        self.recorder.flow.break_off(fault, why);
                        fault
                    }
                };
                if let Some(e) = self.on_end.take() {
                    e.ended(Some(fault));
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B: Body, E: OnEnd> Drop for Metered<B, E> {
    fn drop(&mut self) {
        if let Some(e) = self.on_end.take() {
            // hyper does not poll a body it knows is empty (HEAD, 204, Content-Length: 0):
            // such a body ended naturally all the same.
            if self.inner.is_end_stream() {
                self.recorder.end();
                e.ended(None);
            } else {
                // hyper drops a response body unfinished when its client has gone.
                e.ended(Some(Fault::ClientAborted));
            }
        }
    }
}
