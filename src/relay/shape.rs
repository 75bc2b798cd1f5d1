//! The daemon's answer as the decision said the client may see it (`docker::shape`).
//!
//! Only answers that hold something the permit hides are touched, and only successful ones:
//! they are read whole (up to [`MAX_SHAPED_ANSWER`]), rewritten and passed on with their own
//! `Content-Length`, every other header as the daemon sent it. Everything else — streams
//! (logs, attach, events, stats), archives, errors, answers the policy does not shape —
//! streams through as before, never held.
//!
//! An answer that must be shaped and cannot be is withheld (502), never passed on whole:
//! one larger than the limit, one with a `Content-Encoding` (dockerd never compresses its
//! JSON answers; sockeye does not decompress to redact), one that is not JSON, one cut short.

use bytes::Bytes;
use http::{header, HeaderValue};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::docker::endpoint::Operation;
use crate::docker::shape::{self, Redact};
use crate::guard::error::ProxyError;

/// Largest answer read whole to redact: a listing of some tens of thousands of containers.
pub const MAX_SHAPED_ANSWER: usize = 32 * 1024 * 1024;

/// The answer to relay.
pub enum Answer {
    /// As the daemon sends it, streamed.
    Passed(Incoming),
    /// Read whole and rewritten; the head already describes it.
    Shaped(Bytes),
}

/// Shape the answer of `op` to hide `redact`, or pass it as it comes.
pub async fn answer(
    op: Option<Operation>,
    redact: Redact,
    is_head: bool,
    parts: &mut http::response::Parts,
    body: Incoming,
) -> Result<Answer, ProxyError> {
    // Errors are dockerd's `{"message"}`; a HEAD or a 204/304 has no body.
    let bodiless = is_head
        || parts.status == http::StatusCode::NO_CONTENT
        || parts.status == http::StatusCode::NOT_MODIFIED;
    let Some(op) = op.filter(|_| !bodiless && parts.status.is_success()) else {
        return Ok(Answer::Passed(body));
    };
    if !shape::shapes(Some(op), redact) {
        return Ok(Answer::Passed(body));
    }
    let withheld = |reason: String| ProxyError::Withheld {
        what: op.name().to_owned(),
        reason,
        redact,
    };
    if let Some(encoding) = parts.headers.get(header::CONTENT_ENCODING) {
        if encoding.as_bytes() != b"identity" {
            return Err(withheld(format!(
                "it is compressed (Content-Encoding: {})",
                String::from_utf8_lossy(encoding.as_bytes())
            )));
        }
    }
    let bytes = match Limited::new(body, MAX_SHAPED_ANSWER).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(withheld(format!(
                "it is larger than the {MAX_SHAPED_ANSWER} bytes sockeye reads whole to redact"
            )))
        }
        Err(e) => return Err(withheld(format!("it was cut short ({e})"))),
    };
    let shaped = shape::answer(op, redact, &bytes).map_err(withheld)?;
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(shaped.len()));
    Ok(Answer::Shaped(Bytes::from(shaped)))
}
