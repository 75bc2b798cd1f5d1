//! The command line, parsed by clap and then built into typed configuration.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, Group, Limits, ListenAddr, ListenSpec, SocketPerms, UpstreamAddr};
use crate::guard::policy::{Mode, Policy, ProfileParams};
use crate::guard::Guard;
use crate::relay::tls;
use crate::remember::audit::AuditOptions;
use crate::see::view::{Format, ViewOptions};

#[derive(Debug, Parser)]
#[command(
    name = "sockeye",
    version,
    about = "A transparent relay for the Docker Engine socket: see, guard and remember every API call"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Relay a Docker socket: clients use sockeye's socket exactly as they would use the daemon's.
    Proxy(Box<ProxyArgs>),
    /// Run a command against a private sockeye and show the API calls it made.
    ///
    /// Example: sockeye trace -- docker run --rm IMAGE echo hi
    Trace(TraceArgs),
    /// Check a policy, show how it decides a sample request, or learn one from an audit log
    /// (docs/policy.md).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Query audit logs: the records that match, one line each (or JSON), or a summary of
    /// who did what and what was denied (docs/audit-log.md).
    ///
    /// Example: sockeye audit /var/log/sockeye/audit.log.1 /var/log/sockeye/audit.log
    ///          --decision denied --since 2h --summary
    Audit(AuditArgs),
    /// Ask a running sockeye whether it is healthy: exit 0 if so, 1 if not, with one line
    /// saying why (for a container HEALTHCHECK; docs/metrics.md).
    ///
    /// Example: HEALTHCHECK CMD ["sockeye", "health", "--metrics", "127.0.0.1:9100"]
    Health(HealthArgs),
    /// Create a CA and certificates for `tls://` listeners, in the docker CLI's layout.
    #[command(subcommand)]
    Certs(crate::cmd::certs::CertsCommand),
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Audit logs, `-` for standard input. Give rotated files oldest first
    /// (FILE.2 FILE.1 FILE).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Only calls from this caller: KEY=GLOB terms joined by commas, all of which must
    /// hold. Keys: uid, gid, pid, transport, process, exe, container, container_id, addr,
    /// cert (a TLS client certificate's CN, subject or SAN); a bare GLOB matches the process,
    /// executable, container name, address or certificate. Examples: `uid=1000`,
    /// `process=traefik`, `container=web-*`, `uid=0,exe=/usr/bin/docker`, `addr=10.0.0.5`,
    /// `cert=ci-*`. May be repeated (any of them).
    #[arg(long, value_name = "SPEC")]
    pub caller: Vec<String>,

    /// Only calls to these endpoints (globs on the name: `ContainerCreate`, `Image*`). May
    /// be repeated.
    #[arg(long, value_name = "NAME")]
    pub endpoint: Vec<String>,

    /// Only calls with this decision: allow, deny, would_deny, refused, none (recorded
    /// without a policy), or denied (deny, would_deny or refused). May be repeated.
    #[arg(long, value_name = "DECISION")]
    pub decision: Vec<String>,

    #[command(flatten)]
    pub time: TimeArgs,

    /// Print the matching records as they are in the log (JSON lines), or with --summary
    /// the summary as one JSON object.
    #[arg(long)]
    pub json: bool,

    /// Print tables instead of records: totals, top callers, top endpoints, denials by rule
    /// and caller.
    #[arg(long)]
    pub summary: bool,

    /// Rows per summary table.
    #[arg(long, default_value_t = 10, value_name = "N", requires = "summary")]
    pub top: usize,
}

/// A time range over audit records (shared by `audit` and `policy learn`).
#[derive(Debug, Args, Clone, Default)]
pub struct TimeArgs {
    /// Only calls at or after TIME: RFC 3339 (2026-11-22T23:19:27Z; UTC without an offset),
    /// a duration ago (30s, 10m, 2h, 7d, 1h30m), or seconds since the epoch.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only calls at or before TIME (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

impl TimeArgs {
    /// `(since, until)` in seconds since the epoch.
    pub fn parse(&self, now: f64) -> Result<(Option<f64>, Option<f64>), String> {
        let one = |flag: &str, v: &Option<String>| {
            v.as_deref()
                .map(|t| crate::docker::time::parse_time(t, now).map_err(|e| format!("{flag} {e}")))
                .transpose()
        };
        Ok((one("--since", &self.since)?, one("--until", &self.until)?))
    }
}

#[derive(Debug, Args)]
pub struct LearnArgs {
    /// Audit logs recorded with a policy (best: `--profile full --mode audit`), `-` for
    /// standard input. Give rotated files oldest first.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Learn only this caller's calls (the --caller syntax of `sockeye audit`, e.g.
    /// `container=dashboard` or `uid=0,exe=/usr/bin/docker`).
    #[arg(long, value_name = "SPEC")]
    pub client: Option<String>,

    /// Write the policy to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub time: TimeArgs,

    /// Learn endpoints and body facts only; never restrict which containers, images, …
    /// a client may name (by default a client that only ever named a few objects by name
    /// gets them, or their shared prefix, in its rule).
    #[arg(long)]
    pub endpoints_only: bool,

    /// Also learn calls that could give root on the host (privileged, host namespaces,
    /// dangerous capabilities, devices, host paths such as / or /etc, …). Without it they
    /// are left out, and listed in the comments.
    #[arg(long)]
    pub allow_escalations: bool,
}

/// Whom `sockeye health` asks: exactly one of `--metrics` and `--listen`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The running sockeye's --metrics listener (HOST:PORT): its /healthz checks that the
    /// daemon answers and the audit log is writable.
    #[arg(
        long,
        value_name = "HOST:PORT",
        required_unless_present = "listen",
        conflicts_with = "listen"
    )]
    pub metrics: Option<String>,

    /// Or the running sockeye's --listen socket (unix:///path or tcp://127.0.0.1:PORT): a
    /// GET /_ping through it, answered by the daemon. For a sockeye without --metrics.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Give up (unhealthy) after this many seconds.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub timeout: f64,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file. Every problem is reported at once, each with its key path.
    /// Exits 0 when the policy is valid, 2 when it is not.
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Show which rule decides a sample request, and why each rule before it did not match.
    /// Exits 0 when the request is allowed, 1 when it is denied, 2 on errors.
    ///
    /// Example: sockeye policy explain policy.toml --request 'POST /v1.41/containers/create'
    ///          --body '{"Image":"alpine","HostConfig":{"Privileged":true}}' --uid 1000
    Explain(Box<ExplainArgs>),
    /// Write the smallest policy that allows what each client did in an audit log, and
    /// nothing else: its endpoints, the objects it named (where stable) and the body facts
    /// it sent. Every rule is commented with the calls it stands for. Exits 0 when a policy
    /// was learned, 1 when nothing was learned or a learned call would not be allowed
    /// again, 2 on errors.
    ///
    /// Example: sockeye policy learn audit.log --client uid=0,exe=/usr/bin/docker -o ci.toml
    Learn(LearnArgs),
}

/// Where a policy comes from (shared by `proxy` and `policy explain`).
#[derive(Debug, Args, Clone, Default)]
pub struct PolicyArgs {
    /// Decide every request with this policy file (TOML, docs/policy.md). Without a policy
    /// sockeye relays everything.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile", "tecnativa_env"])]
    pub policy: Option<PathBuf>,

    /// Decide with a built-in profile alone: read-only, no-escape or full.
    #[arg(long, value_name = "NAME", conflicts_with = "tecnativa_env")]
    pub profile: Option<String>,

    /// With --profile no-escape: a host directory that binds, mounts and volumes may expose
    /// (it and everything below it). May be repeated.
    #[arg(long, value_name = "PATH", requires = "profile")]
    pub allow_host_path: Vec<String>,

    /// Read the policy from Tecnativa docker-socket-proxy's environment variables
    /// (CONTAINERS=1, IMAGES=1, POST=0, …, with its defaults).
    #[arg(long)]
    pub tecnativa_env: bool,

    /// Also decide with a Rego policy (opa-docker-authz's input; docs/policy.md). With
    /// another policy, a request must be allowed by both.
    #[arg(long, value_name = "FILE")]
    pub policy_rego: Option<PathBuf>,

    /// The Rego rule that allows a request.
    #[arg(long, default_value = crate::guard::rego::DEFAULT_QUERY, value_name = "QUERY", requires = "policy_rego")]
    pub rego_query: String,
}

impl PolicyArgs {
    /// The policy asked for, if any. Every problem is reported, one per line.
    pub fn load(&self) -> Result<Option<Policy>, String> {
        let located = |origin: &str, errs: Vec<crate::guard::policy::PolicyError>| {
            errs.iter()
                .map(|e| format!("{origin}: {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        if let Some(file) = &self.policy {
            return load_policy_file(file).map(Some);
        }
        if let Some(name) = &self.profile {
            let params = ProfileParams {
                allowed_host_paths: self.allow_host_path.clone(),
            };
            return Policy::profile(name, &params)
                .map(Some)
                .map_err(|e| located("--profile", e));
        }
        if self.tecnativa_env {
            return Policy::from_tecnativa_env(std::env::vars())
                .map(Some)
                .map_err(|e| located("environment", e));
        }
        Ok(None)
    }
}

impl PolicyArgs {
    /// The Rego policy asked for, if any.
    pub fn load_rego(&self) -> Result<Option<crate::guard::rego::RegoPolicy>, String> {
        let Some(path) = &self.policy_rego else {
            return Ok(None);
        };
        let options = crate::guard::rego::RegoOptions {
            query: self.rego_query.clone(),
            ..Default::default()
        };
        crate::guard::rego::RegoPolicy::load_file(path, &options).map(Some)
    }
}

/// Read and parse a policy file; errors name the file and each key path.
pub fn load_policy_file(file: &std::path::Path) -> Result<Policy, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read the policy {}: {e}", file.display()))?;
    Policy::from_toml(&text).map_err(|errs| {
        errs.iter()
            .map(|e| format!("{}: {e}", file.display()))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The policy file (or give --profile or --tecnativa-env instead).
    #[arg(value_name = "FILE", conflicts_with_all = ["profile", "tecnativa_env"])]
    pub file: Option<PathBuf>,

    #[command(flatten)]
    pub source: PolicyArgs,

    /// The request line: METHOD and target, as sent (`GET /v1.41/containers/json?all=1`).
    #[arg(long, value_name = "'METHOD TARGET'")]
    pub request: String,

    /// The request body: JSON text, or @FILE to read it from a file.
    #[arg(long, value_name = "JSON|@FILE")]
    pub body: Option<String>,

    /// The body's Content-Type.
    #[arg(long, default_value = "application/json", value_name = "TYPE")]
    pub content_type: String,

    /// The caller's uid (a Unix-socket client). Default: yours.
    #[arg(long, conflicts_with = "source_addr")]
    pub uid: Option<u32>,

    /// The caller's gid. Default: yours.
    #[arg(long, conflicts_with = "source_addr")]
    pub gid: Option<u32>,

    /// The caller's process name.
    #[arg(long, value_name = "NAME", conflicts_with = "source_addr")]
    pub process: Option<String>,

    /// The caller's executable path.
    #[arg(long, value_name = "PATH", conflicts_with = "source_addr")]
    pub exe: Option<String>,

    /// The container the caller runs in, by name.
    #[arg(long, value_name = "NAME")]
    pub container_name: Option<String>,

    /// That container's id.
    #[arg(long, value_name = "ID", requires = "container_name")]
    pub container_id: Option<String>,

    /// A label of that container, KEY=VALUE; may be repeated.
    #[arg(long, value_name = "KEY=VALUE", requires = "container_name")]
    pub label: Vec<String>,

    /// A TCP caller's address (IP or IP:PORT) instead of a Unix-socket one.
    #[arg(long = "source", value_name = "ADDR")]
    pub source_addr: Option<String>,
}

/// How calls are shown (shared by `proxy` and `trace`).
#[derive(Debug, Args, Clone)]
pub struct ViewArgs {
    /// Show headers, bodies (JSON pretty-printed, tar summarized) and decoded streams.
    #[arg(long, short, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Show the bytes on the socket as `socat -v` does (direction, time, length, `\r` visible).
    #[arg(long)]
    pub raw: bool,

    /// `text`: readable lines on stderr; `json`: one JSON object per call on stdout
    /// (docs/json-format.md).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Most bytes of one body or stream shown with --verbose (and kept for --export).
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    pub body_limit: usize,

    /// Print nothing per request.
    #[arg(long, short)]
    pub quiet: bool,
}

impl ViewArgs {
    /// `None` when nothing is to be shown.
    pub fn build(&self) -> Option<ViewOptions> {
        (!self.quiet)
            .then(|| ViewOptions::new(self.format, self.verbose, self.raw, self.body_limit))
    }
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The Docker daemon: unix:///path or tcp://host:port.
    /// [default: $DOCKER_HOST when it is unix://…, else unix:///var/run/docker.sock]
    #[arg(long, value_name = "ADDR")]
    pub upstream: Option<String>,

    #[command(flatten)]
    pub view: ViewArgs,

    /// Also write the calls as `curl` commands (a shell script) or as a HAR 1.2 file:
    /// `--export curl FILE`, `--export har FILE`; may be given twice.
    #[arg(long, num_args = 2, value_names = ["KIND", "FILE"], action = clap::ArgAction::Append)]
    pub export: Vec<String>,

    /// The command to run, with DOCKER_HOST pointing at the private sockeye.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// What `--export` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Export {
    Curl(PathBuf),
    Har(PathBuf),
}

impl TraceArgs {
    pub fn exports(&self) -> Result<Vec<Export>, String> {
        self.export
            .chunks(2)
            .map(|pair| match pair {
                [kind, file] if kind == "curl" => Ok(Export::Curl(file.into())),
                [kind, file] if kind == "har" => Ok(Export::Har(file.into())),
                [kind, _] => Err(format!(
                    "--export {kind}: expected `curl FILE` or `har FILE`"
                )),
                _ => Err("--export takes two values: curl|har FILE".to_string()),
            })
            .collect()
    }

    pub fn upstream(&self, docker_host: Option<&str>) -> Result<UpstreamAddr, String> {
        match &self.upstream {
            Some(u) => match UpstreamAddr::parse(u).map_err(|e| format!("--upstream {e}"))? {
                UpstreamAddr::Tls(_) => Err(format!(
                    "--upstream {u}: sockeye trace takes unix:// or tcp://; for a tls:// daemon, \
                     trace through a `sockeye proxy` that has the certificates"
                )),
                addr => Ok(addr),
            },
            None => Ok(UpstreamAddr::default_from_env(docker_host)),
        }
    }
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Where clients connect: unix:///path/to.sock, tcp://127.0.0.1:PORT (loopback only,
    /// unless --insecure-tcp) or tls://HOST:PORT (--tls-cert, --tls-key, --tls-client-ca).
    /// May be given several times. `,profile=NAME` after an address names the policy
    /// profile for that listener's clients.
    #[arg(long, default_value = "unix://./sockeye.sock", value_name = "ADDR")]
    pub listen: Vec<String>,

    /// Allow plain tcp:// listeners on addresses other than loopback. Anyone who can reach
    /// such a port can do whatever the policy allows, unauthenticated and unencrypted.
    #[arg(long)]
    pub insecure_tcp: bool,

    /// Certificate (PEM, then any intermediates) of tls:// listeners.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// Private key (PEM) of tls:// listeners.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Require client certificates issued by this CA (PEM) on tls:// listeners (mutual
    /// TLS). The certificate's subject is then the caller's identity.
    #[arg(long, value_name = "FILE")]
    pub tls_client_ca: Option<PathBuf>,

    /// The Docker daemon: unix:///path, tcp://host:port or tls://host:port
    /// (--upstream-tls-ca, --upstream-tls-cert, --upstream-tls-key).
    /// [default: $DOCKER_HOST when it is unix://…, else unix:///var/run/docker.sock]
    #[arg(long, value_name = "ADDR")]
    pub upstream: Option<String>,

    /// CA (PEM) that a tls:// upstream's certificate must be issued by.
    #[arg(long, value_name = "FILE")]
    pub upstream_tls_ca: Option<PathBuf>,

    /// Client certificate (PEM) to present to a tls:// upstream that requires one.
    #[arg(long, value_name = "FILE", requires = "upstream_tls_key")]
    pub upstream_tls_cert: Option<PathBuf>,

    /// Private key (PEM) of --upstream-tls-cert.
    #[arg(long, value_name = "FILE", requires = "upstream_tls_cert")]
    pub upstream_tls_key: Option<PathBuf>,

    /// Permission bits of the listening socket file, in octal.
    #[arg(long, default_value = "0660", value_name = "MODE", value_parser = config::parse_mode)]
    pub socket_mode: u32,

    /// Group (name or gid) that owns the listening socket file.
    #[arg(long, value_name = "GROUP")]
    pub socket_group: Option<String>,

    /// Close a connection whose request head has not fully arrived after this many seconds
    /// (also the idle limit between requests on a keep-alive connection, and the time a
    /// tls:// client has for its handshake).
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub head_timeout: f64,

    /// Largest request head (request line and headers) accepted, in bytes.
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    pub max_head_bytes: usize,

    /// On SIGINT/SIGTERM, let open requests finish for at most this many seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub drain_timeout: f64,

    #[command(flatten)]
    pub view: ViewArgs,

    #[command(flatten)]
    pub policy: PolicyArgs,

    /// enforce: a denied request gets 403 and never reaches the daemon. audit: every
    /// request is forwarded, and what the policy would deny is only reported.
    #[arg(long, value_enum, default_value = "enforce")]
    pub mode: ModeArg,

    /// Write one JSON line per call to FILE (`-`: standard output), before the call's
    /// response completes (docs/audit-log.md). If it cannot be written, calls are refused.
    #[arg(long, value_name = "FILE")]
    pub audit: Option<String>,

    /// fdatasync the audit log after every record.
    #[arg(long, requires = "audit")]
    pub audit_fsync: bool,

    /// Keep serving when the audit log cannot be written (records are kept in memory, up
    /// to a limit, until it can).
    #[arg(long, requires = "audit")]
    pub audit_fail_open: bool,

    /// Rotate the audit log when it would grow beyond this many bytes (FILE.1, FILE.2, …).
    /// SIGHUP reopens it, for logrotate.
    #[arg(long, value_name = "BYTES", requires = "audit")]
    pub audit_max_size: Option<u64>,

    /// Rotated audit files kept.
    #[arg(
        long,
        default_value_t = 5,
        value_name = "N",
        requires = "audit_max_size"
    )]
    pub audit_keep: usize,

    /// Largest request body sockeye reads whole to decide on it (container create, exec,
    /// service and volume specs, …); a larger one is refused, never passed unread.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    pub max_body: usize,

    /// Serve Prometheus metrics (GET /metrics) and a health check (GET /healthz) over plain
    /// HTTP on this address, e.g. 127.0.0.1:9100 (port 0: any free port, logged at startup).
    /// docs/metrics.md.
    #[arg(long, value_name = "IP:PORT")]
    pub metrics: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    Enforce,
    Audit,
}

/// A fully checked `proxy` configuration.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// At least one.
    pub listen: Vec<ListenSpec>,
    /// Present exactly when a listener is `tls://`.
    pub tls: Option<tls::ServerFiles>,
    pub upstream: UpstreamAddr,
    /// Present exactly when the upstream is `tls://`.
    pub upstream_tls: Option<tls::ClientFiles>,
    pub perms: SocketPerms,
    pub limits: Limits,
    /// `None`: print nothing per call.
    pub view: Option<ViewOptions>,
    /// `None`: no policy, every request is relayed.
    pub guard: Option<std::sync::Arc<Guard>>,
    pub audit: Option<AuditOptions>,
    /// Where to serve `/metrics` and `/healthz`.
    pub metrics: Option<std::net::SocketAddr>,
}

impl ProxyArgs {
    pub fn build(self, docker_host: Option<&str>) -> Result<ProxyConfig, String> {
        let listen = self
            .listen
            .iter()
            .map(|l| ListenSpec::parse(l, self.insecure_tcp).map_err(|e| format!("--listen {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let upstream = match &self.upstream {
            Some(u) => UpstreamAddr::parse(u).map_err(|e| format!("--upstream {e}"))?,
            None => UpstreamAddr::default_from_env(docker_host),
        };
        for spec in &listen {
            if let (ListenAddr::Unix(l), UpstreamAddr::Unix(u)) = (&spec.addr, &upstream) {
                if l == u {
                    return Err(format!(
                        "--listen and --upstream are the same socket ({}): sockeye would relay to itself",
                        l.display()
                    ));
                }
            }
        }
        let tls = self.tls_files(&listen)?;
        let upstream_tls = self.upstream_tls_files(&upstream)?;
        let seconds = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(format!("{name} must be a positive number of seconds"))
            }
        };
        if self.max_head_bytes < 1024 {
            return Err("--max-head-bytes must be at least 1024".into());
        }
        if self.max_body < 1024 {
            return Err("--max-body must be at least 1024".into());
        }
        let limits = Limits {
            max_head_bytes: self.max_head_bytes,
            head_timeout: seconds("--head-timeout", self.head_timeout)?,
            drain_timeout: seconds("--drain-timeout", self.drain_timeout)?,
            max_inspected_body: self.max_body,
        };
        let mode = match self.mode {
            ModeArg::Enforce => Mode::Enforce,
            ModeArg::Audit => Mode::Audit,
        };
        let rego = self.policy.load_rego()?;
        let guard = match (self.policy.load()?, rego) {
            (None, None) if mode == Mode::Audit => {
                return Err(
                    "--mode audit reports what a policy would deny: give --policy, \
                     --profile, --tecnativa-env or --policy-rego"
                        .into(),
                )
            }
            (None, None) => None,
            (policy, rego) => Some(std::sync::Arc::new(Guard::new(
                policy,
                rego,
                mode,
                limits.max_inspected_body,
            ))),
        };
        let audit = match self.audit.as_deref() {
            None => None,
            Some(target) => {
                let path = (target != "-").then(|| PathBuf::from(target));
                if path.is_none() && self.view.format == Format::Json && !self.view.quiet {
                    return Err(
                        "--audit - and --format json would both write to standard output".into(),
                    );
                }
                Some(AuditOptions {
                    path,
                    fsync: self.audit_fsync,
                    fail_open: self.audit_fail_open,
                    max_size: self.audit_max_size,
                    keep: self.audit_keep,
                })
            }
        };
        Ok(ProxyConfig {
            audit,
            listen,
            tls,
            upstream,
            upstream_tls,
            perms: SocketPerms {
                mode: self.socket_mode,
                group: self.socket_group.as_deref().map(Group::parse),
            },
            limits,
            view: self.view.build(),
            guard,
            metrics: self.metrics,
        })
    }
}

impl ProxyArgs {
    /// TLS files go with `tls://` listeners: required by one, refused without one (a
    /// `--tls-client-ca` that guards nothing would only look like protection).
    fn tls_files(&self, listen: &[ListenSpec]) -> Result<Option<tls::ServerFiles>, String> {
        let tls_listener = listen.iter().find(|l| matches!(l.addr, ListenAddr::Tls(_)));
        match (tls_listener, &self.tls_cert, &self.tls_key) {
            (Some(_), Some(cert), Some(key)) => Ok(Some(tls::ServerFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.tls_client_ca.clone(),
            })),
            (Some(l), _, _) => Err(format!(
                "--listen {}: a tls:// listener needs --tls-cert and --tls-key \
                 (`sockeye certs init DIR --host NAME` makes them)",
                l.addr
            )),
            (None, None, None) if self.tls_client_ca.is_none() => Ok(None),
            (None, _, _) => Err(
                "--tls-cert, --tls-key and --tls-client-ca apply to tls:// listeners, and no \
                 --listen is tls://"
                    .into(),
            ),
        }
    }

    fn upstream_tls_files(
        &self,
        upstream: &UpstreamAddr,
    ) -> Result<Option<tls::ClientFiles>, String> {
        let cert = self
            .upstream_tls_cert
            .clone()
            .zip(self.upstream_tls_key.clone());
        match (upstream, &self.upstream_tls_ca) {
            (UpstreamAddr::Tls(_), Some(ca)) => Ok(Some(tls::ClientFiles {
                ca: ca.clone(),
                cert,
            })),
            (UpstreamAddr::Tls(_), None) => Err(format!(
                "--upstream {upstream}: a tls:// upstream needs --upstream-tls-ca, the CA that \
                 issued the daemon's certificate"
            )),
            (_, None) if cert.is_none() => Ok(None),
            (_, _) => Err(
                "--upstream-tls-ca, --upstream-tls-cert and --upstream-tls-key apply to a \
                 tls:// --upstream"
                    .into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> ProxyArgs {
        let mut full = vec!["sockeye", "proxy"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full).unwrap().command {
            Command::Proxy(a) => *a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn defaults_listen_on_a_local_socket_and_follow_docker_host() {
        let cfg = args(&[]).build(Some("unix:///run/dk.sock")).unwrap();
        assert_eq!(cfg.listen.len(), 1);
        assert_eq!(
            cfg.listen[0].addr,
            ListenAddr::Unix("./sockeye.sock".into())
        );
        assert_eq!(cfg.upstream, UpstreamAddr::Unix("/run/dk.sock".into()));
        assert_eq!(cfg.perms.mode, 0o660);
    }

    #[test]
    fn relaying_a_socket_to_itself_is_refused() {
        let err = args(&["--listen", "unix:///a.sock", "--upstream", "unix:///a.sock"])
            .build(None)
            .unwrap_err();
        assert!(err.contains("relay to itself"), "{err}");
    }

    #[test]
    fn listeners_may_be_several_each_with_its_profile() {
        let cfg = args(&[
            "--listen",
            "unix:///run/s.sock",
            "--listen",
            "tls://0.0.0.0:2376,profile=read-only",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--tls-client-ca",
            "ca.pem",
        ])
        .build(None)
        .unwrap();
        assert_eq!(cfg.listen.len(), 2);
        assert_eq!(cfg.listen[1].profile.as_deref(), Some("read-only"));
        let tls = cfg.tls.unwrap();
        assert_eq!(tls.client_ca, Some("ca.pem".into()));
    }

    #[test]
    fn tls_files_and_tls_listeners_go_together() {
        let err = args(&["--listen", "tls://127.0.0.1:2376"])
            .build(None)
            .unwrap_err();
        assert!(err.contains("needs --tls-cert"), "{err}");
        let err = args(&["--tls-client-ca", "ca.pem"])
            .build(None)
            .unwrap_err();
        assert!(err.contains("no --listen is tls://"), "{err}");
        // clap itself refuses half a key pair.
        let mut argv = vec!["sockeye", "proxy", "--tls-cert", "c.pem"];
        assert!(Cli::try_parse_from(&argv).is_err());
        argv.extend(["--tls-key", "k.pem"]);
        assert!(Cli::try_parse_from(&argv).is_ok());
    }

    #[test]
    fn exposed_plain_tcp_needs_insecure_tcp() {
        let err = args(&["--listen", "tcp://0.0.0.0:2375"])
            .build(None)
            .unwrap_err();
        assert!(err.contains("--insecure-tcp"), "{err}");
        let cfg = args(&["--listen", "tcp://0.0.0.0:2375", "--insecure-tcp"])
            .build(None)
            .unwrap();
        assert!(cfg.listen[0].addr.is_exposed_plain_tcp());
    }

    #[test]
    fn a_tls_upstream_needs_its_ca_and_nothing_else_takes_one() {
        let err = args(&["--upstream", "tls://10.0.0.2:2376"])
            .build(None)
            .unwrap_err();
        assert!(err.contains("--upstream-tls-ca"), "{err}");
        let cfg = args(&[
            "--upstream",
            "tls://10.0.0.2:2376",
            "--upstream-tls-ca",
            "ca.pem",
            "--upstream-tls-cert",
            "cert.pem",
            "--upstream-tls-key",
            "key.pem",
        ])
        .build(None)
        .unwrap();
        let files = cfg.upstream_tls.unwrap();
        assert_eq!(files.cert, Some(("cert.pem".into(), "key.pem".into())));
        let err = args(&[
            "--upstream",
            "unix:///d.sock",
            "--upstream-tls-ca",
            "ca.pem",
        ])
        .build(None)
        .unwrap_err();
        assert!(err.contains("apply to a tls:// --upstream"), "{err}");
    }

    #[test]
    fn socket_group_may_be_a_name_or_a_gid() {
        let cfg = args(&["--socket-group", "docker", "--socket-mode", "0600"])
            .build(None)
            .unwrap();
        assert_eq!(cfg.perms.group, Some(Group::Name("docker".into())));
        assert_eq!(cfg.perms.mode, 0o600);
        let cfg = args(&["--socket-group", "999"]).build(None).unwrap();
        assert_eq!(cfg.perms.group, Some(Group::Id(999)));
    }
}

#[cfg(test)]
mod trace_tests {
    use super::*;

    fn trace(argv: &[&str]) -> TraceArgs {
        let mut full = vec!["sockeye", "trace"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full).unwrap().command {
            Command::Trace(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn everything_after_the_double_dash_is_the_command_even_its_flags() {
        let t = trace(&["-v", "--", "docker", "run", "--rm", "-v", "/a:/b", "img"]);
        assert!(t.view.verbose);
        assert_eq!(t.command, ["docker", "run", "--rm", "-v", "/a:/b", "img"]);
    }

    #[test]
    fn exports_name_a_kind_and_a_file_and_may_be_repeated() {
        let t = trace(&[
            "--export", "curl", "c.sh", "--export", "har", "t.har", "--", "docker", "ps",
        ]);
        assert_eq!(
            t.exports().unwrap(),
            [Export::Curl("c.sh".into()), Export::Har("t.har".into())]
        );
        let t = trace(&["--export", "pdf", "x", "--", "docker", "ps"]);
        assert!(t.exports().unwrap_err().contains("curl FILE"));
    }
}
