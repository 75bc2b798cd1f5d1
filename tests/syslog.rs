//! `--audit-syslog tcp://…` against a real rsyslog (Debian's package) on a loopback port, with
//! its own configuration, working directory and pid file, writing every message it receives
//! raw to a file: one well-formed RFC 5424 message per call, nothing more, nothing less; with
//! rsyslog stopped, calls are refused once the spool is full and every answered call arrives
//! once it is back; records spooled while it was down survive a sockeye restart.
//!
//! Needs a Docker daemon (see `tests/common`) and `rsyslogd` (scripts/test.sh installs
//! Debian's `rsyslog`). Under `CI=true` a missing rsyslogd fails the tests; otherwise they
//! are skipped, loudly.

mod support;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::Value;
use support::common::{docker_at, output_text, tail, Sockeye};

fn in_ci() -> bool {
    matches!(
        std::env::var("CI")
            .map(|v| v.to_ascii_lowercase())
            .as_deref(),
        Ok("true") | Ok("1")
    )
}

fn rsyslogd() -> Option<PathBuf> {
    let found = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            !in_ci(),
            "rsyslogd is missing (CI is set, so this fails): install Debian's rsyslog"
        );
        let _ = writeln!(
            std::io::stderr(),
            "\n######## SKIPPED: no rsyslogd; apt-get install rsyslog ########\n"
        );
    }
    found
}

/// A private rsyslogd: `imtcp` on 127.0.0.1, every message written raw (`%rawmsg%`, one per
/// line: a message never holds a newline) to `out`.
struct Rsyslog {
    bin: PathBuf,
    dir: PathBuf,
    /// imtcp's port.
    port: u16,
    /// imudp's port.
    udp: u16,
    child: Option<Child>,
}

impl Rsyslog {
    /// Started on a port of the kernel's choosing.
    fn start(bin: &Path, dir: &Path) -> Rsyslog {
        // imudp writes no port file: a port the kernel just had free.
        let udp = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = Rsyslog {
            bin: bin.to_owned(),
            dir: dir.to_owned(),
            port: 0,
            udp,
            child: None,
        };
        r.run();
        r
    }

    /// imuxsock's datagram socket, as `/dev/log` is the system's.
    fn unix(&self) -> PathBuf {
        self.dir.join("log")
    }

    fn out(&self) -> PathBuf {
        self.dir.join("received.log")
    }

    /// Start rsyslogd (again, on the same port once it has one).
    fn run(&mut self) {
        assert!(self.child.is_none());
        let work = self.dir.join("work");
        std::fs::create_dir_all(&work).unwrap();
        let port_file = self.dir.join("port");
        let _ = std::fs::remove_file(&port_file);
        let conf = self.dir.join("rsyslog.conf");
        std::fs::write(
            &conf,
            format!(
                r#"global(workDirectory="{work}" maxMessageSize="64k")
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\n")
ruleset(name="audit") {{ action(type="omfile" file="{out}" template="raw") }}
input(type="imtcp" address="127.0.0.1" port="{port}" listenPortFileName="{port_file}" ruleset="audit")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="audit")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" socket="{unix}" ruleset="audit")
"#,
                work = work.display(),
                out = self.out().display(),
                port = self.port,
                port_file = port_file.display(),
                udp = self.udp,
                unix = self.unix().display(),
            ),
        )
        .unwrap();
        let log = std::fs::File::create(self.dir.join("rsyslogd.stderr")).unwrap();
        let child = Command::new(&self.bin)
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(self.dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start rsyslogd");
        self.child = Some(child);
        // rsyslog writes the port file only for the port it chose (port="0").
        let known = self.port;
        let port = wait_for("rsyslogd to listen", || {
            let p: u16 = match known {
                0 => std::fs::read_to_string(&port_file)
                    .ok()?
                    .trim()
                    .parse()
                    .ok()?,
                p => p,
            };
            std::net::TcpStream::connect(("127.0.0.1", p))
                .ok()
                .map(|_| p)
        });
        // The probe connection above is a connection without a message: rsyslog logs it
        // and no more.
        self.port = port;
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    /// Every message received so far, as text.
    fn messages(&self) -> Vec<String> {
        std::fs::read(self.out())
            .map(|b| {
                String::from_utf8(b)
                    .expect("rsyslog wrote UTF-8")
                    .lines()
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn addr(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.stop();
    }
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "waited 60 s for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn records(path: &Path) -> Vec<(String, Value)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| (l.to_owned(), serde_json::from_str(l).unwrap()))
        .collect()
}

/// One received message, parsed and checked as RFC 5424 with sockeye's structured data.
#[derive(Debug)]
struct Message {
    pri: u32,
    procid: u32,
    sd: BTreeMap<String, String>,
    /// The MSG after its BOM: the record's JSON line.
    json: String,
}

fn parse(raw: &str, app: &str) -> Message {
    let re = Regex::new(
        r#"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\d+) call (\[sockeye@32473(?: [^=\s\]"]+="(?:[^"\\\]]|\\["\\\]])*")*\]) \x{feff}(\{.*\})$"#,
    )
    .unwrap();
    let c = re
        .captures(raw)
        .unwrap_or_else(|| panic!("not an RFC 5424 message of sockeye's: {raw}"));
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(&c[3], host.trim(), "HOSTNAME: {raw}");
    assert_eq!(&c[4], app, "APP-NAME: {raw}");
    let json = c[7].to_owned();
    let record: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        c[2], record["time"],
        "TIMESTAMP is the record's time: {raw}"
    );
    let param = Regex::new(r#" ([^=\s\]"]+)="((?:[^"\\\]]|\\["\\\]])*)""#).unwrap();
    let sd = param
        .captures_iter(&c[6])
        .map(|p| {
            let unescaped = Regex::new(r#"\\(["\\\]])"#)
                .unwrap()
                .replace_all(&p[2], "$1")
                .into_owned();
            (p[1].to_owned(), unescaped)
        })
        .collect();
    Message {
        pri: c[1].parse().unwrap(),
        procid: c[5].parse().unwrap(),
        sd,
        json,
    }
}

/// authpriv (10) and the record's severity.
fn expected_pri(record: &Value) -> u32 {
    let severity = match (record["decision"].as_str(), record["fault"].as_str()) {
        (_, Some("upstream_unreachable" | "upstream_broke" | "lookup_failed" | "not_recorded")) => {
            3
        }
        (Some("deny" | "refused"), _) | (_, Some("denied" | "unreadable")) => 4,
        (Some("would_deny"), _) => 5,
        _ => 6,
    };
    10 * 8 + severity
}

fn sockeye(daemon: &Path, file: &Path, rsyslog: &Rsyslog, spool: &Path, more: &[&str]) -> Sockeye {
    sockeye_to(daemon, file, &rsyslog.addr(), spool, more)
}

fn sockeye_to(daemon: &Path, file: &Path, addr: &str, spool: &Path, more: &[&str]) -> Sockeye {
    let mut args = vec![
        "-q",
        "--profile",
        "no-escape",
        "--audit",
        file.to_str().unwrap(),
        "--audit-syslog",
        addr,
        "--audit-spool",
        spool.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    Sockeye::start_with(daemon, &args)
}

/// Stop sockeye the way a supervisor does: what it could not deliver stays in its spool.
fn stop(mut s: Sockeye) -> String {
    s.signal("-TERM");
    s.wait_exit(Duration::from_secs(30))
        .expect("sockeye stops on SIGTERM");
    s.log()
}

#[test]
fn every_call_is_one_well_formed_rfc5424_message_nothing_more_nothing_less() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let Some(bin) = rsyslogd() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut rsyslog = Rsyslog::start(&bin, dir.path());
    let file = dir.path().join("audit.log");
    let s = sockeye(&daemon, &file, &rsyslog, &dir.path().join("spool"), &[]);
    let host = s.host();
    for args in [
        &["version"][..],
        &["ps", "-a"],
        &["images"],
        &["inspect", "sockeye-test-no-such-object"],
        // Denied by the no-escape profile: a warning, with its rule.
        &[
            "run",
            "--rm",
            "--privileged",
            support::common::IMAGE,
            "true",
        ],
    ] {
        let _ = docker_at(&host, args);
    }
    let pid = s.pid();
    let log = stop(s);
    let written = records(&file);
    assert!(written.len() >= 10, "{written:?}");
    wait_for("every record to reach rsyslog", || {
        (rsyslog.messages().len() >= written.len()).then_some(())
    });
    // Stopped: whatever it still had is written; nothing more can come.
    rsyslog.stop();
    let received = rsyslog.messages();
    assert_eq!(
        received.len(),
        written.len(),
        "one message per call:\n{}\n--- sockeye's log:\n{}",
        received.join("\n"),
        tail(&log, 3000)
    );
    let by_id: BTreeMap<&str, &(String, Value)> = written
        .iter()
        .map(|w| (w.1["id"].as_str().unwrap(), w))
        .collect();
    assert_eq!(by_id.len(), written.len(), "ids are unique within a run");
    let mut seen = std::collections::BTreeSet::new();
    let mut denied = 0;
    for raw in &received {
        let m = parse(raw, "sockeye");
        let (line, record) = by_id[m.sd["id"].as_str()];
        assert!(seen.insert(m.sd["id"].clone()), "a call sent twice: {raw}");
        // Each the very line the file holds.
        assert_eq!(&m.json, line);
        assert_eq!(m.pri, expected_pri(record), "{raw}");
        assert_eq!(m.procid, pid);
        assert_eq!(m.sd["id"], record["id"].as_str().unwrap());
        assert_eq!(m.sd["endpoint"], record["endpoint"].as_str().unwrap());
        assert_eq!(m.sd["action"], record["action"].as_str().unwrap());
        assert_eq!(m.sd["status"], record["status"].to_string());
        if record["decision"] == "deny" {
            denied += 1;
            assert_eq!(m.sd["rule"], "no-escape");
            assert_eq!(m.pri, 84, "authpriv.warning: {raw}");
        }
    }
    assert_eq!(denied, 1, "the privileged run was denied");
}

#[test]
fn with_rsyslog_stopped_calls_are_refused_past_the_spool_bound_and_every_answered_call_arrives_once(
) {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let Some(bin) = rsyslogd() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut rsyslog = Rsyslog::start(&bin, dir.path());
    let file = dir.path().join("audit.log");
    let s = sockeye(
        &daemon,
        &file,
        &rsyslog,
        &dir.path().join("spool"),
        &["--audit-spool-max", "16K"],
    );
    let host = s.host();
    let ok = docker_at(&host, &["version"]);
    assert!(ok.status.success(), "{}", output_text(&ok));
    wait_for("the first records to reach rsyslog", || {
        (rsyslog.messages().len() == records(&file).len()).then_some(())
    });

    rsyslog.stop();
    let mut refused = None;
    for _ in 0..200 {
        let out = docker_at(&host, &["ps", "-a"]);
        if !out.status.success() {
            refused = Some(String::from_utf8_lossy(&out.stderr).into_owned());
            break;
        }
    }
    let refused = refused.expect("calls are refused once the spool is full");
    assert!(
        refused.contains(&format!(
            "sockeye: the audit sink syslog {} cannot deliver",
            rsyslog.addr()
        )) && refused.contains("is full")
            && refused.contains("calls are refused until it can record them"),
        "{refused}\n--- sockeye's log:\n{}",
        tail(&s.log(), 3000)
    );
    s.wait_for_log(&["audit sink syslog", "cannot deliver"]);
    s.wait_for_log(&["new calls are refused until it delivers"]);
    // Refused again, and again recorded in the file (a 503 with its fault).
    let again = docker_at(&host, &["ps", "-a"]);
    assert!(!again.status.success());

    rsyslog.run();
    wait_for("calls to be served again", || {
        docker_at(&host, &["ps", "-a"])
            .status
            .success()
            .then_some(())
    });
    s.wait_for_log(&["audit sink syslog", "delivers again"]);
    let ok = docker_at(&host, &["version"]);
    assert!(ok.status.success(), "{}", output_text(&ok));
    let log = stop(s);
    let written = records(&file);
    let answered: Vec<&(String, Value)> = written
        .iter()
        .filter(|(_, r)| r["fault"] != "not_recorded")
        .collect();
    let refusals = written.len() - answered.len();
    assert!(refusals >= 2, "{refusals} refusals");
    wait_for("every answered call to reach rsyslog", || {
        let got = rsyslog.messages();
        answered
            .iter()
            .all(|(_, r)| {
                let id = format!(" id=\"{}\"", r["id"].as_str().unwrap());
                got.iter().any(|m| m.contains(&id))
            })
            .then_some(())
    });
    rsyslog.stop();
    let received: Vec<Message> = rsyslog
        .messages()
        .iter()
        .map(|m| parse(m, "sockeye"))
        .collect();
    let mut unrecorded = 0;
    let mut refused_received = 0;
    for m in &received {
        let r: Value = serde_json::from_str(&m.json).unwrap();
        unrecorded += r["unrecorded"].as_u64().unwrap_or(0);
        let same: Vec<_> = written.iter().filter(|(_, w)| w["id"] == r["id"]).collect();
        assert_eq!(same.len(), 1, "a message of no call: {}", m.json);
        if r["fault"] == "not_recorded" {
            refused_received += 1;
        }
    }
    for (line, record) in &answered {
        let n = received
            .iter()
            .filter(|m| {
                let r: Value = serde_json::from_str(&m.json).unwrap();
                r["id"] == record["id"]
            })
            .count();
        assert_eq!(
            n,
            1,
            "an answered call arrived {n} times: {line}\n--- sockeye's log:\n{}",
            tail(&log, 3000)
        );
    }
    // A refused call's record either arrived or is counted in a later one's `unrecorded`.
    assert_eq!(
        refused_received + unrecorded as usize,
        refusals,
        "every refusal is on record or counted"
    );
    assert!(unrecorded >= 1, "the spool was full for some refusals");
}

#[test]
fn records_spooled_while_rsyslog_is_down_survive_a_sockeye_restart() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let Some(bin) = rsyslogd() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut rsyslog = Rsyslog::start(&bin, dir.path());
    rsyslog.stop();
    let spool = dir.path().join("spool");
    let first = dir.path().join("first.log");
    let s = sockeye(&daemon, &first, &rsyslog, &spool, &[]);
    for args in [&["version"][..], &["ps", "-a"]] {
        let out = docker_at(&s.host(), args);
        assert!(out.status.success(), "{}", output_text(&out));
    }
    s.wait_for_log(&["audit sink syslog", "cannot deliver"]);

    // A second sockeye on the same spool is refused at start, in one sentence.
    let other = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .args(["proxy", "--listen"])
        .arg(format!(
            "unix://{}",
            dir.path().join("other.sock").display()
        ))
        .arg("--upstream")
        .arg(format!("unix://{}", daemon.display()))
        .args(["--audit-syslog", &rsyslog.addr(), "--audit-spool"])
        .arg(&spool)
        .output()
        .unwrap();
    assert!(!other.status.success());
    let err = String::from_utf8_lossy(&other.stderr);
    assert!(
        err.contains("is in use by another sockeye; give each one its own --audit-spool DIR"),
        "{err}"
    );

    let log = stop(s);
    assert!(
        log.contains("not delivered stay in its spool"),
        "{}",
        tail(&log, 3000)
    );
    let second = dir.path().join("second.log");
    let s = sockeye(&daemon, &second, &rsyslog, &spool, &[]);
    s.wait_for_log(&["from an earlier run wait in its spool"]);
    rsyslog.run();
    let out = docker_at(&s.host(), &["ps", "-a"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let log = stop(s);
    let want: Vec<String> = records(&first)
        .into_iter()
        .chain(records(&second))
        .map(|(line, _)| line)
        .collect();
    wait_for("every record of both runs to reach rsyslog", || {
        (rsyslog.messages().len() >= want.len()).then_some(())
    });
    rsyslog.stop();
    let got: Vec<String> = rsyslog
        .messages()
        .iter()
        .map(|m| parse(m, "sockeye").json)
        .collect();
    assert_eq!(
        got,
        want,
        "the first run's records, then the second's, each once\n--- sockeye's log:\n{}",
        tail(&log, 3000)
    );
}

/// `unix://` (rsyslog's imuxsock, as `/dev/log`) and `udp://` (imudp): one datagram per call,
/// the same well-formed message, with the facility and app-name asked for.
#[test]
fn unix_datagram_and_udp_receivers_get_one_message_per_call_too() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let Some(bin) = rsyslogd() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut rsyslog = Rsyslog::start(&bin, dir.path());
    let mut want = Vec::new();
    for (i, addr) in [
        format!("unix://{}", rsyslog.unix().display()),
        format!("udp://127.0.0.1:{}", rsyslog.udp),
    ]
    .iter()
    .enumerate()
    {
        let file = dir.path().join(format!("audit{i}.log"));
        let s = sockeye_to(
            &daemon,
            &file,
            addr,
            &dir.path().join("spool"),
            &[
                "--audit-syslog-facility",
                "local0",
                "--audit-syslog-app-name",
                "sockeye-test",
            ],
        );
        let out = docker_at(&s.host(), &["version"]);
        assert!(out.status.success(), "{}", output_text(&out));
        let before = want.len();
        want.extend(records(&file).into_iter().map(|(line, _)| line));
        wait_for(&format!("the records sent to {addr}"), || {
            (rsyslog.messages().len() >= want.len()).then_some(())
        });
        stop(s);
        assert!(want.len() > before);
    }
    rsyslog.stop();
    let got: Vec<Message> = rsyslog
        .messages()
        .iter()
        .map(|m| parse(m, "sockeye-test"))
        .collect();
    let mut lines: Vec<&str> = got.iter().map(|m| m.json.as_str()).collect();
    let mut wanted: Vec<&str> = want.iter().map(String::as_str).collect();
    lines.sort_unstable();
    wanted.sort_unstable();
    assert_eq!(lines, wanted, "one message per call, nothing more");
    for m in &got {
        assert_eq!(m.pri, 16 * 8 + 6, "local0.info");
    }
}
