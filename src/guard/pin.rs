//! Pin a cleared request to the objects its decision resolved.
//!
//! A decision on the daemon's state is only as good as the object it looked at. Between the
//! lookup and the forward, `web` can be renamed and another container take its name, or an ID
//! prefix become another container's: then the daemon would act on an object nobody judged.
//! So the forwarded request names what was resolved: a container by its full ID, in the path
//! (`/containers/web/exec` → `/containers/3f2a…/exec`) and in the body (`VolumesFrom`,
//! `container:` modes). Exec IDs are exact already, and volumes have no identity but their
//! name (docs/policy.md says what that leaves).

use serde_json::Value;

use crate::docker::endpoint::Classified;
use crate::docker::state::{volumes_from_name, Answer, Kind, Reference, Role};
use crate::guard::error::ProxyError;

/// Rewrite the body's references to the containers it names; whether anything changed.
pub fn body(json: &mut Value, answers: &[(Reference, Answer)]) -> bool {
    let Some(hc) = json.get_mut("HostConfig").and_then(Value::as_object_mut) else {
        return false;
    };
    let id_of = |name: &str, role: Role| {
        answers.iter().find_map(|(r, a)| match a {
            Answer::Container(c)
                if r.kind == Kind::Container && r.name == name && r.role == role =>
            {
                Some(c.id.clone())
            }
            _ => None,
        })
    };
    let mut changed = false;
    if let Some(list) = hc.get_mut("VolumesFrom").and_then(Value::as_array_mut) {
        for entry in list.iter_mut() {
            let Some(text) = entry.as_str() else { continue };
            let name = volumes_from_name(text);
            if let Some(id) = id_of(name, Role::VolumesFrom) {
                *entry = Value::String(format!("{id}{}", &text[name.len()..]));
                changed = true;
            }
        }
    }
    for (key, namespace) in [
        ("PidMode", "pid"),
        ("IpcMode", "ipc"),
        ("NetworkMode", "network"),
        ("Cgroup", "cgroup"),
    ] {
        let Some(Value::String(mode)) = hc.get_mut(key) else {
            continue;
        };
        let Some(name) = mode.strip_prefix("container:") else {
            continue;
        };
        if let Some(id) = id_of(name, Role::Namespace(namespace)) {
            *mode = format!("container:{id}");
            changed = true;
        }
    }
    changed
}

/// The request target with its container named by full ID, when the decision resolved the
/// container the path names and the path does not already say it so.
pub fn path(
    parts: &http::request::Parts,
    route: &Classified,
    answers: &[(Reference, Answer)],
) -> Result<Option<http::Uri>, ProxyError> {
    let Some(id) = answers.iter().find_map(|(r, a)| match a {
        Answer::Container(c) if r.role == Role::Target => Some(c.id.as_str()),
        _ => None,
    }) else {
        return Ok(None);
    };
    if route.object() == Some(id) {
        return Ok(None);
    }
    target_with_object(parts, route, id).map(Some)
}

/// The request target with its object (the first path variable) replaced by `id`.
pub fn target_with_object(
    parts: &http::request::Parts,
    route: &Classified,
    id: &str,
) -> Result<http::Uri, ProxyError> {
    let unpinnable = |why: &str| ProxyError::LookupFailed {
        what: format!("the path {:?}", parts.uri.path()),
        reason: why.to_owned(),
    };
    let path = route
        .path_with_object(id)
        .ok_or_else(|| unpinnable("its object cannot be replaced"))?;
    // Templates, versions and IDs are plain ASCII: anything else would need escaping again,
    // and is refused rather than re-spelled.
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_'))
    {
        return Err(unpinnable(
            "it has characters sockeye would have to escape again",
        ));
    }
    let target = match parts.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    target
        .parse()
        .map_err(|_| unpinnable("the pinned path is not a valid request target"))
}
