//! BuildKit's protobuf messages, as far as sockeye reads them: the fields that can reach the
//! host, with the field numbers of BuildKit's own `.proto` files
//! (`api/services/control/control.proto`, `solver/pb/ops.proto`). Written by hand with
//! `prost` derives, so no `protoc` runs at build time.
//!
//! Reading a message with fewer fields than its writer knows is what protobuf is built for:
//! prost skips unknown fields, as BuildKit's Go decoder ignores fields it does not know. The
//! merge rules are protobuf's, the same in prost as in Go: for a scalar field sent twice the
//! last one wins, repeated fields concatenate, a message field sent twice is merged, a map
//! entry sent twice keeps the last value. So sockeye reads the very values the daemon will.
//!
//! `pb.Op` holds its kind in a `oneof`; here each kind is its own optional field. A message
//! that sends two kinds is read by Go as the last one only, by sockeye as both: sockeye can
//! then see more than the daemon runs, never less.

use std::collections::BTreeMap;

/// `moby.buildkit.v1.SolveRequest`: one build.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SolveRequest {
    #[prost(string, tag = "1")]
    pub r#ref: String,
    /// The LLB to run when the client built it itself (`buildctl`, a client-side frontend).
    #[prost(message, optional, tag = "2")]
    pub definition: Option<Definition>,
    #[prost(string, tag = "3")]
    pub exporter_deprecated: String,
    #[prost(btree_map = "string, string", tag = "4")]
    pub exporter_attrs_deprecated: BTreeMap<String, String>,
    #[prost(string, tag = "5")]
    pub session: String,
    /// `dockerfile.v0`, `gateway.v0`, or empty for a plain LLB solve.
    #[prost(string, tag = "6")]
    pub frontend: String,
    /// `force-network-mode`, `add-hosts`, `build-arg:*`, `cgroup-parent`, …
    #[prost(btree_map = "string, string", tag = "7")]
    pub frontend_attrs: BTreeMap<String, String>,
    /// `network.host`, `security.insecure`, `device`, `device=<name>`: what every step of
    /// the build may then do.
    #[prost(string, repeated, tag = "9")]
    pub entitlements: Vec<String>,
    /// Named LLB inputs handed to the frontend (`--build-context name=…` built client-side).
    #[prost(btree_map = "string, message", tag = "10")]
    pub frontend_inputs: BTreeMap<String, Definition>,
    #[prost(message, repeated, tag = "13")]
    pub exporters: Vec<Exporter>,
}

/// `moby.buildkit.v1.Exporter`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Exporter {
    #[prost(string, tag = "1")]
    pub r#type: String,
    #[prost(btree_map = "string, string", tag = "2")]
    pub attrs: BTreeMap<String, String>,
}

/// `pb.Definition`: the LLB graph, each vertex a marshaled [`Op`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct Definition {
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub def: Vec<Vec<u8>>,
}

/// `pb.Op`: one vertex. Only the kinds that run something or nest a build are read.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Op {
    #[prost(message, optional, tag = "2")]
    pub exec: Option<ExecOp>,
    #[prost(message, optional, tag = "3")]
    pub source: Option<SourceOp>,
    /// Experimental nested build; its definition is read like the top one.
    #[prost(message, optional, tag = "5")]
    pub build: Option<BuildOp>,
}

/// `pb.ExecOp`: a command run in a container during the build.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecOp {
    #[prost(message, optional, tag = "1")]
    pub meta: Option<Meta>,
    #[prost(message, repeated, tag = "2")]
    pub mounts: Vec<Mount>,
    /// [`NET_HOST`] shares the host's network namespace.
    #[prost(int32, tag = "3")]
    pub network: i32,
    /// [`SECURITY_INSECURE`] is a privileged container.
    #[prost(int32, tag = "4")]
    pub security: i32,
    #[prost(message, repeated, tag = "6")]
    pub cdi_devices: Vec<CdiDevice>,
}

/// `pb.NetMode.HOST`.
pub const NET_HOST: i32 = 1;
/// `pb.NetMode.NONE`.
pub const NET_NONE: i32 = 2;
/// `pb.SecurityMode.INSECURE`.
pub const SECURITY_INSECURE: i32 = 1;

/// `pb.Meta`: the exec's process and container settings.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Meta {
    #[prost(message, repeated, tag = "6")]
    pub extra_hosts: Vec<HostIp>,
    #[prost(string, tag = "10")]
    pub cgroup_parent: String,
}

/// `pb.HostIP`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HostIp {
    #[prost(string, tag = "1")]
    pub host: String,
    #[prost(string, tag = "2")]
    pub ip: String,
}

/// `pb.Mount`. Every mount type (bind of another vertex's output, secret, ssh, cache, tmpfs)
/// comes from the build or the client's session, never from a daemon host path; read for
/// the record only.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Mount {
    #[prost(string, tag = "3")]
    pub dest: String,
    #[prost(int32, tag = "6")]
    pub mount_type: i32,
}

/// `pb.CDIDevice`: a host device handed to the step.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CdiDevice {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(bool, tag = "2")]
    pub optional: bool,
}

/// `pb.SourceOp`: where input comes from (`local://` is the client's session,
/// `docker-image://`, `git://`, `https://` what the daemon fetches).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SourceOp {
    #[prost(string, tag = "1")]
    pub identifier: String,
}

/// `pb.BuildOp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BuildOp {
    #[prost(message, optional, tag = "3")]
    pub def: Option<Definition>,
}

/// `moby.buildkit.v1.frontend.SolveRequest`: a solve by a frontend that runs in the client,
/// inside the build a control `Solve` started (and under its entitlements).
#[derive(Clone, PartialEq, prost::Message)]
pub struct BridgeSolveRequest {
    #[prost(message, optional, tag = "1")]
    pub definition: Option<Definition>,
    #[prost(string, tag = "2")]
    pub frontend: String,
    #[prost(btree_map = "string, string", tag = "3")]
    pub frontend_opt: BTreeMap<String, String>,
    #[prost(btree_map = "string, message", tag = "13")]
    pub frontend_inputs: BTreeMap<String, Definition>,
}

/// `moby.buildkit.v1.frontend.NewContainerRequest`: an interactive container of a build
/// (`buildx debug`), whose network mode BuildKit uses as sent.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NewContainerRequest {
    #[prost(string, tag = "1")]
    pub container_id: String,
    #[prost(int32, tag = "3")]
    pub network: i32,
    #[prost(message, repeated, tag = "6")]
    pub extra_hosts: Vec<HostIp>,
}
