//! Each API call named as the docker command a person would have typed.
//!
//! [`action`] turns one call into a line such as `docker ps -a` or
//! `docker create --name x --privileged -v /:/host -e TOKEN=<redacted> img true`;
//! [`summarize`] turns the calls of one CLI invocation into the one command behind them
//! (`create` + `attach` + `wait` + `start` → `docker run --rm img echo hi`).
//!
//! Pure: no I/O, no state. Queries are read as dockerd reads them ([`query`]) and bodies with
//! dockerd's case-insensitive keys; everything shown has first been through
//! [`crate::see::redact`], so no line carries a password, an env value or a build arg.
//!
//! # Grouping calls for [`summarize`]
//!
//! One group is the calls of one CLI process. sockeye knows each client's pid from the socket
//! (`SO_PEERCRED`), and every docker CLI invocation begins with `HEAD /_ping` (API version
//! negotiation) before anything else, on its first connection. So: key open groups by client
//! pid; a ping from that pid closes the previous group and opens a new one — unless the group
//! holds nothing but pings, since the client retries a failed `HEAD /_ping` as `GET /_ping`;
//! a call from a pid with no open group opens one; close a group when the pid has no
//! connection left (its calls may run in parallel on several connections — `docker run` uses
//! three, `docker rm -f a b c` one per container — and belong together). Feed the records in
//! the order the requests arrived.
//!
//! Other clients (Compose, SDKs) ping once and then make many calls; their groups summarise
//! as the distinct commands joined by `; `.

mod container;
mod fields;
pub mod group;
mod line;
pub mod query;
mod render;
mod summary;

use std::borrow::Cow;

use serde_json::Value;

use crate::docker::endpoint::{Classified, Operation};
use crate::see::redact;

pub use group::{client_key, Grouper};
use line::Line;
use query::Query;
use render::Ctx;

/// What [`action`] needs to know about one request.
#[derive(Clone, Copy, Debug)]
pub struct CallFacts<'a> {
    /// As sent; the classifier already tells endpoints apart by method.
    pub method: &'a str,
    pub route: &'a Classified,
    /// The raw query string, percent-encoded, without `?`.
    pub query: &'a str,
    /// The request's JSON body, if it had one (not yet redacted: that happens here).
    pub body: Option<&'a Value>,
}

/// The docker command line for one call, secrets redacted.
pub fn action(f: &CallFacts) -> String {
    let op = f.route.operation();
    let body = redacted_body(op, f.body);
    redacted_action(f.route, &redacted_query(op, f.query), body.as_ref())
}

/// [`action`] for a query and body that [`redacted_query`] and [`redact::json_body`] have
/// already been through, so a caller that shows them too ([`crate::see::describe`]) redacts
/// each once.
pub(crate) fn redacted_action(route: &Classified, query: &str, body: Option<&Value>) -> String {
    render::render(&Ctx {
        route,
        q: Query::parse(query),
        body,
        name: None,
    })
    .finish()
}

/// A copy of the body with its secrets redacted.
fn redacted_body(op: Option<Operation>, body: Option<&Value>) -> Option<Value> {
    body.map(|b| {
        let mut b = b.clone();
        redact::json_body(op, &mut b);
        b
    })
}

/// [`redact::query`], without its work for the empty query most calls have (it stays
/// empty).
pub(crate) fn redacted_query(op: Option<Operation>, raw: &str) -> Cow<'_, str> {
    if raw.is_empty() {
        Cow::Borrowed("")
    } else {
        Cow::Owned(redact::query(op, raw))
    }
}

/// One call, kept for [`summarize`]: owned, and holding nothing secret — query and body are
/// stored redacted, so a record may sit in memory or be logged as it is.
#[derive(Clone, Debug)]
pub struct ActionRecord {
    pub op: Option<Operation>,
    /// What [`action`] says about this call.
    pub action: String,
    route: Classified,
    query: String,
    body: Option<Value>,
    /// The answer's status, when known: a command that stopped at a failed look-up is told
    /// apart by it.
    status: Option<u16>,
}

impl ActionRecord {
    pub fn new(f: &CallFacts) -> ActionRecord {
        let op = f.route.operation();
        let mut record = ActionRecord {
            op,
            action: String::new(),
            route: f.route.clone(),
            query: redacted_query(op, f.query).into_owned(),
            body: redacted_body(op, f.body),
            status: None,
        };
        record.action = record.line(None).finish();
        record
    }

    /// The record of a call the daemon answered with `status`.
    pub fn with_status(mut self, status: Option<u16>) -> ActionRecord {
        self.status = status;
        self
    }

    /// The query as [`redact::query`] left it (still percent-encoded).
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The JSON body as [`redact::json_body`] left it.
    pub fn body(&self) -> Option<&Value> {
        self.body.as_ref()
    }

    pub fn route(&self) -> &Classified {
        &self.route
    }

    fn line(&self, name: Option<&str>) -> Line {
        render::render(&Ctx {
            route: &self.route,
            q: Query::parse(&self.query),
            body: self.body.as_ref(),
            name,
        })
    }
}

impl From<&CallFacts<'_>> for ActionRecord {
    fn from(f: &CallFacts<'_>) -> ActionRecord {
        ActionRecord::new(f)
    }
}

/// The command one CLI invocation ran, from all its calls in arrival order (see the module
/// docs for grouping). Empty for no calls.
pub fn summarize(calls: &[ActionRecord]) -> String {
    summary::summarize(calls)
}

/// The commands of [`summarize`], one each, in the order their calls arrived.
pub fn steps(calls: &[ActionRecord]) -> Vec<String> {
    summary::steps(calls)
}

#[cfg(test)]
mod tests;
