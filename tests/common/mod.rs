//! Harness for the CLI integration tests: a real dockerd, sockeye (or a stand-in) in front of
//! it, and the docker CLI run once directly against the daemon and once through the relay.
//!
//! A case is a closure over a [`Side`]. [`Harness::compare`] runs it twice, first directly and
//! then through sockeye, each time with object names unique to that side; the steps the
//! closure records with [`Side::step`] must then agree pairwise on exit code, stdout and
//! stderr once [`normalize`]d. The closure also asserts what each step must contain, so that
//! two identical failures never pass.
//!
//! Environment:
//! - `SOCKEYE_TEST_ENGINE`: `20.10` (default) or `28` — which private daemon to start
//!   (`scripts/dockerd.sh start --engine …`) and which docker CLI and plugins drive it (see
//!   [`engine`]).
//! - `SOCKEYE_TEST_DOCKER_HOST`: use this daemon (`unix://` only) instead of starting the
//!   engine's private one; `SOCKEYE_TEST_ENGINE` still says which engine it is.
//! - `SOCKEYE_TEST_STANDIN=socat`: put `socat` in front of the daemon instead of sockeye, to
//!   validate the harness or to compare the relay with a dumb byte pipe.
//! - `SOCKEYE_TEST_VIA=tls`: reach sockeye through a `tls://` listener that requires client
//!   certificates (made by `sockeye certs init`), with the docker CLI's `DOCKER_TLS_VERIFY`
//!   and `DOCKER_CERT_PATH`, instead of its Unix socket.
//! - `CI=true|1`: a missing daemon fails the tests instead of skipping them.

#![allow(dead_code)]

pub mod engine;
pub mod pki;

use regex::Regex;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{LazyLock, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The image `scripts/dockerd.sh start` imports from the host's static busybox.
pub const IMAGE: &str = "sockeye-test/busybox:1";
/// Label put on objects that carry no test-specific name, for cleanup and prune filters.
pub const LABEL: &str = "sockeye-test";
/// Default bound for one docker CLI invocation.
pub const CMD_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// The daemon
// ---------------------------------------------------------------------------------------------

pub struct Daemon {
    /// `unix:///…/docker.sock`
    pub host: String,
    pub socket: PathBuf,
    /// The docker CLI to drive this engine with (`docker` from PATH for 20.10; the engine's own
    /// 28.5 CLI for engine 28, so that a run does not depend on which CLI the machine has).
    pub cli: String,
    /// The engine's CLI plugins (buildx, compose), linked into each test's `DOCKER_CONFIG`.
    pub plugins: Option<PathBuf>,
}

static DAEMON: OnceLock<Result<Daemon, String>> = OnceLock::new();

fn in_ci() -> bool {
    matches!(
        std::env::var("CI")
            .map(|v| v.to_ascii_lowercase())
            .as_deref(),
        Ok("true") | Ok("1")
    )
}

/// The daemon for this test process, started once. `None` means: skip (never in CI, where a
/// missing daemon panics).
pub fn daemon() -> Option<&'static Daemon> {
    match DAEMON.get_or_init(find_daemon) {
        Ok(d) => Some(d),
        Err(e) if in_ci() => panic!("no Docker daemon in CI (CI is set, so this fails): {e}"),
        Err(e) => {
            // Straight to fd 2: libtest captures eprintln! of passing tests, and a skip must
            // be seen.
            let _ = writeln!(
                std::io::stderr(),
                "\n######## SKIPPED: no Docker daemon ({e}); set SOCKEYE_TEST_DOCKER_HOST or \
                 run scripts/dockerd.sh start as root ########\n"
            );
            None
        }
    }
}

fn find_daemon() -> Result<Daemon, String> {
    let engine = engine::Engine::current();
    let host = match std::env::var("SOCKEYE_TEST_DOCKER_HOST") {
        Ok(h) if !h.trim().is_empty() => h.trim().to_string(),
        _ => start_private_daemon(engine)?,
    };
    let socket = PathBuf::from(
        host.strip_prefix("unix://")
            .ok_or_else(|| format!("DOCKER_HOST {host:?}: only unix:// daemons are supported"))?,
    );
    ping(&socket).map_err(|e| format!("{host}: /_ping failed: {e}"))?;
    let (cli, plugins) = engine_cli(engine)?;
    let d = Daemon {
        host,
        socket,
        cli,
        plugins,
    };
    sweep_stale(&d);
    Ok(d)
}

/// `SCRIPT CMD ARGS` of the engine's daemon script; its stdout on success.
fn daemon_script(engine: engine::Engine, cmd: &str) -> Result<String, String> {
    let (script, args) = engine.daemon_script();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let mut c = Command::new("bash");
    c.arg(&script).arg(cmd).args(args);
    // First run on a fresh machine installs docker.io or downloads engine 28: give it time.
    let r = run_process(c, None, false, Duration::from_secs(900))
        .map_err(|e| format!("{} {cmd}: {e}", script.display()))?;
    if r.code != 0 {
        return Err(format!(
            "{} {cmd} {} exited {}; its stderr:\n{}",
            script.display(),
            args.join(" "),
            r.code,
            tail(&String::from_utf8_lossy(&r.stderr), 3000)
        ));
    }
    Ok(String::from_utf8_lossy(&r.stdout).into_owned())
}

fn start_private_daemon(engine: engine::Engine) -> Result<String, String> {
    daemon_script(engine, "start")?
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .ok_or_else(|| format!("{} start printed no DOCKER_HOST", engine.name()))
}

/// The CLI and plugin directory for `engine`, as its daemon script names them (`paths`: lines
/// `cli=…` and `plugins=…`); a script without `paths` means `docker` from PATH, no plugins.
fn engine_cli(engine: engine::Engine) -> Result<(String, Option<PathBuf>), String> {
    let Ok(out) = daemon_script(engine, "paths") else {
        return Ok(("docker".to_string(), None));
    };
    let value = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let cli = value("cli=").unwrap_or_else(|| "docker".to_string());
    let plugins = value("plugins=").map(PathBuf::from);
    if cli.contains('/') && !Path::new(&cli).exists() {
        return Err(format!(
            "engine {}: its docker CLI {cli} is missing (run its daemon script's start)",
            engine.name()
        ));
    }
    Ok((cli, plugins))
}

/// One raw `GET /_ping`, no client library involved.
fn ping(socket: &Path) -> Result<(), String> {
    let mut s = UnixStream::connect(socket).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).map_err(|e| e.to_string())?;
    if resp.starts_with("HTTP/1.") && resp.contains(" 200 ") {
        Ok(())
    } else {
        Err(format!("unexpected answer: {}", tail(&resp, 300)))
    }
}

/// Objects from earlier test processes that died before their cleanup ran: names start with
/// `sk<pid>-` for a pid that no longer runs.
fn sweep_stale(d: &Daemon) {
    let stale_re = Regex::new(r"^/?sk(\d+)-").unwrap();
    let is_stale = |name: &str| {
        stale_re
            .captures(name)
            .and_then(|c| c[1].parse::<u32>().ok())
            .is_some_and(|pid| {
                pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
            })
    };
    let list = |args: &[&str]| -> Vec<String> {
        let out = direct(d, args);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| is_stale(l))
            .collect()
    };
    let containers = list(&["ps", "-a", "--format", "{{.Names}}"]);
    if !containers.is_empty() {
        let mut args = vec!["rm", "-f", "-v"];
        args.extend(containers.iter().map(String::as_str));
        direct(d, &args);
    }
    for image in list(&["images", "--format", "{{.Repository}}:{{.Tag}}"]) {
        direct(d, &["rmi", "-f", &image]);
    }
    for net in list(&["network", "ls", "--format", "{{.Name}}"]) {
        direct(d, &["network", "rm", &net]);
    }
    for vol in list(&["volume", "ls", "--format", "{{.Name}}"]) {
        direct(d, &["volume", "rm", "-f", &vol]);
    }
}

/// A docker CLI call straight to the daemon, for housekeeping (no assertions).
fn direct(d: &Daemon, args: &[&str]) -> RawOut {
    let mut cmd = Command::new(&d.cli);
    cmd.args(args);
    docker_env(&mut cmd, &d.host, None);
    run_process(cmd, None, false, CMD_TIMEOUT).unwrap_or_else(|e| RawOut {
        code: -1,
        stdout: vec![],
        stderr: e.into_bytes(),
        elapsed: Duration::ZERO,
    })
}

fn docker_env(cmd: &mut Command, host: &str, config: Option<&Path>) {
    // Nothing from the caller's environment may steer the CLI elsewhere.
    for var in [
        "DOCKER_CONTEXT",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
        "DOCKER_API_VERSION",
        "DOCKER_BUILDKIT",
        "DOCKER_DEFAULT_PLATFORM",
        "BUILDKIT_PROGRESS",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("DOCKER_HOST", host);
    cmd.env("DOCKER_CLI_HINTS", "false");
    match config {
        Some(c) => cmd.env("DOCKER_CONFIG", c),
        None => cmd.env(
            "DOCKER_CONFIG",
            std::env::temp_dir().join("sockeye-test-docker-config"),
        ),
    };
}

// ---------------------------------------------------------------------------------------------
// Processes with a deadline
// ---------------------------------------------------------------------------------------------

pub struct RawOut {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
}

fn kill_group(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Runs `cmd` in its own process group; kills the whole group on timeout. `hold_stdin` keeps
/// stdin open until the process exits (for ptys: an EOF on `script`'s stdin is typed into the
/// terminal and races with the program's output).
fn run_process(
    cmd: Command,
    stdin: Option<Vec<u8>>,
    hold_stdin: bool,
    timeout: Duration,
) -> Result<RawOut, String> {
    let p = spawn_process(cmd, stdin, hold_stdin)?;
    p.finish(timeout)
}

struct Proc {
    child: Child,
    what: String,
    start: Instant,
    held_stdin: Option<ChildStdin>,
    out_rx: mpsc::Receiver<(usize, Vec<u8>)>,
}

fn spawn_process(
    mut cmd: Command,
    stdin: Option<Vec<u8>>,
    hold_stdin: bool,
) -> Result<Proc, String> {
    let what = format!("{cmd:?}");
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    cmd.stdin(if stdin.is_some() || hold_stdin {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {what}: {e}"))?;
    let (tx, out_rx) = mpsc::channel();
    for (i, mut r) in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ]
    .into_iter()
    .enumerate()
    {
        let tx = tx.clone();
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            let _ = tx.send((i, buf));
        });
    }
    let mut held_stdin = None;
    if let Some(mut w) = child.stdin.take() {
        let data = stdin.unwrap_or_default();
        if hold_stdin {
            w.write_all(&data)
                .map_err(|e| format!("{what}: writing stdin: {e}"))?;
            held_stdin = Some(w);
        } else {
            // A thread, so a large stdin cannot deadlock against a full stdout pipe. Dropping
            // `w` at the end is the EOF.
            thread::spawn(move || {
                let _ = w.write_all(&data);
            });
        }
    }
    Ok(Proc {
        child,
        what,
        start,
        held_stdin,
        out_rx,
    })
}

impl Proc {
    fn finish(mut self, timeout: Duration) -> Result<RawOut, String> {
        let pid = self.child.id();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) => {}
                Err(e) => return Err(format!("{}: wait: {e}", self.what)),
            }
            if self.start.elapsed() > timeout {
                kill_group(pid, "-KILL");
                let _ = self.child.wait();
                let (o, e) = self.collect(Duration::from_secs(5));
                return Err(format!(
                    "TIMEOUT after {:?}, killed: {}\n--- stdout so far:\n{}\n--- stderr so far:\n{}",
                    timeout,
                    self.what,
                    tail(&String::from_utf8_lossy(&o), 3000),
                    tail(&String::from_utf8_lossy(&e), 3000)
                ));
            }
            thread::sleep(Duration::from_millis(10));
        };
        let elapsed = self.start.elapsed();
        drop(self.held_stdin.take());
        // The pipes close when the last holder exits; a straggler in the group (e.g. the
        // docker CLI under `script`) gets a grace period and then the group is killed.
        let (stdout, stderr) = self.collect(Duration::from_secs(10));
        kill_group(pid, "-KILL");
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        Ok(RawOut {
            code,
            stdout,
            stderr,
            elapsed,
        })
    }

    fn collect(&mut self, grace: Duration) -> (Vec<u8>, Vec<u8>) {
        let mut got: [Option<Vec<u8>>; 2] = [None, None];
        let deadline = Instant::now() + grace;
        let mut killed = false;
        while got.iter().any(Option::is_none) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .out_rx
                .recv_timeout(if killed { Duration::from_secs(5) } else { left })
            {
                Ok((i, buf)) => got[i] = Some(buf),
                Err(_) if !killed => {
                    kill_group(self.child.id(), "-KILL");
                    killed = true;
                }
                Err(_) => break,
            }
        }
        let [o, e] = got;
        (o.unwrap_or_default(), e.unwrap_or_default())
    }
}

// ---------------------------------------------------------------------------------------------
// sockeye (or the stand-in)
// ---------------------------------------------------------------------------------------------

/// A running relay in a private tempdir; SIGTERM (then SIGKILL) on drop.
pub struct Sockeye {
    child: Child,
    _dir: tempfile::TempDir,
    pub socket: PathBuf,
    pub log_path: PathBuf,
    /// `"sockeye"` or the stand-in's name.
    pub kind: String,
}

impl Sockeye {
    pub fn start(upstream: &Path) -> Sockeye {
        Sockeye::start_with(upstream, &[])
    }

    /// sockeye itself (never a stand-in) with extra `proxy` arguments, e.g.
    /// `["--profile", "no-escape"]`.
    pub fn start_with(upstream: &Path, args: &[&str]) -> Sockeye {
        let dir = tempfile::Builder::new()
            .prefix("sockeye-test.")
            .tempdir()
            .expect("tempdir");
        let socket = dir.path().join("sockeye.sock");
        let kind = match args {
            [] => std::env::var("SOCKEYE_TEST_STANDIN").unwrap_or_default(),
            _ => String::new(),
        };
        let cmd = match kind.as_str() {
            "" => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_sockeye"));
                c.arg("proxy")
                    .arg("--listen")
                    .arg(format!("unix://{}", socket.display()))
                    .arg("--upstream")
                    .arg(format!("unix://{}", upstream.display()))
                    .args(args);
                c
            }
            "socat" => {
                let mut c = Command::new("socat");
                // -t: after EOF in one direction, socat by default closes the whole connection
                // 0.5 s later; a half-closed Docker stream (exec without -i) lives on.
                c.arg("-t86400")
                    .arg(format!("UNIX-LISTEN:{},fork", socket.display()))
                    .arg(format!("UNIX-CONNECT:{}", upstream.display()));
                c
            }
            other => panic!("SOCKEYE_TEST_STANDIN={other:?}: only \"socat\" is known"),
        };
        let kind = if kind.is_empty() {
            "sockeye".to_string()
        } else {
            kind
        };
        Sockeye::spawn(cmd, dir, socket, kind)
    }

    /// sockeye itself (never a stand-in): `sockeye proxy --listen unix://SOCKET ARGS…`, for
    /// tests of sockeye's own options (more listeners, TLS). `args` name the upstream.
    pub fn start_sockeye<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Sockeye {
        let dir = tempfile::Builder::new()
            .prefix("sockeye-test.")
            .tempdir()
            .expect("tempdir");
        let socket = dir.path().join("sockeye.sock");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sockeye"));
        cmd.arg("proxy")
            .arg("--listen")
            .arg(format!("unix://{}", socket.display()));
        for a in args {
            cmd.arg(a.as_ref());
        }
        Sockeye::spawn(cmd, dir, socket, "sockeye".into())
    }

    /// Start `cmd` with its output in the log and wait until it accepts on `socket`.
    fn spawn(mut cmd: Command, dir: tempfile::TempDir, socket: PathBuf, kind: String) -> Sockeye {
        let log_path = dir.path().join("sockeye.log");
        let log = File::create(&log_path).expect("create sockeye.log");
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .process_group(0);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start relay {cmd:?}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if UnixStream::connect(&socket).is_ok() {
                break;
            }
            if let Ok(Some(st)) = child.try_wait() {
                panic!(
                    "{kind} exited ({st}) before accepting connections: {cmd:?}\n--- its log:\n{}",
                    tail(
                        &std::fs::read_to_string(&log_path).unwrap_or_default(),
                        4000
                    )
                );
            }
            if Instant::now() > deadline {
                kill_group(child.id(), "-KILL");
                panic!(
                    "{kind} did not accept connections on {} within 15 s\n--- its log:\n{}",
                    socket.display(),
                    tail(
                        &std::fs::read_to_string(&log_path).unwrap_or_default(),
                        4000
                    )
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
        Sockeye {
            child,
            _dir: dir,
            socket,
            log_path,
            kind,
        }
    }

    /// The first address with `scheme` (`tls`, `tcp`) that sockeye's start line names, with
    /// the port the kernel chose for `:0`: `127.0.0.1:40123`.
    pub fn listening(&self, scheme: &str) -> String {
        let re = Regex::new(&format!(r"{scheme}://([0-9.:\[\]a-f]+:\d+)")).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|l| l.contains("relaying ")) {
                if let Some(c) = re.captures(line) {
                    return c[1].to_string();
                }
                panic!("sockeye listens on no {scheme}:// address: {line}");
            }
            assert!(
                Instant::now() < deadline,
                "sockeye printed no start line:\n{}",
                tail(&log, 4000)
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait until the log has a line containing every one of `needles`; returns that line.
    pub fn wait_for_log(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|l| needles.iter().all(|n| l.contains(n))) {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no line with {needles:?} in sockeye's log:\n{}",
                tail(&log, 4000)
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn is_standin(&self) -> bool {
        self.kind != "sockeye"
    }

    /// Send `signal` (`-INT`, `-TERM`) to sockeye's process group.
    pub fn signal(&self, signal: &str) {
        kill_group(self.child.id(), signal);
    }

    /// Wait up to `timeout` for sockeye to exit; its status, or `None` if it still runs.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sockeye {
    fn drop(&mut self) {
        let pid = self.child.id();
        kill_group(pid, "-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                // Forked stand-in children may still hold connections.
                kill_group(pid, "-KILL");
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        eprintln!(
            "{} (pid {pid}) ignored SIGTERM for 5 s; killing it",
            self.kind
        );
        kill_group(pid, "-KILL");
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Commands and their outcomes
// ---------------------------------------------------------------------------------------------

/// Per-case normalizer, applied to stdout and stderr (after [`normalize`]) of one step.
pub type Norm = fn(&str) -> String;

/// Rewrites a step's raw stdout (see [`Cmd::rewrite_stdout`]).
pub type Rewrite = fn(&[u8]) -> Vec<u8>;

/// A command line to run on one side.
pub struct Cmd {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
    tty: bool,
    timeout: Duration,
    cwd: Option<PathBuf>,
    norm: Option<Norm>,
    digest: bool,
    bytes: Option<Rewrite>,
}

impl Cmd {
    /// Feed these bytes on stdin, then close it.
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(data.into());
        self
    }
    /// Run under a pseudo-terminal (`script`), for `-t`.
    pub fn tty(mut self) -> Self {
        self.tty = true;
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_string(), v.to_string()));
        self
    }
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    pub fn cwd(mut self, p: impl Into<PathBuf>) -> Self {
        self.cwd = Some(p.into());
        self
    }
    /// Keep only `<len> bytes, sha256 <hex>` of stdout: for large binary output.
    pub fn digest_stdout(mut self) -> Self {
        self.digest = true;
        self
    }
    /// Rewrite stdout's bytes before anything else sees them (digest, comparison, the
    /// caller): for binary output with a part that legitimately differs, e.g. a timestamp in a
    /// tar header. The case then works with the rewritten bytes.
    pub fn rewrite_stdout(mut self, f: Rewrite) -> Self {
        self.bytes = Some(f);
        self
    }
    /// An extra normalization for this step, for what legitimately differs in its output.
    pub fn normalize(mut self, f: Norm) -> Self {
        self.norm = Some(f);
        self
    }

    pub fn cmdline(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The outcome of one command on one side.
#[derive(Clone)]
pub struct Out {
    pub via: Via,
    pub cmdline: String,
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
    norm: Option<Norm>,
    /// For a step through the relay: the same step's outcome directly, shown on failure.
    peer: Option<Box<Out>>,
}

impl Out {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    /// stdout, trimmed.
    pub fn text(&self) -> String {
        self.stdout_str().trim().to_string()
    }

    fn describe(&self) -> String {
        format!(
            "[{:?}] `{}` -> exit {} in {:.1?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.via,
            self.cmdline,
            self.code,
            self.elapsed,
            tail(&self.stdout_str(), 4000),
            tail(&self.stderr_str(), 4000)
        )
    }

    #[track_caller]
    fn fail(&self, what: String) -> ! {
        let mut msg = format!("{what}\n{}", self.describe());
        if let Some(p) = &self.peer {
            let _ = write!(
                msg,
                "\n=== the same step directly (so this is the relay's doing):\n{}",
                p.describe()
            );
        }
        panic!("{msg}");
    }

    #[track_caller]
    pub fn code(&self, want: i32) -> &Self {
        if self.code != want {
            self.fail(format!("expected exit code {want}, got {}", self.code));
        }
        self
    }
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.code(0)
    }
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        if !self.stdout_str().contains(needle) {
            self.fail(format!("expected stdout to contain {needle:?}"));
        }
        self
    }
    #[track_caller]
    pub fn stdout_lacks(&self, needle: &str) -> &Self {
        if self.stdout_str().contains(needle) {
            self.fail(format!("expected stdout NOT to contain {needle:?}"));
        }
        self
    }
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        if !self.stderr_str().contains(needle) {
            self.fail(format!("expected stderr to contain {needle:?}"));
        }
        self
    }
    #[track_caller]
    pub fn stdout_is(&self, want: &str) -> &Self {
        if self.stdout_str() != want {
            self.fail(format!("expected stdout to be exactly {want:?}"));
        }
        self
    }
    #[track_caller]
    pub fn stderr_empty(&self) -> &Self {
        if !self.stderr.is_empty() {
            self.fail("expected an empty stderr".to_string());
        }
        self
    }
    #[track_caller]
    pub fn check(&self, what: &str, pred: impl FnOnce(&Out) -> bool) -> &Self {
        if !pred(self) {
            self.fail(format!("expected: {what}"));
        }
        self
    }
}

/// A command running in the background (e.g. `docker attach`).
pub struct Running {
    proc: Option<Proc>,
    via: Via,
    cmdline: String,
    timeout: Duration,
    norm: Option<Norm>,
}

impl Running {
    fn finish(mut self) -> Out {
        let r = self
            .proc
            .take()
            .unwrap()
            .finish(self.timeout)
            .unwrap_or_else(|e| panic!("[{:?}] {e}", self.via));
        Out {
            via: self.via,
            cmdline: self.cmdline.clone(),
            code: r.code,
            stdout: r.stdout,
            stderr: r.stderr,
            elapsed: r.elapsed,
            norm: self.norm,
            peer: None,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            kill_group(p.child.id(), "-KILL");
            let _ = p.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Normalization and diffs
// ---------------------------------------------------------------------------------------------

static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // Timestamps: every run happens at another time (RFC 3339 in JSON, logs -t, events;
        // Go's time.String() in `ps`/`images` --format {{.CreatedAt}}).
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?",
            "<TIME>",
        ),
        (
            r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?( [+-]\d{4}( [A-Z]+)?)?",
            "<TIME>",
        ),
        // Ids: containers, execs, layers and most images are created anew by each run.
        (r"\b[0-9a-f]{64}\b", "<ID>"),
        (r"\b[0-9a-f]{12}\b", "<SHORTID>"),
        // Human durations ("2 seconds ago", "Up About a minute"): wall-clock dependent.
        (r"(About an? \w+|Less than a second|\d+ \w+) ago", "<AGO>"),
        (
            r"\bUp (About an? \w+|Less than a second|\d+ \w+)",
            "Up <DUR>",
        ),
    ]
    .into_iter()
    .map(|(re, to)| (Regex::new(re).unwrap(), to))
    .collect()
});

static COLUMNS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[ \t]{2,}").unwrap());

/// Brings one side's output to a form comparable with the other side's. Each rule is for
/// something that differs between any two runs, relay or not.
pub fn normalize(raw: &[u8], side: &SideInfo, norm: Option<Norm>) -> String {
    let mut s = String::from_utf8_lossy(raw).into_owned();
    // A pty's line discipline turns LF into CRLF: that is the terminal's doing, not the
    // stream's, and where a lone CR lands depends on output chunking.
    s = s.replace("\r\n", "\n");
    // Each side uses its own object names, scratch dir and DOCKER_HOST (the latter shows up
    // in the CLI's connection error messages). Longest first: the host contains the socket.
    let mut subst = [
        (side.host.clone(), "<HOST>"),
        (side.socket.clone(), "<SOCKET>"),
        (side.dir.clone(), "<DIR>"),
        (side.prefix.clone(), "<NAME>"),
    ];
    subst.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    for (from, to) in &subst {
        if !from.is_empty() {
            s = s.replace(from.as_str(), to);
        }
    }
    for (re, to) in RULES.iter() {
        s = re.replace_all(&s, *to).into_owned();
    }
    if let Some(f) = norm {
        s = f(&s);
    }
    // Table columns are padded to their widest cell, which moves with the values above.
    s.lines()
        .map(|l| COLUMNS.replace_all(l.trim_end(), "  ").into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Replaces every run of digits by `N`: for counters and sizes that move while other tests
/// run in parallel against the same daemon.
pub fn digits(s: &str) -> String {
    static D: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+").unwrap());
    D.replace_all(s, "N").into_owned()
}

/// BuildKit's plain progress: keep the step titles, drop timings, digests and the order in
/// which concurrent steps finish (scheduling, not the relay).
pub fn buildkit_progress(s: &str) -> String {
    static STEP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^#\d+ (\[.*|naming to .*)$").unwrap());
    static TIMING: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\s*\d+(\.\d+)?s\b|\s*done$").unwrap());
    let mut v: Vec<String> = s
        .lines()
        .filter_map(|l| {
            STEP.captures(l)
                .map(|c| TIMING.replace_all(&c[1], "").into_owned())
        })
        .collect();
    v.sort();
    v.dedup();
    v.join("\n")
}

/// Sorted lines: for output whose order is not part of the contract.
pub fn sorted_lines(s: &str) -> String {
    let mut v: Vec<&str> = s.lines().collect();
    v.sort_unstable();
    v.join("\n")
}

fn line_diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    if a.len() * b.len() > 4_000_000 {
        let i = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        return format!(
            "(large) first difference at line {}:\n- {}\n+ {}\n({} vs {} lines)",
            i + 1,
            a.get(i).unwrap_or(&"<end>"),
            b.get(i).unwrap_or(&"<end>"),
            a.len(),
            b.len()
        );
    }
    // LCS table, then walk it.
    let (n, m) = (a.len(), b.len());
    let mut t = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out, mut shown) = (0, 0, String::new(), 0);
    while (i < n || j < m) && shown < 200 {
        if i < n && j < m && a[i] == b[j] {
            let _ = writeln!(out, "  {}", a[i]);
            i += 1;
            j += 1;
        } else if j < m && (i == n || t[i][j + 1] >= t[i + 1][j]) {
            let _ = writeln!(out, "+ {}", b[j]);
            j += 1;
        } else {
            let _ = writeln!(out, "- {}", a[i]);
            i += 1;
        }
        shown += 1;
    }
    if i < n || j < m {
        out.push_str("  …\n");
    }
    out
}

pub fn tail(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = s.len() - max;
    while !s.is_char_boundary(cut) {
        cut += 1;
    }
    format!("…[{} bytes cut]…{}", cut, &s[cut..])
}

// ---------------------------------------------------------------------------------------------
// Harness and sides
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Direct,
    Relay,
}

/// What normalization needs to know about a side.
#[derive(Clone)]
pub struct SideInfo {
    pub host: String,
    pub socket: String,
    pub dir: String,
    pub prefix: String,
}

pub struct Harness {
    pub test: String,
    pub daemon: &'static Daemon,
    pub sockeye: Sockeye,
    /// How the relayed side reaches sockeye, when not through its Unix socket: a
    /// `DOCKER_HOST` and more environment (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`).
    relay_host: Option<String>,
    relay_env: Vec<(String, String)>,
    /// The certificates of a `SOCKEYE_TEST_VIA=tls` run.
    _pki: Option<tempfile::TempDir>,
    config: tempfile::TempDir,
    work: tempfile::TempDir,
    /// Recorded steps of the direct run, shown next to failures of the relayed run.
    direct_steps: RefCell<Vec<Out>>,
}

impl Harness {
    /// The harness for test `test` (a unique, lowercase name), or `None` to skip the test.
    pub fn new(test: &str) -> Option<Harness> {
        let engine = engine::Engine::current();
        if !engine.runs_case(test) {
            let _ = writeln!(
                std::io::stderr(),
                "(case {test} is not run against {}: see tests/common/engine.rs)",
                engine.name()
            );
            return None;
        }
        let daemon = daemon()?;
        match std::env::var("SOCKEYE_TEST_VIA").as_deref() {
            Ok("tls") => Some(Harness::over_tls(test, daemon)),
            Ok("") | Err(_) => {
                let sockeye = Sockeye::start(&daemon.socket);
                Some(Harness::with_sockeye(
                    test,
                    daemon,
                    sockeye,
                    None,
                    Vec::new(),
                ))
            }
            Ok(other) => panic!("SOCKEYE_TEST_VIA={other:?}: only \"tls\" is known"),
        }
    }

    /// sockeye with a `tls://` listener requiring client certificates; the relayed side's
    /// docker CLI reaches it as `tcp://…` with `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`.
    fn over_tls(test: &str, daemon: &'static Daemon) -> Harness {
        let pki = tempfile::Builder::new()
            .prefix("sockeye-test-pki.")
            .tempdir()
            .expect("tempdir");
        let dir = pki.path().join("certs");
        let init = Command::new(env!("CARGO_BIN_EXE_sockeye"))
            .args(["certs", "init"])
            .arg(&dir)
            .args(["--host", "127.0.0.1"])
            .output()
            .expect("sockeye certs init");
        assert!(init.status.success(), "sockeye certs init: {init:?}");
        let file = |name: &str| dir.join(name).display().to_string();
        let sockeye = Sockeye::start_sockeye([
            "--listen".to_string(),
            "tls://127.0.0.1:0".into(),
            "--tls-cert".into(),
            file("server-cert.pem"),
            "--tls-key".into(),
            file("server-key.pem"),
            "--tls-client-ca".into(),
            file("ca.pem"),
            "--upstream".into(),
            daemon.host.clone(),
        ]);
        let host = format!("tcp://{}", sockeye.listening("tls"));
        let env = vec![
            ("DOCKER_TLS_VERIFY".to_string(), "1".to_string()),
            ("DOCKER_CERT_PATH".to_string(), dir.display().to_string()),
        ];
        let mut h = Harness::with_sockeye(test, daemon, sockeye, Some(host), env);
        h._pki = Some(pki);
        h
    }

    /// The harness with a sockeye the caller started, reached at `host` (default: its Unix
    /// socket) with `env` added to the relayed side's docker CLI environment.
    pub fn with_sockeye(
        test: &str,
        daemon: &'static Daemon,
        sockeye: Sockeye,
        host: Option<String>,
        env: Vec<(String, String)>,
    ) -> Harness {
        let config = tempfile::Builder::new()
            .prefix("sockeye-test-config.")
            .tempdir()
            .expect("tempdir");
        let work = tempfile::Builder::new()
            .prefix("sockeye-test-work.")
            .tempdir()
            .expect("tempdir");
        if let Some(plugins) = &daemon.plugins {
            link_plugins(plugins, &config.path().join("cli-plugins"));
        }
        Harness {
            test: test.to_string(),
            daemon,
            sockeye,
            relay_host: host,
            relay_env: env,
            _pki: None,
            config,
            work,
            direct_steps: RefCell::new(Vec::new()),
        }
    }

    /// What all names of this test start with, on both sides.
    pub fn prefix(&self) -> String {
        format!("sk{}-{}-", std::process::id(), self.test)
    }

    fn side(&self, via: Via) -> Side<'_> {
        let (tag, host, socket) = match via {
            Via::Direct => ("d", self.daemon.host.clone(), self.daemon.socket.clone()),
            Via::Relay => (
                "p",
                self.relay_host
                    .clone()
                    .unwrap_or_else(|| self.sockeye.host()),
                self.sockeye.socket.clone(),
            ),
        };
        let dir = self.work.path().join(tag);
        std::fs::create_dir_all(&dir).expect("side dir");
        Side {
            h: self,
            via,
            info: SideInfo {
                host,
                socket: socket.display().to_string(),
                dir: dir.display().to_string(),
                // Same length on both sides, so that table columns line up alike.
                prefix: format!("{}{tag}", self.prefix()),
            },
            dir,
            steps: RefCell::new(Vec::new()),
        }
    }

    /// Runs `case` directly, then through the relay; the steps it records must agree.
    pub fn compare(&self, case: impl Fn(&Side)) {
        let d = self.side(Via::Direct);
        case(&d);
        *self.direct_steps.borrow_mut() = d.steps.borrow().clone();
        let p = self.side(Via::Relay);
        case(&p);
        let (ds, ps) = (d.steps.borrow(), p.steps.borrow());
        assert_eq!(
            ds.len(),
            ps.len(),
            "the case recorded a different number of steps on each side"
        );
        assert!(!ds.is_empty(), "the case recorded no step to compare");
        let mut report = String::new();
        for (i, (a, b)) in ds.iter().zip(ps.iter()).enumerate() {
            let (ao, bo) = (
                normalize(&a.stdout, &d.info, a.norm),
                normalize(&b.stdout, &p.info, b.norm),
            );
            let (ae, be) = (
                normalize(&a.stderr, &d.info, a.norm),
                normalize(&b.stderr, &p.info, b.norm),
            );
            if a.code == b.code && ao == bo && ae == be {
                continue;
            }
            let _ = writeln!(report, "\n### step {} `{}`", i + 1, b.cmdline);
            if a.code != b.code {
                let _ = writeln!(
                    report,
                    "exit code: direct {} vs {} {}",
                    a.code, self.sockeye.kind, b.code
                );
            }
            if ao != bo {
                let _ = writeln!(
                    report,
                    "stdout (- direct, + {}):\n{}",
                    self.sockeye.kind,
                    line_diff(&ao, &bo)
                );
            }
            if ae != be {
                let _ = writeln!(
                    report,
                    "stderr (- direct, + {}):\n{}",
                    self.sockeye.kind,
                    line_diff(&ae, &be)
                );
            }
        }
        if !report.is_empty() {
            panic!(
                "{}: the docker CLI saw something different through {} than directly:{report}",
                self.test, self.sockeye.kind
            );
        }
    }

    fn cleanup(&self) {
        let d = self.daemon;
        let prefix = self.prefix();
        let names = |args: &[&str]| -> Vec<String> {
            String::from_utf8_lossy(&direct(d, args).stdout)
                .lines()
                .map(|l| l.trim().trim_start_matches('/').to_string())
                .filter(|l| l.starts_with(&prefix))
                .collect()
        };
        let containers = names(&[
            "ps",
            "-a",
            "--filter",
            &format!("name={prefix}"),
            "--format",
            "{{.Names}}",
        ]);
        if !containers.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(containers.iter().map(String::as_str));
            direct(d, &args);
        }
        let images = names(&[
            "images",
            "--filter",
            &format!("reference={prefix}*"),
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ]);
        for image in &images {
            direct(d, &["rmi", "-f", image]);
        }
        // Untagged images a test made carry the label.
        let labelled = String::from_utf8_lossy(
            &direct(
                d,
                &[
                    "images",
                    "-q",
                    "--filter",
                    &format!("label={LABEL}={prefix}"),
                ],
            )
            .stdout,
        )
        .into_owned();
        for id in labelled.split_whitespace() {
            direct(d, &["rmi", "-f", id]);
        }
        for net in names(&[
            "network",
            "ls",
            "--filter",
            &format!("name={prefix}"),
            "--format",
            "{{.Name}}",
        ]) {
            direct(d, &["network", "rm", &net]);
        }
        for vol in names(&[
            "volume",
            "ls",
            "--filter",
            &format!("name={prefix}"),
            "--format",
            "{{.Name}}",
        ]) {
            direct(d, &["volume", "rm", "-f", &vol]);
        }
    }
}

/// The engine's CLI plugins as symlinks in a `DOCKER_CONFIG/cli-plugins`: the one plugin
/// directory every CLI version searches first, so the engine's buildx and compose win over
/// whatever the machine has installed.
fn link_plugins(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("cli-plugins dir");
    let entries = std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("the engine's CLI plugins {}: {e}", from.display()));
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("docker-") {
            std::os::unix::fs::symlink(entry.path(), to.join(&name)).expect("plugin symlink");
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!(
                "--- {} log for {} ({}):\n{}",
                self.sockeye.kind,
                self.test,
                self.sockeye.log_path.display(),
                tail(&self.sockeye.log(), 6000)
            );
        }
        self.cleanup();
    }
}

/// One run of a case: directly or through the relay.
pub struct Side<'h> {
    pub h: &'h Harness,
    pub via: Via,
    pub info: SideInfo,
    /// A scratch directory of this side.
    pub dir: PathBuf,
    steps: RefCell<Vec<Out>>,
}

impl Side<'_> {
    /// A name unique to this test and side: `sk<pid>-<test>-<d|p>-<what>`.
    pub fn name(&self, what: &str) -> String {
        format!("{}-{what}", self.info.prefix)
    }

    /// The label value that marks this side's objects (`--label sockeye-test=<value>`).
    pub fn label(&self) -> String {
        format!("{LABEL}={}", self.h.prefix())
    }

    /// A file in this side's scratch directory.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// `docker ARGS` with the engine's CLI (see [`Daemon::cli`]).
    pub fn docker<S: AsRef<str>>(&self, args: impl IntoIterator<Item = S>) -> Cmd {
        self.program(&self.h.daemon.cli, args)
    }

    /// `docker run --rm --network none IMAGE cat PATH`: what a file in an image (one a case
    /// just built) holds.
    pub fn cat_in(&self, image: &str, path: &str) -> Cmd {
        self.docker(["run", "--rm", "--network", "none", image, "cat", path])
    }

    /// Another program, e.g. `/usr/bin/docker` (the 20.10 CLI with built-in BuildKit).
    pub fn program<S: AsRef<str>>(&self, program: &str, args: impl IntoIterator<Item = S>) -> Cmd {
        Cmd {
            program: program.to_string(),
            args: args.into_iter().map(|a| a.as_ref().to_string()).collect(),
            env: Vec::new(),
            stdin: None,
            tty: false,
            timeout: CMD_TIMEOUT,
            cwd: None,
            norm: None,
            digest: false,
            bytes: None,
        }
    }

    fn command(&self, cmd: &Cmd) -> Command {
        let mut c = if cmd.tty {
            // util-linux script: -q quiet, -e child's exit code, -c command; the typescript
            // goes to /dev/null, the terminal output to our stdout.
            let mut c = Command::new("script");
            c.arg("-qec")
                .arg(cmd.cmdline())
                .arg("/dev/null")
                .env("SHELL", "/bin/sh");
            c
        } else {
            let mut c = Command::new(&cmd.program);
            c.args(&cmd.args);
            c
        };
        docker_env(&mut c, &self.info.host, Some(self.h.config.path()));
        if self.via == Via::Relay {
            for (k, v) in &self.h.relay_env {
                c.env(k, v);
            }
        }
        for (k, v) in &cmd.env {
            c.env(k, v);
        }
        c.current_dir(cmd.cwd.as_deref().unwrap_or(&self.dir));
        c
    }

    fn exec(&self, cmd: Cmd) -> Out {
        let c = self.command(&cmd);
        let mut r = run_process(c, cmd.stdin.clone(), cmd.tty, cmd.timeout)
            .unwrap_or_else(|e| panic!("[{:?}] {}: {e}", self.via, self.h.test));
        if let Some(rewrite) = cmd.bytes {
            r.stdout = rewrite(&r.stdout);
        }
        if cmd.digest {
            r.stdout = format!(
                "{} bytes, sha256 {}\n",
                r.stdout.len(),
                sha256_bytes(&r.stdout)
            )
            .into_bytes();
        }
        Out {
            via: self.via,
            cmdline: cmd.cmdline(),
            code: r.code,
            stdout: r.stdout,
            stderr: r.stderr,
            elapsed: r.elapsed,
            norm: cmd.norm,
            peer: None,
        }
    }

    fn with_peer(&self, mut out: Out, index: usize) -> Out {
        if self.via == Via::Relay {
            out.peer = self
                .h
                .direct_steps
                .borrow()
                .get(index)
                .cloned()
                .map(Box::new);
        }
        out
    }

    /// Runs a command that is not compared (setup, polling).
    pub fn run(&self, cmd: Cmd) -> Out {
        self.exec(cmd)
    }

    /// Runs a setup command that must succeed; not compared.
    #[track_caller]
    pub fn ok(&self, cmd: Cmd) -> Out {
        let out = self.exec(cmd);
        out.ok();
        out
    }

    /// Runs a command whose outcome is compared between the sides.
    pub fn step(&self, cmd: Cmd) -> Out {
        let out = self.exec(cmd);
        self.record(out)
    }

    fn record(&self, out: Out) -> Out {
        let index = self.steps.borrow().len();
        let out = self.with_peer(out, index);
        self.steps.borrow_mut().push(out.clone());
        out
    }

    /// Starts a command in the background; [`Side::finish`] waits for it.
    pub fn spawn(&self, cmd: Cmd) -> Running {
        let c = self.command(&cmd);
        let proc = spawn_process(c, cmd.stdin.clone(), cmd.tty)
            .unwrap_or_else(|e| panic!("[{:?}] {e}", self.via));
        Running {
            proc: Some(proc),
            via: self.via,
            cmdline: cmd.cmdline(),
            timeout: cmd.timeout,
            norm: cmd.norm,
        }
    }

    /// Waits for a background command and records it as a compared step.
    pub fn finish(&self, r: Running) -> Out {
        let out = r.finish();
        self.record(out)
    }

    /// Polls `cond` every 100 ms for up to 30 s.
    #[track_caller]
    pub fn wait_until(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cond() {
            if Instant::now() > deadline {
                panic!(
                    "[{:?}] {}: timed out waiting for {what}",
                    self.via, self.h.test
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// `docker inspect -f FORMAT OBJ`, trimmed (setup/polling helper, not compared).
    pub fn inspect(&self, obj: &str, format: &str) -> String {
        self.run(self.docker(["inspect", "-f", format, obj])).text()
    }

    /// Starts `sleep infinity` in a fresh container without network; returns its name.
    #[track_caller]
    pub fn sleeper(&self, what: &str) -> String {
        let name = self.name(what);
        self.ok(self.docker([
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            &name,
            IMAGE,
            "sleep",
            "infinity",
        ]));
        name
    }
}

/// Seconds since the epoch, for `--since`/`--until`.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// sha256 of a file, via coreutils.
pub fn sha256_file(p: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(p)
        .output()
        .expect("sha256sum");
    assert!(out.status.success(), "sha256sum {} failed", p.display());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// sha256 of bytes, via coreutils.
pub fn sha256_bytes(data: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum");
    let mut w = child.stdin.take().unwrap();
    let data = data.to_vec();
    let writer = thread::spawn(move || w.write_all(&data));
    let out = child.wait_with_output().expect("sha256sum");
    writer.join().unwrap().expect("write to sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Writes `len` pseudo-random (deterministic per `seed`) bytes to `p`.
pub fn write_random_file(p: &Path, len: usize, seed: u64) {
    let mut f = std::io::BufWriter::new(File::create(p).expect("create"));
    let mut x = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut left = len;
    let mut buf = [0u8; 8192];
    while left > 0 {
        for chunk in buf.chunks_mut(8) {
            // xorshift64*
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            let v = x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        let n = left.min(buf.len());
        f.write_all(&buf[..n]).expect("write");
        left -= n;
    }
    f.flush().expect("flush");
}

/// `docker ARGS` against `host`: the CLI on PATH, with nothing from the caller's environment
/// choosing another daemon or adding hints to its output.
pub fn docker_at(host: &str, args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .env("DOCKER_HOST", host)
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_CLI_HINTS", "false")
        .args(args)
        .output()
        .expect("run docker")
}

/// A command's exit code and output, for an assertion message.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A stand-in upstream on `path` that answers every request of a connection with a small
/// `200 OK`, for tests that need no daemon.
pub fn stub_upstream(path: &Path) {
    let listener = std::os::unix::net::UnixListener::bind(path).expect("bind stub");
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut seen = Vec::new();
                loop {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                    while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        seen.drain(..end + 4);
                        let answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                                      Content-Length: 2\r\n\r\nOK";
                        if conn.write_all(answer.as_bytes()).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
}
