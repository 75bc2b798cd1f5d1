//! The example pipelines in examples/shipping read as their tools will read them, commented-out
//! settings included: Vector's TOML parses and each component's `inputs` names one that
//! exists; the Fluent Bit files are sections of `Key Value` lines, and the parser and tag the
//! input names are defined and matched; the OpenTelemetry Collector's YAML parses (through
//! python3's yaml module, when there is one) and its pipeline names what is defined, with the
//! OTLP receiver on 4318 (HTTP) and 4317 (gRPC). No network and no shipping tool needed.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/shipping");

fn read(file: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{file}")).unwrap()
}

/// The file with its commented-out settings in force: a commented-out setting is `#` and
/// the setting as it would stand (`#[sinks.loki]`, `#    Name es`, `#  elasticsearch:`);
/// prose is `# ` and one space.
fn uncommented(text: &str) -> String {
    text.lines()
        .map(|l| match l.strip_prefix('#') {
            Some(rest)
                if rest.starts_with("  ")
                    || rest.chars().next().is_some_and(|c| c != ' ' && c != '#') =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn names(t: &toml::Table, kind: &str) -> BTreeSet<String> {
    t.get(kind)
        .and_then(|v| v.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_vector_pipeline_tails_the_json_log_and_wires_every_component() {
    for (variant, text) in [
        ("as shipped", read("vector.toml")),
        ("uncommented", uncommented(&read("vector.toml"))),
    ] {
        let t: toml::Table =
            toml::from_str(&text).unwrap_or_else(|e| panic!("vector.toml {variant}: {e}"));
        let sources = names(&t, "sources");
        let transforms = names(&t, "transforms");
        let source = &t["sources"]["sockeye_audit"];
        assert_eq!(source["type"].as_str(), Some("file"));
        assert!(source["include"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str() == Some("/var/log/sockeye/audit.log")));
        let remap = &t["transforms"]["sockeye_records"];
        assert!(remap["source"].as_str().unwrap().contains("parse_json!"));
        for kind in ["transforms", "sinks"] {
            for (name, c) in t[kind].as_table().unwrap() {
                for input in c["inputs"].as_array().unwrap() {
                    let input = input.as_str().unwrap();
                    assert!(
                        sources.contains(input) || transforms.contains(input),
                        "vector.toml {variant}: {kind}.{name} reads {input}, which is not defined"
                    );
                }
            }
        }
        let sinks = names(&t, "sinks");
        let want: &[&str] = match variant {
            "as shipped" => &["console"],
            _ => &["console", "elasticsearch", "loki"],
        };
        assert_eq!(sinks.iter().collect::<Vec<_>>(), want, "{variant}");
    }
}

/// Fluent Bit's classic format: `[SECTION]` headers, then indented `Key Value` lines.
fn sections(file: &str, text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            assert!(
                ["SERVICE", "INPUT", "FILTER", "OUTPUT", "PARSER"].contains(&name),
                "{file}:{}: unknown section {name}",
                n + 1
            );
            assert_eq!(line, trimmed, "{file}:{}: a header is not indented", n + 1);
            out.push((name.to_owned(), Vec::new()));
            continue;
        }
        assert!(
            line.starts_with("    "),
            "{file}:{}: an entry is indented by four spaces",
            n + 1
        );
        let (key, value) = trimmed
            .split_once(char::is_whitespace)
            .unwrap_or_else(|| panic!("{file}:{}: `Key Value` wanted: {line}", n + 1));
        let section = out
            .last_mut()
            .unwrap_or_else(|| panic!("{file}:{}: an entry before any section", n + 1));
        section.1.push((key.to_owned(), value.trim().to_owned()));
    }
    out
}

fn value<'a>(entries: &'a [(String, String)], key: &str) -> Option<&'a str> {
    entries
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

#[test]
fn the_fluent_bit_pipeline_tails_the_log_with_the_parser_it_defines() {
    let parsers = sections("parsers.conf", &read("parsers.conf"));
    let parser_names: Vec<&str> = parsers
        .iter()
        .filter(|(s, _)| s == "PARSER")
        .map(|(_, e)| value(e, "Name").unwrap())
        .collect();
    let sockeye = &parsers[0].1;
    assert_eq!(value(sockeye, "Format"), Some("json"));
    assert_eq!(value(sockeye, "Time_Key"), Some("time"));
    for (variant, text) in [
        ("as shipped", read("fluent-bit.conf")),
        ("uncommented", uncommented(&read("fluent-bit.conf"))),
    ] {
        let s = sections("fluent-bit.conf", &text);
        let service = &s.iter().find(|(n, _)| n == "SERVICE").unwrap().1;
        let parsers_file = value(service, "Parsers_File").unwrap();
        assert!(
            std::path::Path::new(&format!("{DIR}/{parsers_file}")).exists(),
            "{parsers_file}"
        );
        let inputs: Vec<_> = s.iter().filter(|(n, _)| n == "INPUT").collect();
        assert_eq!(inputs.len(), 1);
        let input = &inputs[0].1;
        assert_eq!(value(input, "Name"), Some("tail"));
        assert_eq!(value(input, "Path"), Some("/var/log/sockeye/audit.log"));
        assert!(parser_names.contains(&value(input, "Parser").unwrap()));
        let tag = value(input, "Tag").unwrap();
        let outputs: Vec<_> = s.iter().filter(|(n, _)| n == "OUTPUT").collect();
        assert_eq!(outputs.len(), if variant == "as shipped" { 1 } else { 3 });
        for (_, o) in outputs {
            assert!(
                value(o, "Name").is_some(),
                "{variant}: an output without Name"
            );
            assert_eq!(value(o, "Match"), Some(tag), "{variant}");
        }
    }
}

/// The YAML as JSON, through python3's yaml module; `None` without one.
fn yaml(text: &str) -> Option<serde_json::Value> {
    // Debian's python3 (scripts/test.sh installs python3-yaml for it); another python3 on
    // PATH (pyenv's, say) may lack the module.
    let python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let probe = Command::new(python).args(["-c", "import yaml"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        let in_ci = matches!(
            std::env::var("CI").as_deref(),
            Ok("true" | "TRUE" | "True" | "1")
        );
        assert!(!in_ci, "no python3 with its yaml module to read otel-collector.yaml (CI installs python3-yaml)");
        eprintln!("######## SKIPPED: no python3 with its yaml module to read otel-collector.yaml");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yaml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(python)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "otel-collector.yaml does not parse: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn the_collector_receives_otlp_on_both_ports_and_its_pipeline_names_what_is_defined() {
    for (variant, text) in [
        ("as shipped", read("otel-collector.yaml")),
        ("uncommented", uncommented(&read("otel-collector.yaml"))),
    ] {
        let Some(c) = yaml(&text) else { return };
        let otlp = &c["receivers"]["otlp"]["protocols"];
        assert!(otlp["http"]["endpoint"]
            .as_str()
            .unwrap()
            .ends_with(":4318"));
        assert!(otlp["grpc"]["endpoint"]
            .as_str()
            .unwrap()
            .ends_with(":4317"));
        let logs = &c["service"]["pipelines"]["logs"];
        for kind in ["receivers", "processors", "exporters"] {
            for name in logs[kind].as_array().unwrap() {
                let name = name.as_str().unwrap();
                assert!(
                    c[kind].get(name).is_some(),
                    "{variant}: the pipeline names {kind} {name}, which is not defined"
                );
            }
        }
        assert_eq!(logs["processors"], serde_json::json!(["batch"]));
        assert_eq!(logs["exporters"], serde_json::json!(["debug", "file"]));
        if variant == "uncommented" {
            for e in ["elasticsearch", "otlphttp/loki"] {
                assert!(c["exporters"].get(e).is_some(), "{e}");
            }
            for x in c["service"]["extensions"].as_array().unwrap() {
                assert!(c["extensions"].get(x.as_str().unwrap()).is_some(), "{x}");
            }
        }
    }
}

#[test]
fn the_audit_log_docs_show_each_example() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/audit-log.md")).unwrap();
    let section = docs
        .split("## Shipping the audit log")
        .nth(1)
        .expect("docs/audit-log.md has a section \"Shipping the audit log\"");
    for file in std::fs::read_dir(DIR).unwrap() {
        let name = file.unwrap().file_name().into_string().unwrap();
        assert!(
            section.contains(&format!("examples/shipping/{name}")),
            "the docs do not name {name}"
        );
    }
}
