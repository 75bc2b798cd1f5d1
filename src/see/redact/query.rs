//! Query strings: build args, `user:password@` in URL-valued parameters, `ENV` values in
//! commit and import changes.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::json::scrub;
use super::{key_in, key_is, MARKER, SECRET_KEYS};
use crate::docker::endpoint::Operation;
use crate::see::action::query::{escape_minimal, unescape_lenient};

/// A raw query string (percent-encoded, without `?`) fit for display. It stays
/// percent-encoded: pairs that need no redaction keep their exact spelling (so `%61ll=1`
/// still shows how the client wrote it), and rewritten values are re-encoded minimally, so
/// the result reads `buildargs={"MYARG":"<redacted>"}` and still parses as the same keys.
///
/// Redacted: `buildargs` values (all of it if it is not a JSON object), `user:password@` in
/// any URL-valued parameter (`remote`, `fromSrc`), `ENV` values in `changes` of commit and
/// import, and any parameter named like a credential (`password`, `token`, …) — not one the
/// API has, but an unknown endpoint might.
pub fn query(op: Option<Operation>, raw: &str) -> String {
    let changes_apply = matches!(
        op,
        None | Some(Operation::ImageCommit | Operation::ImageCreate)
    );
    let mut out = String::with_capacity(raw.len());
    for (i, piece) in raw.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let (raw_key, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        let key = unescape_lenient(raw_key);
        let value = unescape_lenient(raw_value);
        let redacted: Cow<str> = if key_is(&key, "buildargs") {
            Cow::Owned(build_args(&value))
        } else if key_in(&key, SECRET_KEYS) && !value.is_empty() {
            Cow::Borrowed(MARKER)
        } else if changes_apply && key == "changes" {
            change(&value)
        } else {
            url(&value)
        };
        if redacted == value {
            out.push_str(piece);
        } else {
            out.push_str(raw_key);
            out.push('=');
            out.push_str(&escape_minimal(&redacted));
        }
    }
    out
}

/// `{"K":"v","L":null}` → `{"K":"<redacted>","L":null}`; `null` means "take it from the
/// Dockerfile default", which is no secret.
fn build_args(json: &str) -> String {
    match serde_json::from_str::<Map<String, Value>>(json) {
        Ok(mut args) => {
            args.values_mut().for_each(scrub);
            Value::Object(args).to_string()
        }
        Err(_) if json.trim().is_empty() || json.trim() == "null" => json.to_owned(),
        Err(_) => MARKER.to_owned(),
    }
}

/// A `docker commit -c` / `docker import -c` Dockerfile instruction with `ENV` values
/// redacted: `ENV A=1 B=2` → `ENV A=<redacted> B=<redacted>`, `ENV A 1` → `ENV A <redacted>`.
/// Only identifier-like keys are kept, so a fragment of a quoted value can never come through.
pub fn change(instruction: &str) -> Cow<'_, str> {
    let trimmed = instruction.trim_start();
    let (word, rest) = trimmed
        .split_once(char::is_whitespace)
        .unwrap_or((trimmed, ""));
    if word.eq_ignore_ascii_case("onbuild") {
        return match change(rest) {
            Cow::Owned(inner) => Cow::Owned(format!("{word} {inner}")),
            Cow::Borrowed(_) => Cow::Borrowed(instruction),
        };
    }
    if !word.eq_ignore_ascii_case("env") || rest.trim().is_empty() {
        return Cow::Borrowed(instruction);
    }
    let ident = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    let mut tokens = rest.split_whitespace();
    let first = tokens.next().unwrap_or("");
    let out = if first.contains('=') {
        let keys: Vec<String> = rest
            .split_whitespace()
            .filter_map(|t| t.split_once('=').map(|(k, _)| k))
            .filter(|k| ident(k))
            .map(|k| format!("{k}={MARKER}"))
            .collect();
        format!("{word} {}", keys.join(" "))
    } else if ident(first) {
        match tokens.next() {
            Some(_) => format!("{word} {first} {MARKER}"),
            None => format!("{word} {first}"),
        }
    } else {
        format!("{word} {MARKER}")
    };
    Cow::Owned(out)
}

/// A URL without its `user:password@` (build `remote=`, import `fromSrc=`, CIFS/NFS devices
/// such as `//user:pass@host/share`). The whole userinfo goes: a lone token often *is* the
/// user part (`https://TOKEN@github.com/…`).
pub fn url(s: &str) -> Cow<'_, str> {
    let start = match s.find("://") {
        Some(i) => i + 3,
        None if s.starts_with("//") => 2,
        None => return Cow::Borrowed(s),
    };
    let end = s[start..]
        .find(['/', '?', '#'])
        .map_or(s.len(), |i| start + i);
    match s[start..end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}{MARKER}{}", &s[..start], &s[start + at..])),
        None => Cow::Borrowed(s),
    }
}
