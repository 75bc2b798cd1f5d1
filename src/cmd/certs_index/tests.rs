use super::*;
use crate::cmd::certs::Validity;

#[test]
fn revoking_a_name_revokes_every_certificate_it_was_issued_and_the_crl_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::generate(Validity::days(1)).unwrap();
    let mut index = Index::default();
    let a1 = ca.client("alice", &[], Validity::days(1)).unwrap();
    let a2 = ca.client("alice", &[], Validity::hours(2)).unwrap();
    let b = ca.client("bob", &[], Validity::days(1)).unwrap();
    assert_ne!(a1.serial, a2.serial, "serials are never reused");
    index.issued("alice", &[], &a1);
    index.issued("alice", &[], &a2);
    index.issued("bob", &[], &b);
    let revoked = index.revoke("alice", SystemTime::now()).unwrap();
    assert_eq!(revoked.len(), 2);
    write_crl(dir.path(), &ca, &mut index, 1).unwrap();
    let info = crate::relay::tls::crl_info(&dir.path().join(CRL)).unwrap();
    assert_eq!(info.serials.len(), 2);
    assert!(info.serials.contains(&a1.serial));
    assert!(!info.serials.contains(&b.serial));
    let mut again = Index::load(dir.path()).unwrap();
    assert_eq!(again.crl_number, 1);
    assert!(again
        .revoke(&serial_hex(&b.serial).replace(':', ""), SystemTime::now())
        .is_ok());
    assert!(index.revoke("carol", SystemTime::now()).is_err());
}

// ---------------------------------------------------------------------------------------------
// The listener's side: what a CRL does to a handshake, read and reloaded
// ---------------------------------------------------------------------------------------------

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

use crate::relay::tls::ServerFiles;
use crate::relay::tls_live::{self, LiveTls, RevokedCert};

/// A CA directory as `certs init` leaves it, with `alice` and `bob` issued.
struct Dir {
    tmp: tempfile::TempDir,
    ca: Ca,
    index: Index,
    alice: Issued,
    bob: Issued,
}

fn dir() -> Dir {
    let tmp = tempfile::tempdir().unwrap();
    let ca = Ca::generate(Validity::days(1)).unwrap();
    let server = ca
        .server(&["localhost".into()], Validity::days(30))
        .unwrap();
    let key = ca.key_pem();
    crate::cmd::certs::write_files(
        tmp.path(),
        &[
            ("ca.pem", &ca.cert, false),
            ("ca-key.pem", &key, true),
            ("server-cert.pem", &server.cert, false),
            ("server-key.pem", &server.key, true),
        ],
    )
    .unwrap();
    let mut index = Index::default();
    let alice = ca.client("alice", &[], Validity::days(1)).unwrap();
    let bob = ca.client("bob", &[], Validity::days(1)).unwrap();
    index.issued("alice", &[], &alice);
    index.issued("bob", &[], &bob);
    write_crl(tmp.path(), &ca, &mut index, 1).unwrap();
    Dir {
        tmp,
        ca,
        index,
        alice,
        bob,
    }
}

impl Dir {
    fn files(&self) -> ServerFiles {
        let p = |n: &str| self.tmp.path().join(n);
        ServerFiles {
            cert: p("server-cert.pem"),
            key: p("server-key.pem"),
            client_ca: Some(p("ca.pem")),
            crls: vec![p(CRL)],
        }
    }

    fn client(&self, who: &Issued) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(self.ca.cert.as_bytes()).unwrap())
            .unwrap();
        let config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_client_auth_cert(
                    vec![CertificateDer::from_pem_slice(who.cert.as_bytes()).unwrap()],
                    PrivateKeyDer::from_pem_slice(who.key.as_bytes()).unwrap(),
                )
                .unwrap();
        Arc::new(config)
    }
}

/// A whole handshake in memory; the server's error, if it refused.
fn handshake(server: Arc<ServerConfig>, client: Arc<ClientConfig>) -> Result<(), rustls::Error> {
    let mut c = ClientConnection::new(client, "localhost".try_into().unwrap()).unwrap();
    let mut s = ServerConnection::new(server).unwrap();
    for _ in 0..10 {
        let mut buf = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        s.read_tls(&mut &buf[..]).unwrap();
        s.process_new_packets()?;
        let mut buf = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        c.read_tls(&mut &buf[..]).unwrap();
        let _ = c.process_new_packets();
        if !s.is_handshaking() {
            return Ok(());
        }
    }
    panic!("the handshake did not finish");
}

fn revoked_name(e: &rustls::Error) -> Option<String> {
    match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o)) => {
            o.0.downcast_ref::<RevokedCert>().map(|r| r.to_string())
        }
        _ => None,
    }
}

#[test]
fn a_reload_refuses_a_newly_revoked_certificate_by_name_and_keeps_letting_others_in() {
    let mut d = dir();
    let live = LiveTls::new(d.files(), tls_live::load(&d.files()).unwrap());
    handshake(live.current(), d.client(&d.alice)).expect("alice before revocation");

    d.index.revoke("alice", SystemTime::now()).unwrap();
    write_crl(d.tmp.path(), &d.ca, &mut d.index, 1).unwrap();
    // Not before the reload: the files are read at start and on SIGHUP only.
    handshake(live.current(), d.client(&d.alice)).expect("alice until the reload");
    let (loaded, closed) = live.reload().unwrap();
    assert!(loaded.revoked.contains(&d.alice.serial));
    assert!(closed.is_empty(), "no session was registered");

    let err = handshake(live.current(), d.client(&d.alice)).unwrap_err();
    let why = revoked_name(&err).unwrap_or_else(|| panic!("not named: {err:?}"));
    assert!(
        why.starts_with("client certificate cn=alice serial "),
        "{why}"
    );
    assert!(why.ends_with(" revoked"), "{why}");
    handshake(live.current(), d.client(&d.bob)).expect("bob after alice's revocation");
}

#[test]
fn an_expired_crl_warns_and_its_revocations_still_apply() {
    let mut d = dir();
    d.index.revoke("alice", SystemTime::now()).unwrap();
    // Signed two days ago, due yesterday.
    let then = SystemTime::now() - Duration::from_secs(2 * 86_400);
    let params = CertificateRevocationListParams {
        this_update: then.into(),
        next_update: (then + Duration::from_secs(86_400)).into(),
        crl_number: SerialNumber::from(9),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from_slice(&d.alice.serial),
            revocation_time: then.into(),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let pem = params.signed_by(d.ca.issuer()).unwrap().pem().unwrap();
    std::fs::write(d.tmp.path().join(CRL), pem).unwrap();

    let loaded = tls_live::load(&d.files()).unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("expired") && w.contains("its revocations still apply")),
        "{:?}",
        loaded.warnings
    );
    let err = handshake(loaded.config.clone(), d.client(&d.alice)).unwrap_err();
    assert!(revoked_name(&err).is_some(), "{err:?}");
    handshake(loaded.config, d.client(&d.bob)).expect("bob, under an expired CRL");
}

#[test]
fn a_broken_crl_on_reload_keeps_the_old_configuration_and_says_which_file() {
    let d = dir();
    let live = LiveTls::new(d.files(), tls_live::load(&d.files()).unwrap());
    let before = live.current();
    std::fs::write(d.tmp.path().join(CRL), "-----BEGIN X509 CRL-----\nnope\n").unwrap();
    let Err(why) = live.reload() else {
        panic!("a broken CRL reloaded")
    };
    assert!(why.contains("--tls-crl") && why.contains(CRL), "{why}");
    assert!(
        Arc::ptr_eq(&before, &live.current()),
        "the old config stays"
    );
    handshake(live.current(), d.client(&d.bob)).expect("bob, after the broken reload");
}

#[test]
fn a_server_certificate_that_expires_within_a_week_is_called_out() {
    let soon = SystemTime::now() + Duration::from_secs(3 * 86_400);
    let w = tls_live::expiry_warning("--tls-cert", "server-cert.pem", soon).unwrap();
    assert!(w.starts_with("--tls-cert server-cert.pem expires "), "{w}");
    let later = SystemTime::now() + Duration::from_secs(30 * 86_400);
    assert!(tls_live::expiry_warning("--tls-cert", "x", later).is_none());
}

#[test]
fn a_session_of_a_certificate_revoked_while_it_shook_hands_is_closed_as_it_registers() {
    let mut d = dir();
    let live = Arc::new(LiveTls::new(d.files(), tls_live::load(&d.files()).unwrap()));
    let der = |i: &Issued| CertificateDer::from_pem_slice(i.cert.as_bytes()).unwrap();
    let addr = "127.0.0.1:1".parse().unwrap();
    let bob = live.session(1, addr, &der(&d.bob), None).unwrap();
    d.index.revoke("alice", SystemTime::now()).unwrap();
    write_crl(d.tmp.path(), &d.ca, &mut d.index, 1).unwrap();
    let (_, closed) = live.reload().unwrap();
    assert!(closed.is_empty(), "bob's session stays: {closed:?}");
    // alice's handshake was verified under the old CRL; the reload swept before she registered.
    let alice = live.session(2, addr, &der(&d.alice), None).unwrap();
    assert!(alice.close.is_cancelled());
    assert!(!bob.close.is_cancelled());
}
