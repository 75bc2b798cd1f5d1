//! Answer shaping: what a policy hides of the daemon's answers, and where each answer holds
//! it.
//!
//! A client allowed to inspect a container sees its `Env`, which is where most deployments
//! keep their passwords; its mounts say where on the host its data lives; its network
//! settings map the host's networks. A policy can withhold each of these ([`Redact`]) from the
//! answers that carry it ([`shapes`]), which the relay then reads whole, rewrites with
//! [`answer`] and passes on re-serialized.
//!
//! What is hidden, and how:
//!
//! - **env**: every `Env` entry `KEY=value` becomes `KEY=<redacted>` (a bare `KEY` stays);
//!   a plugin's `{"Name", "Value"}` loses its value; an image's history line that set an
//!   `ENV` keeps only the keys.
//! - **mounts**: where on the host a container's files are: each mount's `Source`, the source
//!   half of each `Binds` entry, a volume's `Mountpoint` and its `device` option, a device's
//!   `PathOnHost`, the storage driver's directories (`GraphDriver.Data`) and the files the
//!   daemon mounts in itself (`ResolvConfPath`, `HostnamePath`, `HostsPath`, `LogPath`).
//!   Each becomes [`MARKER`].
//! - **addresses**: IP and MAC addresses, gateways, subnets and ranges. Each becomes `""`,
//!   the daemon's own word for "none assigned", not the marker: Go clients decode these
//!   fields as addresses (`netip.Addr` in the Engine API module from 29 on), and a marker
//!   would make `docker ps` or `docker network inspect` fail.
//!
//! Keys are matched as dockerd writes them (its answers are its own encoding, never a
//! client's spelling). Pure.

use std::borrow::Cow;

use crate::docker::endpoint::Operation;
use crate::docker::gojson::{self, Node};

/// What a hidden value is replaced with (the views' marker too).
pub const MARKER: &str = "<redacted>";

/// A set of things hidden from answers. Empty by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Redact(u8);

impl Redact {
    pub const NONE: Redact = Redact(0);
    pub const ENV: Redact = Redact(1);
    pub const MOUNTS: Redact = Redact(2);
    pub const ADDRESSES: Redact = Redact(4);

    /// The names a policy uses, in the order they are shown.
    pub const NAMES: &'static [(&'static str, Redact)] = &[
        ("env", Redact::ENV),
        ("mounts", Redact::MOUNTS),
        ("addresses", Redact::ADDRESSES),
    ];

    pub fn from_name(name: &str) -> Option<Redact> {
        Redact::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| *r)
    }

    pub fn union(self, other: Redact) -> Redact {
        Redact(self.0 | other.0)
    }

    pub fn contains(self, other: Redact) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The names in this set: `["env", "mounts"]`.
    pub fn names(self) -> Vec<&'static str> {
        Redact::NAMES
            .iter()
            .filter(|(_, r)| self.contains(*r))
            .map(|(n, _)| *n)
            .collect()
    }

    fn meets(self, other: Redact) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::fmt::Display for Redact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.names().join(", "))
    }
}

/// What the answer of `op` can hold, of everything [`Redact`] names.
fn holds(op: Operation) -> Redact {
    use Operation as O;
    let (env, mounts, addresses) = (Redact::ENV, Redact::MOUNTS, Redact::ADDRESSES);
    match op {
        O::ContainerInspect => env.union(mounts).union(addresses),
        // Summaries: mounts and networks, no configuration.
        O::ContainerList | O::SystemDataUsage => mounts.union(addresses),
        // `Config.Env`, and `ContainerConfig.Env` on engines before 25; the layers' paths.
        O::ImageInspect => env.union(mounts),
        // The `ENV` lines a build recorded.
        O::ImageHistory => env,
        O::NetworkInspect | O::NetworkList => addresses,
        O::VolumeInspect | O::VolumeList => mounts,
        // A service's container spec (`Env`, `Mounts`), its virtual IPs; a task's addresses.
        O::ServiceInspect | O::ServiceList | O::TaskInspect | O::TaskList => {
            env.union(mounts).union(addresses)
        }
        O::PluginInspect | O::PluginList => env.union(mounts),
        _ => Redact::NONE,
    }
}

/// Whether the answer of `op` must be read whole and rewritten to hide `redact`: only the
/// JSON answers that hold something it names (never a stream: logs, attach, events, stats
/// and archives hold none of it and pass as they come).
pub fn shapes(op: Option<Operation>, redact: Redact) -> bool {
    op.is_some_and(|op| holds(op).meets(redact))
}

/// The answer of `op` with `redact` hidden, re-serialized once: members in the daemon's
/// order, numbers as it wrote them, only the hidden values changed. An answer that is not
/// one JSON document is an error (it cannot be redacted, so it must not be passed on).
pub fn answer(op: Operation, redact: Redact, body: &[u8]) -> Result<Vec<u8>, String> {
    let mut tree = gojson::parse(body).map_err(|e| format!("it is not one JSON document ({e})"))?;
    let redact = Redact(redact.0 & holds(op).0);
    if !redact.is_empty() {
        walk(op, redact, &mut tree);
    }
    let mut out = Vec::with_capacity(body.len());
    write(&tree, &mut out);
    // As dockerd ends every JSON answer (Go's `json.Encoder`).
    out.push(b'\n');
    Ok(out)
}

/// Keys whose values are addresses, wherever they appear in an answer that has them.
const ADDRESS_KEYS: &[&str] = &[
    "IPAddress",
    "Gateway",
    "GlobalIPv6Address",
    "IPv6Gateway",
    "MacAddress",
    "LinkLocalIPv6Address",
    "SecondaryIPAddresses",
    "SecondaryIPv6Addresses",
    "IPv4Address",
    "IPv6Address",
    "LinkLocalIPs",
    "IPAMConfig",
    "Subnet",
    "IPRange",
    "AuxiliaryAddresses",
    // A task's network attachments, a service's virtual IPs, an overlay's peers.
    "Addresses",
    "Addr",
    "Peers",
];

/// Host paths the daemon names outside `Mounts`.
const HOST_PATH_KEYS: &[&str] = &[
    "ResolvConfPath",
    "HostnamePath",
    "HostsPath",
    "LogPath",
    "Mountpoint",
    "PathOnHost",
    // The container's network namespace file.
    "SandboxKey",
    // A local volume's `o=bind,device=/srv/data`, in `Options` or a mount's `DriverConfig`.
    "device",
];

fn walk(op: Operation, redact: Redact, v: &mut Node) {
    match v {
        Node::Object(members) => {
            for (key, child) in members.iter_mut() {
                member(op, redact, key, child);
            }
        }
        Node::Array(items) => items.iter_mut().for_each(|i| walk(op, redact, i)),
        _ => {}
    }
}

fn member(op: Operation, redact: Redact, key: &str, child: &mut Node) {
    let (env, mounts) = (
        redact.contains(Redact::ENV),
        redact.contains(Redact::MOUNTS),
    );
    if env && key == "Env" {
        env_list(child);
    } else if env && recorded_command(op, key) {
        // `ENV` lines a build recorded: the history's `CreatedBy`, and the classic builder's
        // `ContainerConfig.Cmd` (`["/bin/sh", "-c", "#(nop) ", "ENV K=v"]`).
        match child {
            Node::String(s) => env_instruction_in(s),
            Node::Array(items) => items.iter_mut().for_each(|item| {
                if let Node::String(s) = item {
                    env_instruction_in(s);
                }
            }),
            _ => {}
        }
    } else if redact.contains(Redact::ADDRESSES) && ADDRESS_KEYS.contains(&key) {
        blank(child);
    } else if mounts && HOST_PATH_KEYS.contains(&key) {
        mark(child);
    } else if mounts && key == "Binds" {
        if let Node::Array(binds) = child {
            binds.iter_mut().for_each(bind);
        }
    } else if mounts && key == "GraphDriver" {
        fields(child, "Data", mark);
    } else if mounts && key == "Mounts" {
        if let Node::Array(list) = child {
            for m in list.iter_mut() {
                fields(m, "Source", mark);
                walk(op, redact, m);
            }
        }
    } else {
        walk(op, redact, child);
    }
}

/// Apply `f` to every member `name` of an object: dockerd writes each key once, but a
/// second one must not pass unredacted if it ever did not.
fn fields(v: &mut Node, name: &str, f: fn(&mut Node)) {
    if let Node::Object(members) = v {
        members
            .iter_mut()
            .filter(|(k, _)| k == name)
            .for_each(|(_, v)| f(v));
    }
}

/// Whether `key` of an answer of `op` is a command a build recorded.
fn recorded_command(op: Operation, key: &str) -> bool {
    matches!(
        (op, key),
        (Operation::ImageHistory, "CreatedBy") | (Operation::ImageInspect, "Cmd")
    )
}

fn env_instruction_in(s: &mut String) {
    if let Cow::Owned(r) = env_instruction(s) {
        *s = r;
    }
}

/// Every string in `v` becomes [`MARKER`]; empty ones and `null` stay (nothing was there).
fn mark(v: &mut Node) {
    match v {
        Node::String(s) if !s.is_empty() => *s = MARKER.to_owned(),
        Node::Array(items) => items.iter_mut().for_each(mark),
        Node::Object(members) => members.iter_mut().for_each(|(_, v)| mark(v)),
        _ => {}
    }
}

/// Every string in `v` becomes `""`, numbers and shape kept.
fn blank(v: &mut Node) {
    match v {
        Node::String(s) => s.clear(),
        Node::Array(items) => items.iter_mut().for_each(blank),
        Node::Object(members) => members.iter_mut().for_each(|(_, v)| blank(v)),
        _ => {}
    }
}

fn env_list(v: &mut Node) {
    let Node::Array(items) = v else {
        return mark(v);
    };
    for item in items {
        match item {
            Node::String(s) => {
                if let Some((key, _)) = s.split_once('=') {
                    *s = format!("{key}={MARKER}");
                }
            }
            // A plugin's declared variable: `{"Name", "Description", "Settable", "Value"}`.
            Node::Object(_) => fields(item, "Value", mark),
            other => mark(other),
        }
    }
}

/// `/srv/data:/data:ro` → `<redacted>:/data:ro`.
fn bind(v: &mut Node) {
    if let Node::String(s) = v {
        *s = match s.split_once(':') {
            Some((_, rest)) => format!("{MARKER}:{rest}"),
            None => MARKER.to_owned(),
        };
    }
}

/// A history line that set environment variables, keys kept: BuildKit writes
/// `ENV KEY=value KEY2=value`, the classic builder `/bin/sh -c #(nop)  ENV KEY=value`, old
/// Dockerfiles `ENV KEY value`. A quoted value with spaces cannot be told from the next
/// variable, so words without `=` are dropped, and any word with one shows only its key:
/// no part of a value survives.
fn env_instruction(line: &str) -> Cow<'_, str> {
    let (prefix, rest) = match line.find("ENV ") {
        Some(at)
            if at == 0
                || line[..at]
                    .trim_end()
                    .strip_prefix("/bin/sh -c")
                    .is_some_and(|r| r.trim() == "#(nop)") =>
        {
            (&line[..at + 4], &line[at + 4..])
        }
        _ => return Cow::Borrowed(line),
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let mut out = prefix.to_owned();
    match words.first() {
        Some(first) if !first.contains('=') => out.push_str(&format!("{first} {MARKER}")),
        _ => {
            let kept: Vec<String> = words
                .iter()
                .filter_map(|w| w.split_once('='))
                .map(|(k, _)| format!("{k}={MARKER}"))
                .collect();
            out.push_str(&kept.join(" "));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests;

/// JSON text of `v`: strings escaped as serde_json escapes them, numbers as written.
fn write(v: &Node, out: &mut Vec<u8>) {
    match v {
        Node::Null => out.extend_from_slice(b"null"),
        Node::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Node::Number(n) => out.extend_from_slice(n.as_bytes()),
        Node::String(s) => string(s, out),
        Node::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Node::Object(members) => {
            out.push(b'{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(key, out);
                out.push(b':');
                write(value, out);
            }
            out.push(b'}');
        }
    }
}

fn string(s: &str, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, s).expect("a string serializes");
}
