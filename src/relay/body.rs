//! Bodies as they stream through: counted and tapped, never collected.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::{Body, Frame, SizeHint};

use crate::event::{Fault, Recorder};

/// The body type on both sides of the relay.
pub type RelayBody = UnsyncBoxBody<Bytes, hyper::Error>;

/// Told once when a metered body is done: `None` at its natural end, else why it ended early.
pub trait OnEnd {
    fn ended(self, fault: Option<Fault>);
}

impl OnEnd for () {
    fn ended(self, _fault: Option<Fault>) {}
}

/// Passes frames through unchanged, recording them with a [`Recorder`].
///
/// `broken` says whose fault a body error is: the daemon's for a response body, the client's
/// for a request body.
pub struct Metered<B: Body, E: OnEnd> {
    inner: B,
    recorder: Recorder,
    broken: Fault,
    on_end: Option<E>,
}

impl<B: Body, E: OnEnd> Metered<B, E> {
    pub fn new(inner: B, recorder: Recorder, broken: Fault, on_end: E) -> Self {
        Metered {
            inner,
            recorder,
            broken,
            on_end: Some(on_end),
        }
    }
}

impl<B, E> Body for Metered<B, E>
where
    B: Body<Data = Bytes> + Unpin,
    E: OnEnd + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
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
            Poll::Ready(Some(Err(_))) => {
                let broken = self.broken;
                if let Some(e) = self.on_end.take() {
                    e.ended(Some(broken));
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
