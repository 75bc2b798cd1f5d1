//! Recorded calls, written out for replay elsewhere: a curl script, a HAR file.
//!
//! The caller hands over owned records whose headers and bodies are already redacted;
//! nothing here redacts again, and nothing is written that the record does not hold (a
//! body that was not captured is described, never invented). Pure functions: the caller
//! writes the result where it wants.

mod curl;
mod har;

use std::time::{Duration, SystemTime};

use bytes::Bytes;

pub use curl::{curl_script, Daemon};
pub use har::har;

/// One API call as recorded.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub started: SystemTime,
    pub duration: Duration,
    pub method: String,
    /// The request target as sent: path and query, still percent-encoded.
    pub target: String,
    /// As on the request line, e.g. `HTTP/1.1`.
    pub http_version: String,
    pub request_headers: Vec<(String, String)>,
    /// `None` when the body was not captured; may hold only the first bytes of a longer one.
    pub request_body: Option<Bytes>,
    /// The body was captured whole, but it is the JSON with secret values redacted, not the
    /// bytes sent (so its length differs from `request_body_size`).
    pub request_body_redacted: bool,
    pub request_body_size: u64,
    /// `None` when no response arrived.
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<Bytes>,
    pub response_body_size: u64,
    /// The connection became a raw stream after this call (attach, exec start).
    pub hijacked: bool,
}

impl Exchange {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }
}

/// The first header called `name`, as HTTP compares names.
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Query pairs decoded as Go's `url.ParseQuery` does (`+` is a space; a bad `%` escape is
/// kept as written rather than dropping the pair, so nothing sent goes missing).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let hex = |c: Option<&u8>| c.and_then(|&c| (c as char).to_digit(16)).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], hex(b.get(i + 1)), hex(b.get(i + 2))) {
            (b'+', ..) => out.push(b' '),
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi << 4) | lo);
                i += 2;
            }
            (c, ..) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// dockerd's `httputils.BoolValue`: anything but empty, `0`, `no`, `false`, `none`.
fn bool_value(v: &str) -> bool {
    !matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "no" | "false" | "none"
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    /// A call as the relay would record it, with the CLI's usual headers.
    pub(crate) fn call(method: &str, target: &str, status: u16) -> Exchange {
        Exchange {
            started: UNIX_EPOCH + Duration::new(1_795_376_458, 153_521_000),
            duration: Duration::from_micros(2_253),
            method: method.into(),
            target: target.into(),
            http_version: "HTTP/1.1".into(),
            request_headers: vec![
                ("Host".into(), "api.moby.localhost".into()),
                ("User-Agent".into(), "Docker-Client/28.2.2 (linux)".into()),
            ],
            request_body: Some(Bytes::new()),
            request_body_redacted: false,
            request_body_size: 0,
            status: Some(status),
            response_headers: vec![
                ("Api-Version".into(), "1.41".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            response_body: Some(Bytes::new()),
            response_body_size: 0,
            hijacked: false,
        }
    }

    /// `docker ps -a` (trace ps).
    pub(crate) fn docker_ps_a() -> Vec<Exchange> {
        let mut ping = call("HEAD", "/_ping", 200);
        ping.response_headers = vec![
            ("Api-Version".into(), "1.41".into()),
            ("Content-Length".into(), "0".into()),
            ("Content-Type".into(), "text/plain; charset=utf-8".into()),
        ];
        let mut list = call("GET", "/v1.41/containers/json?all=1", 200);
        let body = Bytes::from_static(
            br#"[{"Id":"6336c44b261a","Names":["/probe-x"],"State":"running"}]"#,
        );
        list.response_body_size = body.len() as u64;
        list.response_body = Some(body);
        list.started += Duration::from_millis(1);
        vec![ping, list]
    }

    #[test]
    fn query_strings_decode_like_go() {
        assert_eq!(
            query_pairs("fromImage=localhost%3A5999%2Fprobe%2Fimg&tag=1&&x&a+b=%zz"),
            [
                ("fromImage".into(), "localhost:5999/probe/img".into()),
                ("tag".into(), "1".into()),
                ("x".into(), String::new()),
                ("a b".into(), "%zz".into()),
            ]
        );
    }

    #[test]
    fn booleans_read_like_dockerd() {
        for yes in ["1", "true", "True", "yes", " t "] {
            assert!(bool_value(yes), "{yes}");
        }
        for no in ["", "0", "false", "FALSE", "no", "none"] {
            assert!(!bool_value(no), "{no}");
        }
    }
}
