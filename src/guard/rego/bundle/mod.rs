//! OPA bundles: the tar.gz a bundle server hands OPA (`.rego` modules, `data.json`
//! documents, a `.manifest`, and a `.signatures.json`), read into what a [`RegoPolicy`]
//! is compiled from. Pure: the bytes come from [`crate::relay`]'s fetcher.
//!
//! As OPA reads one (`bundle/bundle.go`): a `data.json` at `a/b/data.json` is the document
//! `data.a.b`; the manifest's `revision` names the bundle and its `roots` bound what it may
//! define; with a key, the signature must verify and list every file exactly.
//!
//! [`RegoPolicy`]: super::RegoPolicy

pub mod archive;
pub mod sign;

use serde::Deserialize;
use serde_json::{Map, Value};

pub use sign::{Alg, VerifyKey};

/// Why a bundle was not put in force, for the metrics' `reason` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The server could not be reached or did not answer 200/304.
    Fetch,
    /// Not a tar.gz sockeye reads (bounds, links, names, manifest, data).
    Archive,
    /// A key is configured and the signature is missing or does not verify.
    Signature,
    /// The Rego did not compile, or does not define the queried rule.
    Compile,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Fetch => "fetch",
            Reason::Archive => "archive",
            Reason::Signature => "signature",
            Reason::Compile => "compile",
        }
    }
}

/// A bundle not put in force, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleError {
    pub reason: Reason,
    pub message: String,
}

impl BundleError {
    pub fn new(reason: Reason, message: impl Into<String>) -> BundleError {
        BundleError {
            reason,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A bundle read and (with a key) verified, ready to compile.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    /// The manifest's `revision`; `None` without a manifest or with an empty one.
    pub revision: Option<String>,
    /// The manifest's `roots`, as slash paths (`""` is every path).
    pub roots: Vec<String>,
    /// Each `.rego` file, by its path in the bundle, in the archive's order.
    pub modules: Vec<(String, String)>,
    /// Every `data.json`, merged at its directory's path.
    pub data: Value,
    /// The signature verified.
    pub verified: bool,
}

#[derive(Deserialize, Default)]
struct Manifest {
    #[serde(default)]
    revision: Option<String>,
    #[serde(default)]
    roots: Option<Vec<String>>,
}

/// Files a bundle may hold that sockeye cannot honour: refusing them beats a policy that
/// silently misses part of itself.
const UNSUPPORTED: &[&str] = &["data.yaml", "data.yml", "patch.json", "plan.json"];

/// Read a bundle's tar.gz. With `key`, `.signatures.json` must be there and verify, and
/// list every other file with its digest; without one, a signed bundle is refused too (OPA
/// refuses to load a signed bundle it has no key for).
pub fn read(gz: &[u8], key: Option<&VerifyKey>) -> Result<Bundle, BundleError> {
    read_bounded(gz, key, archive::MAX_BYTES)
}

pub fn read_bounded(gz: &[u8], key: Option<&VerifyKey>, limit: u64) -> Result<Bundle, BundleError> {
    let archive_err = |m: String| BundleError::new(Reason::Archive, m);
    let files = archive::unpack(gz, limit).map_err(archive_err)?;
    let signatures = files.iter().find(|f| f.name == sign::SIGNATURES);
    let verified = match (key, signatures) {
        (Some(key), Some(sig)) => {
            sign::verify(&sig.bytes, &files, key)
                .map_err(|e| BundleError::new(Reason::Signature, e))?;
            true
        }
        (Some(_), None) => {
            return Err(BundleError::new(
                Reason::Signature,
                format!(
                    "the bundle is not signed (no {}) and a key is configured",
                    sign::SIGNATURES
                ),
            ))
        }
        (None, Some(_)) => {
            return Err(BundleError::new(
                Reason::Signature,
                "the bundle is signed and no key is configured to verify it \
                 (--policy-rego-bundle-key)",
            ))
        }
        (None, None) => false,
    };
    let manifest: Manifest = match files.iter().find(|f| f.name == ".manifest") {
        Some(f) => serde_json::from_slice(&f.bytes)
            .map_err(|e| archive_err(format!(".manifest is not OPA's manifest JSON: {e}")))?,
        None => Manifest::default(),
    };
    let roots = manifest.roots.unwrap_or_else(|| vec![String::new()]);
    let mut modules = Vec::new();
    let mut data = Value::Object(Map::new());
    for f in &files {
        let (dir, base) = match f.name.rsplit_once('/') {
            Some((dir, base)) => (dir, base),
            None => ("", f.name.as_str()),
        };
        if base == "data.json" {
            let value: Value = serde_json::from_slice(&f.bytes)
                .map_err(|e| archive_err(format!("{} is not JSON: {e}", f.name)))?;
            let path: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
            if path.is_empty() && !value.is_object() {
                return Err(archive_err(format!("{} is not a JSON object", f.name)));
            }
            check_roots(&roots, &path, &value)
                .map_err(|e| archive_err(format!("{}: {e}", f.name)))?;
            merge_at(&mut data, &path, value)
                .map_err(|e| archive_err(format!("{}: {e}", f.name)))?;
        } else if f.name.ends_with(".rego") {
            let text = String::from_utf8(f.bytes.clone())
                .map_err(|_| archive_err(format!("{} is not UTF-8", f.name)))?;
            modules.push((f.name.clone(), text));
        } else if UNSUPPORTED.contains(&base) || base.ends_with(".wasm") {
            return Err(archive_err(format!(
                "{}: sockeye reads .rego, data.json, .manifest and .signatures.json; \
                 not this file",
                f.name
            )));
        }
    }
    if modules.is_empty() {
        return Err(archive_err("the bundle holds no .rego file".into()));
    }
    Ok(Bundle {
        revision: manifest.revision.filter(|r| !r.is_empty()),
        roots,
        modules,
        data,
        verified,
    })
}

/// Whether `path` (slash-separated, `a/b`) is within one of `roots`, as OPA bounds a
/// bundle: a root owns its path and everything below it.
pub fn within_roots(roots: &[String], path: &[&str]) -> bool {
    roots.iter().any(|root| {
        let root: Vec<&str> = root.split('/').filter(|s| !s.is_empty()).collect();
        root.len() <= path.len() && root.iter().zip(path).all(|(a, b)| a == b)
    })
}

/// A document at `path` must lie within the roots; at a path above every root (the
/// top-level data.json, say), each of its keys is checked one level down.
fn check_roots(roots: &[String], path: &[&str], value: &Value) -> Result<(), String> {
    if within_roots(roots, path) {
        return Ok(());
    }
    match value {
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            let mut deeper = path.to_vec();
            deeper.push(k);
            check_roots(roots, &deeper, v)
        }),
        _ => Err(format!(
            "data.{} is outside the manifest's roots",
            path.join(".")
        )),
    }
}

/// Put `value` at `path` under `data`, merging objects; two values for one leaf conflict.
fn merge_at(data: &mut Value, path: &[&str], value: Value) -> Result<(), String> {
    let mut at = data;
    for (i, key) in path.iter().enumerate() {
        let Value::Object(map) = at else {
            return Err(format!(
                "data.{} is not an object, so nothing can go below it",
                path[..i].join(".")
            ));
        };
        at = map
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    merge(at, value, &path.join("."))
}

fn merge(into: &mut Value, value: Value, path: &str) -> Result<(), String> {
    match (into.as_object_mut(), value) {
        (Some(a), Value::Object(b)) => {
            for (k, v) in b {
                let sub = match path {
                    "" => k.clone(),
                    p => format!("{p}.{k}"),
                };
                match a.get_mut(&k) {
                    Some(existing) => merge(existing, v, &sub)?,
                    None => {
                        a.insert(k, v);
                    }
                }
            }
            Ok(())
        }
        // The empty object a deeper data.json's path made on the way.
        (Some(a), v) if a.is_empty() => {
            *into = v;
            Ok(())
        }
        _ => Err(format!("data.{path} is given twice")),
    }
}

#[cfg(test)]
mod tests;
