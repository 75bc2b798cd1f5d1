//! Which engine the tests run against, and every difference between engines that a test must
//! tolerate — named here, once, each with its reason, instead of `if` statements sprinkled
//! through the cases.
//!
//! The engine comes from `SOCKEYE_TEST_ENGINE`:
//! - `20.10` (default): Debian 12's `docker.io`, API 1.41 (`scripts/dockerd.sh start`).
//! - `28`: Debian unstable's `docker.io` 28.5, API 1.51, extracted into a private root beside
//!   the 20.10 one (`scripts/dockerd.sh start --engine 28`).
//! - `podman`: Debian 12's Podman 4.3 Docker-compatible service (`scripts/podman.sh start`).
//!
//! `SOCKEYE_TEST_DOCKER_HOST` still overrides the socket; the engine then says what is behind it.

use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker20,
    Docker28,
    Podman,
}

impl Engine {
    /// The engine named by `SOCKEYE_TEST_ENGINE` (panics on an unknown name: a typo must not
    /// silently test the default engine).
    pub fn current() -> Engine {
        static ENGINE: OnceLock<Engine> = OnceLock::new();
        *ENGINE.get_or_init(|| {
            match std::env::var("SOCKEYE_TEST_ENGINE")
                .unwrap_or_default()
                .trim()
            {
                "" | "20.10" | "20" => Engine::Docker20,
                "28" | "28.5" => Engine::Docker28,
                "podman" => Engine::Podman,
                other => panic!("SOCKEYE_TEST_ENGINE={other:?}: expected 20.10, 28 or podman"),
            }
        })
    }

    /// The name tests and logs use.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Docker20 => "20.10",
            Engine::Docker28 => "28",
            Engine::Podman => "podman",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Differences between engines. One function per difference, each saying why.
// ---------------------------------------------------------------------------------------------
