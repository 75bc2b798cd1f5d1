//! One API call → the docker command line that makes it.
//!
//! Flag names are the CLI's (`-e`, `-v`, `--network`); values come from the query and body
//! as dockerd reads them. Where the CLI has no command for a call, or the call is one step of
//! a command, the line says so in parentheses (`docker exec (start 706048e3ecbc)`), and a
//! call with no route is `(unknown endpoint)`: nothing is made up.

mod build;
mod containers;
mod images;
mod networks;
mod plugins;
mod swarm;
mod system;
mod volumes;

use serde_json::Value;

use super::line::Line;
use super::query::Query;
use crate::docker::endpoint::{Classified, Section};

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

/// Each API section's calls are laid out in the file named for it; a call its section has no
/// docker command for (`None`) is named by its operation.
pub(crate) fn render(cx: &Ctx) -> Line {
    let Some(op) = cx.route.operation() else {
        return Line::note("(unknown endpoint)");
    };
    let line = match op.section() {
        Section::System => system::render(cx, op),
        Section::Containers | Section::Exec | Section::Checkpoints => containers::render(cx, op),
        Section::Images => images::render(cx, op),
        Section::Build | Section::Session | Section::Grpc => build::render(cx, op),
        Section::Networks => networks::render(cx, op),
        Section::Volumes => volumes::render(cx, op),
        Section::Swarm
        | Section::Nodes
        | Section::Services
        | Section::Tasks
        | Section::Secrets
        | Section::Configs => swarm::render(cx, op),
        Section::Plugins => plugins::render(cx, op),
        // Podman's own calls are named by their operation (`ContainerCreateLibpod`): the
        // docker CLI never makes them, and their bodies are not read.
        Section::Distribution | Section::Debug | Section::Libpod => None,
    };
    line.unwrap_or_else(|| {
        // No docker command makes this call (debug endpoints, attestations, distribution).
        let mut l = Line::note(format!("({})", op.name()));
        let obj = cx.object();
        if !obj.is_empty() {
            l.object(obj);
        }
        l
    })
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
