use super::format::*;
use super::*;

fn header() -> Header {
    Header {
        facility: facility("authpriv").unwrap(),
        hostname: "docker-host-1".into(),
        app_name: "sockeye".into(),
        procid: "4242".into(),
    }
}

const RECORD: &str = r##"{"v":1,"time":"2026-11-22T23:19:27.983Z","id":"#1.2","conn":1,"req":2,"caller":{"transport":"unix","uid":0,"process":"docker"},"endpoint":"ContainerCreate","action":"docker run --name \"x]\" a\\b","decision":"deny","rule":"no-escape","status":403,"facts":{"privileged":true,"escalations":["privileged"]},"error":null}"##;

fn text(msg: &[u8]) -> String {
    String::from_utf8(msg.to_vec()).unwrap()
}

#[test]
fn a_denied_call_is_an_rfc5424_warning_with_its_record_as_sd_and_json() {
    let (msg, fit) = message(&header(), RECORD.as_bytes(), 8192).unwrap();
    assert_eq!(fit, Fit::Whole);
    let m = text(&msg);
    // authpriv (10) * 8 + warning (4)
    assert!(
        m.starts_with(
            "<84>1 2026-11-22T23:19:27.983Z docker-host-1 sockeye 4242 call [sockeye@32473 "
        ),
        "{m}"
    );
    // `"`, `\` and `]` in a value are escaped; nested objects are flattened; nulls left out.
    assert!(
        m.contains(r##" action="docker run --name \"x\]\" a\\b""##),
        "{m}"
    );
    assert!(m.contains(r##" caller.uid="0""##), "{m}");
    assert!(
        m.contains(r##" facts.escalations="[\"privileged\"\]""##),
        "{m}"
    );
    assert!(!m.contains("error="), "{m}");
    // The MSG: a BOM, then the record exactly as the file sink writes it.
    let msg_part = m.split_once("] \u{feff}").expect("SD, space, BOM").1;
    assert_eq!(msg_part, RECORD);
}

#[test]
fn severity_follows_the_decision_and_whose_fault_it_was() {
    let sev = |json: &str| severity(&serde_json::from_str(json).unwrap());
    assert_eq!(sev(r##"{"decision":"allow","status":200}"##), 6);
    assert_eq!(sev(r##"{"decision":null}"##), 6);
    assert_eq!(sev(r##"{"decision":"would_deny"}"##), 5);
    assert_eq!(sev(r##"{"decision":"deny","fault":"denied"}"##), 4);
    assert_eq!(sev(r##"{"decision":"refused","fault":"unreadable"}"##), 4);
    assert_eq!(sev(r##"{"fault":"upstream_unreachable"}"##), 3);
    assert_eq!(sev(r##"{"fault":"not_recorded"}"##), 3);
    assert_eq!(sev(r##"{"fault":"client_aborted"}"##), 6);
}

#[test]
fn an_event_line_is_named_by_its_event_and_a_bad_time_is_nil() {
    let (msg, _) = message(
        &header(),
        br##"{"event":"policy_reloaded","time":"yesterday"}"##,
        8192,
    )
    .unwrap();
    assert!(
        text(&msg).starts_with("<86>1 - docker-host-1 sockeye 4242 policy_reloaded ["),
        "{}",
        text(&msg)
    );
}

#[test]
fn a_record_too_long_loses_its_sd_first_then_all_but_its_key_fields() {
    let long = RECORD.replace("docker run", &format!("docker run {}", "x".repeat(3000)));
    let (whole, _) = message(&header(), long.as_bytes(), 100_000).unwrap();
    // Without SD, the JSON still whole.
    let max = whole.len() - 100;
    let (msg, fit) = message(&header(), long.as_bytes(), max).unwrap();
    assert_eq!(fit, Fit::NoSd);
    assert!(msg.len() <= max);
    let m = text(&msg);
    assert!(m.contains(" call - \u{feff}{"), "{m}");
    assert!(m.ends_with(&long));
    // Smaller still: the key fields, marked truncated, still JSON.
    let (msg, fit) = message(&header(), long.as_bytes(), 1024).unwrap();
    assert_eq!(fit, Fit::Short);
    assert!(msg.len() <= 1024, "{}", msg.len());
    let m = text(&msg);
    let json: serde_json::Value =
        serde_json::from_str(m.split_once("- \u{feff}").unwrap().1).unwrap();
    assert_eq!(json["truncated"], true);
    assert_eq!(json["id"], "#1.2");
    assert_eq!(json["decision"], "deny");
    assert!(json.get("action").is_none());
    // Too small for anything.
    assert!(message(&header(), long.as_bytes(), 60).is_none());
}

#[test]
fn octet_counting_prefixes_the_byte_length() {
    let mut out = Vec::new();
    octet_counted(&mut out, "é1".as_bytes());
    octet_counted(&mut out, b"ab");
    assert_eq!(out, "3 é12 ab".as_bytes());
}

#[test]
fn facilities_and_app_names_are_checked() {
    assert_eq!(facility("local0"), Ok(16));
    assert_eq!(facility("auth"), Ok(4));
    assert!(facility("local9").unwrap_err().contains("authpriv"));
    assert!(app_name("sockeye-prod").is_ok());
    assert!(app_name("a b").is_err());
    assert!(app_name("").is_err());
    assert!(app_name(&"a".repeat(49)).is_err());
}

#[test]
fn addresses_parse_with_their_default_ports() {
    assert_eq!(
        SyslogAddr::parse("unix:///dev/log"),
        Ok(SyslogAddr::Unix("/dev/log".into()))
    );
    assert_eq!(
        SyslogAddr::parse("tcp://127.0.0.1:1514"),
        Ok(SyslogAddr::Tcp("127.0.0.1".into(), 1514))
    );
    assert_eq!(
        SyslogAddr::parse("udp://logs.example"),
        Ok(SyslogAddr::Udp("logs.example".into(), 514))
    );
    assert_eq!(
        SyslogAddr::parse("tls://[::1]"),
        Ok(SyslogAddr::Tls("::1".into(), 6514))
    );
    assert_eq!(
        SyslogAddr::parse("tls://[::1]:6515").unwrap().to_string(),
        "tls://[::1]:6515"
    );
    for bad in [
        "http://x",
        "tcp://",
        "tcp://h:0",
        "tcp://h:99999",
        "unix://rel",
        "x",
    ] {
        assert!(SyslogAddr::parse(bad).is_err(), "{bad}");
    }
}

/// A receiver that stopped (closed its end) is noticed before the next batch: the batch goes
/// to a new connection, not into the dead one.
#[tokio::test]
async fn a_closed_tcp_receiver_is_noticed_before_the_next_batch() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let opts = SyslogOptions {
        addr: SyslogAddr::Tcp("127.0.0.1".into(), port),
        facility: 16,
        app_name: "sockeye".into(),
        max_message: 8192,
        tls_files: None,
    };
    let mut syslog = Syslog::new(&opts, None);
    let send = tokio::spawn(async move {
        syslog
            .send(&[br##"{"id":"#1.1"}"##.to_vec()])
            .await
            .unwrap();
        syslog
    });
    let (mut first, _) = listener.accept().await.unwrap();
    let mut syslog = send.await.unwrap();
    let mut got = vec![0u8; 4096];
    let n = first.read(&mut got).await.unwrap();
    assert!(text(&got[..n]).contains(r##"{"id":"#1.1"}"##));
    // The receiver goes away.
    drop(first);
    // Wait until the kernel has the receiver's FIN: the check reads only what it has.
    let mut waited = 0;
    while !syslog.conn.as_mut().unwrap().peer_closed() {
        waited += 1;
        assert!(
            waited < 1000,
            "the closed connection never read end-of-file"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let send = tokio::spawn(async move { syslog.send(&[br##"{"id":"#1.2"}"##.to_vec()]).await });
    let (mut second, _) = listener.accept().await.unwrap();
    send.await.unwrap().unwrap();
    let n = second.read(&mut got).await.unwrap();
    let m = text(&got[..n]);
    assert!(m.contains(r##"{"id":"#1.2"}"##), "{m}");
    // Octet-counted: `LEN SP MSG`.
    let (len, msg) = m.split_once(' ').unwrap();
    assert_eq!(len.parse::<usize>().unwrap(), msg.len());
}

#[tokio::test]
async fn datagrams_carry_one_message_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let rx = UnixDatagram::bind(&path).unwrap();
    let opts = SyslogOptions {
        addr: SyslogAddr::Unix(path),
        facility: 10,
        app_name: "sockeye".into(),
        max_message: 8192,
        tls_files: None,
    };
    let mut syslog = Syslog::new(&opts, None);
    syslog
        .send(&[
            br##"{"id":"#1.1"}"##.to_vec(),
            br##"{"id":"#1.2"}"##.to_vec(),
        ])
        .await
        .unwrap();
    let mut buf = vec![0u8; 8192];
    for id in ["#1.1", "#1.2"] {
        let n = rx.recv(&mut buf).await.unwrap();
        let m = text(&buf[..n]);
        assert!(m.starts_with("<86>1 - "), "{m}");
        assert!(m.ends_with(&format!("\u{feff}{{\"id\":\"{id}\"}}")), "{m}");
    }
}

/// tls://: the receiver's certificate is checked against --audit-syslog-ca, and the messages
/// are octet-counted inside TLS.
#[tokio::test]
async fn tls_delivers_octet_counted_messages_to_a_receiver_the_ca_vouches_for() {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::AsyncReadExt;
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, issued.cert.pem()).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(issued.cert.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(issued.signing_key.serialize_der())),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let opts = SyslogOptions {
        addr: SyslogAddr::Tls("localhost".into(), port),
        facility: 16,
        app_name: "sockeye".into(),
        max_message: 8192,
        tls_files: None,
    };
    let config = crate::relay::tls::audit_client_config(&ca, None, "--audit-syslog").unwrap();
    let mut syslog = Syslog::new(&opts, Some(config));
    let accept = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = tokio_rustls::TlsAcceptor::from(Arc::new(server))
            .accept(tcp)
            .await
            .unwrap();
        let mut got = Vec::new();
        tls.read_to_end(&mut got).await.ok();
        got
    });
    syslog
        .send(&[
            br##"{"id":"#1.1"}"##.to_vec(),
            br##"{"id":"#1.2"}"##.to_vec(),
        ])
        .await
        .unwrap();
    drop(syslog);
    let got = text(&accept.await.unwrap());
    let mut rest = got.as_str();
    for id in ["#1.1", "#1.2"] {
        let (len, after) = rest.split_once(' ').unwrap();
        let (msg, next) = after.split_at(len.parse().unwrap());
        assert!(msg.starts_with("<134>1 - "), "{msg}");
        assert!(
            msg.ends_with(&format!("\u{feff}{{\"id\":\"{id}\"}}")),
            "{msg}"
        );
        rest = next;
    }
    assert_eq!(rest, "");
}

#[tokio::test]
async fn tls_refuses_a_receiver_the_ca_does_not_vouch_for() {
    let ours = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, other.cert.pem()).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![rustls::pki_types::CertificateDer::from(
            ours.cert.der().to_vec(),
        )],
        rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
            ours.signing_key.serialize_der(),
        )),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = tokio_rustls::TlsAcceptor::from(Arc::new(server))
            .accept(tcp)
            .await;
    });
    let opts = SyslogOptions {
        addr: SyslogAddr::Tls("localhost".into(), port),
        facility: 16,
        app_name: "sockeye".into(),
        max_message: 8192,
        tls_files: None,
    };
    let config = crate::relay::tls::audit_client_config(&ca, None, "--audit-syslog").unwrap();
    let mut syslog = Syslog::new(&opts, Some(config));
    let err = syslog
        .send(&[br##"{"id":"#1.1"}"##.to_vec()])
        .await
        .unwrap_err();
    assert!(err.contains("TLS"), "{err}");
}

/// A datagram is never longer than UDP can carry, whatever --audit-syslog-max-message says:
/// one the kernel refused would be retried for ever.
#[tokio::test]
async fn a_record_longer_than_a_datagram_is_shortened_to_fit_one() {
    let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = rx.local_addr().unwrap().port();
    let opts = SyslogOptions {
        addr: SyslogAddr::Udp("127.0.0.1".into(), port),
        facility: 10,
        app_name: "sockeye".into(),
        max_message: 1 << 20,
        tls_files: None,
    };
    let mut syslog = Syslog::new(&opts, None);
    let long = format!(r##"{{"id":"#1.1","action":"{}"}}"##, "x".repeat(100_000));
    syslog.send(&[long.into_bytes()]).await.unwrap();
    let mut buf = vec![0u8; 1 << 17];
    let n = rx.recv(&mut buf).await.unwrap();
    assert!(n <= MAX_DATAGRAM);
    let m = text(&buf[..n]);
    assert!(m.ends_with(r##"{"id":"#1.1","truncated":true}"##), "{m}");
}
