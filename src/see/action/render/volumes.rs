//! `docker volume` calls.

use super::{filters, Ctx};
use crate::docker::endpoint::Operation;
use crate::see::action::fields::{entries, scalar, text, texts};
use crate::see::action::line::Line;

pub(super) fn render(cx: &Ctx, op: Operation) -> Option<Line> {
    use Operation as O;
    let q = &cx.q;
    let b = cx.body();
    let obj = cx.object();
    let mut l;
    match op {
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
        _ => return None,
    }
    Some(l)
}
