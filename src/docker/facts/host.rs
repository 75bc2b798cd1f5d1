//! Host paths as dockerd will use them, and the request spellings that produce one.
//!
//! Everything here is textual. The daemon hands bind sources to the kernel, which follows
//! symlinks on the host: `/srv/data/link -> /` passes a textual allowlist of `/srv/data` and
//! mounts `/`. A pure module cannot see the host, so a policy must either allowlist only
//! directories no client can write into (then no client can plant a link), or have the
//! relay resolve the path on the host at decision time and compare again (still racy: the
//! link can change between check and mount).

use serde_json::{Map, Value};

/// Go's `path.Clean` for a host path, rooted first: `//`, `/./`, `..` and trailing slashes
/// go, and `..` never climbs above `/`. A relative path is taken from `/`, which is where
/// dockerd runs and where the kernel would resolve it (a local volume's `device=etc`).
pub fn clean(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            name => kept.push(name),
        }
    }
    if kept.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(path.len() + 1);
    for segment in kept {
        out.push('/');
        out.push_str(segment);
    }
    out
}

/// Whether `path` is `allowed` or below it, compared by whole components after cleaning
/// both (`/srv/data` allows `/srv/data/x`, not `/srv/database`; `/etc/..` is `/`).
pub fn within(path: &str, allowed: &str) -> bool {
    let path = clean(path);
    let allowed = clean(allowed);
    allowed == "/"
        || path == allowed
        || (path.starts_with(&allowed) && path.as_bytes().get(allowed.len()) == Some(&b'/'))
}

/// One `HostConfig.Binds` entry, split the way dockerd's Linux parser splits it
/// (`src:dst[:mode]`, at most three parts).
#[derive(Debug, PartialEq, Eq)]
pub struct Bind<'a> {
    /// `None` for a bare container path (`/data`): an anonymous volume.
    pub source: Option<&'a str>,
    pub target: &'a str,
    pub mode: &'a str,
}

impl<'a> Bind<'a> {
    pub fn parse(raw: &'a str) -> Bind<'a> {
        let mut parts = raw.splitn(3, ':');
        let first = parts.next().unwrap_or("");
        match parts.next() {
            None => Bind {
                source: None,
                target: first,
                mode: "",
            },
            Some(target) => Bind {
                source: Some(first),
                target,
                mode: parts.next().unwrap_or(""),
            },
        }
    }

    /// A source with a leading `/` is a host path (dockerd: `path.IsAbs`); any other source
    /// names a volume.
    pub fn host_path(&self) -> Option<String> {
        self.source.filter(|s| s.starts_with('/')).map(clean)
    }

    pub fn volume(&self) -> Option<&'a str> {
        self.source.filter(|s| !s.is_empty() && !s.starts_with('/'))
    }

    pub fn read_only(&self) -> bool {
        self.mode.split(',').any(|m| m == "ro")
    }

    pub fn propagation(&self) -> Option<&'a str> {
        self.mode.split(',').find(|m| PROPAGATIONS.contains(m))
    }
}

pub const PROPAGATIONS: &[&str] = &[
    "shared", "rshared", "slave", "rslave", "private", "rprivate",
];

/// Propagation that carries mounts made inside the container back out to the host.
pub fn propagates_to_host(mode: &str) -> bool {
    matches!(mode, "shared" | "rshared")
}

/// What the `local` volume driver would mount for a set of driver options (`docker volume
/// create -o`, or `VolumeOptions.DriverConfig.Options` of a volume mount). The driver hands
/// `type`, `device` and `o` to mount(2), so `o=bind` makes `device` a host path with no
/// bind mount in sight, and any other filesystem type mounts a disk or a network share as
/// root.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LocalVolume {
    pub host_paths: Vec<String>,
    /// `type device` of any filesystem mount other than tmpfs (`cifs //srv/share`,
    /// `ext4 /dev/sda1`); credentials in `o` are left out.
    pub filesystem: Option<String>,
}

impl LocalVolume {
    pub fn from_options(opts: &Map<String, Value>) -> LocalVolume {
        // The driver validates option names exactly (`type`, `device`, `o`, `size`).
        let get = |k: &str| opts.get(k).and_then(Value::as_str).unwrap_or("");
        let (kind, device, o) = (get("type"), get("device"), get("o"));
        let items: Vec<&str> = o.split(',').map(str::trim).collect();
        let mut out = LocalVolume::default();
        if items.iter().any(|i| *i == "bind" || *i == "rbind") {
            out.host_paths.push(clean(device));
            return out;
        }
        if kind.is_empty() && device.is_empty() {
            return out;
        }
        if kind == "overlay" {
            for item in &items {
                if let Some((key, dirs)) = item.split_once('=') {
                    if matches!(key, "lowerdir" | "upperdir" | "workdir") {
                        out.host_paths.extend(dirs.split(':').map(clean));
                    }
                }
            }
            return out;
        }
        if kind != "tmpfs" {
            out.filesystem = Some(format!("{kind} {device}").trim().to_owned());
        }
        out
    }
}

/// A numeric or named user that is uid 0: `0`, `00`, `root`, `0:0`, `root:staff`. Names
/// other than `root` that an image maps to uid 0 cannot be seen from the request.
pub fn names_root(user: &str) -> bool {
    let uid = user.split(':').next().unwrap_or("");
    uid == "root" || (!uid.is_empty() && uid.bytes().all(|b| b == b'0'))
}
