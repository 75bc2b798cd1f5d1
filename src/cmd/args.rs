//! The command line as clap parses it: the types, with their help, defaults and the
//! conflicts clap itself enforces, and nothing more. [`crate::cmd::checked`] builds them
//! into checked values (a [`ProxyArgs`] into a [`crate::cmd::checked::ProxyConfig`]).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::cmd::range::{self, whole};
use crate::config;
use crate::see::view::Format;

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
    Trace(Box<TraceArgs>),
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
    /// Browse recorded calls in the inspector page: audit logs (rotated files oldest first)
    /// or a HAR file (`trace --export har`), served on --ui (docs/ui.md).
    ///
    /// Example: sockeye ui /var/log/sockeye/audit.log   (then open http://127.0.0.1:8484/)
    Ui(UiFilesArgs),
    /// Create a CA and certificates for `tls://` listeners, in the docker CLI's layout.
    #[command(subcommand)]
    Certs(crate::cmd::certs::CertsCommand),
    /// Run as Tecnativa's or linuxserver's docker-socket-proxy image does: their environment
    /// variables (CONTAINERS=1, POST=0, ALLOW_START=1, LOG_LEVEL, SOCKET_PATH, DISABLE_IPV6,
    /// …) are the policy, clients connect to tcp://[::]:2375 (plain TCP, as theirs), health
    /// on 127.0.0.1:9100. What is exposed is said once at start. The image's default command.
    ///
    /// Example: CONTAINERS=1 sockeye drop-in -- --audit /var/log/sockeye/audit.log
    DropIn(DropInArgs),
}

/// The inspector page (shared by `proxy`, `trace` and `ui`).
#[derive(Debug, Args, Clone, Default)]
pub struct UiArgs {
    /// Serve the inspector page, a live timeline of the calls in a browser, on this address
    /// (IP:PORT, loopback unless --ui-insecure; port 0: any free port, logged at startup).
    /// Read-only: it never sends anything to the daemon. docs/ui.md.
    #[arg(long, value_name = "IP:PORT")]
    pub ui: Option<std::net::SocketAddr>,

    /// Calls the inspector keeps (the newest; each with at most 64 KiB of each body).
    #[arg(long, default_value = "5000", value_name = "N", requires = "ui",
          allow_hyphen_values = true, value_parser = whole::<usize>(1, 1_000_000, "calls", ""))]
    pub ui_keep: usize,

    /// Bytes the inspector keeps at most (its calls' rows, heads and bodies, counted): the
    /// oldest calls go first when a new one would pass it, and are counted on the page.
    #[arg(long, default_value = "268435456", value_name = "BYTES", requires = "ui",
          allow_hyphen_values = true,
          value_parser = whole::<usize>(1024 * 1024, range::MAX_MEMORY_BYTES, "bytes", " (a GiB)"))]
    pub ui_keep_bytes: usize,

    /// Allow --ui on an address other than loopback. Anyone who can reach it reads every
    /// call, unauthenticated and unencrypted.
    #[arg(long, requires = "ui")]
    pub ui_insecure: bool,
}

impl UiArgs {
    /// The address to serve on, refused when it is not loopback and not allowed.
    pub fn addr(&self) -> Result<Option<std::net::SocketAddr>, String> {
        match self.ui {
            Some(a) if !a.ip().is_loopback() && !self.ui_insecure => Err(format!(
                "--ui {a} is not a loopback address: anyone who reaches it could read every \
                 call; use 127.0.0.1:PORT, or add --ui-insecure"
            )),
            other => Ok(other),
        }
    }
}

#[derive(Debug, Args)]
pub struct UiFilesArgs {
    /// Audit logs (`-` for standard input; rotated files oldest first) or one HAR file.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub ui: UiArgs,
}

#[derive(Debug, Args)]
pub struct DropInArgs {
    /// More `sockeye proxy` options, after `--`: `--audit FILE`, `--metrics IP:PORT`,
    /// `--listen ADDR` (in place of tcp://[::]:2375), …
    #[arg(last = true, value_name = "PROXY OPTIONS")]
    pub proxy: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Audit logs, of one host or several, `-` for standard input: their records are
    /// merged by time.
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

    /// Only calls recorded on this host (a glob on the record's `host`; `-` for records
    /// that name none, written before sockeye recorded it). May be repeated.
    #[arg(long, value_name = "NAME")]
    pub host: Vec<String>,

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
    #[arg(long, default_value = "10", value_name = "N", requires = "summary",
          allow_hyphen_values = true, value_parser = whole::<usize>(1, 1_000_000, "rows", ""))]
    pub top: usize,

    /// Keep reading every FILE as it grows, as `tail -F` does (across rotation, by name;
    /// not a rotated FILE.N given with FILE), and `-` as a stream, printing matching records
    /// as they are written, until interrupted.
    #[arg(long, short, conflicts_with = "summary")]
    pub follow: bool,
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
    /// GET /_ping through it, answered by the daemon; when a policy denies that, HEAD /_ping
    /// (the docker CLI's ping), so any policy that lets clients ping lets it pass. For a
    /// sockeye without --metrics.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Give up (unhealthy) after this many seconds.
    #[arg(long, default_value = "5", value_name = "SECONDS", allow_hyphen_values = true, value_parser = range::seconds)]
    pub timeout: Duration,
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
    #[arg(long, value_name = "FILE", group = "rego_source")]
    pub policy_rego: Option<PathBuf>,

    /// The Rego rule that allows a request.
    #[arg(long, default_value = crate::guard::rego::DEFAULT_QUERY, value_name = "QUERY", requires = "rego_source")]
    pub rego_query: String,

    /// Decide with the Rego policy of an OPA bundle (tar.gz) fetched from this http:// or
    /// https:// URL and polled for new revisions, as --policy-rego decides with a file
    /// (docs/policy.md, "Rego bundles").
    #[arg(long, value_name = "URL", group = "rego_source")]
    pub policy_rego_bundle: Option<String>,

    /// The CA certificate(s) (PEM) an https:// bundle server's certificate must chain to.
    /// Default: the system's CA bundle.
    #[arg(long, value_name = "FILE", requires = "policy_rego_bundle")]
    pub policy_rego_bundle_ca: Option<PathBuf>,

    /// The public key (PEM) the bundle's .signatures.json must verify with; an unsigned or
    /// altered bundle is then refused. For HS256, the file holds the shared secret.
    #[arg(long, value_name = "FILE", requires = "policy_rego_bundle")]
    pub policy_rego_bundle_key: Option<PathBuf>,

    /// The signature's algorithm (RS256, PS256, ES256, EdDSA, HS256, …). Default: from the
    /// key (RS256 for an RSA key).
    #[arg(long, value_name = "ALG", requires = "policy_rego_bundle_key")]
    pub policy_rego_bundle_key_alg: Option<String>,

    /// How often to ask the bundle server for a new revision (with the last ETag).
    #[arg(long, default_value = "60", value_name = "SECONDS", requires = "policy_rego_bundle",
          allow_hyphen_values = true, value_parser = crate::cmd::range::seconds)]
    pub policy_rego_bundle_interval: Duration,

    /// The bundle once fetched: shared by every copy of these options.
    #[arg(skip)]
    pub bundle: crate::cmd::bundle::BundleCell,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The policy file (or give --profile, --tecnativa-env or --policy-rego instead).
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
    #[arg(long, conflicts_with = "source_addr", allow_hyphen_values = true)]
    pub uid: Option<u32>,

    /// The caller's gid. Default: yours.
    #[arg(long, conflicts_with = "source_addr", allow_hyphen_values = true)]
    pub gid: Option<u32>,

    /// The caller's process name.
    #[arg(long, value_name = "NAME", conflicts_with = "source_addr")]
    pub process: Option<String>,

    /// The caller's executable path.
    #[arg(long, value_name = "PATH", conflicts_with = "source_addr")]
    pub exe: Option<String>,

    /// The container the caller runs in, by name (as given: no daemon is asked; see
    /// --container to have it resolved as the relay resolves a caller).
    #[arg(long, value_name = "NAME", conflicts_with = "container")]
    pub container_name: Option<String>,

    /// That container's id.
    #[arg(long, value_name = "ID", requires = "container_name")]
    pub container_id: Option<String>,

    /// A label of that container, KEY=VALUE; may be repeated.
    #[arg(long, value_name = "KEY=VALUE", requires = "container_name")]
    pub label: Vec<String>,

    /// The caller runs in this container (name or ID), resolved with the --upstream daemon as
    /// the relay resolves a caller's container: its full ID inspected, for its name and labels.
    #[arg(long, value_name = "NAME|ID", requires = "upstream")]
    pub container: Option<String>,

    /// A TCP caller's address (IP or IP:PORT) instead of a Unix-socket one. With --upstream
    /// and no container given, the container that holds this address on one of its networks
    /// is the caller's, as the relay finds it.
    #[arg(long = "source", value_name = "ADDR")]
    pub source_addr: Option<String>,

    /// A client of a tls:// listener (from --source, default 127.0.0.1). Implied by
    /// --cert-subject and --cert-san.
    #[arg(long, conflicts_with_all = ["uid", "gid", "process", "exe"])]
    pub tls: bool,

    /// The subject of the caller's verified client certificate, RFC 4514 style
    /// (`CN=alice,O=ops`): its first CN is what `client.cert_subject` matches.
    #[arg(long, value_name = "SUBJECT", conflicts_with_all = ["uid", "gid", "process", "exe"])]
    pub cert_subject: Option<String>,

    /// A subjectAltName of that certificate (DNS name, IP address, e-mail, URI); may be
    /// repeated.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["uid", "gid", "process", "exe"])]
    pub cert_san: Vec<String>,

    /// enforce: what the relay answers under --mode enforce; audit: under --mode audit
    /// (forwarded, with what enforcing would have answered).
    #[arg(long, value_enum, default_value = "enforce")]
    pub mode: ModeArg,

    /// The relay's --max-body: a body larger than this is refused, never decided on.
    #[arg(long, default_value = "1048576", value_name = "BYTES",
          allow_hyphen_values = true, value_parser = whole::<usize>(1024, range::MAX_MEMORY_BYTES, "bytes", " (a GiB)"))]
    pub max_body: usize,

    /// Ask this daemon (unix:///path or tcp://host:port) about the objects the request names,
    /// as the relay does before deciding, and show each lookup and what it added. Without
    /// it, a request that needs lookups is not decided: the lookups are listed (exit 3).
    #[arg(long, value_name = "ADDR")]
    pub upstream: Option<String>,
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
    /// (`trace`: on stderr, since stdout is the traced command's) (docs/json-format.md).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Write the calls (lines or JSON objects) to FILE, created or truncated, instead of
    /// stderr or stdout; `/dev/fd/N` writes them to an inherited descriptor.
    #[arg(long, short, value_name = "FILE", conflicts_with = "quiet")]
    pub output: Option<PathBuf>,

    /// Most bytes of one body or stream shown with --verbose (and kept for --export).
    #[arg(long, default_value = "65536", value_name = "BYTES",
          allow_hyphen_values = true, value_parser = whole::<usize>(0, range::MAX_MEMORY_BYTES, "bytes", " (a GiB)"))]
    pub body_limit: usize,

    /// Print nothing per request.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The Docker daemon: unix:///path or tcp://host:port.
    /// [default: $DOCKER_HOST as the docker CLI reads it, else unix:///var/run/docker.sock]
    #[arg(long, value_name = "ADDR")]
    pub upstream: Option<String>,

    #[command(flatten)]
    pub view: ViewArgs,

    /// Also write the calls as `curl` commands (a shell script) or as a HAR 1.2 file:
    /// `--export curl FILE`, `--export har FILE`; may be given twice.
    #[arg(long, num_args = 2, value_names = ["KIND", "FILE"], action = clap::ArgAction::Append)]
    pub export: Vec<String>,

    /// With --policy, --profile, --tecnativa-env or --policy-rego: decide every call as
    /// `proxy --mode audit` would, without denying any (the command runs unchanged); the
    /// views and the summary mark the calls that policy would deny, with rule and reason.
    #[command(flatten)]
    pub policy: PolicyArgs,

    /// At the end, print the smallest policy under which the traced command works (what
    /// `policy learn` writes from the trace's own records).
    #[arg(long)]
    pub learn: bool,

    #[command(flatten)]
    pub ui: UiArgs,

    /// The command to run, with DOCKER_HOST pointing at the private sockeye.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Where clients connect: unix:///path/to.sock, tcp://127.0.0.1:PORT (loopback only,
    /// unless --insecure-tcp) or tls://IP:PORT (--tls-cert, --tls-key, --tls-client-ca).
    /// May be given several times. `,profile=NAME` after an address names the policy
    /// profile for that listener's clients. [default: unix://./sockeye.sock, or the
    /// sockets systemd passed (socket activation, examples/systemd)]
    #[arg(long, value_name = "ADDR")]
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

    /// Certificate revocation list (PEM, `sockeye certs revoke` writes DIR/crl.pem) of
    /// --tls-client-ca: a client certificate it lists is refused at the handshake, and its open
    /// sessions are closed when a SIGHUP reload finds it there. May be given several times.
    #[arg(long = "tls-crl", value_name = "FILE", requires = "tls_client_ca")]
    pub tls_crls: Vec<PathBuf>,

    /// The Docker daemon: unix:///path, tcp://host:port or tls://host:port
    /// (--upstream-tls-ca, --upstream-tls-cert, --upstream-tls-key).
    /// [default: $DOCKER_HOST as the docker CLI reads it (tcp:// with DOCKER_TLS_VERIFY is
    /// tls://, with DOCKER_CERT_PATH's ca.pem, cert.pem and key.pem), else
    /// unix:///var/run/docker.sock]
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

    /// Permission bits of the unix:// listening socket files, in octal [default: 0660].
    #[arg(long, value_name = "MODE", allow_hyphen_values = true, value_parser = config::parse_mode)]
    pub socket_mode: Option<u32>,

    /// Group (name or gid) that owns the unix:// listening socket files.
    #[arg(long, value_name = "GROUP")]
    pub socket_group: Option<String>,

    /// Close a connection whose request head has not fully arrived after this many seconds
    /// (also the idle limit between requests on a keep-alive connection, and the time a
    /// tls:// client has for its handshake).
    #[arg(long, default_value = "60", value_name = "SECONDS", allow_hyphen_values = true, value_parser = range::seconds)]
    pub head_timeout: Duration,

    /// Largest request head (request line and headers) accepted, in bytes.
    #[arg(long, default_value = "65536", value_name = "BYTES",
          allow_hyphen_values = true, value_parser = whole::<usize>(1024, crate::relay::upstream::MAX_BUF as u64, "bytes",
                                        " (the relay's read buffer)"))]
    pub max_head_bytes: usize,

    /// On SIGINT/SIGTERM, let open requests finish for at most this many seconds.
    #[arg(long, default_value = "10", value_name = "SECONDS", allow_hyphen_values = true, value_parser = range::seconds)]
    pub drain_timeout: Duration,

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

    /// fdatasync the audit log after every record (and a remote sink's spool: each record
    /// and what was delivered).
    #[arg(long)]
    pub audit_fsync: bool,

    /// Keep serving when the audit log cannot be written (records are kept in memory, up
    /// to a limit, until it can), or when a remote sink's spool is full (calls are counted
    /// as unrecorded).
    #[arg(long)]
    pub audit_fail_open: bool,

    /// Rotate the audit log when it would grow beyond this many bytes (FILE.1, FILE.2, …).
    /// SIGHUP reopens it, for logrotate.
    #[arg(long, value_name = "BYTES", requires = "audit",
          allow_hyphen_values = true, value_parser = whole::<u64>(range::MIN_AUDIT_SIZE, 1 << 40, "bytes", ""))]
    pub audit_max_size: Option<u64>,

    /// Rotated audit files kept.
    #[arg(
        long,
        default_value = "5",
        value_name = "N",
        requires = "audit_max_size",
        allow_hyphen_values = true, value_parser = whole::<usize>(0, range::MAX_AUDIT_KEEP, "files", "")
    )]
    pub audit_keep: usize,

    /// How the audit log file is written: json (sockeye's record, docs/audit-log.md) or ecs
    /// (the same record in Elastic Common Schema field names, for Filebeat and Elastic).
    #[arg(
        long,
        value_enum,
        default_value = "json",
        value_name = "FORMAT",
        requires = "audit"
    )]
    pub audit_format: AuditFormatArg,

    /// The host name every audit record names (`host`) [default: this host's name]. In a
    /// container, whose host name is its ID, give the machine's name (or share its UTS
    /// namespace: compose `uts: host`).
    #[arg(long, value_name = "NAME", value_parser = host_name)]
    pub audit_host: Option<String>,
    /// Also send every record to a syslog receiver, as an RFC 5424 message (the record as
    /// structured data and as JSON): unix:///dev/log, udp://HOST:PORT, tcp://HOST:PORT or
    /// tls://HOST:PORT. Records wait in a spool (--audit-spool) while it is down.
    #[arg(long, value_name = "ADDR")]
    pub audit_syslog: Option<String>,

    /// The syslog facility of audit messages (kern, user, daemon, auth, authpriv, local0 …
    /// local7, …).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "authpriv",
        requires = "audit_syslog"
    )]
    pub audit_syslog_facility: String,

    /// The APP-NAME of audit messages.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "sockeye",
        requires = "audit_syslog"
    )]
    pub audit_syslog_app_name: String,

    /// Longest syslog message; a longer record is sent without its structured data, or,
    /// if still too long, shortened to its key fields (`"truncated":true`).
    #[arg(long, value_name = "BYTES", default_value = "8096", requires = "audit_syslog",
          allow_hyphen_values = true, value_parser = whole::<usize>(1024, 1 << 20, "bytes", ""))]
    pub audit_syslog_max_message: usize,

    /// CA certificates (PEM) that issued a tls:// syslog receiver's certificate.
    #[arg(long, value_name = "FILE", requires = "audit_syslog")]
    pub audit_syslog_ca: Option<PathBuf>,

    /// Client certificate (PEM) for a tls:// syslog receiver that asks for one.
    #[arg(long, value_name = "FILE", requires = "audit_syslog_key")]
    pub audit_syslog_cert: Option<PathBuf>,

    /// The private key (PEM) of --audit-syslog-cert.
    #[arg(long, value_name = "FILE", requires = "audit_syslog_cert")]
    pub audit_syslog_key: Option<PathBuf>,

    /// Also send every record to an OpenTelemetry receiver (a Collector) as an OTLP log
    /// record: http://HOST:PORT/v1/logs or https://… (`/v1/logs` when the URL has no path).
    /// Records wait in a spool (--audit-spool) while it is down.
    #[arg(long, value_name = "URL")]
    pub audit_otlp: Option<String>,

    /// How to send to --audit-otlp: http/protobuf (OTLP/HTTP, port 4318) or grpc (OTLP/gRPC,
    /// port 4317; the URL is then the address alone).
    #[arg(long, value_name = "PROTOCOL", default_value = "http/protobuf",
          value_parser = ["http/protobuf", "grpc"], requires = "audit_otlp")]
    pub audit_otlp_protocol: String,

    /// A header sent with every OTLP request, for a receiver that wants a token
    /// (Authorization=Bearer …); repeatable; values are never logged. Also read from
    /// OTEL_EXPORTER_OTLP_LOGS_HEADERS or OTEL_EXPORTER_OTLP_HEADERS (name=value,…).
    #[arg(long, value_name = "NAME=VALUE", requires = "audit_otlp")]
    pub audit_otlp_header: Vec<String>,

    /// CA certificates (PEM) that issued an https:// OTLP receiver's certificate (default:
    /// the system's CA bundle).
    #[arg(long, value_name = "FILE", requires = "audit_otlp")]
    pub audit_otlp_ca: Option<PathBuf>,

    /// Client certificate (PEM) for an https:// OTLP receiver that asks for one.
    #[arg(long, value_name = "FILE", requires = "audit_otlp_key")]
    pub audit_otlp_cert: Option<PathBuf>,

    /// The private key (PEM) of --audit-otlp-cert.
    #[arg(long, value_name = "FILE", requires = "audit_otlp_cert")]
    pub audit_otlp_key: Option<PathBuf>,

    /// Where remote sinks keep records until their receiver has them: one directory per
    /// sink, locked by one sockeye. Default: /var/lib/sockeye/spool as root, else
    /// $XDG_STATE_HOME/sockeye/spool.
    #[arg(long, value_name = "DIR")]
    pub audit_spool: Option<PathBuf>,

    /// Most bytes a remote sink's spool holds (K, M, G suffixes); past it, calls are refused
    /// (or, with --audit-fail-open, served and counted as unrecorded).
    #[arg(long, value_name = "SIZE", default_value = "256M", allow_hyphen_values = true,
          value_parser = range::spool_size)]
    pub audit_spool_max: u64,

    /// Largest request body sockeye reads whole to decide on it (container create, exec,
    /// service and volume specs, …); a larger one is refused, never passed unread.
    #[arg(long, default_value = "1048576", value_name = "BYTES",
          allow_hyphen_values = true, value_parser = whole::<usize>(1024, range::MAX_MEMORY_BYTES, "bytes", " (a GiB)"))]
    pub max_body: usize,

    /// Each client sees and touches only the containers, images, volumes and networks it
    /// created: they are labelled with its identity (certificate CN, container, or uid), any
    /// other object is answered as "No such …", and listings, prunes and events are filtered.
    /// docs/policy.md.
    #[arg(long)]
    pub isolate: bool,

    /// The label that carries the owner under --isolate.
    #[arg(
        long,
        default_value = "sockeye.owner",
        value_name = "KEY",
        requires = "isolate"
    )]
    pub isolate_label: String,

    /// Objects every isolated client may use (never remove), as KIND=PATTERN with KIND one of
    /// container, image, volume, network and `*` matching any run of characters, e.g.
    /// `image=sockeye-test/*` or `network=bridge`. Repeatable.
    #[arg(long, value_name = "KIND=PATTERN", requires = "isolate")]
    pub isolate_share: Vec<String>,

    /// Serve Prometheus metrics (GET /metrics) and a health check (GET /healthz) over plain
    /// HTTP on this address, e.g. 127.0.0.1:9100 (port 0: any free port, logged at startup).
    /// docs/metrics.md.
    #[arg(long, value_name = "IP:PORT")]
    pub metrics: Option<std::net::SocketAddr>,

    #[command(flatten)]
    pub ui: UiArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormatArg {
    Json,
    Ecs,
}

/// A host name as records carry it: one line of text (it is printed in listings), not empty.
fn host_name(s: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "{s:?} is not a host name (empty, or with spaces or control characters)"
        ));
    }
    Ok(s.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    Enforce,
    Audit,
}
