//! `docker plugin` calls.

use serde_json::Value;

use super::{filters, Ctx};
use crate::docker::endpoint::Operation;
use crate::see::action::line::Line;

pub(super) fn render(cx: &Ctx, op: Operation) -> Option<Line> {
    use Operation as O;
    let q = &cx.q;
    let obj = cx.object();
    let mut l;
    match op {
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
        _ => return None,
    }
    Some(l)
}
