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

    /// The script that starts this engine's private daemon, and the arguments that pick the
    /// engine: `SCRIPT start ARGS` prints `DOCKER_HOST` last; `SCRIPT paths ARGS` prints the
    /// `cli=` and `plugins=` to drive it with.
    pub fn daemon_script(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Engine::Docker20 => ("scripts/dockerd.sh", &["--engine", "20.10"]),
            Engine::Docker28 => ("scripts/dockerd.sh", &["--engine", "28"]),
            Engine::Podman => ("scripts/podman.sh", &[]),
        }
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

// --- Docker 28 (Debian unstable's docker.io 28.5, API 1.51) ----------------------------------

/// Whether the engine comes with the client plugins people run today, `docker-buildx` (so
/// `docker build` is BuildKit) and `docker-compose` v2: engine 28 brings both from the same
/// Debian suite (`scripts/dockerd.sh paths --engine 28`). The 20.10 runs keep the machine's
/// CLI as it is, without plugins, so its cases stay what they were.
pub fn has_buildx_and_compose() -> bool {
    Engine::current() == Engine::Docker28
}

/// The flag `docker volume prune` needs to remove *named* volumes: from API 1.42 the daemon
/// prunes only anonymous volumes unless the filter says `all=true` (`--all`); the 20.10 daemon
/// (API 1.41) prunes every unused volume and its CLI negotiation makes `--all` an error there.
pub fn volume_prune_named() -> &'static [&'static str] {
    match Engine::current() {
        Engine::Docker28 => &["--all"],
        _ => &[],
    }
}

/// `docker save`'s tar, made comparable across two saves. Engine 28 writes an OCI layout whose
/// `blobs/sha256/` directory entry carries the time of the save (a temporary directory's
/// mtime), so two saves of the same image a second apart differ in that header's mtime and
/// checksum, and nowhere else; the 20.10 daemon's archive is byte-for-byte reproducible and is
/// left alone. Every header's mtime is zeroed and its checksum recomputed, so the result is
/// still a valid tar (`docker load` takes it).
pub fn save_archive(tar: &[u8]) -> Vec<u8> {
    let mut out = tar.to_vec();
    if Engine::current() != Engine::Docker28 {
        return out;
    }
    let mut at = 0;
    while at + 512 <= out.len() {
        let header = &mut out[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            break; // the end-of-archive blocks
        }
        let size = octal(&header[124..136]);
        header[136..147].copy_from_slice(b"00000000000");
        header[148..156].fill(b' ');
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        at += 512 + size.div_ceil(512) * 512;
    }
    out
}

/// A tar header's octal number field.
fn octal(field: &[u8]) -> usize {
    field
        .iter()
        .skip_while(|b| **b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .fold(0, |n, b| n * 8 + usize::from(b - b'0'))
}

/// The oldest API version the engine still serves; older ones get `400 client version … is
/// too old`. 20.10 serves down to 1.12; engine 28 says `MinAPIVersion` 1.24 (`GET /version`),
/// so it refuses the corpus's legacy `/v1.23/…/start` requests even when they are harmless.
pub fn min_api_version() -> (u32, u32) {
    match Engine::current() {
        Engine::Docker28 => (1, 24),
        _ => (1, 12),
    }
}
