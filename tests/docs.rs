//! The documentation and the command line agree: every option a subcommand's `--help` lists
//! is documented in README.md or docs/*.md, and every option the README's option tables name
//! exists. Options are read from clap's own command tree, so a new option without docs fails
//! here.

use std::collections::BTreeSet;

use clap::CommandFactory;
use regex::Regex;
use sockeye::cmd::args::Cli;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `path` → every long option of that subcommand (`proxy` → `--listen`, …).
fn options() -> Vec<(String, String)> {
    fn walk(path: &str, cmd: &clap::Command, out: &mut Vec<(String, String)>) {
        for arg in cmd.get_arguments() {
            if let Some(long) = arg.get_long() {
                if !matches!(long, "help" | "version") {
                    out.push((path.to_owned(), format!("--{long}")));
                }
            }
        }
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let p = format!("{path} {}", sub.get_name()).trim().to_owned();
            walk(&p, sub, out);
        }
    }
    let mut out = Vec::new();
    walk("", &Cli::command(), &mut out);
    out
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{rel}")).unwrap()
}

fn docs() -> String {
    let mut text = read("README.md");
    let mut files: Vec<_> = std::fs::read_dir(format!("{ROOT}/docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    for f in files {
        text.push_str(&std::fs::read_to_string(f).unwrap());
    }
    text
}

/// The `--options` a text names (not `--options-longer`).
fn named(text: &str) -> BTreeSet<String> {
    let re = Regex::new(r"--[a-z][a-z0-9-]*[a-z0-9]").unwrap();
    re.find_iter(text).map(|m| m.as_str().to_owned()).collect()
}

#[test]
fn every_option_in_help_is_documented() {
    let documented = named(&docs());
    let missing: Vec<String> = options()
        .into_iter()
        .filter(|(_, o)| !documented.contains(o))
        .map(|(p, o)| format!("sockeye {p} {o}"))
        .collect();
    assert!(
        missing.is_empty(),
        "options in --help that neither README.md nor docs/*.md documents:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_option_in_the_readme_tables_exists() {
    let all: BTreeSet<String> = options().into_iter().map(|(_, o)| o).collect();
    let readme = read("README.md");
    let mut checked = 0;
    let mut unknown = Vec::new();
    for row in readme.lines().filter(|l| l.starts_with("| `-")) {
        let first = row.split('|').nth(1).unwrap_or("");
        for o in named(first) {
            checked += 1;
            if !all.contains(&o) {
                unknown.push(format!("{o} (in: {row})"));
            }
        }
    }
    assert!(checked > 20, "the README's option tables were not found");
    assert!(
        unknown.is_empty(),
        "README option tables name options no subcommand has:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn the_docs_show_no_option_without_its_subcommand() {
    // `sockeye --policy-rego FILE` (no subcommand) does not run: options follow a subcommand.
    let re = Regex::new(r"(?m)^\s*sockeye --").unwrap();
    for rel in [
        "README.md",
        "docs/policy.md",
        "docs/audit-log.md",
        "docs/metrics.md",
        "docs/design.md",
    ] {
        let text = read(rel);
        assert!(
            !re.is_match(&text),
            "{rel} shows a sockeye command line without a subcommand"
        );
    }
}
