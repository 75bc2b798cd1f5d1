//! Request bodies and queries read the way dockerd's Go code reads them, refusing whatever two
//! readers could disagree on.
//!
//! dockerd decodes every JSON body with Go's `encoding/json` into structs, which matches
//! object keys to fields case-insensitively (Unicode simple folding: `ſ` is `s`, the Kelvin
//! sign is `k`), after unescaping (`"Privil\u0065ged"`), lets the last of several equal keys
//! win, merges a repeated object-valued key into the same struct, ignores `null`, and on
//! 20.10 ignores a second document. Each of those was verified live to slip a field past a
//! reader that sees only the exact spelling
//! (`shared/reference/dockerd-behaviour.md` §2.7). So instead of imitating every rule, this
//! module narrows the input until only one reading is left:
//!
//! * [`parse`] keeps duplicates and raw numbers, refuses trailing data and keys that are
//!   not valid UTF-8 (string values get Go's U+FFFD replacement, as dockerd would see them);
//! * [`canonical`] refuses any object, anywhere in the body, with two keys that fold to the
//!   same name (maps such as `Labels` included, though dockerd keeps their keys apart: one
//!   rule everywhere is easier to trust than a map of which reader folds), refuses HostConfig
//!   fields at the top level of a container create body that engines read differently, and spells every key that dockerd
//!   would match to a field the way the field is named ([`table`] has the names, generated
//!   from the Engine API specs); map keys and unknown keys stay as sent.
//!
//! The relay must forward the returned value re-serialized, never the client's bytes: then
//! dockerd decodes exactly what the policy checked. Queries go through [`form`], which
//! reproduces Go's `ParseForm`; [`url`] is Go's percent-decoding, for queries, paths and
//! whole request targets.

mod canon;
mod form;
mod parse;
pub mod table;
pub mod url;

use std::fmt;

pub use canon::{canonical, canonicalize, Canonical};
pub use form::{form, go_bool, Form};
pub use parse::{parse, Node, MAX_DEPTH};

use crate::docker::endpoint::Operation;

/// Why a body or query is refused: it is malformed, or dockerd could read it differently
/// from the policy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Ambiguity {
    #[error("empty body where a JSON document was expected")]
    Empty,
    #[error("invalid JSON at byte {offset}: {reason}")]
    Syntax { offset: usize, reason: &'static str },
    #[error("JSON nested deeper than {} levels at byte {offset}", MAX_DEPTH)]
    TooDeep { offset: usize },
    #[error("data after the JSON document at byte {offset} (dockerd 20.10 ignores it)")]
    TrailingData { offset: usize },
    #[error("object key at byte {offset} is not valid UTF-8 or holds a lone surrogate")]
    InvalidKey { offset: usize },
    #[error("{path}: keys {first:?} and {second:?} name the same field; dockerd would apply only the last")]
    DuplicateKey {
        path: String,
        first: String,
        second: String,
    },
    #[error(
        "top-level {key:?} in a container create body{}: dockerd ≤ 26 applies it and \
         dockerd ≥ 27 ignores it; put it inside \"HostConfig\"",
        if *beside_host_config { " beside a \"HostConfig\"" } else { " with no \"HostConfig\"" }
    )]
    TopLevelHostConfig {
        key: String,
        beside_host_config: bool,
    },
    #[error("{path}: number {raw} is out of range")]
    Number { path: String, raw: String },
    #[error("query uses ';' as a separator (Go rejects it)")]
    QuerySemicolon,
    #[error("query has an invalid percent escape in {text:?}")]
    QueryEscape { text: String },
    #[error("query decodes to bytes that are not UTF-8 in {text:?}")]
    QueryNotUtf8 { text: String },
}

/// Where a body's members go when dockerd decodes it.
#[derive(Clone, Copy)]
pub enum Shape {
    /// Not known: keys are kept as sent, and case-folded duplicates are refused anyway.
    Any,
    /// A string, number, boolean or null.
    Scalar,
    Array(&'static Shape),
    /// An object with free-form keys (`map[string]T` in Go), matched exactly.
    Map(&'static Shape),
    /// A Go struct: keys match field names case-insensitively.
    Struct(&'static Struct),
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Any => f.write_str("Any"),
            Shape::Scalar => f.write_str("Scalar"),
            Shape::Array(s) => write!(f, "Array({s:?})"),
            Shape::Map(s) => write!(f, "Map({s:?})"),
            // Structs may refer back to themselves; their name is enough.
            Shape::Struct(s) => write!(f, "Struct({})", s.name),
        }
    }
}

/// A Go struct dockerd decodes into: its JSON field names.
pub struct Struct {
    pub name: &'static str,
    pub fields: &'static [Field],
}

impl Struct {
    /// The field a key selects under Go's matching, if any.
    pub fn field(&self, key: &str) -> Option<&'static Field> {
        let folded = fold(key);
        self.fields.iter().find(|f| folds_to(&folded, f.name))
    }
}

pub struct Field {
    /// The name as the Engine API spells it; dockerd matches it case-insensitively.
    pub name: &'static str,
    pub shape: Shape,
}

/// The body an operation decodes, if it decodes JSON.
///
/// `ContainerStart` is here because dockerd 20.10 still applies a HostConfig sent as the
/// start body when the request names an API version below 1.24 (its minimum is 1.12):
/// `POST /v1.23/containers/x/start` with `{"Privileged":true}` works.
pub fn body_shape(op: Operation) -> Option<Shape> {
    match op {
        Operation::ContainerStart => Some(Shape::Struct(&table::HOST_CONFIG)),
        _ => table::body(op),
    }
}

/// The key Go compares when matching object keys to struct fields: ASCII letters upper-cased,
/// `ſ` (U+017F) as `S` and the Kelvin sign (U+212A) as `K`, the only non-ASCII characters
/// whose simple case folding reaches ASCII. Other characters are upper-cased when that stays
/// outside ASCII (`ı` must not become `I`: Go does not match it to `i`).
pub fn fold(key: &str) -> String {
    key.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    match c {
        '\u{17f}' => 'S',
        '\u{212a}' => 'K',
        c if c.is_ascii() => c.to_ascii_uppercase(),
        c => {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) if !u.is_ascii() => u,
                _ => c,
            }
        }
    }
}

/// Whether an already folded key selects the ASCII field `name`.
fn folds_to(folded: &str, name: &str) -> bool {
    folded.len() == name.len()
        && folded
            .bytes()
            .zip(name.bytes())
            .all(|(k, n)| k == n.to_ascii_uppercase())
}

#[cfg(test)]
mod tests;
