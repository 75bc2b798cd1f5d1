//! Container, exec and checkpoint calls: `docker ps`, `create`, `start`, `logs`, `exec`,
//! `cp`, `checkpoint`, ….

use super::{filters, Ctx};
use crate::docker::endpoint::Operation;
use crate::see::action::container;
use crate::see::action::fields::{on, text};
use crate::see::action::line::{quote, Line};
use crate::see::action::query::Query;

/// What stands for `docker cp`'s local side: a path or `-`, which the wire cannot tell apart.
const LOCAL: &str = "<path>";

pub(super) fn render(cx: &Ctx, op: Operation) -> Option<Line> {
    use Operation as O;
    let q = &cx.q;
    let b = cx.body();
    let obj = cx.object();
    let mut l;
    match op {
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
        O::ContainerLogs => l = logs(cx, op),
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
                l.raw(format!("(until {})", quote(c)));
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
        // The local side travels as a tar stream, from a path or from `-` (stdin/stdout)
        // alike, and its name is not in it: [`LOCAL`] stands for it.
        O::ContainerArchive => {
            l = Line::docker("cp");
            l.object(&format!("{obj}:{}", q.get("path").unwrap_or("")))
                .raw(LOCAL);
        }
        O::PutContainerArchive => {
            l = Line::docker("cp");
            l.flag_if(q.flag("copyUIDGID"), "-a")
                .raw(LOCAL)
                .object(&format!("{obj}:{}", q.get("path").unwrap_or("")));
        }
        O::ContainerCopy => {
            l = Line::docker("cp");
            let resource = text(b, "resource").unwrap_or("");
            l.object(&format!("{obj}:{resource}")).raw(LOCAL);
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
        _ => return None,
    }
    Some(l)
}

fn size(l: &mut Line, q: &Query) {
    l.raw(format!(
        "{}x{}",
        quote(q.get("w").unwrap_or("?")),
        quote(q.get("h").unwrap_or("?"))
    ));
}

/// `docker logs`; services and tasks take the same query (`docker service logs`).
pub(super) fn logs(cx: &Ctx, op: Operation) -> Line {
    let q = &cx.q;
    let mut l = Line::docker(if op == Operation::ContainerLogs {
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
        .object(cx.object());
    l
}
