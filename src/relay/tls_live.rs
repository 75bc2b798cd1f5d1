//! A `tls://` listener's configuration as it is now: read again on SIGHUP (certificate, key,
//! client CA, CRLs) and swapped for the next handshake, while the sessions it let in are
//! known by their certificate's serial so that a reload which revokes one can close them.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, SystemTime};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig};
use tokio_util::sync::CancellationToken;

use crate::caller::ClientCert;
use crate::relay::tls::{server_config, ServerFiles};
use crate::remember::metrics::Metrics;

/// Certificates that expire sooner than this are called out (start, reload, handshake).
pub const EXPIRY_WARNING: Duration = Duration::from_secs(7 * 86_400);

/// A certificate serial, as its DER integer bytes.
pub type Serial = Vec<u8>;

/// `0a:1b:…`, as `openssl x509 -serial` and `sockeye certs list` print it.
pub fn serial_hex(serial: &[u8]) -> String {
    let hex: Vec<String> = serial.iter().map(|b| format!("{b:02x}")).collect();
    hex.join(":")
}

/// One open session of a client certificate.
struct Session {
    serial: Serial,
    who: String,
    addr: SocketAddr,
    close: CancellationToken,
}

/// A session that a reload closed because its certificate is now revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub conn: u64,
    pub who: String,
    pub serial: String,
    pub addr: SocketAddr,
}

/// What a listener serves with, and the sessions it let in.
pub struct LiveTls {
    files: ServerFiles,
    config: RwLock<Arc<ServerConfig>>,
    /// Serials in the CRLs in force.
    revoked: RwLock<Arc<HashSet<Serial>>>,
    sessions: Mutex<HashMap<u64, Session>>,
    /// Client certificates already called out as about to expire: once each, not on every
    /// connection the docker CLI opens.
    warned: Mutex<HashSet<Serial>>,
    /// Where certificate expiries are exported, when metrics are on.
    metrics: OnceLock<Arc<Metrics>>,
}

/// Read at start and on every reload: the config and the revoked serials.
pub struct Loaded {
    pub config: Arc<ServerConfig>,
    pub revoked: HashSet<Serial>,
    /// Warnings worth a line (an expired CRL, a server certificate about to expire).
    pub warnings: Vec<String>,
}

/// Read every file of `files` and build the configuration; `Err` says which file is wrong.
pub fn load(files: &ServerFiles) -> Result<Loaded, String> {
    let config = server_config(files)?;
    let mut warnings = Vec::new();
    let mut revoked = HashSet::new();
    let now = SystemTime::now();
    for crl in &files.crls {
        let info = crate::relay::tls::crl_info(crl)?;
        if info.next_update.is_some_and(|t| t < now) {
            warnings.push(format!(
                "--tls-crl {}: expired (its next update was {}); its revocations still apply — \
                 refresh it (`sockeye certs crl`) and send SIGHUP",
                crl.display(),
                crate::relay::tls::rfc3339_time(info.next_update.unwrap_or(now))
            ));
        }
        revoked.extend(info.serials);
    }
    if let Some(not_after) = crate::relay::tls::cert_not_after(&files.cert)? {
        if let Some(w) = expiry_warning("--tls-cert", &files.cert.display().to_string(), not_after)
        {
            warnings.push(w);
        }
    }
    Ok(Loaded {
        config,
        revoked,
        warnings,
    })
}

/// A line when `not_after` is within [`EXPIRY_WARNING`].
pub fn expiry_warning(what: &str, name: &str, not_after: SystemTime) -> Option<String> {
    let left = not_after
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    (left < EXPIRY_WARNING).then(|| {
        format!(
            "{what} {name} expires {} (in {}h)",
            crate::relay::tls::rfc3339_time(not_after),
            left.as_secs() / 3600
        )
    })
}

impl LiveTls {
    pub fn new(files: ServerFiles, loaded: Loaded) -> LiveTls {
        LiveTls {
            files,
            config: RwLock::new(loaded.config),
            revoked: RwLock::new(Arc::new(loaded.revoked)),
            sessions: Mutex::new(HashMap::new()),
            warned: Mutex::new(HashSet::new()),
            metrics: OnceLock::new(),
        }
    }

    /// Export certificate expiries to `metrics` from now on (the server's at once).
    pub fn report_to(&self, metrics: Arc<Metrics>) {
        let _ = self.metrics.set(metrics);
        self.export_server_expiry();
    }

    fn export(&self, certificate: &str, not_after: SystemTime) {
        if let Some(m) = self.metrics.get() {
            let unix = not_after
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            m.certificate_expires(certificate, unix);
        }
    }

    fn export_server_expiry(&self) {
        if let Ok(Some(not_after)) = crate::relay::tls::cert_not_after(&self.files.cert) {
            self.export("server", not_after);
        }
    }

    /// A notice, once per certificate, when a client's certificate expires within
    /// [`EXPIRY_WARNING`].
    pub fn expiring(&self, der: &[u8], cert: Option<&ClientCert>) -> Option<String> {
        let not_after = crate::relay::tls::der_not_after(der)?;
        let who = cert.map_or_else(|| "?".into(), |c| c.to_string());
        let warning = expiry_warning("client certificate", &who, not_after)?;
        let serial = crate::relay::tls::der_serial(der)?;
        let mut warned = self.warned.lock().unwrap_or_else(|p| p.into_inner());
        let first = warned.insert(serial);
        if first {
            self.export(&who, not_after);
        }
        first.then_some(warning)
    }

    /// What the next handshake uses.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Read the files again. A broken file leaves everything as it was (`Err` says why);
    /// otherwise new handshakes use the new files at once, and the open sessions whose
    /// certificate the new CRLs revoke are closed (returned, for the audit log).
    pub fn reload(&self) -> Result<(Loaded, Vec<Closed>), String> {
        let loaded = load(&self.files)?;
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = loaded.config.clone();
        *self.revoked.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(loaded.revoked.clone());
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let mut closed: Vec<Closed> = sessions
            .iter()
            .filter(|(_, s)| loaded.revoked.contains(&s.serial))
            .map(|(conn, s)| {
                s.close.cancel();
                Closed {
                    conn: *conn,
                    who: s.who.clone(),
                    serial: serial_hex(&s.serial),
                    addr: s.addr,
                }
            })
            .collect();
        closed.sort_by_key(|c| c.conn);
        drop(sessions);
        self.export_server_expiry();
        Ok((loaded, closed))
    }

    /// Register an open session of `cert` (DER); its token is cancelled when a reload
    /// revokes the certificate. Dropping the returned guard forgets the session.
    pub fn session(
        self: &Arc<Self>,
        conn: u64,
        addr: SocketAddr,
        der: &[u8],
        cert: Option<&ClientCert>,
    ) -> Option<SessionGuard> {
        let serial = crate::relay::tls::der_serial(der)?;
        let close = CancellationToken::new();
        let who = cert.map_or_else(|| "a client certificate".into(), |c| c.to_string());
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        // A handshake that began under the old CRLs and ends after a reload's sweep: the
        // reload stores the new revocations before it takes this lock to sweep, so read under
        // the lock, a session is either swept or sees them here.
        if self
            .revoked
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&serial)
        {
            close.cancel();
        }
        sessions.insert(
            conn,
            Session {
                serial,
                who,
                addr,
                close: close.clone(),
            },
        );
        Some(SessionGuard {
            live: self.clone(),
            conn,
            close,
        })
    }
}

/// An open session's place in [`LiveTls`]; dropped when the connection ends.
pub struct SessionGuard {
    live: Arc<LiveTls>,
    conn: u64,
    /// Cancelled when a reload revokes the session's certificate.
    pub close: CancellationToken,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.live
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.conn);
    }
}

/// A revoked client certificate, named: rustls's own error says only "revoked", and the
/// refusal line must say whose certificate it was.
#[derive(Debug)]
pub struct RevokedCert(pub String);

impl fmt::Display for RevokedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client certificate {} revoked", self.0)
    }
}

impl std::error::Error for RevokedCert {}

/// webpki's verifier, with the revoked certificate named in its error.
#[derive(Debug)]
pub struct NamingVerifier(pub Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for NamingVerifier {
    fn offer_client_auth(&self) -> bool {
        self.0.offer_client_auth()
    }
    fn client_auth_mandatory(&self) -> bool {
        self.0.client_auth_mandatory()
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.0.root_hint_subjects()
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.0
            .verify_client_cert(end_entity, intermediates, now)
            .map_err(|e| match e {
                rustls::Error::InvalidCertificate(CertificateError::Revoked) => {
                    let who = ClientCert::from_der(end_entity)
                        .map_or_else(|| "(unreadable)".into(), |c| c.to_string());
                    let serial = crate::relay::tls::der_serial(end_entity)
                        .map_or_else(String::new, |s| format!(" serial {}", serial_hex(&s)));
                    rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
                        Arc::new(RevokedCert(format!("{who}{serial}"))),
                    )))
                }
                e => e,
            })
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
