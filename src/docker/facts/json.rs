//! Reading canonical JSON the way dockerd's Go types read it: a value of the wrong type is
//! as good as absent (dockerd answers 400 to it, so nothing it says happens).

use serde_json::{Map, Value};

pub(super) fn obj<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    m.get(key).and_then(Value::as_object)
}

pub(super) fn string(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A namespace mode, unset when empty (dockerd's default).
pub(super) fn mode(m: &Map<String, Value>, key: &str) -> Option<String> {
    string(m, key).filter(|s| !s.is_empty())
}

pub(super) fn boolean(m: &Map<String, Value>, key: &str) -> bool {
    m.get(key).and_then(Value::as_bool).unwrap_or(false)
}

pub(super) fn items<'a>(
    m: &'a Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a Value> + 'a {
    m.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// A Go `[]string`.
pub(super) fn strings(m: &Map<String, Value>, key: &str) -> Vec<String> {
    items(m, key)
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// A `[]string` whose presence matters (`MaskedPaths: []` differs from no `MaskedPaths`).
pub(super) fn present_strings(m: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    m.get(key)
        .and_then(Value::as_array)
        .map(|_| strings(m, key))
}

/// Go's `strslice.StrSlice`: an array of strings, or one string.
pub(super) fn str_slice(m: &Map<String, Value>, key: &str) -> Vec<String> {
    match m.get(key) {
        Some(Value::String(s)) => vec![s.clone()],
        _ => strings(m, key),
    }
}

pub(super) fn env_keys(m: &Map<String, Value>, key: &str) -> Vec<String> {
    strings(m, key)
        .iter()
        .map(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k).to_owned())
        .collect()
}

pub(super) fn string_map(
    m: &Map<String, Value>,
    key: &str,
) -> std::collections::BTreeMap<String, String> {
    obj(m, key)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect()
}
