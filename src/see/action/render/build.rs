//! `docker build`, classic and BuildKit: the build call, its session, `builder prune`.

use serde_json::Value;

use super::{filters, Ctx};
use crate::docker::endpoint::Operation;
use crate::see::action::fields::scalar;
use crate::see::action::line::Line;
use crate::see::action::query::Query;

pub(super) fn render(cx: &Ctx, op: Operation) -> Option<Line> {
    use Operation as O;
    let q = &cx.q;
    let mut l;
    match op {
        O::ImageBuild => l = build(q),
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
        _ => return None,
    }
    Some(l)
}

/// What stands for a build context sent as the request body.
pub(crate) const CONTEXT: &str = "<context>";

/// `POST /build`. The context is the request body (a tar, shown as [`CONTEXT`]), a `remote`
/// URL the daemon fetches, or — with BuildKit's `remote=client-session` — the session.
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
    match q.text("dockerfile") {
        // `-f -`: the CLI adds the Dockerfile it read from stdin to the context under a
        // random name of this shape.
        Some(f) if f.starts_with(".dockerfile.") => {
            l.raw("-f").raw("-");
        }
        Some(f) if f != "Dockerfile" => {
            l.opt("-f", f);
        }
        _ => {}
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
        // The tar of a directory (`docker build .`, `docker build ctx`) or of stdin (`-`):
        // the same bytes on the wire, and the directory's name is not among them.
        None => l.raw(CONTEXT),
    };
    l
}
