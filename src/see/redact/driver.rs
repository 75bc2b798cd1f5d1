//! Volume-driver options: credentials hidden, the host path a bind mount reaches kept.

use std::borrow::Cow;

use serde_json::Value;

use super::json::scrub;
use super::{key_is, url, MARKER};

pub(super) fn driver_opts(v: &mut Value) {
    if let Value::Object(map) = v {
        for (key, child) in map.iter_mut() {
            match child {
                Value::String(s) => {
                    let shown = driver_opt_value(key, s);
                    if shown != s.as_str() {
                        *s = shown.into_owned();
                    }
                }
                other => scrub(other),
            }
        }
    } else {
        scrub(v);
    }
}

/// One volume-driver option as `key=value`, redacted. The local driver's `type` and `device`
/// stay visible (minus any `user:password@` in a device URL): `type=none,o=bind,device=/`
/// mounts any host path, and a view that hid it would hide the escalation. In `o` the bare
/// mount flags (`bind`, `ro`) stay and every `name=value` item loses its value
/// (`username=…,password=…,addr=…`). Any other option's value is redacted whole.
pub fn driver_opt(key: &str, value: &str) -> String {
    format!("{key}={}", driver_opt_value(key, value))
}

fn driver_opt_value<'v>(key: &str, value: &'v str) -> Cow<'v, str> {
    if key_is(key, "type") {
        Cow::Borrowed(value)
    } else if key_is(key, "device") {
        url(value)
    } else if value.is_empty() {
        Cow::Borrowed(value)
    } else if key_is(key, "o") {
        let items: Vec<Cow<str>> = value
            .split(',')
            .map(|item| match item.split_once('=') {
                Some((k, _)) => Cow::Owned(format!("{k}={MARKER}")),
                None => Cow::Borrowed(item),
            })
            .collect();
        Cow::Owned(items.join(","))
    } else {
        Cow::Borrowed(MARKER)
    }
}
