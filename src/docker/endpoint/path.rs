//! The request path as dockerd sees it.
//!
//! Go's server percent-decodes the path once (`url.ParseRequestURI`) and gorilla/mux matches
//! routes against that decoded `r.URL.Path`, after first answering 301 to any path that
//! `path.Clean` would change. A proxy that checks the raw path, decodes twice, or cleans
//! without redirecting reads a different path than the daemon acts on.

use std::borrow::Cow;
use std::fmt;

use crate::docker::gojson::url;

/// Why a request path cannot be classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// Does not start with `/` (`*`, `v1.41/…`): Go answers 400, or 301 for `*`.
    NotOriginForm,
    /// A raw control byte (below 0x20, or 0x7f): Go answers 400.
    ControlByte,
    /// `%` not followed by two hex digits: Go answers 400 "invalid URL escape".
    BadEscape,
    /// Decodes to bytes that are not UTF-8. dockerd would still route them; sockeye does not
    /// reason about names no Docker object can have.
    NotUtf8,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathError::NotOriginForm => "path does not start with /",
            PathError::ControlByte => "control byte in path",
            PathError::BadEscape => "invalid percent escape in path",
            PathError::NotUtf8 => "path decodes to non-UTF-8 bytes",
        })
    }
}

impl std::error::Error for PathError {}

/// Percent-decode a raw request path exactly once, as Go's `url.ParseRequestURI` does
/// ([`url::path_unescape`]).
///
/// `+` stays `+` (it means space only in queries); `%2F` becomes a real `/`; `%2563`
/// becomes `%63` and stays that way.
pub fn decode(raw: &str) -> Result<String, PathError> {
    if !raw.starts_with('/') {
        return Err(PathError::NotOriginForm);
    }
    let bytes = raw.as_bytes();
    if bytes.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return Err(PathError::ControlByte);
    }
    if !bytes.contains(&b'%') {
        // The usual request: nothing to decode, and a `&str` is already UTF-8.
        return Ok(raw.to_owned());
    }
    let out = url::path_unescape(raw).map_err(|_| PathError::BadEscape)?;
    String::from_utf8(out).map_err(|_| PathError::NotUtf8)
}

/// gorilla/mux's `cleanPath`: Go's `path.Clean`, with one trailing slash put back if the
/// input had one. When the result differs from the input, mux answers 301 to it instead of
/// routing the request. Borrows the input exactly when it is already clean.
pub fn clean(decoded: &str) -> Cow<'_, str> {
    if is_clean(decoded) {
        return Cow::Borrowed(decoded);
    }
    let rooted: Cow<'_, str> = if decoded.starts_with('/') {
        Cow::Borrowed(decoded)
    } else {
        Cow::Owned(format!("/{decoded}"))
    };
    let mut kept: Vec<&str> = Vec::new();
    for segment in rooted.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            name => kept.push(name),
        }
    }
    let mut cleaned = String::with_capacity(rooted.len());
    for segment in &kept {
        cleaned.push('/');
        cleaned.push_str(segment);
    }
    if cleaned.is_empty() || rooted.ends_with('/') {
        cleaned.push('/');
    }
    if cleaned == decoded {
        Cow::Borrowed(decoded)
    } else {
        Cow::Owned(cleaned)
    }
}

/// Whether [`clean`] would return `decoded` unchanged, without building the cleaned copy
/// (the usual request is clean): rooted, and no segment is `.`, `..` or empty, except
/// that the last may be empty (one trailing slash, which mux keeps).
fn is_clean(decoded: &str) -> bool {
    let Some(rest) = decoded.strip_prefix('/') else {
        return false;
    };
    let bytes = rest.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'/' {
            if matches!(&bytes[start..i], b"" | b"." | b"..") {
                return false;
            }
            start = i + 1;
        }
    }
    !matches!(&bytes[start..], b"." | b"..")
}

/// Whether the raw path spells a `/` as `%2F`. dockerd treats it as a real separator, so
/// `/v1.41%2Fcontainers/json` is the container list; the CLI never sends one.
pub fn has_encoded_slash(raw: &str) -> bool {
    raw.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'2' && (w[2] == b'f' || w[2] == b'F'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_once_not_twice() {
        assert_eq!(decode("/%63ontainers/json").unwrap(), "/containers/json");
        assert_eq!(
            decode("/%2563ontainers/json").unwrap(),
            "/%63ontainers/json"
        );
        assert_eq!(
            decode("/v1.41%2Fcontainers/json").unwrap(),
            "/v1.41/containers/json"
        );
        assert_eq!(decode("/%76%31%2e%34%31/x").unwrap(), "/v1.41/x");
    }

    #[test]
    fn plus_is_not_a_space_in_paths() {
        assert_eq!(decode("/images/a+b/json").unwrap(), "/images/a+b/json");
    }

    #[test]
    fn bad_escapes_are_rejected_like_go_does() {
        for raw in ["/x%", "/x%4", "/x%zz", "/x%4g/json", "/%"] {
            assert_eq!(decode(raw), Err(PathError::BadEscape), "{raw}");
        }
    }

    #[test]
    fn raw_control_bytes_are_rejected_but_encoded_ones_decode() {
        assert_eq!(decode("/a\u{7f}b"), Err(PathError::ControlByte));
        assert_eq!(decode("/a\tb"), Err(PathError::ControlByte));
        assert_eq!(decode("/a%00b").unwrap(), "/a\0b");
    }

    #[test]
    fn targets_without_leading_slash_are_not_paths() {
        for raw in ["", "*", "v1.41/containers/json", "http://docker/x"] {
            assert_eq!(decode(raw), Err(PathError::NotOriginForm), "{raw}");
        }
    }

    #[test]
    fn invalid_utf8_after_decoding_is_refused() {
        assert_eq!(decode("/containers/%ff/json"), Err(PathError::NotUtf8));
        assert_eq!(
            decode("/containers/%c3%a9/json").unwrap(),
            "/containers/é/json"
        );
    }

    #[test]
    fn clean_matches_mux_clean_path() {
        let cases = [
            ("/containers/json", "/containers/json"),
            ("/containers/json/", "/containers/json/"),
            ("//containers/json", "/containers/json"),
            ("/v1.41//containers/json", "/v1.41/containers/json"),
            ("/v1.41/../containers/json", "/containers/json"),
            ("/v1.41/./containers/json", "/v1.41/containers/json"),
            ("/v1.41/foo/../containers/json", "/v1.41/containers/json"),
            ("/v1.41/containers/json/..", "/v1.41/containers"),
            ("/v1.41/containers/json/../", "/v1.41/containers/"),
            ("/..", "/"),
            ("/../", "/"),
            ("//", "/"),
            ("/", "/"),
            ("/a/.", "/a"),
            ("/a/./", "/a/"),
            ("/a/.../b", "/a/.../b"),
            ("/a/..b/c", "/a/..b/c"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "{input}");
        }
    }

    /// `clean` as it was before the shortcut for paths that are already clean.
    fn clean_slowly(decoded: &str) -> String {
        let rooted = if decoded.starts_with('/') {
            decoded.to_owned()
        } else {
            format!("/{decoded}")
        };
        let mut kept: Vec<&str> = Vec::new();
        for segment in rooted.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    kept.pop();
                }
                name => kept.push(name),
            }
        }
        let mut cleaned: String = kept.iter().map(|s| format!("/{s}")).collect();
        if cleaned.is_empty() || rooted.ends_with('/') {
            cleaned.push('/');
        }
        cleaned
    }

    #[test]
    fn the_clean_path_shortcut_agrees_with_cleaning() {
        let pieces = [
            "", "/", "//", ".", "..", "...", "a", ".a", "a.", "v1.41", "é",
        ];
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            inputs = inputs
                .iter()
                .flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}")))
                .collect();
            for input in &inputs {
                assert_eq!(clean(input), clean_slowly(input), "{input:?}");
                assert_eq!(is_clean(input), clean_slowly(input) == *input, "{input:?}");
            }
        }
    }

    #[test]
    fn paths_without_escapes_decode_to_themselves() {
        for raw in ["/", "/containers/json", "/images/a+b/json", "/volumes/é"] {
            assert_eq!(decode(raw).unwrap(), raw);
        }
    }

    #[test]
    fn encoded_slash_is_spotted_in_either_case() {
        assert!(has_encoded_slash("/v1.41%2Fcontainers/json"));
        assert!(has_encoded_slash("/containers/a%2fb/json"));
        // `%252F` decodes to the three characters `%2F`, not to a separator.
        assert!(!has_encoded_slash("/containers/a%252Fb/json"));
        assert!(!has_encoded_slash("/containers/a%2eb/json"));
    }
}
