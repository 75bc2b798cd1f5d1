//! The crate's layers, checked from the source: pure modules (plain data and Docker
//! knowledge, the policy, the stream decoders, the docker-command namer, redaction) import
//! nothing that does I/O, and no module imports one above it. A new `use crate::…` that breaks
//! a layer fails here with the file and the line.
//!
//! Unit tests inside the source tree (`tests.rs`, `tests/`) are left out: a test may build
//! what it needs from anywhere.

use std::path::{Path, PathBuf};

/// Modules that do no I/O, and the only modules each may import (prefixes of `crate::` paths).
const PURE: &[(&str, &[&str])] = &[
    ("caller", &["caller"]),
    ("docker", &["docker"]),
    ("guard::policy", &["guard::policy", "caller", "docker"]),
    ("see::decode", &["see::decode", "docker"]),
    ("see::redact", &["see::redact", "see::action", "docker"]),
    (
        "see::action",
        &["see::action", "see::redact", "docker", "caller"],
    ),
];

/// Every module, bottom first, and the top-level modules it may import. A module never
/// imports one listed after it.
const LAYERS: &[(&str, &[&str])] = &[
    ("caller", &[]),
    ("docker", &[]),
    ("config", &[]),
    ("host", &[]),
    ("guard", &["caller", "docker", "config"]),
    ("event", &["caller", "docker", "guard"]),
    ("see", &["caller", "docker", "guard", "event", "config"]),
    (
        "remember",
        &["caller", "docker", "guard", "event", "see", "config"],
    ),
    (
        "relay",
        &[
            "caller", "docker", "guard", "event", "see", "remember", "config",
        ],
    ),
    (
        "cmd",
        &[
            "caller", "docker", "guard", "event", "see", "remember", "relay", "config", "host",
        ],
    ),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "tests" {
                sources(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
}

/// `src/guard/policy/cond/mod.rs` → `guard::policy::cond`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// Every `crate::a::b…` path named outside comments, with its line number.
fn imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_test = false;
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        // `pub(in crate::guard)` names who may see an item, not what it uses.
        let code = match code.find("pub(in crate::") {
            Some(at) => &code[..at],
            None => code,
        };
        // A unit-test module inline at the end of a file.
        if code.trim_start().starts_with("mod tests") {
            in_test = true;
        }
        if in_test {
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let path: String = rest[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push((i + 1, path.trim_end_matches(':').to_owned()));
            rest = &rest[at + "crate::".len()..];
        }
    }
    out
}

fn allowed(path: &str, prefixes: &[&str]) -> bool {
    prefixes
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}::")))
}

#[test]
fn no_module_imports_a_layer_above_it_and_pure_modules_do_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut broken = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        let top = module.split("::").next().unwrap().to_owned();
        if matches!(top.as_str(), "lib" | "main") {
            continue;
        }
        let Some((_, may)) = LAYERS.iter().find(|(m, _)| *m == top) else {
            broken.push(format!("{}: module {top} is in no layer", file.display()));
            continue;
        };
        let pure = PURE
            .iter()
            .filter(|(m, _)| module == *m || module.starts_with(&format!("{m}::")))
            .max_by_key(|(m, _)| m.len());
        for (line, path) in imports(&std::fs::read_to_string(file).unwrap()) {
            let target = path.split("::").next().unwrap_or("");
            let ok_layer = target == top || may.contains(&target);
            let ok_pure = pure.is_none_or(|(_, may)| allowed(&path, may));
            if !ok_layer || !ok_pure {
                broken.push(format!(
                    "{}:{line}: {module} imports crate::{path}{}",
                    file.strip_prefix(&src).unwrap().display(),
                    if ok_layer {
                        " (a pure module, from an impure one)"
                    } else {
                        " (a layer above it)"
                    }
                ));
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}
