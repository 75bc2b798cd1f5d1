//! Query strings read the way dockerd reads them.
//!
//! dockerd's handlers call Go's `r.ParseForm` and then `r.Form.Get` / `r.Form[key]`
//! (`httputils.BoolValue`, `BoolValueOrDefault`): pairs split on `&`, `+` is a space, keys and
//! values are percent-decoded once, keys are case-sensitive and the **first** value of a
//! repeated key is the one a handler gets. A pair Go cannot decode (bad `%` escape, `;`) is
//! skipped here; dockerd answers such a request with 400 anyway, so nothing it acts on is lost.
//! Form-encoded request bodies, which Go merges in before the query, are the relay's concern:
//! the CLI never sends one.

use crate::docker::gojson::url;
/// Redaction's encoder and lenient decoder, from the one home of Go's percent-encoding.
pub use crate::docker::gojson::url::{escape_minimal, query_unescape_lenient as unescape_lenient};

/// The decoded pairs of one query string, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parse a raw query (percent-encoded, without the `?`).
    pub fn parse(raw: &str) -> Query {
        Query {
            pairs: url::parse_query(raw),
        }
    }

    /// The value a handler's `r.Form.Get(key)` returns: the first one.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value unless it is empty: handlers treat `?tail=` like no `tail`.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// Every value of a repeated key (`r.Form["t"]`: build tags, saved image names).
    pub fn all<'q>(&'q self, key: &'q str) -> impl Iterator<Item = &'q str> + 'q {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// `httputils.BoolValue`: absent is false, and after trimming and lower-casing only
    /// `""`, `0`, `no`, `false` and `none` are false. `?all=yes` lists everything.
    pub fn flag(&self, key: &str) -> bool {
        self.get(key).is_some_and(truthy)
    }

    /// `httputils.BoolValueOrDefault`: the default applies only when the key is absent;
    /// a present but empty value is false.
    pub fn flag_or(&self, key: &str, default: bool) -> bool {
        self.get(key).map_or(default, truthy)
    }
}

/// Go's boolean reading of a form value.
pub fn truthy(value: &str) -> bool {
    let v = value.trim().to_lowercase();
    !matches!(v.as_str(), "" | "0" | "no" | "false" | "none")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_like_form_get() {
        let q = Query::parse("all=0&all=1");
        assert!(!q.flag("all"));
        assert_eq!(Query::parse("name=a&name=b").get("name"), Some("a"));
        assert_eq!(
            Query::parse("t=a%3A1&t=b").all("t").collect::<Vec<_>>(),
            ["a:1", "b"]
        );
    }

    #[test]
    fn keys_are_decoded_but_case_sensitive() {
        assert!(Query::parse("%61ll=1").flag("all"));
        assert!(!Query::parse("ALL=1").flag("all"));
    }

    #[test]
    fn anything_but_the_five_false_words_is_true() {
        for v in ["1", "yes", "%00", "1%23x", "+1+", "TRUE", "x"] {
            assert!(Query::parse(&format!("all={v}")).flag("all"), "{v}");
        }
        for v in ["", "0", "no", "false", "FALSE", "None", "+0+", "%20no"] {
            assert!(!Query::parse(&format!("all={v}")).flag("all"), "{v}");
        }
        assert!(!Query::parse("").flag("all"));
    }

    #[test]
    fn a_default_applies_only_when_the_key_is_absent() {
        assert!(Query::parse("").flag_or("stream", true));
        assert!(!Query::parse("stream=").flag_or("stream", true));
        assert!(!Query::parse("stream=0").flag_or("stream", true));
    }

    #[test]
    fn plus_is_space_and_pairs_go_would_reject_are_skipped() {
        let q = Query::parse("a=b+c&bad=%zz&semi=1;x=2&ok=1");
        assert_eq!(q.get("a"), Some("b c"));
        assert_eq!(q.get("bad"), None);
        assert_eq!(q.get("semi"), None);
        assert_eq!(q.get("ok"), Some("1"));
        assert_eq!(unescape_lenient("a%zz%41"), "a%zzA");
    }

    #[test]
    fn minimal_escape_round_trips() {
        let v = "{\"A\":\"x y&z+1%;#\u{e9}\"}";
        let raw = format!("k={}", escape_minimal(v));
        assert_eq!(Query::parse(&raw).get("k"), Some(v));
    }
}
