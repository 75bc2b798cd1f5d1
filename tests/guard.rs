//! The hostile-request corpus: with `--profile no-escape`, none of the requests in
//! `tests/hostile/mod.rs` may succeed through sockeye against a real dockerd, and each one's
//! legitimate twin (the same request minus the hostile part) must still work.
//!
//! Every case runs up to three times, each time with fresh object names:
//!
//! 1. **straight to the daemon**, to show that the case is really hostile: the daemon acts on
//!    it (2xx, or a visible effect such as a container that now exists). Cases the daemon
//!    itself refuses or ignores say so and why (`Daemon::Refuses`, `Daemon::Harmless`); a
//!    case may also carry a proof, a field of the created object that must hold the hostile
//!    value (dockerd's own reading of an odd spelling). These expectations were written
//!    against dockerd 20.10 (API 1.41) and are asserted only there; on another daemon they
//!    are reported.
//! 2. **through sockeye**: the answer must be the expected refusal (403 naming the rule, 400
//!    for what sockeye will not read, 413 for an oversized body, a refused or closed
//!    connection for malformed HTTP, or the daemon's own 404 for what it does not route), no
//!    response to the hostile request may be a success, and none of its effects may be
//!    visible on the daemon afterwards (checked on the daemon's socket directly).
//! 3. **the twin, through sockeye**: it must succeed (or, for services on a daemon without a
//!    swarm, answer exactly as the daemon answers it directly), and what it made is removed.
//!
//! All failures are collected and reported together; a bypass (a hostile request that did
//! something) is marked `BYPASS`.

mod common;
mod hostile;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::{Sockeye, IMAGE};
use hostile::{Body, Case, Daemon, Obj, Request, Setup, Want};

/// The daemon API version the corpus's expectations about dockerd were written against.
const ANNOTATED_API: &str = "1.41";
/// `--max-body` of the second sockeye instance, for the oversized-body cases.
pub const SMALL_MAX_BODY: usize = 4096;

// ---------------------------------------------------------------------------------------------
// Object names
// ---------------------------------------------------------------------------------------------

/// The names one run of one case may touch, substituted for `{c}`, `{x}`, … in requests.
/// Every run gets fresh ones, so what one run left behind cannot answer for another.
#[derive(Clone, Debug)]
pub struct Names {
    /// What the hostile request would create: a container, a plugin or a service.
    pub c: String,
    /// What a harmless carrier request (the first of a pipelined pair) may create.
    pub x: String,
    /// A volume.
    pub v: String,
    /// An image tag (`name:1`).
    pub tag: String,
    /// A file name an archive upload would write at `/` of the target.
    pub f: String,
    /// The target container (exists before the request): ordinary, with a plain volume.
    pub t: String,
    /// The dangerous target: host pid, a host directory and `{bv}` (the host's root) mounted.
    pub dt: String,
    /// ID prefixes of `t` and `dt`.
    pub tid: String,
    pub dtid: String,
    /// A local volume made with `o=bind,device=/`, before and outside sockeye.
    pub bv: String,
    /// The daemon's own socket: a host path worth binding.
    pub sock: String,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

impl Names {
    fn fresh(shared: &Targets, sock: &Path) -> Names {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        // `sk<pid>-` lets the harness sweep what a crashed run left behind.
        let p = format!("sk{}-g{n}", std::process::id());
        Names {
            c: format!("{p}c"),
            x: format!("{p}x"),
            v: format!("{p}v"),
            tag: format!("{p}t:1"),
            f: format!("{p}f"),
            t: shared.t.clone(),
            dt: shared.dt.clone(),
            tid: shared.tid.clone(),
            dtid: shared.dtid.clone(),
            bv: shared.bv.clone(),
            sock: sock.display().to_string(),
        }
    }

    pub fn fill(&self, s: &str) -> String {
        s.replace("{img}", IMAGE)
            .replace("{c}", &self.c)
            .replace("{x}", &self.x)
            .replace("{v}", &self.v)
            .replace("{tag}", &self.tag)
            .replace("{f}", &self.f)
            .replace("{t}", &self.t)
            .replace("{dt}", &self.dt)
            .replace("{tid}", &self.tid)
            .replace("{dtid}", &self.dtid)
            .replace("{bv}", &self.bv)
            .replace("{sock}", &self.sock)
    }
}

// ---------------------------------------------------------------------------------------------
// Requests on the wire
// ---------------------------------------------------------------------------------------------

/// One request with ordinary framing: `Host`, `Content-Length` (unless the headers frame the
/// body themselves) and a content type for the body kind.
pub fn http(method: &str, target: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: docker\r\n");
    let has = |name: &str| {
        headers
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with(&format!("{name}:")))
    };
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if !has("content-length") && !has("transfer-encoding") && (!body.is_empty() || method == "POST")
    {
        let _ = write!(head, "Content-Length: {}\r\n", body.len());
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// `body` as one chunk, then the last chunk.
pub fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n0\r\n\r\n");
    out
}

/// A one-file ustar archive.
pub fn tar(name: &str, content: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    let field =
        |h: &mut [u8; 512], at: usize, s: &str| h[at..at + s.len()].copy_from_slice(s.as_bytes());
    field(&mut h, 100, "0000644\0");
    field(&mut h, 108, "0000000\0");
    field(&mut h, 116, "0000000\0");
    field(&mut h, 124, &format!("{:011o}\0", content.len()));
    field(&mut h, 136, "00000000000\0");
    field(&mut h, 148, "        ");
    h[156] = b'0';
    field(&mut h, 257, "ustar\0");
    field(&mut h, 263, "00");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    field(&mut h, 148, &format!("{sum:06o}\0 "));
    let mut out = h.to_vec();
    out.extend_from_slice(content);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.extend_from_slice(&[0u8; 1024]);
    out
}

impl Request {
    /// The bytes to write, in as many writes as the case asks for.
    pub fn render(&self, n: &Names) -> Vec<Vec<u8>> {
        match self {
            Request::Req {
                method,
                target,
                headers,
                body,
            } => {
                let target = n.fill(target);
                let mut hs: Vec<String> = headers.iter().map(|h| n.fill(h)).collect();
                let has_type = hs
                    .iter()
                    .any(|h| h.to_ascii_lowercase().starts_with("content-type:"));
                let bytes = match body {
                    Body::None => Vec::new(),
                    Body::Json(s) => {
                        if !has_type {
                            hs.push("Content-Type: application/json".into());
                        }
                        n.fill(s).into_bytes()
                    }
                    Body::Form(s) => {
                        if !has_type {
                            hs.push("Content-Type: application/x-www-form-urlencoded".into());
                        }
                        n.fill(s).into_bytes()
                    }
                    Body::Tar(name, content) => {
                        if !has_type {
                            hs.push("Content-Type: application/x-tar".into());
                        }
                        tar(&n.fill(name), n.fill(content).as_bytes())
                    }
                };
                let hs: Vec<&str> = hs.iter().map(String::as_str).collect();
                vec![http(method, &target, &hs, &bytes)]
            }
            Request::Raw { bytes, .. } => bytes(n),
        }
    }

    /// How many responses a server that reads the bytes correctly and allows them all gives.
    pub fn requests(&self) -> usize {
        match self {
            Request::Req { .. } => 1,
            Request::Raw { requests, .. } => *requests,
        }
    }

    /// Indexes of the responses that answer a HEAD request (no body follows their head).
    fn heads(&self) -> Vec<usize> {
        match self {
            Request::Req { method, .. } if *method == "HEAD" => vec![0],
            Request::Req { .. } => Vec::new(),
            Request::Raw { heads, .. } => heads.to_vec(),
        }
    }

    fn is_raw(&self) -> bool {
        matches!(self, Request::Raw { .. })
    }
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn success(&self) -> bool {
        (200..300).contains(&self.status) || self.status == 101
    }

    /// sockeye's own refusals carry this body.
    fn by_sockeye(&self) -> bool {
        self.body.starts_with(br#"{"message":"sockeye:"#)
    }

    /// dockerd stamps its version headers on routed requests; its router's 404 and 301 carry
    /// neither but have their own bodies and headers.
    fn by_daemon(&self) -> bool {
        self.header("Api-Version").is_some()
            || self.header("Server").is_some_and(|s| s.starts_with("Docker"))
            || self.body.starts_with(br#"{"message":"page not found"}"#)
            || (self.status == 301 && self.header("Location").is_some())
            // sockeye never switches protocols itself; it relays the daemon's 101.
            || self.status == 101
    }

    fn brief(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        let body: String = body
            .trim()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(240)
            .collect();
        let who = if self.by_sockeye() {
            "sockeye"
        } else if self.by_daemon() {
            "daemon"
        } else {
            "relay"
        };
        format!("{} ({who}) {body}", self.status)
    }
}

#[derive(Debug, Default)]
struct Outcome {
    resps: Vec<Resp>,
    /// The peer closed the connection (or reset it).
    closed: bool,
    /// Could not connect, or could not write everything.
    error: Option<String>,
    /// Bytes that did not parse as a response.
    garbage: Option<String>,
}

impl Outcome {
    fn brief(&self) -> String {
        let mut out: Vec<String> = self.resps.iter().map(Resp::brief).collect();
        if let Some(g) = &self.garbage {
            out.push(format!("unparsed: {g}"));
        }
        if let Some(e) = &self.error {
            out.push(e.clone());
        }
        if self.closed {
            out.push("closed".into());
        }
        if out.is_empty() {
            out.push("no response, connection open".into());
        }
        out.join(" | ")
    }
}

enum Parsed {
    Resp(Resp, usize),
    /// A 1xx other than 101, skipped.
    Interim(usize),
    Incomplete,
    Garbage,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_one(buf: &[u8], is_head: bool, closed: bool) -> Parsed {
    let Some(end) = find(buf, b"\r\n\r\n") else {
        return if closed && !buf.is_empty() {
            Parsed::Garbage
        } else {
            Parsed::Incomplete
        };
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let Some(status) = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|r| r.get(2..5))
        .and_then(|c| c.parse::<u16>().ok())
    else {
        return Parsed::Garbage;
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut resp = Resp {
        status,
        headers,
        body: Vec::new(),
    };
    let start = end + 4;
    let rest = &buf[start..];
    if (100..200).contains(&status) && status != 101 {
        return Parsed::Interim(start);
    }
    if status == 101 || is_head || status == 204 || status == 304 {
        return Parsed::Resp(resp, start);
    }
    if resp
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        let mut at = 0;
        loop {
            let Some(le) = find(&rest[at..], b"\r\n") else {
                return Parsed::Incomplete;
            };
            let line = String::from_utf8_lossy(&rest[at..at + le]).into_owned();
            let Ok(size) = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            else {
                return Parsed::Garbage;
            };
            at += le + 2;
            if size == 0 {
                // No trailers from dockerd or sockeye.
                if rest.len() < at + 2 {
                    return Parsed::Incomplete;
                }
                return Parsed::Resp(resp, start + at + 2);
            }
            if rest.len() < at + size + 2 {
                return Parsed::Incomplete;
            }
            resp.body.extend_from_slice(&rest[at..at + size]);
            at += size + 2;
        }
    }
    if let Some(len) = resp.header("Content-Length") {
        let Ok(len) = len.parse::<usize>() else {
            return Parsed::Garbage;
        };
        if rest.len() < len {
            return if closed {
                Parsed::Garbage
            } else {
                Parsed::Incomplete
            };
        }
        resp.body = rest[..len].to_vec();
        return Parsed::Resp(resp, start + len);
    }
    if closed {
        resp.body = rest.to_vec();
        return Parsed::Resp(resp, buf.len());
    }
    Parsed::Incomplete
}

/// Write `writes` on one connection (pausing between writes, so that an interim `100
/// Continue` can arrive), then read responses until `want` have come, the peer closes, or
/// nothing arrives for a while; then linger for `linger` and read what else comes. Stops at
/// a `101`: what follows is no longer HTTP.
fn exchange(
    socket: &Path,
    writes: &[Vec<u8>],
    want: usize,
    heads: &[usize],
    linger: Duration,
) -> Outcome {
    let mut out = Outcome::default();
    let mut s = match UnixStream::connect(socket) {
        Ok(s) => s,
        Err(e) => {
            out.error = Some(format!("connect: {e}"));
            out.closed = true;
            return out;
        }
    };
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut buf = Vec::new();
    for (i, w) in writes.iter().enumerate() {
        if i > 0 {
            let until = Instant::now() + Duration::from_millis(300);
            while Instant::now() < until && !out.closed {
                out.closed = read_some(&mut s, &mut buf);
            }
        }
        if let Err(e) = s.write_all(w) {
            out.error = Some(format!("write {}: {e}", i + 1));
            break;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut quiet_since = Instant::now();
    let mut lingering: Option<Instant> = None;
    let mut pos = 0;
    loop {
        loop {
            let is_head = heads.contains(&out.resps.len());
            match parse_one(&buf[pos..], is_head, out.closed) {
                Parsed::Resp(r, used) => {
                    pos += used;
                    let upgraded = r.status == 101;
                    out.resps.push(r);
                    if upgraded {
                        // Let anything smuggled behind the upgrade reach wherever it goes.
                        std::thread::sleep(Duration::from_millis(300));
                        return out;
                    }
                    quiet_since = Instant::now();
                }
                Parsed::Interim(used) => pos += used,
                Parsed::Incomplete => break,
                Parsed::Garbage => {
                    let rest = String::from_utf8_lossy(&buf[pos..]);
                    out.garbage = Some(rest.chars().take(200).collect());
                    return out;
                }
            }
        }
        if out.closed || Instant::now() > deadline {
            break;
        }
        if out.resps.len() >= want {
            let since = *lingering.get_or_insert_with(Instant::now);
            if since.elapsed() >= linger {
                break;
            }
        } else if quiet_since.elapsed() > Duration::from_secs(15) {
            break;
        }
        let before = buf.len();
        out.closed = read_some(&mut s, &mut buf);
        if buf.len() > before {
            quiet_since = Instant::now();
        }
    }
    out
}

/// Read what is there (waiting at most the socket's read timeout); whether the peer closed.
fn read_some(s: &mut UnixStream, buf: &mut Vec<u8>) -> bool {
    let mut tmp = [0u8; 65536];
    match s.read(&mut tmp) {
        Ok(0) => true,
        Ok(n) => {
            buf.extend_from_slice(&tmp[..n]);
            false
        }
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            false
        }
        Err(_) => true,
    }
}

// ---------------------------------------------------------------------------------------------
// The daemon, directly
// ---------------------------------------------------------------------------------------------

fn api(d: &Path, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let headers: &[&str] = if body.is_some() {
        &["Content-Type: application/json"]
    } else {
        &[]
    };
    let heads: &[usize] = if method == "HEAD" { &[0] } else { &[] };
    let out = exchange(
        d,
        &[http(method, path, headers, &bytes)],
        1,
        heads,
        Duration::ZERO,
    );
    match out.resps.first() {
        Some(r) => (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        ),
        None => panic!("daemon: {method} {path}: {}", out.brief()),
    }
}

fn exists(d: &Path, path: &str) -> bool {
    api(d, "GET", path, None).0 == 200
}

/// What of the target a hostile request could change.
fn snapshot(d: &Path, n: &Names) -> Value {
    let (_, v) = api(d, "GET", &format!("/containers/{}/json", n.t), None);
    json!({
        "HostConfig": v["HostConfig"],
        "ExecIDs": v["ExecIDs"],
        "Status": v["State"]["Status"],
    })
}

/// Everything the request could have done that is now visible on the daemon.
fn effects(d: &Path, n: &Names, before: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if exists(d, &format!("/containers/{}/json", n.c)) {
        out.push(format!("container {} exists", n.c));
    }
    let (status, vol) = api(d, "GET", &format!("/volumes/{}", n.v), None);
    if status == 200 && vol["Options"].as_object().is_some_and(|o| !o.is_empty()) {
        out.push(format!(
            "volume {} exists with options {}",
            n.v, vol["Options"]
        ));
    }
    if exists(d, &format!("/images/{}/json", n.tag)) {
        out.push(format!("image {} exists", n.tag));
    }
    if exists(d, &format!("/plugins/{}/json", n.c)) {
        out.push(format!("plugin {} exists", n.c));
    }
    let (stat, _) = api(
        d,
        "HEAD",
        &format!("/containers/{}/archive?path=/{}", n.t, n.f),
        None,
    );
    if stat == 200 {
        out.push(format!("file /{} exists in {}", n.f, n.t));
    }
    let (stat, _) = api(
        d,
        "HEAD",
        &format!("/containers/{}/archive?path=/{}", n.dt, n.f),
        None,
    );
    if stat == 200 {
        out.push(format!("file /{} exists in {}", n.f, n.dt));
    }
    let after = snapshot(d, n);
    // Execs that were never started come and go in no particular order: only a new one counts.
    let ids = |v: &Value| -> Vec<String> {
        v["ExecIDs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect()
    };
    let old = ids(before);
    let new: Vec<String> = ids(&after)
        .into_iter()
        .filter(|id| !old.contains(id))
        .collect();
    if !new.is_empty() {
        out.push(format!("target {} has new execs {new:?}", n.t));
    }
    if after["Status"] != before["Status"] {
        out.push(format!(
            "target {} went from {} to {}",
            n.t, before["Status"], after["Status"]
        ));
    }
    if let (Some(was), Some(now)) = (
        before["HostConfig"].as_object(),
        after["HostConfig"].as_object(),
    ) {
        for (key, value) in now {
            let old = was.get(key).unwrap_or(&Value::Null);
            if old != value {
                out.push(format!("target {} HostConfig.{key}: {old} -> {value}", n.t));
            }
        }
    }
    out
}

fn setup(d: &Path, n: &mut Names, setup: Setup) {
    if setup == Setup::Created {
        n.t = format!("{}t", n.c.trim_end_matches('c'));
        let (status, v) = api(
            d,
            "POST",
            &format!("/containers/create?name={}", n.t),
            Some(&json!({"Image": IMAGE, "Cmd": ["sleep", "3600"]})),
        );
        assert_eq!(status, 201, "cannot create target {}: {v}", n.t);
    }
}

fn cleanup(d: &Path, n: &Names, setup: Setup) {
    let mut containers = vec![&n.c, &n.x];
    if setup == Setup::Created {
        containers.push(&n.t);
    }
    for c in containers {
        api(d, "DELETE", &format!("/containers/{c}?force=1&v=1"), None);
    }
    api(d, "DELETE", &format!("/volumes/{}?force=1", n.v), None);
    api(d, "DELETE", &format!("/images/{}?force=1", n.tag), None);
    api(d, "DELETE", &format!("/plugins/{}?force=1", n.c), None);
}

fn proof_holds(d: &Path, n: &Names, obj: Obj, pointer: &str, want: &str) -> Result<(), String> {
    let path = match obj {
        Obj::Container => format!("/containers/{}/json", n.c),
        Obj::Target => format!("/containers/{}/json", n.t),
        Obj::Volume => format!("/volumes/{}", n.v),
    };
    let (status, v) = api(d, "GET", &path, None);
    let want: Value = serde_json::from_str(want).expect("proof value is JSON");
    let got = v.pointer(pointer).cloned().unwrap_or(Value::Null);
    if status == 200 && got == want {
        Ok(())
    } else {
        Err(format!(
            "GET {path} → {status}, {pointer} = {got} (expected {want})"
        ))
    }
}

/// The shared running target of exec, archive and update cases; removed on drop.
/// The objects every case may name, made directly on the daemon before the corpus runs.
#[derive(Clone, Default)]
pub struct Targets {
    t: String,
    dt: String,
    tid: String,
    dtid: String,
    bv: String,
    /// Host directory the dangerous target binds.
    host_dir: String,
    plain_volume: String,
}

struct Target<'a> {
    d: &'a Path,
    names: Targets,
}

impl<'a> Target<'a> {
    fn start(d: &'a Path) -> Target<'a> {
        let p = format!("sk{}-guard", std::process::id());
        let names = Targets {
            t: format!("{p}-target"),
            dt: format!("{p}-danger"),
            bv: format!("{p}-bindvol"),
            host_dir: format!("/tmp/{p}-host"),
            plain_volume: format!("{p}-plainvol"),
            ..Targets::default()
        };
        // Made first, so that a failed assertion below still removes what was made.
        let mut target = Target {
            d,
            names: names.clone(),
        };
        std::fs::create_dir_all(&names.host_dir).unwrap();
        let (status, v) = api(
            d,
            "POST",
            "/volumes/create",
            Some(&json!({"Name": names.bv, "Driver": "local",
                "DriverOpts": {"type": "none", "o": "bind", "device": "/"}})),
        );
        assert_eq!(status, 201, "create volume {}: {v}", names.bv);
        let run = |name: &str, host_config: Value| {
            api(d, "DELETE", &format!("/containers/{name}?force=1"), None);
            let (status, v) = api(
                d,
                "POST",
                &format!("/containers/create?name={name}"),
                Some(&json!({"Image": IMAGE, "Cmd": ["sleep", "3600"], "HostConfig": host_config})),
            );
            assert_eq!(status, 201, "create {name}: {v}");
            let (status, v) = api(d, "POST", &format!("/containers/{name}/start"), None);
            assert_eq!(status, 204, "start {name}: {v}");
        };
        run(
            &names.t,
            json!({"Binds": [format!("{}:/data", names.plain_volume)]}),
        );
        run(
            &names.dt,
            // Not privileged: runc cannot apply every capability in some sandboxes (CI), and
            // the host's pid namespace and root filesystem are escape enough.
            json!({"PidMode": "host",
                "Binds": [format!("{}:/x", names.bv), format!("{}:/host", names.host_dir)]}),
        );
        let prefix = |name: &str| {
            let (_, v) = api(d, "GET", &format!("/containers/{name}/json"), None);
            let id = v["Id"].as_str().unwrap_or_default();
            id[..12.min(id.len())].to_owned()
        };
        target.names.tid = prefix(&names.t);
        target.names.dtid = prefix(&names.dt);
        target
    }
}

impl Drop for Target<'_> {
    fn drop(&mut self) {
        for c in [&self.names.t, &self.names.dt] {
            api(
                self.d,
                "DELETE",
                &format!("/containers/{c}?force=1&v=1"),
                None,
            );
        }
        for v in [&self.names.bv, &self.names.plain_volume] {
            api(self.d, "DELETE", &format!("/volumes/{v}?force=1"), None);
        }
        let _ = std::fs::remove_dir_all(&self.names.host_dir);
    }
}

// ---------------------------------------------------------------------------------------------
// Judging
// ---------------------------------------------------------------------------------------------

/// Whether sockeye answered the hostile request the way the case expects. `None` when it did.
fn expected_refusal(want: &Want, hostile: Option<&Resp>, out: &Outcome) -> Option<String> {
    let ok = match (want, hostile) {
        (Want::Deny(rule), Some(r)) => {
            let prefix = format!(r#"{{"message":"sockeye: denied by rule {rule}: "#);
            r.status == 403 && r.body.starts_with(prefix.as_bytes())
        }
        (Want::Unreadable, Some(r)) => r.status == 400 && r.by_sockeye(),
        (Want::TooLarge, Some(r)) => r.status == 413 && r.by_sockeye(),
        (Want::Malformed, None) => out.closed || out.error.is_some() || out.garbage.is_some(),
        (Want::Malformed, Some(r)) => r.status >= 400 && !r.by_daemon(),
        (Want::Swallowed, None) => true,
        _ => false,
    };
    (!ok).then(|| format!("expected {}", want.describe()))
}

#[derive(Default)]
struct Tally {
    /// class → (hostile cases, refused)
    classes: BTreeMap<&'static str, (usize, usize, usize, usize)>,
    hostile: usize,
    refused: usize,
    twins: usize,
    twins_ok: usize,
    daemon_accepts: usize,
    daemon_refuses: Vec<String>,
    failures: Vec<String>,
    notes: Vec<String>,
    /// One line per run, shown with `SOCKEYE_GUARD_VERBOSE=1`.
    log: Vec<String>,
}

struct World<'a> {
    d: &'a Path,
    sk: &'a Sockeye,
    small: &'a Sockeye,
    targets: Targets,
    annotated: bool,
}

fn escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\r' => s.push_str("\\r"),
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                c if c.is_control() => {
                    let _ = write!(s, "\\x{:02x}", c as u32);
                }
                c => s.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    if s.len() > 700 {
        let cut = (0..=700)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}… ({} bytes)", &s[..cut], bytes.len())
    } else {
        s
    }
}

fn run_case(w: &World, case: &Case, t: &mut Tally) {
    let id = format!("[{}] {}", case.class, case.name);
    let via = if case.small { w.small } else { w.sk };
    let want_hostile = match case.want {
        Want::Swallowed => case.lead,
        _ => case.lead + 1,
    };
    let linger = if case.send.is_raw() {
        Duration::from_millis(200)
    } else {
        Duration::ZERO
    };
    let heads = case.send.heads();
    t.log.push(id.clone());

    // 1. Straight to the daemon.
    match case.daemon {
        Daemon::NotSent(why) => t
            .notes
            .push(format!("{id}: not sent to the daemon directly: {why}")),
        _ => {
            let mut n = Names::fresh(&w.targets, w.d);
            setup(w.d, &mut n, case.setup);
            let before = snapshot(w.d, &n);
            let out = exchange(w.d, &case.send.render(&n), want_hostile, &heads, linger);
            let fx = effects(w.d, &n, &before);
            let answered = out.resps.get(case.lead).is_some_and(Resp::success);
            let accepted = answered || !fx.is_empty();
            let proof = match (&case.proof, accepted) {
                (Some((obj, pointer, value)), true) => {
                    proof_holds(w.d, &n, *obj, pointer, value).err()
                }
                _ => None,
            };
            cleanup(w.d, &n, case.setup);
            let what = format!(
                "{} [{}]",
                out.brief(),
                if fx.is_empty() {
                    "no effect".into()
                } else {
                    fx.join("; ")
                }
            );
            let mismatch = match case.daemon {
                Daemon::Accepts if !accepted => Some("the daemon did not act on it".to_owned()),
                Daemon::Refuses(_) if accepted => Some("the daemon acted on it".to_owned()),
                _ => proof.map(|p| format!("proof failed: {p}")),
            };
            t.log.push(format!("    direct:  {what}"));
            if accepted {
                t.daemon_accepts += 1;
            }
            if let Daemon::Refuses(why) | Daemon::Harmless(why) = case.daemon {
                t.daemon_refuses.push(format!("{id}: {why}"));
            }
            if let Some(m) = mismatch {
                let line = format!("{id}: CORPUS: sent directly, {m}: {what}");
                if w.annotated {
                    t.failures.push(line);
                } else {
                    t.notes.push(line);
                }
            }
        }
    }

    // 2. Through sockeye.
    t.hostile += 1;
    let entry = t.classes.entry(case.class).or_default();
    entry.0 += 1;
    let mut n = Names::fresh(&w.targets, w.d);
    setup(w.d, &mut n, case.setup);
    let before = snapshot(w.d, &n);
    let bytes = case.send.render(&n);
    let out = exchange(&via.socket, &bytes, want_hostile, &heads, linger);
    let fx = effects(w.d, &n, &before);
    cleanup(w.d, &n, case.setup);
    let successes: Vec<String> = out
        .resps
        .iter()
        .enumerate()
        .filter(|(i, r)| *i == case.lead && r.success())
        .map(|(i, r)| format!("response {i}: {}", r.brief()))
        .collect();
    let request = escape(&bytes.concat());
    t.log.push(format!("    sockeye: {}", out.brief()));
    if !successes.is_empty() || !fx.is_empty() {
        let mut what = successes;
        what.extend(fx);
        t.failures.push(format!(
            "{id}: BYPASS through sockeye: {}\n      request: {request}\n      responses: {}",
            what.join("; "),
            out.brief()
        ));
    } else if let Some(why) = expected_refusal(&case.want, out.resps.get(case.lead), &out) {
        t.failures.push(format!(
            "{id}: refused, but not as expected ({why}): {}\n      request: {request}",
            out.brief()
        ));
    } else {
        t.refused += 1;
        t.classes.get_mut(case.class).unwrap().1 += 1;
    }

    // 3. The twin, through sockeye.
    let Some(twin) = &case.twin else { return };
    t.twins += 1;
    t.classes.get_mut(case.class).unwrap().2 += 1;
    // A twin in an API version the engine no longer serves (`/v1.23/…` on an engine whose
    // minimum is 1.24) fails directly too: through sockeye it must then fail the same way.
    let too_old = request_api_version(&twin.render(&Names::fresh(&w.targets, w.d)))
        .is_some_and(|v| v < common::engine::min_api_version());
    let direct = (case.twin_like_daemon || too_old).then(|| {
        let mut n = Names::fresh(&w.targets, w.d);
        setup(w.d, &mut n, case.setup);
        let out = exchange(
            w.d,
            &twin.render(&n),
            twin.requests(),
            &twin.heads(),
            Duration::ZERO,
        );
        cleanup(w.d, &n, case.setup);
        out.resps.iter().map(|r| r.status).collect::<Vec<_>>()
    });
    let mut n = Names::fresh(&w.targets, w.d);
    setup(w.d, &mut n, case.setup);
    let bytes = twin.render(&n);
    let out = exchange(
        &via.socket,
        &bytes,
        twin.requests(),
        &twin.heads(),
        Duration::ZERO,
    );
    cleanup(w.d, &n, case.setup);
    t.log.push(format!("    twin:    {}", out.brief()));
    let statuses: Vec<u16> = out.resps.iter().map(|r| r.status).collect();
    let all_from_daemon = out.resps.iter().all(Resp::by_daemon);
    let ok = out.resps.len() == twin.requests()
        && all_from_daemon
        && match &direct {
            Some(direct) => *direct == statuses,
            None => out.resps.iter().all(Resp::success),
        };
    if ok {
        t.twins_ok += 1;
        t.classes.get_mut(case.class).unwrap().3 += 1;
    } else {
        t.failures.push(format!(
            "{id}: TWIN failed through sockeye{}: {}\n      request: {}",
            direct
                .map(|d| format!(" (the daemon answers it directly with {d:?})"))
                .unwrap_or_default(),
            out.brief(),
            escape(&bytes.concat())
        ));
    }
}

/// The API version in the first request line's path (`POST /v1.23/…` → (1, 23)), if any.
fn request_api_version(bytes: &[Vec<u8>]) -> Option<(u32, u32)> {
    let first = bytes.first()?;
    let line = String::from_utf8_lossy(&first[..first.len().min(200)]).into_owned();
    let path = line.split_whitespace().nth(1)?;
    let v = path.strip_prefix("/v")?.split('/').next()?;
    let (major, minor) = v.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[test]
fn no_escape_refuses_the_hostile_corpus_and_passes_every_twin() {
    let Some(daemon) = common::daemon() else {
        return;
    };
    let d = daemon.socket.as_path();
    let started = Instant::now();
    let sk = Sockeye::start_with(d, &["--profile", "no-escape"]);
    let small_limit = SMALL_MAX_BODY.to_string();
    let small = Sockeye::start_with(d, &["--profile", "no-escape", "--max-body", &small_limit]);
    let (_, version) = api(d, "GET", "/version", None);
    let api_version = version["ApiVersion"].as_str().unwrap_or("?").to_owned();
    let target = Target::start(d);
    let world = World {
        d,
        sk: &sk,
        small: &small,
        targets: target.names.clone(),
        annotated: api_version == ANNOTATED_API,
    };

    let corpus = hostile::corpus();
    let mut seen = std::collections::HashSet::new();
    for c in &corpus {
        assert!(
            seen.insert((c.class, c.name)),
            "duplicate case {}/{}",
            c.class,
            c.name
        );
    }
    let mut tally = Tally::default();
    for case in &corpus {
        run_case(&world, case, &mut tally);
    }
    drop(target);

    let mut report = String::new();
    let _ = writeln!(
        report,
        "\nhostile corpus against dockerd API {api_version} through sockeye --profile no-escape \
         ({:.1} s):",
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(
        report,
        "  {:<16} {:>7} {:>8} {:>6} {:>7}",
        "class", "hostile", "refused", "twins", "passed"
    );
    for (class, (h, r, tw, tp)) in &tally.classes {
        let _ = writeln!(report, "  {class:<16} {h:>7} {r:>8} {tw:>6} {tp:>7}");
    }
    let _ = writeln!(
        report,
        "  {} hostile refused of {}, {} twins passed of {}; the daemon acted on {} of them when \
         sent directly, {} are marked as refused or ignored by the daemon itself",
        tally.refused,
        tally.hostile,
        tally.twins_ok,
        tally.twins,
        tally.daemon_accepts,
        tally.daemon_refuses.len()
    );
    if std::env::var_os("SOCKEYE_GUARD_VERBOSE").is_some() {
        for line in &tally.log {
            let _ = writeln!(report, "  {line}");
        }
        let _ = writeln!(report, "  daemon refuses or ignores:");
        for line in tally.daemon_refuses.iter().chain(&tally.notes) {
            let _ = writeln!(report, "  note: {line}");
        }
    } else {
        for line in &tally.notes {
            let _ = writeln!(report, "  note: {line}");
        }
    }
    // Straight to fd 2: libtest captures the output of passing tests, and the summary is the
    // point of this test.
    let _ = std::io::stderr().write_all(report.as_bytes());

    assert!(
        tally.failures.is_empty(),
        "{} of {} cases failed:\n  {}\n{report}--- sockeye log (tail):\n{}",
        tally.failures.len(),
        corpus.len(),
        tally.failures.join("\n  "),
        common::tail(&sk.log(), 6000)
    );
    assert!(
        tally.refused >= 100,
        "the corpus must hold at least 100 hostile requests; {} were refused",
        tally.refused
    );
}

/// A legacy top-level HostConfig field beside a `HostConfig` object is ignored by every
/// engine, so sockeye relays it instead of refusing it, and the container it creates is
/// exactly the one the same body creates directly: not privileged.
#[test]
fn a_legacy_top_level_field_beside_a_host_config_is_relayed_and_configures_nothing() {
    let Some(daemon) = common::daemon() else {
        return;
    };
    let d = daemon.socket.as_path();
    let sk = Sockeye::start_with(d, &["--profile", "no-escape"]);
    for (via, socket) in [("direct", d), ("sockeye", sk.socket.as_path())] {
        let name = format!("sk{}-guard-beside-{via}", std::process::id());
        let body = json!({"Image": IMAGE, "Cmd": ["true"], "HostConfig": {}, "Privileged": true});
        let (status, v) = api(
            socket,
            "POST",
            &format!("/v1.41/containers/create?name={name}"),
            Some(&body),
        );
        assert_eq!(status, 201, "{via}: {v}");
        let (_, inspect) = api(d, "GET", &format!("/containers/{name}/json"), None);
        api(d, "DELETE", &format!("/containers/{name}?force=1"), None);
        assert_eq!(inspect["HostConfig"]["Privileged"], false, "{via}");
    }
}

/// The rename race: sockeye decides on `web` as the daemon holds it, and between that decision
/// and the forward `web` is renamed away and a container that mounts the host's root takes its
/// name. Whatever the order the daemon's events arrive in, the exec lands in the container
/// that was judged (the request is pinned to its full ID) or is refused — never in the
/// dangerous one.
#[test]
fn a_rename_between_decision_and_forward_never_lands_in_the_container_nobody_judged() {
    let Some(daemon) = common::daemon() else {
        return;
    };
    let d = daemon.socket.as_path();
    let sk = Sockeye::start_with(d, &["--profile", "no-escape"]);
    let p = format!("sk{}-race", std::process::id());
    let make = |name: &str, host_config: Value| -> String {
        let (status, v) = api(
            d,
            "POST",
            &format!("/containers/create?name={name}"),
            Some(&json!({"Image": IMAGE, "Cmd": ["sleep", "60"], "HostConfig": host_config})),
        );
        assert_eq!(status, 201, "create {name}: {v}");
        let id = v["Id"].as_str().unwrap().to_owned();
        let (status, v) = api(d, "POST", &format!("/containers/{id}/start"), None);
        assert_eq!(status, 204, "start {name}: {v}");
        id
    };
    let execs = |id: &str| -> usize {
        let (_, v) = api(d, "GET", &format!("/containers/{id}/json"), None);
        v["ExecIDs"].as_array().map_or(0, Vec::len)
    };
    let mut landed_in_judged = 0;
    for round in 0..6 {
        let web = format!("{p}-web");
        let judged = make(&web, json!({}));
        // Warm the cache with the harmless one, as a client using it would.
        let warm = exchange(
            &sk.socket,
            &[http(
                "POST",
                &format!("/v1.41/containers/{web}/exec"),
                &["Content-Type: application/json"],
                br#"{"Cmd":["true"]}"#,
            )],
            1,
            &[],
            Duration::ZERO,
        );
        assert_eq!(
            warm.resps.first().map(|r| r.status),
            Some(201),
            "round {round}"
        );
        // The swap, straight on the daemon.
        let (status, _) = api(
            d,
            "POST",
            &format!("/containers/{judged}/rename?name={p}-old{round}"),
            None,
        );
        assert_eq!(status, 204);
        let dangerous = make(&web, json!({"Binds": ["/:/host"]}));
        let before = (execs(&judged), execs(&dangerous));
        let out = exchange(
            &sk.socket,
            &[http(
                "POST",
                &format!("/v1.41/containers/{web}/exec"),
                &["Content-Type: application/json"],
                br#"{"Cmd":["true"]}"#,
            )],
            1,
            &[],
            Duration::ZERO,
        );
        let status = out.resps.first().map(|r| r.status);
        assert_eq!(
            execs(&dangerous),
            before.1,
            "round {round}: an exec landed in the container that mounts / ({status:?})"
        );
        match status {
            Some(201) => {
                assert_eq!(execs(&judged), before.0 + 1, "round {round}");
                landed_in_judged += 1;
            }
            Some(403) => {}
            other => panic!("round {round}: {other:?}: {}", out.brief()),
        }
        for id in [&judged, &dangerous] {
            api(d, "DELETE", &format!("/containers/{id}?force=1"), None);
        }
    }
    // Both outcomes are correct; say which this run saw.
    let _ = writeln!(
        std::io::stderr(),
        "rename race: {landed_in_judged} of 6 execs landed in the judged container (cached \
         answer), the rest were refused (fresh lookup)"
    );
}
