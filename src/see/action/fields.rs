//! Reading a JSON body the way dockerd's Go decoder would, for display.
//!
//! Go matches keys case-insensitively ([`crate::see::redact::key_is`]) and applies duplicates in
//! document order, merging objects. serde's map keeps one value per exact key and loses the
//! order, so when a body spells a field more than once (`HostConfig` and `hostconfig`) these
//! helpers return every spelling: the view then shows a flag dockerd may apply rather than
//! hide one it does apply.

use serde_json::Value;

use crate::see::redact::key_is;

/// Every member named `name` (lower-case ASCII) of the objects in `srcs`.
pub(crate) fn members<'v>(srcs: &[&'v Value], name: &str) -> Vec<&'v Value> {
    srcs.iter()
        .filter_map(|s| s.as_object())
        .flat_map(|m| m.iter().filter(|(k, _)| key_is(k, name)).map(|(_, v)| v))
        .collect()
}

/// Whether any spelling of a boolean field is `true`.
pub(crate) fn on(srcs: &[&Value], name: &str) -> bool {
    members(srcs, name)
        .iter()
        .any(|v| v.as_bool() == Some(true))
}

/// The non-empty string values of a field.
pub(crate) fn texts<'v>(srcs: &[&'v Value], name: &str) -> Vec<&'v str> {
    members(srcs, name)
        .into_iter()
        .filter_map(Value::as_str)
        .filter(|s| !s.is_empty())
        .collect()
}

pub(crate) fn text<'v>(srcs: &[&'v Value], name: &str) -> Option<&'v str> {
    texts(srcs, name).into_iter().next()
}

/// A list of strings; like Go's `strslice`, a lone string counts as a one-element list.
pub(crate) fn list<'v>(srcs: &[&'v Value], name: &str) -> Vec<&'v str> {
    members(srcs, name)
        .into_iter()
        .flat_map(|v| match v {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        })
        .collect()
}

/// The elements of an array field.
pub(crate) fn items<'v>(srcs: &[&'v Value], name: &str) -> Vec<&'v Value> {
    members(srcs, name)
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
        .collect()
}

/// The members of an object field (`Labels`, `Sysctls`, `PortBindings`).
pub(crate) fn entries<'v>(srcs: &[&'v Value], name: &str) -> Vec<(&'v str, &'v Value)> {
    members(srcs, name)
        .into_iter()
        .filter_map(Value::as_object)
        .flatten()
        .map(|(k, v)| (k.as_str(), v))
        .collect()
}

/// The non-zero integer values of a field.
pub(crate) fn ints(srcs: &[&Value], name: &str) -> Vec<i64> {
    members(srcs, name)
        .into_iter()
        .filter_map(Value::as_i64)
        .filter(|n| *n != 0)
        .collect()
}

/// Objects of a nested field, for descending (`VolumeOptions` → `DriverConfig`).
pub(crate) fn objects<'v>(srcs: &[&'v Value], name: &str) -> Vec<&'v Value> {
    members(srcs, name)
        .into_iter()
        .filter(|v| v.is_object())
        .collect()
}

/// A scalar as text for a `key=value` flag (`Labels`, `Sysctls`, driver options).
pub(crate) fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
