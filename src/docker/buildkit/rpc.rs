//! BuildKit's RPCs by what sockeye must do with them, and the facts of the ones it reads.
//!
//! On `/grpc` the client calls the daemon's BuildKit control API, and, for a frontend that
//! runs in the client (`buildx build --call`, `buildx debug`), the gateway API (`LLBBridge`)
//! on the same connection. What a build may do to the host is fixed by its `Solve`: the
//! entitlements it asks for gate every step's host network, privileges and devices
//! (`llbsolver.ValidateEntitlements`), and the frontend attributes set the network mode,
//! hosts and cgroup of its steps. The gateway's `NewContainer` and `ExecProcess` start
//! containers outside that gate (their network and security modes are used as sent), so
//! they are read too, or refused unread.

use prost::Message;

use super::proto::{
    BridgeSolveRequest, Definition, ExecOp, HostIp, NewContainerRequest, Op, SolveRequest,
    NET_HOST, SECURITY_INSECURE,
};
use crate::docker::facts::Facts;

/// The control API's build call.
pub const SOLVE: &str = "/moby.buildkit.v1.Control/Solve";
const BRIDGE_SOLVE: &str = "/moby.buildkit.v1.frontend.LLBBridge/Solve";
const NEW_CONTAINER: &str = "/moby.buildkit.v1.frontend.LLBBridge/NewContainer";

/// Why a request message cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    /// Not protobuf of the message's type: BuildKit could not read it either.
    #[error("{0}")]
    Decode(#[from] prost::DecodeError),
    #[error("its LLB nests builds more than {MAX_DEPTH} deep")]
    TooDeep,
}

/// What sockeye does with one RPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rpc {
    /// Reads metadata or the client's own data, or streams progress: relayed unread.
    Relayed,
    /// One request message that says what reaches the host: read whole and decided on.
    Read,
    /// Could reach the host in a way sockeye does not read (a stream of process starts, a
    /// method it does not know): decided on its name alone, as uninspected.
    Unread,
}

/// Methods whose requests cannot reach the host: listings, cache usage and pruning, build
/// history, progress, the session stream (the client's own files, secrets and credentials
/// going to the daemon), file reads of results, gRPC health checks and trace export.
const RELAYED: &[&str] = &[
    "/moby.buildkit.v1.Control/DiskUsage",
    "/moby.buildkit.v1.Control/Prune",
    "/moby.buildkit.v1.Control/Status",
    "/moby.buildkit.v1.Control/Session",
    "/moby.buildkit.v1.Control/ListWorkers",
    "/moby.buildkit.v1.Control/Info",
    "/moby.buildkit.v1.Control/ListenBuildHistory",
    "/moby.buildkit.v1.Control/UpdateBuildHistory",
    "/moby.buildkit.v1.frontend.LLBBridge/ResolveImageConfig",
    "/moby.buildkit.v1.frontend.LLBBridge/ResolveSourceMeta",
    "/moby.buildkit.v1.frontend.LLBBridge/ReadFile",
    "/moby.buildkit.v1.frontend.LLBBridge/ReadDir",
    "/moby.buildkit.v1.frontend.LLBBridge/StatFile",
    "/moby.buildkit.v1.frontend.LLBBridge/Evaluate",
    "/moby.buildkit.v1.frontend.LLBBridge/Ping",
    "/moby.buildkit.v1.frontend.LLBBridge/Return",
    "/moby.buildkit.v1.frontend.LLBBridge/Inputs",
    "/moby.buildkit.v1.frontend.LLBBridge/ReleaseContainer",
    "/moby.buildkit.v1.frontend.LLBBridge/ReadFileContainer",
    "/moby.buildkit.v1.frontend.LLBBridge/ReadDirContainer",
    "/moby.buildkit.v1.frontend.LLBBridge/StatFileContainer",
    "/moby.buildkit.v1.frontend.LLBBridge/Warn",
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    // buildx sends its own trace spans to the daemon's collector after each command.
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
];

/// What to do with the RPC at `path` (`/package.Service/Method`, as in `:path`).
pub fn rpc(path: &str) -> Rpc {
    if matches!(path, SOLVE | BRIDGE_SOLVE | NEW_CONTAINER) {
        Rpc::Read
    } else if RELAYED.contains(&path) {
        Rpc::Relayed
    } else {
        Rpc::Unread
    }
}

/// The facts of one read RPC's request message (the protobuf bytes, without gRPC's frame),
/// or why it cannot be read: a message BuildKit could not read either.
pub fn facts(path: &str, message: &[u8]) -> Result<Facts, Unreadable> {
    let mut f = Facts {
        operation: path.to_owned(),
        ..Facts::default()
    };
    match path {
        SOLVE => solve(&mut f, &SolveRequest::decode(message)?)?,
        BRIDGE_SOLVE => {
            let req = BridgeSolveRequest::decode(message)?;
            frontend(&mut f, &req.frontend, &req.frontend_opt);
            for def in req.definition.iter().chain(req.frontend_inputs.values()) {
                definition(&mut f, def, 0)?;
            }
        }
        NEW_CONTAINER => {
            let req = NewContainerRequest::decode(message)?;
            network(&mut f, req.network);
            hosts(&mut f, &req.extra_hosts);
        }
        _ => f.uninspected = true,
    }
    f.finish();
    Ok(f)
}

/// The facts of an RPC sockeye does not read ([`Rpc::Unread`]).
pub fn unread(path: &str) -> Facts {
    let mut f = Facts {
        operation: path.to_owned(),
        uninspected: true,
        ..Facts::default()
    };
    f.finish();
    f
}

fn solve(f: &mut Facts, req: &SolveRequest) -> Result<(), Unreadable> {
    f.entitlements = req.entitlements.clone();
    frontend(f, &req.frontend, &req.frontend_attrs);
    for def in req.definition.iter().chain(req.frontend_inputs.values()) {
        definition(f, def, 0)?;
    }
    let exporters = req.exporters.iter().map(|e| (&e.r#type, &e.attrs));
    let deprecated = (!req.exporter_deprecated.is_empty())
        .then_some((&req.exporter_deprecated, &req.exporter_attrs_deprecated));
    for (_, attrs) in exporters.chain(deprecated) {
        // The image names an image or moby exporter gives the result.
        // buildx sends its exporter both ways, for older daemons: one name, one tag.
        for name in attrs.get("name").into_iter().flat_map(|n| split(n)) {
            if !f.tags.contains(&name) {
                f.tags.push(name);
            }
        }
    }
    Ok(())
}

/// What the frontend is told: the attributes of the Dockerfile frontend (`dockerui`), which
/// every Dockerfile build goes through.
fn frontend(f: &mut Facts, name: &str, attrs: &std::collections::BTreeMap<String, String>) {
    for (key, value) in attrs {
        match key.as_str() {
            "force-network-mode" => f.network_mode = Some(value.clone()),
            "add-hosts" => f.extra_hosts.extend(split(value)),
            "cgroup-parent" if !value.is_empty() => f.cgroup_parent = Some(value.clone()),
            "platform" if !value.is_empty() => f.platform = Some(value.clone()),
            // `source` names the frontend image a `gateway.v0` solve runs.
            "source" if name == "gateway.v0" => f.image = Some(value.clone()),
            _ => {
                if let Some(arg) = key.strip_prefix("build-arg:") {
                    f.build_arg_keys.push(arg.to_owned());
                }
            }
        }
    }
}

/// Nested definitions (a `BuildOp`'s) deeper than this are refused as unreadable.
const MAX_DEPTH: usize = 8;

/// Every step of an LLB graph the client built itself.
fn definition(f: &mut Facts, def: &Definition, depth: usize) -> Result<(), Unreadable> {
    if depth > MAX_DEPTH {
        return Err(Unreadable::TooDeep);
    }
    for bytes in &def.def {
        let op = Op::decode(bytes.as_slice())?;
        if let Some(exec) = &op.exec {
            exec_op(f, exec);
        }
        if let Some(nested) = op.build.as_ref().and_then(|b| b.def.as_ref()) {
            definition(f, nested, depth + 1)?;
        }
    }
    Ok(())
}

fn exec_op(f: &mut Facts, exec: &ExecOp) {
    network(f, exec.network);
    if exec.security == SECURITY_INSECURE {
        f.privileged = true;
    }
    for device in &exec.cdi_devices {
        f.device_requests.push(format!("cdi {}", device.name));
    }
    if let Some(meta) = &exec.meta {
        hosts(f, &meta.extra_hosts);
        if !meta.cgroup_parent.is_empty() {
            f.cgroup_parent = Some(meta.cgroup_parent.clone());
        }
    }
}

/// A step's network mode: the host's wins over whatever else was asked.
fn network(f: &mut Facts, mode: i32) {
    if mode == NET_HOST {
        f.network_mode = Some("host".to_owned());
    }
}

fn hosts(f: &mut Facts, hosts: &[HostIp]) {
    f.extra_hosts
        .extend(hosts.iter().map(|h| format!("{}:{}", h.host, h.ip)));
}

fn split(list: &str) -> impl Iterator<Item = String> + '_ {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}
