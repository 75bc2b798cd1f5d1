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
    #[error("{0:?}: expected tcp://host:port with a numeric port")]
    TcpAddr(String),
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
        let socket_addr = |hostport: &str| -> Result<SocketAddr, AddrError> {
            hostport
                .trim_end_matches('/')
                .parse()
                .map_err(|_| AddrError::TcpAddr(s.to_string()))
        };
        match split_scheme(s)? {
            ("unix", path) => Ok(ListenAddr::Unix(unix_path(s, path)?)),
            ("tcp", hostport) => {
                let addr = socket_addr(hostport)?;
                if !addr.ip().is_loopback() && !insecure_tcp {
                    return Err(AddrError::NotLoopback(s.to_string()));
                }
                Ok(ListenAddr::Tcp(addr))
            }
            ("tls", hostport) => Ok(ListenAddr::Tls(socket_addr(hostport)?)),
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
                let hostport = hostport.trim_end_matches('/');
                let (host, port) = hostport
                    .rsplit_once(':')
                    .ok_or_else(|| AddrError::TcpAddr(s.to_string()))?;
                if host.is_empty() || port.parse::<u16>().is_err() {
                    return Err(AddrError::TcpAddr(s.to_string()));
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

    /// The default upstream: `DOCKER_HOST` when it names a Unix socket (the docker CLI's own
    /// rule for where the daemon is), else the standard socket path.
    pub fn default_from_env(docker_host: Option<&str>) -> Self {
        docker_host
            .filter(|h| h.starts_with("unix://"))
            .and_then(|h| UpstreamAddr::parse(h).ok())
            .unwrap_or_else(|| UpstreamAddr::Unix(PathBuf::from("/var/run/docker.sock")))
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

    #[test]
    fn upstream_defaults_to_docker_host_only_when_it_is_a_unix_socket() {
        assert_eq!(
            UpstreamAddr::default_from_env(Some("unix:///run/dk/docker.sock")),
            UpstreamAddr::Unix("/run/dk/docker.sock".into())
        );
        assert_eq!(
            UpstreamAddr::default_from_env(Some("tcp://10.0.0.1:2375")),
            UpstreamAddr::Unix("/var/run/docker.sock".into())
        );
        assert_eq!(
            UpstreamAddr::default_from_env(None),
            UpstreamAddr::Unix("/var/run/docker.sock".into())
        );
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
