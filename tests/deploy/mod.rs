//! What the deployment tests (image, compose, systemd) share: which image they test, and
//! when something missing is a skip or a failure.
//!
//! - `SOCKEYE_TEST_IMAGE`: the image to test; it must exist. Unset: `sockeye:latest` if the
//!   daemon has it, else skip; under CI=true unset always skips (an image left by an earlier
//!   run would test old code): scripts/test.sh's deployment step builds it and sets this.
//! - `SOCKEYE_TEST_DEPLOY=1` (that step sets it): a missing tool, image or plugin fails.

#![allow(dead_code)]

use std::io::Write as _;
use std::process::Command;

fn set(var: &str, values: &[&str]) -> bool {
    std::env::var(var).is_ok_and(|v| values.contains(&v.to_ascii_lowercase().as_str()))
}

pub fn in_ci() -> bool {
    set("CI", &["true", "1"])
}

/// Whether the deployment step prepared everything, so that anything missing fails.
pub fn required() -> bool {
    set("SOCKEYE_TEST_DEPLOY", &["1", "true"])
}

/// Skip with a line on stderr, or fail when the deployment step should have provided it.
pub fn missing(what: &str) {
    assert!(!required(), "{what} (SOCKEYE_TEST_DEPLOY=1 needs it)");
    // Straight to fd 2: libtest captures eprintln! of passing tests, and a skip must be seen.
    let _ = writeln!(std::io::stderr(), "\n######## SKIPPED: {what} ########\n");
}

/// The image under test on the daemon at `host`, or `None` (skipped).
pub fn image(host: &str) -> Option<String> {
    let exists = |image: &str| {
        Command::new("docker")
            .env("DOCKER_HOST", host)
            .args(["image", "inspect", image])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    match std::env::var("SOCKEYE_TEST_IMAGE") {
        Ok(image) => {
            assert!(
                exists(&image),
                "SOCKEYE_TEST_IMAGE={image} is not on the daemon"
            );
            Some(image)
        }
        Err(_) if in_ci() => {
            missing("no SOCKEYE_TEST_IMAGE: scripts/test.sh's deployment step runs these");
            None
        }
        Err(_) if exists("sockeye:latest") => Some("sockeye:latest".into()),
        Err(_) => {
            missing("no image sockeye:latest: run scripts/image.sh");
            None
        }
    }
}
