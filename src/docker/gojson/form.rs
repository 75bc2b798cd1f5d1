//! Query strings as Go's `url.ParseQuery` (behind dockerd's `ParseForm`) reads them.

use super::{url, Ambiguity};

/// Decoded query parameters in order, repeats kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

/// Parse a raw query (the part after `?`) like Go: `&` separates, `;` is an error (Go ≥ 1.17),
/// keys and values are percent-decoded once with `+` as space, a bad escape is an error.
///
/// Go skips a bad pair and reports the error at the end, and dockerd answers 400, so one
/// bad pair refuses the whole query. Decoded bytes that are not UTF-8 are refused too: Go
/// would pass them on as they are, and no Docker parameter needs them.
pub fn form(query: &str) -> Result<Form, Ambiguity> {
    let mut pairs = Vec::new();
    for part in query.split('&') {
        if part.contains(';') {
            return Err(Ambiguity::QuerySemicolon);
        }
        if part.is_empty() {
            continue;
        }
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        pairs.push((unescape(key)?, unescape(value)?));
    }
    Ok(Form { pairs })
}

/// Go's `QueryUnescape`, refusing a bad escape and bytes that are not UTF-8.
fn unescape(text: &str) -> Result<String, Ambiguity> {
    let bytes = url::query_unescape(text).map_err(|_| Ambiguity::QueryEscape {
        text: text.to_owned(),
    })?;
    String::from_utf8(bytes).map_err(|_| Ambiguity::QueryNotUtf8 {
        text: text.to_owned(),
    })
}

/// dockerd's `BoolValue`: after trimming and lower-casing, only `""`, `0`, `no`, `false` and
/// `none` are false; anything else (`yes`, `%00`, `1#x`, ` 1 `) is true.
pub fn go_bool(value: &str) -> bool {
    // Go's TrimSpace and Rust's trim agree on Unicode White_Space.
    let v = value.trim().to_lowercase();
    !matches!(v.as_str(), "" | "0" | "no" | "false" | "none")
}

impl Form {
    /// Go's `Form.Get`: the first value (repeats after it are ignored by dockerd).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Go's `FormValue`: the first value, or `""` when absent.
    pub fn value(&self, key: &str) -> &str {
        self.get(key).unwrap_or("")
    }

    /// Every value of a key, for the parameters dockerd reads whole (`t`, `extrahosts`,
    /// `changes`).
    pub fn values(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// dockerd's `BoolValue` of the first value; absent is false.
    pub fn bool(&self, key: &str) -> bool {
        go_bool(self.value(key))
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The form Go builds when a POST/PUT/PATCH body is `application/x-www-form-urlencoded`:
    /// the body's values come first, so they win over the query's (verified live: a form
    /// body renamed a container despite `?name=` saying otherwise).
    pub fn with_body(self, body: Form) -> Form {
        let mut pairs = body.pairs;
        pairs.extend(self.pairs);
        Form { pairs }
    }
}
