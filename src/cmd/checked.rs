//! The parsed command line ([`crate::cmd::args`]) built into checked values: a
//! [`ProxyConfig`] from [`ProxyArgs`], the view, the time range and `trace`'s exports and
//! upstream. Files and the environment are read in [`crate::cmd::load`].

use std::path::PathBuf;
use std::time::Duration;

use crate::cmd::args::{ModeArg, ProxyArgs, TimeArgs, TraceArgs, ViewArgs};
use crate::config::{Group, Limits, ListenAddr, ListenSpec, SocketPerms, UpstreamAddr};
use crate::guard::policy::Mode;
use crate::guard::Guard;
use crate::relay::tls;
use crate::remember::audit::AuditOptions;
use crate::see::view::{Format, ViewOptions};

impl TimeArgs {
    /// `(since, until)` in seconds since the epoch.
    pub fn parse(&self, now: f64) -> Result<(Option<f64>, Option<f64>), String> {
        let one = |flag: &str, v: &Option<String>| {
            v.as_deref()
                .map(|t| {
                    crate::remember::audit::query::parse_time(t, now)
                        .map_err(|e| format!("{flag} {e}"))
                })
                .transpose()
        };
        Ok((one("--since", &self.since)?, one("--until", &self.until)?))
    }
}

impl ViewArgs {
    /// `None` when nothing is to be shown.
    pub fn build(&self) -> Option<ViewOptions> {
        (!self.quiet)
            .then(|| ViewOptions::new(self.format, self.verbose, self.raw, self.body_limit))
    }
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
    use crate::cmd::args::{Cli, Command};
    use clap::Parser;

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
    use crate::cmd::args::{Cli, Command};
    use clap::Parser;

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
