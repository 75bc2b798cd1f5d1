//! Pure Docker Engine API knowledge: which endpoint a request is, as dockerd routes it.
//!
//! No I/O here. The relay asks this module one question today (does this route take over
//! the connection?); the decoder and the policy ask many more.

/// How an endpoint uses the connection beyond plain HTTP request/response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hijack {
    /// Plain request/response (possibly streamed).
    No,
    /// dockerd hijacks the connection whatever the headers say (`POST /containers/{id}/attach`).
    Always,
    /// dockerd hijacks unless the JSON body says `Detach: true` (`POST /exec/{id}/start`).
    UnlessDetached,
    /// Hijacked only through an explicit `Upgrade` handshake (`/session`, `/grpc`, `attach/ws`).
    OnUpgrade,
}

/// What sockeye knows about one request target.
#[derive(Clone, Debug)]
pub struct Classified {
    hijack: Hijack,
}

impl Classified {
    pub fn hijack(&self) -> Hijack {
        self.hijack
    }
}

/// Classify `method` + raw request path (still percent-encoded, without the query).
///
/// Interim implementation: recognises only the hijacking routes.
pub fn classify(method: &str, raw_path: &str) -> Classified {
    let path = strip_version(raw_path);
    let hijack = match method {
        "POST" if path.starts_with("/containers/") && path.ends_with("/attach") => Hijack::Always,
        "POST" if path.starts_with("/exec/") && path.ends_with("/start") => Hijack::UnlessDetached,
        "POST" if path == "/session" || path == "/grpc" => Hijack::OnUpgrade,
        "GET" if path.starts_with("/containers/") && path.ends_with("/attach/ws") => {
            Hijack::OnUpgrade
        }
        _ => Hijack::No,
    };
    Classified { hijack }
}

fn strip_version(path: &str) -> &str {
    if let Some(rest) = path.strip_prefix("/v") {
        let end = rest.find('/').unwrap_or(rest.len());
        if end > 0 && rest[..end].bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return &rest[end..];
        }
    }
    path
}
