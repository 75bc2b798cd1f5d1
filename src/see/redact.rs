//! The one place that decides what sockeye never shows.
//!
//! Registry credentials, login passwords, environment values, build args, log-driver and
//! volume-driver options, swarm tokens and secret data travel over the socket in clear. Every
//! view, log line and export goes through this module, so a newly found secret-bearing field
//! is fixed once for all of them.
//!
//! The rule is "show that something was there, not what": names, sizes and structure survive,
//! values become [`MARKER`]. JSON keys are matched the way dockerd's Go decoder matches them —
//! case-insensitively, with Unicode folding (see [`key_is`]) — because a client that writes
//! `ENV` or `paſsword` still gets the field applied, and must not get it displayed.
//!
//! Left to the caller: hijacked streams (attach/exec stdin and output, the BuildKit session's
//! HTTP/2 frames, which carry `--secret` values) and tar bodies are never to be shown at all.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::docker::endpoint::Operation;
use crate::see::action::query::{escape_minimal, unescape_lenient};

/// What a redacted value is replaced with, in JSON bodies, queries and action lines alike.
pub const MARKER: &str = "<redacted>";

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

/// JSON keys whose value is a credential wherever they appear: `/auth` bodies and the
/// AuthConfig shape (`auth` is base64 `user:password`), its `IdentityToken` answer, swarm join
/// and unlock tokens and the swarm CA's private key.
const SECRET_KEYS: &[&str] = &[
    "password",
    "auth",
    "identitytoken",
    "registrytoken",
    "token",
    "accesstoken",
    "refreshtoken",
    "jointoken",
    "jointokens",
    "unlockkey",
    "signingcakey",
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

/// Whether a JSON object key is `name` (given in ASCII lower case) as Go's `encoding/json`
/// matches struct fields: case-insensitively under Unicode simple folding, where the only
/// non-ASCII letters that fold onto ASCII are `ſ` (U+017F, ≡ `s`) and the Kelvin sign
/// (U+212A, ≡ `k`). dockerd applied `"Bindſ"` as `Binds` in a live test.
pub fn key_is(key: &str, name: &str) -> bool {
    key.chars()
        .map(|c| match c {
            '\u{17F}' => 's',
            '\u{212A}' => 'k',
            c => c.to_ascii_lowercase(),
        })
        .eq(name.chars())
}

fn key_in(key: &str, names: &[&str]) -> bool {
    names.iter().any(|n| key_is(key, n))
}

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
fn scrub(v: &mut Value) {
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

fn driver_opts(v: &mut Value) {
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

/// Whether a request or response body of `op` can carry secrets that [`json_body`] removes.
/// Views and exports show such a body only as parsed, redacted JSON, never as bytes: a body
/// that cannot be parsed (cut at a capture limit, not JSON) is not shown at all.
/// `None` (an unrouted request) counts as "may": nothing about it is known.
pub fn body_may_hold_secrets(op: Option<Operation>) -> bool {
    use Operation as O;
    let Some(op) = op else { return true };
    matches!(
        op,
        O::ContainerCreate
            | O::ContainerUpdate
            | O::ContainerInspect
            | O::ImageCommit
            | O::ImageInspect
            | O::ImageHistory
            | O::ContainerExec
            | O::SystemAuth
            | O::SecretCreate
            | O::SecretUpdate
            | O::SecretInspect
            | O::SecretList
            | O::ConfigCreate
            | O::ConfigUpdate
            | O::ConfigInspect
            | O::ConfigList
            | O::SwarmInit
            | O::SwarmJoin
            | O::SwarmUpdate
            | O::SwarmUnlock
            | O::SwarmUnlockkey
            | O::SwarmInspect
            | O::ServiceCreate
            | O::ServiceUpdate
            | O::ServiceInspect
            | O::ServiceList
            | O::TaskList
            | O::TaskInspect
            | O::VolumeCreate
            | O::VolumeUpdate
            | O::VolumeInspect
            | O::VolumeList
            | O::PluginSet
            | O::PluginPull
            | O::PluginUpgrade
            | O::PluginInspect
            | O::PluginList
            | O::GetPluginPrivileges
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Fake credentials from the traces; none may survive any output.
    const SECRETS: &[&str] = &[
        "probe-password-xyz",
        "probe-login-password",
        "env-secret-abc",
        "s3cr3t-buildarg",
        "cifs-password-xyz",
        "eyJ1c2VybmFtZSI6InByb2JldXNlciIsInBhc3N3b3JkIjoicHJvYmUtcGFzc3dvcmQteHl6",
        "SWMTKN-1-join",
        "SWMKEY-1-unlock",
        "c2VjcmV0LWRhdGE=",
        "splunk-tok-123",
        "ghp_token123",
        "plugin-secret-1",
    ];

    fn assert_clean(what: &str, text: &str) {
        for s in SECRETS {
            assert!(!text.contains(s), "{what} leaks {s:?}: {text}");
        }
    }

    fn redacted(op: Option<Operation>, mut v: Value) -> Value {
        json_body(op, &mut v);
        assert_clean(&format!("{op:?} body"), &v.to_string());
        v
    }

    #[test]
    fn registry_auth_headers_show_only_their_size() {
        // pull-auth / push-auth: base64url {"username","password","serveraddress"}.
        let auth = b"eyJ1c2VybmFtZSI6InByb2JldXNlciIsInBhc3N3b3JkIjoicHJvYmUtcGFzc3dvcmQteHl6Iiwic2VydmVyYWRkcmVzcyI6ImxvY2FsaG9zdDo1OTk5In0=";
        assert_eq!(
            header_value("X-Registry-Auth", auth),
            format!("<redacted {} bytes>", auth.len())
        );
        assert_eq!(
            header_value("x-registry-config", b"bnVsbA=="),
            "<redacted 8 bytes>"
        );
        for name in [
            "Authorization",
            "PROXY-AUTHORIZATION",
            "Cookie",
            "Set-Cookie",
        ] {
            assert_clean(name, &header_value(name, auth));
        }
        assert_eq!(
            header_value("Content-Type", b"application/json"),
            "application/json"
        );
    }

    #[test]
    fn login_bodies_and_answers_keep_only_user_and_server() {
        let v = redacted(
            Some(Operation::SystemAuth),
            json!({"username":"probeuser","password":"probe-login-password","serveraddress":"localhost:5999"}),
        );
        assert_eq!(
            v,
            json!({"username":"probeuser","password":MARKER,"serveraddress":"localhost:5999"})
        );
        let answer = redacted(
            Some(Operation::SystemAuth),
            json!({"Status":"Login Succeeded","IdentityToken":"ghp_token123"}),
        );
        assert_eq!(answer["IdentityToken"], MARKER);
        // dockerd decodes `PASSWORD`, `Paſſword` and `auth` (base64 user:pass) as credentials too.
        redacted(
            Some(Operation::SystemAuth),
            json!({"PASSWORD":"probe-password-xyz","Pa\u{17F}\u{17F}word":"probe-login-password","Auth":"ghp_token123"}),
        );
    }

    #[test]
    fn env_keeps_names_in_any_spelling_of_the_key() {
        // create-dangerous: `-e SECRET_TOKEN=env-secret-abc`.
        let v = redacted(
            Some(Operation::ContainerCreate),
            json!({"Env":["SECRET_TOKEN=env-secret-abc","UNSET"],"Cmd":["true"]}),
        );
        assert_eq!(v["Env"], json!(["SECRET_TOKEN=<redacted>", "UNSET"]));
        redacted(
            Some(Operation::ContainerCreate),
            json!({"ENV":["A=env-secret-abc"],"env":["B=env-secret-abc"]}),
        );
        redacted(
            Some(Operation::ContainerExec),
            json!({"Cmd":["sh"],"Env":["T=env-secret-abc"],"Privileged":true}),
        );
        redacted(
            Some(Operation::ServiceCreate),
            json!({"TaskTemplate":{"ContainerSpec":{"Image":"x","Env":["T=env-secret-abc"]},
                   "LogDriver":{"Name":"splunk","Options":{"splunk-token":"splunk-tok-123"}}}}),
        );
        // The same fields come back from inspect.
        redacted(
            Some(Operation::ContainerInspect),
            json!({"Config":{"Env":["T=env-secret-abc"]},
                   "HostConfig":{"LogConfig":{"Type":"splunk","Config":{"splunk-token":"splunk-tok-123"}}}}),
        );
    }

    #[test]
    fn log_options_keep_their_names() {
        let v = redacted(
            Some(Operation::ContainerCreate),
            json!({"HostConfig":{"logconfig":{"Type":"splunk","CONFIG":{"splunk-token":"splunk-tok-123"}}}}),
        );
        assert_eq!(
            v["HostConfig"]["logconfig"],
            json!({"Type":"splunk","CONFIG":{"splunk-token":MARKER}})
        );
    }

    #[test]
    fn volume_options_hide_credentials_but_not_the_host_path() {
        // volume-create-cifs-opts.
        let v = redacted(
            Some(Operation::VolumeCreate),
            json!({"Driver":"local","DriverOpts":{"device":"//127.0.0.1/share","o":"username=probeuser,password=cifs-password-xyz","type":"cifs"},"Name":"probe-cifsvol"}),
        );
        assert_eq!(
            v["DriverOpts"],
            json!({"device":"//127.0.0.1/share","o":"username=<redacted>,password=<redacted>","type":"cifs"})
        );
        // The bind-any-host-path trick stays visible; a device URL loses its userinfo.
        let v = redacted(
            Some(Operation::ContainerCreate),
            json!({"HostConfig":{"Mounts":[{"Type":"volume","Target":"/x","VolumeOptions":{"DriverConfig":{"Name":"local",
                "Options":{"type":"none","o":"bind","device":"/","token":"ghp_token123"}}}}]}}),
        );
        assert_eq!(
            v["HostConfig"]["Mounts"][0]["VolumeOptions"]["DriverConfig"]["Options"],
            json!({"type":"none","o":"bind","device":"/","token":MARKER})
        );
        assert_eq!(
            driver_opt("device", "//probeuser:cifs-password-xyz@nas/share"),
            "device=//<redacted>@nas/share"
        );
        // Volume inspect echoes the options back.
        redacted(
            Some(Operation::VolumeList),
            json!({"Volumes":[{"Name":"v","Options":{"o":"password=cifs-password-xyz"}}]}),
        );
    }

    #[test]
    fn swarm_tokens_secret_data_and_plugin_settings_are_hidden() {
        redacted(
            Some(Operation::SwarmJoin),
            json!({"RemoteAddrs":["10.0.0.1:2377"],"JoinToken":"SWMTKN-1-join"}),
        );
        redacted(
            Some(Operation::SwarmInspect),
            json!({"JoinTokens":{"Worker":"SWMTKN-1-join","Manager":"SWMTKN-1-join"}}),
        );
        redacted(
            Some(Operation::SwarmUnlock),
            json!({"unlockkey":"SWMKEY-1-unlock"}),
        );
        let v = redacted(
            Some(Operation::SecretCreate),
            json!({"Name":"s","Data":"c2VjcmV0LWRhdGE="}),
        );
        assert_eq!(v, json!({"Name":"s","Data":MARKER}));
        redacted(
            Some(Operation::ConfigInspect),
            json!({"Spec":{"Name":"c","Data":"c2VjcmV0LWRhdGE="}}),
        );
        let v = redacted(
            Some(Operation::PluginSet),
            json!(["DEBUG=plugin-secret-1", "flag"]),
        );
        assert_eq!(v, json!(["DEBUG=<redacted>", "flag"]));
        redacted(
            Some(Operation::PluginInspect),
            json!({"Settings":{"Env":["K=plugin-secret-1"]},"Config":{"Env":[{"Name":"K","Value":"plugin-secret-1"}]}}),
        );
    }

    #[test]
    fn build_args_persisted_in_images_are_hidden() {
        let v = redacted(
            Some(Operation::ImageInspect),
            json!({"ContainerConfig":{"Cmd":["|1","MYARG=s3cr3t-buildarg","/bin/sh","-c","echo"]}}),
        );
        assert_eq!(
            v["ContainerConfig"]["Cmd"],
            json!(["|1", "MYARG=<redacted>", "/bin/sh", "-c", "echo"])
        );
        let v = redacted(
            Some(Operation::ImageHistory),
            json!([{"CreatedBy":"|1 MYARG=s3cr3t-buildarg /bin/sh -c echo $MYARG"}]),
        );
        assert_eq!(
            v[0]["CreatedBy"],
            "|1 MYARG=<redacted> /bin/sh -c echo $MYARG"
        );
        // History joins the args with spaces, so a value with a space has no visible end:
        // what follows is not shown unless it is plainly the RUN command.
        let v = redacted(
            Some(Operation::ImageHistory),
            json!([{"CreatedBy":"|1 MYARG=a s3cr3t-buildarg ls -l"}]),
        );
        assert_eq!(v[0]["CreatedBy"], "|1 MYARG=<redacted> <redacted>");
    }

    #[test]
    fn unknown_endpoints_get_every_rule() {
        redacted(
            None,
            json!({"x":{"Password":"probe-password-xyz","Data":"c2VjcmV0LWRhdGE=","DriverOpts":{"o":"password=cifs-password-xyz"}}}),
        );
    }

    #[test]
    fn build_args_in_the_query_keep_their_names() {
        // build-classic.
        let raw = "buildargs=%7B%22MYARG%22%3A%22s3cr3t-buildarg%22%7D&dockerfile=Dockerfile&t=probe-build%3Aclassic&version=1";
        let q = query(Some(Operation::ImageBuild), raw);
        assert_eq!(
            q,
            "buildargs={\"MYARG\":\"<redacted>\"}&dockerfile=Dockerfile&t=probe-build%3Aclassic&version=1"
        );
        // A buildargs value dockerd would reject still shows nothing.
        let q = query(
            Some(Operation::ImageBuild),
            "buildargs=%7B%22A%22:%22s3cr3t-buildarg%zz",
        );
        assert_eq!(q, "buildargs=<redacted>");
        assert_eq!(
            query(None, "BuildArgs=s3cr3t-buildarg"),
            "BuildArgs=<redacted>"
        );
        // Nothing to hide: the pair keeps its spelling.
        let q = query(
            Some(Operation::ImageBuild),
            "buildargs=%7B%22A%22%3Anull%7D",
        );
        assert_eq!(q, "buildargs=%7B%22A%22%3Anull%7D");
    }

    #[test]
    fn urls_and_commit_changes_lose_their_secrets() {
        let q = query(
            Some(Operation::ImageBuild),
            "remote=https%3A%2F%2Fx-access-token%3Aghp_token123%40github.com%2Fo%2Fr.git&t=a",
        );
        assert_eq!(q, "remote=https://<redacted>@github.com/o/r.git&t=a");
        let q = query(
            Some(Operation::ImageCommit),
            "changes=ENV+TOKEN%3Denv-secret-abc+B%3D%22x+env-secret-abc%22&container=c",
        );
        assert_clean("commit query", &q);
        assert_eq!(
            q,
            "changes=ENV%20TOKEN=<redacted>%20B=<redacted>&container=c"
        );
        assert_eq!(change("ENV TOKEN env-secret-abc"), "ENV TOKEN <redacted>");
        assert_eq!(
            change("onbuild env A=env-secret-abc"),
            "onbuild env A=<redacted>"
        );
        assert_eq!(change("USER root"), "USER root");
        assert_eq!(query(None, "password=ghp_token123"), "password=<redacted>");
        // Untouched pairs keep the client's spelling.
        assert_eq!(query(None, "%61ll=1&x"), "%61ll=1&x");
    }
}
