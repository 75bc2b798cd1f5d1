//! The input document a Rego policy is asked about: opa-docker-authz's, built from what
//! the relay sees, plus sockeye's own view of the request under `sockeye`.

use http::HeaderMap;
use serde_json::{json, Map, Value};

use super::INPUT_ERROR;
use crate::caller::{Caller, Peer, Wire};
use crate::docker::gojson::url;
use crate::guard::policy::RequestFacts;

/// Where an absolute path leads on this host, symlinks followed (Go's
/// `filepath.EvalSymlinks`, whose result is clean), or `None` when it cannot be resolved.
///
/// opa-docker-authz resolves each bind source of each request when it builds the input, so
/// this runs per request, on paths only the request names: nothing can be resolved once at
/// load time, and a cached answer would go stale as links change. It reads the file system,
/// so the relay hands it in ([`crate::guard::eval_symlinks`]) and this module stays pure.
pub type EvalSymlinks<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The input document opa-docker-authz builds for this request, plus sockeye's view of it
/// under `sockeye`.
///
/// * `uri` is the request target as received (`RequestURI`: path and query, still
///   percent-encoded).
/// * `headers` are the request's headers as received; they are reduced to what dockerd
///   passes to an AuthZ plugin (`docker_headers`).
/// * `body` is the JSON body the relay will forward (the canonical value from
///   [`crate::docker::gojson::canonical`]), or `None` when there is none or the relay did not read
///   it.
/// * `eval_symlinks` resolves the bind mounts' sources on this host (`BindMounts[].Resolved`).
///
/// The document holds whatever the request holds (environment values of a container
/// create, a secret's data) except credentials, exactly as opa-docker-authz's does; sockeye
/// never logs it.
pub fn input(
    req: &RequestFacts,
    uri: &str,
    headers: &HeaderMap,
    body: Option<&Value>,
    eval_symlinks: EvalSymlinks,
) -> Value {
    let mut error = None;
    // Go's reading of the target, as opa-docker-authz's `url.Parse(RequestURI)`; dockerd
    // routes `//x/y` and a `#` differently, and `sockeye.path` says what it routes.
    let (path, raw_query) = match url::parse(uri) {
        Ok(parsed) => parsed,
        Err(e) => {
            error = Some(e);
            (String::new(), None)
        }
    };
    // dockerd never sends the body of `/auth` (registry credentials) to a plugin.
    let body = body.filter(|_| !is_auth_endpoint(&path));
    let body = match body {
        None | Some(Value::Null) => Value::Null,
        Some(b @ Value::Object(_)) => b.clone(),
        Some(other) => {
            // opa-docker-authz unmarshals into a Go map and fails on anything else (the
            // arrays of `plugin pull`, `plugin set`), so dockerd refuses the request.
            error.get_or_insert_with(|| {
                format!(
                    "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    go_json_kind(other)
                )
            });
            Value::Null
        }
    };
    let (user, auth_method) = docker_user(&req.caller.peer);
    let bind_mounts = bind_mounts(&body, eval_symlinks);
    let mut doc = Map::new();
    doc.insert("Headers".into(), docker_headers(headers));
    doc.insert("Path".into(), uri.into());
    doc.insert(
        "PathArr".into(),
        path.split('/').map(Value::from).collect::<Vec<_>>().into(),
    );
    doc.insert("Query".into(), go_query(raw_query.unwrap_or("")));
    doc.insert("PathPlain".into(), path.into());
    doc.insert("Method".into(), req.method.into());
    doc.insert("Body".into(), body);
    doc.insert("User".into(), user.into());
    doc.insert("AuthMethod".into(), auth_method.into());
    doc.insert("BindMounts".into(), bind_mounts);
    let mut extra = sockeye_view(req);
    if let (Some(e), Some(map)) = (error, extra.as_object_mut()) {
        map.insert(INPUT_ERROR.into(), e.into());
    }
    doc.insert("sockeye".into(), extra);
    Value::Object(doc)
}

/// dockerd's AuthZ `User` and `UserAuthNMethod`: the client certificate's common name and
/// `TLS` when the connection is mutual TLS, both empty otherwise.
fn docker_user(peer: &Peer) -> (&str, &str) {
    match peer {
        Peer::Tls {
            cert: Some(cert), ..
        } => (cert.common_name.as_deref().unwrap_or(""), "TLS"),
        _ => ("", ""),
    }
}

/// The headers as dockerd hands them to a plugin (moby `authorization.headers`): names in
/// Go's canonical form, the last value of a repeated header, without `Authorization`,
/// `X-Registry-Auth` and `X-Registry-Config` (credentials). Before that, Go's server has
/// taken `Host` and `Transfer-Encoding` out of the map (and `Content-Length` when the body is
/// chunked) and added `Cache-Control: no-cache` for a lone `Pragma: no-cache`.
fn docker_headers(headers: &HeaderMap) -> Value {
    const DROPPED: &[&str] = &[
        "host",
        "transfer-encoding",
        "authorization",
        "x-registry-auth",
        "x-registry-config",
    ];
    let chunked = headers.contains_key(http::header::TRANSFER_ENCODING);
    let mut out = Map::new();
    for name in headers.keys() {
        let lower = name.as_str();
        if DROPPED.contains(&lower) || (chunked && lower == "content-length") {
            continue;
        }
        if let Some(last) = headers.get_all(name).iter().next_back() {
            let value = String::from_utf8_lossy(last.as_bytes()).into_owned();
            out.insert(go_canonical_header(lower), value.into());
        }
    }
    let pragma_no_cache = headers
        .get(http::header::PRAGMA)
        .is_some_and(|v| v.as_bytes() == b"no-cache");
    if pragma_no_cache && !headers.contains_key(http::header::CACHE_CONTROL) {
        out.insert("Cache-Control".into(), "no-cache".into());
    }
    Value::Object(out)
}

/// Go's `textproto.CanonicalMIMEHeaderKey` for a valid header name (hyper gives only those,
/// lower-cased): upper case at the start and after each `-`, lower case elsewhere.
fn go_canonical_header(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

/// moby's `isAuthEndpoint`: `^[^/]*/(v\d[\d.]*/)?auth` on the parsed path.
fn is_auth_endpoint(path: &str) -> bool {
    let Some((_, rest)) = path.split_once('/') else {
        return false;
    };
    let unversioned = rest
        .strip_prefix('v')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        .and_then(|r| {
            let end = r.find(|c: char| !c.is_ascii_digit() && c != '.')?;
            r[end..].strip_prefix('/')
        });
    rest.starts_with("auth") || unversioned.is_some_and(|r| r.starts_with("auth"))
}

/// The name Go's `encoding/json` gives a JSON value's kind in an unmarshal error.
fn go_json_kind(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null | Value::Object(_) => "object",
    }
}

/// opa-docker-authz's `listBindMounts`: `HostConfig.Binds` entries that start with `/`
/// (`src:dst[:mode]`, read-only only when the third `:` field is exactly `ro`), then
/// `HostConfig.Mounts` of type `bind`; each with `Resolved`, the source with symlinks
/// resolved on this host (`filepath.EvalSymlinks`), `""` when that fails.
///
/// With no bind at all this is `[]`, as opa-docker-authz's README documents, where its code
/// marshals a nil slice as `null`: regorus, unlike OPA, fails `some m in input.BindMounts`
/// on `null`, and `[]` reads the same as `null` in every other way but `count` (0 instead of
/// undefined) and an explicit test for `null`.
///
/// `Resolved` reads the file system sockeye sees, which is dockerd's only when both run in
/// the same mount namespace, and a symlink can change between this check and dockerd's
/// mount: `sockeye.facts.host_paths` (lexically cleaned) does not depend on either.
fn bind_mounts(body: &Value, eval_symlinks: EvalSymlinks) -> Value {
    let Some(host_config) = body.get("HostConfig").and_then(Value::as_object) else {
        return json!([]);
    };
    let mut out: Vec<(String, bool)> = Vec::new();
    if let Some(binds) = host_config.get("Binds").and_then(Value::as_array) {
        for bind in binds.iter().filter_map(Value::as_str) {
            if bind.starts_with('/') {
                let parts: Vec<&str> = bind.split(':').collect();
                out.push((parts[0].to_owned(), parts.len() == 3 && parts[2] == "ro"));
            }
        }
    }
    if let Some(mounts) = host_config.get("Mounts").and_then(Value::as_array) {
        for mount in mounts.iter().filter_map(Value::as_object) {
            let kind = mount.get("Type").and_then(Value::as_str);
            let source = mount.get("Source").and_then(Value::as_str);
            if let (Some("bind"), Some(source)) = (kind, source) {
                let read_only = mount.get("ReadOnly").and_then(Value::as_bool) == Some(true);
                out.push((source.to_owned(), read_only));
            }
        }
    }
    out.into_iter()
        .map(|(source, read_only)| {
            let resolved = resolve(&source, eval_symlinks);
            json!({"Source": source, "ReadOnly": read_only, "Resolved": resolved})
        })
        .collect::<Vec<_>>()
        .into()
}

/// `filepath.EvalSymlinks` then `filepath.Clean`, for absolute paths (a relative bind
/// source is refused by dockerd anyway; Go would resolve it against the plugin's working
/// directory, which means nothing here); `""` when that fails.
fn resolve(source: &str, eval_symlinks: EvalSymlinks) -> String {
    if !source.starts_with('/') {
        return String::new();
    }
    eval_symlinks(source).unwrap_or_default()
}

/// The caller in its one serialized shape ([`Wire`]), with every member present (`null`
/// where it does not apply, `labels` `{}` when there are none): a Rego policy can test
/// `input.sockeye.client.uid == null` for a network client, as it always could.
fn client(caller: &Caller) -> Value {
    let addr = caller.peer.addr().map(|a| a.to_string());
    let mut client = match serde_json::to_value(Wire::of(caller, addr.as_deref())) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for key in [
        "transport",
        "uid",
        "gid",
        "pid",
        "process",
        "exe",
        "addr",
        "cert",
        "container",
    ] {
        client.entry(key).or_insert(Value::Null);
    }
    if let Some(Value::Object(container)) = client.get_mut("container") {
        container
            .entry("labels")
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Value::Object(client)
}

/// sockeye's own reading of the request, for policies that want more than
/// opa-docker-authz offers: the endpoint as dockerd routes it, the client as the kernel
/// names it, and the body's security facts.
fn sockeye_view(req: &RequestFacts) -> Value {
    let endpoint = req.endpoint;
    let params: Map<String, Value> = endpoint
        .params()
        .map(|(name, value)| (name.to_owned(), value.into()))
        .collect();
    let mut query = Map::new();
    for (key, value) in req.query.pairs() {
        push_value(&mut query, key, value);
    }
    let client = client(req.caller);
    json!({
        "endpoint": endpoint.name(),
        "section": endpoint.section().map(|s| s.as_str()),
        "path": endpoint.decoded_path(),
        "params": params,
        "version": endpoint.version().map(|v| v.as_str()),
        "query": query,
        "client": client,
        "facts": req.facts.map_or(Value::Null, |f| f.to_value()),
        "escalations": req.facts.map_or(Value::Null, |f| json!(f.escalations(&[]))),
    })
}

fn push_value(map: &mut Map<String, Value>, key: &str, value: &str) {
    match map.get_mut(key) {
        Some(Value::Array(values)) => values.push(value.into()),
        _ => {
            map.insert(key.to_owned(), json!([value]));
        }
    }
}

/// Go's `url.Values` from `url.ParseQuery`, as `u.Query()` returns it: pairs it cannot read
/// (a `;`, a bad escape) are dropped silently, the others kept in order per key.
fn go_query(raw: &str) -> Value {
    let mut out = Map::new();
    for (key, value) in url::parse_query(raw) {
        push_value(&mut out, &key, &value);
    }
    Value::Object(out)
}
