//! Bodies as they stream through: counted, never collected (except where a decision needs it).

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::{Body, Frame, SizeHint};

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

/// Passes frames through unchanged, adding data bytes to a shared counter.
pub struct Metered<B: Body, E: OnEnd> {
    inner: B,
    bytes: Arc<AtomicU64>,
    on_end: Option<E>,
}

impl<B: Body, E: OnEnd> Metered<B, E> {
    pub fn new(inner: B, bytes: Arc<AtomicU64>, on_end: E) -> Self {
        Metered {
            inner,
            bytes,
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
                    self.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                }
            }
            Poll::Ready(None) => {
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
            e.ended(self.inner.is_end_stream());
        }
    }
}
