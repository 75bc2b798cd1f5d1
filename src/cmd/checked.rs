//! The parsed command line ([`crate::cmd::args`]) built into checked values: a
//! [`ProxyConfig`] from [`ProxyArgs`], the view, the time range and `trace`'s exports and
//! upstream. Files and the environment are read in [`crate::cmd::load`].

use std::path::PathBuf;
use std::sync::Arc;

use crate::cmd::args::{
    AuditFormatArg, ModeArg, PolicyArgs, ProxyArgs, TimeArgs, TraceArgs, ViewArgs,
};
use crate::config::{
    DockerEnv, EnvUpstream, Group, Limits, ListenAddr, ListenSpec, SocketPerms, UpstreamAddr,
};
use crate::docker::owner::Owned;
use crate::guard::isolate::Isolation;
use crate::guard::policy::{Glob, Mode, Policy, ProfileParams};
use crate::guard::Guard;
use crate::relay::tls;
use crate::remember::audit::{AuditFormat, AuditOptions};
use crate::see::view::{Format, Output, ViewOptions};

/// The smallest `--max-body` (of `proxy`, and of `policy explain`, which answers as it does).
pub const MIN_MAX_BODY: usize = 1024;

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

impl ViewArgs {
    /// What [`ViewArgs::build`] checks, without creating the `--output` file: for checks
    /// that must write nothing (`cmd::check`). The view is built with no file.
    pub fn check(&self) -> Result<ViewArgs, String> {
        if let Some(path) = &self.output {
            writable_as("--output", &path.to_string_lossy())?;
        }
        let mut unwritten = self.clone();
        unwritten.output = None;
        unwritten.build(Output::Stderr)?;
        Ok(unwritten)
    }

    /// `None` when nothing is to be shown. JSON records go to `json_default` unless
    /// `--output` names a file, which is created here, before anything runs.
    pub fn build(&self, json_default: Output) -> Result<Option<ViewOptions>, String> {
        if self.quiet {
            return Ok(None);
        }
        let view = ViewOptions::new(self.format, self.verbose, self.raw, self.body_limit);
        Ok(Some(match (&self.output, self.format) {
            (Some(path), _) => view.to(Output::create(path)?),
            (None, Format::Json) => view.to(json_default),
            (None, Format::Text) => view,
        }))
    }
}

/// What `--export` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Export {
    Curl(PathBuf),
    Har(PathBuf),
}

impl TraceArgs {
    /// The exports asked for, each checked writable where it can be known before the
    /// command runs: a file that cannot be written must not cost a whole traced command.
    pub fn exports(&self) -> Result<Vec<Export>, String> {
        self.export
            .chunks(2)
            .map(|pair| match pair {
                [kind, file] if kind == "curl" => Ok(Export::Curl(writable(kind, file)?)),
                [kind, file] if kind == "har" => Ok(Export::Har(writable(kind, file)?)),
                [kind, _] => Err(format!(
                    "--export {kind}: expected `curl FILE` or `har FILE`"
                )),
                _ => Err("--export takes two values: curl|har FILE".to_string()),
            })
            .collect()
    }

    pub fn upstream(&self, env: impl Into<DockerEnv>) -> Result<UpstreamAddr, String> {
        let (addr, given) = match &self.upstream {
            Some(u) => (
                UpstreamAddr::parse(u).map_err(|e| format!("--upstream {e}"))?,
                format!("--upstream {u}"),
            ),
            None => {
                let env = env.into().upstream()?;
                (env.addr, env.origin)
            }
        };
        match addr {
            UpstreamAddr::Tls(_) => Err(format!(
                "{given}: sockeye trace takes unix:// or tcp://; for a tls:// daemon, trace \
                 through a `sockeye proxy` that has the certificates"
            )),
            addr => Ok(addr),
        }
    }
}

/// `file`, when it can be written: its directory exists and is writable, and it is not a
/// directory itself (checked, not created: a failed command leaves no empty export behind).
fn writable(kind: &str, file: &str) -> Result<PathBuf, String> {
    writable_as(&format!("--export {kind}"), file)
}

/// `file` can be created or written, said for `flag`; nothing is created.
fn writable_as(flag: &str, file: &str) -> Result<PathBuf, String> {
    use nix::unistd::{access, AccessFlags};
    let path = PathBuf::from(file);
    let fail = |why: String| Err(format!("{flag} {file}: {why}"));
    if path.is_dir() {
        return fail("is a directory".into());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return fail(format!("no directory {}", dir.display()));
    }
    if path.exists() {
        if let Err(e) = access(&path, AccessFlags::W_OK) {
            return fail(format!("cannot be written ({})", e.desc()));
        }
    } else if let Err(e) = access(&dir, AccessFlags::W_OK | AccessFlags::X_OK) {
        return fail(format!(
            "cannot create files in {} ({})",
            dir.display(),
            e.desc()
        ));
    }
    Ok(path)
}

/// A fully checked `proxy` configuration.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// At least one.
    pub listen: Vec<ListenSpec>,
    /// Present exactly when a listener is `tls://`.
    pub tls: Option<tls::ServerFiles>,
    pub upstream: UpstreamAddr,
    /// Where the upstream came from when no --upstream named it (`DOCKER_HOST=…`, `the
    /// standard socket`), for the startup line.
    pub upstream_origin: Option<String>,
    /// Present exactly when the upstream is `tls://`.
    pub upstream_tls: Option<tls::ClientFiles>,
    pub perms: SocketPerms,
    pub limits: Limits,
    /// `None`: print nothing per call.
    pub view: Option<ViewOptions>,
    /// `None`: no policy, every request is relayed.
    pub guard: Option<Arc<Guard>>,
    /// `--isolate`, for every listener's guard.
    pub isolation: Option<Isolation>,
    pub audit: Option<AuditOptions>,
    /// `--audit-host`: the host every record names, in place of this host's name.
    pub audit_host: Option<String>,
    /// Remote audit sinks (`--audit-syslog`) and their spool.
    pub ship: ShipConfig,
    /// Where to serve `/metrics` and `/healthz`.
    pub metrics: Option<std::net::SocketAddr>,
    /// Listen on the sockets systemd passed (socket activation) instead of `listen`, which
    /// is then empty.
    pub socket_activated: bool,
    /// Where the policy came from, to read it again on SIGHUP.
    pub policy_source: PolicyArgs,
    /// The policy's digest (`sha256:…`); `None` without a policy.
    pub policy_digest: Option<String>,
    /// Said once at start in place of the insecure-TCP warning (`sockeye drop-in`: what the
    /// socket-proxy variables expose, and to whom).
    pub announce: Option<String>,
    /// The inspector page (`--ui`).
    pub ui: Option<UiConfig>,
}

/// Where the inspector is served and how many calls it keeps.
#[derive(Debug, Clone, Copy)]
pub struct UiConfig {
    pub addr: std::net::SocketAddr,
    pub keep: usize,
    pub keep_bytes: usize,
}

impl crate::cmd::args::UiArgs {
    /// The inspector's configuration; `None` without `--ui`.
    pub fn build(&self) -> Result<Option<UiConfig>, String> {
        Ok(self.addr()?.map(|addr| UiConfig {
            addr,
            keep: self.ui_keep,
            keep_bytes: self.ui_keep_bytes,
        }))
    }
}

/// The `--listen` of a `proxy` given none, unless systemd passed sockets.
pub const DEFAULT_LISTEN: &str = "unix://./sockeye.sock";

/// The problems found so far, one line each (a policy's may take several).
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    /// The value, or `None` with its problem noted.
    fn check<T>(&mut self, result: Result<T, String>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    fn note(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    /// The error: every problem, one per line.
    fn report(self) -> String {
        debug_assert!(!self.0.is_empty(), "a value is missing without a problem");
        self.0.join("\n")
    }
}

impl ProxyArgs {
    /// Check every option and build the configuration. Every independent problem is
    /// reported, one per line (as `sockeye policy check` reports a policy's), listeners
    /// first; one that only follows from another is left out (TLS files "for no tls://
    /// listener" when a --listen did not parse: it may have been meant as tls://).
    pub fn build(self, env: impl Into<DockerEnv>) -> Result<ProxyConfig, String> {
        let mut problems = Problems::default();
        let socket_activated = crate::host::systemd::activated();
        if socket_activated && !self.listen.is_empty() {
            problems.note(
                "systemd passed listening sockets (LISTEN_FDS): sockeye listens on those; \
                 leave out --listen",
            );
        }
        let listen_args: Vec<String> = match (self.listen.is_empty(), socket_activated) {
            (true, false) => vec![DEFAULT_LISTEN.to_owned()],
            _ => self.listen.clone(),
        };
        let parsed: Vec<ListenSpec> = listen_args
            .iter()
            .filter_map(|l| {
                let spec = problems.check(
                    ListenSpec::parse(l, self.insecure_tcp).map_err(|e| format!("--listen {e}")),
                )?;
                problems.check(listener_policy(&spec));
                Some(spec)
            })
            .collect();
        let (upstream, env_upstream) = match &self.upstream {
            Some(u) => (
                problems.check(UpstreamAddr::parse(u).map_err(|e| format!("--upstream {e}"))),
                None,
            ),
            None => match problems.check(env.into().upstream()) {
                Some(env) => (Some(env.addr.clone()), Some(env)),
                None => (None, None),
            },
        };
        if let Some(up) = &upstream {
            for spec in parsed.iter().filter(|s| loops(&s.addr, up)) {
                let upstream_from = match &env_upstream {
                    Some(env) => format!(
                        "the upstream, {} (give --upstream with the daemon's address)",
                        env.origin
                    ),
                    None => "--upstream".to_owned(),
                };
                problems.note(format!(
                    "--listen {} and {upstream_from} are the same address: sockeye would relay \
                     to itself",
                    spec.addr
                ));
            }
        }
        // TLS files are checked against the listeners only when every one of them parsed.
        let listen = (parsed.len() == listen_args.len()).then_some(parsed);
        // Socket permissions that apply to no socket would only look like protection.
        let perms_given = self.socket_mode.is_some() || self.socket_group.is_some();
        if perms_given && socket_activated {
            problems.note(
                "--socket-mode and --socket-group: systemd created the listening sockets; set \
                 SocketMode= and SocketGroup= in the .socket unit instead",
            );
        } else if let Some(l) = listen
            .as_ref()
            .filter(|l| perms_given && !l.iter().any(|s| matches!(s.addr, ListenAddr::Unix(_))))
        {
            let addrs: Vec<String> = l.iter().map(|s| s.addr.to_string()).collect();
            problems.note(format!(
                "--socket-mode and --socket-group apply to unix:// listeners, and no --listen \
                 is unix:// ({}): a TCP port has no file permissions",
                addrs.join(", ")
            ));
        }
        let tls = listen
            .as_ref()
            .and_then(|l| problems.check(self.tls_files(l)));
        let upstream_tls = upstream
            .as_ref()
            .and_then(|u| problems.check(self.upstream_tls_files(u, env_upstream.as_ref())));
        let mode = match self.mode {
            ModeArg::Enforce => Mode::Enforce,
            ModeArg::Audit => Mode::Audit,
        };
        let isolation = self
            .isolate
            .then(|| problems.check(self.isolation()))
            .flatten();
        let loaded = problems.check(self.policy.load_digested());
        if mode == Mode::Audit && !self.policy.given() {
            problems.note(
                "--mode audit reports what a policy would deny: give --policy, \
                 --profile, --tecnativa-env or --policy-rego",
            );
        }
        let audit = self.audit.as_deref().map(|target| {
            let path = (target != "-").then(|| PathBuf::from(target));
            if path.is_none()
                && self.view.format == Format::Json
                && !self.view.quiet
                && self.view.output.is_none()
            {
                problems.note("--audit - and --format json would both write to standard output");
            }
            AuditOptions {
                path,
                fsync: self.audit_fsync,
                fail_open: self.audit_fail_open,
                max_size: self.audit_max_size,
                keep: self.audit_keep,
                format: match self.audit_format {
                    AuditFormatArg::Json => AuditFormat::Json,
                    AuditFormatArg::Ecs => AuditFormat::Ecs,
                },
            }
        });
        let ship = match self.ship() {
            Ok(ship) => Some(ship),
            Err(found) => {
                found.into_iter().for_each(|p| problems.note(p));
                None
            }
        };
        let view = problems.check(self.view.build(Output::Stdout));
        let ui = problems.check(self.ui.build()).flatten();
        // Each value is missing only with a problem noted, and any problem stops here.
        let (
            (Some(listen), Some(upstream), Some(tls), Some(upstream_tls)),
            (Some(loaded), Some(view), Some(ship)),
            true,
        ) = (
            (listen, upstream, tls, upstream_tls),
            (loaded, view, ship),
            problems.0.is_empty(),
        )
        else {
            return Err(problems.report());
        };
        let limits = Limits {
            max_head_bytes: self.max_head_bytes,
            head_timeout: self.head_timeout,
            drain_timeout: self.drain_timeout,
            max_inspected_body: self.max_body,
        };
        let (policy, rego, policy_digest) = (loaded.policy, loaded.rego, loaded.digest);
        let guard = (policy.is_some() || rego.is_some() || isolation.is_some()).then(|| {
            let guard = Guard::new(policy, rego, mode, limits.max_inspected_body);
            Arc::new(match &isolation {
                Some(iso) => guard.isolating(iso.clone()),
                None => guard,
            })
        });
        Ok(ProxyConfig {
            audit,
            audit_host: self.audit_host.clone(),
            ship,
            listen,
            tls,
            upstream,
            upstream_origin: env_upstream.map(|e| e.origin),
            upstream_tls,
            perms: SocketPerms {
                mode: self.socket_mode.unwrap_or(SocketPerms::default().mode),
                group: self.socket_group.as_deref().map(Group::parse),
            },
            limits,
            isolation,
            view,
            guard,
            metrics: self.metrics,
            socket_activated,
            policy_source: self.policy,
            policy_digest,
            announce: None,
            ui,
        })
    }
}

/// Whether relaying `listen` to `upstream` would reach sockeye itself: the same socket file,
/// or the same TCP port on an address the listener is bound to (`localhost` and loopback
/// addresses reach a loopback or every-address listener).
fn loops(listen: &ListenAddr, upstream: &UpstreamAddr) -> bool {
    let hostport = match (listen, upstream) {
        (ListenAddr::Unix(l), UpstreamAddr::Unix(u)) => return l == u,
        (ListenAddr::Tcp(_) | ListenAddr::Tls(_), UpstreamAddr::Tcp(h) | UpstreamAddr::Tls(h)) => h,
        _ => return false,
    };
    let (ListenAddr::Tcp(l) | ListenAddr::Tls(l)) = listen else {
        return false;
    };
    let Some((host, port)) = hostport.rsplit_once(':') else {
        return false;
    };
    if port.parse() != Ok(l.port()) {
        return false;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip == l.ip() || (l.ip().is_unspecified() && ip.is_loopback()),
        Err(_) => {
            host.eq_ignore_ascii_case("localhost")
                && (l.ip().is_loopback() || l.ip().is_unspecified())
        }
    }
}

/// The policy of a listener that names its own profile (`,profile=NAME`), in place of
/// --policy/--profile for its clients; `None` when it names none.
pub fn listener_policy(spec: &ListenSpec) -> Result<Option<Policy>, String> {
    let Some(name) = &spec.profile else {
        return Ok(None);
    };
    Policy::profile(name, &ProfileParams::default())
        .map(Some)
        .map_err(|e| {
            let e: Vec<String> = e.iter().map(ToString::to_string).collect();
            format!("--listen {},profile={name}: {}", spec.addr, e.join("; "))
        })
}

impl ProxyArgs {
    /// `--isolate-label` and `--isolate-share`, checked.
    fn isolation(&self) -> Result<Isolation, String> {
        let label = self.isolate_label.trim();
        if label.is_empty() || label.contains('=') || label.chars().any(char::is_whitespace) {
            return Err(format!(
                "--isolate-label {:?}: a label key has no '=' or spaces and is not empty",
                self.isolate_label
            ));
        }
        let mut shares = Vec::new();
        for share in &self.isolate_share {
            let (kind, pattern) = share.split_once('=').unwrap_or((share, ""));
            let kind = match kind {
                "container" => Owned::Container,
                "image" => Owned::Image,
                "volume" => Owned::Volume,
                "network" => Owned::Network,
                other => {
                    return Err(format!(
                        "--isolate-share {share:?}: {other:?} is not container, image, volume \
                         or network"
                    ))
                }
            };
            if pattern.is_empty() {
                return Err(format!(
                    "--isolate-share {share:?}: give KIND=PATTERN, e.g. image=sockeye-test/*"
                ));
            }
            shares.push((kind, Glob(pattern.to_owned())));
        }
        Ok(Isolation {
            label: label.to_owned(),
            shares,
        })
    }

    /// TLS files go with `tls://` listeners: required by one, refused without one (a
    /// `--tls-client-ca` that guards nothing would only look like protection).
    fn tls_files(&self, listen: &[ListenSpec]) -> Result<Option<tls::ServerFiles>, String> {
        let tls_listener = listen.iter().find(|l| matches!(l.addr, ListenAddr::Tls(_)));
        match (tls_listener, &self.tls_cert, &self.tls_key) {
            (Some(_), Some(cert), Some(key)) => Ok(Some(tls::ServerFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.tls_client_ca.clone(),
                crls: self.tls_crls.clone(),
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
        env: Option<&EnvUpstream>,
    ) -> Result<Option<tls::ClientFiles>, String> {
        let cert = self
            .upstream_tls_cert
            .clone()
            .zip(self.upstream_tls_key.clone());
        // A tls:// daemon from DOCKER_TLS_VERIFY: DOCKER_CERT_PATH's files, as the docker CLI
        // reads them (a missing cert.pem or key.pem means no client certificate).
        if let (Some((ca, c, k)), None, None) = (
            env.and_then(|e| e.tls.as_ref()),
            &self.upstream_tls_ca,
            &cert,
        ) {
            let cert = (c.exists() && k.exists()).then(|| (c.clone(), k.clone()));
            return Ok(Some(tls::ClientFiles {
                ca: ca.clone(),
                cert,
            }));
        }
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

mod ship;
#[cfg(test)]
mod tests;

pub use ship::ShipConfig;
