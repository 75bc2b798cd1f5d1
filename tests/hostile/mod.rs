//! The corpus of `tests/guard.rs`: requests that could give their sender root on the host,
//! each with the refusal sockeye must answer and, where one exists, its legitimate twin.
//!
//! Placeholders, filled with fresh names for every run: `{c}` what the hostile request would
//! create (container, plugin, service), `{x}` what a harmless carrier request may create,
//! `{v}` a volume, `{tag}` an image tag, `{f}` a file name, `{t}` the target container (an
//! ordinary one with a plain named volume), `{dt}` the dangerous target (host pid, a host
//! directory and a bind volume onto `/`), `{tid}`/`{dtid}` their ID prefixes, `{bv}` a
//! local volume made with `o=bind,device=/`, `{img}` the test image, `{sock}` the daemon's own
//! socket path.
//!
//! What dockerd does with each case was checked against dockerd 20.10.24 (API 1.41), the
//! daemon `scripts/dockerd.sh` runs; see `shared/reference/dockerd-behaviour.md` §2 and §6
//! and `socket-proxy-landscape.md` §4 for the bypass classes.

use crate::{chunked, http, Names, SMALL_MAX_BODY};

mod newer;

/// A request body, with the content type that goes with it (unless the case sets one).
#[derive(Clone)]
pub enum Body {
    None,
    Json(String),
    Form(String),
    /// A one-file tar archive: name, content.
    Tar(&'static str, String),
}

#[derive(Clone)]
pub enum Request {
    /// One request with ordinary framing.
    Req {
        method: &'static str,
        target: String,
        headers: Vec<String>,
        body: Body,
    },
    /// Bytes as they are, in one write per element; `requests` is how many responses a
    /// server that allowed everything would give, `heads` the indexes of those that answer
    /// a HEAD.
    Raw {
        requests: usize,
        heads: &'static [usize],
        bytes: fn(&Names) -> Vec<Vec<u8>>,
    },
}

/// How sockeye must answer the hostile request.
#[derive(Clone, Debug)]
pub enum Want {
    /// 403, denied by this rule.
    Deny(&'static str),
    /// 400 from sockeye: it will not read the request (a path dockerd would redirect or
    /// reject, `%2F`, ambiguous JSON, top-level HostConfig fields, a bad query).
    Unreadable,
    /// 413 from sockeye.
    TooLarge,
    /// Not HTTP/1 sockeye accepts: an error that is not the daemon's, or a closed connection.
    Malformed,
    /// No response at all: the request never existed as a request (it was body bytes, or
    /// stream bytes after an upgrade).
    Swallowed,
}

impl Want {
    pub fn describe(&self) -> String {
        match self {
            Want::Deny(rule) => format!("403 denied by rule {rule}"),
            Want::Unreadable => "400 from sockeye".into(),
            Want::TooLarge => "413 from sockeye".into(),
            Want::Malformed => "an error not from the daemon, or a closed connection".into(),
            Want::Swallowed => "no response to it".into(),
        }
    }
}

/// What dockerd itself does with the hostile request, sent directly.
#[derive(Clone, Copy, Debug)]
pub enum Daemon {
    /// It acts on it (2xx, or a visible effect).
    Accepts,
    /// It refuses it on its own, for this reason (the case still counts: a proxy must not
    /// depend on that, and other daemon versions differ).
    Refuses(&'static str),
    /// It accepts it but what it does is harmless on this daemon, for this reason.
    Harmless(&'static str),
    /// Not sent directly, for this reason.
    NotSent(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// The shared running target is `{t}`.
    None,
    /// `{t}` is a fresh created (not started) container.
    Created,
}

/// The object whose inspect output proves what dockerd made of the request.
#[derive(Clone, Copy, Debug)]
pub enum Obj {
    Container,
    Target,
    Volume,
}

pub struct Case {
    pub class: &'static str,
    pub name: &'static str,
    pub send: Request,
    pub want: Want,
    /// Responses that precede the hostile one on the connection (pipelined carriers).
    pub lead: usize,
    pub setup: Setup,
    /// Through the sockeye instance with `--max-body SMALL_MAX_BODY`.
    pub small: bool,
    pub daemon: Daemon,
    /// Sent directly, the daemon's inspect of this object shows this JSON at this pointer.
    pub proof: Option<(Obj, &'static str, &'static str)>,
    pub twin: Option<Request>,
    /// The twin is judged by the daemon's own answer to it (services without a swarm).
    pub twin_like_daemon: bool,
}

impl Case {
    fn new(class: &'static str, name: &'static str, send: Request, want: Want) -> Case {
        Case {
            class,
            name,
            send,
            want,
            lead: 0,
            setup: Setup::None,
            small: false,
            daemon: Daemon::Accepts,
            proof: None,
            twin: None,
            twin_like_daemon: false,
        }
    }
    fn twin(mut self, s: Request) -> Case {
        self.twin = Some(s);
        self
    }
    fn twin_like_daemon(mut self, s: Request) -> Case {
        self.twin = Some(s);
        self.twin_like_daemon = true;
        self
    }
    fn lead(mut self, n: usize) -> Case {
        self.lead = n;
        self
    }
    fn created_target(mut self) -> Case {
        self.setup = Setup::Created;
        self
    }
    fn small(mut self) -> Case {
        self.small = true;
        self
    }
    fn refused_by_daemon(mut self, why: &'static str) -> Case {
        self.daemon = Daemon::Refuses(why);
        self
    }
    fn harmless(mut self, why: &'static str) -> Case {
        self.daemon = Daemon::Harmless(why);
        self
    }
    fn not_sent(mut self, why: &'static str) -> Case {
        self.daemon = Daemon::NotSent(why);
        self
    }
    fn proof(mut self, obj: Obj, pointer: &'static str, json: &'static str) -> Case {
        self.proof = Some((obj, pointer, json));
        self
    }
}

const DENY: Want = Want::Deny("no-escape");
const PRIV: &str = r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privileged":true}}"#;
const PLAIN: &str = r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privileged":false}}"#;
const CREATE: &str = "/v1.41/containers/create?name={c}";

fn req(method: &'static str, target: &str, headers: &[&str], body: Body) -> Request {
    Request::Req {
        method,
        target: target.to_owned(),
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        body,
    }
}

fn post(target: &str, json: &str) -> Request {
    req("POST", target, &[], Body::Json(json.to_owned()))
}

fn create(json: &str) -> Request {
    post(CREATE, json)
}

/// A create body with these HostConfig members.
fn hc(fields: &str) -> String {
    format!(r#"{{"Image":"{{img}}","Cmd":["true"],"HostConfig":{{{fields}}}}}"#)
}

fn create_hc(fields: &str) -> Request {
    create(&hc(fields))
}

/// A raw container create named `name` (a placeholder) with this JSON and extra headers.
fn create_raw(n: &Names, name: &str, json: &str, extra: &[&str]) -> Vec<u8> {
    let mut hs = vec!["Content-Type: application/json"];
    hs.extend_from_slice(extra);
    http(
        "POST",
        &n.fill(&format!("/v1.41/containers/create?name={name}")),
        &hs,
        n.fill(json).as_bytes(),
    )
}

/// A chunked create: head and chunked body.
fn create_chunked(n: &Names, name: &str, json: &str, body: &dyn Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut out = format!(
        "POST /v1.41/containers/create?name={} HTTP/1.1\r\nHost: docker\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        n.fill(name)
    )
    .into_bytes();
    out.extend(body(n.fill(json).as_bytes()));
    out
}

/// `head` (request line and headers, no blank line) followed by `body` with its exact length.
fn with_length(head: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("{head}\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// The create body padded with environment entries to more than `SMALL_MAX_BODY` bytes,
/// with the privileged flag after the padding.
fn padded(n: &Names, privileged: bool, target_len: usize) -> Vec<u8> {
    let mut env = Vec::new();
    let mut len = 0;
    let mut i = 0;
    while len < target_len {
        let e = format!("\"PAD{i}=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"");
        len += e.len() + 1;
        env.push(e);
        i += 1;
    }
    n.fill(&format!(
        r#"{{"Image":"{{img}}","Cmd":["true"],"Env":[{}],"HostConfig":{{"Privileged":{privileged}}}}}"#,
        env.join(",")
    ))
    .into_bytes()
}

/// An HTTP/2 (prior knowledge) privileged create on stream 1: preface, SETTINGS, HEADERS
/// (HPACK literals without indexing), DATA.
fn h2_create(n: &Names, json: &str) -> Vec<u8> {
    let body = n.fill(json).into_bytes();
    let path = n.fill(CREATE);
    let len = body.len().to_string();
    let mut block = Vec::new();
    for (k, v) in [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", path.as_str()),
        (":authority", "docker"),
        ("content-type", "application/json"),
        ("content-length", len.as_str()),
    ] {
        block.push(0x00);
        block.push(k.len() as u8);
        block.extend_from_slice(k.as_bytes());
        block.push(v.len() as u8);
        block.extend_from_slice(v.as_bytes());
    }
    let frame = |kind: u8, flags: u8, stream: u32, payload: &[u8]| {
        let l = payload.len();
        let mut f = vec![(l >> 16) as u8, (l >> 8) as u8, l as u8, kind, flags];
        f.extend_from_slice(&stream.to_be_bytes());
        f.extend_from_slice(payload);
        f
    };
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend(frame(0x4, 0, 0, &[]));
    out.extend(frame(0x1, 0x4, 1, &block));
    out.extend(frame(0x0, 0x1, 1, &body));
    out
}

fn build_tar() -> Body {
    Body::Tar("Dockerfile", "FROM {img}\nRUN cat /proc/net/dev\n".into())
}

fn build(query: &str) -> Request {
    req(
        "POST",
        &format!("/v1.41/build?t={{tag}}&rm=1&forcerm=1{query}"),
        &[],
        build_tar(),
    )
}

fn archive(target: &str) -> Request {
    req(
        "PUT",
        target,
        &[],
        Body::Tar("{f}", "written through the socket\n".into()),
    )
}

fn service(spec: &str) -> String {
    format!(r#"{{"Name":"{{c}}","TaskTemplate":{{"ContainerSpec":{{"Image":"{{img}}"{spec}}}}}}}"#)
}

const NO_SWARM: &str = "no swarm on the test daemon: 503 (the guard must still deny the spec)";

pub fn corpus() -> Vec<Case> {
    let mut v = Vec::new();
    privileged(&mut v);
    capabilities(&mut v);
    binds(&mut v);
    mounts(&mut v);
    volumes(&mut v);
    namespaces(&mut v);
    devices(&mut v);
    security_opt(&mut v);
    system_paths(&mut v);
    kernel(&mut v);
    newer::newer_fields(&mut v);
    exec(&mut v);
    legacy_start(&mut v);
    update(&mut v);
    services(&mut v);
    plugins(&mut v);
    archive_uploads(&mut v);
    state(&mut v);
    builds(&mut v);
    newer::podman(&mut v);
    paths(&mut v);
    framing(&mut v);
    v
}

fn privileged(v: &mut Vec<Case>) {
    let k = "privileged";
    let p = |name, body: &str, want, twin: &str| {
        Case::new(k, name, create(body), want).twin(create(twin))
    };
    v.push(p("canonical spelling", PRIV, DENY, PLAIN).proof(
        Obj::Container,
        "/HostConfig/Privileged",
        "true",
    ));
    v.push(
        p(
            "lower-case keys",
            r#"{"image":"{img}","cmd":["true"],"hostconfig":{"privileged":true}}"#,
            DENY,
            r#"{"image":"{img}","cmd":["true"],"hostconfig":{"privileged":false}}"#,
        )
        .proof(Obj::Container, "/HostConfig/Privileged", "true"),
    );
    v.push(p(
        "upper-case keys",
        r#"{"IMAGE":"{img}","CMD":["true"],"HOSTCONFIG":{"PRIVILEGED":true}}"#,
        DENY,
        r#"{"IMAGE":"{img}","CMD":["true"],"HOSTCONFIG":{"PRIVILEGED":false}}"#,
    ));
    v.push(p(
        "mixed-case keys",
        r#"{"iMaGe":"{img}","cMd":["true"],"hOsTcOnFiG":{"pRiViLeGeD":true}}"#,
        DENY,
        r#"{"iMaGe":"{img}","cMd":["true"],"hOsTcOnFiG":{"pRiViLeGeD":false}}"#,
    ));
    v.push(
        p(
            "escaped letter in the key",
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privil\u0065ged":true}}"#,
            DENY,
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privil\u0065ged":false}}"#,
        )
        .proof(Obj::Container, "/HostConfig/Privileged", "true"),
    );
    v.push(p(
        "escaped first letter of HostConfig",
        r#"{"Image":"{img}","Cmd":["true"],"\u0048ostConfig":{"Privileged":true}}"#,
        DENY,
        r#"{"Image":"{img}","Cmd":["true"],"\u0048ostConfig":{"Privileged":false}}"#,
    ));
    v.push(p(
        "every letter escaped, lower-case hex",
        r#"{"Image":"{img}","Cmd":["true"],"\u0068\u006f\u0073\u0074\u0063\u006f\u006e\u0066\u0069\u0067":{"\u0070\u0072\u0069\u0076\u0069\u006c\u0065\u0067\u0065\u0064":true}}"#,
        DENY,
        r#"{"Image":"{img}","Cmd":["true"],"\u0068\u006f\u0073\u0074\u0063\u006f\u006e\u0066\u0069\u0067":{"\u0070\u0072\u0069\u0076\u0069\u006c\u0065\u0067\u0065\u0064":false}}"#,
    ));
    v.push(
        p(
            "long s (U+017F, escaped) for the s of HostConfig",
            r#"{"Image":"{img}","Cmd":["true"],"Ho\u017ftConfig":{"Privileged":true}}"#,
            DENY,
            r#"{"Image":"{img}","Cmd":["true"],"Ho\u017ftConfig":{"Privileged":false}}"#,
        )
        .proof(Obj::Container, "/HostConfig/Privileged", "true"),
    );
    v.push(p(
        "long s (U+017F, raw UTF-8) for the s of HostConfig",
        r#"{"Image":"{img}","Cmd":["true"],"hoſtconfig":{"privileged":true}}"#,
        DENY,
        r#"{"Image":"{img}","Cmd":["true"],"hoſtconfig":{"privileged":false}}"#,
    ));
    v.push(p(
        "whitespace everywhere",
        "{\n\t\"Image\" :\t\"{img}\" , \"Cmd\":[\"true\"],\r\n \"HostConfig\"\t:\n{ \"Privileged\" :\ttrue }\n}\n",
        DENY,
        "{\n\t\"Image\" :\t\"{img}\" , \"Cmd\":[\"true\"],\r\n \"HostConfig\"\t:\n{ \"Privileged\" :\tfalse }\n}\n",
    ));
    v.push(p(
        "unknown members around it",
        r#"{"Image":"{img}","Cmd":["true"],"Xyz":1,"HostConfig":{"Foo":{"Privileged":false},"Privileged ":false,"Privileged":true}}"#,
        DENY,
        r#"{"Image":"{img}","Cmd":["true"],"Xyz":1,"HostConfig":{"Foo":{"Privileged":false},"Privileged ":false}}"#,
    ));
    v.push(
        Case::new(
            k,
            "after 100 KiB of environment",
            Request::Raw {
                requests: 1,
                heads: &[],
                bytes: |n| vec![create_raw_bytes(n, &padded(n, true, 100 * 1024))],
            },
            DENY,
        )
        .twin(Request::Raw {
            requests: 1,
            heads: &[],
            bytes: |n| vec![create_raw_bytes(n, &padded(n, false, 100 * 1024))],
        }),
    );
    // Ambiguous spellings: refused whole, never guessed at.
    v.push(
        p(
            "duplicate key, the last one true",
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privileged":false,"Privileged":true}}"#,
            Want::Unreadable,
            PLAIN,
        )
        .proof(Obj::Container, "/HostConfig/Privileged", "true"),
    );
    v.push(
        p(
            "duplicate key differing in case",
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privileged":false,"privileged":true}}"#,
            Want::Unreadable,
            PLAIN,
        )
        .proof(Obj::Container, "/HostConfig/Privileged", "true"),
    );
    v.push(p(
        "duplicate key, the second escaped",
        r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privileged":false,"Privil\u0065ged":true}}"#,
        Want::Unreadable,
        PLAIN,
    ));
    v.push(
        p(
            "two HostConfig objects, merged by dockerd",
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privileged":true},"HostConfig":{"CapAdd":["CHOWN"]}}"#,
            Want::Unreadable,
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privileged":false,"CapAdd":["CHOWN"]}}"#,
        )
        .proof(Obj::Container, "/HostConfig/Privileged", "true"),
    );
    v.push(
        p(
            "second HostConfig spelt with a long s",
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"CapAdd":["CHOWN"]},"Hoſtconfig":{"Privileged":true}}"#,
            Want::Unreadable,
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"CapAdd":["CHOWN"]}}"#,
        )
        .proof(Obj::Container, "/HostConfig/Privileged", "true"),
    );
    v.push(
        p(
            "top-level Privileged, no HostConfig",
            r#"{"Image":"{img}","Cmd":["true"],"Privileged":true}"#,
            Want::Unreadable,
            r#"{"Image":"{img}","Cmd":["true"]}"#,
        )
        .proof(Obj::Container, "/HostConfig/Privileged", "true"),
    );
    v.push(p(
        "top-level privileged, lower case",
        r#"{"Image":"{img}","Cmd":["true"],"privileged":true}"#,
        Want::Unreadable,
        r#"{"Image":"{img}","Cmd":["true"]}"#,
    ));
    v.push(
        p(
            "top-level Privileged with HostConfig null",
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":null,"Privileged":true}"#,
            Want::Unreadable,
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":null}"#,
        )
        .proof(Obj::Container, "/HostConfig/Privileged", "true"),
    );
    // dockerode's docker.run() sends the legacy top-level "Volumes": {} and "VolumesFrom": []
    // with every run: empty, so no engine configures anything with them, and relayed. A
    // non-empty HostConfig field beside them is what ≤ 26 applies and ≥ 27 ignores.
    v.push(
        p(
            "top-level Binds in dockerode's run body",
            r#"{"Image":"{img}","Cmd":["true"],"Volumes":{},"VolumesFrom":[],"Binds":["/:/host"]}"#,
            Want::Unreadable,
            r#"{"Image":"{img}","Cmd":["true"],"Volumes":{},"VolumesFrom":[]}"#,
        )
        .proof(Obj::Container, "/HostConfig/Binds", r#"["/:/host"]"#),
    );
    v.push(
        p(
            "top-level Privileged beside an empty top-level field",
            r#"{"Image":"{img}","Cmd":["true"],"Privileged":true,"VolumesFrom":[]}"#,
            Want::Unreadable,
            // Beside a HostConfig object every engine ignores the top-level copy.
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{},"Privileged":true}"#,
        )
        .proof(Obj::Container, "/HostConfig/Privileged", "true"),
    );
    v.push(
        p(
            "a second JSON document",
            r#"{"Image":"{img}","Cmd":["true"]}{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privileged":true}}"#,
            Want::Unreadable,
            r#"{"Image":"{img}","Cmd":["true"]}"#,
        )
        .harmless("20.10 decodes the first document only (master refuses trailing data)"),
    );
}

fn create_raw_bytes(n: &Names, body: &[u8]) -> Vec<u8> {
    http(
        "POST",
        &n.fill(CREATE),
        &["Content-Type: application/json"],
        body,
    )
}

fn capabilities(v: &mut Vec<Case>) {
    let k = "capabilities";
    let cap = |name, fields: &str, twin: &str| {
        Case::new(k, name, create_hc(fields), DENY).twin(create_hc(twin))
    };
    v.push(
        cap(
            "SYS_ADMIN",
            r#""CapAdd":["SYS_ADMIN"]"#,
            r#""CapAdd":["CHOWN"]"#,
        )
        .proof(Obj::Container, "/HostConfig/CapAdd", r#"["SYS_ADMIN"]"#),
    );
    v.push(cap(
        "CAP_SYS_ADMIN",
        r#""CapAdd":["CAP_SYS_ADMIN"]"#,
        r#""CapAdd":["CAP_CHOWN"]"#,
    ));
    v.push(
        cap(
            "sys_admin",
            r#""CapAdd":["sys_admin"]"#,
            r#""CapAdd":["chown"]"#,
        )
        .proof(Obj::Container, "/HostConfig/CapAdd", r#"["sys_admin"]"#),
    );
    v.push(cap(
        "cap_sys_admin",
        r#""CapAdd":["cap_sys_admin"]"#,
        r#""CapAdd":["cap_chown"]"#,
    ));
    v.push(cap(
        "Sys_Admin",
        r#""CapAdd":["Sys_Admin"]"#,
        r#""CapAdd":["Chown"]"#,
    ));
    v.push(cap(
        "long s in ſys_admin",
        r#""CapAdd":["ſys_admin"]"#,
        r#""CapAdd":["chown"]"#,
    ));
    v.push(cap(
        "ALL",
        r#""CapAdd":["ALL"]"#,
        r#""CapAdd":["NET_BIND_SERVICE"]"#,
    ));
    v.push(cap(
        "all",
        r#""CapAdd":["all"]"#,
        r#""CapAdd":["net_bind_service"]"#,
    ));
    v.push(
        cap(
            "CAP_ALL",
            r#""CapAdd":["CAP_ALL"]"#,
            r#""CapAdd":["CAP_NET_BIND_SERVICE"]"#,
        )
        .refused_by_daemon("20.10 knows ALL only without the CAP_ prefix (400)"),
    );
    v.push(cap(
        "a single string, not a list",
        r#""CapAdd":"SYS_ADMIN""#,
        r#""CapAdd":"CHOWN""#,
    ));
    v.push(cap(
        "key capadd",
        r#""capadd":["SYS_ADMIN"]"#,
        r#""capadd":["CHOWN"]"#,
    ));
    v.push(cap(
        "key CAPADD",
        r#""CAPADD":["SYS_ADMIN"]"#,
        r#""CAPADD":["CHOWN"]"#,
    ));
    v.push(cap(
        "key C\\u0061pAdd",
        r#""C\u0061pAdd":["SYS_ADMIN"]"#,
        r#""C\u0061pAdd":["CHOWN"]"#,
    ));
    v.push(cap(
        "SYS_PTRACE",
        r#""CapAdd":["SYS_PTRACE"]"#,
        r#""CapAdd":["CHOWN"]"#,
    ));
    v.push(cap(
        "SYS_MODULE",
        r#""CapAdd":["SYS_MODULE"]"#,
        r#""CapAdd":["CHOWN"]"#,
    ));
    v.push(cap(
        "NET_ADMIN",
        r#""CapAdd":["NET_ADMIN"]"#,
        r#""CapAdd":["CHOWN"]"#,
    ));
    v.push(cap(
        "DAC_READ_SEARCH",
        r#""CapAdd":["DAC_READ_SEARCH"]"#,
        r#""CapAdd":["CHOWN"]"#,
    ));
    v.push(cap(
        "SYS_RAWIO",
        r#""CapAdd":["SYS_RAWIO"]"#,
        r#""CapAdd":["CHOWN"]"#,
    ));
    v.push(cap(
        "hidden in a list of harmless ones",
        r#""CapAdd":["CHOWN","KILL","SYS_ADMIN","SETUID"]"#,
        r#""CapAdd":["CHOWN","KILL","SETUID"]"#,
    ));
}

fn binds(v: &mut Vec<Case>) {
    let k = "binds";
    let b = |name, fields: &str| {
        Case::new(k, name, create_hc(fields), DENY).twin(create_hc(r#""Binds":["{v}:/data"]"#))
    };
    v.push(b("/ to /h", r#""Binds":["/:/h"]"#).proof(
        Obj::Container,
        "/HostConfig/Binds",
        r#"["/:/h"]"#,
    ));
    v.push(b("/etc read-only", r#""Binds":["/etc:/x:ro"]"#));
    v.push(b(
        "/var/run/docker.sock",
        r#""Binds":["/var/run/docker.sock:/var/run/docker.sock"]"#,
    ));
    v.push(b(
        "the daemon's own socket",
        r#""Binds":["{sock}:/docker.sock"]"#,
    ));
    v.push(b("/tmp/.. (is /)", r#""Binds":["/tmp/../:/h"]"#));
    v.push(b("/etc/ with a trailing slash", r#""Binds":["/etc/:/x"]"#));
    v.push(b("//etc (double slash)", r#""Binds":["//etc:/x"]"#));
    v.push(b("/./etc/./ (dot segments)", r#""Binds":["/./etc/./:/x"]"#));
    v.push(b("/proc", r#""Binds":["/proc:/p"]"#));
    v.push(b("/dev", r#""Binds":["/dev:/dev"]"#));
    v.push(b("/root read-write", r#""Binds":["/root:/r:rw"]"#));
    v.push(b("/var/lib/docker", r#""Binds":["/var/lib/docker:/d"]"#));
    v.push(b("JSON-escaped slashes", r#""Binds":["\/etc:\/x"]"#).proof(
        Obj::Container,
        "/HostConfig/Binds",
        r#"["/etc:/x"]"#,
    ));
    v.push(b("\\u002f-escaped slash", r#""Binds":["\u002fetc:/x"]"#));
    v.push(b(
        "with rshared propagation",
        r#""Binds":["/tmp:/t:rshared"]"#,
    ));
    v.push(b("key binds", r#""binds":["/:/h"]"#));
    v.push(b("key BINDS", r#""BINDS":["/:/h"]"#));
    v.push(
        b("key Bindſ (long s, raw UTF-8)", r#""Bindſ":["/:/h"]"#).proof(
            Obj::Container,
            "/HostConfig/Binds",
            r#"["/:/h"]"#,
        ),
    );
    v.push(b(
        "key Bind\\u017f (long s, escaped)",
        r#""Bind\u017f":["/:/h"]"#,
    ));
    v.push(b(
        "behind a named volume",
        r#""Binds":["{v}:/data","/:/h"]"#,
    ));
}

fn mounts(v: &mut Vec<Case>) {
    let k = "mounts";
    let m = |name, mounts: &str| {
        Case::new(
            k,
            name,
            create_hc(&format!(r#""Mounts":[{mounts}]"#)),
            DENY,
        )
        .twin(create_hc(
            r#""Mounts":[{"Type":"volume","Source":"{v}","Target":"/d"},{"Type":"tmpfs","Target":"/t"}]"#,
        ))
    };
    v.push(
        m("bind /", r#"{"Type":"bind","Source":"/","Target":"/h"}"#).proof(
            Obj::Container,
            "/HostConfig/Mounts/0/Source",
            r#""/""#,
        ),
    );
    v.push(m(
        "lower-case keys",
        r#"{"type":"bind","source":"/etc","target":"/x"}"#,
    ));
    v.push(m(
        "Source spelt with a long s",
        r#"{"Type":"bind","\u017fource":"/etc","Target":"/x"}"#,
    ));
    v.push(m(
        "/etc/../ (is /)",
        r#"{"Type":"bind","Source":"/etc/../","Target":"/h"}"#,
    ));
    v.push(m(
        "the daemon's own socket",
        r#"{"Type":"bind","Source":"{sock}","Target":"/s"}"#,
    ));
    v.push(m(
        "read-only /",
        r#"{"Type":"bind","Source":"/","Target":"/h","ReadOnly":true}"#,
    ));
    v.push(m(
        "BindOptions rshared",
        r#"{"Type":"bind","Source":"/tmp","Target":"/t","BindOptions":{"Propagation":"rshared"}}"#,
    ));
    v.push(m(
        "BindOptions NonRecursive",
        r#"{"Type":"bind","Source":"/","Target":"/h","BindOptions":{"NonRecursive":true}}"#,
    ));
    v.push(m(
        "bindoptions lower case",
        r#"{"type":"bind","source":"/","target":"/h","bindoptions":{"propagation":"rslave"}}"#,
    ));
    v.push(m(
        "behind a tmpfs mount",
        r#"{"Type":"tmpfs","Target":"/t"},{"Type":"bind","Source":"/root","Target":"/r"}"#,
    ));
    let vol = |opts: &str| {
        format!(
            r#"{{"Type":"volume","Source":"{{v}}","Target":"/h","VolumeOptions":{{"DriverConfig":{{"Name":"local","Options":{opts}}}}}}}"#
        )
    };
    v.push(
        m(
            "volume with local driver o=bind device=/",
            &vol(r#"{"type":"none","o":"bind","device":"/"}"#),
        )
        .proof(Obj::Volume, "/Options/device", r#""/""#),
    );
    v.push(m(
        "volume o=rbind device=/etc",
        &vol(r#"{"type":"none","o":"rbind","device":"/etc"}"#),
    ));
    v.push(m(
        "volume o=ro,bind",
        &vol(r#"{"type":"none","o":"ro,bind","device":"/"}"#),
    ));
    v.push(m(
        "volume with no driver name (local by default)",
        r#"{"Type":"volume","Source":"{v}","Target":"/h","VolumeOptions":{"DriverConfig":{"Options":{"type":"none","o":"bind","device":"/"}}}}"#,
    ));
    v.push(m(
        "volume mounting a block device",
        &vol(r#"{"type":"ext4","device":"/dev/vda"}"#),
    ));
    v.push(m(
        "volume mounting NFS",
        &vol(r#"{"type":"nfs","o":"addr=127.0.0.1,rw","device":":/export"}"#),
    ));
}

fn volumes(v: &mut Vec<Case>) {
    let k = "volumes";
    let twin = || {
        post(
            "/v1.41/volumes/create",
            r#"{"Name":"{v}","Driver":"local"}"#,
        )
    };
    let vc = |name, body: &str| {
        Case::new(k, name, post("/v1.41/volumes/create", body), DENY).twin(twin())
    };
    v.push(
        vc(
            "local o=bind device=/",
            r#"{"Name":"{v}","Driver":"local","DriverOpts":{"type":"none","o":"bind","device":"/"}}"#,
        )
        .proof(Obj::Volume, "/Options/device", r#""/""#),
    );
    v.push(vc(
        "no Driver (local by default)",
        r#"{"Name":"{v}","DriverOpts":{"type":"none","o":"bind","device":"/"}}"#,
    ));
    v.push(
        vc(
            "lower-case keys",
            r#"{"name":"{v}","driver":"local","driveropts":{"type":"none","o":"bind","device":"/etc"}}"#,
        )
        .proof(Obj::Volume, "/Options/device", r#""/etc""#),
    );
    v.push(vc(
        "escaped D of DriverOpts",
        r#"{"Name":"{v}","\u0044riverOpts":{"type":"none","o":"bind","device":"/"}}"#,
    ));
    v.push(vc(
        "o=rbind",
        r#"{"Name":"{v}","DriverOpts":{"type":"none","o":"rbind","device":"/"}}"#,
    ));
    v.push(vc(
        "o=ro,bind",
        r#"{"Name":"{v}","DriverOpts":{"type":"none","o":"ro,bind","device":"/"}}"#,
    ));
    v.push(vc(
        "device /etc/../",
        r#"{"Name":"{v}","DriverOpts":{"type":"none","o":"bind","device":"/etc/../"}}"#,
    ));
    v.push(vc(
        "device is the daemon's socket",
        r#"{"Name":"{v}","DriverOpts":{"type":"none","o":"bind","device":"{sock}"}}"#,
    ));
    v.push(vc(
        "NFS",
        r#"{"Name":"{v}","DriverOpts":{"type":"nfs","o":"addr=127.0.0.1,rw","device":":/export"}}"#,
    ));
    v.push(vc(
        "CIFS",
        r#"{"Name":"{v}","DriverOpts":{"type":"cifs","o":"addr=127.0.0.1,username=u,password=p","device":"//127.0.0.1/share"}}"#,
    ));
    v.push(vc(
        "block device",
        r#"{"Name":"{v}","DriverOpts":{"type":"ext4","device":"/dev/vda"}}"#,
    ));
    v.push(vc(
        "overlay with a host lowerdir",
        r#"{"Name":"{v}","DriverOpts":{"type":"overlay","o":"lowerdir=/etc","device":"overlay"}}"#,
    ));
    v.push(
        Case::new(
            k,
            "encoded path /v1.41/%76olumes/create",
            post(
                "/v1.41/%76olumes/create",
                r#"{"Name":"{v}","DriverOpts":{"type":"none","o":"bind","device":"/"}}"#,
            ),
            DENY,
        )
        .twin(post("/v1.41/%76olumes/create", r#"{"Name":"{v}"}"#)),
    );
    v.push(
        Case::new(
            k,
            "unversioned path",
            post(
                "/volumes/create",
                r#"{"Name":"{v}","DriverOpts":{"type":"none","o":"bind","device":"/"}}"#,
            ),
            DENY,
        )
        .twin(post("/volumes/create", r#"{"Name":"{v}"}"#)),
    );
    // The volume is refused, so the container that binds its name gets a fresh empty one.
    // (A bind volume made by someone else, outside this policy, is another matter: its name
    // says nothing of its options, and a pure policy cannot look them up.)
    v.push(
        Case::new(
            k,
            "bind volume, then a container binding it by name",
            Request::Raw {
                requests: 2,
                heads: &[],
                bytes: |n| {
                    vec![[
                        http(
                            "POST",
                            "/v1.41/volumes/create",
                            &["Content-Type: application/json"],
                            n.fill(r#"{"Name":"{v}","DriverOpts":{"type":"none","o":"bind","device":"/"}}"#)
                                .as_bytes(),
                        ),
                        create_raw(n, "{x}", r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Binds":["{v}:/h"]}}"#, &[]),
                    ]
                    .concat()]
                },
            },
            DENY,
        )
        .twin(Request::Raw {
            requests: 2,
            heads: &[],
            bytes: |n| {
                vec![[
                    http(
                        "POST",
                        "/v1.41/volumes/create",
                        &["Content-Type: application/json"],
                        n.fill(r#"{"Name":"{v}"}"#).as_bytes(),
                    ),
                    create_raw(n, "{x}", r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Binds":["{v}:/h"]}}"#, &[]),
                ]
                .concat()]
            },
        }),
    );
}

fn namespaces(v: &mut Vec<Case>) {
    let k = "namespaces";
    let ns = |name, fields: &str, twin: &str| {
        Case::new(k, name, create_hc(fields), DENY).twin(create_hc(twin))
    };
    v.push(
        ns("PidMode host", r#""PidMode":"host""#, r#""PidMode":"""#).proof(
            Obj::Container,
            "/HostConfig/PidMode",
            r#""host""#,
        ),
    );
    v.push(ns(
        "pidmode host, lower-case key",
        r#""pidmode":"host""#,
        r#""pidmode":"""#,
    ));
    v.push(ns(
        "PidMode container:",
        r#""PidMode":"container:{dt}""#,
        r#""PidMode":"container:{t}""#,
    ));
    v.push(ns(
        "NetworkMode host",
        r#""NetworkMode":"host""#,
        r#""NetworkMode":"bridge""#,
    ));
    v.push(
        ns(
            "Networ\\u212aMode (Kelvin sign) host",
            r#""Networ\u212aMode":"host""#,
            r#""Networ\u212aMode":"none""#,
        )
        .proof(Obj::Container, "/HostConfig/NetworkMode", r#""host""#),
    );
    v.push(ns(
        "NetworkMode host, value escaped",
        r#""NetworkMode":"\u0068ost""#,
        r#""NetworkMode":"\u006eone""#,
    ));
    v.push(ns(
        "NetworkMode container:",
        r#""NetworkMode":"container:{dt}""#,
        r#""NetworkMode":"container:{t}""#,
    ));
    v.push(
        ns("NetworkMode Host (case)", r#""NetworkMode":"Host""#, r#""NetworkMode":"bridge""#)
            .harmless("dockerd compares `host` exactly: Host names a network, which does not exist, so the start fails"),
    );
    v.push(
        Case::new(
            k,
            "EndpointsConfig joins the host network",
            create(r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"NetworkMode":"host"},"NetworkingConfig":{"EndpointsConfig":{"host":{}}}}"#),
            DENY,
        )
        .twin(create(
            r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"NetworkMode":"bridge"},"NetworkingConfig":{"EndpointsConfig":{"bridge":{}}}}"#,
        )),
    );
    v.push(
        Case::new(
            k,
            "EndpointsConfig host beside the default NetworkMode",
            create(r#"{"Image":"{img}","Cmd":["true"],"NetworkingConfig":{"EndpointsConfig":{"host":{}}}}"#),
            DENY,
        )
        .twin(create(
            r#"{"Image":"{img}","Cmd":["true"],"NetworkingConfig":{"EndpointsConfig":{"bridge":{}}}}"#,
        )),
    );
    v.push(ns(
        "IpcMode host",
        r#""IpcMode":"host""#,
        r#""IpcMode":"private""#,
    ));
    v.push(ns(
        "IpcMode container:",
        r#""IpcMode":"container:{dt}""#,
        r#""IpcMode":"container:{t}""#,
    ));
    v.push(ns("UTSMode host", r#""UTSMode":"host""#, r#""UTSMode":"""#));
    v.push(ns(
        "utsmode host, lower-case key",
        r#""utsmode":"host""#,
        r#""utsmode":"""#,
    ));
    v.push(ns(
        "UsernsMode host",
        r#""UsernsMode":"host""#,
        r#""UsernsMode":"""#,
    ));
    v.push(ns(
        "uſernſmode (long s) host",
        r#""uſernſmode":"host""#,
        r#""uſernſmode":"""#,
    ));
    v.push(ns(
        "CgroupnsMode host",
        r#""CgroupnsMode":"host""#,
        r#""CgroupnsMode":"private""#,
    ));
    v.push(ns(
        "Cgroup container:",
        r#""Cgroup":"container:{dt}""#,
        r#""Cgroup":"container:{t}""#,
    ));
}

fn devices(v: &mut Vec<Case>) {
    let k = "devices";
    let dv = |name, fields: &str| {
        Case::new(k, name, create_hc(fields), DENY).twin(create_hc(r#""Devices":[]"#))
    };
    v.push(
        dv(
            "/dev/kmsg",
            r#""Devices":[{"PathOnHost":"/dev/kmsg","PathInContainer":"/dev/kmsg","CgroupPermissions":"rwm"}]"#,
        )
        .proof(Obj::Container, "/HostConfig/Devices/0/PathOnHost", r#""/dev/kmsg""#),
    );
    v.push(dv(
        "/dev/vda (the disk)",
        r#""Devices":[{"PathOnHost":"/dev/vda","PathInContainer":"/dev/xvda","CgroupPermissions":"rwm"}]"#,
    ));
    v.push(dv(
        "lower-case keys",
        r#""devices":[{"pathonhost":"/dev/fuse","pathincontainer":"/dev/fuse","cgrouppermissions":"rwm"}]"#,
    ));
    v.push(dv(
        "Deviceſ (long s)",
        r#""Deviceſ":[{"PathOnHost":"/dev/kmsg","PathInContainer":"/dev/kmsg","CgroupPermissions":"r"}]"#,
    ));
    v.push(dv(
        "/dev/../dev/kmsg",
        r#""Devices":[{"PathOnHost":"/dev/../dev/kmsg","PathInContainer":"/k","CgroupPermissions":"r"}]"#,
    ));
    v.push(dv(
        "DeviceCgroupRules b *:* rwm",
        r#""DeviceCgroupRules":["b *:* rwm"]"#,
    ));
    v.push(dv(
        "DeviceCgroupRules c *:* rwm",
        r#""DeviceCgroupRules":["c *:* rwm"]"#,
    ));
    v.push(dv(
        "devicecgrouprules, lower-case key",
        r#""devicecgrouprules":["a *:* rwm"]"#,
    ));
    v.push(dv(
        "DeviceRequests (all GPUs)",
        r#""DeviceRequests":[{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}]"#,
    ));
}

fn security_opt(v: &mut Vec<Case>) {
    let k = "security-opt";
    let so = |name, opts: &str| {
        Case::new(
            k,
            name,
            create_hc(&format!(r#""SecurityOpt":[{opts}]"#)),
            DENY,
        )
        .twin(create_hc(r#""SecurityOpt":["no-new-privileges"]"#))
    };
    v.push(so("seccomp=unconfined", r#""seccomp=unconfined""#).proof(
        Obj::Container,
        "/HostConfig/SecurityOpt",
        r#"["seccomp=unconfined"]"#,
    ));
    v.push(so(
        "seccomp:unconfined (legacy separator)",
        r#""seccomp:unconfined""#,
    ));
    v.push(so(
        "seccomp inline profile allowing everything",
        r#""seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}""#,
    ));
    v.push(so("apparmor=unconfined", r#""apparmor=unconfined""#));
    v.push(so("apparmor:unconfined", r#""apparmor:unconfined""#));
    v.push(so("label=disable", r#""label=disable""#));
    v.push(so("label:disable", r#""label:disable""#));
    v.push(so("label=type:spc_t", r#""label=type:spc_t""#));
    v.push(so(
        "no-new-privileges=false",
        r#""no-new-privileges=false""#,
    ));
    v.push(
        so("systempaths=unconfined", r#""systempaths=unconfined""#)
            .refused_by_daemon("a CLI option only: dockerd refuses it as a security option (400)"),
    );
    v.push(so(
        "hidden behind a harmless option",
        r#""no-new-privileges","seccomp=unconfined""#,
    ));
    v.push(
        Case::new(
            k,
            "key securityopt",
            create_hc(r#""securityopt":["apparmor=unconfined"]"#),
            DENY,
        )
        .twin(create_hc(r#""securityopt":["no-new-privileges"]"#)),
    );
    v.push(
        Case::new(
            k,
            "key \\u017fecurityOpt (long s)",
            create_hc(r#""\u017fecurityOpt":["label=disable"]"#),
            DENY,
        )
        .proof(
            Obj::Container,
            "/HostConfig/SecurityOpt",
            r#"["label=disable"]"#,
        )
        .twin(create_hc(r#""\u017fecurityOpt":["no-new-privileges"]"#)),
    );
}

const MASKED: &str = r#""/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware""#;

fn system_paths(v: &mut Vec<Case>) {
    let k = "system-paths";
    let twin = || create_hc(&format!(r#""MaskedPaths":[{MASKED},"/proc/extra"]"#));
    let sp = |name, fields: &str| Case::new(k, name, create_hc(fields), DENY).twin(twin());
    v.push(sp("MaskedPaths []", r#""MaskedPaths":[]"#).proof(
        Obj::Container,
        "/HostConfig/MaskedPaths",
        "[]",
    ));
    v.push(sp("ReadonlyPaths []", r#""ReadonlyPaths":[]"#));
    v.push(sp(
        "MaskedPaths without /proc/kcore",
        r#""MaskedPaths":["/proc/asound","/proc/acpi","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"]"#,
    ));
    v.push(sp("maſkedpathſ (long s)", r#""maſkedpathſ":[]"#));
    v.push(
        sp(
            "Ma\\u017f\\u212aedPaths (long s and Kelvin sign)",
            r#""Ma\u017f\u212aedPaths":[]"#,
        )
        .proof(Obj::Container, "/HostConfig/MaskedPaths", "[]"),
    );
    v.push(sp(
        "ReadonlyPaths without /proc/sys",
        r#""ReadonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sysrq-trigger"]"#,
    ));
}

fn kernel(v: &mut Vec<Case>) {
    let k = "sysctl-cgroup";
    let kc = |name, fields: &str| {
        Case::new(k, name, create_hc(fields), DENY).twin(create_hc(r#""CpuShares":512"#))
    };
    v.push(
        kc(
            "Sysctls net.ipv4.ip_forward",
            r#""Sysctls":{"net.ipv4.ip_forward":"1"}"#,
        )
        .proof(
            Obj::Container,
            "/HostConfig/Sysctls",
            r#"{"net.ipv4.ip_forward":"1"}"#,
        ),
    );
    v.push(kc(
        "ſyſctlſ (long s)",
        r#""ſyſctlſ":{"kernel.shm_rmid_forced":"1"}"#,
    ));
    v.push(kc(
        "sysctls, lower-case key",
        r#""sysctls":{"net.core.somaxconn":"1024"}"#,
    ));
    v.push(kc("CgroupParent /", r#""CgroupParent":"/""#));
    v.push(kc(
        "cgroupparent system.slice",
        r#""cgroupparent":"/system.slice""#,
    ));
    // The dangerous target mounts the host's root (a bind volume) and a host directory; the
    // ordinary one only a plain named volume, and inheriting that is harmless.
    v.push(
        Case::new(
            k,
            "VolumesFrom a container with host mounts",
            create_hc(r#""VolumesFrom":["{dt}"]"#),
            DENY,
        )
        .twin(create_hc(r#""VolumesFrom":["{t}"]"#)),
    );
    v.push(
        Case::new(
            k,
            "VolumesFrom a container with host mounts, read-only",
            create_hc(r#""volumesfrom":["{dt}:ro"]"#),
            DENY,
        )
        .twin(create_hc(r#""volumesfrom":["{t}:ro"]"#)),
    );
}

fn exec(v: &mut Vec<Case>) {
    let k = "exec";
    let path = "/v1.41/containers/{t}/exec";
    let twin = || post(path, r#"{"Cmd":["true"],"User":"0"}"#);
    let ex = |name, body: &str| Case::new(k, name, post(path, body), DENY).twin(twin());
    v.push(ex("Privileged", r#"{"Cmd":["true"],"Privileged":true}"#));
    v.push(ex(
        "privileged, lower case",
        r#"{"cmd":["true"],"privileged":true}"#,
    ));
    v.push(ex(
        "PRIVILEGED, upper case",
        r#"{"CMD":["true"],"PRIVILEGED":true}"#,
    ));
    v.push(ex(
        "Privil\\u0065ged",
        r#"{"Cmd":["true"],"Privil\u0065ged":true}"#,
    ));
    v.push(ex(
        "\\u0050rivileged",
        r#"{"Cmd":["true"],"\u0050rivileged":true}"#,
    ));
    v.push(ex(
        "as root, as the CLI sends it",
        r#"{"User":"0","Privileged":true,"Tty":false,"AttachStdout":true,"Cmd":["id"]}"#,
    ));
    v.push(
        Case::new(
            k,
            "duplicate key, the last one true",
            post(
                path,
                r#"{"Cmd":["true"],"Privileged":false,"privileged":true}"#,
            ),
            Want::Unreadable,
        )
        .twin(twin()),
    );
    v.push(
        Case::new(
            k,
            "encoded path /containers/{t}/%65xec",
            post(
                "/v1.41/containers/{t}/%65xec",
                r#"{"Cmd":["true"],"Privileged":true}"#,
            ),
            DENY,
        )
        .twin(post("/v1.41/containers/{t}/%65xec", r#"{"Cmd":["true"]}"#)),
    );
    v.push(
        Case::new(
            k,
            "unversioned path",
            post(
                "/containers/{t}/exec",
                r#"{"Cmd":["true"],"Privileged":true}"#,
            ),
            DENY,
        )
        .twin(post("/containers/{t}/exec", r#"{"Cmd":["true"]}"#)),
    );
    v.push(
        Case::new(
            k,
            "chunked body",
            Request::Raw {
                requests: 1,
                heads: &[],
                bytes: |n| {
                    let mut out = n
                        .fill(
                            "POST /v1.41/containers/{t}/exec HTTP/1.1\r\nHost: docker\r\n\
                             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                        )
                        .into_bytes();
                    out.extend(chunked(br#"{"Cmd":["true"],"Privileged":true}"#));
                    vec![out]
                },
            },
            DENY,
        )
        .twin(twin()),
    );
}

fn legacy_start(v: &mut Vec<Case>) {
    let k = "legacy-start";
    // Below API 1.24 dockerd applies a configuration sent with start; sockeye relays only
    // empty start bodies under a policy (the configuration belongs to the create request,
    // where the policy reads it), so each of these is refused unread, and the twin is a
    // plain legacy start.
    let path = "/v1.23/containers/{t}/start";
    let st = |name, body: &str| {
        Case::new(k, name, post(path, body), Want::Unreadable)
            .created_target()
            .twin(post(path, "{}"))
    };
    v.push(st("Privileged", r#"{"Privileged":true}"#).proof(
        Obj::Target,
        "/HostConfig/Privileged",
        "true",
    ));
    v.push(st("privileged, lower case", r#"{"privileged":true}"#));
    v.push(st("Binds /", r#"{"Binds":["/:/host"]}"#).proof(
        Obj::Target,
        "/HostConfig/Binds",
        r#"["/:/host"]"#,
    ));
    v.push(st("PidMode host", r#"{"PidMode":"host"}"#));
    v.push(st("CapAdd SYS_ADMIN", r#"{"CapAdd":["SYS_ADMIN"]}"#));
    v.push(
        Case::new(
            k,
            "API v1.12",
            post("/v1.12/containers/{t}/start", r#"{"Privileged":true}"#),
            Want::Unreadable,
        )
        .created_target()
        .twin(post("/v1.12/containers/{t}/start", "{}")),
    );
    v.push(
        Case::new(
            k,
            "encoded path /containers/{t}/%73tart",
            post("/v1.23/containers/{t}/%73tart", r#"{"Privileged":true}"#),
            Want::Unreadable,
        )
        .created_target()
        .twin(post("/v1.23/containers/{t}/%73tart", "{}")),
    );
    // dockerd decodes a legacy start body as a whole create body (runconfig's
    // ContainerConfigWrapper): a nested HostConfig member wins over the top-level fields.
    v.push(
        st(
            "nested HostConfig.Privileged",
            r#"{"HostConfig":{"Privileged":true}}"#,
        )
        .proof(Obj::Target, "/HostConfig/Privileged", "true"),
    );
    v.push(
        st(
            "nested HostConfig.Binds /",
            r#"{"HostConfig":{"Binds":["/:/host"]}}"#,
        )
        .proof(Obj::Target, "/HostConfig/Binds", r#"["/:/host"]"#),
    );
    v.push(st(
        "nested hostconfig, lower case, beside a harmless top level",
        r#"{"Privileged":false,"hostconfig":{"privileged":true}}"#,
    ));
}

fn update(v: &mut Vec<Case>) {
    let k = "update";
    let path = "/v1.41/containers/{t}/update";
    let why = "20.10 updates only resource limits and the restart policy; the field is ignored";
    let up = |name, body: &str| {
        Case::new(k, name, post(path, body), DENY)
            .harmless(why)
            .twin(post(path, r#"{"CpuShares":512}"#))
    };
    v.push(up("Privileged", r#"{"Privileged":true}"#));
    v.push(up(
        "Devices",
        r#"{"Devices":[{"PathOnHost":"/dev/kmsg","PathInContainer":"/dev/kmsg","CgroupPermissions":"rwm"}]}"#,
    ));
    v.push(up(
        "DeviceCgroupRules",
        r#"{"DeviceCgroupRules":["b *:* rwm"]}"#,
    ));
    v.push(up("CgroupParent", r#"{"cgroupparent":"/"}"#));
    v.push(up(
        "DeviceRequests",
        r#"{"DeviceRequests":[{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}]}"#,
    ));
}

fn services(v: &mut Vec<Case>) {
    let k = "services";
    let twin = || {
        post(
            "/v1.41/services/create",
            &service(r#","Args":["sleep","60"]"#),
        )
    };
    let sv = |name, spec: &str| {
        Case::new(
            k,
            name,
            post("/v1.41/services/create", &service(spec)),
            DENY,
        )
        .refused_by_daemon(NO_SWARM)
        .twin_like_daemon(twin())
    };
    v.push(sv(
        "bind mount /",
        r#","Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]"#,
    ));
    v.push(sv(
        "CapabilityAdd CAP_SYS_ADMIN",
        r#","CapabilityAdd":["CAP_SYS_ADMIN"]"#,
    ));
    v.push(sv(
        "seccomp unconfined",
        r#","Privileges":{"Seccomp":{"Mode":"unconfined"}}"#,
    ));
    v.push(sv(
        "AppArmor disabled",
        r#","Privileges":{"AppArmor":{"Mode":"disabled"}}"#,
    ));
    v.push(sv("Sysctls", r#","Sysctls":{"net.ipv4.ip_forward":"1"}"#));
    v.push(sv(
        "volume mount o=bind",
        r#","Mounts":[{"Type":"volume","Source":"{v}","Target":"/h","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/"}}}}]"#,
    ));
    v.push(
        Case::new(
            k,
            "host network",
            post(
                "/v1.41/services/create",
                r#"{"Name":"{c}","TaskTemplate":{"ContainerSpec":{"Image":"{img}"},"Networks":[{"Target":"host"}]}}"#,
            ),
            DENY,
        )
        .refused_by_daemon(NO_SWARM)
        .twin_like_daemon(twin()),
    );
    v.push(
        Case::new(
            k,
            "lower-case keys",
            post(
                "/v1.41/services/create",
                r#"{"name":"{c}","tasktemplate":{"containerspec":{"image":"{img}","mounts":[{"type":"bind","source":"/etc","target":"/x"}]}}}"#,
            ),
            DENY,
        )
        .refused_by_daemon(NO_SWARM)
        .twin_like_daemon(twin()),
    );
    v.push(
        Case::new(
            k,
            "update with a bind mount",
            post(
                "/v1.41/services/{c}/update?version=1",
                &service(r#","Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]"#),
            ),
            DENY,
        )
        .refused_by_daemon(NO_SWARM)
        .twin_like_daemon(post("/v1.41/services/{c}/update?version=1", &service(""))),
    );
    v.push(
        Case::new(
            k,
            "swarm join",
            post(
                "/v1.41/swarm/join",
                r#"{"ListenAddr":"0.0.0.0:2377","RemoteAddrs":["192.0.2.1:2377"],"JoinToken":"SWMTKN-1-x"}"#,
            ),
            Want::Deny("no-escape-swarm-join"),
        )
        .not_sent("the daemon would try to join the given manager"),
    );
}

fn plugins(v: &mut Vec<Case>) {
    let k = "plugins";
    const NO_REGISTRY: &str = "no registry reachable from the test daemon: 500";
    const NO_PLUGIN: &str = "no such plugin on the test daemon: 404";
    v.push(
        Case::new(
            k,
            "pull granting host network",
            post(
                "/v1.41/plugins/pull?remote=localhost:1/x/y:1&name={c}",
                r#"[{"Name":"network","Value":["host"]}]"#,
            ),
            DENY,
        )
        .refused_by_daemon(NO_REGISTRY),
    );
    v.push(
        Case::new(
            k,
            "pull granting a host mount and CAP_SYS_ADMIN",
            post(
                "/v1.41/plugins/pull?remote=localhost:1/x/y:1&name={c}",
                r#"[{"Name":"mount","Value":["/"]},{"Name":"capabilities","Value":["CAP_SYS_ADMIN"]}]"#,
            ),
            DENY,
        )
        .refused_by_daemon(NO_REGISTRY),
    );
    v.push(
        Case::new(
            k,
            "pull granting nothing",
            post(
                "/v1.41/plugins/pull?remote=localhost:1/x/y:1&name={c}",
                "[]",
            ),
            Want::Deny("no-escape-plugin-install"),
        )
        .refused_by_daemon(NO_REGISTRY),
    );
    v.push(
        Case::new(
            k,
            "pull, encoded path /plugins/%70ull",
            post(
                "/v1.41/plugins/%70ull?remote=localhost:1/x/y:1&name={c}",
                "[]",
            ),
            Want::Deny("no-escape-plugin-install"),
        )
        .refused_by_daemon(NO_REGISTRY),
    );
    v.push(
        Case::new(
            k,
            "upgrade",
            post("/v1.41/plugins/{c}/upgrade?remote=localhost:1/x/y:2", "[]"),
            Want::Deny("no-escape-plugin-install"),
        )
        .refused_by_daemon(NO_PLUGIN),
    );
    v.push(
        Case::new(
            k,
            "create from an archive",
            req(
                "POST",
                "/v1.41/plugins/create?name={c}",
                &[],
                Body::Tar("config.json", "{}".into()),
            ),
            Want::Deny("no-escape-plugin-install"),
        )
        .refused_by_daemon("the archive holds no usable plugin: 500"),
    );
    v.push(
        Case::new(
            k,
            "set mount source to /",
            post("/v1.41/plugins/{c}/set", r#"["mymount.source=/"]"#),
            DENY,
        )
        .refused_by_daemon(NO_PLUGIN)
        .twin_like_daemon(post("/v1.41/plugins/{c}/set", r#"["DEBUG=1"]"#)),
    );
    v.push(
        Case::new(
            k,
            "set device path",
            post("/v1.41/plugins/{c}/set", r#"["mydevice.path=/dev/vda"]"#),
            DENY,
        )
        .refused_by_daemon(NO_PLUGIN)
        .twin_like_daemon(post("/v1.41/plugins/{c}/set", r#"["DEBUG=1"]"#)),
    );
}

fn archive_uploads(v: &mut Vec<Case>) {
    // An upload writes through the target's writable host mounts (a symlink inside it can
    // lead any destination there): into the dangerous target it is a host write, into the
    // ordinary one it is not, and that is the twin.
    let k = "archive-upload";
    v.push(
        Case::new(
            k,
            "PUT archive at /",
            archive("/v1.41/containers/{dt}/archive?path=/"),
            DENY,
        )
        .twin(archive("/v1.41/containers/{t}/archive?path=/")),
    );
    v.push(
        Case::new(
            k,
            "unversioned",
            archive("/containers/{dt}/archive?path=/"),
            DENY,
        )
        .twin(archive("/containers/{t}/archive?path=/")),
    );
    v.push(
        Case::new(
            k,
            "encoded path %61rchive",
            archive("/v1.41/containers/{dt}/%61rchive?path=/"),
            DENY,
        )
        .twin(archive("/v1.41/containers/{t}/%61rchive?path=/")),
    );
    v.push(
        Case::new(
            k,
            "into the host mount itself, copyUIDGID",
            archive("/v1.41/containers/{dt}/archive?path=/host&copyUIDGID=1"),
            DENY,
        )
        .twin(archive(
            "/v1.41/containers/{t}/archive?path=/data&copyUIDGID=1",
        )),
    );
    v.push(
        Case::new(
            k,
            "PUT archive at /x, the bind volume onto /",
            archive("/v1.41/containers/{dt}/archive?path=/x"),
            DENY,
        )
        // Reading what the container holds is not a host write: `docker cp` out works.
        .twin(req(
            "HEAD",
            "/v1.41/containers/{dt}/archive?path=/",
            &[],
            Body::None,
        )),
    );
    v.push(
        Case::new(
            k,
            "the target by ID prefix",
            archive("/v1.41/containers/{dtid}/archive?path=/"),
            DENY,
        )
        .twin(archive("/v1.41/containers/{tid}/archive?path=/")),
    );
}

/// What the daemon holds decides: a volume made beforehand with `o=bind,device=/` (`{bv}`),
/// a container that mounts the host and shares its pid namespace (`{dt}`). Each request alone looks
/// harmless; sockeye asks the daemon before deciding.
fn state(v: &mut Vec<Case>) {
    let k = "state";
    v.push(
        Case::new(
            k,
            "Binds a bind volume onto /",
            create_hc(r#""Binds":["{bv}:/x"]"#),
            DENY,
        )
        .twin(create_hc(r#""Binds":["{v}:/x"]"#)),
    );
    v.push(
        Case::new(
            k,
            "Mounts type=volume of a bind volume onto /",
            create_hc(r#""Mounts":[{"Type":"volume","Source":"{bv}","Target":"/x"}]"#),
            DENY,
        )
        .twin(create_hc(
            r#""Mounts":[{"Type":"volume","Source":"{v}","Target":"/x"}]"#,
        )),
    );
    v.push(
        Case::new(
            k,
            "--mount with harmless options for an existing bind volume",
            create_hc(
                r#""Mounts":[{"Type":"volume","Source":"{bv}","Target":"/x","VolumeOptions":{"DriverConfig":{"Name":"local"}}}]"#,
            ),
            DENY,
        )
        .twin(create_hc(
            r#""Mounts":[{"Type":"volume","Source":"{v}","Target":"/x","VolumeOptions":{"DriverConfig":{"Name":"local"}}}]"#,
        )),
    );
    v.push(
        Case::new(
            k,
            "binds, lower-case key",
            create_hc(r#""binds":["{bv}:/x:ro"]"#),
            DENY,
        )
        .twin(create_hc(r#""binds":["{v}:/x:ro"]"#)),
    );
    v.push(
        Case::new(
            k,
            "exec in a container that mounts the host",
            post("/v1.41/containers/{dt}/exec", r#"{"Cmd":["true"]}"#),
            DENY,
        )
        .twin(post("/v1.41/containers/{t}/exec", r#"{"Cmd":["true"]}"#)),
    );
    v.push(
        Case::new(
            k,
            "exec in a container that mounts the host, by ID prefix",
            post("/containers/{dtid}/exec", r#"{"Cmd":["true"]}"#),
            DENY,
        )
        .twin(post("/containers/{tid}/exec", r#"{"Cmd":["true"]}"#)),
    );
    v.push(
        Case::new(
            k,
            "NetworkMode container: by ID prefix",
            create_hc(r#""NetworkMode":"container:{dtid}""#),
            DENY,
        )
        .twin(create_hc(r#""NetworkMode":"container:{tid}""#)),
    );
}

fn builds(v: &mut Vec<Case>) {
    let k = "build";
    let bd = |name, query: &str| Case::new(k, name, build(query), DENY).twin(build(""));
    v.push(bd("networkmode=host", "&networkmode=host"));
    v.push(bd(
        "networkmode=host first of two",
        "&networkmode=host&networkmode=default",
    ));
    v.push(bd("encoded key %6Eetworkmode", "&%6Eetworkmode=host"));
    v.push(bd("networkmode=container:", "&networkmode=container:{t}"));
    v.push(bd("cgroupparent=/", "&cgroupparent=%2F"));
    v.push(
        Case::new(
            k,
            "encoded path /%62uild",
            req(
                "POST",
                "/v1.41/%62uild?t={tag}&rm=1&networkmode=host",
                &[],
                build_tar(),
            ),
            DENY,
        )
        .twin(req("POST", "/v1.41/%62uild?t={tag}&rm=1", &[], build_tar())),
    );
    v.push(
        Case::new(
            k,
            "unversioned path",
            req(
                "POST",
                "/build?t={tag}&rm=1&networkmode=host",
                &[],
                build_tar(),
            ),
            DENY,
        )
        .twin(req("POST", "/build?t={tag}&rm=1", &[], build_tar())),
    );
    // Go's ParseForm puts a form body's values before the query's.
    let form_why = "the form body is the whole body, so the build has no context";
    v.push(
        Case::new(
            k,
            "form body networkmode=host over the query",
            req(
                "POST",
                "/v1.41/build?t={tag}&networkmode=default",
                &[],
                Body::Form("networkmode=host".into()),
            ),
            DENY,
        )
        .refused_by_daemon(form_why)
        .twin(build("&networkmode=default")),
    );
    v.push(
        Case::new(
            k,
            "form body, content type in capitals with a charset",
            req(
                "POST",
                "/v1.41/build?t={tag}&networkmode=default",
                &["Content-Type: Application/X-WWW-Form-Urlencoded; charset=utf-8"],
                Body::Form("cgroupparent=%2F&networkmode=host".into()),
            ),
            DENY,
        )
        .refused_by_daemon(form_why)
        .twin(build("&networkmode=default")),
    );
    v.push(
        Case::new(
            k,
            "form body, chunked",
            Request::Raw {
                requests: 1,
                heads: &[],
                bytes: |n| {
                    let mut out = n
                        .fill(
                            "POST /v1.41/build?t={tag} HTTP/1.1\r\nHost: docker\r\n\
                             Content-Type: application/x-www-form-urlencoded\r\n\
                             Transfer-Encoding: chunked\r\n\r\n",
                        )
                        .into_bytes();
                    out.extend(chunked(b"networkmode=host"));
                    vec![out]
                },
            },
            DENY,
        )
        .refused_by_daemon(form_why)
        .twin(build("")),
    );
    // A BuildKit build through the REST entry (`version=2`, the 20.10 CLI's
    // `DOCKER_BUILDKIT=1`) is decided on its query like a classic one: dockerd grants the
    // build `network.host` only for `networkmode=host` (builder-next), and BuildKit refuses
    // any step with the host network without it.
    let bk =
        |name, query: &str, twin: &str| Case::new(k, name, build(query), DENY).twin(build(twin));
    v.push(bk(
        "BuildKit version=2 networkmode=host",
        "&version=2&networkmode=host",
        "&version=2",
    ));
    v.push(bk(
        "BuildKit version=2 networkmode=host first of two",
        "&version=2&networkmode=host&networkmode=default",
        "&version=2&networkmode=default&networkmode=host&networkmode=default",
    ));
    v.push(bk(
        "BuildKit version=%32 with an encoded networkmode",
        "&version=%32&%6Eetworkmode=host",
        "&version=%32&%6Eetworkmode=none",
    ));
}

fn paths(v: &mut Vec<Case>) {
    let k = "paths";
    let redirect = "dockerd answers 301 to the cleaned path";
    let not_found = "dockerd does not route it: 404";
    let pc = |name, target: &str, want| {
        Case::new(k, name, post(target, PRIV), want).twin(post(target, PLAIN))
    };
    let unreadable = |name, target: &str, why| {
        Case::new(k, name, post(target, PRIV), Want::Unreadable).refused_by_daemon(why)
    };
    v.push(unreadable(
        "double slash after the version",
        "/v1.41//containers/create?name={c}",
        redirect,
    ));
    v.push(unreadable(
        "leading double slash",
        "//containers/create?name={c}",
        redirect,
    ));
    v.push(unreadable(
        "dot segment",
        "/v1.41/./containers/create?name={c}",
        redirect,
    ));
    v.push(unreadable(
        "encoded dot-dot",
        "/v1.41/%2e%2e/v1.41/containers/create?name={c}",
        redirect,
    ));
    v.push(unreadable(
        "dot-dot after a segment",
        "/v1.41/foo/../containers/create?name={c}",
        redirect,
    ));
    v.push(unreadable(
        "trailing dot segment",
        "/v1.41/containers/create/.?name={c}",
        redirect,
    ));
    v.push(Case::new(
        k,
        "encoded slash after the version",
        post("/v1.41%2Fcontainers/create?name={c}", PRIV),
        Want::Unreadable,
    ));
    v.push(Case::new(
        k,
        "encoded slash before create",
        post("/v1.41/containers%2Fcreate?name={c}", PRIV),
        Want::Unreadable,
    ));
    // sockeye routes any version and leaves the range to the daemon.
    v.push(
        Case::new(
            k,
            "version too new",
            post("/v1.99/containers/create?name={c}", PRIV),
            DENY,
        )
        .refused_by_daemon("client version 1.99 is too new (400)"),
    );
    v.push(unreadable(
        "semicolon in the query",
        "/v1.41/containers/create?name={c};x=1",
        "Go refuses ';' in a query (400)",
    ));
    v.push(pc(
        "version v01.041",
        "/v01.041/containers/create?name={c}",
        DENY,
    ));
    v.push(pc(
        "version v1.41. (trailing dot)",
        "/v1.41./containers/create?name={c}",
        DENY,
    ));
    v.push(pc(
        "version v1.41.0",
        "/v1.41.0/containers/create?name={c}",
        DENY,
    ));
    v.push(pc(
        "version v1.040",
        "/v1.040/containers/create?name={c}",
        DENY,
    ));
    v.push(pc(
        "version v1.24",
        "/v1.24/containers/create?name={c}",
        DENY,
    ));
    v.push(pc(
        "version v1.12 (the minimum)",
        "/v1.12/containers/create?name={c}",
        DENY,
    ));
    v.push(pc("unversioned", "/containers/create?name={c}", DENY));
    v.push(pc(
        "encoded version prefix",
        "/%76%31%2e%34%31/containers/create?name={c}",
        DENY,
    ));
    v.push(pc(
        "encoded letters",
        "/v1.41/%63ontainers/%63reate?name={c}",
        DENY,
    ));
    v.push(pc(
        "encoded query key",
        "/v1.41/containers/create?%6eame={c}",
        DENY,
    ));
    v.push(pc(
        "absolute-form target",
        "http://docker/v1.41/containers/create?name={c}",
        DENY,
    ));
    let nr = |name, method: &'static str, target: &str| {
        Case::new(
            k,
            name,
            req(method, target, &[], Body::Json(PRIV.into())),
            // dockerd routes it nowhere (404, or 301 for a path it cleans), and no-escape refuses
            // every path it cannot read: in front of Podman such a path may be routed.
            Want::Deny("no-escape-unknown"),
        )
        .refused_by_daemon(not_found)
    };
    v.push(nr("lower-case method", "post", CREATE));
    v.push(nr("mixed-case method", "Post", CREATE));
    v.push(nr(
        "trailing slash",
        "POST",
        "/v1.41/containers/create/?name={c}",
    ));
    v.push(nr(
        "upper-case V",
        "POST",
        "/V1.41/containers/create?name={c}",
    ));
    v.push(nr(
        "upper-case segment",
        "POST",
        "/v1.41/Containers/create?name={c}",
    ));
    v.push(nr(
        "semicolon in the path",
        "POST",
        "/v1.41/containers/create;x=1?name={c}",
    ));
    v.push(nr(
        "encoded question mark",
        "POST",
        "/v1.41/containers/create%3Fname={c}",
    ));
    v.push(nr("PUT instead of POST", "PUT", CREATE));
}

fn framing(v: &mut Vec<Case>) {
    let k = "framing";
    let raw1 = |bytes: fn(&Names) -> Vec<Vec<u8>>| Request::Raw {
        requests: 1,
        heads: &[],
        bytes,
    };
    let raw2 = |bytes: fn(&Names) -> Vec<Vec<u8>>| Request::Raw {
        requests: 2,
        heads: &[],
        bytes,
    };
    let chunked_twin = || raw1(|n| vec![create_chunked(n, "{c}", PLAIN, &|b| chunked(b))]);
    v.push(
        Case::new(
            k,
            "chunked body",
            raw1(|n| vec![create_chunked(n, "{c}", PRIV, &|b| chunked(b))]),
            DENY,
        )
        .twin(chunked_twin()),
    );
    v.push(
        Case::new(
            k,
            "chunk extensions",
            raw1(|n| {
                vec![create_chunked(n, "{c}", PRIV, &|b| {
                    let mut out = format!("{:x};ext=\"v\"\r\n", b.len()).into_bytes();
                    out.extend_from_slice(b);
                    out.extend_from_slice(b"\r\n0;last\r\n\r\n");
                    out
                })]
            }),
            DENY,
        )
        .twin(chunked_twin()),
    );
    v.push(
        Case::new(
            k,
            "one-byte chunks",
            raw1(|n| {
                vec![create_chunked(n, "{c}", PRIV, &|b| {
                    let mut out = Vec::new();
                    for byte in b {
                        out.extend_from_slice(b"1\r\n");
                        out.push(*byte);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(b"0\r\n\r\n");
                    out
                })]
            }),
            DENY,
        )
        .twin(chunked_twin()),
    );
    v.push(
        Case::new(
            k,
            "zero-padded upper-case chunk size and a trailer",
            raw1(|n| {
                vec![create_chunked(n, "{c}", PRIV, &|b| {
                    let mut out = format!("{:08X}\r\n", b.len()).into_bytes();
                    out.extend_from_slice(b);
                    out.extend_from_slice(b"\r\n0\r\nX-Trailer: 1\r\n\r\n");
                    out
                })]
            }),
            DENY,
        )
        .twin(chunked_twin()),
    );
    v.push(
        Case::new(
            k,
            "Transfer-Encoding: Chunked (capital C)",
            raw1(|n| {
                let mut out = n
                    .fill(
                        "POST /v1.41/containers/create?name={c} HTTP/1.1\r\nHost: docker\r\n\
                         Content-Type: application/json\r\nTransfer-Encoding: Chunked\r\n\r\n",
                    )
                    .into_bytes();
                out.extend(chunked(n.fill(PRIV).as_bytes()));
                vec![out]
            }),
            DENY,
        )
        .twin(chunked_twin()),
    );
    v.push(
        Case::new(
            k,
            "Content-Length: 0 with a chunked privileged body (CVE-2024-41110 shape)",
            raw1(|n| {
                let mut out = n
                    .fill(
                        "POST /v1.41/containers/create?name={c} HTTP/1.1\r\nHost: docker\r\n\
                         Content-Type: application/json\r\nContent-Length: 0\r\n\
                         Transfer-Encoding: chunked\r\n\r\n",
                    )
                    .into_bytes();
                out.extend(chunked(n.fill(PRIV).as_bytes()));
                vec![out]
            }),
            DENY,
        )
        .twin(chunked_twin()),
    );
    // Go lets TE win over CL and reads the bytes after the last chunk as a second request;
    // sockeye (hyper) also reads the body as chunked, then closes the connection after the
    // response, as RFC 9112 §6.1 asks: the second request is never read, even a harmless one.
    fn te_cl(n: &Names, json: &str, te_first: bool) -> Vec<Vec<u8>> {
        let mut body = chunked(n.fill(r#"{"Image":"{img}","Cmd":["true"]}"#).as_bytes());
        body.extend(create_raw(n, "{c}", json, &[]));
        let (a, b) = (
            "Transfer-Encoding: chunked".to_owned(),
            format!("Content-Length: {}", body.len()),
        );
        let (h1, h2) = if te_first { (a, b) } else { (b, a) };
        let mut out = n
            .fill(&format!(
                "POST /v1.41/containers/create?name={{x}} HTTP/1.1\r\nHost: docker\r\n\
                 Content-Type: application/json\r\n{h1}\r\n{h2}\r\n\r\n"
            ))
            .into_bytes();
        out.extend(body);
        vec![out]
    }
    v.push(
        Case::new(
            k,
            "Content-Length then Transfer-Encoding, privileged create after the last chunk",
            raw1(|n| te_cl(n, PRIV, false)),
            Want::Swallowed,
        )
        .lead(1)
        .twin(raw1(|n| te_cl(n, PLAIN, false))),
    );
    v.push(
        Case::new(
            k,
            "Transfer-Encoding then Content-Length, privileged create after the last chunk",
            raw1(|n| te_cl(n, PRIV, true)),
            Want::Swallowed,
        )
        .lead(1)
        .twin(raw1(|n| te_cl(n, PLAIN, true))),
    );
    v.push(
        Case::new(
            k,
            "two equal Content-Length headers",
            raw1(|n| {
                let body = n.fill(PRIV);
                vec![n
                    .fill(&format!(
                        "POST /v1.41/containers/create?name={{c}} HTTP/1.1\r\nHost: docker\r\n\
                         Content-Type: application/json\r\nContent-Length: {0}\r\n\
                         Content-Length: {0}\r\n\r\n{body}",
                        body.len()
                    ))
                    .into_bytes()]
            }),
            DENY,
        )
        .twin(create(PLAIN)),
    );
    v.push(
        Case::new(
            k,
            "two different Content-Length headers",
            raw1(|n| {
                let body = n.fill(PRIV);
                vec![n
                    .fill(&format!(
                        "POST /v1.41/containers/create?name={{c}} HTTP/1.1\r\nHost: docker\r\n\
                         Content-Type: application/json\r\nContent-Length: {}\r\n\
                         Content-Length: 2\r\n\r\n{body}",
                        body.len()
                    ))
                    .into_bytes()]
            }),
            Want::Malformed,
        )
        .refused_by_daemon("Go refuses differing Content-Length headers (400)"),
    );
    v.push(
        Case::new(
            k,
            "Content-Length with a plus sign",
            raw1(|n| {
                let body = n.fill(PRIV);
                vec![with_length_raw(n, &format!("+{}", body.len()), &body)]
            }),
            Want::Malformed,
        )
        .refused_by_daemon("Go refuses a signed Content-Length (400)"),
    );
    v.push(
        Case::new(
            k,
            "Content-Length with leading zeros",
            raw1(|n| {
                let body = n.fill(PRIV);
                vec![with_length_raw(n, &format!("000{}", body.len()), &body)]
            }),
            DENY,
        )
        .twin(raw1(|n| {
            let body = n.fill(PLAIN);
            vec![with_length_raw(n, &format!("000{}", body.len()), &body)]
        })),
    );
    v.push(Case::new(
        k,
        "obs-folded Transfer-Encoding",
        raw1(|n| {
            let mut out = n
                .fill(
                    "POST /v1.41/containers/create?name={c} HTTP/1.1\r\nHost: docker\r\n\
                         Content-Type: application/json\r\nTransfer-Encoding:\r\n chunked\r\n\r\n",
                )
                .into_bytes();
            out.extend(chunked(n.fill(PRIV).as_bytes()));
            vec![out]
        }),
        Want::Malformed,
    ));
    v.push(
        Case::new(
            k,
            "Transfer-Encoding: gzip, chunked",
            raw1(|n| {
                let mut out = n
                    .fill(
                        "POST /v1.41/containers/create?name={c} HTTP/1.1\r\nHost: docker\r\n\
                         Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                    )
                    .into_bytes();
                out.extend(chunked(n.fill(PRIV).as_bytes()));
                vec![out]
            }),
            DENY,
        )
        .refused_by_daemon("Go answers 501 to any coding but chunked"),
    );
    v.push(
        Case::new(
            k,
            "bare LF line endings",
            raw1(|n| {
                let body = n.fill(PRIV);
                vec![n
                    .fill(&format!(
                        "POST /v1.41/containers/create?name={{c}} HTTP/1.1\nHost: docker\n\
                         Content-Type: application/json\nContent-Length: {}\n\n{body}",
                        body.len()
                    ))
                    .into_bytes()]
            }),
            DENY,
        )
        .twin(raw1(|n| {
            let body = n.fill(PLAIN);
            vec![n
                .fill(&format!(
                    "POST /v1.41/containers/create?name={{c}} HTTP/1.1\nHost: docker\n\
                     Content-Type: application/json\nContent-Length: {}\n\n{body}",
                    body.len()
                ))
                .into_bytes()]
        })),
    );
    v.push(
        Case::new(
            k,
            "HTTP/1.0",
            raw1(|n| {
                let body = n.fill(PRIV);
                vec![with_length(
                    &n.fill("POST /v1.41/containers/create?name={c} HTTP/1.0\r\nContent-Type: application/json"),
                    body.as_bytes(),
                )]
            }),
            DENY,
        )
        .twin(raw1(|n| {
            let body = n.fill(PLAIN);
            vec![with_length(
                &n.fill("POST /v1.41/containers/create?name={c} HTTP/1.0\r\nContent-Type: application/json"),
                body.as_bytes(),
            )]
        })),
    );
    v.push(
        Case::new(
            k,
            "HTTP/1.1 without Host",
            raw1(|n| {
                let body = n.fill(PRIV);
                vec![with_length(
                    &n.fill("POST /v1.41/containers/create?name={c} HTTP/1.1\r\nContent-Type: application/json"),
                    body.as_bytes(),
                )]
            }),
            DENY,
        )
        .refused_by_daemon("Go refuses HTTP/1.1 without Host (400)"),
    );
    v.push(
        Case::new(
            k,
            "space before the colon of Content-Length",
            raw1(|n| {
                let body = n.fill(PRIV);
                vec![n
                    .fill(&format!(
                        "POST /v1.41/containers/create?name={{c}} HTTP/1.1\r\nHost: docker\r\n\
                         Content-Type: application/json\r\nContent-Length : {}\r\n\r\n{body}",
                        body.len()
                    ))
                    .into_bytes()]
            }),
            Want::Malformed,
        )
        .refused_by_daemon("Go refuses the header name (400)"),
    );
    // Pipelining: every request on a connection is decided on its own.
    v.push(
        Case::new(
            k,
            "pipelined behind GET /_ping",
            raw2(|n| {
                vec![[
                    http("GET", "/_ping", &[], b""),
                    create_raw(n, "{c}", PRIV, &[]),
                ]
                .concat()]
            }),
            DENY,
        )
        .lead(1)
        .twin(raw2(|n| {
            vec![[
                http("GET", "/_ping", &[], b""),
                create_raw(n, "{c}", PLAIN, &[]),
            ]
            .concat()]
        })),
    );
    v.push(
        Case::new(
            k,
            "pipelined behind HEAD /_ping",
            Request::Raw {
                requests: 2,
                heads: &[0],
                bytes: |n| {
                    vec![[
                        http("HEAD", "/_ping", &[], b""),
                        create_raw(n, "{c}", PRIV, &[]),
                    ]
                    .concat()]
                },
            },
            DENY,
        )
        .lead(1)
        .twin(Request::Raw {
            requests: 2,
            heads: &[0],
            bytes: |n| {
                vec![[
                    http("HEAD", "/_ping", &[], b""),
                    create_raw(n, "{c}", PLAIN, &[]),
                ]
                .concat()]
            },
        }),
    );
    v.push(
        Case::new(
            k,
            "pipelined behind an allowed create",
            raw2(|n| {
                vec![[
                    create_raw(n, "{x}", PLAIN, &[]),
                    create_raw(n, "{c}", PRIV, &[]),
                ]
                .concat()]
            }),
            DENY,
        )
        .lead(1)
        .twin(raw2(|n| {
            vec![[
                create_raw(n, "{x}", PLAIN, &[]),
                create_raw(n, "{c}", PLAIN, &[]),
            ]
            .concat()]
        })),
    );
    v.push(
        Case::new(
            k,
            "third of three pipelined requests",
            Request::Raw {
                requests: 3,
                heads: &[],
                bytes: |n| {
                    vec![[
                        http("GET", "/v1.41/version", &[], b""),
                        create_raw(n, "{x}", PLAIN, &[]),
                        create_raw(n, "{c}", PRIV, &[]),
                    ]
                    .concat()]
                },
            },
            DENY,
        )
        .lead(2),
    );
    v.push(
        Case::new(
            k,
            "pipelined after the last chunk of an allowed create",
            raw2(|n| {
                vec![[
                    create_chunked(n, "{x}", PLAIN, &|b| chunked(b)),
                    create_raw(n, "{c}", PRIV, &[]),
                ]
                .concat()]
            }),
            DENY,
        )
        .lead(1)
        .twin(raw2(|n| {
            vec![[
                create_chunked(n, "{x}", PLAIN, &|b| chunked(b)),
                create_raw(n, "{c}", PLAIN, &[]),
            ]
            .concat()]
        })),
    );
    v.push(
        Case::new(
            k,
            "pipelined behind an allowed create that asks for an upgrade",
            raw2(|n| {
                vec![[
                    create_raw(n, "{x}", PLAIN, &["Connection: Upgrade", "Upgrade: tcp"]),
                    create_raw(n, "{c}", PRIV, &[]),
                ]
                .concat()]
            }),
            DENY,
        )
        .lead(1)
        .twin(raw2(|n| {
            vec![[
                create_raw(n, "{x}", PLAIN, &["Connection: Upgrade", "Upgrade: tcp"]),
                create_raw(n, "{c}", PLAIN, &[]),
            ]
            .concat()]
        })),
    );
    // Smuggled inside a body: sockeye reads (or forwards) it as body bytes, as dockerd does.
    v.push(
        Case::new(
            k,
            "inside a create body whose Content-Length covers it",
            raw1(|n| {
                let mut body = n.fill(r#"{"Image":"{img}","Cmd":["true"]}"#).into_bytes();
                body.extend(create_raw(n, "{c}", PRIV, &[]));
                vec![with_length(
                    &n.fill("POST /v1.41/containers/create?name={x} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json"),
                    &body,
                )]
            }),
            Want::Unreadable,
        )
        .harmless("20.10 decodes the first document and ignores the rest: the smuggled request is never parsed"),
    );
    v.push(
        Case::new(
            k,
            "inside the body of GET /_ping",
            raw1(|n| {
                vec![with_length(
                    "GET /_ping HTTP/1.1\r\nHost: docker",
                    &create_raw(n, "{c}", PRIV, &[]),
                )]
            }),
            Want::Swallowed,
        )
        .lead(1)
        .refused_by_daemon("the bytes are the ping's body, which Go discards"),
    );
    v.push(
        Case::new(
            k,
            "inside the body of a kill whose handler ignores it",
            raw1(|n| {
                vec![with_length(
                    &n.fill("POST /v1.41/containers/{x}/kill HTTP/1.1\r\nHost: docker"),
                    &create_raw(n, "{c}", PRIV, &[]),
                )]
            }),
            Want::Swallowed,
        )
        .lead(1)
        .refused_by_daemon("the bytes are the kill's body, which Go discards"),
    );
    v.push(
        Case::new(
            k,
            "Content-Length shorter than the JSON, a privileged create after it",
            raw2(|n| {
                let json = n.fill(r#"{"Image":"{img}","Cmd":["true"],"HostConfig":{"Privileged":false}}"#);
                let mut out = with_length(
                    &n.fill("POST /v1.41/containers/create?name={x} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json"),
                    &json.as_bytes()[..10],
                );
                out.extend_from_slice(&json.as_bytes()[10..]);
                out.extend(create_raw(n, "{c}", PRIV, &[]));
                vec![out]
            }),
            Want::Unreadable,
        )
        .refused_by_daemon("the truncated JSON is a 400, and the rest is not a request"),
    );
    // Expect: 100-continue.
    v.push(
        Case::new(
            k,
            "Expect: 100-continue, all in one write",
            raw1(|n| vec![create_raw(n, "{c}", PRIV, &["Expect: 100-continue"])]),
            DENY,
        )
        .twin(raw1(|n| {
            vec![create_raw(n, "{c}", PLAIN, &["Expect: 100-continue"])]
        })),
    );
    v.push(
        Case::new(
            k,
            "Expect: 100-continue, body after the interim response",
            raw1(|n| {
                let full = create_raw(n, "{c}", PRIV, &["Expect: 100-continue"]);
                let split = full.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                vec![full[..split].to_vec(), full[split..].to_vec()]
            }),
            DENY,
        )
        .twin(raw1(|n| {
            let full = create_raw(n, "{c}", PLAIN, &["Expect: 100-continue"]);
            let split = full.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            vec![full[..split].to_vec(), full[split..].to_vec()]
        })),
    );
    // Bodies over --max-body: refused, never passed on unread.
    v.push(
        Case::new(
            k,
            "body over --max-body, privileged after the padding",
            raw1(|n| vec![create_raw_bytes(n, &padded(n, true, SMALL_MAX_BODY + 1024))]),
            Want::TooLarge,
        )
        .small()
        .twin(raw1(|n| {
            vec![create_raw_bytes(n, &padded(n, false, SMALL_MAX_BODY / 2))]
        })),
    );
    v.push(
        Case::new(
            k,
            "chunked body over --max-body",
            raw1(|n| {
                let body = padded(n, true, SMALL_MAX_BODY * 2);
                let mut out = n
                    .fill(
                        "POST /v1.41/containers/create?name={c} HTTP/1.1\r\nHost: docker\r\n\
                         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                    )
                    .into_bytes();
                for piece in body.chunks(1000) {
                    out.extend(format!("{:x}\r\n", piece.len()).into_bytes());
                    out.extend_from_slice(piece);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n\r\n");
                vec![out]
            }),
            Want::TooLarge,
        )
        .small()
        .twin(raw1(|n| {
            vec![create_chunked(n, "{c}", PLAIN, &|b| chunked(b))]
        })),
    );
    v.push(
        Case::new(
            k,
            "privileged body followed by whitespace past --max-body",
            raw1(|n| {
                let mut body = n.fill(PRIV).into_bytes();
                body.resize(SMALL_MAX_BODY + 100, b' ');
                vec![create_raw_bytes(n, &body)]
            }),
            Want::TooLarge,
        )
        .small()
        .twin(create(PLAIN)),
    );
    v.push(
        Case::new(
            k,
            "Expect: 100-continue with a body over --max-body",
            raw1(|n| {
                let body = padded(n, true, SMALL_MAX_BODY * 2);
                let mut out = n
                    .fill(&format!(
                        "POST /v1.41/containers/create?name={{c}} HTTP/1.1\r\nHost: docker\r\n\
                         Content-Type: application/json\r\nExpect: 100-continue\r\n\
                         Content-Length: {}\r\n\r\n",
                        body.len()
                    ))
                    .into_bytes();
                let head = out.clone();
                out.extend(body);
                let rest = out[head.len()..].to_vec();
                vec![head, rest]
            }),
            Want::TooLarge,
        )
        .small()
        .twin(raw1(|n| {
            vec![create_raw(n, "{c}", PLAIN, &["Expect: 100-continue"])]
        })),
    );
    // HTTP/2.
    v.push(
        Case::new(
            k,
            "HTTP/2 prior-knowledge preface alone",
            raw1(|_| vec![b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec()]),
            Want::Malformed,
        )
        .refused_by_daemon("20.10 does not speak h2c: 301 to /%2A (29.2+ would serve HTTP/2)"),
    );
    v.push(
        Case::new(
            k,
            "HTTP/2 prior knowledge: a privileged create on stream 1",
            raw1(|n| vec![h2_create(n, PRIV)]),
            Want::Malformed,
        )
        .refused_by_daemon("20.10 does not speak h2c (29.2+ would create the container)"),
    );
    v.push(
        Case::new(
            k,
            "h2c upgrade on a privileged create",
            raw1(|n| {
                vec![create_raw(
                    n,
                    "{c}",
                    PRIV,
                    &[
                        "Connection: Upgrade, HTTP2-Settings",
                        "Upgrade: h2c",
                        "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
                    ],
                )]
            }),
            DENY,
        )
        .twin(raw1(|n| {
            vec![create_raw(
                n,
                "{c}",
                PLAIN,
                &[
                    "Connection: Upgrade, HTTP2-Settings",
                    "Upgrade: h2c",
                    "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
                ],
            )]
        })),
    );
    v.push(
        Case::new(
            k,
            "privileged create in the same write as a header-less attach",
            raw1(|n| {
                vec![[
                    http(
                        "POST",
                        &n.fill("/v1.41/containers/{t}/attach?logs=1&stdout=1"),
                        &[],
                        b"",
                    ),
                    create_raw(n, "{c}", PRIV, &[]),
                ]
                .concat()]
            }),
            Want::Swallowed,
        )
        .lead(1)
        .refused_by_daemon(
            "dockerd hijacks the attach (200 and the raw stream until it closes) and drops \
             bytes that came with it",
        ),
    );
    v.push(
        Case::new(
            k,
            "privileged create in the same write as an attach upgrade",
            raw1(|n| {
                vec![[
                    http(
                        "POST",
                        &n.fill("/v1.41/containers/{t}/attach?stream=1&stdin=1&stdout=1"),
                        &["Connection: Upgrade", "Upgrade: tcp"],
                        b"",
                    ),
                    create_raw(n, "{c}", PRIV, &[]),
                ]
                .concat()]
            }),
            Want::Swallowed,
        )
        .lead(1)
        .refused_by_daemon("dockerd drops bytes that came with the attach request"),
    );
}

/// A create whose Content-Length header value is written as given.
fn with_length_raw(n: &Names, length: &str, body: &str) -> Vec<u8> {
    n.fill(&format!(
        "POST /v1.41/containers/create?name={{c}} HTTP/1.1\r\nHost: docker\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n{body}"
    ))
    .into_bytes()
}
