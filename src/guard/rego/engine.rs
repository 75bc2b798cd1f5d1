//! The regorus engine behind a Rego policy: loading (Rego v1, or v0 when only its syntax
//! is v0; the queried rule and the built-ins the policy calls checked up front), evaluation
//! as opa-docker-authz evaluates, and the decision the relay acts on.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::builtins::unavailable_call;
use super::INPUT_ERROR;
use crate::guard::policy::{Decision, Denial, Permit};

/// opa-docker-authz's `-allowPath` default.
pub const DEFAULT_QUERY: &str = "data.docker.authz.allow";

/// opa-docker-authz's `Msg` for a request its policy did not allow.
pub const DEFAULT_DENY_REASON: &str = "request rejected by administrative policy";

/// The rule beside the queried one whose value, on a denial, becomes the reason (a sockeye
/// extension: opa-docker-authz only ever says [`DEFAULT_DENY_REASON`]).
pub const REASON_RULE: &str = "reason";

/// A loaded Rego policy, ready to be evaluated from any thread.
///
/// Evaluation goes through regorus's [`regorus::CompiledPolicy`], which is immutable and
/// shared (`Arc`) between threads: each evaluation builds a throw-away interpreter over the
/// shared compiled rules, so the relay's runtimes never wait for each other and no
/// evaluation can see state left by another.
#[derive(Clone, Debug)]
pub struct RegoPolicy {
    inner: Arc<Compiled>,
    skip_ping: bool,
}

struct Compiled {
    /// The file name as given, for messages.
    name: String,
    /// `rego:<file stem>`, the rule name decisions carry.
    rule: String,
    query: String,
    rego_v0: bool,
    allow: regorus::CompiledPolicy,
    /// The [`REASON_RULE`] next to the query's rule, when the policy defines one.
    reason: Option<regorus::CompiledPolicy>,
    /// The bundle's revision (its manifest's), for a policy from an OPA bundle.
    revision: Option<Arc<str>>,
}

impl std::fmt::Debug for Compiled {
    // The compiled rules would print the whole syntax tree.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("name", &self.name)
            .field("query", &self.query)
            .field("rego_v0", &self.rego_v0)
            .field("reason", &self.reason.is_some())
            .finish_non_exhaustive()
    }
}

/// What a policy said about one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegoOutcome {
    pub allow: bool,
    /// Why, when the policy said so: its [`REASON_RULE`] (or the `reason` member of an
    /// object-valued answer), or `skip-ping` for the ping opa-docker-authz never evaluates.
    pub reason: Option<String>,
}

/// How to ask a policy: the counterparts of opa-docker-authz's `-allowPath` and
/// `-skip-ping`, with the same defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegoOptions {
    /// The rule to evaluate: `data.a.b.allow`, or `/a/b/allow` as opa-docker-authz also
    /// accepts it. Only rule paths: a typo is then a load error, not a policy that is always
    /// undefined.
    pub query: String,
    /// Allow `HEAD /_ping` without asking the policy, as opa-docker-authz does by default:
    /// the docker CLI pings before every command, and a policy written for
    /// opa-docker-authz never saw that request.
    pub skip_ping: bool,
}

impl Default for RegoOptions {
    fn default() -> RegoOptions {
        RegoOptions {
            query: DEFAULT_QUERY.to_owned(),
            skip_ping: true,
        }
    }
}

impl RegoPolicy {
    /// [`RegoPolicy::load`] with the default options.
    pub fn from_text(name: &str, text: &str) -> Result<RegoPolicy, String> {
        RegoPolicy::load(name, text, &RegoOptions::default())
    }

    /// [`RegoPolicy::load_file`] with the default options.
    pub fn from_file(path: &Path) -> Result<RegoPolicy, String> {
        RegoPolicy::load_file(path, &RegoOptions::default())
    }

    /// Parse and compile a policy. `name` is the file name, used in error messages and in
    /// the rule name decisions carry (`rego:<stem>`).
    ///
    /// The policy is read as Rego v1, as opa-docker-authz (OPA ≥ 1.0) reads it. A file that
    /// is not valid v1 only because it is v0 (the syntax of opa-docker-authz ≤ 0.9 and of
    /// most published examples) is read as v0, see [`RegoPolicy::rego_v0`]. Errors carry
    /// file, line and column. A policy that does not define the queried rule is an error.
    pub fn load(name: &str, text: &str, options: &RegoOptions) -> Result<RegoPolicy, String> {
        let query = normalize_query(&options.query)?;
        Ok(RegoPolicy {
            inner: Arc::new(Compiled::new(name, text, &query)?),
            skip_ping: options.skip_ping,
        })
    }

    /// An OPA bundle's modules and data, compiled as one policy and asked the same query as
    /// a file would be. `name` names it in messages (the bundle's URL); decisions carry the
    /// rule `rego:bundle`. Every package must lie within the manifest's roots.
    pub fn load_bundle(
        name: &str,
        bundle: &super::bundle::Bundle,
        options: &RegoOptions,
    ) -> Result<RegoPolicy, String> {
        let query = normalize_query(&options.query)?;
        let mut compiled = Compiled::build(
            name,
            "rego:bundle".to_owned(),
            &bundle.modules,
            Some((&bundle.data, &bundle.roots)),
            &query,
        )?;
        compiled.revision = bundle.revision.as_deref().map(Arc::from);
        Ok(RegoPolicy {
            inner: Arc::new(compiled),
            skip_ping: options.skip_ping,
        })
    }

    /// The revision of the bundle this policy came from, if it came from one that names it.
    pub fn revision(&self) -> Option<&Arc<str>> {
        self.inner.revision.as_ref()
    }

    /// [`RegoPolicy::load`] on a file's contents, named by its path.
    pub fn load_file(path: &Path, options: &RegoOptions) -> Result<RegoPolicy, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        RegoPolicy::load(&path.display().to_string(), &text, options)
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The rule name decisions carry: `rego:<file stem>`.
    pub fn rule(&self) -> &str {
        &self.inner.rule
    }

    pub fn query(&self) -> &str {
        &self.inner.query
    }

    /// The file was read as Rego v0 (no `if`/`contains` keywords); worth a log line, since
    /// OPA ≥ 1.0 refuses such files.
    pub fn rego_v0(&self) -> bool {
        self.inner.rego_v0
    }

    /// Evaluate the query on `input` (normally built by [`input`](super::input())).
    ///
    /// `Ok` with `allow: true` only when the query's value is `true` (or an object whose
    /// `allow` is `true`). Undefined and `false` deny. A value of another type, an input
    /// [`input`](super::input()) could not build, and every evaluation error are `Err`: the
    /// caller denies with that message (fail closed), as dockerd does when opa-docker-authz
    /// returns an error.
    pub fn evaluate(&self, input: &Value) -> Result<RegoOutcome, String> {
        if let Some(e) = input
            .get("sockeye")
            .and_then(|s| s.get(INPUT_ERROR))
            .and_then(Value::as_str)
        {
            return Err(e.to_owned());
        }
        if self.skip_ping
            && input.get("Method").and_then(Value::as_str) == Some("HEAD")
            && input.get("Path").and_then(Value::as_str) == Some("/_ping")
        {
            return Ok(RegoOutcome {
                allow: true,
                reason: Some("skip-ping".to_owned()),
            });
        }
        let input = regorus::Value::deserialize(input).map_err(|e| format!("input: {e}"))?;
        let answer = self
            .inner
            .allow
            .eval_with_input(input.clone())
            .map_err(|e| evaluation_error(&e.to_string()))?;
        match answer {
            regorus::Value::Bool(true) => Ok(RegoOutcome {
                allow: true,
                reason: None,
            }),
            regorus::Value::Bool(false) | regorus::Value::Undefined => Ok(RegoOutcome {
                allow: false,
                reason: self.reason(input),
            }),
            regorus::Value::Object(ref fields) => {
                let get = |k: &str| fields.get(&regorus::Value::from(k));
                let allow = match get("allow") {
                    Some(regorus::Value::Bool(b)) => *b,
                    _ => return Err(invalid_decision(&self.inner.query, &answer)),
                };
                let reason = get("reason").and_then(reason_text);
                Ok(RegoOutcome { allow, reason })
            }
            other => Err(invalid_decision(&self.inner.query, &other)),
        }
    }

    /// The policy's own words for a denial, if it has any. A reason rule that fails only
    /// loses the words, never the denial.
    fn reason(&self, input: regorus::Value) -> Option<String> {
        let rule = self.inner.reason.as_ref()?;
        match rule.eval_with_input(input) {
            Ok(value) => reason_text(&value),
            Err(e) => Some(format!(
                "{DEFAULT_DENY_REASON} ({REASON_RULE} failed: {})",
                evaluation_error(&e.to_string())
            )),
        }
    }
}

/// An evaluation error on one line (it becomes the client's denial message), located.
///
/// regorus fails `some x in c` when `c` is null, where OPA iterates over nothing; Docker
/// bodies are full of nulls (the CLI sends `"Binds": null`), so that error gets a hint.
fn evaluation_error(message: &str) -> String {
    let located = located(message);
    let line = located.lines().next().unwrap_or("");
    if line.ends_with("`some .. in collection` expects array/set/object. Got `null`") {
        format!(
            "{line} (OPA iterates over nothing here; write `x := c[_]` instead of `some x in c`)"
        )
    } else {
        line.to_owned()
    }
}

/// opa-docker-authz's words for an answer that is not a boolean, with what it was.
fn invalid_decision(query: &str, value: &regorus::Value) -> String {
    let kind = match value {
        regorus::Value::Null => "null",
        regorus::Value::Bool(_) => "a boolean",
        regorus::Value::Number(_) => "a number",
        regorus::Value::String(_) => "a string",
        regorus::Value::Array(_) => "an array",
        regorus::Value::Set(_) => "a set",
        regorus::Value::Object(_) => "an object without a boolean \"allow\"",
        regorus::Value::Undefined => "undefined",
    };
    format!("administrative policy decision invalid: {query} is {kind}, not a boolean")
}

/// A reason rule's value as one line: a string as is, a set or array of strings (the
/// `reason contains msg if …` style, one message per failed check) sorted and joined.
fn reason_text(value: &regorus::Value) -> Option<String> {
    let items: Vec<String> = match value {
        regorus::Value::Undefined | regorus::Value::Null => return None,
        regorus::Value::String(s) => return (!s.is_empty()).then(|| s.to_string()),
        regorus::Value::Set(set) => set.iter().map(scalar_text).collect(),
        regorus::Value::Array(items) => {
            let mut items: Vec<String> = items.iter().map(scalar_text).collect();
            items.sort();
            items
        }
        other => vec![other.to_string()],
    };
    let items: Vec<String> = items.into_iter().filter(|s| !s.is_empty()).collect();
    (!items.is_empty()).then(|| items.join("; "))
}

fn scalar_text(value: &regorus::Value) -> String {
    match value {
        regorus::Value::String(s) => s.to_string(),
        other => other.to_string(),
    }
}

impl Compiled {
    fn new(name: &str, text: &str, query: &str) -> Result<Compiled, String> {
        let stem = Path::new(name)
            .file_stem()
            .map_or(Cow::Borrowed(name), |s| s.to_string_lossy());
        let modules = [(name.to_owned(), text.to_owned())];
        Compiled::build(name, format!("rego:{stem}"), &modules, None, query)
    }

    /// Modules (each read as v1, or v0 when only its syntax is v0) and, for a bundle, its
    /// data and roots, compiled for `query`.
    fn build(
        name: &str,
        rule: String,
        modules: &[(String, String)],
        bundle: Option<(&Value, &[String])>,
        query: &str,
    ) -> Result<Compiled, String> {
        let mut engine = regorus::Engine::new();
        // OPA's default (`opa eval`, `opa test` and opa-docker-authz alike): a built-in
        // that fails (a type error, a bad regex) makes its expression undefined instead of
        // aborting the evaluation. Policies are tested that way, so they must run that way.
        engine.set_strict_builtin_errors(false);
        let mut rego_v0 = false;
        for (file, text) in modules {
            if let Some((line, call)) = unavailable_call(text) {
                return Err(format!(
                    "{file}:{line}: {call}() is an OPA built-in sockeye does not provide \
                     (no network, YAML, JSON schema, JWT, crypto, UUID, semver or URL query functions)"
                ));
            }
            let (package, v0) = add_module(&mut engine, file, text)?;
            rego_v0 |= v0;
            if let Some((_, roots)) = bundle {
                let path: Vec<&str> = package.split('.').skip(1).collect();
                if !super::bundle::within_roots(roots, &path) {
                    return Err(format!(
                        "{file}: package {package} is outside the manifest's roots"
                    ));
                }
            }
        }
        if let Some((data, _)) = bundle {
            let data =
                regorus::Value::deserialize(data).map_err(|e| format!("{name}: data: {e}"))?;
            engine
                .add_data(data)
                .map_err(|e| format!("{name}: data: {e}"))?;
        }
        let allow = engine.compile_with_entrypoint(&query.into()).map_err(|e| {
            match e.to_string().as_str() {
                "not a valid rule path" => format!("{name}: the policy defines no rule {query}"),
                other => format!("{name}: {other}"),
            }
        })?;
        let reason = sibling(query, REASON_RULE)
            .and_then(|path| engine.compile_with_entrypoint(&path.into()).ok());
        Ok(Compiled {
            name: name.to_owned(),
            rule,
            query: query.to_owned(),
            rego_v0,
            allow,
            reason,
            revision: None,
        })
    }
}

/// Add a module: as Rego v1, or as v0 when the v1 parser's only complaint is v0 syntax (a
/// rule body without `if`); its package (`data.a.b`) and whether it was read as v0.
/// Anything else is reported as the v1 error, never retried as v0: regorus's v0 parser
/// prints warnings on stderr about v1 keywords.
fn add_module(
    engine: &mut regorus::Engine,
    name: &str,
    text: &str,
) -> Result<(String, bool), String> {
    // The version is the parser's, chosen per module as it is added.
    engine.set_rego_v0(false);
    let v1_error = match engine.add_policy(name.to_owned(), text.to_owned()) {
        Ok(package) => return Ok((package, false)),
        Err(e) => e.to_string(),
    };
    if !v1_error.contains("keyword is required") {
        return Err(located(&v1_error));
    }
    engine.set_rego_v0(true);
    let added = engine.add_policy(name.to_owned(), text.to_owned());
    engine.set_rego_v0(false);
    match added {
        Ok(package) => Ok((package, true)),
        Err(e) => {
            let v0_error = located(&e.to_string());
            let (first, snippet) = v0_error.split_once('\n').unwrap_or((&v0_error, ""));
            let why = located(&v1_error);
            let why = why.lines().next().unwrap_or("");
            Err(format!(
                "{first} (read as Rego v0, since as v1: {why})\n{snippet}"
            ))
        }
    }
}

/// regorus's parse error (`--> file:line:col`, the source line, a caret, `error: message`)
/// turned around so that the first line reads like a compiler's: `file:line:col: message`.
fn located(message: &str) -> String {
    let message = message.trim();
    let Some(rest) = message.strip_prefix("--> ") else {
        return message.to_owned();
    };
    let (location, rest) = rest.split_once('\n').unwrap_or((rest, ""));
    let Some((snippet, what)) = rest.rsplit_once("\nerror: ") else {
        return message.to_owned();
    };
    format!("{location}: {what}\n{snippet}")
}

/// `data.a.b` or `/a/b` (opa-docker-authz's `normalizeAllowPath`) as `data.a.b`; only plain
/// rule paths, so that a typo is a load error, not a policy that is always undefined.
fn normalize_query(query: &str) -> Result<String, String> {
    let dotted = match query.strip_prefix('/') {
        Some(rest) => format!("data.{}", rest.replace('/', ".")),
        None => query.to_owned(),
    };
    let mut parts = dotted.split('.');
    let ident = |p: &str| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if parts.next() == Some("data") && dotted.contains('.') && parts.all(ident) {
        Ok(dotted)
    } else {
        Err(format!(
            "query {query:?} is not a rule path such as {DEFAULT_QUERY} or /docker/authz/allow"
        ))
    }
}

/// The rule `name` in the same package as `query`'s rule.
fn sibling(query: &str, name: &str) -> Option<String> {
    let (package, rule) = query.rsplit_once('.')?;
    (rule != name).then(|| format!("{package}.{name}"))
}

/// A Rego policy's decision on one request's input ([`input`](super::input())). Rego has
/// no rule names of its own, so every decision carries the policy's name,
/// `rego:<file stem>`. An evaluation that fails denies, with the error as the reason.
///
/// With both a TOML policy and a Rego policy, the relay asks
/// [`Policy::decide`](crate::guard::policy::Policy::decide) first and this only if that
/// allowed: a request needs both, and the first denial is the one reported.
pub fn decide_rego(rego: &RegoPolicy, input: &Value) -> Decision {
    let rule = rego.rule().to_owned();
    match rego.evaluate(input) {
        Ok(RegoOutcome { allow: true, .. }) => Decision::Allow(Permit::by(rule)),
        Ok(RegoOutcome { reason, .. }) => Decision::Deny(Denial {
            rule,
            reason: reason.unwrap_or_else(|| DEFAULT_DENY_REASON.to_owned()),
        }),
        Err(e) => Decision::Deny(Denial {
            rule,
            reason: format!("policy evaluation failed: {e}"),
        }),
    }
}
