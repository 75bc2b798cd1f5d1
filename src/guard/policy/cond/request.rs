//! Conditions on what the request is, as dockerd routes it: endpoint, section, method, the
//! object and path variables, query parameters.

use std::collections::BTreeMap;

use super::glob::{any_glob, Globs};
use super::{Ctx, Glob, Outcome};
use crate::docker::endpoint::{Operation, Section};

/// What the request is, as dockerd routes it.
#[derive(Clone, Debug, Default)]
pub struct RequestMatch {
    pub endpoint: Option<Vec<Operation>>,
    pub section: Option<Vec<Section>>,
    pub method: Option<Vec<String>>,
    /// The object acted on ([`crate::docker::endpoint::Classified::object`]): the container, image, network, …
    /// named in the path, whatever the route template calls it.
    pub object: Option<Vec<Glob>>,
    /// Path variables by template name (`id`, `name`, `checkpoint`), decoded.
    pub param: BTreeMap<String, Vec<Glob>>,
    /// Query parameters by key: the first value, as dockerd's `FormValue` reads it; an
    /// absent key reads as `""`.
    pub query: BTreeMap<String, Vec<Glob>>,
    /// Query parameters dockerd reads as booleans (`BoolValue`: `yes`, `1`, `true` alike).
    pub query_bool: BTreeMap<String, bool>,
}

pub(super) fn request(r: &RequestMatch, ctx: &Ctx) -> Outcome<()> {
    let req = ctx.req;
    let op = req.endpoint.operation();
    if let Some(ops) = &r.endpoint {
        if !op.is_some_and(|op| ops.contains(&op)) {
            return ctx.miss(format_args!(
                "request.endpoint: {} not listed",
                req.endpoint.name()
            ));
        }
    }
    if let Some(sections) = &r.section {
        match req.endpoint.section() {
            Some(s) if sections.contains(&s) => {}
            Some(s) => return ctx.miss(format_args!("request.section: {s} not listed")),
            None => {
                return ctx.miss(format_args!(
                    "request.section: dockerd routes this request nowhere"
                ))
            }
        }
    }
    if let Some(methods) = &r.method {
        if !methods.iter().any(|m| m == req.method) {
            return ctx.miss(format_args!(
                "request.method: {} not in {methods:?}",
                req.method
            ));
        }
    }
    if let Some(globs) = &r.object {
        match req.endpoint.object() {
            Some(v) if any_glob(globs, v) => {}
            Some(v) => {
                return ctx.miss(format_args!(
                    "request.object: {v:?} not in {}",
                    Globs(globs)
                ))
            }
            None => return ctx.miss(format_args!("request.object: the path names no object")),
        }
    }
    for (name, globs) in &r.param {
        match req.endpoint.param(name) {
            Some(v) if any_glob(globs, v) => {}
            Some(v) => {
                return ctx.miss(format_args!(
                    "request.param.{name}: {v:?} not in {}",
                    Globs(globs)
                ))
            }
            None => return ctx.miss(format_args!("request.param.{name}: the path has no {name}")),
        }
    }
    for (key, globs) in &r.query {
        let v = req.query.value(key);
        if !any_glob(globs, v) {
            return ctx.miss(format_args!(
                "request.query.{key}: {v:?} not in {}",
                Globs(globs)
            ));
        }
    }
    for (key, want) in &r.query_bool {
        let got = req.query.bool(key);
        if got != *want {
            return ctx.miss(format_args!("request.query_bool.{key}: is {got}"));
        }
    }
    Ok(())
}
