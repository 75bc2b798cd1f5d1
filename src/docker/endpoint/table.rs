//! dockerd's route table, for the 20.10 daemon and for moby master, in match order.
//!
//! Transcribed from shared/reference/dockerd-route-table.tsv (tests/data keeps a copy and
//! tests/endpoint_table.rs checks this table against it row by row). One list serves both
//! daemons: each entry says which daemons register it, and each daemon's entries, taken in
//! list order, are exactly its own table in its own order. Where the orders differ the
//! entry is listed twice (`/grpc`), and where registration differs it is listed once per
//! form (the 20.10 debug routes answer any method, unversioned only; master's are GET,
//! versioned and unversioned).
//!
//! Order matters: gorilla/mux serves the first route whose method and path match, so the
//! literal `/images/json` must come before `/images/{name:.*}/json`, and the checkpoint routes
//! before `DELETE /containers/{name:.*}`.

use std::fmt;

use super::libpod::LIBPOD;
use super::operation::Operation::{self, *};
use super::template::Prefix;
use super::version::ApiVersion;

/// Which daemons serve a route (or route a request).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Daemons {
    /// docker 20.10 (API 1.41), as packaged by Debian 12.
    pub v20_10: bool,
    /// moby master (API 1.56).
    pub master: bool,
    /// Podman's own libpod routes (4.3 to 5.8). Podman serves most Docker routes too; this
    /// table does not track which, so a Docker route never says `podman`.
    pub podman: bool,
}

impl Daemons {
    /// Both dockerd versions.
    pub const BOTH: Daemons = Daemons {
        v20_10: true,
        master: true,
        podman: false,
    };
    pub const V20_10: Daemons = Daemons {
        v20_10: true,
        master: false,
        podman: false,
    };
    pub const MASTER: Daemons = Daemons {
        v20_10: false,
        master: true,
        podman: false,
    };
    pub const PODMAN: Daemons = Daemons {
        v20_10: false,
        master: false,
        podman: true,
    };
    /// Every daemon this table knows: what [`super::classify`] routes for.
    pub const ALL: Daemons = Daemons {
        v20_10: true,
        master: true,
        podman: true,
    };
    pub const NONE: Daemons = Daemons {
        v20_10: false,
        master: false,
        podman: false,
    };
}

/// The HTTP method a route accepts: exact and case-sensitive, as mux compares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Exact(&'static str),
    /// Registered without a method matcher (20.10's debug routes): any method string.
    Any,
}

impl Method {
    pub fn allows(self, method: &str) -> bool {
        match self {
            Method::Exact(m) => m == method,
            Method::Any => true,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Exact(m) => m,
            Method::Any => "*",
        })
    }
}

/// One registration in dockerd's mux.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    /// The mux template exactly as dockerd registers it, e.g. `/containers/{name:.*}/json`.
    pub template: &'static str,
    pub operation: Operation,
    /// The route's own minimum API version (`WithMinimumAPIVersion`) on master; 20.10
    /// registers none, its routes only have the daemon-wide minimum of 1.12.
    pub min_api: Option<ApiVersion<'static>>,
    /// Checkpoint routes: they match on every daemon but answer an error unless it runs
    /// with `--experimental`.
    pub experimental: bool,
    /// Also registered behind `/v{version:[0-9.]+}` (every route except 20.10's debug ones),
    /// or behind Podman's `/v{version:[0-9][0-9A-Za-z.-]*}` for a libpod route.
    pub versioned: bool,
    /// Registered without a version prefix too (every dockerd route; of libpod's, `_ping`).
    pub bare: bool,
    pub daemons: Daemons,
}

impl Route {
    /// Match a decoded, clean path: first behind the version prefix, then bare, as dockerd
    /// registers the two forms in that order. Routing goes through the index and its
    /// parsed templates; this, with the untuned matcher, is what they are tested against.
    #[cfg(test)]
    pub(crate) fn capture(&self, path: &str) -> Option<super::template::Captures> {
        use super::template::reference::matches_with;
        if self.versioned {
            if let Some(found) = matches_with(self.template, Some(self.prefix()), path) {
                return Some(found);
            }
        }
        if !self.bare {
            return None;
        }
        matches_with(self.template, None, path)
    }

    /// The version prefix this route is registered behind, when it is.
    pub(crate) fn prefix(&self) -> Prefix {
        if self.daemons == Daemons::PODMAN {
            Prefix::Podman
        } else {
            Prefix::Docker
        }
    }

    /// A libpod route Podman also registers without a version prefix (`/libpod/_ping`).
    pub(super) const fn and_bare(mut self) -> Route {
        self.bare = true;
        self
    }

    const fn min(mut self, version: &'static str) -> Route {
        self.min_api = Some(ApiVersion::new(version));
        self
    }

    const fn experimental(mut self) -> Route {
        self.experimental = true;
        self
    }

    const fn only(mut self, daemons: Daemons) -> Route {
        self.daemons = daemons;
        self
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.template)
    }
}

const fn r(method: &'static str, template: &'static str, operation: Operation) -> Route {
    Route {
        method: Method::Exact(method),
        template,
        operation,
        min_api: None,
        experimental: false,
        versioned: true,
        bare: true,
        daemons: Daemons::BOTH,
    }
}

/// Podman registers a libpod route with `VersionedPath`: only behind its version prefix.
pub(super) const fn podman(
    method: &'static str,
    template: &'static str,
    operation: Operation,
) -> Route {
    Route {
        method: Method::Exact(method),
        template,
        operation,
        min_api: None,
        experimental: false,
        versioned: true,
        bare: false,
        daemons: Daemons::PODMAN,
    }
}

/// 20.10 mounts its debug handlers with `m.Path("/debug" + path)`: no method matcher and no
/// versioned form, after every other route.
const fn debug_any(template: &'static str, operation: Operation) -> Route {
    Route {
        method: Method::Any,
        template,
        operation,
        min_api: None,
        experimental: false,
        versioned: false,
        bare: true,
        daemons: Daemons::V20_10,
    }
}

const MASTER: Daemons = Daemons::MASTER;
const V20_10: Daemons = Daemons::V20_10;

/// Every route of both dockerd versions, in match order, then Podman's libpod routes in
/// its order (no dockerd route matches a `/libpod/` path but `OPTIONS`, which no libpod
/// route takes, so where they sit between each other is all that matters).
pub static ROUTES: &[Route] = &ALL_ROUTES;

static ALL_ROUTES: [Route; DOCKERD.len() + LIBPOD.len()] = join(DOCKERD, LIBPOD);

/// Two lists as one array, at compile time.
const fn join<const N: usize>(a: &[Route], b: &[Route]) -> [Route; N] {
    let mut out = [a[0]; N];
    let mut i = 0;
    while i < b.len() {
        out[a.len() + i] = b[i];
        i += 1;
    }
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    out
}

/// Every route of both dockerd versions, in match order.
const DOCKERD: &[Route] = &[
    // checkpoint router: first, so DELETE …/checkpoints/{checkpoint} is not a container delete
    r("GET", "/containers/{name:.*}/checkpoints", CheckpointList).experimental(),
    r(
        "POST",
        "/containers/{name:.*}/checkpoints",
        CheckpointCreate,
    )
    .experimental(),
    r(
        "DELETE",
        "/containers/{name}/checkpoints/{checkpoint}",
        CheckpointDelete,
    )
    .experimental(),
    // container router
    r(
        "HEAD",
        "/containers/{name:.*}/archive",
        ContainerArchiveInfo,
    ),
    r("GET", "/containers/json", ContainerList),
    r("GET", "/containers/{name:.*}/export", ContainerExport),
    r("GET", "/containers/{name:.*}/changes", ContainerChanges),
    r("GET", "/containers/{name:.*}/json", ContainerInspect),
    r("GET", "/containers/{name:.*}/top", ContainerTop),
    r("GET", "/containers/{name:.*}/logs", ContainerLogs),
    r("GET", "/containers/{name:.*}/stats", ContainerStats),
    r(
        "GET",
        "/containers/{name:.*}/attach/ws",
        ContainerAttachWebsocket,
    ),
    r("GET", "/exec/{id:.*}/json", ExecInspect),
    r("GET", "/containers/{name:.*}/archive", ContainerArchive),
    r("POST", "/containers/create", ContainerCreate),
    r("POST", "/containers/{name:.*}/kill", ContainerKill),
    r("POST", "/containers/{name:.*}/pause", ContainerPause),
    r("POST", "/containers/{name:.*}/unpause", ContainerUnpause),
    r("POST", "/containers/{name:.*}/restart", ContainerRestart),
    r("POST", "/containers/{name:.*}/start", ContainerStart),
    r("POST", "/containers/{name:.*}/stop", ContainerStop),
    r("POST", "/containers/{name:.*}/wait", ContainerWait),
    r("POST", "/containers/{name:.*}/resize", ContainerResize),
    r("POST", "/containers/{name:.*}/attach", ContainerAttach),
    r("POST", "/containers/{name:.*}/copy", ContainerCopy).only(V20_10),
    r("POST", "/containers/{name:.*}/exec", ContainerExec),
    r("POST", "/exec/{name:.*}/start", ExecStart),
    r("POST", "/exec/{name:.*}/resize", ExecResize),
    r("POST", "/containers/{name:.*}/rename", ContainerRename),
    r("POST", "/containers/{name:.*}/update", ContainerUpdate),
    r("POST", "/containers/prune", ContainerPrune).min("1.25"),
    r("POST", "/commit", ImageCommit),
    r("PUT", "/containers/{name:.*}/archive", PutContainerArchive),
    r("DELETE", "/containers/{name:.*}", ContainerDelete),
    // image router
    r("GET", "/images/json", ImageList),
    r("GET", "/images/search", ImageSearch),
    r("GET", "/images/get", ImageGetAll),
    r("GET", "/images/{name:.*}/get", ImageGet),
    r("GET", "/images/{name:.*}/history", ImageHistory),
    r("GET", "/images/{name:.*}/json", ImageInspect),
    r("GET", "/images/{name:.*}/attestations", ImageAttestations)
        .min("1.55")
        .only(MASTER),
    r("POST", "/images/load", ImageLoad),
    r("POST", "/images/create", ImageCreate),
    r("POST", "/images/{name:.*}/push", ImagePush),
    r("POST", "/images/{name:.*}/tag", ImageTag),
    r("POST", "/images/prune", ImagePrune).min("1.25"),
    r("DELETE", "/images/{name:.*}", ImageDelete),
    // system router
    r("OPTIONS", "/{anyroute:.*}", Options),
    r("GET", "/_ping", SystemPing),
    r("HEAD", "/_ping", SystemPingHead),
    r("GET", "/events", SystemEvents),
    r("GET", "/info", SystemInfo),
    r("GET", "/version", SystemVersion),
    r("GET", "/system/df", SystemDataUsage),
    r("POST", "/auth", SystemAuth),
    // volume router
    r("GET", "/volumes", VolumeList),
    r("GET", "/volumes/{name:.*}", VolumeInspect),
    r("POST", "/volumes/create", VolumeCreate),
    r("POST", "/volumes/prune", VolumePrune).min("1.25"),
    r("PUT", "/volumes/{name:.*}", VolumeUpdate)
        .min("1.42")
        .only(MASTER),
    r("DELETE", "/volumes/{name:.*}", VolumeDelete),
    // build router
    r("POST", "/build", ImageBuild),
    r("POST", "/build/prune", BuildPrune).min("1.31"),
    r("POST", "/build/cancel", BuildCancel),
    // session router
    r("POST", "/session", Session),
    // swarm router
    r("POST", "/swarm/init", SwarmInit),
    r("POST", "/swarm/join", SwarmJoin),
    r("POST", "/swarm/leave", SwarmLeave),
    r("GET", "/swarm", SwarmInspect),
    r("GET", "/swarm/unlockkey", SwarmUnlockkey),
    r("POST", "/swarm/update", SwarmUpdate),
    r("POST", "/swarm/unlock", SwarmUnlock),
    r("GET", "/services", ServiceList),
    r("GET", "/services/{id}", ServiceInspect),
    r("POST", "/services/create", ServiceCreate),
    r("POST", "/services/{id}/update", ServiceUpdate),
    r("DELETE", "/services/{id}", ServiceDelete),
    r("GET", "/services/{id}/logs", ServiceLogs),
    r("GET", "/nodes", NodeList),
    r("GET", "/nodes/{id}", NodeInspect),
    r("DELETE", "/nodes/{id}", NodeDelete),
    r("POST", "/nodes/{id}/update", NodeUpdate),
    r("GET", "/tasks", TaskList),
    r("GET", "/tasks/{id}", TaskInspect),
    r("GET", "/tasks/{id}/logs", TaskLogs),
    r("GET", "/secrets", SecretList).min("1.25"),
    r("POST", "/secrets/create", SecretCreate).min("1.25"),
    r("DELETE", "/secrets/{id}", SecretDelete).min("1.25"),
    r("GET", "/secrets/{id}", SecretInspect).min("1.25"),
    r("POST", "/secrets/{id}/update", SecretUpdate).min("1.25"),
    r("GET", "/configs", ConfigList).min("1.30"),
    r("POST", "/configs/create", ConfigCreate).min("1.30"),
    r("DELETE", "/configs/{id}", ConfigDelete).min("1.30"),
    r("GET", "/configs/{id}", ConfigInspect).min("1.30"),
    r("POST", "/configs/{id}/update", ConfigUpdate).min("1.30"),
    // plugin router
    r("GET", "/plugins", PluginList),
    r("GET", "/plugins/{name:.*}/json", PluginInspect),
    r("GET", "/plugins/privileges", GetPluginPrivileges),
    r("DELETE", "/plugins/{name:.*}", PluginDelete),
    r("POST", "/plugins/{name:.*}/enable", PluginEnable),
    r("POST", "/plugins/{name:.*}/disable", PluginDisable),
    r("POST", "/plugins/pull", PluginPull),
    r("POST", "/plugins/{name:.*}/push", PluginPush),
    r("POST", "/plugins/{name:.*}/upgrade", PluginUpgrade).min("1.26"),
    r("POST", "/plugins/{name:.*}/set", PluginSet),
    r("POST", "/plugins/create", PluginCreate),
    // distribution router
    r("GET", "/distribution/{name:.*}/json", DistributionInspect).min("1.30"),
    // grpc router: 20.10 registers it here, master last
    r("POST", "/grpc", Grpc).only(V20_10),
    // network router
    r("GET", "/networks", NetworkList),
    r("GET", "/networks/", NetworkList),
    r("GET", "/networks/{id:.+}", NetworkInspect),
    r("POST", "/networks/create", NetworkCreate),
    r("POST", "/networks/{id:.*}/connect", NetworkConnect),
    r("POST", "/networks/{id:.*}/disconnect", NetworkDisconnect),
    r("POST", "/networks/prune", NetworkPrune).min("1.25"),
    r("DELETE", "/networks/{id:.*}", NetworkDelete),
    // debug router on master: ordinary GET routes
    r("GET", "/debug/vars", DebugVars).only(MASTER),
    r("GET", "/debug/pprof/", DebugPprofIndex).only(MASTER),
    r("GET", "/debug/pprof/cmdline", DebugPprofCmdline).only(MASTER),
    r("GET", "/debug/pprof/profile", DebugPprofProfile).only(MASTER),
    r("GET", "/debug/pprof/symbol", DebugPprofSymbol).only(MASTER),
    r("GET", "/debug/pprof/trace", DebugPprofTrace).only(MASTER),
    r("GET", "/debug/pprof/{name}", DebugPprof).only(MASTER),
    // debug handlers on 20.10
    debug_any("/debug/vars", DebugVars),
    debug_any("/debug/pprof/", DebugPprofIndex),
    debug_any("/debug/pprof/cmdline", DebugPprofCmdline),
    debug_any("/debug/pprof/profile", DebugPprofProfile),
    debug_any("/debug/pprof/symbol", DebugPprofSymbol),
    debug_any("/debug/pprof/trace", DebugPprofTrace),
    debug_any("/debug/pprof/{name}", DebugPprof),
    // grpc router on master
    r("POST", "/grpc", Grpc).only(MASTER),
];

#[cfg(test)]
mod tests {
    use super::super::template;
    use super::*;

    #[test]
    fn every_template_uses_only_patterns_the_matcher_knows() {
        for route in ROUTES {
            assert!(template::is_supported(route.template), "{route}");
            assert!(
                !route.template.contains("{version") && route.template.starts_with('/'),
                "{route}: `version` is the prefix's name"
            );
        }
    }

    #[test]
    fn every_operation_has_a_route() {
        for &op in Operation::ALL {
            assert!(ROUTES.iter().any(|r| r.operation == op), "{op}");
        }
    }

    #[test]
    fn no_path_is_both_a_dockerd_route_and_a_libpod_route() {
        // What lets the lookup stop at the first side that matches: every libpod template
        // starts with `/libpod/`, and the one dockerd template that could match such a path
        // is OPTIONS's `/{anyroute:.*}`, a method no libpod route takes.
        for route in ROUTES {
            let libpod = route.template.starts_with("/libpod/");
            if route.daemons.podman {
                assert!(
                    libpod && route.method != Method::Exact("OPTIONS"),
                    "{route}"
                );
                assert!(!route.daemons.v20_10 && !route.daemons.master, "{route}");
            } else {
                let open = route.template.starts_with("/{");
                assert!(!libpod, "{route}");
                assert!(!open || route.method == Method::Exact("OPTIONS"), "{route}");
            }
        }
    }

    #[test]
    fn each_route_is_registered_once_per_daemon() {
        for daemon in [Daemons::V20_10, Daemons::MASTER, Daemons::PODMAN] {
            let mut seen: Vec<String> = ROUTES
                .iter()
                .filter(|r| {
                    (r.daemons.v20_10 && daemon.v20_10)
                        || (r.daemons.master && daemon.master)
                        || (r.daemons.podman && daemon.podman)
                })
                .map(|r| r.to_string())
                .collect();
            let all = seen.len();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), all, "{daemon:?}");
        }
    }
}
