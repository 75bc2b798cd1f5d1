use super::*;

#[test]
fn callers_are_identified_by_what_is_stable_and_written_as_valid_toml() {
    let records = session();
    let ps = by_action(&records, "docker ps");
    let with = |f: &dyn Fn(&mut Caller)| {
        let mut r = ps.clone();
        f(&mut r.caller);
        r
    };
    let no_exe = with(&|c| {
        c.exe = None;
        c.process = Some("we\"ird\\proc\u{1}".into());
    });
    let bare = with(&|c| {
        c.exe = None;
        c.process = None;
        c.uid = Some(1000);
    });
    let tcp = with(&|c| {
        *c = Caller {
            transport: "tcp".into(),
            addr: Some("10.0.0.5:41234".into()),
            ..Caller::default()
        }
    });
    let unknown = with(&|c| c.uid = None);
    let opts = Options::default();
    assert_eq!(learnable(&unknown, &opts).err(), Some(Skip::Unidentified));
    let (learned, policy) = learn_from(&[no_exe.clone(), bare.clone(), tcp.clone(), unknown], opts);
    let text = &learned.text;
    assert_eq!(learned.clients, 3, "{text}");
    for r in [&no_exe, &bare, &tcp] {
        assert!(decide(&policy, r).is_allow(), "{:?}\n{text}", r.caller);
    }
    assert!(
        text.contains("client.process = [\"we\\\"ird\\\\proc\\u0001\"]"),
        "{text}"
    );
    assert!(text.contains("client.source = [\"10.0.0.5\"]"), "{text}");
    assert!(text.contains("every process of this uid"), "{text}");
    // The TCP client from another port is the same client; from another address it is not.
    let mut again = tcp.clone();
    again.caller.addr = Some("10.0.0.5:5555".into());
    assert!(decide(&policy, &again).is_allow());
    again.caller.addr = Some("10.0.0.6:5555".into());
    assert!(!decide(&policy, &again).is_allow());
    // A TLS client is its verified certificate, wherever it connects from.
    let tls = |cn: Option<&str>, addr: &str| {
        with(&|c| {
            *c = Caller {
                transport: "tls".into(),
                addr: Some(addr.into()),
                cert: Some(crate::caller::ClientCert {
                    subject: format!("CN={},O=ops", cn.unwrap_or("")),
                    common_name: cn.map(str::to_owned),
                    sans: vec!["ci.example".into()],
                }),
                ..Caller::default()
            }
        })
    };
    let (learned, policy) = learn_from(
        &[
            tls(Some("ci-runner"), "10.0.0.7:4000"),
            tls(None, "10.0.0.8:4000"),
        ],
        Options::default(),
    );
    let text = &learned.text;
    assert!(
        text.contains("client.cert_subject = [\"ci-runner\"]\n"),
        "{text}"
    );
    assert!(
        text.contains("client.cert_san = [\"ci.example\"]\n"),
        "{text}"
    );
    assert!(decide(&policy, &tls(Some("ci-runner"), "10.9.9.9:1")).is_allow());
    let mut plain = tls(Some("ci-runner"), "10.0.0.7:4000");
    plain.caller.cert = None;
    plain.caller.transport = "tcp".into();
    assert!(!decide(&policy, &plain).is_allow(), "{text}");

    // Rule names are valid and unique even when clients slug alike.
    let a = with(&|c| c.exe = Some("/a/docker".into()));
    let b = with(&|c| c.exe = Some("/b/docker".into()));
    let (learned, policy) = learn_from(&[a.clone(), b.clone()], Options::default());
    assert!(learned.text.contains("name = \"uid0-docker\""));
    assert!(learned.text.contains("name = \"uid0-docker-2\""));
    assert!(decide(&policy, &a).is_allow() && decide(&policy, &b).is_allow());
}
