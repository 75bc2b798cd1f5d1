//! Header values: the credential headers shown only by their size.

use std::borrow::Cow;

/// Headers whose whole value is a credential: `X-Registry-Auth` (base64url JSON with
/// username/password or tokens, on pull/push/plugin/service calls) and `X-Registry-Config`
/// (every credential of the client's config, on `/build`), plus the generic HTTP ones.
const SECRET_HEADERS: &[&str] = &[
    "x-registry-auth",
    "x-registry-config",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Whether a header's value must not be shown (name matched case-insensitively, as HTTP does).
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS
        .iter()
        .any(|h| name.trim().eq_ignore_ascii_case(h))
}

/// A header value fit for display: secret headers become `<redacted N bytes>` (the size tells
/// "credentials were sent" from `X-Registry-Config: bnVsbA==`, i.e. `null`), others are shown
/// as text.
pub fn header_value<'a>(name: &str, value: &'a [u8]) -> Cow<'a, str> {
    if is_secret_header(name) {
        Cow::Owned(format!("<redacted {} bytes>", value.len()))
    } else {
        String::from_utf8_lossy(value)
    }
}
