//! `sockeye drop-in`: the image's default command, a stand-in for Tecnativa's and
//! linuxserver's docker-socket-proxy images. Their environment is the whole configuration:
//! the section variables are the policy (`guard::policy::tecnativa`), `SOCKET_PATH` the
//! daemon, `DISABLE_IPV6` the listener, `LOG_LEVEL` what is printed. Users swap the image
//! name in their compose file and change nothing else.
//!
//! Theirs listen on plain TCP on every address, and that is how everyone runs them: on a
//! container network, reachable by the containers on it. So this mode takes plain TCP on
//! any address without `--insecure-tcp`, and says once, at start, what it exposes and to
//! whom.

use clap::Parser;

use crate::cmd::args::{Cli, Command, DropInArgs};
use crate::cmd::checked::ProxyConfig;
use crate::guard::policy::Policy;

/// The port both images listen on.
pub const PORT: u16 = 2375;
/// Where `sockeye health --metrics` finds a drop-in (the image's HEALTHCHECK): loopback in
/// the container's own network namespace, so no other container reaches it.
pub const HEALTH: &str = "127.0.0.1:9100";

/// HAProxy's levels, as their images take them in `LOG_LEVEL`, and the tracing filter each
/// becomes. At debug and info every call is printed, as HAProxy logs every request at info.
const LEVELS: &[(&str, &str)] = &[
    ("debug", "sockeye=debug"),
    ("info", "sockeye=info"),
    ("notice", "sockeye=info"),
    ("warning", "sockeye=warn"),
    ("err", "sockeye=error"),
    ("crit", "sockeye=error"),
    ("alert", "sockeye=error"),
    ("emerg", "sockeye=error"),
];

/// The log filter for `LOG_LEVEL` (unset: info, their default).
pub fn log_filter(level: Option<&str>) -> Result<&'static str, String> {
    let level = level
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("info");
    LEVELS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(level))
        .map(|(_, filter)| *filter)
        .ok_or_else(|| {
            let names: Vec<&str> = LEVELS.iter().map(|(n, _)| *n).collect();
            format!("LOG_LEVEL={level:?}: expected one of {}", names.join(", "))
        })
}

/// Tecnativa's entrypoint reads 1, true or yes in any case; linuxserver's only 1.
fn ipv6_disabled(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("1" | "true" | "yes")
    )
}

/// The checked `proxy` configuration a drop-in runs with, from `env` (the process
/// environment, or a test's).
pub fn build(args: DropInArgs, env: &[(String, String)]) -> Result<ProxyConfig, String> {
    let var = |k: &str| {
        env.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let quiet = log_filter(var("LOG_LEVEL"))? != "sockeye=info"
        && log_filter(var("LOG_LEVEL"))? != "sockeye=debug";
    let (_, exposure) = Policy::from_socket_proxy_env(env.iter().cloned()).map_err(|errs| {
        errs.iter()
            .map(|e| format!("environment: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let socket = var("SOCKET_PATH")
        .filter(|s| !s.is_empty())
        .unwrap_or("/var/run/docker.sock");
    // Like theirs, both address families unless told otherwise; a kernel without IPv6
    // (booted with ipv6.disable=1) gets IPv4 rather than a failed start (Tecnativa #127).
    let v6 = !ipv6_disabled(var("DISABLE_IPV6")) && std::net::TcpListener::bind("[::]:0").is_ok();
    let listen = match v6 {
        true => format!("tcp://[::]:{PORT}"),
        false => format!("tcp://0.0.0.0:{PORT}"),
    };
    let given = |flag: &str| {
        args.proxy
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let mut argv: Vec<String> = ["sockeye", "proxy", "--tecnativa-env", "--insecure-tcp"]
        .map(String::from)
        .to_vec();
    argv.extend(["--upstream".into(), format!("unix://{socket}")]);
    if !given("--listen") && !crate::host::systemd::activated() {
        argv.extend(["--listen".into(), listen]);
    }
    if !given("--metrics") {
        argv.extend(["--metrics".into(), HEALTH.into()]);
    }
    if quiet && !given("--quiet") && !given("-q") {
        argv.push("--quiet".into());
    }
    argv.extend(args.proxy.iter().cloned());
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        let first = e.to_string();
        let first = first
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("error: ");
        format!("drop-in -- {}: {first}", args.proxy.join(" "))
    })?;
    let Command::Proxy(proxy) = cli.command else {
        unreachable!("parsed as proxy")
    };
    let mut cfg = proxy.build(None)?;
    let exposed: Vec<String> = cfg
        .listen
        .iter()
        .filter(|l| l.addr.is_exposed_plain_tcp())
        .map(|l| l.addr.to_string())
        .collect();
    let whom = match exposed.is_empty() {
        true => "its clients".to_owned(),
        false => format!(
            "every client that can reach {} (plain TCP, no authentication: the containers \
             on this container's networks, and whoever reaches a published port)",
            exposed.join(" and ")
        ),
    };
    cfg.announce = Some(format!(
        "drop-in for docker-socket-proxy ({} variables): {whom} may use {}",
        exposure.flavor.as_str(),
        exposure.describe()
    ));
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn no_arguments_listen_on_2375_everywhere_without_insecure_tcp() {
        let cfg = build(DropInArgs { proxy: vec![] }, &env(&[("CONTAINERS", "1")])).unwrap();
        assert_eq!(cfg.listen.len(), 1);
        assert!(cfg.listen[0].addr.is_exposed_plain_tcp());
        assert!(cfg.listen[0].addr.to_string().ends_with(":2375"));
        assert_eq!(cfg.upstream.to_string(), "unix:///var/run/docker.sock");
        assert_eq!(cfg.metrics.unwrap().to_string(), HEALTH);
        let said = cfg.announce.unwrap();
        assert!(said.contains("plain TCP, no authentication"), "{said}");
        assert!(
            said.contains("(tecnativa variables)")
                && said.contains("may use sections CONTAINERS, EVENTS, PING, VERSION; POST=0"),
            "{said}"
        );
    }

    #[test]
    fn their_variables_pick_the_socket_the_address_family_and_the_output() {
        let cfg = build(
            DropInArgs { proxy: vec![] },
            &env(&[
                ("SOCKET_PATH", "/run/user/1000/docker.sock"),
                ("DISABLE_IPV6", "True"),
                ("LOG_LEVEL", "warning"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.listen[0].addr.to_string(), "tcp://0.0.0.0:2375");
        assert_eq!(
            cfg.upstream.to_string(),
            "unix:///run/user/1000/docker.sock"
        );
        assert!(
            cfg.view.is_none(),
            "LOG_LEVEL=warning prints no line per call"
        );
    }

    #[test]
    fn proxy_options_after_the_double_dash_replace_the_defaults() {
        let cfg = build(
            DropInArgs {
                proxy: ["--listen", "unix:///tmp/x.sock", "--metrics", "127.0.0.1:0"]
                    .map(String::from)
                    .to_vec(),
            },
            &env(&[]),
        )
        .unwrap();
        assert_eq!(cfg.listen.len(), 1);
        assert_eq!(cfg.listen[0].addr.to_string(), "unix:///tmp/x.sock");
        assert_eq!(cfg.metrics.unwrap().port(), 0);
    }

    #[test]
    fn a_misspelt_value_or_log_level_stops_it_with_one_line_each() {
        let err = build(DropInArgs { proxy: vec![] }, &env(&[("POST", "true")])).unwrap_err();
        assert_eq!(err, "environment: POST: \"true\" is not 0 or 1");
        let err = build(
            DropInArgs { proxy: vec![] },
            &env(&[("LOG_LEVEL", "verbose")]),
        )
        .unwrap_err();
        assert!(
            err.starts_with("LOG_LEVEL=\"verbose\": expected one of debug"),
            "{err}"
        );
    }
}
