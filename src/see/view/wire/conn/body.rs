//! A body being read through its framing (length, chunks, until close), shown escaped or
//! buffered whole as JSON to be redacted.

use crate::docker::endpoint::Operation;

use super::head::{strip_eol, Line};
use super::headers::headers;
use super::{Out, Redactor, MAX_JSON, MAX_LINE, PAST_BODY_CAP, SHOW};

/// A body being read.
pub(super) struct Body {
    framing: Framing,
    render: Render,
    /// Escaped bytes shown so far (payload and chunk lines).
    shown: usize,
}

pub(super) enum Framing {
    Length(u64),
    Chunked(Chunk),
    /// Until the connection closes.
    Close,
}

pub(super) enum Chunk {
    Size(Vec<u8>),
    Data(u64),
    /// The line ending after a chunk's data.
    DataEnd(Vec<u8>),
    Trailer(Vec<u8>),
}

enum Render {
    /// Buffered whole, parsed, redacted, shown compact.
    Json {
        op: Option<Operation>,
        buf: Vec<u8>,
        total: u64,
        too_big: bool,
    },
    /// Shown escaped, capped.
    Escaped,
}

/// What `Body::feed` did.
pub(super) struct Fed {
    pub(super) used: usize,
    pub(super) done: bool,
    /// The framing is broken: the body (and the connection) cannot be followed.
    pub(super) broken: bool,
    /// Bytes consumed and neither shown nor counted yet (when broken).
    pub(super) lost: usize,
}

impl Body {
    pub(super) fn new(framing: Framing, json: bool, op: Option<Operation>) -> Self {
        let render = if json {
            Render::Json {
                op,
                buf: Vec::new(),
                total: 0,
                too_big: false,
            }
        } else {
            Render::Escaped
        };
        Body {
            framing,
            render,
            shown: 0,
        }
    }

    pub(super) fn feed(&mut self, data: &[u8], out: &mut Out, r: &Redactor) -> Fed {
        let mut used = 0;
        loop {
            let rest = &data[used..];
            let fed = |used, done| Fed {
                used,
                done,
                broken: false,
                lost: 0,
            };
            match std::mem::replace(&mut self.framing, Framing::Close) {
                Framing::Close => {
                    self.payload(rest, out);
                    return fed(data.len(), false);
                }
                Framing::Length(left) => {
                    let n = left.min(rest.len() as u64) as usize;
                    self.payload(&rest[..n], out);
                    self.framing = Framing::Length(left - n as u64);
                    return fed(used + n, left == n as u64);
                }
                Framing::Chunked(Chunk::Data(left)) => {
                    if rest.is_empty() {
                        self.framing = Framing::Chunked(Chunk::Data(left));
                        return fed(used, false);
                    }
                    let n = left.min(rest.len() as u64) as usize;
                    self.payload(&rest[..n], out);
                    used += n;
                    self.framing = Framing::Chunked(if left == n as u64 {
                        Chunk::DataEnd(Vec::new())
                    } else {
                        Chunk::Data(left - n as u64)
                    });
                }
                Framing::Chunked(mut chunk) => {
                    let (Chunk::Size(line) | Chunk::DataEnd(line) | Chunk::Trailer(line)) =
                        &mut chunk
                    else {
                        return fed(used, false); // Data is handled above.
                    };
                    if rest.is_empty() {
                        self.framing = Framing::Chunked(chunk);
                        return fed(used, false);
                    }
                    let end = rest.iter().position(|&b| b == b'\n').map(|p| p + 1);
                    let n = end.unwrap_or(rest.len());
                    line.extend_from_slice(&rest[..n]);
                    used += n;
                    if line.len() > MAX_LINE {
                        let lost = line.len();
                        return Fed {
                            used,
                            done: false,
                            broken: true,
                            lost,
                        };
                    }
                    if end.is_none() {
                        self.framing = Framing::Chunked(chunk);
                        return fed(used, false);
                    }
                    let line = std::mem::take(line);
                    let content = strip_eol(&line);
                    let next = match chunk {
                        Chunk::Size(_) => match chunk_size(content) {
                            None => {
                                return Fed {
                                    used,
                                    done: false,
                                    broken: true,
                                    lost: line.len(),
                                }
                            }
                            Some(0) => Chunk::Trailer(Vec::new()),
                            Some(size) => Chunk::Data(size),
                        },
                        Chunk::DataEnd(_) if content.is_empty() => Chunk::Size(Vec::new()),
                        Chunk::DataEnd(_) => {
                            return Fed {
                                used,
                                done: false,
                                broken: true,
                                lost: line.len(),
                            }
                        }
                        Chunk::Trailer(_) if content.is_empty() => {
                            // The end of the body is always shown.
                            out.raw(&line);
                            return fed(used, true);
                        }
                        Chunk::Trailer(_) => {
                            // A trailer is a header: redact it like one.
                            self.shown += line.len();
                            headers(
                                &[Line {
                                    content,
                                    full: &line,
                                }],
                                out,
                                r,
                            );
                            self.framing = Framing::Chunked(Chunk::Trailer(Vec::new()));
                            continue;
                        }
                        Chunk::Data(_) => return fed(used, false),
                    };
                    if matches!(next, Chunk::Trailer(_)) {
                        out.raw(&line); // The last chunk: the end of the body is always shown.
                    } else {
                        self.framing_line(&line, out);
                    }
                    self.framing = Framing::Chunked(next);
                }
            }
        }
    }

    /// A chunk-size line or the line ending after chunk data, shown like socat shows it.
    fn framing_line(&mut self, line: &[u8], out: &mut Out) {
        if self.shown < SHOW {
            self.shown += line.len();
            out.raw(line);
        } else {
            out.hide(line.len() as u64, PAST_BODY_CAP);
        }
    }

    fn payload(&mut self, bytes: &[u8], out: &mut Out) {
        if bytes.is_empty() {
            return;
        }
        match &mut self.render {
            Render::Json {
                buf,
                total,
                too_big,
                ..
            } => {
                *total += bytes.len() as u64;
                if *too_big {
                } else if buf.len() + bytes.len() > MAX_JSON {
                    *too_big = true;
                    *buf = Vec::new();
                } else {
                    buf.extend_from_slice(bytes);
                }
            }
            Render::Escaped => {
                let n = SHOW.saturating_sub(self.shown).min(bytes.len());
                self.shown += n;
                out.raw(&bytes[..n]);
                out.hide((bytes.len() - n) as u64, PAST_BODY_CAP);
            }
        }
    }

    /// The body ended: show a JSON body, redacted. Returns its top-level `Detach`.
    pub(super) fn finish(self, out: &mut Out, r: &Redactor) -> Option<bool> {
        let Render::Json {
            op,
            buf,
            total,
            too_big,
        } = self.render
        else {
            return None;
        };
        if total == 0 {
            return None;
        }
        if too_big {
            out.note(&format!(
                "({total} bytes not shown: a JSON body larger than 1 MiB cannot be redacted)"
            ));
            return None;
        }
        let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&buf) else {
            out.note(&format!(
                "({total} bytes not shown: not valid JSON, so not redactable)"
            ));
            return None;
        };
        // dockerd reads keys case-insensitively; the last match wins.
        let detached = value.as_object().and_then(|o| {
            o.iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("detach"))
                .filter_map(|(_, v)| v.as_bool())
                .next_back()
        });
        (r.json)(op, &mut value);
        out.line(&value.to_string(), b"");
        detached
    }
}

fn chunk_size(line: &[u8]) -> Option<u64> {
    let size = line
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if size.is_empty() || size.len() > 16 || !size.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(size).ok()?, 16).ok()
}
