//! IDs the daemon hands out (a created container's, an exec's) are new on every run: a
//! replay that sent the recorded ones would start the old container, or get a 404. The
//! script reads each such ID from its own answer into a shell variable and uses the variable
//! wherever the recording used the ID.

use crate::docker::endpoint::Operation;

use super::super::Exchange;
use super::quote;

/// The function the script reads IDs with: `sed`, so that it runs where jq is not installed.
/// The answers it reads are one JSON object with one `Id` (or `ID`) of hex or base-32.
pub(super) const ID_OF: &str = "# The \"Id\" of a JSON answer (read with sed: jq is not needed).\n\
     id_of() { printf '%s\\n' \"$1\" | sed -n 's/.*\"I[dD]\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p'; }\n";

/// IDs too short to be told apart from other text are left as recorded.
const MIN_ID: usize = 12;

/// The IDs read so far, each with its variable.
#[derive(Default)]
pub(super) struct Ids {
    vars: Vec<(String, String)>,
    /// Exec instances created to read stdin: their start cannot be replayed by curl, which
    /// has no stdin to give them and would wait forever.
    stdin_execs: Vec<String>,
}

impl Ids {
    /// The ID `call`'s answer created and the stem of its variable's name, if a later call
    /// names it.
    pub(super) fn wanted(
        call: &Exchange,
        op: Option<Operation>,
        later: &[Exchange],
    ) -> Option<(String, &'static str)> {
        let id = created(call)?;
        let used = later.iter().any(|c| {
            c.target.contains(&id)
                || c.request_body
                    .as_deref()
                    .is_some_and(|b| String::from_utf8_lossy(b).contains(&id))
        });
        used.then(|| (id, stem(op)))
    }

    /// The script read `id` into `$var` from `call`'s answer.
    pub(super) fn learn(
        &mut self,
        id: String,
        var: String,
        call: &Exchange,
        op: Option<Operation>,
    ) {
        if op == Some(Operation::ContainerExec) && attaches_stdin(call) {
            self.stdin_execs.push(id.clone());
        }
        self.vars.push((id, var));
    }

    /// Whether `call` starts an exec that wants stdin.
    pub(super) fn starts_stdin_exec(&self, call: &Exchange) -> bool {
        self.stdin_execs
            .iter()
            .any(|id| call.target.contains(id.as_str()))
    }

    /// `s` as one sh word: the recorded IDs as `"$var"`, the rest single-quoted.
    pub(super) fn word(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some((at, id, var)) = self
            .vars
            .iter()
            .filter_map(|(id, var)| rest.find(id.as_str()).map(|at| (at, id, var)))
            .min_by_key(|(at, id, _)| (*at, std::cmp::Reverse(id.len())))
        {
            if at > 0 {
                out.push_str(&quote(&rest[..at]));
            }
            out.push_str(&format!("\"${var}\""));
            rest = &rest[at + id.len()..];
        }
        if !rest.is_empty() || out.is_empty() {
            out.push_str(&quote(rest));
        }
        out
    }
}

/// The ID in a successful answer that created something: a JSON object's `Id` or `ID`.
fn created(call: &Exchange) -> Option<String> {
    if !call.method.eq_ignore_ascii_case("POST")
        || !call.status.is_some_and(|s| (200..300).contains(&s))
    {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(call.response_body.as_deref()?).ok()?;
    let id = v.get("Id").or_else(|| v.get("ID"))?.as_str()?;
    let plain = id.bytes().all(|b| b.is_ascii_alphanumeric());
    (plain && id.len() >= MIN_ID).then(|| id.to_owned())
}

/// The variable's name says what the ID is.
fn stem(op: Option<Operation>) -> &'static str {
    match op {
        Some(Operation::ContainerCreate) => "container",
        Some(Operation::ContainerExec) => "exec",
        Some(Operation::NetworkCreate) => "network",
        Some(Operation::ServiceCreate) => "service",
        Some(Operation::SecretCreate) => "secret",
        Some(Operation::ConfigCreate) => "config",
        _ => "id",
    }
}

fn attaches_stdin(call: &Exchange) -> bool {
    call.request_body
        .as_deref()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|v| v.get("AttachStdin").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}
