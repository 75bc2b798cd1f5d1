//! Every endpoint and every request body field of the Engine API specs in tests/data/spec is
//! known to sockeye.
//!
//! The bug this prevents: a newer engine adds an endpoint or a body field (image mounts,
//! `HostConfig.Annotations`, CDI device requests …) and sockeye, not knowing it, classifies
//! the endpoint as Unknown or lets the field through unexamined, under whatever spelling
//! Go's case-insensitive decoder accepts. The specs are kept as published (YAML) beside their
//! JSON conversion (`scripts/spec-json.py`), so dropping a newer spec into tests/data/spec,
//! converting it and naming it below is all it takes to see, at once, everything sockeye has
//! to learn.

use std::collections::BTreeSet;

use serde_json::Value as Yaml;
use sockeye::docker::endpoint::{classify_for, Daemons, Operation};
use sockeye::docker::gojson::{body_shape, Shape};

/// The specs, oldest first: what Debian 12's dockerd serves, and moby master.
const SPECS: &[(&str, &str)] = &[
    (
        "1.41",
        include_str!("data/spec/docker-engine-api-v1.41.json"),
    ),
    (
        "1.56",
        include_str!("data/spec/docker-engine-api-v1.56.json"),
    ),
];

/// Bodies that are not JSON objects sockeye reads: tar archives, raw images, plain strings.
/// Their schema is `type: string`, except where listed here with the reason.
const NOT_JSON: &[(&str, &str)] = &[];

fn load(text: &str) -> Yaml {
    serde_json::from_str(text).expect("the spec's JSON conversion")
}

fn key<'a>(y: &'a Yaml, k: &str) -> &'a Yaml {
    &y[k]
}

fn str_of(y: &Yaml) -> Option<&str> {
    y.as_str()
}

/// `{id}` and `{name}` filled with a name a template of either kind accepts.
fn instantiate(spec_path: &str) -> String {
    let mut out = String::new();
    let mut rest = spec_path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').expect("closed variable");
        out.push_str("x1");
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

const METHODS: &[&str] = &["get", "post", "put", "delete", "head", "patch", "options"];

/// Each operation of a spec: method, path, operationId, the operation's YAML.
fn operations(spec: &Yaml) -> Vec<(String, String, String, &Yaml)> {
    let mut out = Vec::new();
    let Some(paths) = key(spec, "paths").as_object() else {
        panic!("spec without paths");
    };
    for (path, item) in paths {
        for m in METHODS {
            let op = &item[*m];
            if op.is_null() {
                continue;
            }
            let id = str_of(&op["operationId"]).unwrap_or("(none)").to_owned();
            out.push((m.to_ascii_uppercase(), path.to_owned(), id, op));
        }
    }
    out
}

#[test]
fn every_endpoint_of_every_spec_is_a_named_operation_routed_where_the_spec_puts_it() {
    let mut unknown = Vec::new();
    for (version, text) in SPECS {
        let spec = load(text);
        // The daemon that serves this spec's version: master for anything newer than 1.41.
        let daemons = if *version == "1.41" {
            Daemons::V20_10
        } else {
            Daemons::MASTER
        };
        for (method, path, id, _) in operations(&spec) {
            let Some(op) = Operation::from_name(&id) else {
                unknown.push(format!(
                    "{version}: {method} {path}: operation {id} unknown"
                ));
                continue;
            };
            let target = format!("/v{version}{}", instantiate(&path));
            let got = classify_for(daemons, &method, &target);
            if got.operation() != Some(op) {
                unknown.push(format!(
                    "{version}: {method} {target} classified as {}, the spec says {id}",
                    got.name()
                ));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "{} endpoints unknown to sockeye:\n{}",
        unknown.len(),
        unknown.join("\n")
    );
}

/// Walks a body schema beside the table's shape for it and lists what the table lacks.
struct Walk<'a> {
    definitions: &'a Yaml,
    missing: BTreeSet<String>,
    /// Every field path compared, so the test can show it reached the newest fields.
    visited: BTreeSet<String>,
    /// (definition or struct, shape) pairs already compared: schemas refer to themselves.
    seen: BTreeSet<(String, String)>,
}

impl<'a> Walk<'a> {
    fn resolve(&self, mut schema: &'a Yaml) -> (&'a Yaml, Option<&'a str>) {
        let mut name = None;
        while let Some(r) = str_of(&schema["$ref"]) {
            let def = r.strip_prefix("#/definitions/").expect("local $ref");
            name = Some(def);
            schema = &self.definitions[def];
            assert!(!schema.is_null(), "dangling $ref {r}");
        }
        (schema, name)
    }

    /// Properties of a schema with its `allOf` parts merged, as Go embeds structs.
    fn properties(&self, schema: &'a Yaml, out: &mut Vec<(&'a str, &'a Yaml)>) {
        let (schema, _) = self.resolve(schema);
        if let Some(props) = schema["properties"].as_object() {
            for (k, v) in props {
                out.push((k.as_str(), v));
            }
        }
        if let Some(parts) = schema["allOf"].as_array() {
            for part in parts {
                self.properties(part, out);
            }
        }
    }

    fn compare(&mut self, at: &str, schema: &'a Yaml, shape: Shape) {
        let (schema, name) = self.resolve(schema);
        let mut props = Vec::new();
        self.properties(schema, &mut props);
        let items = &schema["items"];
        let additional = &schema["additionalProperties"];
        match shape {
            // The table keeps such a value as sent, on purpose (free-form options).
            Shape::Any => {}
            Shape::Struct(s) => {
                let pair = (name.unwrap_or(at).to_owned(), s.name.to_owned());
                if !self.seen.insert(pair) {
                    return;
                }
                for (prop, sub) in props {
                    self.visited.insert(format!("{at}.{prop}"));
                    match s.fields.iter().find(|f| f.name == prop) {
                        Some(field) => self.compare(&format!("{at}.{prop}"), sub, field.shape),
                        None => {
                            self.missing
                                .insert(format!("{at}.{prop} (not in {})", s.name));
                        }
                    }
                }
            }
            Shape::Array(inner) => {
                if !items.is_null() {
                    self.compare(&format!("{at}[]"), items, *inner);
                } else if !props.is_empty() {
                    self.missing
                        .insert(format!("{at}: an object, the table says an array"));
                }
            }
            Shape::Map(inner) => {
                if !props.is_empty() {
                    self.missing
                        .insert(format!("{at}: a struct with fields, the table says a map"));
                } else if additional.as_object().is_some() {
                    self.compare(&format!("{at}{{}}"), additional, *inner);
                }
            }
            Shape::Scalar => {
                if !props.is_empty() || !items.is_null() || additional.as_object().is_some() {
                    self.missing
                        .insert(format!("{at}: has members, the table says a scalar"));
                }
            }
        }
    }
}

#[test]
fn every_request_body_field_of_every_spec_is_in_the_go_struct_table() {
    let mut missing = BTreeSet::new();
    let mut visited = BTreeSet::new();
    for (version, text) in SPECS {
        let spec = load(text);
        let mut walk = Walk {
            definitions: key(&spec, "definitions"),
            missing: BTreeSet::new(),
            visited: BTreeSet::new(),
            seen: BTreeSet::new(),
        };
        for (method, path, id, op) in operations(&spec) {
            let Some(params) = op["parameters"].as_array() else {
                continue;
            };
            for p in params {
                if str_of(&p["in"]) != Some("body") {
                    continue;
                }
                let (schema, _) = walk.resolve(&p["schema"]);
                let is_string = str_of(&schema["type"]) == Some("string");
                if is_string || NOT_JSON.iter().any(|(n, _)| *n == id) {
                    continue;
                }
                let Some(shape) = Operation::from_name(&id).and_then(body_shape) else {
                    walk.missing.insert(format!(
                        "{method} {path} ({id}): a JSON body sockeye does not read"
                    ));
                    continue;
                };
                walk.compare(&id, &p["schema"], shape);
            }
        }
        missing.extend(walk.missing.into_iter().map(|m| format!("{version}: {m}")));
        visited.extend(walk.visited);
    }
    // The walk reaches fields new since 1.41, through $refs, allOf and arrays.
    for newer in [
        "ContainerCreate.HostConfig.Annotations",
        "ContainerCreate.HostConfig.Mounts[].ImageOptions.Subpath",
        "ContainerCreate.HostConfig.Mounts[].BindOptions.CreateMountpoint",
        "ContainerCreate.HostConfig.Mounts[].VolumeOptions.Subpath",
        "ContainerCreate.NetworkingConfig.EndpointsConfig{}.GwPriority",
        "NetworkCreate.ConfigFrom.Network",
        "ServiceCreate.TaskTemplate.ContainerSpec.OomScoreAdj",
    ] {
        assert!(visited.contains(newer), "the walk never reached {newer}");
    }
    assert!(
        missing.is_empty(),
        "{} body fields unknown to sockeye:\n{}",
        missing.len(),
        missing.into_iter().collect::<Vec<_>>().join("\n")
    );
}
