//! Asking the daemon about the objects a request names, before deciding on it.
//!
//! [`DaemonState::resolve`] looks up each [`Reference`] the way dockerd will when it runs the
//! request (a container by name, full ID or unique ID prefix through `GET
//! /containers/{name}/json`, which is the same `GetContainer` the create or exec uses; a
//! volume by name; an exec by ID, then its container), and the answers become facts in
//! `docker::state`. Nothing is guessed: a lookup the daemon cannot answer refuses the
//! request, and an object that does not exist gets the daemon's own `No such …` answer,
//! which the request itself would have got.
//!
//! The guard does not talk HTTP itself: the relay gives it a [`Daemon`] that makes one GET on
//! sockeye's own connection. A small cache, kept current by the daemon's `/events`
//! ([`DaemonState::watch`]), spares the round trip for objects looked up again.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde_json::Value;

use crate::docker::state::{
    Answer, ContainerState, ExecState, ImageState, Kind, NetworkState, Reference, VolumeState,
};

/// One GET to the daemon: its status and whole body.
pub type Fetched<'a> = Pin<Box<dyn Future<Output = Result<(u16, Bytes), String>> + Send + 'a>>;

/// The relay's side of a lookup: sockeye's own connection to the daemon.
pub trait Daemon: Send + Sync + 'static {
    /// `GET path` (unversioned: the daemon's own API version, whose inspect answers every
    /// reader here understands).
    fn get(&self, path: String) -> Fetched<'_>;
}

/// Why a request could not be decided on the daemon's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// The daemon says the object does not exist: `message` is its own words, the answer the
    /// request would have got from it.
    Missing { message: String },
    /// The daemon did not answer, or not in a way sockeye can read.
    Failed { what: String, reason: String },
}

/// The daemon's state as decisions see it.
pub struct DaemonState {
    daemon: Box<dyn Daemon>,
    /// Answers by reference, valid only while `live` (the events stream is connected): a
    /// cached answer is dropped on any event about its kind of object, so a rename, a removal
    /// or a re-create is never decided on the old answer.
    cache: Mutex<HashMap<(Kind, String), Answer>>,
    live: AtomicBool,
    /// Counts the events that can move an address from one container to another (start,
    /// stop, network connect or disconnect) and every loss of the stream: an answer had at
    /// one generation is good only while it stays the same.
    generation: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for DaemonState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonState")
            .field("live", &self.live.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

const ALL_KINDS: [Kind; 5] = [
    Kind::Container,
    Kind::Volume,
    Kind::Exec,
    Kind::Image,
    Kind::Network,
];

/// Cache entries kept at most; beyond, the cache starts over (lookups are cheap, and a
/// bound is what matters).
const CACHE_MAX: usize = 4096;

impl DaemonState {
    pub fn new(daemon: Box<dyn Daemon>) -> DaemonState {
        DaemonState {
            daemon,
            cache: Mutex::new(HashMap::new()),
            live: AtomicBool::new(false),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The current generation while the events stream is live (see the field), else `None`.
    pub fn generation(&self) -> Option<u64> {
        let g = self.generation.load(Ordering::Acquire);
        self.live.load(Ordering::Acquire).then_some(g)
    }

    fn moved(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Look up every reference (in order), or say why not.
    pub async fn resolve(
        &self,
        refs: &[Reference],
    ) -> Result<Vec<(Reference, Answer)>, Unresolved> {
        let mut out = Vec::with_capacity(refs.len());
        for r in refs {
            let answer = match self.cached(r.kind, &r.name) {
                Some(answer) => answer,
                None => {
                    let answer = match r.kind {
                        Kind::Container => Answer::Container(self.container(&r.name).await?),
                        Kind::Volume => match self.volume(&r.name).await? {
                            Some(v) => Answer::Volume(v),
                            None => Answer::NoVolume,
                        },
                        Kind::Exec => Answer::Exec(self.exec(&r.name).await?),
                        Kind::Image => Answer::Image(self.image(&r.name).await?),
                        Kind::Network => Answer::Network(self.network(&r.name).await?),
                    };
                    self.remember(r.kind, &r.name, &answer);
                    answer
                }
            };
            out.push((r.clone(), answer));
        }
        Ok(out)
    }

    async fn container(&self, name: &str) -> Result<Arc<ContainerState>, Unresolved> {
        let what = || format!("container {name:?}");
        let body = self
            .fetch(&format!("/containers/{}/json", segment(name, what)?), what)
            .await?
            .ok_or_else(|| Unresolved::Missing {
                message: format!("No such container: {name}"),
            })?;
        let c = ContainerState::from_inspect(&body).map_err(|reason| failed(what(), reason))?;
        let mut volumes = Vec::new();
        for v in c.volume_names() {
            if let Some(volume) = self.volume(&v).await? {
                volumes.push((*volume).clone());
            }
        }
        Ok(Arc::new(c.with_volumes(&volumes)))
    }

    async fn volume(&self, name: &str) -> Result<Option<Arc<VolumeState>>, Unresolved> {
        let what = || format!("volume {name:?}");
        let Some(body) = self
            .fetch(&format!("/volumes/{}", segment(name, what)?), what)
            .await?
        else {
            return Ok(None);
        };
        VolumeState::from_inspect(&body)
            .map(|v| Some(Arc::new(v)))
            .map_err(|reason| failed(what(), reason))
    }

    async fn exec(&self, id: &str) -> Result<Arc<ExecState>, Unresolved> {
        let what = || format!("exec {id:?}");
        let body = self
            .fetch(&format!("/exec/{}/json", segment(id, what)?), what)
            .await?
            .ok_or_else(|| Unresolved::Missing {
                message: format!("No such exec instance: {id}"),
            })?;
        let container = ExecState::container_of(&body).map_err(|r| failed(what(), r))?;
        let container = self.container(&container).await?;
        ExecState::from_inspect(&body, container)
            .map(Arc::new)
            .map_err(|reason| failed(what(), reason))
    }

    async fn image(&self, name: &str) -> Result<Arc<ImageState>, Unresolved> {
        let what = || format!("image {name:?}");
        // Image references keep their slashes: the route is `/images/{name:.*}/json`.
        let path = name
            .split('/')
            .map(|part| segment(part, what))
            .collect::<Result<Vec<_>, _>>()?
            .join("/");
        if path.is_empty() || path.split('/').any(str::is_empty) {
            return Err(failed(what(), "an empty path segment".into()));
        }
        let body = self
            .fetch(&format!("/images/{path}/json"), what)
            .await?
            .ok_or_else(|| Unresolved::Missing {
                message: format!("No such image: {name}"),
            })?;
        ImageState::from_inspect(&body)
            .map(Arc::new)
            .map_err(|reason| failed(what(), reason))
    }

    async fn network(&self, name: &str) -> Result<Arc<NetworkState>, Unresolved> {
        let what = || format!("network {name:?}");
        let body = self
            .fetch(&format!("/networks/{}", segment(name, what)?), what)
            .await?
            .ok_or_else(|| Unresolved::Missing {
                message: format!("network {name} not found"),
            })?;
        NetworkState::from_inspect(&body)
            .map(Arc::new)
            .map_err(|reason| failed(what(), reason))
    }

    /// The JSON body of a `200`, `None` for a `404`; anything else is a failure.
    async fn fetch(
        &self,
        path: &str,
        what: impl Fn() -> String,
    ) -> Result<Option<Value>, Unresolved> {
        let (status, body) = self
            .daemon
            .get(path.to_owned())
            .await
            .map_err(|reason| failed(what(), reason))?;
        match status {
            200 => serde_json::from_slice(&body)
                .map(Some)
                .map_err(|e| failed(what(), format!("the daemon's answer is not JSON: {e}"))),
            404 => Ok(None),
            other => Err(failed(
                what(),
                format!(
                    "the daemon answered {other}: {}",
                    String::from_utf8_lossy(&body).trim()
                ),
            )),
        }
    }

    fn cached(&self, kind: Kind, name: &str) -> Option<Answer> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(&(kind, name.to_owned())).cloned()
    }

    fn remember(&self, kind: Kind, name: &str, answer: &Answer) {
        if !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert((kind, name.to_owned()), answer.clone());
    }

    /// Forget every answer about `kind` (an event said one such object changed).
    pub fn forget(&self, kinds: &[Kind]) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|(k, _), _| !kinds.contains(k));
    }

    /// Whether the cache may be used: set while the events stream is connected, cleared (and
    /// the cache emptied) the moment it is not.
    pub fn set_live(&self, live: bool) {
        self.moved();
        if !live {
            self.live.store(false, Ordering::Release);
            self.forget(&ALL_KINDS);
        } else {
            self.live.store(true, Ordering::Release);
        }
    }

    /// Apply one line of the daemon's `/events` stream to the cache.
    pub fn on_event(&self, line: &[u8]) {
        let Ok(event) = serde_json::from_slice::<Value>(line) else {
            // A line sockeye cannot read might have been about anything.
            self.moved();
            self.forget(&ALL_KINDS);
            return;
        };
        let kind = event.get("Type").and_then(Value::as_str).unwrap_or("");
        let action = event.get("Action").and_then(Value::as_str).unwrap_or("");
        let addresses_move = match kind {
            "container" => matches!(
                action,
                "start" | "die" | "stop" | "kill" | "destroy" | "restart" | "pause" | "unpause"
            ),
            "network" => matches!(action, "connect" | "disconnect" | "destroy"),
            _ => false,
        };
        if addresses_move {
            self.moved();
        }
        match kind {
            // An exec's container can change its name or go away; an exec_create reuses
            // nothing. Any container event that can change a name or the configuration drops
            // both.
            "container"
                if !matches!(
                    action.split(':').next().unwrap_or(""),
                    "exec_start"
                        | "exec_die"
                        | "exec_detach"
                        | "attach"
                        | "detach"
                        | "resize"
                        | "top"
                        | "health_status"
                        | "archive-path"
                        | "extract-to-dir"
                        | "start"
                        | "die"
                        | "stop"
                        | "kill"
                        | "pause"
                        | "unpause"
                        | "restart"
                        | "oom"
                        | "export"
                        | "commit"
                ) =>
            {
                self.forget(&[Kind::Container, Kind::Exec]);
            }
            "network" if matches!(action, "create" | "destroy" | "remove") => {
                self.forget(&[Kind::Network]);
            }
            "image"
                if matches!(
                    action,
                    "tag" | "untag" | "delete" | "import" | "load" | "pull"
                ) =>
            {
                self.forget(&[Kind::Image]);
            }
            "volume" if matches!(action, "create" | "destroy") => {
                // A volume's options never change; only its existence does. Containers
                // hold resolved volumes too.
                self.forget(&[Kind::Volume, Kind::Container, Kind::Exec]);
            }
            _ => {}
        }
    }
}

fn failed(what: String, reason: String) -> Unresolved {
    Unresolved::Failed { what, reason }
}

/// A reference as one path segment. Object names and IDs are `[A-Za-z0-9][A-Za-z0-9_.-]*`;
/// anything else is percent-encoded, and a `/` (which would change the route) is refused.
fn segment(name: &str, what: impl Fn() -> String) -> Result<String, Unresolved> {
    if name.contains('/') {
        return Err(failed(
            what(),
            "a name with '/' cannot be looked up unambiguously".into(),
        ));
    }
    let mut out = String::with_capacity(name.len());
    crate::docker::gojson::url::escape_unreserved_into(&mut out, name);
    Ok(out)
}

#[cfg(test)]
mod tests;
