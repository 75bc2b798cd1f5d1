//! Bodies as they stream through: counted and tapped, never collected.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::{Body, Frame, SizeHint};

use crate::event::{CallId, Dir, Event, Events, Flow};

/// The body type on both sides of the relay.
pub type RelayBody = UnsyncBoxBody<Bytes, hyper::Error>;

/// Told once when a metered body is done: `complete` is false if it was dropped before its
/// natural end (the peer went away, or the daemon's side broke).
pub trait OnEnd {
    fn ended(self, complete: bool);
}

impl OnEnd for () {
    fn ended(self, _complete: bool) {}
}

/// Where a live view wants a copy of each frame.
pub struct Tap {
    pub events: Events,
    pub id: CallId,
    pub dir: Dir,
}

/// Passes frames through unchanged, recording them in a [`Flow`].
pub struct Metered<B: Body, E: OnEnd> {
    inner: B,
    flow: Arc<Flow>,
    tap: Option<Tap>,
    on_end: Option<E>,
}

impl<B: Body, E: OnEnd> Metered<B, E> {
    pub fn new(inner: B, flow: Arc<Flow>, tap: Option<Tap>, on_end: E) -> Self {
        Metered {
            inner,
            flow,
            tap,
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
                    self.flow.record(data);
                    if let Some(tap) = &self.tap {
                        tap.events.emit(Event::Data {
                            id: tap.id,
                            dir: tap.dir,
                            bytes: data.clone(),
                        });
                    }
                }
                // A body of known length is not polled past its last frame: report the end
                // now, before that frame goes out, so the call is on record before the
                // client has all of it.
                if self.inner.is_end_stream() {
                    self.flow.end();
                    if let Some(e) = self.on_end.take() {
                        e.ended(true);
                    }
                }
            }
            Poll::Ready(None) => {
                self.flow.end();
                if let Some(e) = self.on_end.take() {
                    e.ended(true);
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(e) = self.on_end.take() {
                    e.ended(false);
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
            let natural = self.inner.is_end_stream();
            if natural {
                self.flow.end();
            }
            e.ended(natural);
        }
    }
}
