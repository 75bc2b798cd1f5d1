//! `sockeye health`, the client a container `HEALTHCHECK` runs: asks a metrics listener's
//! `/healthz`, or `/_ping` through sockeye's own socket.

use tokio::net::{TcpStream, UnixStream};

use crate::cmd::args::HealthArgs;
use crate::config::ListenAddr;
use crate::relay::health::{ask, get, one_line};
use http::Method;

/// `sockeye health`: 0 when healthy, 1 when not (what a Docker HEALTHCHECK expects; it
/// reserves 2). Prints one line saying why.
pub fn run(args: &HealthArgs) -> Result<i32, String> {
    let timeout = args.timeout;
    let target = Target::parse(args)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let result = rt.block_on(async {
        match tokio::time::timeout(timeout, target.ask()).await {
            Ok(r) => r,
            Err(_) => Err(format!("{target} did not answer within {timeout:?}")),
        }
    });
    Ok(match result {
        Ok(said) => {
            println!("healthy: {said}");
            0
        }
        Err(why) => {
            println!("unhealthy: {why}");
            1
        }
    })
}

/// The options checked, as [`run`] checks them, without asking anyone.
pub fn check(args: &HealthArgs) -> Result<(), String> {
    Target::parse(args).map(drop)
}

/// Whom `sockeye health` asks.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// A metrics listener's `/healthz`.
    Metrics(String),
    /// sockeye's own client socket: `/_ping` through it.
    Listen(ListenAddr),
}

impl Target {
    fn parse(args: &HealthArgs) -> Result<Target, String> {
        match (&args.metrics, &args.listen) {
            (Some(m), None) => {
                let hostport = m.strip_prefix("http://").unwrap_or(m).trim_end_matches('/');
                if hostport
                    .rsplit_once(':')
                    .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
                {
                    return Err(format!("--metrics {m:?}: expected HOST:PORT"));
                }
                Ok(Target::Metrics(hostport.to_string()))
            }
            (None, Some(l)) => ListenAddr::parse(l)
                .map(Target::Listen)
                .map_err(|e| format!("--listen {e}")),
            _ => Err("give --metrics HOST:PORT or --listen ADDR".into()),
        }
    }

    /// What the healthy answer said, or why it is not healthy.
    async fn ask(&self) -> Result<String, String> {
        match self {
            Target::Metrics(hostport) => self.healthz(hostport).await,
            Target::Listen(listen) => self.ping_listener(listen).await,
        }
    }

    async fn healthz(&self, hostport: &str) -> Result<String, String> {
        let s = TcpStream::connect(hostport)
            .await
            .map_err(|e| format!("cannot connect to {self}: {e}"))?;
        let (status, body) = get(s, "/healthz")
            .await
            .map_err(|e| format!("{self}: {e}"))?;
        match status {
            200 => Ok(format!("{self}: {}", one_line(&body))),
            _ => Err(format!("{self} answered {status}: {}", one_line(&body))),
        }
    }

    async fn ping_listener(&self, listen: &ListenAddr) -> Result<String, String> {
        // `GET /_ping`, and when a policy denies that (403), `HEAD /_ping`, the docker CLI's
        // own ping: a policy that lets clients ping either way lets the health check pass
        // (a policy learned from the CLI allows what the CLI sent).
        let (status, body) = self.ping(listen, Method::GET).await?;
        if status == 200 {
            return Ok(format!("{self}: {}", one_line(&body)));
        }
        if status == 403 {
            let (head, _) = self.ping(listen, Method::HEAD).await?;
            if head == 200 {
                return Ok(format!(
                    "{} /_ping (HEAD, as the docker CLI pings; GET is denied): 200",
                    listen
                ));
            }
        }
        Err(format!("{self} answered {status}: {}", one_line(&body)))
    }

    async fn ping(&self, listen: &ListenAddr, method: Method) -> Result<(u16, String), String> {
        match listen {
            ListenAddr::Unix(path) => {
                let s = UnixStream::connect(path)
                    .await
                    .map_err(|e| format!("cannot connect to {self}: {e}"))?;
                ask(s, method, "/_ping").await
            }
            ListenAddr::Tls(addr) => Err(format!(
                "ask a tls:// listener through --metrics instead ({addr})"
            )),
            ListenAddr::Tcp(addr) => {
                let s = TcpStream::connect(addr)
                    .await
                    .map_err(|e| format!("cannot connect to {self}: {e}"))?;
                ask(s, method, "/_ping").await
            }
        }
        .map_err(|e| format!("{self}: {e}"))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Metrics(hostport) => write!(f, "http://{hostport}/healthz"),
            Target::Listen(addr) => write!(f, "{addr} /_ping"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::UpstreamAddr;
    use crate::relay::health::{ping, Health, PING_TIMEOUT};

    fn args(metrics: Option<&str>, listen: Option<&str>) -> HealthArgs {
        HealthArgs {
            metrics: metrics.map(Into::into),
            listen: listen.map(Into::into),
            timeout: std::time::Duration::from_secs(5),
        }
    }

    #[test]
    fn a_target_is_a_metrics_listener_or_sockeyes_own_socket() {
        assert_eq!(
            Target::parse(&args(Some("127.0.0.1:9100"), None)),
            Ok(Target::Metrics("127.0.0.1:9100".into()))
        );
        assert_eq!(
            Target::parse(&args(Some("http://localhost:9100/"), None)),
            Ok(Target::Metrics("localhost:9100".into()))
        );
        assert!(Target::parse(&args(Some("9100"), None)).is_err());
        assert_eq!(
            Target::parse(&args(None, Some("unix:///run/sockeye.sock"))),
            Ok(Target::Listen(ListenAddr::Unix("/run/sockeye.sock".into())))
        );
        assert!(Target::parse(&args(None, None)).is_err());
    }

    #[tokio::test]
    async fn nothing_listening_is_unhealthy_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone.sock");
        let err = ping(&UpstreamAddr::Unix(gone.clone()), None, PING_TIMEOUT)
            .await
            .unwrap_err();
        assert!(err.contains(&gone.display().to_string()), "{err}");
        let health = Health {
            upstream: UpstreamAddr::Unix(gone),
            upstream_tls: None,
            audit: None,
            ship: Vec::new(),
        };
        let failing = health.check().await.unwrap_err();
        assert_eq!(failing.len(), 1);
        assert!(
            failing[0].starts_with("daemon: cannot connect"),
            "{failing:?}"
        );
    }
}
