//! gRPC's framing over HTTP/2, as far as sockeye reads and writes it
//! (grpc/grpc `doc/PROTOCOL-HTTP2.md`).

use std::fmt::Write;

/// `grpc-status` of a refused call: PERMISSION_DENIED.
pub const PERMISSION_DENIED: u32 = 7;
/// `grpc-status` when the daemon cannot be reached: UNAVAILABLE.
pub const UNAVAILABLE: u32 = 14;

/// Why a unary request body is not one message sockeye can read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the request ends inside its gRPC message frame")]
    Truncated,
    #[error("the request holds more than one gRPC message")]
    Trailing,
    #[error("the request message is compressed, which sockeye does not read")]
    Compressed,
    #[error("the request message's frame has an unknown flag {0:#04x}")]
    BadFlag(u8),
}

/// The one message of a unary call's request body: `flag (1 byte) | length (4 bytes, big
/// endian) | message`. A compressed message (flag 1) is refused rather than inflated:
/// BuildKit's clients never compress their requests, and a decision on a message read is
/// only as good as the reading.
pub fn unary_message(body: &[u8]) -> Result<&[u8], FrameError> {
    let Some((head, rest)) = body.split_first_chunk::<5>() else {
        return Err(FrameError::Truncated);
    };
    match head[0] {
        0 => {}
        1 => return Err(FrameError::Compressed),
        other => return Err(FrameError::BadFlag(other)),
    }
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    match rest.len().cmp(&len) {
        std::cmp::Ordering::Less => Err(FrameError::Truncated),
        std::cmp::Ordering::Greater => Err(FrameError::Trailing),
        std::cmp::Ordering::Equal => Ok(rest),
    }
}

/// `grpc-message` as gRPC requires it: UTF-8, with every byte outside printable ASCII and
/// `%` itself percent-encoded; clients decode it and print the text.
pub fn percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for &b in message.as_bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
