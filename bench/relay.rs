//! sockeye relay benchmark: the upstream socket directly vs `socat UNIX-LISTEN,fork` vs
//! `sockeye proxy`, measured interleaved in one run. See docs/benchmarks.md for what each row
//! and column means; `bench/run.sh` is the one command that sets everything up and runs this.
//!
//! Run as `cargo bench --bench relay -- --docker-host unix:///path/docker.sock [options]`
//! (`--help` lists the options). The binary also has a hidden `__stub SOCKET` mode: the
//! upload (and fallback download) upstream, run as a separate process.
//!
//! CPU accounting: every proxy process is started inside its own cpuacct cgroup (v1
//! `cpuacct.usage`, or v2 `cpu.stat usage_usec`), so its CPU time is exact (ns) and includes
//! every thread and every child it forks, also those that already exited (socat forks one child
//! per connection). Without a usable cgroup the fallback is /proc/PID/stat
//! utime+stime+cutime+cstime (+ live children), in 10 ms ticks.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener as StdListener, UnixStream as StdUnix};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;

type Error = Box<dyn std::error::Error + Send + Sync>;
type R<T> = Result<T, Error>;

macro_rules! bail {
    ($($t:tt)*) => { return Err(format!($($t)*).into()) };
}

mod docker_rows;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Opts {
    docker_host: PathBuf,
    sockeye: PathBuf,
    sockeye_args: Vec<String>,
    standin: bool,
    rounds: usize,
    rows: Vec<String>,
    workdir: PathBuf,
    out: Option<PathBuf>,
    socat_buf: usize,
    image: String,
    big_bytes: u64,
    exec_bytes: u64,
    image_mib: u64,
    events: usize,
    small_c1: usize,
    small_c64_per_conn: usize,
    new16_per_client: usize,
    json_c1: usize,
    json_c64_per_conn: usize,
    download_via: String,
    cli_check: bool,
    tolerance: f64,
    strict: bool,
    no_quiet: bool,
    features: bool,
}

const ALL_ROWS: &[&str] = &[
    "ping-c1",
    "ping-c64",
    "ping-new16",
    "json-c1",
    "json-c64",
    "download",
    "upload",
    "save",
    "load",
    "cp-from",
    "cp-to",
    "exec",
    "events",
];

const HELP: &str = "\
sockeye relay benchmark (see docs/benchmarks.md)

  --docker-host unix:///P   the dockerd socket (required)
  --sockeye PATH            sockeye binary (default: the one cargo built)
  --sockeye-arg ARG         extra argument for `sockeye proxy` (repeatable; default: --quiet
                            if `sockeye proxy --help` lists it)
  --standin-socat           let socat play sockeye's role when `sockeye proxy` does not exist
  --rounds N                interleaved rounds per row (default 7)
  --rows a,b,...            subset of: ping-c1,ping-c64,ping-new16,json-c1,json-c64,download,
                            upload,save,load,cp-from,cp-to,exec,events
  --workdir DIR             scratch dir (default /tmp/sockeye-bench)
  --out DIR                 write results.md and results.json there
  --socat-buf BYTES         socat -b (default 131072; socat's own default is 8192)
  --image NAME              image for the exec container (default sockeye-test/busybox:1)
  --big-mib N               size of the download/upload (default 1024 = 1 GiB)
  --exec-bytes N            bytes the exec writes to stdout (default 500000000)
  --image-mib N             size of the file in the save/load/cp image, imported when missing
                            (default 256)
  --events N                idle /events streams held open (default 1000)
  --ping-c1 N               requests in a /_ping c=1 run (default 6000)
  --ping-c64 N              requests per connection in a /_ping c=64 run (default 150)
  --ping-new16 N            requests per client, 16 clients, a new connection each (default 150)
  --json-c1 N               requests in a /containers/json c=1 run (default 2000)
  --json-c64 N              requests per connection in a /containers/json c=64 run (default 50)
  --download-via nginx|stub upstream for the download row (default nginx if installed)
  --no-cli-check            skip the `docker exec` CLI byte-count check through each target
  --tolerance F             noise band for the sockeye-vs-socat verdict (default 0.05)
  --strict                  exit 3 when sockeye loses to socat on any metric
  --no-quiet                do not pass --quiet: sockeye prints its per-request line (to
                            /dev/null, like all proxy output here)
  --no-features             small rows without the two extra sockeye targets that measure
                            what guarding and recording cost (sockeye+policy:
                            --profile no-escape; sockeye+policy+audit: also --audit FILE)
";

fn parse_opts() -> R<Opts> {
    let mut o = Opts {
        docker_host: PathBuf::new(),
        sockeye: PathBuf::from(env!("CARGO_BIN_EXE_sockeye")),
        sockeye_args: Vec::new(),
        standin: false,
        rounds: 7,
        rows: ALL_ROWS.iter().map(|s| s.to_string()).collect(),
        workdir: PathBuf::from("/tmp/sockeye-bench"),
        out: None,
        socat_buf: 131072,
        image: "sockeye-test/busybox:1".into(),
        big_bytes: GIB,
        exec_bytes: 500_000_000,
        image_mib: 256,
        events: 1000,
        small_c1: 6000,
        small_c64_per_conn: 150,
        new16_per_client: 150,
        json_c1: 2000,
        json_c64_per_conn: 50,
        download_via: String::new(),
        cli_check: true,
        tolerance: 0.05,
        strict: false,
        no_quiet: false,
        features: true,
    };
    let mut sockeye_args_given = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--bench" => {} // appended by `cargo bench`
            "-h" | "--help" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            "--docker-host" => {
                let v = val()?;
                let p = v
                    .strip_prefix("unix://")
                    .ok_or("--docker-host must be unix://PATH")?;
                o.docker_host = PathBuf::from(p);
            }
            "--sockeye" => o.sockeye = PathBuf::from(val()?),
            "--sockeye-arg" => {
                sockeye_args_given = true;
                o.sockeye_args.push(val()?);
            }
            "--standin-socat" => o.standin = true,
            "--rounds" => o.rounds = val()?.parse()?,
            "--rows" => {
                o.rows = val()?.split(',').map(|s| s.trim().to_string()).collect();
                for r in &o.rows {
                    if !ALL_ROWS.contains(&r.as_str()) {
                        bail!("unknown row {r:?}");
                    }
                }
            }
            "--workdir" => o.workdir = PathBuf::from(val()?),
            "--out" => o.out = Some(PathBuf::from(val()?)),
            "--socat-buf" => o.socat_buf = val()?.parse()?,
            "--image" => o.image = val()?,
            "--big-mib" => o.big_bytes = val()?.parse::<u64>()? * MIB,
            "--exec-bytes" => o.exec_bytes = val()?.parse()?,
            "--image-mib" => o.image_mib = val()?.parse()?,
            "--events" => o.events = val()?.parse()?,
            "--ping-c1" => o.small_c1 = val()?.parse()?,
            "--ping-c64" => o.small_c64_per_conn = val()?.parse()?,
            "--ping-new16" => o.new16_per_client = val()?.parse()?,
            "--json-c1" => o.json_c1 = val()?.parse()?,
            "--json-c64" => o.json_c64_per_conn = val()?.parse()?,
            "--download-via" => o.download_via = val()?,
            "--no-cli-check" => o.cli_check = false,
            "--tolerance" => o.tolerance = val()?.parse()?,
            "--strict" => o.strict = true,
            "--no-quiet" => o.no_quiet = true,
            "--no-features" => o.features = false,
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    if o.docker_host.as_os_str().is_empty() {
        bail!("--docker-host unix:///PATH is required (try --help)");
    }
    if o.rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    if o.download_via.is_empty() {
        o.download_via = if which("nginx").is_some() {
            "nginx".into()
        } else {
            "stub".into()
        };
    }
    if !sockeye_args_given {
        o.sockeye_args = Vec::new(); // filled in by detect_sockeye
    }
    Ok(o)
}

fn which(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.extend(["/usr/sbin", "/sbin"].iter().map(PathBuf::from));
    dirs.into_iter().map(|d| d.join(prog)).find(|p| p.is_file())
}

// ---------------------------------------------------------------------------------------------
// Process sets and their CPU / memory accounting
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Acct {
    /// cgroup v1 cpuacct directory: cpuacct.usage is ns.
    V1(PathBuf),
    /// cgroup v2 directory: cpu.stat usage_usec.
    V2(PathBuf),
    /// /proc/PID/stat ticks of the process and its children.
    Proc,
}

#[derive(Clone, Debug)]
struct ProcSet {
    pid: u32,
    acct: Acct,
    /// The main process's open sockets when it is idle (listening, nothing connected):
    /// [`ProcSet::settle`] waits for it to close what a measurement opened.
    idle_sockets: usize,
}

/// How many sockets `pid` holds open.
fn sockets_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter(|l| l.to_string_lossy().starts_with("socket:"))
                .count()
        })
        .unwrap_or(0)
}

fn cgroup_base() -> Option<(Acct, PathBuf)> {
    let v1 = PathBuf::from("/sys/fs/cgroup/cpuacct");
    if v1.join("cpuacct.usage").is_file() {
        return Some((Acct::V1(PathBuf::new()), v1));
    }
    for v2 in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
        let v2 = PathBuf::from(v2);
        if v2.join("cgroup.procs").is_file() && v2.join("cgroup.subtree_control").is_file() {
            return Some((Acct::V2(PathBuf::new()), v2));
        }
    }
    None
}

/// A fresh accounting cgroup for one proxy, or None when cgroups are not usable here.
fn make_cgroup(name: &str) -> Option<Acct> {
    let (kind, base) = cgroup_base()?;
    let dir = base.join(format!("sockeye-bench-{}-{name}", std::process::id()));
    if !dir.is_dir() && std::fs::create_dir(&dir).is_err() {
        return None;
    }
    let acct = match kind {
        Acct::V1(_) => Acct::V1(dir),
        Acct::V2(_) => Acct::V2(dir),
        Acct::Proc => unreachable!(),
    };
    // Probe that the counter is readable.
    let probe = ProcSet {
        idle_sockets: 0,
        pid: 0,
        acct: acct.clone(),
    };
    probe.cpu_ns().ok()?;
    Some(acct)
}

fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    // rest[0] = state (field 3); numbers from field 4 on.
    Some(
        rest.split_whitespace()
            .skip(1)
            .map(|f| f.parse::<i64>().unwrap_or(0) as u64)
            .collect(),
    )
}

/// Children of `pid` (by PPid), found by scanning /proc.
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            if let Some(cp) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) {
                if let Some(f) = stat_fields(cp) {
                    if f.first().copied() == Some(pid as u64) {
                        out.push(cp);
                    }
                }
            }
        }
    }
    out
}

fn status_kib(pid: u32, file: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| {
                l[key.len()..]
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
            })
        })
        .unwrap_or(0)
}

#[derive(Clone, Copy, Debug, Default)]
struct Mem {
    rss: u64,
    pss: u64,
    procs: usize,
}

impl ProcSet {
    fn cpu_ns(&self) -> R<u64> {
        match &self.acct {
            Acct::V1(d) => Ok(std::fs::read_to_string(d.join("cpuacct.usage"))?
                .trim()
                .parse()?),
            Acct::V2(d) => {
                let s = std::fs::read_to_string(d.join("cpu.stat"))?;
                let us: u64 = s
                    .lines()
                    .find_map(|l| l.strip_prefix("usage_usec "))
                    .ok_or("no usage_usec in cpu.stat")?
                    .trim()
                    .parse()?;
                Ok(us * 1000)
            }
            Acct::Proc => {
                // utime stime cutime cstime are fields 14..17 (index 10..13 here), in USER_HZ
                // (100 on Linux) ticks. cutime/cstime count reaped children only, so live
                // children are added.
                let f = stat_fields(self.pid).ok_or("process gone")?;
                let mut ticks = f[10] + f[11] + f[12] + f[13];
                for c in children_of(self.pid) {
                    if let Some(cf) = stat_fields(c) {
                        ticks += cf[10] + cf[11];
                    }
                }
                Ok(ticks * 10_000_000)
            }
        }
    }

    fn pids(&self) -> Vec<u32> {
        let from_cg = |d: &Path| -> Vec<u32> {
            std::fs::read_to_string(d.join("cgroup.procs"))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect()
        };
        match &self.acct {
            Acct::V1(d) | Acct::V2(d) => from_cg(d),
            Acct::Proc => {
                let mut v = vec![self.pid];
                v.extend(children_of(self.pid));
                v
            }
        }
    }

    /// Resident memory summed over every process of the set (socat: parent + one child per
    /// connection; their shared pages are counted once per process in RSS, once in PSS).
    fn mem(&self, with_pss: bool) -> Mem {
        let pids = self.pids();
        let mut m = Mem {
            procs: pids.len(),
            ..Mem::default()
        };
        for p in pids {
            m.rss += status_kib(p, "status", "VmRSS:") * 1024;
            if with_pss {
                m.pss += status_kib(p, "smaps_rollup", "Pss:") * 1024;
            }
        }
        m
    }

    /// Wait (bounded) until only the main process is left: per-connection children have
    /// exited and were reaped, so their CPU time is in the counter.
    /// Then, also bounded, until the main process has closed the sockets a measurement
    /// opened: HAProxy releases 1,000 idle `/events` streams some time after their clients
    /// hang up, and the next round's streams would otherwise find its maxconn (3,000) full.
    fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.pids().len() <= 1 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        while Instant::now() < deadline && sockets_of(self.pid) > self.idle_sockets {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Samples the set's summed RSS every 10 ms until stopped; returns the maximum seen.
struct RssSampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<u64>,
}

impl RssSampler {
    fn start(set: ProcSet) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut max = 0;
            while !s2.load(Ordering::Relaxed) {
                max = max.max(set.mem(false).rss);
                std::thread::sleep(Duration::from_millis(10));
            }
            max.max(set.mem(false).rss)
        });
        RssSampler { stop, handle }
    }
    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Direct,
    Socat,
    /// HAProxy configured as Tecnativa's docker-socket-proxy image configures it.
    Haproxy,
    Sockeye,
    /// sockeye deciding every call with a policy (`--profile no-escape`).
    Policy,
    /// sockeye with the policy and an audit log: what a guarded socket runs.
    Audited,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Direct => "direct",
            Kind::Socat => "socat",
            Kind::Haproxy => "haproxy",
            Kind::Sockeye => "sockeye",
            Kind::Policy => "sockeye+policy",
            Kind::Audited => "sockeye+policy+audit",
        }
    }
}

struct Proxy {
    child: Child,
    set: ProcSet,
    cgroup: Option<PathBuf>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Kill the processes this harness started (the proxy and anything it forked), by pid.
        let _ = self.child.kill();
        let _ = self.child.wait();
        for p in self.set.pids() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(p.to_string())
                .status();
        }
        if let Some(cg) = &self.cgroup {
            let deadline = Instant::now() + Duration::from_secs(5);
            while std::fs::remove_dir(cg).is_err() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

struct Target {
    kind: Kind,
    sock: PathBuf,
    proxy: Option<Proxy>,
}

impl Target {
    fn set(&self) -> Option<&ProcSet> {
        self.proxy.as_ref().map(|p| &p.set)
    }
    fn cpu_ns(&self) -> Option<u64> {
        self.set().and_then(|s| s.cpu_ns().ok())
    }
    fn settle(&self) {
        if let Some(s) = self.set() {
            s.settle();
        }
    }
}

/// `sockeye proxy` from `listen` to `upstream`, with `features` and then `extra` options.
fn sockeye_args(
    listen: &Path,
    upstream: &Path,
    features: &[String],
    extra: &[String],
) -> Vec<String> {
    let mut a = vec![
        "proxy".to_string(),
        "--listen".into(),
        format!("unix://{}", listen.display()),
        "--upstream".into(),
        format!("unix://{}", upstream.display()),
    ];
    a.extend(features.iter().cloned());
    a.extend(extra.iter().cloned());
    a
}

/// Start `prog args` (listening on `listen`) inside a fresh accounting cgroup.
fn spawn_proxy(name: &str, prog: &Path, args: &[String], listen: &Path) -> R<Proxy> {
    spawn_proxy_env(name, prog, args, listen, &[])
}

/// [`spawn_proxy`] with `env` added to the proxy's environment.
fn spawn_proxy_env(
    name: &str,
    prog: &Path,
    args: &[String],
    listen: &Path,
    env: &[(String, String)],
) -> R<Proxy> {
    let _ = std::fs::remove_file(listen);
    let cg = make_cgroup(name);
    let mut cmd;
    if let Some(Acct::V1(d) | Acct::V2(d)) = &cg {
        // The shell joins the cgroup, then execs the proxy: everything it runs or forks from
        // its first instruction on is accounted there.
        cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(r#"echo $$ > "$0/cgroup.procs" || exit 97; exec "$@""#)
            .arg(d)
            .arg(prog)
            .args(args);
    } else {
        cmd = Command::new(prog);
        cmd.args(args);
    }
    // The proxies' per-request log lines go to /dev/null (they are on for sockeye unless
    // --quiet exists).
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .envs(env.iter().map(|(k, v)| (k, v)));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("spawning {}: {e}", prog.display()))?;
    let pid = child.id();
    let cgroup = match &cg {
        Some(Acct::V1(d) | Acct::V2(d)) => Some(d.clone()),
        _ => None,
    };
    let mut set = ProcSet {
        pid,
        acct: cg.unwrap_or(Acct::Proc),
        idle_sockets: usize::MAX,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(st) = child.try_wait()? {
            if let Some(d) = &cgroup {
                let _ = std::fs::remove_dir(d);
            }
            bail!(
                "{name} ({} {}) exited at startup: {st}",
                prog.display(),
                args.join(" ")
            );
        }
        let is_sock = std::fs::metadata(listen)
            .map(|m| m.file_type().is_socket())
            .unwrap_or(false);
        if is_sock && StdUnix::connect(listen).is_ok() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("{name} did not listen on {} within 20 s", listen.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    set.settle();
    // Time for the proxy to close the probe's connection before its sockets are counted.
    std::thread::sleep(Duration::from_millis(200));
    set.idle_sockets = sockets_of(pid);
    Ok(Proxy { child, set, cgroup })
}

#[derive(Clone, Debug)]
enum SockeyeMode {
    Real { prog: PathBuf, extra: Vec<String> },
    Standin,
}

fn detect_sockeye(o: &Opts) -> R<SockeyeMode> {
    let out = Command::new(&o.sockeye).args(["proxy", "--help"]).output();
    match out {
        Ok(out) if out.status.success() => {
            let help = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            let mut extra = o.sockeye_args.clone();
            if extra.is_empty() && !o.no_quiet && help.contains("--quiet") {
                extra.push("--quiet".into());
            }
            Ok(SockeyeMode::Real {
                prog: o.sockeye.clone(),
                extra,
            })
        }
        _ if o.standin => {
            eprintln!(
                "!! `{} proxy --help` failed: socat plays sockeye's role (--standin-socat). \
                 These are NOT sockeye numbers.",
                o.sockeye.display()
            );
            Ok(SockeyeMode::Standin)
        }
        Ok(out) => bail!(
            "`{} proxy --help` failed ({}): {}\n(use --standin-socat to develop without it)",
            o.sockeye.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => bail!("running {}: {e}", o.sockeye.display()),
    }
}

struct Env {
    o: Opts,
    socat: PathBuf,
    /// `haproxy`, when installed: the peer most users run today (Tecnativa's image).
    haproxy: Option<PathBuf>,
    sockeye: SockeyeMode,
    api: String,
    container: String,
}

impl Env {
    fn socat_args(&self, listen: &Path, upstream: &Path) -> Vec<String> {
        vec![
            "-b".into(),
            self.o.socat_buf.to_string(),
            format!("UNIX-LISTEN:{},fork,backlog=1024", listen.display()),
            format!("UNIX-CONNECT:{}", upstream.display()),
        ]
    }

    /// direct, socat and sockeye in front of `upstream`, for one row; with `features`, also
    /// sockeye with a policy, and with a policy and an audit log.
    fn targets(&self, row: &str, upstream: &Path, features: bool) -> R<Vec<Target>> {
        let w = &self.o.workdir;
        let socat_sock = w.join(format!("socat-{row}.sock"));
        let sockeye_sock = w.join(format!("sockeye-{row}.sock"));
        let socat = spawn_proxy(
            &format!("socat-{row}"),
            &self.socat,
            &self.socat_args(&socat_sock, upstream),
            &socat_sock,
        )?;
        let sockeye = match &self.sockeye {
            SockeyeMode::Real { prog, extra } => {
                let a = sockeye_args(&sockeye_sock, upstream, &[], extra);
                spawn_proxy(&format!("sockeye-{row}"), prog, &a, &sockeye_sock)?
            }
            SockeyeMode::Standin => spawn_proxy(
                &format!("sockeye-{row}"),
                &self.socat,
                &self.socat_args(&sockeye_sock, upstream),
                &sockeye_sock,
            )?,
        };
        let mut targets = vec![
            Target {
                kind: Kind::Direct,
                sock: upstream.to_path_buf(),
                proxy: None,
            },
            Target {
                kind: Kind::Socat,
                sock: socat_sock,
                proxy: Some(socat),
            },
        ];
        // Tecnativa's rules allow Docker API paths only: not the bulk rows' nginx and stub; and
        // its configuration for these rows' sections (IMAGES, POST) denies save, load and cp.
        let api_row = !matches!(row, "download" | "upload") && !docker_rows::ROWS.contains(&row);
        if let (Some(haproxy), true) = (&self.haproxy, api_row) {
            let sock = w.join(format!("haproxy-{row}.sock"));
            let cfg = w.join(format!("haproxy-{row}.cfg"));
            std::fs::write(&cfg, haproxy_cfg(&sock, upstream))?;
            let args = ["-db".to_string(), "-f".into(), cfg.display().to_string()];
            let proxy = spawn_proxy_env(
                &format!("haproxy-{row}"),
                haproxy,
                &args,
                &sock,
                &tecnativa_env(),
            )?;
            targets.push(Target {
                kind: Kind::Haproxy,
                sock,
                proxy: Some(proxy),
            });
        }
        targets.push(Target {
            kind: Kind::Sockeye,
            sock: sockeye_sock,
            proxy: Some(sockeye),
        });
        if let (true, SockeyeMode::Real { prog, extra }) = (features, &self.sockeye) {
            for kind in [Kind::Policy, Kind::Audited] {
                let tag = kind.name().replace('+', "-");
                let sock = w.join(format!("{tag}-{row}.sock"));
                let mut features = vec!["--profile".to_string(), "no-escape".into()];
                if kind == Kind::Audited {
                    let log = w.join(format!("{tag}-{row}.log"));
                    let _ = std::fs::remove_file(&log);
                    features.extend(["--audit".into(), log.display().to_string()]);
                }
                let a = sockeye_args(&sock, upstream, &features, extra);
                let proxy = spawn_proxy(&format!("{tag}-{row}"), prog, &a, &sock)?;
                targets.push(Target {
                    kind,
                    sock,
                    proxy: Some(proxy),
                });
            }
        }
        Ok(targets)
    }
}

/// HAProxy's configuration as Tecnativa's image has it, shared with bench/memory.py.
const TECNATIVA_CFG: &str = include_str!("haproxy-tecnativa.cfg");

/// Every variable the configuration's rules read (`env(NAME)`): the image sets them all.
fn tecnativa_vars() -> Vec<&'static str> {
    let mut vars: Vec<&str> = TECNATIVA_CFG
        .split("env(")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(name, _)| name))
        .collect();
    vars.sort_unstable();
    vars.dedup();
    vars
}

/// The image's defaults (EVENTS, PING, VERSION) plus what the bench's rows call:
/// `containers/json`, and `exec` (a POST), as a user of `docker exec` through it sets them.
fn tecnativa_env() -> Vec<(String, String)> {
    let on = ["EVENTS", "PING", "VERSION", "CONTAINERS", "EXEC", "POST"];
    let mut env: Vec<(String, String)> = tecnativa_vars()
        .into_iter()
        .map(|var| {
            let v = if on.contains(&var) { "1" } else { "0" };
            (var.to_string(), v.to_string())
        })
        .collect();
    env.push(("LOG_LEVEL".into(), "info".into()));
    env
}

/// The configuration with Tecnativa's limits: its maxconn (3,000; 4,000 global) holds the
/// rows' 1,000 idle streams and 64 clients.
fn haproxy_cfg(listen: &Path, upstream: &Path) -> String {
    TECNATIVA_CFG
        .replace("@LISTEN@", &listen.display().to_string())
        .replace("@UPSTREAM@", &upstream.display().to_string())
        .replace("@GLOBAL_MAXCONN@", "4000")
        .replace("@MAXCONN@", "3000")
        .replace("@KEEPALIVE@", "10s")
        .replace("@GLOBAL_EXTRA@", "")
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1 over a Unix socket (blocking): the bulk, hijack and idle-stream clients
// ---------------------------------------------------------------------------------------------

fn connect(sock: &Path) -> R<StdUnix> {
    // A full accept backlog makes a Unix connect fail with EAGAIN: retry, bounded.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match StdUnix::connect(sock) {
            Ok(s) => return Ok(s),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(e) => bail!("connect {}: {e}", sock.display()),
        }
    }
}

struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn content_length(&self) -> Option<u64> {
        self.get("content-length")
            .and_then(|v| v.trim().parse().ok())
    }
    fn chunked(&self) -> bool {
        self.get("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }
}

/// Read a response (or request) head; returns it and the bytes read past it.
fn read_head(s: &mut StdUnix) -> R<(Head, Vec<u8>, String)> {
    let mut buf = Vec::with_capacity(4096);
    let mut tmp = [0u8; 4096];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&buf[..end]).to_string();
            let rest = buf[end + 4..].to_vec();
            let mut lines = text.split("\r\n");
            let first = lines.next().unwrap_or("").to_string();
            let status = first
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let headers = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            return Ok((Head { status, headers }, rest, first));
        }
        if buf.len() > 64 * 1024 {
            bail!("head too long");
        }
        let n = s.read(&mut tmp)?;
        if n == 0 {
            bail!(
                "EOF before the end of the head (got {:?})",
                String::from_utf8_lossy(&buf)
            );
        }
        buf.extend_from_slice(&tmp[..n]);
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// One request with `Connection: close`; returns status and the whole (de-chunked) body.
fn simple_request(sock: &Path, method: &str, path: &str, body: Option<&[u8]>) -> R<(u16, Vec<u8>)> {
    let mut s = connect(sock)?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: sockeye-bench\r\nConnection: close\r\n");
    if let Some(b) = body {
        let _ = write!(
            req,
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        );
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    if let Some(b) = body {
        s.write_all(b)?;
    }
    let (head, mut rest, _) = read_head(&mut s)?;
    s.read_to_end(&mut rest)?;
    let body = if head.chunked() {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(le) = find(rest.get(i..).unwrap_or_default(), b"\r\n") {
            let size_str = String::from_utf8_lossy(&rest[i..i + le]).to_string();
            let size = usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16)?;
            i += le + 2;
            if size == 0 || i + size > rest.len() {
                break;
            }
            out.extend_from_slice(&rest[i..i + size]);
            i += size + 2;
        }
        out
    } else if let Some(cl) = head.content_length() {
        rest.truncate(cl as usize);
        rest
    } else {
        rest
    };
    Ok((head.status, body))
}

fn json_request(
    sock: &Path,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> R<(u16, serde_json::Value)> {
    let b = body.map(|v| v.to_string().into_bytes());
    let (st, resp) = simple_request(sock, method, path, b.as_deref())?;
    let v = if resp.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&resp).unwrap_or(serde_json::Value::Null)
    };
    Ok((st, v))
}

/// GET a `len`-byte body; returns the bytes received.
fn download(sock: &Path, path: &str, len: u64) -> R<u64> {
    let mut s = connect(sock)?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: stub\r\nUser-Agent: sockeye-bench\r\nConnection: close\r\n\r\n").as_bytes())?;
    let (head, rest, first) = read_head(&mut s)?;
    if head.status != 200 {
        bail!("download: {first}");
    }
    if head.content_length() != Some(len) {
        bail!(
            "download: Content-Length {:?}, wanted {len}",
            head.content_length()
        );
    }
    let mut n = rest.len() as u64;
    let mut buf = vec![0u8; MIB as usize];
    while n < len {
        let k = s.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += k as u64;
    }
    if n != len {
        bail!("download: got {n} bytes, wanted {len}");
    }
    Ok(n)
}

/// PUT a `len`-byte body, streamed from one 1 MiB buffer; the stub answers with the count.
fn upload(sock: &Path, len: u64) -> R<u64> {
    let mut s = connect(sock)?;
    s.write_all(
        format!(
            "PUT /upload HTTP/1.1\r\nHost: stub\r\nUser-Agent: sockeye-bench\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )?;
    let chunk = vec![0u8; MIB as usize];
    let mut left = len;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        s.write_all(&chunk[..k])?;
        left -= k as u64;
    }
    let (head, mut rest, first) = read_head(&mut s)?;
    if head.status != 200 {
        bail!("upload: {first}");
    }
    s.read_to_end(&mut rest)?;
    let got: u64 = String::from_utf8_lossy(&rest)
        .trim()
        .parse()
        .map_err(|_| "upload: bad stub answer")?;
    if got != len {
        bail!("upload: stub read {got} bytes, sent {len}");
    }
    Ok(got)
}

/// What `docker exec C sh -c 'head -c N /dev/zero'` does without a TTY: create the exec, start
/// it with `Upgrade: tcp` (the connection is hijacked), demultiplex the stdout/stderr frames
/// until EOF. Returns (stdout bytes, stderr bytes).
fn exec_stream(sock: &Path, api: &str, container: &str, bytes: u64) -> R<(u64, u64, String)> {
    let create = serde_json::json!({
        "AttachStdin": false, "AttachStdout": true, "AttachStderr": true, "Tty": false,
        "Cmd": ["sh", "-c", format!("head -c {bytes} /dev/zero")],
    });
    let (st, v) = json_request(
        sock,
        "POST",
        &format!("{api}/containers/{container}/exec"),
        Some(&create),
    )?;
    if st != 201 {
        bail!("exec create: HTTP {st}: {v}");
    }
    let id = v["Id"].as_str().ok_or("exec create: no Id")?.to_string();
    let body = br#"{"Detach":false,"Tty":false}"#;
    let mut s = connect(sock)?;
    s.write_all(
        format!(
            "POST {api}/exec/{id}/start HTTP/1.1\r\nHost: docker\r\nUser-Agent: sockeye-bench\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )?;
    s.write_all(body)?;
    let (head, rest, first) = read_head(&mut s)?;
    if head.status != 101 && head.status != 200 {
        bail!("exec start: {first}");
    }
    let mut counts = [0u64; 3];
    let mut hdr = [0u8; 8];
    let mut have = 0usize;
    let mut left = 0u64;
    let mut kind = 1usize;
    let mut feed = |data: &[u8]| -> R<()> {
        let mut i = 0;
        while i < data.len() {
            if left > 0 {
                let take = left.min((data.len() - i) as u64);
                counts[kind] += take;
                left -= take;
                i += take as usize;
            } else {
                let take = (8 - have).min(data.len() - i);
                hdr[have..have + take].copy_from_slice(&data[i..i + take]);
                have += take;
                i += take;
                if have == 8 {
                    have = 0;
                    kind = match hdr[0] {
                        0 | 1 => 1,
                        2 => 2,
                        other => bail!("exec stream: bad frame type {other}"),
                    };
                    left = u32::from_be_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]) as u64;
                }
            }
        }
        Ok(())
    };
    feed(&rest)?;
    let mut buf = vec![0u8; MIB as usize];
    loop {
        let k = s.read(&mut buf)?;
        if k == 0 {
            break;
        }
        feed(&buf[..k])?;
    }
    Ok((counts[1], counts[2], id))
}

/// Make the daemon send an event (a volume created and removed) down every `/events` stream,
/// so that a proxy notices the streams whose clients hung up. HAProxy (as Tecnativa configures
/// it) keeps an idle stream's connections until the daemon writes to it, and the next round's
/// 1,000 streams would then find its maxconn (3,000) full; sockeye and socat close at once.
fn flush_events(daemon: &Path, api: &str) -> R<()> {
    let name = "sockeye-bench-flush";
    let create = format!(r#"{{"Name":"{name}"}}"#);
    for req in [
        format!(
            "POST {api}/volumes/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{create}",
            create.len()
        ),
        format!("DELETE {api}/volumes/{name} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"),
    ] {
        let mut s = connect(daemon)?;
        s.write_all(req.as_bytes())?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer)?;
        if !(answer.starts_with(b"HTTP/1.1 2")) {
            bail!("flushing /events: {}", String::from_utf8_lossy(&answer).lines().next().unwrap_or(""));
        }
    }
    Ok(())
}

/// Open `n` `GET /events` streams and wait for each one's response head; keep them open.
fn open_events(sock: &Path, api: &str, n: usize) -> R<Vec<StdUnix>> {
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = connect(sock)?;
        s.write_all(
            format!(
                "GET {api}/events HTTP/1.1\r\nHost: docker\r\nUser-Agent: sockeye-bench\r\n\r\n"
            )
            .as_bytes(),
        )?;
        s.set_read_timeout(Some(Duration::from_secs(20)))?;
        let (head, _, first) = read_head(&mut s).map_err(|e| format!("events stream {i}: {e}"))?;
        if head.status != 200 {
            bail!("events stream {i}: {first}");
        }
        v.push(s);
    }
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// Small requests (hyper client, keep-alive connections, current-thread runtime)
// ---------------------------------------------------------------------------------------------

async fn small_conn(sock: PathBuf, path: String, n: usize) -> R<Vec<u64>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let stream = loop {
        match tokio::net::UnixStream::connect(&sock).await {
            Ok(s) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(2)).await
            }
            Err(e) => bail!("connect {}: {e}", sock.display()),
        }
    };
    let (mut tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let conn = tokio::spawn(conn);
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let req = hyper::Request::get(path.as_str())
            .header("host", "docker")
            .header("user-agent", "sockeye-bench")
            .body(Empty::<Bytes>::new())?;
        let t = Instant::now();
        let resp = tx.send_request(req).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        lat.push(t.elapsed().as_nanos() as u64);
        if status != 200 || body.is_empty() {
            bail!("GET {path}: HTTP {status}, {} body bytes", body.len());
        }
    }
    drop(tx);
    let _ = conn.await;
    Ok(lat)
}

/// `conc` clients at once, each making `per_conn` requests: on one keep-alive connection,
/// or with `fresh`, each on a new connection (what every docker CLI invocation does).
fn small_load(
    rt: &tokio::runtime::Runtime,
    sock: &Path,
    path: &str,
    conc: usize,
    per_conn: usize,
    fresh: bool,
) -> R<(Vec<u64>, f64)> {
    rt.block_on(async {
        let t0 = Instant::now();
        let hs: Vec<_> = (0..conc)
            .map(|_| {
                let (sock, path) = (sock.to_path_buf(), path.to_string());
                tokio::spawn(async move {
                    if !fresh {
                        return small_conn(sock, path, per_conn).await;
                    }
                    let mut lat = Vec::with_capacity(per_conn);
                    for _ in 0..per_conn {
                        // The connect is part of what a new connection costs.
                        let t = Instant::now();
                        small_conn(sock.clone(), path.clone(), 1).await?;
                        lat.push(t.elapsed().as_nanos() as u64);
                    }
                    Ok(lat)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(conc * per_conn);
        for h in hs {
            all.extend(h.await??);
        }
        Ok((all, t0.elapsed().as_secs_f64()))
    })
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64
}

// ---------------------------------------------------------------------------------------------
// Upstream stubs
// ---------------------------------------------------------------------------------------------

/// `__stub SOCKET`: `GET /big?n=N` answers N zero bytes; `PUT|POST /upload` reads the whole
/// Content-Length body (discarding it) and then answers with the byte count. One thread per
/// connection, 1 MiB reads/writes, one request per connection.
fn stub_main(sock: &Path) -> R<()> {
    let _ = std::fs::remove_file(sock);
    let l = StdListener::bind(sock)?;
    for c in l.incoming() {
        let Ok(mut c) = c else { continue };
        std::thread::spawn(move || {
            let _ = stub_conn(&mut c);
        });
    }
    Ok(())
}

fn stub_conn(c: &mut StdUnix) -> R<()> {
    let (head, rest, first) = read_head(c)?;
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("");
    let _ = head.status;
    let mut buf = vec![0u8; MIB as usize];
    if method == "GET" && target.starts_with("/big") {
        let n: u64 = target
            .split_once("n=")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(GIB);
        c.write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n").as_bytes())?;
        let mut left = n;
        while left > 0 {
            let k = left.min(buf.len() as u64) as usize;
            c.write_all(&buf[..k])?;
            left -= k as u64;
        }
    } else if method == "PUT" || method == "POST" {
        let Some(len) = head.content_length() else {
            c.write_all(
                b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return Ok(());
        };
        let mut n = rest.len() as u64;
        while n < len {
            let k = c.read(&mut buf)?;
            if k == 0 {
                break;
            }
            n += k as u64;
        }
        let body = n.to_string();
        c.write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes())?;
    } else {
        c.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    }
    Ok(())
}

struct Upstreams {
    stub: PathBuf,
    download: PathBuf,
    download_path: String,
    _children: Vec<KillOnDrop>,
}

struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_sock(p: &Path, child: &mut Child, what: &str) -> R<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while StdUnix::connect(p).is_err() {
        if let Some(st) = child.try_wait()? {
            bail!("{what} exited at startup: {st}");
        }
        if Instant::now() > deadline {
            bail!("{what} did not listen on {} within 20 s", p.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn start_upstreams(o: &Opts) -> R<Upstreams> {
    let w = &o.workdir;
    let stub = w.join("stub.sock");
    let _ = std::fs::remove_file(&stub);
    let mut sc = Command::new(std::env::current_exe()?)
        .arg("__stub")
        .arg(&stub)
        .stdin(Stdio::null())
        .spawn()?;
    wait_sock(&stub, &mut sc, "upload stub")?;
    let mut children = vec![KillOnDrop(sc)];
    let (download, download_path) = if o.download_via == "nginx" {
        let nginx = which("nginx").ok_or("nginx not found (use --download-via stub)")?;
        let www = w.join("www");
        std::fs::create_dir_all(&www)?;
        let big = www.join("big");
        // Sparse: no disk, the page cache serves zero pages; sendfile on.
        let f = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&big)?;
        f.set_len(o.big_bytes)?;
        let sock = w.join("nginx.sock");
        let _ = std::fs::remove_file(&sock);
        let conf = w.join("nginx.conf");
        std::fs::create_dir_all(w.join("nginx-tmp"))?;
        std::fs::write(
            &conf,
            format!(
                "daemon off;\nmaster_process off;\nworker_processes 1;\npid {w}/nginx.pid;\nerror_log {w}/nginx-error.log warn;\n\
                 events {{ worker_connections 4096; }}\n\
                 http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 100000;\n\
                 client_body_temp_path {w}/nginx-tmp;\n  proxy_temp_path {w}/nginx-tmp;\n  default_type application/octet-stream;\n\
                 server {{\n    listen unix:{sock};\n    root {www};\n  }}\n}}\n",
                w = w.display(),
                sock = sock.display(),
                www = www.display()
            ),
        )?;
        let mut nc = Command::new(nginx)
            .arg("-e")
            .arg(w.join("nginx-error.log"))
            .arg("-p")
            .arg(w)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()?;
        wait_sock(&sock, &mut nc, "nginx")?;
        children.push(KillOnDrop(nc));
        (sock, "/big".to_string())
    } else {
        (stub.clone(), format!("/big?n={}", o.big_bytes))
    };
    Ok(Upstreams {
        stub,
        download,
        download_path,
        _children: children,
    })
}

// ---------------------------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default, serde::Serialize)]
struct Sample {
    round: usize,
    /// wall-clock seconds of the whole measurement
    wall_s: f64,
    /// requests, or bytes, or streams
    ops: u64,
    p50_us: Option<f64>,
    p99_us: Option<f64>,
    /// proxy CPU (all its threads and processes) during the measurement
    cpu_ns: Option<u64>,
    /// max summed RSS of the proxy's processes, sampled every 10 ms (bulk rows)
    max_rss: Option<u64>,
    /// idle-stream row: summed RSS / PSS / process count with all streams open
    rss: Option<u64>,
    pss: Option<u64>,
    procs: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RowKind {
    Small,
    Bulk,
    Idle,
}

struct RowResult {
    name: String,
    kind: RowKind,
    what: String,
    samples: BTreeMap<Kind, Vec<Sample>>,
    notes: Vec<String>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

impl RowResult {
    fn med(&self, k: Kind, f: impl Fn(&Sample) -> Option<f64>) -> f64 {
        median(
            self.samples
                .get(&k)
                .map(|v| v.iter().filter_map(&f).collect())
                .unwrap_or_default(),
        )
    }
    fn spread(&self, k: Kind, f: impl Fn(&Sample) -> Option<f64>) -> f64 {
        let v: Vec<f64> = self
            .samples
            .get(&k)
            .map(|v| v.iter().filter_map(&f).collect())
            .unwrap_or_default();
        if v.len() < 2 {
            return f64::NAN;
        }
        let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        (hi - lo) / median(v)
    }
    fn rate(&self, k: Kind) -> f64 {
        self.med(k, |s| Some(s.ops as f64 / s.wall_s))
    }
    /// CPU per op over all rounds (sum/sum): µs per request, or s per GB.
    fn cpu_per_op(&self, k: Kind) -> f64 {
        let v = self.samples.get(&k).cloned().unwrap_or_default();
        let cpu: u64 = v.iter().filter_map(|s| s.cpu_ns).sum();
        let ops: u64 = v.iter().filter(|s| s.cpu_ns.is_some()).map(|s| s.ops).sum();
        if ops == 0 {
            return f64::NAN;
        }
        cpu as f64 / ops as f64
    }
}

fn rotate(targets: &[Target], r: usize) -> Vec<&Target> {
    let n = targets.len();
    (0..n).map(|i| &targets[(i + r) % n]).collect()
}

/// Run `f` against each target, interleaved, `rounds` times (after one unrecorded warm-up
/// pass), bracketing each run with the proxy's CPU counter.
fn interleave(
    o: &Opts,
    row: &str,
    targets: &[Target],
    mut warm: impl FnMut(&Target) -> R<()>,
    mut f: impl FnMut(&Target) -> R<Sample>,
) -> R<BTreeMap<Kind, Vec<Sample>>> {
    for t in targets {
        t.settle();
        warm(t).map_err(|e| format!("{row} warm-up via {}: {e}", t.kind.name()))?;
    }
    let mut out: BTreeMap<Kind, Vec<Sample>> = BTreeMap::new();
    for r in 0..o.rounds {
        for t in rotate(targets, r) {
            t.settle();
            let c0 = t.cpu_ns();
            let mut s = f(t).map_err(|e| format!("{row} round {r} via {}: {e}", t.kind.name()))?;
            t.settle();
            let c1 = t.cpu_ns();
            s.round = r;
            s.cpu_ns = match (c0, c1) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a)),
                _ => None,
            };
            eprintln!("  {row:9} r{r} {:8} {}", t.kind.name(), brief(&s));
            out.entry(t.kind).or_default().push(s);
        }
    }
    Ok(out)
}

fn brief(s: &Sample) -> String {
    let mut x = format!("wall {:.3}s ops {}", s.wall_s, s.ops);
    if let Some(p) = s.p50_us {
        let _ = write!(x, " p50 {p:.0}us p99 {:.0}us", s.p99_us.unwrap_or(f64::NAN));
    }
    if let Some(c) = s.cpu_ns {
        let _ = write!(x, " cpu {:.3}s", c as f64 / 1e9);
    }
    if let Some(m) = s.max_rss {
        let _ = write!(x, " maxrss {:.1}MiB", m as f64 / MIB as f64);
    }
    if let Some(m) = s.rss {
        let _ = write!(
            x,
            " rss {:.1}MiB pss {:.1}MiB procs {}",
            m as f64 / MIB as f64,
            s.pss.unwrap_or(0) as f64 / MIB as f64,
            s.procs.unwrap_or(0)
        );
    }
    x
}

fn run_small(
    env: &Env,
    rt: &tokio::runtime::Runtime,
    row: &str,
    path: &str,
    conc: usize,
    per_conn: usize,
) -> R<RowResult> {
    run_small_with(env, rt, row, path, conc, per_conn, false)
}

fn run_small_with(
    env: &Env,
    rt: &tokio::runtime::Runtime,
    row: &str,
    path: &str,
    conc: usize,
    per_conn: usize,
    fresh: bool,
) -> R<RowResult> {
    let targets = env.targets(row, &env.o.docker_host, env.o.features)?;
    let warm_n = (per_conn / 10).max(1);
    let samples = interleave(
        &env.o,
        row,
        &targets,
        |t| small_load(rt, &t.sock, path, conc, warm_n, fresh).map(|_| ()),
        |t| {
            let (mut lat, wall) = small_load(rt, &t.sock, path, conc, per_conn, fresh)?;
            lat.sort_unstable();
            Ok(Sample {
                wall_s: wall,
                ops: lat.len() as u64,
                p50_us: Some(pct(&lat, 0.50) / 1e3),
                p99_us: Some(pct(&lat, 0.99) / 1e3),
                ..Sample::default()
            })
        },
    )?;
    Ok(RowResult {
        name: row.into(),
        kind: RowKind::Small,
        what: if fresh {
            format!("GET {path}, {conc} clients at once × {per_conn} requests, each on a new connection")
        } else {
            format!("GET {path}, {conc} keep-alive connection(s) × {per_conn} requests")
        },
        samples,
        notes: vec![],
    })
}

fn bulk_sample(t: &Target, f: impl FnOnce() -> R<u64>) -> R<Sample> {
    let sampler = t.set().map(|s| RssSampler::start(s.clone()));
    let t0 = Instant::now();
    let n = f();
    let wall = t0.elapsed().as_secs_f64();
    let max_rss = sampler.map(|s| s.finish());
    Ok(Sample {
        wall_s: wall,
        ops: n?,
        max_rss,
        ..Sample::default()
    })
}

fn run_download(env: &Env, up: &Upstreams) -> R<RowResult> {
    let o = &env.o;
    let targets = env.targets("download", &up.download, false)?;
    let path = up.download_path.clone();
    let len = o.big_bytes;
    let samples = interleave(
        o,
        "download",
        &targets,
        |t| {
            // Direct warm-up reads the whole file once (page cache); proxies get a short run.
            if t.kind == Kind::Direct {
                download(&t.sock, &path, len).map(|_| ())
            } else {
                let mut s = connect(&t.sock)?;
                s.write_all(
                    format!("GET {path} HTTP/1.1\r\nHost: stub\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )?;
                let mut buf = vec![0u8; MIB as usize];
                let mut n = 0;
                while n < 64 * MIB {
                    let k = s.read(&mut buf)?;
                    if k == 0 {
                        break;
                    }
                    n += k as u64;
                }
                Ok(())
            }
        },
        |t| bulk_sample(t, || download(&t.sock, &path, len)),
    )?;
    Ok(RowResult {
        name: "download".into(),
        kind: RowKind::Bulk,
        what: format!(
            "GET of a {} MiB body from {} (Content-Length, client reads 1 MiB at a time)",
            len / MIB,
            if o.download_via == "nginx" {
                "nginx (sparse file, sendfile on)"
            } else {
                "the bench stub"
            }
        ),
        samples,
        notes: vec![],
    })
}

fn run_upload(env: &Env, up: &Upstreams) -> R<RowResult> {
    let o = &env.o;
    let targets = env.targets("upload", &up.stub, false)?;
    let len = o.big_bytes;
    let samples = interleave(
        o,
        "upload",
        &targets,
        |t| upload(&t.sock, 64 * MIB).map(|_| ()),
        |t| bulk_sample(t, || upload(&t.sock, len)),
    )?;
    Ok(RowResult {
        name: "upload".into(),
        kind: RowKind::Bulk,
        what: format!(
            "PUT of a {} MiB Content-Length body, streamed from one 1 MiB buffer, to the bench stub (reads it all, then answers)",
            len / MIB
        ),
        samples,
        notes: vec![],
    })
}

fn run_exec(env: &Env) -> R<RowResult> {
    let o = &env.o;
    let targets = env.targets("exec", &o.docker_host, false)?;
    let bytes = o.exec_bytes;
    let check = |sock: &Path, n: u64| -> R<u64> {
        let (out, err, id) = exec_stream(sock, &env.api, &env.container, n)?;
        if out != n || err != 0 {
            bail!("exec: {out} stdout bytes and {err} stderr bytes, wanted {n} and 0");
        }
        let (st, v) = json_request(
            &o.docker_host,
            "GET",
            &format!("{}/exec/{id}/json", env.api),
            None,
        )?;
        if st != 200 || v["ExitCode"].as_i64() != Some(0) {
            bail!("exec: inspect HTTP {st}, ExitCode {}", v["ExitCode"]);
        }
        Ok(out)
    };
    let mut notes = Vec::new();
    let samples = interleave(
        o,
        "exec",
        &targets,
        |t| check(&t.sock, bytes / 10).map(|_| ()),
        |t| bulk_sample(t, || check(&t.sock, bytes)),
    )?;
    if o.cli_check {
        if let Some(docker) = which("docker") {
            for t in &targets {
                let t0 = Instant::now();
                let mut child = Command::new(&docker)
                    .env("DOCKER_HOST", format!("unix://{}", t.sock.display()))
                    .args([
                        "exec",
                        &env.container,
                        "sh",
                        "-c",
                        &format!("head -c {bytes} /dev/zero"),
                    ])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()?;
                let mut out = child.stdout.take().ok_or("no stdout")?;
                let mut buf = vec![0u8; MIB as usize];
                let mut n = 0u64;
                loop {
                    let k = out.read(&mut buf)?;
                    if k == 0 {
                        break;
                    }
                    n += k as u64;
                }
                let st = child.wait_with_output()?;
                let ok = st.status.success() && n == bytes;
                let line = format!(
                    "`docker exec` CLI via {}: {n} bytes on stdout, exit {}, {:.2} s{}",
                    t.kind.name(),
                    st.status.code().unwrap_or(-1),
                    t0.elapsed().as_secs_f64(),
                    if ok { "" } else { " — MISMATCH" }
                );
                eprintln!("  {line}");
                if !ok {
                    eprintln!("  stderr: {}", String::from_utf8_lossy(&st.stderr).trim());
                }
                notes.push(line);
            }
        }
    }
    Ok(RowResult {
        name: "exec".into(),
        kind: RowKind::Bulk,
        what: format!("hijacked `POST /exec/{{id}}/start` (Upgrade: tcp, no TTY): `head -c {bytes} /dev/zero` on stdout, demultiplexed"),
        samples,
        notes,
    })
}

fn run_events(env: &Env) -> R<RowResult> {
    let o = &env.o;
    let targets = env.targets("events", &o.docker_host, false)?;
    let n = o.events;
    let mut idle_base = BTreeMap::new();
    for t in &targets {
        if let Some(s) = t.set() {
            idle_base.insert(t.kind, s.mem(true));
        }
    }
    let samples = interleave(
        o,
        "events",
        &targets,
        |t| {
            drop(open_events(&t.sock, &env.api, 20)?);
            flush_events(&o.docker_host, &env.api)
        },
        |t| {
            let t0 = Instant::now();
            let streams = open_events(&t.sock, &env.api, n)?;
            let wall = t0.elapsed().as_secs_f64();
            std::thread::sleep(Duration::from_millis(500));
            let m = t.set().map(|s| s.mem(true));
            drop(streams);
            flush_events(&o.docker_host, &env.api)?;
            Ok(Sample {
                wall_s: wall,
                ops: n as u64,
                rss: m.map(|m| m.rss),
                pss: m.map(|m| m.pss),
                procs: m.map(|m| m.procs),
                ..Sample::default()
            })
        },
    )?;
    let notes = idle_base
        .iter()
        .map(|(k, m)| {
            format!(
                "{} before any stream: RSS {:.1} MiB, PSS {:.1} MiB, {} process(es)",
                k.name(),
                m.rss as f64 / MIB as f64,
                m.pss as f64 / MIB as f64,
                m.procs
            )
        })
        .collect();
    Ok(RowResult {
        name: "events".into(),
        kind: RowKind::Idle,
        what: format!("{n} idle `GET /events` streams held open at once"),
        samples,
        notes,
    })
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

fn f(x: f64, d: usize) -> String {
    if x.is_finite() {
        format!("{x:.d$}")
    } else {
        "—".into()
    }
}

type Metric = fn(&Sample) -> Option<f64>;

fn m_rate(s: &Sample) -> Option<f64> {
    Some(s.ops as f64 / s.wall_s)
}
fn m_p50(s: &Sample) -> Option<f64> {
    s.p50_us
}
fn m_p99(s: &Sample) -> Option<f64> {
    s.p99_us
}
fn m_wall(s: &Sample) -> Option<f64> {
    Some(s.wall_s)
}
fn m_cpu(s: &Sample) -> Option<f64> {
    s.cpu_ns.map(|c| c as f64 / s.ops as f64)
}
fn m_rss(s: &Sample) -> Option<f64> {
    s.rss.map(|m| m as f64)
}

/// Per-round ratios a/b of a metric, runs of one round being adjacent in time (so a load
/// change on the shared machine hits both): (median, first quartile, third quartile).
fn paired(r: &RowResult, a: Kind, b: Kind, f: Metric) -> Option<(f64, f64, f64)> {
    let (va, vb) = (r.samples.get(&a)?, r.samples.get(&b)?);
    let mut v: Vec<f64> = va
        .iter()
        .filter_map(|sa| {
            let sb = vb.iter().find(|sb| sb.round == sa.round)?;
            let x = f(sa)? / f(sb)?;
            x.is_finite().then_some(x)
        })
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|x, y| x.partial_cmp(y).unwrap());
    let last = (v.len() - 1) as f64;
    let (q1, q3) = (
        v[(last * 0.25).floor() as usize],
        v[(last * 0.75).ceil() as usize],
    );
    Some((median(v.clone()), q1, q3))
}

fn ratio(p: Option<(f64, f64, f64)>) -> String {
    p.map(|(m, _, _)| format!("{m:.2}"))
        .unwrap_or_else(|| "—".into())
}

const KINDS: [Kind; 4] = [Kind::Direct, Kind::Socat, Kind::Haproxy, Kind::Sockeye];

fn report(rows: &[RowResult], o: &Opts, env_lines: &[String]) -> (String, Vec<String>) {
    let mut md = String::new();
    let mut losses = Vec::new();
    let _ = writeln!(md, "Run: {}\n", env_lines.join("; "));
    let small: Vec<_> = rows.iter().filter(|r| r.kind == RowKind::Small).collect();
    if !small.is_empty() {
        let _ = writeln!(md, "### Small requests\n");
        let _ = writeln!(
            md,
            "| row | target | p50 µs | p99 µs | req/s | p50 ×direct | p99 ×direct | req/s ×direct | proxy CPU µs/req | req/s spread |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &small {
            for k in r.samples.keys().copied() {
                let cpu = if k == Kind::Direct {
                    "—".into()
                } else {
                    f(r.cpu_per_op(k) / 1e3, 1)
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {}% |",
                    r.name,
                    k.name(),
                    f(r.med(k, m_p50), 0),
                    f(r.med(k, m_p99), 0),
                    f(r.rate(k), 0),
                    ratio(paired(r, k, Kind::Direct, m_p50)),
                    ratio(paired(r, k, Kind::Direct, m_p99)),
                    ratio(paired(r, k, Kind::Direct, m_rate)),
                    cpu,
                    f(100.0 * r.spread(k, m_rate), 0)
                );
            }
        }
        let _ = writeln!(md);
    }
    let featured: Vec<_> = small
        .iter()
        .filter(|r| r.samples.contains_key(&Kind::Policy))
        .collect();
    if !featured.is_empty() {
        let _ = writeln!(md, "### What guarding and recording cost\n");
        let _ = writeln!(
            md,
            "sockeye+policy decides every call with `--profile no-escape`; sockeye+policy+audit \
             also writes every call to an audit log (`--audit FILE`). Each is given as the \
             median over rounds of its ratio to plain sockeye in the same round, and to socat.\n"
        );
        let _ = writeln!(
            md,
            "| row | target | req/s | CPU µs/req | req/s ÷ sockeye | CPU ÷ sockeye | req/s ÷ socat | CPU ÷ socat |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|");
        for r in &featured {
            for k in [Kind::Sockeye, Kind::Policy, Kind::Audited] {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    r.name,
                    k.name(),
                    f(r.rate(k), 0),
                    f(r.cpu_per_op(k) / 1e3, 1),
                    ratio(paired(r, k, Kind::Sockeye, m_rate)),
                    ratio(paired(r, k, Kind::Sockeye, m_cpu)),
                    ratio(paired(r, k, Kind::Socat, m_rate)),
                    ratio(paired(r, k, Kind::Socat, m_cpu)),
                );
            }
        }
        let _ = writeln!(md);
    }
    let bulk: Vec<_> = rows.iter().filter(|r| r.kind == RowKind::Bulk).collect();
    if !bulk.is_empty() {
        let _ = writeln!(md, "### Large streams\n");
        let _ = writeln!(
            md,
            "| row | target | wall s | MB/s | MB/s ×direct | proxy CPU s/GB | proxy max RSS MiB | MB/s spread |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|");
        for r in &bulk {
            for k in KINDS.into_iter().filter(|k| r.samples.contains_key(k)) {
                let (cpu, rss) = if k == Kind::Direct {
                    ("—".to_string(), "—".to_string())
                } else {
                    (
                        f(r.cpu_per_op(k), 3),
                        f(r.med(k, |s| s.max_rss.map(|m| m as f64)) / MIB as f64, 1),
                    )
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} | {}% |",
                    r.name,
                    k.name(),
                    f(r.med(k, m_wall), 2),
                    f(r.rate(k) / 1e6, 0),
                    ratio(paired(r, k, Kind::Direct, m_rate)),
                    cpu,
                    rss,
                    f(100.0 * r.spread(k, m_rate), 0)
                );
            }
        }
        let _ = writeln!(md);
    }
    let idle: Vec<_> = rows.iter().filter(|r| r.kind == RowKind::Idle).collect();
    if !idle.is_empty() {
        let _ = writeln!(md, "### Idle streams\n");
        let _ = writeln!(
            md,
            "| row | target | open all s | open ×direct | proxy RSS MiB (Σ processes) | proxy PSS MiB | proxy processes | proxy CPU µs/stream |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|");
        for r in &idle {
            for k in KINDS.into_iter().filter(|k| r.samples.contains_key(k)) {
                let (rss, pss, procs, cpu) = if k == Kind::Direct {
                    ("—".into(), "—".into(), "—".into(), "—".into())
                } else {
                    (
                        f(r.med(k, m_rss) / MIB as f64, 1),
                        f(r.med(k, |s| s.pss.map(|m| m as f64)) / MIB as f64, 1),
                        f(r.med(k, |s| s.procs.map(|m| m as f64)), 0),
                        f(r.cpu_per_op(k) / 1e3, 0),
                    )
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    r.name,
                    k.name(),
                    f(r.med(k, m_wall), 2),
                    ratio(paired(r, k, Kind::Direct, m_wall)),
                    rss,
                    pss,
                    procs,
                    cpu
                );
            }
        }
        let _ = writeln!(md);
    }

    // Every target against the three references, in the same rounds.
    let _ = writeln!(md, "### Every target against direct, socat and HAProxy\n");
    let _ = writeln!(
        md,
        "Medians over rounds of per-round ratios. Rate is requests, bytes or (idle rows) \
         streams opened per second: above 1 is faster. CPU is the proxy's CPU per request, GB \
         or stream, and RSS (idle rows) its memory with every stream open: below 1 is less. \
         HAProxy runs with Tecnativa's configuration and is absent from the bulk rows, whose \
         paths its rules deny.\n"
    );
    let _ = writeln!(
        md,
        "| row | target | rate ×direct | rate ÷ socat | rate ÷ haproxy | CPU ÷ socat | CPU ÷ haproxy | RSS ÷ socat | RSS ÷ haproxy |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let rate = |s: &Sample| {
            if r.kind == RowKind::Idle {
                Some(1.0 / s.wall_s)
            } else {
                m_rate(s)
            }
        };
        for k in r.samples.keys().copied().filter(|k| *k != Kind::Direct) {
            let idle = |a, b| {
                if r.kind == RowKind::Idle {
                    ratio(paired(r, a, b, m_rss))
                } else {
                    "—".into()
                }
            };
            let rate_vs = |b| {
                let v: Vec<f64> = r.samples[&k]
                    .iter()
                    .filter_map(|sa| {
                        let sb = r.samples.get(&b)?.iter().find(|sb| sb.round == sa.round)?;
                        Some(rate(sa)? / rate(sb)?)
                    })
                    .collect();
                f(median(v), 2)
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.name,
                k.name(),
                rate_vs(Kind::Direct),
                rate_vs(Kind::Socat),
                rate_vs(Kind::Haproxy),
                ratio(paired(r, k, Kind::Socat, m_cpu)),
                ratio(paired(r, k, Kind::Haproxy, m_cpu)),
                idle(k, Kind::Socat),
                idle(k, Kind::Haproxy),
            );
        }
    }
    let _ = writeln!(md);

    // Verdict: sockeye against socat, per row, on per-round paired ratios.
    let tol = o.tolerance;
    let _ = writeln!(md, "### sockeye vs socat (the bar)\n");
    let _ = writeln!(
        md,
        "sockeye ÷ socat is the median over rounds of the ratio within one round; IQR is the \
         interquartile range of those per-round ratios. ok: within {:.0}% of socat or better; \
         **LOSS**: worse by more than that and the IQR is entirely on the worse side of 1; \
         loss?: worse by more than that, but the IQR reaches 1 (not consistent across rounds).\n",
        tol * 100.0
    );
    let _ = writeln!(
        md,
        "| row | metric | socat | sockeye | sockeye ÷ socat | IQR | verdict |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---|---|");
    let mut check =
        |r: &RowResult, metric: &str, f_: Metric, scale: f64, higher_better: bool, d: usize| {
            let (socat, sockeye) = if metric.starts_with("CPU") {
                (
                    r.cpu_per_op(Kind::Socat) * scale,
                    r.cpu_per_op(Kind::Sockeye) * scale,
                )
            } else {
                (
                    r.med(Kind::Socat, f_) * scale,
                    r.med(Kind::Sockeye, f_) * scale,
                )
            };
            let p = paired(r, Kind::Sockeye, Kind::Socat, f_);
            let (v, iqr, med) = match p {
                None => ("—", "—".to_string(), f64::NAN),
                Some((m, q1, q3)) => {
                    let worse = if higher_better {
                        m < 1.0 - tol
                    } else {
                        m > 1.0 + tol
                    };
                    let straddles = if higher_better { q3 >= 1.0 } else { q1 <= 1.0 };
                    let v = match (worse, straddles) {
                        (false, _) => "ok",
                        (true, true) => "loss?",
                        (true, false) => "**LOSS**",
                    };
                    (v, format!("{q1:.2}–{q3:.2}"), m)
                }
            };
            if v != "ok" && v != "—" {
                losses.push(format!(
                    "{} {metric}: socat {} vs sockeye {} (paired ×{med:.2}, IQR {iqr}){}",
                    r.name,
                    f(socat, d),
                    f(sockeye, d),
                    if v == "loss?" {
                        " [inconsistent across rounds]"
                    } else {
                        ""
                    }
                ));
            }
            let _ = writeln!(
                md,
                "| {} | {metric} | {} | {} | {} | {iqr} | {v} |",
                r.name,
                f(socat, d),
                f(sockeye, d),
                f(med, 2)
            );
        };
    for r in rows {
        match r.kind {
            RowKind::Small => {
                check(r, "req/s", m_rate, 1.0, true, 0);
                check(r, "p50 µs", m_p50, 1.0, false, 0);
                check(r, "p99 µs", m_p99, 1.0, false, 0);
                check(r, "CPU µs/req", m_cpu, 1e-3, false, 1);
            }
            RowKind::Bulk => {
                check(r, "MB/s", m_rate, 1e-6, true, 0);
                check(r, "CPU s/GB", m_cpu, 1.0, false, 3);
            }
            RowKind::Idle => {
                check(r, "RSS MiB", m_rss, 1.0 / MIB as f64, false, 1);
                check(r, "open all s", m_wall, 1.0, false, 2);
            }
        }
    }
    let _ = writeln!(md);
    for r in rows {
        let _ = writeln!(md, "- **{}**: {}", r.name, r.what);
        for n in &r.notes {
            let _ = writeln!(md, "  - {n}");
        }
    }
    (md, losses)
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__stub") {
        if let Err(e) = stub_main(Path::new(&args[2])) {
            eprintln!("stub: {e}");
            std::process::exit(1);
        }
        return;
    }
    match run() {
        Ok(0) => {}
        Ok(_) => std::process::exit(3),
        Err(e) => {
            eprintln!("bench: error: {e}");
            std::process::exit(1);
        }
    }
}

fn run() -> R<usize> {
    let o = parse_opts()?;
    let started = Instant::now();
    std::fs::create_dir_all(&o.workdir)?;
    let socat = which("socat").ok_or("socat not found")?;
    let sockeye = detect_sockeye(&o)?;

    // dockerd: API version (the path prefix the CLI uses), the image, a container for exec.
    let (st, ver) = json_request(&o.docker_host, "GET", "/version", None)?;
    if st != 200 {
        bail!("GET /version on {}: HTTP {st}", o.docker_host.display());
    }
    let api = format!("/v{}", ver["ApiVersion"].as_str().ok_or("no ApiVersion")?);
    let (st, _) = json_request(
        &o.docker_host,
        "GET",
        &format!("{api}/images/{}/json", o.image),
        None,
    )?;
    if st != 200 {
        bail!(
            "image {} not found on the daemon (scripts/dockerd.sh start makes it)",
            o.image
        );
    }
    let name = format!("sockeye-bench-{}", std::process::id());
    let create = serde_json::json!({
        "Image": o.image, "Cmd": ["sleep", "3600"], "HostConfig": {"NetworkMode": "none"}
    });
    let (st, v) = json_request(
        &o.docker_host,
        "POST",
        &format!("{api}/containers/create?name={name}"),
        Some(&create),
    )?;
    if st != 201 {
        bail!("container create: HTTP {st}: {v}");
    }
    let container = v["Id"].as_str().ok_or("no container Id")?.to_string();
    struct Rm(PathBuf, String, String);
    impl Drop for Rm {
        fn drop(&mut self) {
            let _ = simple_request(
                &self.0,
                "DELETE",
                &format!("{}/containers/{}?force=1", self.1, self.2),
                None,
            );
        }
    }
    let _rm = Rm(o.docker_host.clone(), api.clone(), container.clone());
    let (st, _) = simple_request(
        &o.docker_host,
        "POST",
        &format!("{api}/containers/{container}/start"),
        Some(b""),
    )?;
    if st != 204 && st != 304 {
        bail!("container start: HTTP {st}");
    }

    let env_lines = {
        let mut v = vec![];
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        v.push(format!("kernel {}", kernel.trim()));
        v.push(format!(
            "{} CPUs",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0)
        ));
        v.push(format!(
            "dockerd {} (API {})",
            ver["Version"].as_str().unwrap_or("?"),
            &api[2..]
        ));
        let sv = Command::new(&socat)
            .arg("-V")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
            .unwrap_or_default();
        if let Some(l) = sv.lines().find(|l| l.starts_with("socat version")) {
            v.push(l.split(" on ").next().unwrap_or(l).to_string());
        }
        v.push(format!("socat -b {}", o.socat_buf));
        let haproxy = which("haproxy").unwrap_or_else(|| PathBuf::from("/usr/sbin/haproxy"));
        if let Ok(out) = Command::new(&haproxy).arg("-v").output() {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if let Some(l) = text.lines().next().filter(|l| l.starts_with("HAProxy")) {
                v.push(format!("{} (Tecnativa's configuration)", l.trim()));
            }
        }
        match &sockeye {
            SockeyeMode::Real { prog, extra } => {
                let ver = Command::new(prog)
                    .arg("--version")
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                    .unwrap_or_default();
                v.push(
                    format!(
                        "sockeye {} proxy {}",
                        if ver.is_empty() {
                            "?"
                        } else {
                            ver.trim_start_matches("sockeye ")
                        },
                        extra.join(" ")
                    )
                    .trim()
                    .to_string(),
                );
            }
            SockeyeMode::Standin => v.push("SOCKEYE ROLE PLAYED BY SOCAT (--standin-socat)".into()),
        }
        let nv = which("nginx")
            .and_then(|n| Command::new(n).arg("-v").output().ok())
            .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_string())
            .unwrap_or_default();
        if o.download_via == "nginx" && !nv.is_empty() {
            v.push(nv.replace("nginx version: ", ""));
        }
        let git = Command::new("git")
            .args([
                "-C",
                env!("CARGO_MANIFEST_DIR"),
                "describe",
                "--always",
                "--dirty",
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        if !git.is_empty() {
            v.push(format!("tree {git}"));
        }
        v.push(format!("{} rounds, medians", o.rounds));
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        v.push(format!(
            "load average at start {}",
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        ));
        v.push(format!(
            "CPU accounting: {}",
            match cgroup_base() {
                Some((Acct::V1(_), _)) => "cgroup v1 cpuacct.usage",
                Some((Acct::V2(_), _)) => "cgroup v2 cpu.stat",
                _ => "/proc/PID/stat ticks",
            }
        ));
        v
    };
    eprintln!("bench: {}", env_lines.join("; "));

    let env = Env {
        o: o.clone(),
        socat,
        haproxy: which("haproxy").or_else(|| {
            let p = PathBuf::from("/usr/sbin/haproxy");
            p.exists().then_some(p)
        }),
        sockeye,
        api,
        container,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let needs_up = o.rows.iter().any(|r| r == "download" || r == "upload");
    let up = if needs_up {
        Some(start_upstreams(&o)?)
    } else {
        None
    };

    let docker_setup = if o
        .rows
        .iter()
        .any(|r| docker_rows::ROWS.contains(&r.as_str()))
    {
        Some(docker_rows::setup(&o, &env.api)?)
    } else {
        None
    };

    let mut rows = Vec::new();
    for row in ALL_ROWS.iter().filter(|r| o.rows.iter().any(|x| x == *r)) {
        let t0 = Instant::now();
        eprintln!("bench: row {row}");
        let res = match *row {
            "ping-c1" => run_small(&env, &rt, row, "/_ping", 1, o.small_c1)?,
            "ping-c64" => run_small(&env, &rt, row, "/_ping", 64, o.small_c64_per_conn)?,
            "ping-new16" => run_small_with(&env, &rt, row, "/_ping", 16, o.new16_per_client, true)?,
            "json-c1" => run_small(
                &env,
                &rt,
                row,
                &format!("{}/containers/json", env.api),
                1,
                o.json_c1,
            )?,
            "json-c64" => run_small(
                &env,
                &rt,
                row,
                &format!("{}/containers/json", env.api),
                64,
                o.json_c64_per_conn,
            )?,
            "download" => run_download(&env, up.as_ref().unwrap())?,
            "upload" => run_upload(&env, up.as_ref().unwrap())?,
            "save" | "load" | "cp-from" | "cp-to" => {
                docker_rows::run(&env, docker_setup.as_ref().unwrap(), row)?
            }
            "exec" => run_exec(&env)?,
            "events" => run_events(&env)?,
            _ => unreachable!(),
        };
        eprintln!("bench: row {row} took {:.1} s", t0.elapsed().as_secs_f64());
        rows.push(res);
    }

    let (md, losses) = report(&rows, &o, &env_lines);
    println!("\n{md}");
    eprintln!("bench: total {:.1} s", started.elapsed().as_secs_f64());
    if let Some(dir) = &o.out {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("results.md"), &md)?;
        let json: BTreeMap<String, serde_json::Value> = rows
            .iter()
            .map(|r| {
                let per: BTreeMap<&str, &Vec<Sample>> =
                    r.samples.iter().map(|(k, v)| (k.name(), v)).collect();
                (
                    r.name.clone(),
                    serde_json::json!({"what": r.what, "notes": r.notes, "samples": per}),
                )
            })
            .collect();
        let doc = serde_json::json!({"run": env_lines, "rows": json});
        std::fs::write(
            dir.join("results.json"),
            serde_json::to_string_pretty(&doc)?,
        )?;
        eprintln!("bench: wrote {}/results.md and results.json", dir.display());
    }
    if !losses.is_empty() {
        eprintln!(
            "bench: sockeye lost to socat on {} metric(s):",
            losses.len()
        );
        for l in &losses {
            eprintln!("  - {l}");
        }
    }
    Ok(if o.strict { losses.len() } else { 0 })
}
