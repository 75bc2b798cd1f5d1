//! Typed configuration: what the command line means, checked once, testable without I/O.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where sockeye accepts clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    Unix(PathBuf),
    /// Plain TCP; only loopback addresses are accepted until TLS exists.
    Tcp(SocketAddr),
}

/// Where the Docker daemon is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpstreamAddr {
    Unix(PathBuf),
    /// `host:port`, resolved at each connect so a daemon that moves is followed.
    Tcp(String),
}

/// A `--listen`/`--upstream` value that could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddrError {
    #[error("{0:?}: expected unix:///absolute/or/relative/path or tcp://host:port")]
    Scheme(String),
    #[error("{0:?}: the socket path is empty")]
    EmptyPath(String),
    #[error("{0:?}: expected tcp://host:port with a numeric port")]
    TcpAddr(String),
    #[error(
        "{0:?}: plain TCP is only allowed on a loopback address: anyone who reaches the port \
         would be root on the Docker host"
    )]
    NotLoopback(String),
}

impl ListenAddr {
    pub fn parse(s: &str) -> Result<Self, AddrError> {
        match split_scheme(s)? {
            ("unix", path) => Ok(ListenAddr::Unix(unix_path(s, path)?)),
            ("tcp", hostport) => {
                let addr: SocketAddr = hostport
                    .parse()
                    .map_err(|_| AddrError::TcpAddr(s.to_string()))?;
                if !addr.ip().is_loopback() {
                    return Err(AddrError::NotLoopback(s.to_string()));
                }
                Ok(ListenAddr::Tcp(addr))
            }
            _ => Err(AddrError::Scheme(s.to_string())),
        }
    }
}

impl UpstreamAddr {
    pub fn parse(s: &str) -> Result<Self, AddrError> {
        match split_scheme(s)? {
            ("unix", path) => Ok(UpstreamAddr::Unix(unix_path(s, path)?)),
            ("tcp", hostport) => {
                let (host, port) = hostport
                    .rsplit_once(':')
                    .ok_or_else(|| AddrError::TcpAddr(s.to_string()))?;
                if host.is_empty() || port.parse::<u16>().is_err() {
                    return Err(AddrError::TcpAddr(s.to_string()));
                }
                Ok(UpstreamAddr::Tcp(
                    hostport.trim_end_matches('/').to_string(),
                ))
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
        }
    }
}

impl fmt::Display for UpstreamAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamAddr::Unix(p) => write!(f, "unix://{}", p.display()),
            UpstreamAddr::Tcp(a) => write!(f, "tcp://{a}"),
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
