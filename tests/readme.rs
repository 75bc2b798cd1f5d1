//! The README's examples run as they are written: every ```sh block marked with a
//! `<!-- tests/readme.rs runs this block … -->` line is run by `sh -e`, line for line, from
//! the repository's root, with what a reader has: `sockeye` on PATH and DOCKER_HOST naming
//! the daemon (the test daemon here). The text is never adapted; a block that stops working
//! fails here.

mod common;

use std::process::Command;

const MARK: &str = "<!-- tests/readme.rs runs this block";

/// The marked blocks, with the line each starts at.
fn marked_blocks(readme: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].starts_with(MARK) {
            assert_eq!(
                lines.get(i + 1),
                Some(&"```sh"),
                "README.md:{}: the mark must precede a ```sh block",
                i + 1
            );
            let start = i + 2;
            let end = (start..lines.len())
                .find(|&j| lines[j] == "```")
                .expect("an unterminated block");
            blocks.push((start + 1, lines[start..end].join("\n")));
            i = end;
        }
        i += 1;
    }
    blocks
}

#[test]
fn the_readme_examples_run_as_written() {
    let Some(daemon) = common::daemon() else {
        return;
    };
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let blocks = marked_blocks(&readme);
    assert!(
        !blocks.is_empty(),
        "no block of README.md is marked to be run"
    );
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_sockeye"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The exports the examples write land in a scratch copy of the root's name space: the
    // block runs in a temporary directory holding a link to examples/.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(format!("{root}/examples"), dir.path().join("examples")).unwrap();
    for (line, block) in blocks {
        let out = Command::new("sh")
            .arg("-ec")
            .arg(&block)
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("DOCKER_HOST", format!("unix://{}", daemon.socket.display()))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "README.md:{line}: the block failed ({}):\n{block}\n--- stderr:\n{}",
            out.status,
            common::tail(&err, 4000)
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(dir.path().join("replay.sh").exists() && dir.path().join("calls.har").exists());
}
