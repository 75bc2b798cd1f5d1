//! What an endpoint is: its name, section and how it uses the connection.
//!
//! Names are the Engine API spec's operationIds. dockerd serves a few routes the spec leaves
//! out (the endpoints TSV lists them with operationId `(none)`); sockeye names those itself
//! in the same style, and [`Operation::in_spec`] says which names are its own. Podman's
//! libpod routes (section `libpod`, [`super::libpod`]) carry the operationIds of Podman's own
//! API reference, all ending in `Libpod` (`ContainerCreateLibpod`).

use std::fmt;
use std::str::FromStr;

use super::Hijack;

/// Which part of the API an endpoint belongs to (the spec's tag, pluralised, except that the
/// build routes and `/grpc` get their own sections as dockerd's routers do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Containers,
    Images,
    Build,
    Exec,
    Networks,
    Volumes,
    System,
    Session,
    Swarm,
    Services,
    Nodes,
    Tasks,
    Secrets,
    Configs,
    Plugins,
    Distribution,
    Checkpoints,
    Debug,
    Grpc,
    /// Podman's own API (`/v{version}/libpod/…`), beside the Docker routes it also serves.
    Libpod,
}

impl Section {
    pub const ALL: &'static [Section] = &[
        Section::Containers,
        Section::Images,
        Section::Build,
        Section::Exec,
        Section::Networks,
        Section::Volumes,
        Section::System,
        Section::Session,
        Section::Swarm,
        Section::Services,
        Section::Nodes,
        Section::Tasks,
        Section::Secrets,
        Section::Configs,
        Section::Plugins,
        Section::Distribution,
        Section::Checkpoints,
        Section::Debug,
        Section::Grpc,
        Section::Libpod,
    ];

    /// Lower-case name, as used in policies and logs (`containers`, `exec`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Section::Containers => "containers",
            Section::Images => "images",
            Section::Build => "build",
            Section::Exec => "exec",
            Section::Networks => "networks",
            Section::Volumes => "volumes",
            Section::System => "system",
            Section::Session => "session",
            Section::Swarm => "swarm",
            Section::Services => "services",
            Section::Nodes => "nodes",
            Section::Tasks => "tasks",
            Section::Secrets => "secrets",
            Section::Configs => "configs",
            Section::Plugins => "plugins",
            Section::Distribution => "distribution",
            Section::Checkpoints => "checkpoints",
            Section::Debug => "debug",
            Section::Grpc => "grpc",
            Section::Libpod => "libpod",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Section {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Section::ALL
            .iter()
            .copied()
            .find(|x| x.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// How an endpoint's bodies flow: what a relay must not buffer, and what may never end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Streaming {
    /// Ordinary request and response.
    Plain,
    /// `HEAD` whose answer is a response header (archive stat).
    HeadOnly,
    /// Headers flushed at once, body only when the condition is met (wait).
    LongPoll,
    /// Multiplexed stdout/stderr frames (raw with a TTY); endless with `follow`.
    Logs,
    /// One JSON object per interval unless `stream=0`.
    Stats,
    /// JSON lines, endless unless `until`.
    Events,
    /// JSON progress messages (push, plugin pull/upgrade/push).
    Progress,
    /// A tar archive response (export, image save, archive get).
    TarResponse,
    /// A tar archive request body (archive put, plugin create).
    TarRequest,
    /// A tar (or empty) request body and a JSON progress response (build, image create/load).
    TarRequestProgress,
    /// Raw bidirectional bytes after a `tcp` hijack (attach, exec start).
    RawHijack,
    /// A websocket after a `websocket` upgrade.
    WebSocket,
    /// HTTP/2 after an `h2c` upgrade (session, grpc).
    H2c,
    /// expvar and pprof; profiles and traces run for `seconds=N`.
    Debug,
}

impl Streaming {
    /// The request body may be large or open-ended: forward it as it arrives.
    pub const fn streams_request(self) -> bool {
        matches!(
            self,
            Streaming::TarRequest
                | Streaming::TarRequestProgress
                | Streaming::RawHijack
                | Streaming::WebSocket
                | Streaming::H2c
        )
    }

    /// The response may be large, slow or endless: forward it as it arrives.
    pub const fn streams_response(self) -> bool {
        !matches!(
            self,
            Streaming::Plain | Streaming::HeadOnly | Streaming::TarRequest
        )
    }
}

/// A name that is not an operation or section sockeye knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownName;

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown endpoint name")
    }
}

impl std::error::Error for UnknownName {}

macro_rules! in_spec {
    (spec) => {
        true
    };
    (extra) => {
        false
    };
    (libpod) => {
        false
    };
}

macro_rules! operations {
    ($($kind:ident $op:ident: $section:ident, $streaming:ident, $path:literal;)*) => {
        /// An endpoint, named by the spec's operationId (or sockeye's name for routes the
        /// spec leaves out).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Operation {
            $($op,)*
        }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$op,)*];

            /// The operationId, e.g. `ContainerList`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Operation::$op => stringify!($op),)*
                }
            }

            pub const fn section(self) -> Section {
                match self {
                    $(Operation::$op => Section::$section,)*
                }
            }

            pub const fn streaming(self) -> Streaming {
                match self {
                    $(Operation::$op => Streaming::$streaming,)*
                }
            }

            /// The path as the spec (or, for extras, dockerd's source) writes it, for display:
            /// `/containers/{id}/json`.
            pub const fn spec_path(self) -> &'static str {
                match self {
                    $(Operation::$op => $path,)*
                }
            }

            /// Whether the Engine API spec documents this operation; `false` for names
            /// sockeye gave to routes only dockerd's source knows.
            pub const fn in_spec(self) -> bool {
                match self {
                    $(Operation::$op => in_spec!($kind),)*
                }
            }
        }
    };
}

// Order and paths follow shared/reference/docker-engine-endpoints.tsv; the libpod operations
// follow them.
super::libpod::with_libpod_operations! { operations {
    spec ContainerList: Containers, Plain, "/containers/json";
    spec ContainerCreate: Containers, Plain, "/containers/create";
    spec ContainerInspect: Containers, Plain, "/containers/{id}/json";
    spec ContainerTop: Containers, Plain, "/containers/{id}/top";
    spec ContainerLogs: Containers, Logs, "/containers/{id}/logs";
    spec ContainerChanges: Containers, Plain, "/containers/{id}/changes";
    spec ContainerExport: Containers, TarResponse, "/containers/{id}/export";
    spec ContainerStats: Containers, Stats, "/containers/{id}/stats";
    spec ContainerResize: Containers, Plain, "/containers/{id}/resize";
    spec ContainerStart: Containers, Plain, "/containers/{id}/start";
    spec ContainerStop: Containers, Plain, "/containers/{id}/stop";
    spec ContainerRestart: Containers, Plain, "/containers/{id}/restart";
    spec ContainerKill: Containers, Plain, "/containers/{id}/kill";
    spec ContainerUpdate: Containers, Plain, "/containers/{id}/update";
    spec ContainerRename: Containers, Plain, "/containers/{id}/rename";
    spec ContainerPause: Containers, Plain, "/containers/{id}/pause";
    spec ContainerUnpause: Containers, Plain, "/containers/{id}/unpause";
    spec ContainerAttach: Containers, RawHijack, "/containers/{id}/attach";
    spec ContainerAttachWebsocket: Containers, WebSocket, "/containers/{id}/attach/ws";
    spec ContainerWait: Containers, LongPoll, "/containers/{id}/wait";
    spec ContainerDelete: Containers, Plain, "/containers/{id}";
    spec ContainerArchiveInfo: Containers, HeadOnly, "/containers/{id}/archive";
    spec ContainerArchive: Containers, TarResponse, "/containers/{id}/archive";
    spec PutContainerArchive: Containers, TarRequest, "/containers/{id}/archive";
    spec ContainerPrune: Containers, Plain, "/containers/prune";
    spec ImageList: Images, Plain, "/images/json";
    spec ImageBuild: Build, TarRequestProgress, "/build";
    spec BuildPrune: Build, Plain, "/build/prune";
    spec ImageCreate: Images, TarRequestProgress, "/images/create";
    spec ImageInspect: Images, Plain, "/images/{name}/json";
    spec ImageAttestations: Images, Plain, "/images/{name}/attestations";
    spec ImageHistory: Images, Plain, "/images/{name}/history";
    spec ImagePush: Images, Progress, "/images/{name}/push";
    spec ImageTag: Images, Plain, "/images/{name}/tag";
    spec ImageDelete: Images, Plain, "/images/{name}";
    spec ImageSearch: Images, Plain, "/images/search";
    spec ImagePrune: Images, Plain, "/images/prune";
    spec SystemAuth: System, Plain, "/auth";
    spec SystemInfo: System, Plain, "/info";
    spec SystemVersion: System, Plain, "/version";
    spec SystemPing: System, Plain, "/_ping";
    spec SystemPingHead: System, Plain, "/_ping";
    spec ImageCommit: Images, Plain, "/commit";
    spec SystemEvents: System, Events, "/events";
    spec SystemDataUsage: System, Plain, "/system/df";
    spec ImageGet: Images, TarResponse, "/images/{name}/get";
    spec ImageGetAll: Images, TarResponse, "/images/get";
    spec ImageLoad: Images, TarRequestProgress, "/images/load";
    spec ContainerExec: Exec, Plain, "/containers/{id}/exec";
    spec ExecStart: Exec, RawHijack, "/exec/{id}/start";
    spec ExecResize: Exec, Plain, "/exec/{id}/resize";
    spec ExecInspect: Exec, Plain, "/exec/{id}/json";
    spec VolumeList: Volumes, Plain, "/volumes";
    spec VolumeCreate: Volumes, Plain, "/volumes/create";
    spec VolumeInspect: Volumes, Plain, "/volumes/{name}";
    spec VolumeUpdate: Volumes, Plain, "/volumes/{name}";
    spec VolumeDelete: Volumes, Plain, "/volumes/{name}";
    spec VolumePrune: Volumes, Plain, "/volumes/prune";
    spec NetworkList: Networks, Plain, "/networks";
    spec NetworkInspect: Networks, Plain, "/networks/{id}";
    spec NetworkDelete: Networks, Plain, "/networks/{id}";
    spec NetworkCreate: Networks, Plain, "/networks/create";
    spec NetworkConnect: Networks, Plain, "/networks/{id}/connect";
    spec NetworkDisconnect: Networks, Plain, "/networks/{id}/disconnect";
    spec NetworkPrune: Networks, Plain, "/networks/prune";
    spec PluginList: Plugins, Plain, "/plugins";
    spec GetPluginPrivileges: Plugins, Plain, "/plugins/privileges";
    spec PluginPull: Plugins, Progress, "/plugins/pull";
    spec PluginInspect: Plugins, Plain, "/plugins/{name}/json";
    spec PluginDelete: Plugins, Plain, "/plugins/{name}";
    spec PluginEnable: Plugins, Plain, "/plugins/{name}/enable";
    spec PluginDisable: Plugins, Plain, "/plugins/{name}/disable";
    spec PluginUpgrade: Plugins, Progress, "/plugins/{name}/upgrade";
    spec PluginCreate: Plugins, TarRequest, "/plugins/create";
    spec PluginPush: Plugins, Progress, "/plugins/{name}/push";
    spec PluginSet: Plugins, Plain, "/plugins/{name}/set";
    spec NodeList: Nodes, Plain, "/nodes";
    spec NodeInspect: Nodes, Plain, "/nodes/{id}";
    spec NodeDelete: Nodes, Plain, "/nodes/{id}";
    spec NodeUpdate: Nodes, Plain, "/nodes/{id}/update";
    spec SwarmInspect: Swarm, Plain, "/swarm";
    spec SwarmInit: Swarm, Plain, "/swarm/init";
    spec SwarmJoin: Swarm, Plain, "/swarm/join";
    spec SwarmLeave: Swarm, Plain, "/swarm/leave";
    spec SwarmUpdate: Swarm, Plain, "/swarm/update";
    spec SwarmUnlockkey: Swarm, Plain, "/swarm/unlockkey";
    spec SwarmUnlock: Swarm, Plain, "/swarm/unlock";
    spec ServiceList: Services, Plain, "/services";
    spec ServiceCreate: Services, Plain, "/services/create";
    spec ServiceInspect: Services, Plain, "/services/{id}";
    spec ServiceDelete: Services, Plain, "/services/{id}";
    spec ServiceUpdate: Services, Plain, "/services/{id}/update";
    spec ServiceLogs: Services, Logs, "/services/{id}/logs";
    spec TaskList: Tasks, Plain, "/tasks";
    spec TaskInspect: Tasks, Plain, "/tasks/{id}";
    spec TaskLogs: Tasks, Logs, "/tasks/{id}/logs";
    spec SecretList: Secrets, Plain, "/secrets";
    spec SecretCreate: Secrets, Plain, "/secrets/create";
    spec SecretInspect: Secrets, Plain, "/secrets/{id}";
    spec SecretDelete: Secrets, Plain, "/secrets/{id}";
    spec SecretUpdate: Secrets, Plain, "/secrets/{id}/update";
    spec ConfigList: Configs, Plain, "/configs";
    spec ConfigCreate: Configs, Plain, "/configs/create";
    spec ConfigInspect: Configs, Plain, "/configs/{id}";
    spec ConfigDelete: Configs, Plain, "/configs/{id}";
    spec ConfigUpdate: Configs, Plain, "/configs/{id}/update";
    spec DistributionInspect: Distribution, Plain, "/distribution/{name}/json";
    spec Session: Session, H2c, "/session";
    // Routes the spec leaves out; the names are sockeye's.
    extra CheckpointList: Checkpoints, Plain, "/containers/{name:.*}/checkpoints";
    extra CheckpointCreate: Checkpoints, Plain, "/containers/{name:.*}/checkpoints";
    extra CheckpointDelete: Checkpoints, Plain, "/containers/{name}/checkpoints/{checkpoint}";
    extra Options: System, Plain, "/{anyroute:.*}";
    extra BuildCancel: Build, Plain, "/build/cancel";
    extra DebugVars: Debug, Debug, "/debug/vars";
    extra DebugPprofIndex: Debug, Debug, "/debug/pprof/";
    extra DebugPprofCmdline: Debug, Debug, "/debug/pprof/cmdline";
    extra DebugPprofProfile: Debug, Debug, "/debug/pprof/profile";
    extra DebugPprofSymbol: Debug, Debug, "/debug/pprof/symbol";
    extra DebugPprofTrace: Debug, Debug, "/debug/pprof/trace";
    extra DebugPprof: Debug, Debug, "/debug/pprof/{name}";
    extra Grpc: Grpc, H2c, "/grpc";
    extra ContainerCopy: Containers, Plain, "/containers/{name:.*}/copy";
} }

impl Operation {
    /// Look an operation up by its name (`ContainerList`), e.g. when loading a policy.
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|op| op.name() == name)
    }

    /// The name a person most likely meant by `name` (`ContainerCreat`, `containercreate`),
    /// for a "did you mean" hint; `None` when nothing is close.
    pub fn closest(name: &str) -> Option<Operation> {
        let lower = name.to_ascii_lowercase();
        Operation::ALL
            .iter()
            .map(|&op| {
                let known = op.name().to_ascii_lowercase();
                (strsim::jaro_winkler(&lower, &known), op)
            })
            .filter(|(score, _)| *score >= 0.9)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, op)| op)
    }

    /// Whether (and how) dockerd takes over the connection for this endpoint.
    pub const fn hijack(self) -> Hijack {
        match self {
            // Podman's handlers hijack the same way dockerd's do.
            Operation::ContainerAttach | Operation::ContainerAttachLibpod => Hijack::Always,
            Operation::ExecStart | Operation::ExecStartLibpod => Hijack::UnlessDetached,
            Operation::ContainerAttachWebsocket | Operation::Session | Operation::Grpc => {
                Hijack::OnUpgrade
            }
            _ => Hijack::No,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Operation {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Operation::from_name(s).ok_or(UnknownName)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_name_finds_the_endpoint_meant() {
        assert_eq!(
            Operation::closest("ContainerCreat"),
            Some(Operation::ContainerCreate)
        );
        assert_eq!(
            Operation::closest("containerlist"),
            Some(Operation::ContainerList)
        );
        assert_eq!(Operation::closest("Frobnicate"), None);
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for &op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(op));
        }
        let mut names: Vec<_> = Operation::ALL.iter().map(|op| op.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Operation::ALL.len());
        assert_eq!("Unknown".parse::<Operation>(), Err(UnknownName));
    }

    #[test]
    fn sections_round_trip() {
        for &s in Section::ALL {
            assert_eq!(s.as_str().parse::<Section>(), Ok(s));
        }
    }

    #[test]
    fn every_section_has_an_operation() {
        for &s in Section::ALL {
            assert!(Operation::ALL.iter().any(|op| op.section() == s), "{s}");
        }
    }

    #[test]
    fn connection_takeovers_are_the_five_documented_ones_and_their_libpod_twins() {
        let hijacking: Vec<_> = Operation::ALL
            .iter()
            .filter(|op| op.hijack() != Hijack::No)
            .map(|op| op.name())
            .collect();
        assert_eq!(
            hijacking,
            [
                "ContainerAttach",
                "ContainerAttachWebsocket",
                "ExecStart",
                "Session",
                "Grpc",
                "ContainerAttachLibpod",
                "ExecStartLibpod"
            ]
        );
    }

    #[test]
    fn relays_do_not_buffer_upload_bodies() {
        assert!(Operation::PutContainerArchive.streaming().streams_request());
        assert!(Operation::ImageBuild.streaming().streams_request());
        assert!(!Operation::PutContainerArchive
            .streaming()
            .streams_response());
        assert!(Operation::ContainerWait.streaming().streams_response());
        assert!(!Operation::ContainerCreate.streaming().streams_response());
    }
}
