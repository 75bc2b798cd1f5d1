//! System calls: `docker version`, `info`, `system df`, `events`, `login`, and the ping and
//! CORS preflight that no command is typed for.

use super::{filters, Ctx};
use crate::docker::endpoint::Operation;
use crate::see::action::fields::text;
use crate::see::action::line::Line;

pub(super) fn render(cx: &Ctx, op: Operation) -> Option<Line> {
    use Operation as O;
    let q = &cx.q;
    let b = cx.body();
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
        O::Options => l = Line::note("(CORS preflight)"),
        _ => return None,
    }
    Some(l)
}
