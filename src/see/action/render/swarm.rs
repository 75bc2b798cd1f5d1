//! Swarm mode: `docker swarm`, `node`, `service`, `secret` and `config` calls.

use serde_json::Value;

use super::containers::logs;
use super::{filters, Ctx};
use crate::docker::endpoint::Operation;
use crate::see::action::container;
use crate::see::action::fields::{entries, items, list, members, objects, on, scalar, text, texts};
use crate::see::action::line::Line;

pub(super) fn render(cx: &Ctx, op: Operation) -> Option<Line> {
    use Operation as O;
    let q = &cx.q;
    let b = cx.body();
    let obj = cx.object();
    let mut l;
    match op {
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
        O::ServiceLogs | O::TaskLogs => l = logs(cx, op),
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
        _ => return None,
    }
    Some(l)
}

fn kind(op: Operation, verb: &str) -> String {
    let noun = if op.section() == crate::docker::endpoint::Section::Secrets {
        "secret"
    } else {
        "config"
    };
    format!("{noun} {verb}")
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
        l.opt("--cap-add", container::typed_capability(cap));
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
    members(srcs, name)
        .into_iter()
        .filter_map(Value::as_i64)
        .collect()
}
