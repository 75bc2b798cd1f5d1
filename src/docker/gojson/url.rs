//! Go's `net/url` percent-encoding, the one decoder behind every reader of a URL here.
//!
//! Go decodes each part of a URL with one function, `url.unescape`, whose rules depend on
//! the part ([`Component`]): `%XX` is decoded once everywhere and a bad escape is an error
//! everywhere, `+` is a space only in a query component (`url.QueryUnescape`, behind
//! `ParseQuery` and dockerd's `ParseForm`) and stays `+` in a path (`url.PathUnescape`, and
//! the path `url.ParseRequestURI` hands gorilla/mux), and a host holds only the characters
//! a host may hold. The decoders here return bytes: whether bytes that are not UTF-8 are
//! refused or replaced is each caller's decision.

use std::fmt;

/// The part of a URL Go's `url.unescape` is decoding (its `encoding` mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// A path (`encodePath`, `encodePathSegment`): `+` stays `+`.
    Path,
    /// A query key or value (`encodeQueryComponent`): `+` is a space.
    QueryComponent,
    /// A host (`encodeHost`): escapes only of non-ASCII bytes (and `%25`), no stray
    /// characters.
    Host,
    /// The user and password of `user:password@host` (`encodeUserPassword`).
    UserPassword,
    /// What follows `#` (`encodeFragment`).
    Fragment,
}

/// Why Go's `url.unescape` fails, in Go's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnescapeError {
    /// Go's `EscapeError`: `%` without two hex digits after it (at most three characters
    /// from the `%` on), or in a host an escape of an ASCII byte other than `%25`.
    Escape(String),
    /// Go's `InvalidHostError`: a character no host holds.
    HostChar(String),
}

impl fmt::Display for UnescapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnescapeError::Escape(s) => write!(f, "invalid URL escape {s:?}"),
            UnescapeError::HostChar(c) => write!(f, "invalid character {c:?} in host name"),
        }
    }
}

impl std::error::Error for UnescapeError {}

/// Go's `url.unescape`: `%XX` decoded once (a bad escape is an error), `+` a space only in
/// a [`Component::QueryComponent`], and in a [`Component::Host`] only the characters a host
/// may hold.
pub fn unescape(s: &str, part: Component) -> Result<Vec<u8>, UnescapeError> {
    decode(s, part, false)
}

/// Go's `url.QueryUnescape`: `+` is a space.
pub fn query_unescape(s: &str) -> Result<Vec<u8>, UnescapeError> {
    unescape(s, Component::QueryComponent)
}

/// Go's `url.PathUnescape`: `+` stays `+`.
pub fn path_unescape(s: &str) -> Result<Vec<u8>, UnescapeError> {
    unescape(s, Component::Path)
}

/// [`query_unescape`] that keeps a malformed escape as it is instead of failing, with bytes
/// that are not UTF-8 replaced: for redaction, where a pair dockerd would reject must still
/// not show its secret. Not a Go function.
pub fn query_unescape_lenient(s: &str) -> String {
    lossy(decode(s, Component::QueryComponent, true).unwrap_or_default())
}

/// Go's `url.ParseQuery` as `URL.Query()` uses it, keeping what it could read: pairs split
/// on `&`, keys and values [`query_unescape`]d, in order with repeats; a pair Go cannot read
/// (one holding `;`, or a bad escape) is dropped silently. Bytes that are not UTF-8 are
/// replaced.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty() && !pair.contains(';'))
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((
                lossy(query_unescape(key).ok()?),
                lossy(query_unescape(value).ok()?),
            ))
        })
        .collect()
}

/// Percent-encode only what would change how [`parse_query`] reads the value back (`%`,
/// `&`, `+`, `#`, `;`), plus spaces, control and non-ASCII bytes, so a rewritten value stays
/// readable: `{"MYARG":"<redacted>"}` rather than `%7B%22MYARG…`. Not Go's `QueryEscape`,
/// which encodes far more; both decode to the same value.
pub fn escape_minimal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_graphic() && !matches!(b, b'%' | b'&' | b'+' | b'#' | b';') {
            out.push(b as char);
        } else {
            push_percent(&mut out, b);
        }
    }
    out
}

/// Percent-encode all but the unreserved characters (`A-Z a-z 0-9 - _ . ~`) onto `out`: what
/// Go's `ParseQuery` and dockerd's router decode back to the same text, and what a request
/// target may carry (JSON's `{"` may not appear raw).
pub fn escape_unreserved_into(out: &mut String, s: &str) {
    // Runs of unreserved characters go in whole; room for the worst case is made once.
    out.reserve(s.len() * 3);
    let mut run = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')) {
            // A run is ASCII, so it starts and ends on character boundaries; an empty one
            // (inside a multi-byte character, whose bytes are each escaped) is skipped.
            if run < i {
                out.push_str(&s[run..i]);
            }
            push_percent(out, b);
            run = i + 1;
        }
    }
    if run < s.len() {
        out.push_str(&s[run..]);
    }
}

/// `%XX`, upper-case hex. Written digit by digit: `format!` per byte (an allocation and the
/// formatting machinery) made the `--isolate` rewrite of a listing's filters ≈ 10 k
/// instructions per call.
fn push_percent(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(b >> 4)] as char);
    out.push(HEX[usize::from(b & 0xf)] as char);
}

/// What Go's `url.Parse` makes of a request target: the decoded path (`u.Path`) and the
/// raw query, or Go's error. Go reads `//x/y` as host `x` and path `/y`, and a `#` as the
/// start of a fragment; dockerd reads the request line differently (it would redirect the
/// first, route the second as part of the path).
pub fn parse(raw: &str) -> Result<(String, Option<&str>), String> {
    let fail = |e: String| format!("parse {raw:?}: {e}");
    let decoded = |s: &str, part: Component| unescape(s, part).map_err(|e| fail(e.to_string()));
    let (rest, fragment) = match raw.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (raw, None),
    };
    if rest.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(fail("net/url: invalid control character in URL".into()));
    }
    if let Some(fragment) = fragment {
        decoded(fragment, Component::Fragment)?;
    }
    if rest == "*" {
        return Ok(("*".into(), None));
    }
    let (scheme, rest) = scheme(rest).map_err(fail)?;
    let (rest, query) = if rest.ends_with('?') && rest.matches('?').count() == 1 {
        (&rest[..rest.len() - 1], Some(""))
    } else {
        match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        }
    };
    if !rest.starts_with('/') {
        if scheme.is_some() {
            // Opaque (`mailto:x`): no path at all.
            return Ok((String::new(), query));
        }
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return Err(fail(
                "first path segment in URL cannot contain colon".into(),
            ));
        }
    }
    let mut rest = rest;
    if (scheme.is_some() || !rest.starts_with("///")) && rest.starts_with("//") {
        let after = &rest[2..];
        let end = after.find('/').unwrap_or(after.len());
        authority(&after[..end]).map_err(fail)?;
        rest = &after[end..];
    }
    let path = decoded(rest, Component::Path)?;
    Ok((lossy(path), query))
}

/// Go's `getScheme`: letters, then digits, `+`, `-`, `.`, up to a `:`.
fn scheme(raw: &str) -> Result<(Option<&str>, &str), String> {
    for (i, b) in raw.bytes().enumerate() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((Some(&raw[..i]), &raw[i + 1..])),
            _ => return Ok((None, raw)),
        }
    }
    Ok((None, raw))
}

/// Go's `parseAuthority`: only whether it fails matters here.
fn authority(authority: &str) -> Result<(), String> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let port = if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        &host[i + 1..]
    } else {
        host.rfind(':').map_or("", |i| &host[i..])
    };
    let valid_port = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if !valid_port {
        return Err(format!("invalid port {port:?} after host"));
    }
    unescape(host, Component::Host).map_err(|e| e.to_string())?;
    if let Some(userinfo) = userinfo {
        let valid = userinfo
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b));
        if !valid {
            return Err("net/url: invalid userinfo".into());
        }
        for part in userinfo.splitn(2, ':') {
            unescape(part, Component::UserPassword).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The one decoding loop. `keep_bad` keeps a malformed `%` as a literal `%` (for
/// [`query_unescape_lenient`]) where Go fails.
fn decode(s: &str, part: Component, keep_bad: bool) -> Result<Vec<u8>, UnescapeError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'%' => {
                let hex = |j: usize| bytes.get(j).and_then(|&c| (c as char).to_digit(16));
                let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                    if keep_bad {
                        out.push(b'%');
                        i += 1;
                        continue;
                    }
                    let end = (i + 3).min(bytes.len());
                    return Err(UnescapeError::Escape(
                        String::from_utf8_lossy(&bytes[i..end]).into_owned(),
                    ));
                };
                // RFC 3986 allows escapes in a host only for non-ASCII bytes (and `%25`).
                if part == Component::Host && hi < 8 && &bytes[i..i + 3] != b"%25" {
                    return Err(UnescapeError::Escape(
                        String::from_utf8_lossy(&bytes[i..i + 3]).into_owned(),
                    ));
                }
                out.push((hi << 4 | lo) as u8);
                i += 3;
            }
            b'+' if part == Component::QueryComponent => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                if part == Component::Host && b < 0x80 && !host_byte(b) {
                    return Err(UnescapeError::HostChar((b as char).to_string()));
                }
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Go's `shouldEscape(c, encodeHost) == false`.
fn host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&b)
}

/// Decoded bytes as text, invalid UTF-8 replaced.
fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Result<Vec<u8>, UnescapeError>) -> Result<String, String> {
        bytes
            .map(|b| String::from_utf8(b).unwrap())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn plus_is_a_space_in_a_query_and_a_plus_in_a_path() {
        assert_eq!(text(query_unescape("a+b%2Bc")).unwrap(), "a b+c");
        assert_eq!(text(path_unescape("a+b%2Bc")).unwrap(), "a+b+c");
        for part in [Component::UserPassword, Component::Fragment] {
            assert_eq!(text(unescape("a+b", part)).unwrap(), "a+b");
        }
    }

    #[test]
    fn every_byte_is_percent_encoded_as_format_would_write_it() {
        for b in 0..=255u8 {
            let mut out = String::new();
            super::push_percent(&mut out, b);
            assert_eq!(out, format!("%{b:02X}"));
        }
        let mut out = String::new();
        super::escape_unreserved_into(&mut out, r#"{"label":{"a.b-c_d~e=uid:0":true}} é"#);
        assert_eq!(
            out,
            "%7B%22label%22%3A%7B%22a.b-c_d~e%3Duid%3A0%22%3Atrue%7D%7D%20%C3%A9"
        );
    }

    #[test]
    fn escapes_decode_once_in_either_case_in_both_modes() {
        for decode in [query_unescape, path_unescape] {
            assert_eq!(text(decode("%2563%2f%2F%41%61")).unwrap(), "%63//Aa");
            assert_eq!(text(decode("")).unwrap(), "");
            assert_eq!(decode("%ff%00").unwrap(), [0xff, 0]);
        }
    }

    #[test]
    fn bad_escapes_fail_in_both_modes_naming_at_most_three_characters() {
        for decode in [query_unescape, path_unescape] {
            for (raw, shown) in [("%", "%"), ("x%4", "%4"), ("%zz1", "%zz"), ("%4g/", "%4g")] {
                assert_eq!(
                    decode(raw),
                    Err(UnescapeError::Escape(shown.into())),
                    "{raw}"
                );
            }
        }
        assert_eq!(
            query_unescape("a%zz").unwrap_err().to_string(),
            r#"invalid URL escape "%zz""#
        );
    }

    #[test]
    fn a_host_holds_escapes_of_non_ascii_bytes_only_and_no_stray_characters() {
        assert_eq!(
            text(unescape("h%c3%a9%25", Component::Host)).unwrap(),
            "hé%"
        );
        assert_eq!(
            unescape("h%41", Component::Host),
            Err(UnescapeError::Escape("%41".into()))
        );
        let err = unescape("a b", Component::Host).unwrap_err();
        assert_eq!(err.to_string(), r#"invalid character " " in host name"#);
        assert_eq!(text(unescape("a+b", Component::Host)).unwrap(), "a+b");
    }

    #[test]
    fn the_lenient_query_decoder_keeps_bad_escapes() {
        assert_eq!(query_unescape_lenient("a%zz%41+b"), "a%zzA b");
        assert_eq!(query_unescape_lenient("100%"), "100%");
        assert_eq!(query_unescape_lenient("%ff"), "\u{fffd}");
    }

    #[test]
    fn parse_query_keeps_what_go_can_read() {
        assert_eq!(
            parse_query("a=1&a=2&flag&bad=%zz&semi=1;2&&b=&%61=x+y"),
            [
                ("a".into(), "1".into()),
                ("a".into(), "2".into()),
                ("flag".into(), String::new()),
                ("b".into(), String::new()),
                ("a".into(), "x y".into()),
            ]
        );
    }

    #[test]
    fn minimal_escapes_read_back_as_they_were() {
        let v = "{\"A\":\"x y&z+1%;#\u{e9}\n\"}";
        let escaped = escape_minimal(v);
        assert_eq!(escaped, "{\"A\":\"x%20y%26z%2B1%25%3B%23%C3%A9%0A\"}");
        assert_eq!(
            parse_query(&format!("k={escaped}")),
            [("k".into(), v.into())]
        );
    }

    #[test]
    fn parse_splits_a_request_target_as_go_does() {
        assert_eq!(
            parse("/v1.41/containers/a%2Fb+c/json?x=a+b#f").unwrap(),
            ("/v1.41/containers/a/b+c/json".into(), Some("x=a+b"))
        );
        assert_eq!(parse("/x?").unwrap(), ("/x".into(), Some("")));
        assert_eq!(parse("//host:2375/p").unwrap(), ("/p".into(), None));
        assert_eq!(parse("///p").unwrap(), ("///p".into(), None));
        assert_eq!(parse("*").unwrap(), ("*".into(), None));
        assert_eq!(parse("mailto:x?y").unwrap(), (String::new(), Some("y")));
        assert_eq!(
            parse("/a%zz").unwrap_err(),
            r#"parse "/a%zz": invalid URL escape "%zz""#
        );
        assert_eq!(
            parse("//h%41/").unwrap_err(),
            r#"parse "//h%41/": invalid URL escape "%41""#
        );
        assert_eq!(
            parse("1a:b/c").unwrap_err(),
            r#"parse "1a:b/c": first path segment in URL cannot contain colon"#
        );
    }
}
