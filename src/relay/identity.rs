//! Who a Unix-socket caller is beyond its uid: the executable it runs and the container it
//! lives in.
//!
//! The container comes from the caller's cgroup (`/proc/<pid>/cgroup`), which every runtime
//! names after the container id, and is then confirmed with the daemon sockeye relays to: an
//! id that daemon does not know is not one of its containers, whatever the path says. Moving
//! a process into another cgroup takes write access to the cgroup filesystem (root on the
//! host, a privileged container), which already owns the daemon; so a cgroup is as much
//! proof as the pid it was read for.
//!
//! Limits:
//! - A pid is a name the kernel recycles: resolve at accept time, while the caller holds the
//!   connection open, not later. Where a process runs is learnt once per process and kept
//!   under its pid *and start time* ([`process::Process`]), so a later process with the same
//!   pid is looked at afresh. A process is not expected to change containers: moving it to
//!   another cgroup takes what already owns the daemon (above), and its pid namespace is
//!   fixed for life.
//! - sockeye must see the caller in its own pid namespace: a sockeye in a container needs
//!   `--pid host`, or the kernel reports pid 0 for callers in other containers (resolved to
//!   `None`).
//! - Docker-in-Docker: the innermost id names the inner daemon's container, unknown to the
//!   daemon sockeye relays to, so such a caller resolves to `None`, not to the outer container.
//! - Rootless Docker on cgroup v1 puts containers in no cgroup of their own: for that, and
//!   any other layout without an id, [`Resolver::container_by_pid_namespace`] is the fallback.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fmt::Display;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::StatusCode;
use serde::Deserialize;

use std::net::IpAddr;

use crate::caller::ClientContainer;
use crate::config::UpstreamAddr;
use crate::guard::state::DaemonState;
use crate::relay::upstream::{connect, get_once};

pub mod process;

use process::Process;

/// The executable `pid` runs (`/proc/<pid>/exe`).
///
/// The path is the one the process sees, in its own mount namespace: for a process in a
/// container, a path in the container's filesystem (`/bin/busybox`), which says nothing about
/// the host's file of that name. Reading it takes ptrace-read access to the process (sockeye
/// as root, or the same uid); otherwise `None`.
pub fn executable(pid: i32) -> Option<PathBuf> {
    if pid <= 0 {
        return None;
    }
    let mut path = [0u8; 32];
    let target = std::fs::read_link(process::proc_path(&mut path, pid, "/exe")).ok()?;
    // The kernel appends this when the file was removed or replaced since exec (e.g. by a
    // package upgrade); the process still runs what was at that path.
    match target.as_os_str().as_bytes().strip_suffix(b" (deleted)") {
        Some(path) => Some(PathBuf::from(OsStr::from_bytes(path))),
        None => Some(target),
    }
}

/// The container id in the contents of `/proc/<pid>/cgroup`, if any: the innermost
/// 64-hex-digit path segment, bare (cgroupfs driver: `/docker/<id>`, Kubernetes
/// `/kubepods/…/pod<uid>/<id>`) or as a systemd scope (`/system.slice/docker-<id>.scope`,
/// rootless `/user.slice/…/docker-<id>.scope`, `…/cri-containerd-<id>.scope`).
///
/// `docker exec` puts its process in the container's cgroup, so it resolves like the init.
pub fn container_id_from_cgroup(text: &str) -> Option<String> {
    let lines = || {
        text.lines().filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let hierarchy = fields.next()?;
            fields.next()?;
            Some((hierarchy, fields.next()?))
        })
    };
    // The v2 (unified) line first: on hybrid systems it is the one current runtimes always
    // manage, while the v1 `name=systemd` line may still name a service. On pure v1 every
    // controller carries the same path, so the first with an id will do.
    let unified = lines().filter(|(h, _)| *h == "0");
    let legacy = lines().filter(|(h, _)| *h != "0");
    unified
        .chain(legacy)
        .find_map(|(_, path)| innermost_id(path))
        .map(str::to_owned)
}

fn innermost_id(path: &str) -> Option<&str> {
    path.rsplit('/').find_map(|segment| {
        let unit = segment.strip_suffix(".scope").unwrap_or(segment);
        let id = unit.rsplit('-').next()?;
        is_id(id).then_some(id)
    })
}

fn is_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// How long an answer from the daemon is reused: short, since a container can be renamed.
const TTL: Duration = Duration::from_secs(5);
/// A slow daemon must not hold up a client's requests for long.
const DAEMON_TIMEOUT: Duration = Duration::from_secs(2);

/// Containers in their start window inspected for an address the list does not show yet: a
/// bound, since `docker create` leaves containers in that state for as long as it likes.
const MAX_STARTING: usize = 16;
/// Bounds the cache and the set of ids already warned about.
const MAX_ENTRIES: usize = 1024;
/// An inspect answer is a few KiB; anything far larger is not one.
const MAX_BODY: usize = 4 << 20;

/// Finds the container a process runs in, as the daemon knows it. Cheap to clone: clones
/// share one cache.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

struct Inner {
    daemon: UpstreamAddr,
    daemon_tls: Option<Arc<rustls::ClientConfig>>,
    ttl: Duration,
    timeout: Duration,
    state: Mutex<State>,
    /// The daemon's events, when sockeye follows them: an address answer is reused only while
    /// no container started, stopped or changed networks since (see [`Resolver::follow`]).
    events: std::sync::OnceLock<Arc<DaemonState>>,
}

#[derive(Default)]
struct State {
    /// By container id: the daemon's answer (`None`: not its container, or no answer) and
    /// when it was had.
    ids: HashMap<String, (Instant, Option<ClientContainer>)>,
    /// For the fallback: each running container's init, by pid namespace, and when listed.
    inits: Option<(Instant, Vec<Init>)>,
    /// By client address: the container holding it, and the events generation it was had at.
    addrs: HashMap<IpAddr, (u64, Option<ClientContainer>)>,
    /// By process (pid and start time): where it runs, read from `/proc` once.
    places: HashMap<(i32, u64), Place>,
    warned: HashSet<String>,
}

/// Where a process runs, as `/proc` says.
#[derive(Clone)]
enum Place {
    /// Its cgroup names this container id (still to be confirmed with the daemon).
    Cgroup(String),
    /// In sockeye's own pid namespace with no container in its cgroup: a host process.
    Host,
    /// Another pid namespace and no id: found by the namespace's init (not cached: which
    /// container holds that init can change).
    OtherNamespace,
}

#[derive(Clone)]
struct Init {
    ns: Namespace,
    id: String,
    pid: i32,
}

/// A namespace is its nsfs inode: (device, inode).
type Namespace = (u64, u64);

impl Resolver {
    /// `daemon` is the daemon sockeye relays to: only its containers are found. `tls` is
    /// the client configuration of a `tls://` daemon.
    pub fn new(daemon: UpstreamAddr, tls: Option<Arc<rustls::ClientConfig>>) -> Resolver {
        Resolver::with_timing(daemon, tls, TTL, DAEMON_TIMEOUT)
    }

    fn with_timing(
        daemon: UpstreamAddr,
        tls: Option<Arc<rustls::ClientConfig>>,
        ttl: Duration,
        timeout: Duration,
    ) -> Resolver {
        Resolver {
            inner: Arc::new(Inner {
                daemon,
                daemon_tls: tls,
                ttl,
                timeout,
                state: Mutex::default(),
                events: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Reuse address answers while `events` says nothing changed (without it, every TCP
    /// connection asks the daemon).
    pub fn follow(&self, events: Arc<DaemonState>) {
        let _ = self.inner.events.set(events);
    }

    /// The running container that holds `ip` on one of its networks, as the daemon says now:
    /// how a TCP client on a container network is known (`client.container.*` in rules, the
    /// views, the audit log). `None` for an address no container holds (an unknown client, never
    /// a guess from an old list), for one two containers hold, and for loopback.
    pub async fn container_by_addr(&self, ip: IpAddr) -> Option<ClientContainer> {
        let ip = ip.to_canonical();
        if ip.is_loopback() || ip.is_unspecified() {
            return None;
        }
        let generation = || self.inner.events.get().and_then(|e| e.generation());
        let before = generation();
        if let Some(g) = before {
            if let Some((at, known)) = self.state().addrs.get(&ip) {
                if *at == g {
                    return known.clone();
                }
            }
        }
        let found = match self.holder_of(ip).await {
            Ok(found) => found,
            Err(e) => {
                self.warn_once(&ip.to_string(), &format!("the address {ip}"), &e);
                return None;
            }
        };
        // Cached only if nothing changed while the list was made.
        if let (Some(g), true) = (before, generation() == before) {
            let mut state = self.state();
            if state.addrs.len() >= MAX_ENTRIES {
                state.addrs.clear();
            }
            state.addrs.insert(ip, (g, found.clone()));
        }
        found
    }

    async fn holder_of(&self, ip: IpAddr) -> Result<Option<ClientContainer>, String> {
        // `all=1`: a container is listed as running only once its start has been written to
        // the daemon's list, a few milliseconds after its process began; a client that
        // connects at once (a `docker run … wget` to the proxy, Traefik at boot) is in that
        // window, and the list then shows it as `created` with no address yet.
        let body = self
            .get("/containers/json?all=1")
            .await?
            .unwrap_or_default();
        let list: Vec<Listed> =
            serde_json::from_slice(&body).map_err(|e| format!("container list: {e}"))?;
        let (mut holders, mut starting) = (Vec::new(), Vec::new());
        for c in list {
            if c.holds(ip) {
                holders.push(c.into_container());
            } else if c.state.as_deref() == Some("created") && starting.len() < MAX_STARTING {
                starting.push(c.id);
            }
        }
        // Inspect reads the container itself, whose network is set up before its process
        // starts: it gives the address that the list does not show yet.
        if holders.is_empty() {
            for id in starting {
                let Some(body) = self.get(&format!("/containers/{id}/json")).await? else {
                    continue;
                };
                let c: Inspected =
                    serde_json::from_slice(&body).map_err(|e| format!("container {id}: {e}"))?;
                if c.network_settings.as_ref().is_some_and(|n| n.holds(ip)) {
                    holders.push(c.into_container());
                }
            }
        }
        // Two holders (an address reused across networks): nobody, never a guess.
        Ok(match <[_; 1]>::try_from(holders) {
            Ok([one]) => Some(one),
            Err(_) => None,
        })
    }

    /// The container process `pid` runs in, or `None`: not in a container of this daemon, gone,
    /// or the daemon did not answer in time (logged once per container).
    pub async fn container(&self, pid: i32) -> Option<ClientContainer> {
        self.container_of(&Process::read(pid)?).await
    }

    /// [`Resolver::container`] for a process already read: `/proc` is read once per process
    /// (pid and start time), the daemon's answer once per container and TTL.
    pub async fn container_of(&self, process: &Process) -> Option<ClientContainer> {
        let key = process.key();
        let known = self.state().places.get(&key).cloned();
        let place = match known {
            Some(place) => place,
            None => {
                let place = place_of(process.pid)?;
                // Read for this process, not for a successor that took its pid meanwhile.
                if !process.still_running() {
                    return None;
                }
                if !matches!(place, Place::OtherNamespace) {
                    let mut state = self.state();
                    if state.places.len() >= MAX_ENTRIES {
                        state.places.clear();
                    }
                    state.places.insert(key, place.clone());
                }
                place
            }
        };
        match place {
            Place::Cgroup(id) => self.container_by_id(&id).await,
            Place::Host => None,
            Place::OtherNamespace => self.container_by_pid_namespace(process.pid).await,
        }
    }

    /// The container with this full id, as the daemon describes it now (cached briefly).
    /// Anything but a full 64-hex-digit id is `None`: dockerd would also look up names and
    /// prefixes, and a container *named* like another's id must not pass for it.
    pub async fn container_by_id(&self, id: &str) -> Option<ClientContainer> {
        if !is_id(id) {
            return None;
        }
        if let Some((at, known)) = self.state().ids.get(id) {
            if at.elapsed() < self.inner.ttl {
                return known.clone();
            }
        }
        let found = match self.inspect(id).await {
            Ok(Some(c)) if c.id == id => Some(ClientContainer {
                name: c.name.trim_start_matches('/').to_owned(),
                labels: c.config.and_then(|c| c.labels).unwrap_or_default(),
                id: c.id,
            }),
            Ok(_) => None,
            // Cached like an answer: a hung daemon then delays one request per TTL, not all.
            Err(e) => {
                self.warn_once(id, &format!("container {id}"), &e);
                None
            }
        };
        let mut state = self.state();
        if state.ids.len() >= MAX_ENTRIES {
            let ttl = self.inner.ttl;
            state.ids.retain(|_, (at, _)| at.elapsed() < ttl);
            if state.ids.len() >= MAX_ENTRIES {
                state.ids.clear();
            }
        }
        state
            .ids
            .insert(id.to_owned(), (Instant::now(), found.clone()));
        found
    }

    /// The fallback when the cgroup names no container: the running container whose init
    /// shares `pid`'s pid namespace (`docker exec` joins it too). Finds nothing for containers
    /// run with `--pid host`, which share the host's, nor when two containers share one
    /// namespace (`--pid container:…`), since it cannot tell which.
    pub async fn container_by_pid_namespace(&self, pid: i32) -> Option<ClientContainer> {
        let ns = pid_namespace(pid)?;
        // Every host process shares sockeye's namespace: no container to find, and no reason
        // to list the daemon's containers for each of them.
        if own_pid_namespace() == Some(ns) {
            return None;
        }
        let cached = self
            .state()
            .inits
            .as_ref()
            .filter(|(at, _)| at.elapsed() < self.inner.ttl)
            .map(|(_, inits)| inits.clone());
        let inits = match cached {
            Some(inits) => inits,
            None => {
                let inits = self.running_inits().await;
                self.state().inits = Some((Instant::now(), inits.clone()));
                inits
            }
        };
        let mut hits = inits.into_iter().filter(|init| init.ns == ns);
        let (Some(init), None) = (hits.next(), hits.next()) else {
            return None;
        };
        // The list may be a few seconds old: once its init is gone, a namespace's inode
        // number can be reused by another one.
        if pid_namespace(init.pid) != Some(ns) {
            return None;
        }
        self.container_by_id(&init.id).await
    }

    async fn running_inits(&self) -> Vec<Init> {
        let list = async {
            let body = self.get("/containers/json").await?.unwrap_or_default();
            let summaries: Vec<Summary> =
                serde_json::from_slice(&body).map_err(|e| format!("container list: {e}"))?;
            let mut inits = Vec::new();
            for s in summaries {
                let Ok(Some(c)) = self.inspect(&s.id).await else {
                    continue;
                };
                let pid = c.state.map_or(0, |s| s.pid);
                match pid_namespace(pid) {
                    Some(ns) if pid > 0 => inits.push(Init { ns, id: c.id, pid }),
                    _ => {}
                }
            }
            Ok::<_, String>(inits)
        };
        let result = tokio::time::timeout(self.inner.timeout, list).await;
        match result.unwrap_or_else(|_| Err(self.late())) {
            Ok(inits) => inits,
            Err(e) => {
                self.warn_once("", "the running containers", &e);
                Vec::new()
            }
        }
    }

    async fn inspect(&self, id: &str) -> Result<Option<Inspect>, String> {
        let Some(body) = self.get(&format!("/containers/{id}/json")).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&body).map_err(|e| format!("inspect: {e}"))
    }

    /// One GET on a connection of its own; `None` for 404.
    async fn get(&self, path: &str) -> Result<Option<Bytes>, String> {
        let call = async {
            let stream = connect(&self.inner.daemon, self.inner.daemon_tls.as_ref())
                .await
                .map_err(|e| e.to_string())?;
            match get_once(stream, path, MAX_BODY).await? {
                (StatusCode::NOT_FOUND, _) => Ok(None),
                (StatusCode::OK, body) => Ok(Some(body)),
                (status, _) => Err(format!("GET {path}: {status}")),
            }
        };
        tokio::time::timeout(self.inner.timeout, call)
            .await
            .unwrap_or_else(|_| Err(self.late()))
    }

    fn late(&self) -> String {
        format!("no answer within {:?}", self.inner.timeout)
    }

    fn warn_once(&self, key: &str, what: &str, error: &str) {
        let first = {
            let mut state = self.state();
            if state.warned.len() >= MAX_ENTRIES {
                state.warned.clear();
            }
            state.warned.insert(key.to_owned())
        };
        if first {
            tracing::warn!(
                "cannot identify a client's container: asking {} about {what}: {error}",
                self.inner.daemon
            );
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Where `pid` runs, from its cgroup and pid namespace; `None` when it is gone.
fn place_of(pid: i32) -> Option<Place> {
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    if let Some(id) = container_id_from_cgroup(&cgroup) {
        return Some(Place::Cgroup(id));
    }
    let ns = pid_namespace(pid)?;
    Some(if own_pid_namespace() == Some(ns) {
        Place::Host
    } else {
        Place::OtherNamespace
    })
}

/// sockeye's own pid namespace, which never changes.
fn own_pid_namespace() -> Option<Namespace> {
    static OWN: std::sync::OnceLock<Option<Namespace>> = std::sync::OnceLock::new();
    *OWN.get_or_init(|| pid_namespace("self"))
}

fn pid_namespace(pid: impl Display) -> Option<Namespace> {
    let meta = std::fs::metadata(format!("/proc/{pid}/ns/pid")).ok()?;
    Some((meta.dev(), meta.ino()))
}

/// The parts of `GET /containers/{id}/json` used here.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Inspect {
    id: String,
    name: String,
    config: Option<InspectConfig>,
    state: Option<InspectState>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectConfig {
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectState {
    pid: i32,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Summary {
    id: String,
}

/// The parts of `GET /containers/json` that say which container holds an address.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listed {
    id: String,
    #[serde(default)]
    names: Vec<String>,
    labels: Option<BTreeMap<String, String>>,
    state: Option<String>,
    network_settings: Option<ListedNetworks>,
}

impl Listed {
    fn holds(&self, ip: IpAddr) -> bool {
        self.network_settings.as_ref().is_some_and(|n| n.holds(ip))
    }

    fn into_container(self) -> ClientContainer {
        ClientContainer {
            name: self
                .names
                .first()
                .map(|n| n.trim_start_matches('/').to_owned())
                .unwrap_or_default(),
            labels: self.labels.unwrap_or_default(),
            id: self.id,
        }
    }
}

/// The same parts of `GET /containers/{id}/json`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Inspected {
    id: String,
    #[serde(default)]
    name: String,
    config: Option<InspectedConfig>,
    network_settings: Option<ListedNetworks>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectedConfig {
    labels: Option<BTreeMap<String, String>>,
}

impl Inspected {
    fn into_container(self) -> ClientContainer {
        ClientContainer {
            name: self.name.trim_start_matches('/').to_owned(),
            labels: self.config.and_then(|c| c.labels).unwrap_or_default(),
            id: self.id,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedNetworks {
    #[serde(default)]
    networks: BTreeMap<String, ListedEndpoint>,
}

impl ListedNetworks {
    fn holds(&self, ip: IpAddr) -> bool {
        self.networks.values().any(|net| {
            [&net.ip_address, &net.global_ipv6_address]
                .into_iter()
                .flatten()
                .any(|a| a.parse::<IpAddr>().is_ok_and(|a| a == ip))
        })
    }
}

#[derive(Deserialize)]
struct ListedEndpoint {
    #[serde(rename = "IPAddress")]
    ip_address: Option<String>,
    #[serde(rename = "GlobalIPv6Address")]
    global_ipv6_address: Option<String>,
}

#[cfg(test)]
mod tests;
