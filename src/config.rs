//! Typed configuration: what the command line means, checked once, testable without I/O.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where sockeye accepts clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    Unix(PathBuf),
    /// Plain TCP: loopback only, unless `--insecure-tcp`.
    Tcp(SocketAddr),
    /// TCP with TLS (`--tls-cert`, `--tls-key`, and `--tls-client-ca` for client certificates).
    Tls(SocketAddr),
}

/// One `--listen` value: an address and the options given after it
/// (`tls://0.0.0.0:2376,profile=read-only`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenSpec {
    pub addr: ListenAddr,
    /// The policy profile for clients of this listener; `None`: the process-wide policy.
    pub profile: Option<String>,
}

/// Where the Docker daemon is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpstreamAddr {
    Unix(PathBuf),
    /// `host:port`, resolved at each connect so a daemon that moves is followed.
    Tcp(String),
    /// `host:port` over TLS (`--upstream-tls-ca`, and a client certificate if the daemon
    /// asks for one); `host` is also the name the daemon's certificate must carry.
    Tls(String),
}

/// A `--listen`/`--upstream` value that could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddrError {
    #[error(
        "{0:?}: expected unix:///absolute/or/relative/path, tcp://host:port or tls://host:port"
    )]
    Scheme(String),
    #[error("{0:?}: the socket path is empty")]
    EmptyPath(String),
    #[error("{0:?}: expected {1}://host:port with a numeric port")]
    TcpAddr(String, &'static str),
    /// A listener binds an address: a name (`localhost`) would have to be resolved to one,
    /// and which of its addresses (127.0.0.1 or ::1) was meant is a guess.
    #[error(
        "{0:?}: a listener takes {1}://IP:PORT, an IP address and a numeric port \
         ({1}://127.0.0.1:PORT for this host only, {1}://0.0.0.0:PORT or {1}://[::]:PORT for \
         every address); a host name is not resolved"
    )]
    ListenIp(String, &'static str),
    #[error(
        "{0:?}: plain TCP is only allowed on a loopback address: anyone who reaches the port \
         would be root on the Docker host. Use tls://… with --tls-client-ca, or accept the \
         risk with --insecure-tcp"
    )]
    NotLoopback(String),
    #[error("{0:?}: listener option {1:?} not understood (known: profile=NAME, once)")]
    Option(String, String),
}

impl ListenSpec {
    /// `ADDR[,profile=NAME]`. Options are taken from the end only while they look like a
    /// known `key=value`, so a socket path may still contain a comma.
    pub fn parse(s: &str, insecure_tcp: bool) -> Result<Self, AddrError> {
        let mut addr = s;
        let mut profile = None;
        while let Some((rest, option)) = addr.rsplit_once(',') {
            let bad = || AddrError::Option(s.to_string(), option.to_string());
            match option.split_once('=') {
                Some(("profile", name)) => {
                    if name.is_empty() || profile.is_some() {
                        return Err(bad());
                    }
                    profile = Some(name.to_string());
                }
                Some((key, _))
                    if !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
                {
                    return Err(bad());
                }
                _ => break,
            }
            addr = rest;
        }
        Ok(ListenSpec {
            addr: ListenAddr::parse_with(addr, insecure_tcp)?,
            profile,
        })
    }
}

impl ListenAddr {
    /// Secure by default: plain TCP only on loopback.
    pub fn parse(s: &str) -> Result<Self, AddrError> {
        Self::parse_with(s, false)
    }

    /// `insecure_tcp` (`--insecure-tcp`) also allows plain TCP on other addresses.
    pub fn parse_with(s: &str, insecure_tcp: bool) -> Result<Self, AddrError> {
        let socket_addr = |scheme: &'static str, hostport: &str| -> Result<SocketAddr, AddrError> {
            hostport
                .trim_end_matches('/')
                .parse()
                .map_err(|_| AddrError::ListenIp(s.to_string(), scheme))
        };
        match split_scheme(s)? {
            ("unix", path) => Ok(ListenAddr::Unix(unix_path(s, path)?)),
            ("tcp", hostport) => {
                let addr = socket_addr("tcp", hostport)?;
                if !addr.ip().is_loopback() && !insecure_tcp {
                    return Err(AddrError::NotLoopback(s.to_string()));
                }
                Ok(ListenAddr::Tcp(addr))
            }
            ("tls", hostport) => Ok(ListenAddr::Tls(socket_addr("tls", hostport)?)),
            _ => Err(AddrError::Scheme(s.to_string())),
        }
    }

    /// Plain TCP that more than this host can reach.
    pub fn is_exposed_plain_tcp(&self) -> bool {
        matches!(self, ListenAddr::Tcp(a) if !a.ip().is_loopback())
    }
}

impl UpstreamAddr {
    pub fn parse(s: &str) -> Result<Self, AddrError> {
        match split_scheme(s)? {
            ("unix", path) => Ok(UpstreamAddr::Unix(unix_path(s, path)?)),
            (scheme @ ("tcp" | "tls"), hostport) => {
                let scheme = if scheme == "tls" { "tls" } else { "tcp" };
                let hostport = hostport.trim_end_matches('/');
                let (host, port) = hostport
                    .rsplit_once(':')
                    .ok_or_else(|| AddrError::TcpAddr(s.to_string(), scheme))?;
                if host.is_empty() || port.parse::<u16>().is_err() {
                    return Err(AddrError::TcpAddr(s.to_string(), scheme));
                }
                Ok(if scheme == "tls" {
                    UpstreamAddr::Tls(hostport.to_string())
                } else {
                    UpstreamAddr::Tcp(hostport.to_string())
                })
            }
            _ => Err(AddrError::Scheme(s.to_string())),
        }
    }

    /// The default upstream when the environment names no daemon.
    pub fn standard() -> Self {
        UpstreamAddr::Unix(PathBuf::from("/var/run/docker.sock"))
    }
}

/// What the docker CLI reads to find the daemon, and so what sockeye's default upstream
/// follows: `DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH` (and `DOCKER_TLS`, only to
/// refuse it: sockeye always verifies a daemon's certificate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DockerEnv {
    pub host: Option<String>,
    pub tls_verify: bool,
    /// `DOCKER_TLS`: TLS without verifying the daemon.
    pub tls_unverified: bool,
    pub cert_path: Option<PathBuf>,
    /// `$HOME`, for the CLI's default certificate directory `~/.docker`.
    pub home: Option<PathBuf>,
}

/// The daemon the environment names, with the files of a `tls://` one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvUpstream {
    pub addr: UpstreamAddr,
    /// `DOCKER_CERT_PATH/ca.pem`, and `cert.pem`/`key.pem`, for a `DOCKER_TLS_VERIFY` daemon.
    pub tls: Option<(PathBuf, PathBuf, PathBuf)>,
    /// Said in errors and the startup line: `DOCKER_HOST=tcp://…`, or the standard socket.
    pub origin: String,
}

impl From<Option<&str>> for DockerEnv {
    fn from(host: Option<&str>) -> Self {
        DockerEnv {
            host: host.map(str::to_owned),
            ..DockerEnv::default()
        }
    }
}

impl DockerEnv {
    /// From the variables of `vars` (the process environment, or a test's).
    pub fn from_vars<K: AsRef<str>, V: AsRef<str>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut env = DockerEnv::default();
        for (k, v) in vars {
            let (k, v) = (k.as_ref(), v.as_ref());
            // The docker CLI treats an empty variable as unset.
            if v.is_empty() {
                continue;
            }
            match k {
                "DOCKER_HOST" => env.host = Some(v.to_owned()),
                "DOCKER_TLS_VERIFY" => env.tls_verify = true,
                "DOCKER_TLS" => env.tls_unverified = true,
                "DOCKER_CERT_PATH" => env.cert_path = Some(v.into()),
                "HOME" => env.home = Some(v.into()),
                _ => {}
            }
        }
        env
    }

    /// The daemon the docker CLI would talk to in this environment: `DOCKER_HOST` as it
    /// reads it (`tcp://` becomes TLS with `DOCKER_TLS_VERIFY`, a missing port is 2375, or
    /// 2376 with TLS), else `/var/run/docker.sock`. What sockeye cannot relay to is an error,
    /// never a silent fall back to another daemon.
    pub fn upstream(&self) -> Result<EnvUpstream, String> {
        let Some(host) = &self.host else {
            return Ok(EnvUpstream {
                addr: UpstreamAddr::standard(),
                tls: None,
                origin: "the standard socket".into(),
            });
        };
        let origin = format!("DOCKER_HOST={host}");
        let unusable = |why: &str| format!("{origin}: {why}; give --upstream ADDR");
        let (addr, tls) = match host.split_once("://") {
            Some(("unix", _)) => (
                UpstreamAddr::parse(host).map_err(|e| unusable(&e.to_string()))?,
                None,
            ),
            Some(("tcp", rest)) => {
                let rest = rest.trim_end_matches('/');
                if self.tls_unverified && !self.tls_verify {
                    return Err(unusable(
                        "DOCKER_TLS without DOCKER_TLS_VERIFY trusts any certificate, and \
                         sockeye always verifies the daemon's (set DOCKER_TLS_VERIFY=1)",
                    ));
                }
                let tls = self.tls_verify;
                let hostport = match rest.rsplit_once(':') {
                    Some((_, port)) if !rest.ends_with(']') && port.parse::<u16>().is_ok() => {
                        rest.to_owned()
                    }
                    _ => format!("{rest}:{}", if tls { 2376 } else { 2375 }),
                };
                let scheme = if tls { "tls" } else { "tcp" };
                let addr = UpstreamAddr::parse(&format!("{scheme}://{hostport}"))
                    .map_err(|e| unusable(&e.to_string()))?;
                let files = match tls {
                    false => None,
                    true => {
                        let dir = self
                            .cert_path
                            .clone()
                            .or_else(|| self.home.as_ref().map(|h| h.join(".docker")))
                            .ok_or_else(|| unusable("DOCKER_TLS_VERIFY needs DOCKER_CERT_PATH"))?;
                        Some((
                            dir.join("ca.pem"),
                            dir.join("cert.pem"),
                            dir.join("key.pem"),
                        ))
                    }
                };
                (addr, files)
            }
            _ => {
                return Err(unusable(
                    "sockeye relays to unix://, tcp:// (DOCKER_TLS_VERIFY for TLS) daemons",
                ))
            }
        };
        Ok(EnvUpstream { addr, tls, origin })
    }
}

fn split_scheme(s: &str) -> Result<(&str, &str), AddrError> {
    s.split_once("://")
        .ok_or_else(|| AddrError::Scheme(s.to_string()))
}

fn unix_path(whole: &str, path: &str) -> Result<PathBuf, AddrError> {
    if path.is_empty() {
        return Err(AddrError::EmptyPath(whole.to_string()));
    }
    Ok(PathBuf::from(path))
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Unix(p) => write!(f, "unix://{}", p.display()),
            ListenAddr::Tcp(a) => write!(f, "tcp://{a}"),
            ListenAddr::Tls(a) => write!(f, "tls://{a}"),
        }
    }
}

impl fmt::Display for UpstreamAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamAddr::Unix(p) => write!(f, "unix://{}", p.display()),
            UpstreamAddr::Tcp(a) => write!(f, "tcp://{a}"),
            UpstreamAddr::Tls(a) => write!(f, "tls://{a}"),
        }
    }
}

/// Who may connect to a Unix listening socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketPerms {
    /// Permission bits of the socket file (default 0660: owner and group, like docker.sock).
    pub mode: u32,
    /// Group that owns the socket file; `None` keeps the creating user's group.
    pub group: Option<Group>,
}

impl Default for SocketPerms {
    fn default() -> Self {
        SocketPerms {
            mode: 0o660,
            group: None,
        }
    }
}

/// A group given by name or by number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Group {
    Name(String),
    Id(u32),
}

impl Group {
    pub fn parse(s: &str) -> Self {
        match s.parse::<u32>() {
            Ok(gid) => Group::Id(gid),
            Err(_) => Group::Name(s.to_string()),
        }
    }
}

/// Parse an octal file mode such as `660`, `0660` or `0o660`.
pub fn parse_mode(s: &str) -> Result<u32, String> {
    let digits = s.strip_prefix("0o").unwrap_or(s);
    let mode = u32::from_str_radix(digits, 8)
        .map_err(|_| format!("{s:?}: expected an octal mode such as 0660"))?;
    if mode > 0o777 {
        return Err(format!("{s:?}: a socket mode has at most the bits 0777"));
    }
    Ok(mode)
}

/// Limits that protect sockeye (and the daemon behind it) from misbehaving clients.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request head (request line + headers) accepted.
    pub max_head_bytes: usize,
    /// Time a client has to deliver a request head, also the idle limit between requests
    /// on a keep-alive connection (slowloris protection).
    pub head_timeout: Duration,
    /// Largest body sockeye reads whole when it must look inside one.
    pub max_inspected_body: usize,
    /// How long open requests may finish after SIGINT/SIGTERM.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 64 * 1024,
            head_timeout: Duration::from_secs(60),
            max_inspected_body: 1024 * 1024,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_upstream(vars: &[(&str, &str)]) -> Result<EnvUpstream, String> {
        DockerEnv::from_vars(vars.iter().copied()).upstream()
    }

    #[test]
    fn upstream_defaults_to_docker_host_as_the_docker_cli_reads_it() {
        let up = |vars: &[(&str, &str)]| env_upstream(vars).unwrap().addr;
        assert_eq!(
            up(&[("DOCKER_HOST", "unix:///run/dk/docker.sock")]),
            UpstreamAddr::Unix("/run/dk/docker.sock".into())
        );
        // Not silently /var/run/docker.sock: the daemon the CLI would use.
        assert_eq!(
            up(&[("DOCKER_HOST", "tcp://10.0.0.1:2375")]),
            UpstreamAddr::Tcp("10.0.0.1:2375".into())
        );
        assert_eq!(
            up(&[("DOCKER_HOST", "tcp://docker.example")]),
            UpstreamAddr::Tcp("docker.example:2375".into())
        );
        assert_eq!(up(&[]), UpstreamAddr::Unix("/var/run/docker.sock".into()));
        assert_eq!(
            up(&[("DOCKER_HOST", "")]),
            UpstreamAddr::Unix("/var/run/docker.sock".into())
        );
    }

    #[test]
    fn docker_tls_verify_makes_the_default_upstream_tls_with_the_cli_certificates() {
        let got = env_upstream(&[
            ("DOCKER_HOST", "tcp://docker.example:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ])
        .unwrap();
        assert_eq!(got.addr, UpstreamAddr::Tls("docker.example:2376".into()));
        assert_eq!(
            got.tls,
            Some((
                "/certs/ca.pem".into(),
                "/certs/cert.pem".into(),
                "/certs/key.pem".into()
            ))
        );
        let home = env_upstream(&[
            ("DOCKER_HOST", "tcp://d"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("HOME", "/home/a"),
        ])
        .unwrap();
        assert_eq!(home.addr, UpstreamAddr::Tls("d:2376".into()));
        assert_eq!(home.tls.unwrap().0, PathBuf::from("/home/a/.docker/ca.pem"));
    }

    #[test]
    fn a_docker_host_sockeye_cannot_relay_to_is_an_error_not_another_daemon() {
        for vars in [
            &[("DOCKER_HOST", "ssh://me@host")][..],
            &[("DOCKER_HOST", "tcp://d:2376"), ("DOCKER_TLS", "1")][..],
        ] {
            let err = env_upstream(vars).unwrap_err();
            assert!(err.starts_with("DOCKER_HOST="), "{err}");
            assert!(err.contains("--upstream"), "{err}");
        }
    }

    #[test]
    fn tcp_upstream_needs_host_and_port() {
        assert_eq!(
            UpstreamAddr::parse("tcp://127.0.0.1:2375"),
            Ok(UpstreamAddr::Tcp("127.0.0.1:2375".into()))
        );
        assert!(UpstreamAddr::parse("tcp://127.0.0.1").is_err());
        assert!(UpstreamAddr::parse("http://x").is_err());
    }

    #[test]
    fn plain_tcp_listener_refuses_non_loopback_addresses() {
        assert!(ListenAddr::parse("tcp://127.0.0.1:2375").is_ok());
        assert_eq!(
            ListenAddr::parse("tcp://0.0.0.0:2375"),
            Err(AddrError::NotLoopback("tcp://0.0.0.0:2375".into()))
        );
    }

    #[test]
    fn insecure_tcp_opens_plain_tcp_to_every_address_but_tls_needs_no_flag() {
        let spec = ListenSpec::parse("tcp://0.0.0.0:2375", true).unwrap();
        assert!(spec.addr.is_exposed_plain_tcp());
        assert_eq!(
            ListenSpec::parse("tls://0.0.0.0:2376", false).unwrap().addr,
            ListenAddr::Tls("0.0.0.0:2376".parse().unwrap())
        );
        assert!(!ListenAddr::Tcp("127.0.0.1:1".parse().unwrap()).is_exposed_plain_tcp());
    }

    #[test]
    fn a_listener_may_name_its_profile() {
        let spec = ListenSpec::parse("tls://[::]:2376,profile=read-only", false).unwrap();
        assert_eq!(spec.addr, ListenAddr::Tls("[::]:2376".parse().unwrap()));
        assert_eq!(spec.profile.as_deref(), Some("read-only"));
        let spec = ListenSpec::parse("unix:///run/a,b.sock,profile=full", false).unwrap();
        assert_eq!(spec.addr, ListenAddr::Unix("/run/a,b.sock".into()));
        assert_eq!(spec.profile.as_deref(), Some("full"));
        assert_eq!(
            ListenSpec::parse("unix:///x.sock", false).unwrap().profile,
            None
        );
        assert!(matches!(
            ListenSpec::parse("tls://127.0.0.1:1,proflie=x", false),
            Err(AddrError::Option(_, o)) if o == "proflie=x"
        ));
        assert!(ListenSpec::parse("tls://127.0.0.1:1,profile=", false).is_err());
    }

    #[test]
    fn tls_upstream_is_host_and_port() {
        assert_eq!(
            UpstreamAddr::parse("tls://docker.example:2376/"),
            Ok(UpstreamAddr::Tls("docker.example:2376".into()))
        );
        assert!(UpstreamAddr::parse("tls://:2376").is_err());
    }

    #[test]
    fn relative_unix_paths_are_kept_as_given() {
        assert_eq!(
            ListenAddr::parse("unix://./sockeye.sock"),
            Ok(ListenAddr::Unix("./sockeye.sock".into()))
        );
        assert!(ListenAddr::parse("unix://").is_err());
    }

    #[test]
    fn socket_modes_are_octal() {
        assert_eq!(parse_mode("0660"), Ok(0o660));
        assert_eq!(parse_mode("0o600"), Ok(0o600));
        assert!(parse_mode("999").is_err());
        assert!(parse_mode("7777").is_err());
    }
}
