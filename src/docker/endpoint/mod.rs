//! Pure Docker Engine API knowledge: which endpoint a request is, as dockerd routes it.
//!
//! No I/O and no state: [`classify`] replays what dockerd does with a request line — Go's
//! single percent-decode, gorilla/mux's clean-or-301, then first match in dockerd's ordered
//! route table, with or without a `/v{version}` prefix — so the relay, the policy and the
//! audit log all reason about the request dockerd will act on, not about its spelling.
//! The table is the union of the 20.10 daemon and moby master, plus Podman's own libpod
//! routes (`/v{version}/libpod/…`, section `libpod`); [`Classified::daemons`] says which of
//! them route a request where.

mod index;
mod libpod;
mod lookup;
mod operation;
mod path;
mod table;
mod template;
mod version;

use std::borrow::Cow;
use std::fmt;

pub use operation::{Operation, Section, Streaming, UnknownName};
pub use path::{clean as clean_path, decode as decode_path, PathError};
pub use table::{Daemons, Method, Route, ROUTES};
pub use version::{compare_versions, ApiVersion};

use template::Capture;

/// How an endpoint uses the connection beyond plain HTTP request/response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hijack {
    /// Plain request/response (possibly streamed).
    No,
    /// dockerd hijacks the connection whatever the headers say (`POST /containers/{id}/attach`).
    Always,
    /// dockerd hijacks unless the JSON body says `Detach: true` (`POST /exec/{id}/start`).
    UnlessDetached,
    /// Hijacked only through an explicit `Upgrade` handshake (`/session`, `/grpc`, `attach/ws`).
    OnUpgrade,
}

/// What dockerd does with a request path, before any handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition<'a> {
    /// A handler runs: this route matched.
    Routed(&'static Route),
    /// 404 `page not found`: no route has this method and path (mux never answers 405).
    NotFound,
    /// 301 to this cleaned, decoded path: mux refuses paths `path.Clean` would change
    /// (`//`, `/./`, `/../`, `%2e%2e`), so no handler ever sees them.
    Redirect(&'a str),
    /// Go's server answers 400 before routing, or sockeye will not read the path.
    Rejected(PathError),
}

#[derive(Clone, Debug)]
enum State {
    Routed(&'static Route),
    NotFound,
    Redirect(String),
    Rejected(PathError),
}

/// What sockeye knows about one request target.
#[derive(Clone, Debug)]
pub struct Classified {
    /// The decoded path; empty when it was rejected.
    path: String,
    state: State,
    version: Option<Capture>,
    params: [Option<Capture>; 2],
    daemons: Daemons,
    percent_encoded: bool,
    encoded_slash: bool,
}

impl Classified {
    /// Stands in for a request nobody will look at (no view, no policy asks), so the relay
    /// does not spend a route lookup on it: it names no endpoint and does not hijack.
    pub fn unclassified() -> Classified {
        Classified {
            path: String::new(),
            state: State::NotFound,
            version: None,
            params: [None, None],
            daemons: Daemons::NONE,
            percent_encoded: false,
            encoded_slash: false,
        }
    }

    /// Whether and how dockerd will take over the connection.
    pub fn hijack(&self) -> Hijack {
        self.operation().map_or(Hijack::No, Operation::hijack)
    }

    /// The endpoint, or `None` when dockerd runs no handler (404, 301, 400).
    pub fn operation(&self) -> Option<Operation> {
        self.route().map(|r| r.operation)
    }

    /// The endpoint's name, `Unknown` when there is none.
    pub fn name(&self) -> &'static str {
        self.operation().map_or("Unknown", Operation::name)
    }

    /// The matched registration (method, mux template, minimum API, daemons).
    ///
    /// When both daemons route the request but through different registrations (the debug
    /// routes) this is the one listed first; [`Classified::daemons`] is the authority on
    /// which daemons route it.
    pub fn route(&self) -> Option<&'static Route> {
        match self.state {
            State::Routed(route) => Some(route),
            _ => None,
        }
    }

    pub fn section(&self) -> Option<Section> {
        self.operation().map(Operation::section)
    }

    pub fn streaming(&self) -> Option<Streaming> {
        self.operation().map(Operation::streaming)
    }

    pub fn disposition(&self) -> Disposition<'_> {
        match &self.state {
            State::Routed(route) => Disposition::Routed(route),
            State::NotFound => Disposition::NotFound,
            State::Redirect(to) => Disposition::Redirect(to),
            State::Rejected(e) => Disposition::Rejected(*e),
        }
    }

    /// The `/v{version}` prefix, decoded; `None` for an unversioned path, which dockerd
    /// serves at its default (maximum) version. Also given for a 404 behind a version prefix.
    pub fn version(&self) -> Option<ApiVersion<'_>> {
        self.version.map(|c| ApiVersion::new(self.span(c)))
    }

    /// A path variable by its name in the mux template (`name`, `id`, `checkpoint`,
    /// `anyroute`), decoded, exactly as the handler will read it. Image names keep their
    /// slashes and colons; `{name:.*}` may be empty (`DELETE /containers/`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// All path variables in template order.
    pub fn params(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.params
            .iter()
            .flatten()
            .map(|c| (c.name, self.span(*c)))
    }

    /// The object acted on: the first path variable (the container of a checkpoint
    /// delete, the exec id of `ExecStart`, the image of `ImagePush`), not the path an
    /// `OPTIONS` request names.
    pub fn object(&self) -> Option<&str> {
        self.params()
            .find(|(n, _)| *n != "anyroute")
            .map(|(_, v)| v)
    }

    /// The decoded path with the object ([`Classified::object`]) replaced by `with`: the same
    /// request, pinned to the object it resolved to.
    pub fn path_with_object(&self, with: &str) -> Option<String> {
        let c = self
            .params
            .iter()
            .flatten()
            .find(|c| c.name != "anyroute")?;
        Some(format!(
            "{}{with}{}",
            &self.path[..c.start],
            &self.path[c.end..]
        ))
    }

    /// The path after Go's single percent-decode; `None` if it was rejected.
    pub fn decoded_path(&self) -> Option<&str> {
        match self.state {
            State::Rejected(_) => None,
            _ => Some(&self.path),
        }
    }

    /// Which daemons route this request to [`Classified::operation`].
    pub fn daemons(&self) -> Daemons {
        self.daemons
    }

    /// The raw path contained percent escapes, so its spelling differs from what dockerd
    /// matched. The CLI escapes nothing in paths.
    pub fn percent_encoded(&self) -> bool {
        self.percent_encoded
    }

    /// The raw path contained `%2F`, which dockerd reads as a separator
    /// (`/v1.41%2Fcontainers/json` is the container list). The CLI never sends one.
    pub fn encoded_slash(&self) -> bool {
        self.encoded_slash
    }

    fn span(&self, c: Capture) -> &str {
        &self.path[c.start..c.end]
    }

    fn with_state(path: String, state: State, raw: &str) -> Classified {
        let percent_encoded = raw.contains('%');
        Classified {
            path,
            state,
            version: None,
            params: [None; 2],
            daemons: Daemons::NONE,
            percent_encoded,
            encoded_slash: percent_encoded && path::has_encoded_slash(raw),
        }
    }
}

impl fmt::Display for Classified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.disposition() {
            Disposition::Routed(route) => {
                write!(f, "{} {}", route.operation, route.operation.spec_path())
            }
            Disposition::NotFound => f.write_str("Unknown (404 not found)"),
            Disposition::Redirect(to) => write!(f, "Unknown (301 to {to})"),
            Disposition::Rejected(e) => write!(f, "Unknown (400 {e})"),
        }
    }
}

/// Classify `method` + raw request path (still percent-encoded, without the query) as
/// dockerd would route it, on either daemon, or as Podman routes its libpod paths.
pub fn classify(method: &str, raw_path: &str) -> Classified {
    classify_for(Daemons::ALL, method, raw_path)
}

/// Classify as only the given daemons would route it (e.g. [`Daemons::V20_10`] once the
/// relay knows what it talks to): routes the others alone serve are then not found.
pub fn classify_for(daemons: Daemons, method: &str, raw_path: &str) -> Classified {
    let decoded = match path::decode(raw_path) {
        Ok(decoded) => decoded,
        Err(e) => return Classified::with_state(String::new(), State::Rejected(e), raw_path),
    };
    // `clean` borrows exactly when the path is already clean.
    if let Cow::Owned(to) = path::clean(&decoded) {
        return Classified::with_state(decoded, State::Redirect(to), raw_path);
    }
    let found = lookup::lookup(method, &decoded, daemons).or_else(|| {
        daemons
            .podman
            .then(|| lookup::lookup_podman_prefixed(method, &decoded))
            .flatten()
    });
    let Some(found) = found else {
        // mux's catch-all `/v{version:[0-9.]+}/{path:.*}` answers these 404s.
        let version = template::matches("/{path:.*}", true, &decoded)
            .and_then(|c| c.iter().find(|c| c.name == "version"));
        let mut out = Classified::with_state(decoded, State::NotFound, raw_path);
        out.version = version;
        return out;
    };
    let mut out = Classified::with_state(decoded, State::Routed(found.route), raw_path);
    out.daemons = found.daemons;
    let mut slots = out.params.iter_mut();
    for capture in found.captures.iter() {
        if capture.name == "version" {
            out.version = Some(capture);
        } else if let Some(slot) = slots.next() {
            *slot = Some(capture);
        }
    }
    out
}

#[cfg(test)]
mod tests;
