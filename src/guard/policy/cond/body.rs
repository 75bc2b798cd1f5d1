//! Conditions on the request's body and query facts ([`crate::docker::facts`]), and on the
//! escalations they add up to.

use std::fmt;

use serde_json::Value;

use super::glob::{any_glob, Globs};
use super::{Ctx, Glob, Outcome};
use crate::docker::endpoint::Operation;
use crate::docker::facts::host;
use crate::guard::policy::{Action, EscalationList, Rule};

/// Operations whose body or query [`crate::docker::facts::facts`] reads. Body conditions apply to
/// these only: on any other operation every fact has its empty value, and `privileged =
/// false` would otherwise allow `GET /containers/json` by accident.
pub const FACT_OPERATIONS: &[Operation] = &[
    Operation::ContainerCreate,
    Operation::ContainerUpdate,
    Operation::ContainerStart,
    Operation::ContainerAttach,
    Operation::ContainerAttachWebsocket,
    Operation::ContainerExec,
    Operation::ExecStart,
    Operation::ImageCommit,
    Operation::ImageBuild,
    Operation::ImageCreate,
    Operation::PutContainerArchive,
    Operation::ServiceCreate,
    Operation::ServiceUpdate,
    Operation::VolumeCreate,
    Operation::NetworkCreate,
    Operation::NetworkConnect,
    Operation::NetworkDisconnect,
    Operation::PluginPull,
    Operation::PluginUpgrade,
    Operation::PluginSet,
    Operation::GetPluginPrivileges,
    // Each BuildKit RPC inside an interposed `/grpc` tunnel is decided with its own facts
    // (`guard::buildkit`); the upgrade itself has none.
    Operation::Grpc,
];

/// A literal a fact is compared with.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Str(String),
}

/// A condition on one request fact.
#[derive(Clone, Debug, PartialEq)]
pub enum BodyCond {
    /// `privileged = false`, `network_mode = "bridge"`, `pids_limit = 100`.
    Equals(Scalar),
    /// Tests on the fact's values (a string is one value, unset none, a list its items, a
    /// map its keys); every stated test must hold.
    Ops {
        any_of: Option<Vec<Glob>>,
        not: Option<Vec<Glob>>,
        subset_of: Option<Vec<Glob>>,
        within: Option<Vec<String>>,
        empty: Option<bool>,
    },
    /// `escalations = false`, or `{ present = …, allowed_host_paths = […] }`: whether
    /// [`crate::docker::facts::Facts::escalations`] finds any reason the request gives host root.
    Escalations {
        present: bool,
        allowed_host_paths: Vec<String>,
    },
}

/// What a fact's value looks like, to refuse conditions that cannot apply to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FactKind {
    Bool,
    OptBool,
    Int,
    Str,
    List,
    Map,
    Objects,
}

pub(crate) fn fact_kind(name: &str) -> Option<FactKind> {
    if !crate::docker::facts::Facts::NAMES.contains(&name) {
        return None;
    }
    Some(match name {
        "no_new_privileges" => FactKind::OptBool,
        "pids_limit" => FactKind::Int,
        "sysctls" | "annotations" | "network_options" => FactKind::Map,
        "mounts" => FactKind::Objects,
        "masked_paths" | "readonly_paths" => FactKind::List,
        _ => match crate::docker::facts::Facts::default().get(name) {
            Some(Value::Bool(_)) => FactKind::Bool,
            Some(Value::Array(_)) => FactKind::List,
            _ => FactKind::Str,
        },
    })
}

pub(super) fn body(rule: &Rule, ctx: &Ctx) -> Outcome<Option<String>> {
    if rule.body.is_empty() {
        return Ok(None);
    }
    let op = ctx.req.endpoint.operation();
    if !op.is_some_and(|op| FACT_OPERATIONS.contains(&op)) {
        return ctx.miss(format_args!(
            "body: {} has no request facts",
            ctx.req.endpoint.name()
        ));
    }
    let Some(facts) = ctx.req.facts else {
        // The relay did not read a body this rule depends on: fail closed, so a deny rule
        // still denies and an allow rule cannot allow what nobody looked at.
        return match rule.action {
            Action::Deny => Ok(Some("request body not inspected".into())),
            Action::Allow => ctx.miss(format_args!("body: request body not inspected")),
        };
    };
    let mut detail = None;
    for (name, cond) in &rule.body {
        match cond {
            BodyCond::Escalations {
                present,
                allowed_host_paths,
            } => {
                let allowed: Vec<&str> = allowed_host_paths.iter().map(String::as_str).collect();
                let found = facts.escalations(&allowed);
                if found.is_empty() == *present {
                    return if *present {
                        ctx.miss(format_args!("body.escalations: none"))
                    } else {
                        ctx.miss(format_args!("body.escalations: {}", EscalationList(&found)))
                    };
                }
                if *present {
                    detail = Some(EscalationList(&found).to_string());
                }
            }
            BodyCond::Equals(want) => {
                let got = ctx.values(facts).get(name).unwrap_or(&Value::Null);
                let ok = match want {
                    Scalar::Bool(b) => got.as_bool() == Some(*b),
                    Scalar::Int(i) => got.as_i64() == Some(*i),
                    Scalar::Str(s) => got.as_str() == Some(s.as_str()),
                };
                if !ok {
                    return ctx.miss(format_args!("body.{name}: is {got}"));
                }
            }
            BodyCond::Ops {
                any_of,
                not,
                subset_of,
                within,
                empty,
            } => {
                let items = items(ctx.values(facts).get(name).unwrap_or(&Value::Null));
                let fail = |what: fmt::Arguments<'_>| ctx.miss(format_args!("body.{name}: {what}"));
                if let Some(g) = any_of {
                    if !items.iter().any(|i| any_glob(g, i)) {
                        return fail(format_args!("{items:?} has none of {}", Globs(g)));
                    }
                }
                if let Some(g) = not {
                    if let Some(i) = items.iter().find(|i| any_glob(g, i)) {
                        return fail(format_args!("{i:?} is excluded"));
                    }
                }
                if let Some(g) = subset_of {
                    if let Some(i) = items.iter().find(|i| !any_glob(g, i)) {
                        return fail(format_args!("{i:?} not in {}", Globs(g)));
                    }
                }
                if let Some(dirs) = within {
                    if let Some(i) = items
                        .iter()
                        .find(|i| !dirs.iter().any(|d| host::within(i, d)))
                    {
                        return fail(format_args!("{i:?} not within {dirs:?}"));
                    }
                }
                if let Some(want) = empty {
                    if items.is_empty() != *want {
                        return fail(format_args!("{} values", items.len()));
                    }
                }
            }
        }
    }
    Ok(detail)
}

/// A fact's values: none when unset, one for a scalar, the items of a list, the keys of a
/// map.
fn items(v: &Value) -> Vec<String> {
    match v {
        Value::Null => Vec::new(),
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Value::Object(m) => m.keys().cloned().collect(),
        other => vec![other.to_string()],
    }
}
