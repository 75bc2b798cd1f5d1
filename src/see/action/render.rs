//! One API call → the docker command line that makes it.
//!
//! Flag names are the CLI's (`-e`, `-v`, `--network`); values come from the query and body
//! as dockerd reads them. Where the CLI has no command for a call, or the call is one step of
//! a command, the line says so in parentheses (`docker exec (start 706048e3ecbc)`), and a
//! call with no route is `(unknown endpoint)`: nothing is made up.

use serde_json::Value;

use super::container;
use super::fields::{entries, items, list, objects, on, scalar, text, texts};
use super::line::Line;
use super::query::Query;
use crate::docker::endpoint::{Classified, Operation};

/// What rendering needs of one call. Query and body are already redacted.
pub(crate) struct Ctx<'a> {
    pub route: &'a Classified,
    pub q: Query,
    pub body: Option<&'a Value>,
    /// Shown instead of the path's object: the container name a `docker logs` typed, where
    /// the call itself carries the full ID the CLI looked up.
    pub name: Option<&'a str>,
}

impl<'a> Ctx<'a> {
    /// The object as a person would recognise it: full 64-hex IDs shortened to the 12
    /// characters `docker ps` shows (and the CLI accepts back).
    fn object(&self) -> &'a str {
        let raw = self.name.or(self.route.object()).unwrap_or("");
        short(raw)
    }

    fn param(&self, name: &str) -> &str {
        self.route.param(name).unwrap_or("")
    }

    fn body(&self) -> &[&Value] {
        match &self.body {
            Some(b) => std::slice::from_ref(b),
            None => &[],
        }
    }
}

pub(crate) fn short(id: &str) -> &str {
    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        &id[..12]
    } else {
        id
    }
}

pub(crate) fn render(cx: &Ctx) -> Line {
    let Some(op) = cx.route.operation() else {
        return Line::note("(unknown endpoint)");
    };
    use Operation as O;
    let q = &cx.q;
    let b = cx.body();
    let obj = cx.object();
    let mut l;
    match op {
        O::SystemPingHead => l = Line::docker("(ping: API version negotiation)"),
        O::SystemPing => l = Line::docker("(ping)"),
        O::SystemVersion => l = Line::docker("version"),
        O::SystemInfo => l = Line::docker("info"),
        O::SystemDataUsage => l = Line::docker("system df"),
        O::SystemEvents => {
            l = Line::docker("events");
            l.opt_some("--since", q.text("since"))
                .opt_some("--until", q.text("until"));
            filters(&mut l, q);
        }
        O::SystemAuth => {
            // The server only; the user name and password stay out of the line.
            l = Line::docker("login");
            if let Some(server) = text(b, "serveraddress") {
                l.object(server);
            }
        }

        O::ContainerList => {
            l = Line::docker("ps");
            l.flag_if(q.flag("all"), "-a");
            if let Some(n) = q
                .text("limit")
                .filter(|n| n.parse::<i64>().is_ok_and(|n| n > 0))
            {
                l.opt("-n", n);
            }
            l.flag_if(q.flag("size"), "-s");
            for key in ["since", "before"] {
                if let Some(v) = q.text(key) {
                    l.opt("--filter", &format!("{key}={v}"));
                }
            }
            filters(&mut l, q);
        }
        O::ContainerCreate => {
            l = Line::docker("create");
            l.opt_some("--name", q.get("name"))
                .opt_some("--platform", q.get("platform"));
            if let Some(body) = cx.body {
                container::create(&mut l, body);
            }
        }
        O::ContainerInspect => {
            l = Line::docker("inspect");
            l.flag_if(q.flag("size"), "-s").object(obj);
        }
        O::ContainerTop => {
            l = Line::docker("top");
            l.object(obj);
            if let Some(args) = q.text("ps_args") {
                l.args(args.split_whitespace());
            }
        }
        O::ContainerLogs | O::ServiceLogs | O::TaskLogs => {
            l = Line::docker(if op == O::ContainerLogs {
                "logs"
            } else {
                "service logs"
            });
            l.flag_if(q.flag("follow"), "-f");
            if let Some(tail) = q.text("tail").filter(|t| *t != "all") {
                l.opt("--tail", tail);
            }
            l.flag_if(q.flag("timestamps"), "-t")
                .opt_some("--since", q.text("since"))
                .opt_some("--until", q.text("until"))
                .flag_if(q.flag("details"), "--details")
                .object(obj);
        }
        O::ContainerChanges => {
            l = Line::docker("diff");
            l.object(obj);
        }
        O::ContainerExport => {
            l = Line::docker("export");
            l.object(obj);
        }
        O::ContainerStats => {
            l = Line::docker("stats");
            l.flag_if(
                !q.flag_or("stream", true) || q.flag("one-shot"),
                "--no-stream",
            )
            .object(obj);
        }
        O::ContainerResize => {
            l = Line::docker("(tty resize)");
            l.object(obj);
            size(&mut l, q);
        }
        O::ContainerStart => {
            l = Line::docker("start");
            l.opt_some("--checkpoint", q.text("checkpoint"))
                .opt_some("--checkpoint-dir", q.text("checkpoint-dir"))
                .object(obj);
        }
        O::ContainerStop | O::ContainerRestart => {
            l = Line::docker(if op == O::ContainerStop {
                "stop"
            } else {
                "restart"
            });
            l.opt_some("-s", q.text("signal"))
                .opt_some("-t", q.text("t"))
                .object(obj);
        }
        O::ContainerKill => {
            l = Line::docker("kill");
            l.opt_some("-s", q.text("signal")).object(obj);
        }
        O::ContainerUpdate => {
            l = Line::docker("update");
            if let Some(body) = cx.body {
                container::update(&mut l, body);
            }
            l.object(obj);
        }
        O::ContainerRename => {
            l = Line::docker("rename");
            l.object(obj).arg(q.get("name").unwrap_or(""));
        }
        O::ContainerPause => {
            l = Line::docker("pause");
            l.object(obj);
        }
        O::ContainerUnpause => {
            l = Line::docker("unpause");
            l.object(obj);
        }
        O::ContainerAttach | O::ContainerAttachWebsocket => {
            l = Line::docker("attach");
            l.flag_if(!q.flag("stdin"), "--no-stdin")
                .opt_some("--detach-keys", q.text("detachKeys"))
                .object(obj);
            if op == O::ContainerAttachWebsocket {
                l.raw("(websocket)");
            }
            if q.flag("logs") {
                l.raw("(with past output)");
            }
        }
        O::ContainerWait => {
            l = Line::docker("wait");
            l.object(obj);
            if let Some(c) = q.text("condition").filter(|c| *c != "not-running") {
                l.raw(format!("(until {})", super::line::quote(c)));
            }
        }
        O::ContainerDelete => {
            l = Line::docker("rm");
            l.flag_if(q.flag("force"), "-f")
                .flag_if(q.flag("v"), "-v")
                .flag_if(q.flag("link"), "-l")
                .object(obj);
        }
        O::ContainerArchiveInfo => {
            l = Line::docker("cp (stat)");
            l.object(&format!("{obj}:{}", q.get("path").unwrap_or("")));
        }
        O::ContainerArchive => {
            // `-` is what the API does: the file comes back as a tar stream.
            l = Line::docker("cp");
            l.object(&format!("{obj}:{}", q.get("path").unwrap_or("")))
                .raw("-");
        }
        O::PutContainerArchive => {
            l = Line::docker("cp");
            l.flag_if(q.flag("copyUIDGID"), "-a")
                .raw("-")
                .object(&format!("{obj}:{}", q.get("path").unwrap_or("")));
        }
        O::ContainerCopy => {
            l = Line::docker("cp");
            let resource = text(b, "resource").unwrap_or("");
            l.object(&format!("{obj}:{resource}")).raw("-");
        }
        O::ContainerPrune => {
            l = Line::docker("container prune");
            filters(&mut l, q);
        }

        O::ContainerExec => {
            l = Line::docker("exec");
            match cx.body {
                Some(body) => container::exec(&mut l, body, obj),
                None => {
                    l.object(obj);
                }
            }
        }
        O::ExecStart => {
            l = Line::docker("exec");
            l.flag_if(on(b, "detach"), "-d").raw("(start)").object(obj);
        }
        O::ExecResize => {
            l = Line::docker("exec (tty resize)");
            l.object(obj);
            size(&mut l, q);
        }
        O::ExecInspect => {
            l = Line::docker("exec (inspect)");
            l.object(obj);
        }

        O::ImageList => {
            l = Line::docker("images");
            l.flag_if(q.flag("all"), "-a")
                .flag_if(q.flag("digests"), "--digests");
            if let Some(r) = q.text("filter") {
                l.arg(r);
            }
            filters(&mut l, q);
        }
        O::ImageBuild => l = build(q),
        O::ImageCreate => l = image_create(q),
        O::ImageInspect => {
            l = Line::docker("image inspect");
            l.object(obj);
        }
        O::ImageHistory => {
            l = Line::docker("history");
            l.object(obj);
        }
        O::ImagePush => {
            l = Line::docker("push");
            let tag = q.get("tag").unwrap_or("");
            l.flag_if(tag.is_empty(), "--all-tags")
                .opt_some("--platform", q.text("platform"))
                .object(&reference(obj, tag));
        }
        O::ImageTag => {
            l = Line::docker("tag");
            let repo = familiar(q.get("repo").unwrap_or(""));
            l.object(obj)
                .arg(&reference(repo, q.get("tag").unwrap_or("")));
        }
        O::ImageDelete => {
            l = Line::docker("rmi");
            l.flag_if(q.flag("force"), "-f")
                .flag_if(q.flag("noprune"), "--no-prune")
                .object(obj);
        }
        O::ImageSearch => {
            l = Line::docker("search");
            l.opt_some("--limit", q.text("limit"));
            filters(&mut l, q);
            l.object(q.get("term").unwrap_or(""));
        }
        O::ImagePrune => {
            l = Line::docker("image prune");
            filters(&mut l, q);
        }
        O::ImageCommit => {
            l = Line::docker("commit");
            l.opt_some("-a", q.text("author"))
                .opt_some("-m", q.text("comment"));
            for c in q.all("changes").filter(|c| !c.is_empty()) {
                l.opt("-c", c);
            }
            if !q.flag_or("pause", true) {
                l.raw("--pause=false");
            }
            l.object(q.get("container").unwrap_or(""));
            if let Some(repo) = q.text("repo") {
                l.arg(&reference(familiar(repo), q.get("tag").unwrap_or("")));
            }
        }
        O::ImageGet => {
            l = Line::docker("save");
            l.object(obj);
        }
        O::ImageGetAll => {
            l = Line::docker("save");
            l.args(q.all("names"));
        }
        O::ImageLoad => {
            // `quiet` is left out: the CLI sets it by itself whenever stdout is no terminal.
            l = Line::docker("load");
            l.opt_some("--platform", q.text("platform"));
        }

        O::NetworkList => {
            l = Line::docker("network ls");
            filters(&mut l, q);
        }
        O::NetworkInspect => {
            l = Line::docker("network inspect");
            l.flag_if(q.flag("verbose"), "-v").object(obj);
        }
        O::NetworkDelete => {
            l = Line::docker("network rm");
            l.object(obj);
        }
        O::NetworkCreate => l = network_create(b),
        O::NetworkConnect => {
            l = Line::docker("network connect");
            for e in objects(b, "endpointconfig") {
                let e = &[e][..];
                for ipam in objects(e, "ipamconfig") {
                    let ipam = &[ipam][..];
                    l.opt_some("--ip", text(ipam, "ipv4address"))
                        .opt_some("--ip6", text(ipam, "ipv6address"));
                }
                for a in list(e, "aliases") {
                    l.opt("--alias", a);
                }
                for a in list(e, "links") {
                    l.opt("--link", a);
                }
            }
            l.object(obj).arg(text(b, "container").unwrap_or(""));
        }
        O::NetworkDisconnect => {
            l = Line::docker("network disconnect");
            l.flag_if(on(b, "force"), "-f")
                .object(obj)
                .arg(text(b, "container").unwrap_or(""));
        }
        O::NetworkPrune => {
            l = Line::docker("network prune");
            filters(&mut l, q);
        }

        O::VolumeList => {
            l = Line::docker("volume ls");
            filters(&mut l, q);
        }
        O::VolumeCreate => {
            l = Line::docker("volume create");
            for d in texts(b, "driver").into_iter().filter(|d| *d != "local") {
                l.opt("-d", d);
            }
            // Option values were redacted (credentials) or kept (type, device) by redact.
            for (k, v) in entries(b, "driveropts") {
                l.opt("-o", &format!("{k}={}", scalar(v)));
            }
            for (k, v) in entries(b, "labels") {
                l.opt("--label", &format!("{k}={}", scalar(v)));
            }
            if let Some(name) = text(b, "name") {
                l.object(name);
            }
        }
        O::VolumeInspect => {
            l = Line::docker("volume inspect");
            l.object(obj);
        }
        O::VolumeUpdate => {
            l = Line::docker("volume update");
            l.object(obj);
        }
        O::VolumeDelete => {
            l = Line::docker("volume rm");
            l.flag_if(q.flag("force"), "-f").object(obj);
        }
        O::VolumePrune => {
            l = Line::docker("volume prune");
            filters(&mut l, q);
        }

        O::Session => l = Line::docker("build (BuildKit session)"),
        O::Grpc => l = Line::docker("buildx (BuildKit gRPC)"),
        O::BuildPrune => {
            l = Line::docker("builder prune");
            l.flag_if(q.flag("all"), "-a")
                .opt_some("--keep-storage", q.text("keep-storage"));
            filters(&mut l, q);
        }
        O::BuildCancel => {
            l = Line::docker("build (cancel)");
            l.object(q.get("id").unwrap_or(""));
        }

        O::SwarmInit => {
            l = Line::docker("swarm init");
            l.opt_some("--advertise-addr", text(b, "advertiseaddr"))
                .opt_some("--listen-addr", text(b, "listenaddr"))
                .opt_some("--data-path-addr", text(b, "datapathaddr"))
                .flag_if(on(b, "forcenewcluster"), "--force-new-cluster");
        }
        O::SwarmJoin => {
            l = Line::docker("swarm join");
            l.opt_some("--token", text(b, "jointoken"))
                .opt_some("--advertise-addr", text(b, "advertiseaddr"))
                .opt_some("--listen-addr", text(b, "listenaddr"))
                .args(list(b, "remoteaddrs"));
        }
        O::SwarmLeave => {
            l = Line::docker("swarm leave");
            l.flag_if(q.flag("force"), "-f");
        }
        O::SwarmUpdate => {
            if q.flag("rotateWorkerToken") || q.flag("rotateManagerToken") {
                l = Line::docker("swarm join-token --rotate");
                l.flag_if(q.flag("rotateWorkerToken"), "worker")
                    .flag_if(q.flag("rotateManagerToken"), "manager");
            } else if q.flag("rotateManagerUnlockKey") {
                l = Line::docker("swarm unlock-key --rotate");
            } else {
                l = Line::docker("swarm update");
            }
        }
        O::SwarmInspect => l = Line::docker("swarm (inspect)"),
        O::SwarmUnlockkey => l = Line::docker("swarm unlock-key"),
        O::SwarmUnlock => l = Line::docker("swarm unlock"),

        O::NodeList => {
            l = Line::docker("node ls");
            filters(&mut l, q);
        }
        O::NodeInspect => {
            l = Line::docker("node inspect");
            l.object(obj);
        }
        O::NodeDelete => {
            l = Line::docker("node rm");
            l.flag_if(q.flag("force"), "-f").object(obj);
        }
        O::NodeUpdate => {
            l = Line::docker("node update");
            l.opt_some("--role", text(b, "role"))
                .opt_some("--availability", text(b, "availability"))
                .object(obj);
        }

        O::ServiceList => {
            l = Line::docker("service ls");
            filters(&mut l, q);
        }
        O::ServiceCreate => l = service_create(b),
        O::ServiceInspect => {
            l = Line::docker("service inspect");
            l.object(obj);
        }
        O::ServiceDelete => {
            l = Line::docker("service rm");
            l.object(obj);
        }
        O::ServiceUpdate => {
            l = Line::docker("service update");
            l.flag_if(q.get("rollback") == Some("previous"), "--rollback")
                .object(obj);
        }
        O::TaskList => {
            l = Line::docker("service ps");
            filters(&mut l, q);
        }
        O::TaskInspect => {
            l = Line::docker("inspect --type task");
            l.object(obj);
        }

        O::SecretList | O::ConfigList => {
            l = Line::docker(kind(op, "ls"));
            filters(&mut l, q);
        }
        O::SecretCreate | O::ConfigCreate => {
            // The data itself is never shown; `-` is where the CLI would read it from.
            l = Line::docker(kind(op, "create"));
            for (k, v) in entries(b, "labels") {
                l.opt("--label", &format!("{k}={}", scalar(v)));
            }
            for d in objects(b, "driver") {
                l.opt_some("-d", text(&[d], "name"));
            }
            l.object(text(b, "name").unwrap_or("")).raw("-");
        }
        O::SecretInspect | O::ConfigInspect => {
            l = Line::docker(kind(op, "inspect"));
            l.object(obj);
        }
        O::SecretDelete | O::ConfigDelete => {
            l = Line::docker(kind(op, "rm"));
            l.object(obj);
        }
        O::SecretUpdate | O::ConfigUpdate => {
            l = Line::docker(kind(op, "(update)"));
            l.object(obj);
        }

        O::PluginList => {
            l = Line::docker("plugin ls");
            filters(&mut l, q);
        }
        O::GetPluginPrivileges => {
            l = Line::docker("plugin install (privileges)");
            l.object(q.get("remote").unwrap_or(""));
        }
        O::PluginPull => {
            l = Line::docker("plugin install");
            l.opt_some("--alias", q.text("name"))
                .object(q.get("remote").unwrap_or(""));
        }
        O::PluginInspect => {
            l = Line::docker("plugin inspect");
            l.object(obj);
        }
        O::PluginDelete => {
            l = Line::docker("plugin rm");
            l.flag_if(q.flag("force"), "-f").object(obj);
        }
        O::PluginEnable => {
            l = Line::docker("plugin enable");
            l.opt_some("--timeout", q.text("timeout").filter(|t| *t != "0"))
                .object(obj);
        }
        O::PluginDisable => {
            l = Line::docker("plugin disable");
            l.flag_if(q.flag("force"), "-f").object(obj);
        }
        O::PluginUpgrade => {
            l = Line::docker("plugin upgrade");
            l.object(obj).arg(q.get("remote").unwrap_or(""));
        }
        O::PluginCreate => {
            l = Line::docker("plugin create");
            l.object(q.get("name").unwrap_or("")).raw("-");
        }
        O::PluginPush => {
            l = Line::docker("plugin push");
            l.object(obj);
        }
        O::PluginSet => {
            // The body is redacted `KEY=<redacted>` assignments.
            l = Line::docker("plugin set");
            l.object(obj);
            if let Some(Value::Array(args)) = cx.body {
                l.args(args.iter().filter_map(Value::as_str));
            }
        }

        O::CheckpointList => {
            l = Line::docker("checkpoint ls");
            l.object(obj);
        }
        O::CheckpointCreate => {
            l = Line::docker("checkpoint create");
            l.flag_if(!on(b, "exit"), "--leave-running")
                .opt_some("--checkpoint-dir", text(b, "checkpointdir"))
                .object(obj)
                .arg(text(b, "checkpointid").unwrap_or(""));
        }
        O::CheckpointDelete => {
            l = Line::docker("checkpoint rm");
            l.object(obj).arg(cx.param("checkpoint"));
        }

        O::Options => l = Line::note("(CORS preflight)"),
        _ => {
            // No docker command makes this call (debug endpoints, attestations, distribution).
            l = Line::note(format!("({})", op.name()));
            if !obj.is_empty() {
                l.object(obj);
            }
        }
    }
    l
}

fn kind(op: Operation, verb: &str) -> String {
    let noun = if op.section() == crate::docker::endpoint::Section::Secrets {
        "secret"
    } else {
        "config"
    };
    format!("{noun} {verb}")
}

fn size(l: &mut Line, q: &Query) {
    l.raw(format!(
        "{}x{}",
        super::line::quote(q.get("w").unwrap_or("?")),
        super::line::quote(q.get("h").unwrap_or("?"))
    ));
}

/// `filters={"type":{"volume":true}}` → `--filter type=volume`. The older list form
/// (`{"type":["volume"]}`) is read too; anything else is shown as sent.
fn filters(l: &mut Line, q: &Query) {
    let Some(raw) = q.text("filters") else {
        return;
    };
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => {
            for (key, values) in &map {
                let values: Vec<&str> = match values {
                    Value::Object(set) => set
                        .iter()
                        .filter(|(_, on)| on.as_bool() != Some(false))
                        .map(|(v, _)| v.as_str())
                        .collect(),
                    Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                for v in values {
                    l.opt("--filter", &format!("{key}={v}"));
                }
            }
        }
        _ => {
            l.opt("--filter", raw);
        }
    }
}

/// The short form the CLI prints: `docker.io/library/busybox` → `busybox`.
fn familiar(repo: &str) -> &str {
    match repo.strip_prefix("docker.io/") {
        Some(rest) => match rest.strip_prefix("library/") {
            Some(name) if !name.contains('/') => name,
            _ => rest,
        },
        None => repo,
    }
}

/// `repo` + `tag` as one reference; a digest joins with `@`.
fn reference(repo: &str, tag: &str) -> String {
    if tag.is_empty() {
        repo.to_owned()
    } else if tag.contains(':') {
        format!("{repo}@{tag}")
    } else {
        format!("{repo}:{tag}")
    }
}

/// Whether a reference already names a tag or digest (`host:5000/img` does not).
fn has_tag(reference: &str) -> bool {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    last.contains(':') || reference.contains('@')
}

/// `POST /images/create`: a pull (`fromImage`) or an import (`fromSrc`).
fn image_create(q: &Query) -> Line {
    let tag = q.get("tag").unwrap_or("");
    if let Some(image) = q.text("fromImage") {
        let image = familiar(image);
        let mut l = Line::docker("pull");
        // No tag and none in the name: dockerd pulls every tag (`docker pull -a`).
        l.flag_if(tag.is_empty() && !has_tag(image), "-a")
            .opt_some("--platform", q.text("platform"))
            .object(&reference(image, tag));
        l
    } else if let Some(src) = q.text("fromSrc") {
        let mut l = Line::docker("import");
        l.opt_some("-m", q.text("message"));
        for c in q.all("changes").filter(|c| !c.is_empty()) {
            l.opt("-c", c);
        }
        l.opt_some("--platform", q.text("platform")).object(src);
        if let Some(repo) = q.text("repo") {
            l.arg(&reference(familiar(repo), tag));
        }
        l
    } else {
        Line::note("(ImageCreate without fromImage or fromSrc)")
    }
}

/// `POST /build`. The context is the request body (a tar, hence `-`), a `remote` URL the
/// daemon fetches, or — with BuildKit's `remote=client-session` — the session.
fn build(q: &Query) -> Line {
    let buildkit = q.get("version") == Some("2");
    let mut l = Line::docker(if buildkit {
        "build (BuildKit)"
    } else {
        "build"
    });
    for t in q.all("t").filter(|t| !t.is_empty()) {
        l.opt("-t", t);
    }
    if let Some(f) = q.text("dockerfile").filter(|f| *f != "Dockerfile") {
        l.opt("-f", f);
    }
    match q.text("buildargs").map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(args))) => {
            // Values were replaced by redact::query before this point.
            for (k, v) in &args {
                match v {
                    Value::Null => l.opt("--build-arg", k),
                    v => l.opt("--build-arg", &format!("{k}={}", scalar(v))),
                };
            }
        }
        Some(_) => {
            l.opt("--build-arg", crate::see::redact::MARKER);
        }
        None => {}
    }
    l.opt_some("--target", q.text("target"));
    if let Some(n) = q.text("networkmode").filter(|n| *n != "default") {
        l.opt("--network", n);
    }
    l.flag_if(q.flag("nocache"), "--no-cache")
        .flag_if(q.flag("pull"), "--pull")
        .flag_if(q.flag("q"), "-q")
        .opt_some("--platform", q.text("platform"));
    if let Some(Ok(Value::Object(labels))) = q.text("labels").map(serde_json::from_str::<Value>) {
        for (k, v) in &labels {
            l.opt("--label", &format!("{k}={}", scalar(v)));
        }
    }
    if let Some(Ok(Value::Array(from))) = q.text("cachefrom").map(serde_json::from_str::<Value>) {
        l.args_flagged("--cache-from", from.iter().filter_map(Value::as_str));
    }
    if let Some(Ok(Value::Array(hosts))) = q.text("extrahosts").map(serde_json::from_str::<Value>) {
        l.args_flagged("--add-host", hosts.iter().filter_map(Value::as_str));
    }
    l.opt_some("--cgroup-parent", q.text("cgroupparent"))
        .flag_if(q.flag("forcerm"), "--force-rm")
        .flag_if(q.flag("squash"), "--squash");
    if !q.flag_or("rm", true) {
        l.raw("--rm=false");
    }
    match q.text("remote") {
        Some("client-session") => l.raw("(context from the session)"),
        Some(url) => l.arg(url),
        None => l.raw("-"),
    };
    l
}

fn network_create(b: &[&Value]) -> Line {
    let mut l = Line::docker("network create");
    for d in texts(b, "driver").into_iter().filter(|d| *d != "bridge") {
        l.opt("-d", d);
    }
    l.flag_if(on(b, "internal"), "--internal")
        .flag_if(on(b, "attachable"), "--attachable")
        .flag_if(on(b, "ingress"), "--ingress")
        .flag_if(on(b, "enableipv6"), "--ipv6")
        .flag_if(on(b, "configonly"), "--config-only")
        .opt_some("--scope", text(b, "scope"));
    for from in objects(b, "configfrom") {
        l.opt_some("--config-from", text(&[from], "network"));
    }
    for ipam in objects(b, "ipam") {
        let ipam = &[ipam][..];
        for d in texts(ipam, "driver")
            .into_iter()
            .filter(|d| *d != "default")
        {
            l.opt("--ipam-driver", d);
        }
        for c in items(ipam, "config") {
            let c = &[c][..];
            l.opt_some("--subnet", text(c, "subnet"))
                .opt_some("--ip-range", text(c, "iprange"))
                .opt_some("--gateway", text(c, "gateway"));
        }
    }
    for (k, v) in entries(b, "options") {
        l.opt("-o", &format!("{k}={}", scalar(v)));
    }
    for (k, v) in entries(b, "labels") {
        l.opt("--label", &format!("{k}={}", scalar(v)));
    }
    if let Some(name) = text(b, "name") {
        l.object(name);
    }
    l
}

/// `docker service create` from the main parts of a service spec.
fn service_create(b: &[&Value]) -> Line {
    let mut l = Line::docker("service create");
    l.opt_some("--name", text(b, "name"));
    for mode in objects(b, "mode") {
        let m = &[mode][..];
        if !objects(m, "global").is_empty() {
            l.opt("--mode", "global");
        }
        for r in objects(m, "replicated") {
            for n in members_i64(&[r], "replicas") {
                l.opt("--replicas", &n.to_string());
            }
        }
    }
    for (k, v) in entries(b, "labels") {
        l.opt("--label", &format!("{k}={}", scalar(v)));
    }
    let tasks = objects(b, "tasktemplate");
    let specs: Vec<&Value> = tasks
        .iter()
        .flat_map(|t| objects(&[t], "containerspec"))
        .collect();
    let s = &specs[..];
    for u in texts(s, "user") {
        l.opt("-u", u);
    }
    for cap in list(s, "capabilityadd") {
        l.opt("--cap-add", cap);
    }
    for m in items(s, "mounts") {
        l.opt("--mount", &container::mount(m));
    }
    for e in objects(b, "endpointspec") {
        for p in items(&[e], "ports") {
            let p = &[p][..];
            let target = members_i64(p, "targetport").first().copied().unwrap_or(0);
            let mut spec = match members_i64(p, "publishedport").first() {
                Some(published) => format!("{published}:{target}"),
                None => target.to_string(),
            };
            if let Some(proto) = text(p, "protocol").filter(|p| *p != "tcp") {
                spec = format!("{spec}/{proto}");
            }
            l.opt("-p", &spec);
        }
    }
    for w in texts(s, "dir") {
        l.opt("-w", w);
    }
    container::env(&mut l, s);
    let command = list(s, "command");
    if let Some(first) = command.first() {
        l.opt("--entrypoint", first);
    }
    if let Some(image) = text(s, "image") {
        l.object(image);
    }
    l.args(command.iter().skip(1).copied());
    l.args(list(s, "args"));
    l
}

fn members_i64(srcs: &[&Value], name: &str) -> Vec<i64> {
    super::fields::members(srcs, name)
        .into_iter()
        .filter_map(Value::as_i64)
        .collect()
}
