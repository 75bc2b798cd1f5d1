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

// --- Podman ---------------------------------------------------------------------------------
//
// Podman 4.3's Docker-compatible service (`podman system service`, API 1.41) answers most of
// what the docker CLI asks, but words some errors and names some things its own way, and a few
// calls it does not do at all. Its answers are the same directly and through sockeye: what
// follows is what a case must expect of Podman itself, not a tolerance for the relay.

/// The CLI cases (their `Harness::new` names) run against Podman: each passes directly and
/// gives the same results through sockeye. A case not listed here is skipped when the engine
/// is Podman, so that a case added later (e.g. for a Docker-only feature) does not turn the
/// Podman step red until someone has tried it there. [`PODMAN_GAPS`] says why the rest are out.
pub const PODMAN_CASES: &[&str] = &[
    // daemon-wide
    "version",
    "info",
    "images",
    "history",
    "inspect_image",
    "system_df",
    // containers
    "run_rm",
    "run_d",
    "run_missing",
    "ps",
    "ps_a",
    "inspect_c",
    "inspect_missing",
    // exec and attach (hijacked streams)
    "exec_no_i",
    "exec_i",
    "exec_i_eof",
    "exec_i_duplex",
    "exec_t",
    "exec_stopped",
    "old_cli",
    "exec_i_large",
    "exec_large_out",
    "exec_code",
    "exec_env",
    "exec_it",
    "run_i",
    "exec_d",
    "start_ai",
    "wait_kill",
    "start_a",
    "exec_binary",
    // logs
    "logs",
    "logs_tail",
    "logs_f",
    // files and images
    "cp",
    "cp_big",
    "cp_dir",
    "cp_missing",
    "save_load",
    "export_import",
    "diff",
    // networks and volumes
    "network",
    "net_connect",
    "volume",
    "bind",
    // lifecycle
    "top",
    "restart",
    "stop_start",
    "wait",
    "rename",
    "kill_s",
    "port",
    "rm_many",
    "not_modified",
    "big_json",
    "events",
    "prune_c",
    "prune_v",
    // the relay itself
    "relay_log",
];

/// The CLI cases left out on Podman 4.3, each with what Podman does (the same directly and
/// through sockeye: these are Podman's gaps, not the relay's). docs/podman.md lists them too.
pub const PODMAN_GAPS: &[(&str, &str)] = &[
    (
        "build_classic",
        "builds with Buildah and prints its own progress (`STEP 1/4:`, not `Step 1/4 :`)",
    ),
    (
        "build_kit",
        "no BuildKit: POST /session answers 404, `unable to upgrade to h2c`",
    ),
    (
        "commit",
        "POST /commit without a JSON body fails with `Decode(): EOF` (the docker CLI sends none)",
    ),
    ("rmi_conflict", "needs `docker commit` (see commit)"),
    ("prune_i", "needs `docker commit` (see commit)"),
    (
        "run_i_eof",
        "`run --rm -i` exits 0 whatever the container's exit code (attach loses it)",
    ),
    (
        "run_it",
        "`run --rm -it` exits 0 whatever the container's exit code (attach loses it)",
    ),
    (
        "exec_i_early",
        "resets the exec connection when the process stops reading stdin (the CLI exits 1)",
    ),
    (
        "attach",
        "sends no `attach` event before the container's output is attached",
    ),
    (
        "pause",
        "`ps` without `-a` leaves paused containers out (dockerd lists them `Up … (Paused)`)",
    ),
    (
        "tag_rmi",
        "`images REPO:TAG` also lists every other name of the same image",
    ),
    (
        "stats",
        "`stats --format {{.Name}}` loses the name's first character (Podman strips a `/` that is not there)",
    ),
    (
        "update",
        "no POST /containers/{id}/update in the compat API (404 Not Found)",
    ),
];

/// Cases that drive Podman's own client (`podman --remote`, libpod routes): Podman only.
pub const PODMAN_ONLY_CASES: &[&str] = &["podman_remote"];

impl Engine {
    /// Whether the CLI case named `case` runs against this engine (see [`PODMAN_CASES`]).
    pub fn runs_case(self, case: &str) -> bool {
        match self {
            Engine::Podman => PODMAN_CASES.contains(&case) || PODMAN_ONLY_CASES.contains(&case),
            _ => !PODMAN_ONLY_CASES.contains(&case),
        }
    }
}

fn podman() -> bool {
    Engine::current() == Engine::Podman
}

/// The comment `docker history` shows for the imported test image: Podman records its own
/// words for an import from a tarball.
pub fn imported_image_comment() -> &'static str {
    if podman() {
        "imported from tarball"
    } else {
        "Imported from -"
    }
}

/// `Config.Image` of a container run from `image`: Podman stores the fully qualified name its
/// compat API resolved the short name to (`docker.io/…`), dockerd the name as given.
pub fn configured_image(image: &str) -> String {
    if podman() {
        format!("docker.io/{image}")
    } else {
        image.to_string()
    }
}

/// The name `docker load` reports for a saved `name`: Podman qualifies a short name
/// (`docker.io/library/…`) when it loads it.
pub fn loaded_image(name: &str) -> String {
    if podman() {
        format!("docker.io/library/{name}")
    } else {
        name.to_string()
    }
}

/// What the daemon's error says for a container that does not exist: Podman's libpod error
/// text is lower case (`no container with name or ID … found: no such container`).
pub fn no_such_container() -> &'static str {
    if podman() {
        "no such container"
    } else {
        "No such container"
    }
}

/// What the daemon's error says for an image that is not there (`run --pull never`).
pub fn no_such_image() -> &'static str {
    if podman() {
        "no such image"
    } else {
        "No such image"
    }
}

/// What `docker exec` on a created (never started) container fails with: Podman refuses
/// `POST /exec` with `can only create exec sessions on running containers: container state
/// improper`, dockerd with `Container … is not running`.
pub fn exec_on_a_stopped_container() -> &'static str {
    if podman() {
        "container state improper"
    } else {
        "is not running"
    }
}

/// What `docker cp CONTAINER:/nope …` fails with: Podman's 404 for the archive's HEAD carries
/// no path, so the CLI prints the daemon's bare `no such file or directory`.
pub fn cp_missing_source(path: &str) -> String {
    if podman() {
        "no such file or directory".to_string()
    } else {
        format!("Could not find the file {path}")
    }
}

/// The action of the event a removed container leaves: `remove` in Podman, `destroy` in dockerd.
pub fn container_removed_action() -> &'static str {
    if podman() {
        "remove"
    } else {
        "destroy"
    }
}

/// A `docker logs --timestamps` line: Podman's compat API formats the time as RFC 3339 with
/// whole seconds, dockerd with nanoseconds.
pub fn log_timestamp_pattern() -> &'static str {
    if podman() {
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"
    } else {
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z"
    }
}

/// `docker info` output made comparable between two calls: Podman makes up a new random `ID`
/// on every `GET /info` (dockerd's is the daemon's persistent one), and lists its storage
/// driver's status in Go map order, which changes from one call to the next (seen: `Native
/// Overlay Diff` first directly and last through sockeye, and the other way round). On Podman
/// the lines are compared as a set.
pub fn info_stable(s: &str) -> String {
    if !podman() {
        return s.to_string();
    }
    let mut lines: Vec<String> = s
        .lines()
        .map(|l| match l.split_once("ID: ") {
            Some((indent, _)) if indent.trim().is_empty() => format!("{indent}ID: <RANDOM>"),
            _ => l.to_string(),
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

/// The CLI's stderr for an exec Podman could not start: Podman 4.3 sometimes also resets the
/// hijacked attach before the CLI has read it, and the CLI then adds `Error: read unixpacket
/// …: connection reset by peer` — seen directly as well as through sockeye, so it is Podman's
/// race and left out of the comparison.
pub fn exec_failure_stable(s: &str) -> String {
    if !podman() {
        return s.to_string();
    }
    s.lines()
        .filter(|l| !(l.contains("read unixpacket") && l.contains("connection reset by peer")))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `docker history --no-trunc --format '{{.ID}} …'`: dockerd prints the id as a digest
/// (`sha256:…`), Podman the bare hex.
pub fn history_full_id_pattern() -> &'static str {
    if podman() {
        r"^[0-9a-f]{64} "
    } else {
        r"^sha256:[0-9a-f]{64} "
    }
}

/// `docker inspect` of a container made comparable between two calls: Podman builds
/// `Config.Env` from a Go map, so its order changes from call to call (dockerd keeps the order
/// it stored). Under Podman the lines of every `"Env": [ … ]` array are sorted.
pub fn inspect_env_stable(s: &str) -> String {
    if !podman() {
        return s.to_string();
    }
    let mut out: Vec<String> = Vec::new();
    let mut env: Option<Vec<String>> = None;
    for line in s.lines() {
        match env.as_mut() {
            None => {
                if line.trim_end().ends_with("\"Env\": [") {
                    env = Some(Vec::new());
                }
                out.push(line.to_string());
            }
            Some(items) if line.trim_start().starts_with(']') => {
                // The last item has no comma: take them all off, sort, put them back.
                let mut v: Vec<String> = items
                    .iter()
                    .map(|l| l.trim_end_matches(',').to_string())
                    .collect();
                v.sort();
                let n = v.len();
                for (i, l) in v.into_iter().enumerate() {
                    out.push(if i + 1 < n { format!("{l},") } else { l });
                }
                out.push(line.to_string());
                env = None;
            }
            Some(items) => items.push(line.to_string()),
        }
    }
    out.join("\n")
}

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
