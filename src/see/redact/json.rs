//! JSON bodies, request and response alike: credential keys, `Env`, log and driver options,
//! secret data and build args persisted in images.

use std::borrow::Cow;

use serde_json::Value;

use super::driver::driver_opts;
use super::{key_in, key_is, MARKER, SECRET_KEYS};
use crate::docker::endpoint::Operation;

/// Redact a JSON body of `op` in place; works on request and response bodies alike, since
/// the secret-bearing keys are the same both ways (`Env` sent to create and returned by
/// inspect, `IdentityToken` answered by `/auth`, volume `Options` echoed by volume inspect).
/// `op` is `None` for an unrouted request: then every rule applies.
///
/// Redacted: credential keys at any depth (`password`, `auth`, `identitytoken`,
/// `registrytoken`, `jointoken(s)`, `unlockkey`, `signingcakey`, `token`); `Env` entries `KEY=value` → `KEY=<redacted>`;
/// `LogConfig.Config` and `LogDriver.Options` values; volume driver options
/// (`DriverConfig.Options` in mounts, `DriverOpts` and volume `Options` on volume calls, see
/// [`driver_opt`]); secret and config `Data`; plugin `set` arguments; build args that
/// dockerd persisted into image commands (`Cmd: ["|1", "K=v", …]`, history `CreatedBy`).
///
/// [`driver_opt`]: super::driver_opt
pub fn json_body(op: Option<Operation>, v: &mut Value) {
    if matches!(op, Some(Operation::PluginSet) | None) {
        // `docker plugin set NAME KEY=value`: the body is a bare array of assignments.
        if let Value::Array(items) = v {
            items.iter_mut().for_each(env_entry);
        }
    }
    walk(op, v);
}

fn walk(op: Option<Operation>, v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                redact_member(op, key, child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| walk(op, item)),
        _ => {}
    }
}

fn redact_member(op: Option<Operation>, key: &str, child: &mut Value) {
    use Operation as O;
    let volumes = matches!(
        op,
        None | Some(
            O::VolumeCreate | O::VolumeInspect | O::VolumeList | O::VolumeUpdate | O::VolumePrune
        )
    );
    let secrets = matches!(
        op,
        None | Some(
            O::SecretCreate
                | O::SecretInspect
                | O::SecretList
                | O::SecretUpdate
                | O::ConfigCreate
                | O::ConfigInspect
                | O::ConfigList
                | O::ConfigUpdate
        )
    );
    if key_in(key, SECRET_KEYS) || (secrets && key_is(key, "data")) {
        scrub(child);
    } else if key_is(key, "env") {
        env_list(child);
    } else if key_is(key, "logconfig") {
        members(op, child, "config", scrub);
    } else if key_is(key, "logdriver") {
        members(op, child, "options", scrub);
    } else if key_is(key, "driverconfig") {
        members(op, child, "options", driver_opts);
    } else if volumes && key_in(key, &["driveropts", "options"]) {
        driver_opts(child);
    } else if key_is(key, "cmd") {
        persisted_build_args(child);
    } else if key_is(key, "createdby") {
        if let Value::String(s) = child {
            if let Cow::Owned(r) = created_by(s) {
                *s = r;
            }
        }
    } else {
        walk(op, child);
    }
}

/// Apply `f` to every member of the object `v` named `name`, and the usual rules to the rest.
fn members(op: Option<Operation>, v: &mut Value, name: &str, f: fn(&mut Value)) {
    if let Value::Object(map) = v {
        for (key, child) in map.iter_mut() {
            if key_is(key, name) {
                f(child);
            } else {
                redact_member(op, key, child);
            }
        }
    } else {
        scrub(v);
    }
}

/// Replace every leaf value with [`MARKER`], keeping keys and shape. `null` and `""` stay:
/// they show that nothing was there, which is no secret.
pub(super) fn scrub(v: &mut Value) {
    match v {
        Value::Null => {}
        Value::String(s) if s.is_empty() => {}
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => map.values_mut().for_each(scrub),
        other => *other = Value::String(MARKER.into()),
    }
}

fn env_list(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(env_entry),
        Value::String(_) => env_entry(v),
        _ => scrub(v),
    }
}

fn env_entry(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Cow::Owned(r) = env_var(s) {
                *s = r;
            }
        }
        // A plugin's declared env: `{"Name": …, "Value": default}`.
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key_is(key, "value") {
                    scrub(child);
                }
            }
        }
        _ => scrub(v),
    }
}

/// `KEY=value` → `KEY=<redacted>`; a bare `KEY` (which unsets it) is shown as it is.
pub fn env_var(entry: &str) -> Cow<'_, str> {
    match entry.split_once('=') {
        Some((key, _)) => Cow::Owned(format!("{key}={MARKER}")),
        None => Cow::Borrowed(entry),
    }
}

/// Build args that dockerd's legacy builder records in the image: a `Cmd` array beginning with
/// `|N` is followed by N `KEY=value` arguments.
fn persisted_build_args(v: &mut Value) {
    let Value::Array(items) = v else {
        return;
    };
    let count = items
        .first()
        .and_then(Value::as_str)
        .and_then(|s| s.strip_prefix('|'))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    items.iter_mut().skip(1).take(count).for_each(env_entry);
}

/// The same in a history line: `|1 MYARG=s3cr3t /bin/sh -c …`, which dockerd wrote by
/// joining the arguments with spaces. A value containing a space cannot be delimited there, so
/// the command is shown only if it starts the way a shell-form `RUN` does; anything else could
/// be the rest of a value.
fn created_by(s: &str) -> Cow<'_, str> {
    let Some(rest) = s.strip_prefix('|') else {
        return Cow::Borrowed(s);
    };
    let Some((n, args)) = rest.split_once(' ') else {
        return Cow::Borrowed(s);
    };
    let Ok(count) = n.parse::<usize>() else {
        return Cow::Borrowed(s);
    };
    let mut words = args.split(' ');
    let mut out = format!("|{n}");
    for _ in 0..count {
        match words.next().and_then(|w| w.split_once('=')) {
            Some((k, _)) => out.push_str(&format!(" {k}={MARKER}")),
            None => return Cow::Owned(format!("|{n} {MARKER}")),
        }
    }
    let command: Vec<&str> = words.collect();
    let command = command.join(" ");
    if command.starts_with("/bin/sh -c ") || command.starts_with("#(nop) ") {
        out.push(' ');
        out.push_str(&command);
    } else if !command.is_empty() {
        out.push(' ');
        out.push_str(MARKER);
    }
    Cow::Owned(out)
}
