//! TLS on both ends: `tls://` listeners (with client certificates as caller identities) and
//! `tls://` upstreams. rustls with the `ring` provider only: no C toolchain beyond what ring
//! needs, TLS 1.2 and 1.3 only.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateRevocationListDer;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::{NoServerSessionStorage, WebPkiClientVerifier};
use rustls::{CertificateError, ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_rustls::{TlsAcceptor, TlsConnector, TlsStream};

use crate::caller::{ClientCert, Peer};
use crate::event::{Event, Events, Notice};
use crate::relay::stream::Stream;
use crate::relay::tls_live::{NamingVerifier, RevokedCert};

/// The files of `tls://` listeners.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerFiles {
    /// `--tls-cert`: the server certificate, then any intermediates (PEM).
    pub cert: PathBuf,
    /// `--tls-key`
    pub key: PathBuf,
    /// `--tls-client-ca`: clients must present a certificate issued by one of these.
    pub client_ca: Option<PathBuf>,
    /// `--tls-crl`: certificate revocation lists; a client certificate in one is refused.
    pub crls: Vec<PathBuf>,
}

/// The files for a `tls://` upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFiles {
    /// `--upstream-tls-ca`: the daemon's certificate must be issued by one of these.
    pub ca: PathBuf,
    /// `--upstream-tls-cert` and `--upstream-tls-key`, for a daemon that requires a client
    /// certificate (dockerd `--tlsverify`).
    pub cert: Option<(PathBuf, PathBuf)>,
}

/// One provider for every config: rustls would otherwise pick a process-wide default, and
/// panic if a dependency ever enabled a second one.
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(crate) fn load_certs(path: &Path, flag: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag} {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file",
            path.display()
        ));
    }
    Ok(certs)
}

pub(crate) fn load_key(path: &Path, flag: &str) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| format!("{flag} {}: {e}", path.display()))
}

pub(crate) fn load_roots(path: &Path, flag: &str) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path, flag)? {
        roots
            .add(cert)
            .map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    }
    Ok(roots)
}

fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, String> {
    let crls = CertificateRevocationListDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("--tls-crl {}: {e}", path.display()))?;
    if crls.is_empty() {
        return Err(format!(
            "--tls-crl {}: no PEM CRL (-----BEGIN X509 CRL-----) in the file",
            path.display()
        ));
    }
    Ok(crls)
}

/// What sockeye reads from a CRL file itself: when it expires and whom it revokes.
pub struct CrlInfo {
    pub next_update: Option<SystemTime>,
    pub serials: Vec<Vec<u8>>,
}

pub fn crl_info(path: &Path) -> Result<CrlInfo, String> {
    let mut info = CrlInfo {
        next_update: None,
        serials: Vec::new(),
    };
    for der in load_crls(path)? {
        let (_, crl) = x509_parser::parse_x509_crl(&der)
            .map_err(|e| format!("--tls-crl {}: {e}", path.display()))?;
        let next = crl.next_update().map(|t| to_system(t.timestamp()));
        info.next_update = match (info.next_update, next) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        info.serials.extend(
            crl.iter_revoked_certificates()
                .map(|r| r.raw_serial().to_vec()),
        );
    }
    Ok(info)
}

/// A certificate's serial (DER integer bytes, as CRLs list them).
pub fn der_serial(der: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.raw_serial().to_vec())
}

/// When the first certificate in a PEM file expires.
pub fn cert_not_after(path: &Path) -> Result<Option<SystemTime>, String> {
    let certs = load_certs(path, "--tls-cert")?;
    Ok(der_not_after(&certs[0]))
}

pub fn der_not_after(der: &[u8]) -> Option<SystemTime> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(to_system(cert.validity().not_after.timestamp()))
}

fn to_system(unix: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap_or(0))
}

pub fn rfc3339_time(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    rfc3339(secs.as_secs())
}

/// The configuration every `tls://` listener shares. Fails on unreadable or mismatched files,
/// so a misconfiguration stops sockeye at start, not at a client's first handshake.
pub fn server_config(files: &ServerFiles) -> Result<Arc<ServerConfig>, String> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match &files.client_ca {
        Some(ca) => {
            let roots = load_roots(ca, "--tls-client-ca")?;
            let mut crls = Vec::new();
            for path in &files.crls {
                crls.extend(load_crls(path)?);
            }
            // An expired CRL still applies (webpki's default, ExpirationPolicy::Ignore): a
            // stale list must not unrevoke anyone nor lock everyone out; sockeye warns about
            // it instead (tls_live::load). A certificate of a CA without a CRL is accepted
            // only when no CRL is given at all (UnknownStatusPolicy::Deny otherwise).
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .with_crls(crls)
                .build()
                .map_err(|e| format!("--tls-client-ca {}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(Arc::new(NamingVerifier(verifier)))
        }
        None => builder.with_no_client_auth(),
    };
    let certs = load_certs(&files.cert, "--tls-cert")?;
    let key = load_key(&files.key, "--tls-key")?;
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        format!(
            "--tls-cert {} with --tls-key {}: {}",
            files.cert.display(),
            files.key.display(),
            pair_error(&e)
        )
    })?;
    // No session resumption: a resumed session skips the client certificate's verification,
    // so it would outlive a revocation. Every connection verifies against the CRLs in force.
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// Why a certificate and a key do not make a pair, in words: rustls says
/// "keys may not be consistent: KeyMismatch".
pub fn pair_error(e: &rustls::Error) -> String {
    use rustls::InconsistentKeys;
    match e {
        rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => {
            "the key is not the certificate's (it belongs to another certificate)".into()
        }
        rustls::Error::InconsistentKeys(_) => {
            "cannot tell whether the key is the certificate's (an unusual key type)".into()
        }
        e => e.to_string(),
    }
}

/// Open TLS to the daemon at `hostport` over `stream`; the daemon's certificate must name
/// `host`.
pub async fn connect(
    config: &Arc<ClientConfig>,
    hostport: &str,
    stream: Stream,
) -> io::Result<Stream> {
    let host = hostport
        .rsplit_once(':')
        .map_or(hostport, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{host:?}: {e}")))?;
    let tls = TlsConnector::from(config.clone())
        .connect(name, stream)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("TLS handshake: {}", tls_error(&e))))?;
    Ok(Stream::Tls(Box::new(TlsStream::Client(tls))))
}

/// The first byte of every TLS connection: a handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// What Go's `net/http` answers plain HTTP on a TLS port, so the docker CLI without
/// `--tls` prints the message it prints against dockerd.
const PLAIN_HTTP_ANSWER: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// Complete the TLS handshake of a client accepted on a `tls://` listener, within
/// `timeout`. A refused client is reported (one line naming its address and why) and `None`
/// is returned; the connection is then closed.
///
/// This runs in the connection's own task, never in the accept loop: a client that connects
/// and stays silent must not hold up anyone else.
pub async fn handshake(
    acceptor: TlsAcceptor,
    mut stream: Stream,
    addr: SocketAddr,
    conn: u64,
    events: &Events,
    timeout: Duration,
) -> Option<(Stream, Peer, Option<CertificateDer<'static>>)> {
    let deadline = Instant::now() + timeout;
    let refuse = |message: String| report(events, conn, addr, message);
    let late = || {
        format!("TLS handshake refused: no handshake within {timeout:?} (limit: --head-timeout)")
    };
    let mut first = [0u8; 1];
    match tokio::time::timeout_at(deadline, stream.peek(&mut first)).await {
        Err(_) => return refuse(late()),
        // Closed before saying anything: a port probe or health check, not worth a line.
        Ok(Ok(0)) | Ok(Err(_)) => return None,
        Ok(Ok(_)) if first[0] == TLS_HANDSHAKE_RECORD => {}
        Ok(Ok(_)) if first[0].is_ascii_uppercase() => {
            // Read what the client sent before answering: closing a socket with unread
            // bytes resets it, and the client would never see the answer.
            let answer = async {
                let mut request = vec![0u8; 16 * 1024];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(PLAIN_HTTP_ANSWER).await;
                let _ = stream.shutdown().await;
            };
            let _ = tokio::time::timeout_at(deadline, answer).await;
            return refuse(
                "TLS handshake refused: plain HTTP on a TLS listener (answered 400; the client \
                 must use TLS: https://, or docker --tlsverify)"
                    .into(),
            );
        }
        Ok(Ok(_)) => {
            return refuse(format!(
                "TLS handshake refused: not TLS (first byte 0x{:02x})",
                first[0]
            ))
        }
    }
    let tls = match tokio::time::timeout_at(deadline, acceptor.accept(stream)).await {
        Err(_) => return refuse(late()),
        Ok(Err(e)) => return refuse(format!("TLS handshake refused: {}", refusal(&e))),
        Ok(Ok(tls)) => tls,
    };
    let leaf = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|der| der.clone().into_owned());
    let cert = leaf.as_deref().and_then(ClientCert::from_der);
    Some((
        Stream::Tls(Box::new(TlsStream::Server(tls))),
        Peer::Tls { addr, cert },
        leaf,
    ))
}

/// A refused handshake is a notice in the live view; with no live view (`--quiet`, whatever
/// else records calls) it still gets a log line: a refusal is a security event, and the
/// audit log and metrics record calls, not connections that never made one.
fn report<T>(events: &Events, conn: u64, addr: SocketAddr, message: String) -> Option<T> {
    if events.viewed() {
        events.emit(Event::Notice(Notice {
            conn,
            peer: Arc::new(Peer::Tls { addr, cert: None }),
            message,
        }));
    } else {
        tracing::warn!("{addr}  {message}");
    }
    None
}

/// Why a client's handshake failed, in words that say what to fix.
fn refusal(e: &io::Error) -> String {
    let Some(err) = e.get_ref().and_then(|r| r.downcast_ref::<rustls::Error>()) else {
        return match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                "the client closed the connection during the handshake".into()
            }
            _ => format!("handshake failed: {e}"),
        };
    };
    match err {
        rustls::Error::NoCertificatesPresented => {
            "no client certificate (this listener requires one issued by --tls-client-ca; the \
             docker CLI sends none when its cert.pem is from another CA)"
                .into()
        }
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                "client certificate not issued by the --tls-client-ca CA (unknown issuer)".into()
            }
            CertificateError::Expired => "client certificate expired".into(),
            CertificateError::ExpiredContext { not_after, .. } => format!(
                "client certificate expired (not valid after {})",
                rfc3339(not_after.as_secs())
            ),
            CertificateError::NotValidYet => "client certificate not valid yet".into(),
            CertificateError::NotValidYetContext { not_before, .. } => format!(
                "client certificate not valid yet (not valid before {})",
                rfc3339(not_before.as_secs())
            ),
            CertificateError::Revoked => "client certificate revoked".into(),
            CertificateError::Other(other) => match other.0.downcast_ref::<RevokedCert>() {
                Some(revoked) => revoked.to_string(),
                None => format!("client certificate refused: {err}"),
            },
            _ => format!("client certificate refused: {err}"),
        },
        rustls::Error::AlertReceived(alert) => format!(
            "the client aborted the handshake (TLS alert: {alert:?}); it may not trust sockeye's \
             certificate (--tls-cert) or the name it connected to"
        ),
        rustls::Error::PeerIncompatible(_) => format!(
            "the client offers no TLS version or cipher suite sockeye accepts (TLS 1.2 or later): \
             {err}"
        ),
        _ => err.to_string(),
    }
}

/// rustls's own words for a failed upstream handshake, without io::Error's wrapping.
fn tls_error(e: &io::Error) -> String {
    match e.get_ref().and_then(|r| r.downcast_ref::<rustls::Error>()) {
        Some(err) => err.to_string(),
        None => e.to_string(),
    }
}

fn rfc3339(secs: u64) -> String {
    crate::docker::time::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX), 0, 0)
}

/// The client configuration for a `tls://` audit receiver (`--audit-syslog-ca`, and a
/// client certificate when it asks for one); `flag` prefixes every file's error.
pub fn audit_client_config(
    ca: &Path,
    cert: Option<(&Path, &Path)>,
    flag: &str,
) -> Result<Arc<ClientConfig>, String> {
    let roots = load_roots(ca, &format!("{flag}-ca"))?;
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots);
    let config = match cert {
        None => builder.with_no_client_auth(),
        Some((cert, key_path)) => {
            let certs = load_certs(cert, &format!("{flag}-cert"))?;
            let key = load_key(key_path, &format!("{flag}-key"))?;
            builder.with_client_auth_cert(certs, key).map_err(|e| {
                format!(
                    "{flag}-cert {} with {flag}-key {}: {}",
                    cert.display(),
                    key_path.display(),
                    pair_error(&e)
                )
            })?
        }
    };
    Ok(Arc::new(config))
}
