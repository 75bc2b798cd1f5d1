//! `--metrics`: the exposition parses as OpenMetrics/Prometheus text, its counts are exactly
//! the calls made (raw requests with known answers, then docker CLI commands checked against
//! the audit log, which records every call), `/healthz` and `sockeye health` tell a working
//! daemon from a missing one.
//!
//! The first test needs a Docker daemon (see `common`); the missing-daemon test needs none.

mod common;

use common::{docker_at as docker, output_text as text};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

// ---------------------------------------------------------------------------------------------
// A strict reader of the OpenMetrics text format (the subset a parser must accept)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

#[derive(Debug, Default)]
struct Exposition {
    /// Family name → type.
    types: HashMap<String, String>,
    samples: Vec<Sample>,
}

impl Exposition {
    /// Every sample named `name` whose labels include all of `labels`, summed.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|s| s.value).sum()
    }

    /// The one sample named `name` with exactly `labels`; `None` when absent.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let found: Vec<_> = self
            .samples
            .iter()
            .filter(|s| s.name == name && s.labels == want)
            .collect();
        assert!(found.len() <= 1, "{name} {want:?} appears twice");
        found.first().map(|s| s.value)
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => s.parse().map_err(|_| format!("bad value {s:?}")),
    }
}

/// `{a="x",b="y\"z"}` → labels and what follows the closing brace.
fn parse_labels(s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let mut rest = s.strip_prefix('{').ok_or("no {")?;
    if let Some(after) = rest.strip_prefix('}') {
        return Ok((labels, after));
    }
    loop {
        let (key, after) = rest.split_once("=\"").ok_or("label without =\"")?;
        if !is_name(key) || key.starts_with("__") {
            return Err(format!("bad label name {key:?}"));
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err("unterminated label value".into()),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?}")),
                },
                Some((_, '\n')) => return Err("newline in a label value".into()),
                Some((_, c)) => value.push(c),
            }
        };
        if labels.insert(key.to_string(), value).is_some() {
            return Err(format!("label {key} twice"));
        }
        rest = &after[end + 1..];
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        rest = rest.strip_prefix(',').ok_or("labels not separated by ,")?;
    }
}

/// Parse and check: metadata before samples, each family once and its samples together
/// under it with the suffixes its type allows, `# EOF` last, histograms cumulative with
/// `+Inf` equal to `_count`.
fn parse(text: &str) -> Result<Exposition, String> {
    let body = text
        .strip_suffix("# EOF\n")
        .ok_or("does not end with # EOF")?;
    let mut exp = Exposition::default();
    let mut current: Option<(String, String)> = None;
    let mut seen_families = HashSet::new();
    for (n, line) in body.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if let Some(meta) = line.strip_prefix("# ") {
            let mut parts = meta.splitn(3, ' ');
            let (kind, name, rest) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next(),
            );
            if !is_name(name) {
                return Err(at(format!("bad family name {name:?}")));
            }
            match kind {
                "HELP" => {
                    if current.as_ref().is_some_and(|(f, _)| f == name) {
                        return Err(at("HELP after the family's TYPE".into()));
                    }
                }
                "TYPE" => {
                    let t = rest.ok_or_else(|| at("TYPE without a type".into()))?;
                    if ![
                        "counter",
                        "gauge",
                        "histogram",
                        "gaugehistogram",
                        "summary",
                        "info",
                        "stateset",
                        "unknown",
                    ]
                    .contains(&t)
                    {
                        return Err(at(format!("unknown type {t:?}")));
                    }
                    if !seen_families.insert(name.to_string()) {
                        return Err(at(format!("family {name} described twice")));
                    }
                    exp.types.insert(name.to_string(), t.to_string());
                    current = Some((name.to_string(), t.to_string()));
                }
                "UNIT" => {
                    let unit = rest.ok_or_else(|| at("UNIT without a unit".into()))?;
                    if !name.ends_with(&format!("_{unit}")) {
                        return Err(at("the unit must end the family name".into()));
                    }
                }
                _ => return Err(at(format!("unknown metadata {kind:?}"))),
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).ok_or_else(|| at("no value".into()))?;
        let name = &line[..name_end];
        if !is_name(name) {
            return Err(at(format!("bad metric name {name:?}")));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..]).map_err(at)?
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let fields: Vec<&str> = rest
            .strip_prefix(' ')
            .ok_or_else(|| at("no space before the value".into()))?
            .split(' ')
            .collect();
        let value = match fields.as_slice() {
            [v] | [v, _] => parse_value(v).map_err(at)?,
            _ => return Err(at("expected a value and at most a timestamp".into())),
        };
        let (family, t) = current
            .as_ref()
            .ok_or_else(|| at("a sample before any TYPE".into()))?;
        let suffixes: &[&str] = match t.as_str() {
            "counter" => &["_total", "_created"],
            "histogram" => &["_bucket", "_sum", "_count", "_created"],
            "info" => &["_info"],
            _ => &[""],
        };
        if !suffixes.iter().any(|s| name == format!("{family}{s}")) {
            return Err(at(format!("not a sample of the {t} family {family}")));
        }
        if t == "counter" && name.ends_with("_total") && (value.is_nan() || value < 0.0) {
            return Err(at("a negative counter".into()));
        }
        exp.samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    check_histograms(&exp)?;
    Ok(exp)
}

/// A series' labels, in order.
type Labels = Vec<(String, String)>;

fn check_histograms(exp: &Exposition) -> Result<(), String> {
    for (family, t) in &exp.types {
        if t != "histogram" {
            continue;
        }
        // Group the buckets by their labels other than `le`.
        let mut series: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
        for s in exp
            .samples
            .iter()
            .filter(|s| s.name == format!("{family}_bucket"))
        {
            let le = parse_value(s.labels.get("le").ok_or("a bucket without le")?)?;
            let key = s
                .labels
                .iter()
                .filter(|(k, _)| *k != "le")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            series.entry(key).or_default().push((le, s.value));
        }
        for (key, buckets) in series {
            let mut last = (f64::NEG_INFINITY, 0.0);
            for &(le, v) in &buckets {
                if le <= last.0 || v < last.1 {
                    return Err(format!("{family} {key:?}: buckets not cumulative"));
                }
                last = (le, v);
            }
            if last.0 != f64::INFINITY {
                return Err(format!("{family} {key:?}: no +Inf bucket"));
            }
            let labels: Vec<(&str, &str)> =
                key.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let count = exp
                .get(&format!("{family}_count"), &labels)
                .ok_or_else(|| format!("{family} {key:?}: no _count"))?;
            if count != last.1 {
                return Err(format!(
                    "{family} {key:?}: +Inf {} != _count {count}",
                    last.1
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn the_reader_rejects_what_is_not_openmetrics_text() {
    // A counter family's samples are `<family>_total`: `a_total` is no sample of `a_total`.
    assert!(parse("# TYPE a_total counter\na_total 3\n# EOF\n").is_err());
    let ok = "# HELP a x.\n# TYPE a counter\na_total{x=\"1\\\"\"} 3\n# EOF\n";
    assert_eq!(
        parse(ok).unwrap().get("a_total", &[("x", "1\"")]),
        Some(3.0)
    );
    for bad in [
        "# TYPE a counter\na_total 3\n",
        "# TYPE a counter\nb_total 3\n# EOF\n",
        "# TYPE a counter\na_total{x=1} 3\n# EOF\n",
        "# TYPE a counter\na_total three\n# EOF\n",
        "# TYPE a gauge\na 1\n# TYPE a gauge\na 2\n# EOF\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n# EOF\n",
    ] {
        assert!(parse(bad).is_err(), "accepted {bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Talking to sockeye
// ---------------------------------------------------------------------------------------------

/// One HTTP/1.0 exchange: status line code and body.
fn exchange(mut s: impl Read + Write, request: &[u8]) -> (u16, String, String) {
    s.write_all(request).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    (status, head.to_string(), body.to_string())
}

fn http_get(addr: &str, path: &str) -> (u16, String, String) {
    let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    exchange(
        s,
        format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes(),
    )
}

fn raw(socket: &Path, request: &str) -> (u16, String) {
    let s = UnixStream::connect(socket).expect("connect to sockeye");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let (status, _, body) = exchange(s, request.as_bytes());
    (status, body)
}

fn scrape(addr: &str) -> Exposition {
    let (status, head, body) = http_get(addr, "/metrics");
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    parse(&body).unwrap_or_else(|e| panic!("/metrics is not OpenMetrics text: {e}\n{body}"))
}

/// The metrics address sockeye logged at startup (it was asked for port 0).
fn metrics_addr(s: &Sockeye) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = s.log();
        if let Some(rest) = log.split("metrics on http://").nth(1) {
            return rest.split('/').next().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no metrics address logged:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Retry `check` until it passes: a call is counted before its client sees the end of the
/// answer, but a connection closes (and the audit record and the counters are written, one
/// after the other) on sockeye's time.
fn eventually(what: &str, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match check() {
            Ok(()) => return,
            Err(e) if Instant::now() > deadline => panic!("{what}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn sockeye_health(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .arg("health")
        .args(args)
        .output()
        .expect("run sockeye health")
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[test]
fn metrics_count_exactly_the_calls_made() {
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.log");
    let audit_arg = audit.display().to_string();
    let s = Sockeye::start_with(
        &d.socket,
        &[
            "--profile",
            "no-escape",
            "--metrics",
            "127.0.0.1:0",
            "--audit",
            &audit_arg,
        ],
    );
    let addr = metrics_addr(&s);

    // The harness's own probe connected once before, and sockeye counts a connection on its
    // own task: count from when that one is counted and closed.
    eventually("the harness's probe is counted", || {
        let m = scrape(&addr);
        match (
            m.get("sockeye_connections_total", &[]),
            m.get("sockeye_connections_open", &[]),
        ) {
            (Some(total), Some(open)) if total >= 1.0 && open == 0.0 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    let before = scrape(&addr);
    assert_eq!(before.sum("sockeye_calls_total", &[]), 0.0);
    let conns_before = before.get("sockeye_connections_total", &[]).unwrap();
    assert_eq!(before.get("sockeye_audit_writable", &[]), Some(1.0));
    assert_eq!(
        before.get(
            "sockeye_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );

    // Raw requests, one connection each, with answers known in advance.
    for _ in 0..3 {
        assert_eq!(
            raw(&s.socket, "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"),
            (200, "OK".to_string())
        );
    }
    let (status, _) = raw(
        &s.socket,
        "GET /v1.41/containers/json HTTP/1.0\r\nHost: docker\r\n\r\n",
    );
    assert_eq!(status, 200);
    let privileged = format!(r#"{{"Image":"{IMAGE}","HostConfig":{{"Privileged":true}}}}"#);
    let (status, body) = raw(
        &s.socket,
        &format!(
            "POST /v1.41/containers/create HTTP/1.0\r\nHost: docker\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{privileged}",
            privileged.len()
        ),
    );
    assert_eq!(status, 403, "{body}");

    eventually("the raw calls are counted", || {
        let m = scrape(&addr);
        let calls = |e: &str, dec: &str, st: &str| {
            m.get(
                "sockeye_calls_total",
                &[("endpoint", e), ("decision", dec), ("status", st)],
            )
        };
        let want = [
            (calls("SystemPing", "allow", "200"), Some(3.0)),
            (calls("ContainerList", "allow", "200"), Some(1.0)),
            (calls("ContainerCreate", "deny", "403"), Some(1.0)),
            (Some(m.sum("sockeye_calls_total", &[])), Some(5.0)),
            (
                m.get("sockeye_connections_total", &[]),
                Some(conns_before + 5.0),
            ),
            (m.get("sockeye_connections_open", &[]), Some(0.0)),
            (m.get("sockeye_upstream_errors_total", &[]), Some(0.0)),
            (
                m.get(
                    "sockeye_request_bytes_total",
                    &[("endpoint", "ContainerCreate")],
                ),
                Some(privileged.len() as f64),
            ),
            (
                m.get(
                    "sockeye_response_bytes_total",
                    &[("endpoint", "SystemPing")],
                ),
                Some(6.0),
            ),
            (
                m.get(
                    "sockeye_call_duration_seconds_count",
                    &[("endpoint", "SystemPing")],
                ),
                Some(3.0),
            ),
        ];
        match want.iter().position(|(got, want)| got != want) {
            None => Ok(()),
            Some(i) => Err(format!("check {i}: {:?}\n{m:#?}", want[i])),
        }
    });

    // The docker CLI: how many pings and calls each command makes depends on its version, so
    // the audit log (every call, one record each) says what to expect.
    let host = s.host();
    let ps = docker(&host, &["ps"]);
    assert!(ps.status.success(), "{}", text(&ps));
    let run = docker(&host, &["run", "--rm", IMAGE, "echo", "counted"]);
    assert!(run.status.success(), "{}", text(&run));
    assert_eq!(String::from_utf8_lossy(&run.stdout), "counted\n");
    let denied = docker(&host, &["run", "--rm", "--privileged", IMAGE, "true"]);
    assert!(!denied.status.success(), "{}", text(&denied));

    eventually("the counts match the audit log", || {
        let records: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let m = scrape(&addr);
        let mut want: BTreeMap<(String, String, String), f64> = BTreeMap::new();
        let mut bytes_in: BTreeMap<String, f64> = BTreeMap::new();
        let mut bytes_out: BTreeMap<String, f64> = BTreeMap::new();
        let mut sessions: BTreeMap<String, f64> = BTreeMap::new();
        for r in &records {
            let endpoint = r["endpoint"].as_str().unwrap().to_string();
            let decision = r["decision"].as_str().unwrap_or("none").to_string();
            let status = r["status"].as_u64().unwrap_or(0).to_string();
            *want
                .entry((endpoint.clone(), decision, status))
                .or_default() += 1.0;
            *bytes_in.entry(endpoint.clone()).or_default() += r["bytes_in"].as_f64().unwrap();
            *bytes_out.entry(endpoint.clone()).or_default() += r["bytes_out"].as_f64().unwrap();
            if r["hijacked"].as_bool().unwrap() {
                *sessions.entry(endpoint).or_default() += 1.0;
            }
        }
        let mut got: BTreeMap<(String, String, String), f64> = BTreeMap::new();
        for s in m.matching("sockeye_calls_total", &[]) {
            let l = |k: &str| s.labels[k].clone();
            got.insert((l("endpoint"), l("decision"), l("status")), s.value);
        }
        if got != want {
            return Err(format!("metrics {got:#?}\naudit log {want:#?}"));
        }
        for (endpoint, n) in &bytes_in {
            let metric = m
                .get("sockeye_request_bytes_total", &[("endpoint", endpoint)])
                .unwrap_or(0.0);
            if metric != *n {
                return Err(format!("{endpoint}: request bytes {metric} != {n}"));
            }
        }
        for (endpoint, n) in &bytes_out {
            let metric = m
                .get("sockeye_response_bytes_total", &[("endpoint", endpoint)])
                .unwrap_or(0.0);
            if metric != *n {
                return Err(format!("{endpoint}: response bytes {metric} != {n}"));
            }
        }
        if sessions.is_empty() {
            return Err("docker run made no hijacked session".into());
        }
        for (endpoint, n) in &sessions {
            let metric = m
                .get(
                    "sockeye_session_duration_seconds_count",
                    &[("endpoint", endpoint)],
                )
                .unwrap_or(0.0);
            if metric != *n {
                return Err(format!("{endpoint}: sessions {metric} != {n}"));
            }
        }
        let conns: HashSet<u64> = records
            .iter()
            .map(|r| r["conn"].as_u64().unwrap())
            .collect();
        let total = m.get("sockeye_connections_total", &[]).unwrap();
        if total < conns.len() as f64 {
            return Err(format!("{total} connections counted, {} seen", conns.len()));
        }
        for gauge in ["sockeye_connections_open", "sockeye_sessions_open"] {
            if m.get(gauge, &[]) != Some(0.0) {
                return Err(format!("{gauge} is not back to 0"));
            }
        }
        if m.get("sockeye_view_dropped_events_total", &[]) != Some(0.0) {
            return Err("the live view dropped events".into());
        }
        Ok(())
    });
    let m = scrape(&addr);
    assert_eq!(
        m.get(
            "sockeye_calls_total",
            &[
                ("endpoint", "ContainerCreate"),
                ("decision", "deny"),
                ("status", "403")
            ]
        ),
        Some(2.0),
        "the raw privileged create and docker run --privileged"
    );

    let (status, _, body) = http_get(&addr, "/healthz");
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    assert_eq!(http_get(&addr, "/nope").0, 404);
    let h = sockeye_health(&["--metrics", &addr]);
    assert_eq!(h.status.code(), Some(0), "{}", text(&h));
    let h = sockeye_health(&["--listen", &host]);
    assert_eq!(h.status.code(), Some(0), "{}", text(&h));
    assert!(
        String::from_utf8_lossy(&h.stdout).contains("OK"),
        "{}",
        text(&h)
    );
}

#[test]
fn a_missing_daemon_is_unhealthy_and_its_502s_are_upstream_errors() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("no-daemon.sock");
    let s = Sockeye::start_with(&gone, &["--metrics", "127.0.0.1:0"]);
    let addr = metrics_addr(&s);

    let (status, _, body) = http_get(&addr, "/healthz");
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("daemon: cannot connect to unix://") && body.contains("no-daemon.sock"),
        "{body}"
    );
    let h = sockeye_health(&["--metrics", &addr]);
    assert_eq!(h.status.code(), Some(1), "{}", text(&h));
    assert!(
        String::from_utf8_lossy(&h.stdout).starts_with("unhealthy: ")
            && String::from_utf8_lossy(&h.stdout).contains("daemon: cannot connect"),
        "{}",
        text(&h)
    );
    // Through sockeye itself: its /_ping is the daemon's, so a 502.
    let h = sockeye_health(&["--listen", &s.host()]);
    assert_eq!(h.status.code(), Some(1), "{}", text(&h));
    assert!(
        String::from_utf8_lossy(&h.stdout).contains("502"),
        "{}",
        text(&h)
    );
    // Nobody at all listening.
    let h = sockeye_health(&["--metrics", "127.0.0.1:1", "--timeout", "2"]);
    assert_eq!(h.status.code(), Some(1), "{}", text(&h));

    let (status, _) = raw(&s.socket, "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n");
    assert_eq!(status, 502);
    eventually("the 502s are counted", || {
        let m = scrape(&addr);
        // The health check's ping and the raw one; no policy, so no decision.
        let got = (
            m.get(
                "sockeye_calls_total",
                &[
                    ("endpoint", "SystemPing"),
                    ("decision", "none"),
                    ("status", "502"),
                ],
            ),
            m.get("sockeye_upstream_errors_total", &[]),
        );
        if got == (Some(2.0), Some(2.0)) {
            Ok(())
        } else {
            Err(format!("{got:?}"))
        }
    });
}
