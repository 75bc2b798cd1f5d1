//! `docker network` calls.

use serde_json::Value;

use super::{filters, Ctx};
use crate::docker::endpoint::Operation;
use crate::see::action::fields::{entries, items, list, objects, on, scalar, text, texts};
use crate::see::action::line::Line;

pub(super) fn render(cx: &Ctx, op: Operation) -> Option<Line> {
    use Operation as O;
    let q = &cx.q;
    let b = cx.body();
    let obj = cx.object();
    let mut l;
    match op {
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
        _ => return None,
    }
    Some(l)
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
