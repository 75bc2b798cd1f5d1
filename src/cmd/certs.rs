//! `sockeye certs`: a small CA for `tls://` listeners, in the file layout the docker CLI
//! reads (`DOCKER_CERT_PATH` holds `ca.pem`, `cert.pem`, `key.pem`) and dockerd's docs use
//! for the server (`server-cert.pem`, `server-key.pem`).

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::net::IpAddr;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};

use crate::cmd::certs_index::{write_crl, Index, CRL, CRL_DAYS};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};

/// `sockeye certs …`
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Create a CA, a server certificate and a client certificate in DIR: ca.pem,
    /// ca-key.pem, server-cert.pem, server-key.pem, cert.pem, key.pem (keys mode 0600), and
    /// index.json (what the CA issued) and crl.pem (what it revoked: nothing yet).
    ///
    /// Then: sockeye proxy --listen tls://0.0.0.0:2376 --tls-cert DIR/server-cert.pem
    /// --tls-key DIR/server-key.pem --tls-client-ca DIR/ca.pem --tls-crl DIR/crl.pem, and on a
    /// client
    /// DOCKER_HOST=tcp://HOST:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=DIR docker ps
    Init(CertsInitArgs),
    /// Issue another client certificate from DIR's CA, into OUT (ca.pem, cert.pem,
    /// key.pem: a DOCKER_CERT_PATH for that client, without the CA's key).
    Client(CertsClientArgs),
    /// Revoke client certificates (every one issued to NAME, or the one with SERIAL) and
    /// write DIR/crl.pem again; then send sockeye SIGHUP (it reads --tls-crl again and
    /// closes the revoked certificates' open sessions).
    Revoke(crate::cmd::certs_index::CertsRevokeArgs),
    /// Write DIR/crl.pem again with a fresh next-update (run it before the CRL expires,
    /// e.g. from a timer, then SIGHUP sockeye).
    Crl(crate::cmd::certs_index::CertsCrlArgs),
    /// What DIR's CA issued: name, serial, SANs, not-after, and whether it is revoked.
    List(crate::cmd::certs_index::CertsListArgs),
}

#[derive(Debug, Args)]
pub struct CertsInitArgs {
    /// Directory to create the files in (created if missing); existing files are never
    /// overwritten.
    pub dir: PathBuf,

    /// A name or IP address clients use to reach sockeye; the server certificate is valid
    /// for exactly these. May be given several times.
    #[arg(long = "host", value_name = "NAME", required = true)]
    pub hosts: Vec<String>,

    /// Common name of the client certificate (cert.pem): the caller's identity.
    #[arg(long, default_value = "client", value_name = "NAME")]
    pub client: String,

    /// Days the server and client certificates are valid (the CA: ten years).
    #[arg(long, default_value_t = LEAF_DAYS, value_name = "DAYS", allow_hyphen_values = true, value_parser = leaf_days())]
    pub days: u32,
}

#[derive(Debug, Args)]
pub struct CertsClientArgs {
    /// Common name of the certificate: the caller's identity that policy rules match.
    pub name: String,

    /// The directory `certs init` created (it holds ca.pem and ca-key.pem).
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,

    /// Where to write ca.pem, cert.pem and key.pem. [default: DIR/clients/NAME]
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,

    /// Also valid for these subjectAltNames (DNS names, IP addresses, or e-mail addresses
    /// with an @), which `client.cert_san` rules match. May be given several times.
    #[arg(long = "san", value_name = "NAME")]
    pub sans: Vec<String>,

    /// Days the certificate is valid [default: 30: a person's certificate is renewed
    /// monthly, so a lost one stops working on its own]
    #[arg(long, value_name = "DAYS", conflicts_with = "hours", allow_hyphen_values = true, value_parser = leaf_days())]
    pub days: Option<u32>,

    /// Hours the certificate is valid (short-lived certificates renewed by a timer).
    #[arg(long, value_name = "HOURS", allow_hyphen_values = true, value_parser = crate::cmd::range::whole::<u32>(
        1, CA_DAYS as u64 * 24, "hours", " (the CA's own ten years)"))]
    pub hours: Option<u32>,
}

/// `--days` of a certificate the CA issues: it cannot outlive the CA (a verifier refuses a
/// chain whose CA expired), and a date past year 9999 cannot be written at all.
pub fn leaf_days() -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync + 'static {
    crate::cmd::range::whole::<u32>(1, CA_DAYS as u64, "days", " (the CA's own ten years)")
}

/// Default lifetime of a client certificate from `certs client`: a person's.
pub const CLIENT_DAYS: u32 = 30;

/// Default lifetime of server and client certificates: the longest that Apple's and
/// browsers' rules still accept for a server certificate.
pub const LEAF_DAYS: u32 = 825;
/// Lifetime of the CA: rotating it means redistributing every client certificate.
pub const CA_DAYS: u32 = 3650;

pub const CA_CERT: &str = "ca.pem";
pub const CA_KEY: &str = "ca-key.pem";
pub const SERVER_CERT: &str = "server-cert.pem";
pub const SERVER_KEY: &str = "server-key.pem";
/// The docker CLI's names for its client certificate and key.
pub const CLIENT_CERT: &str = "cert.pem";
pub const CLIENT_KEY: &str = "key.pem";

/// When a certificate is valid.
#[derive(Clone, Copy, Debug)]
pub struct Validity {
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

impl Validity {
    /// From an hour ago (a client whose clock is a little behind still accepts it) for
    /// `days` days.
    pub fn days(days: u32) -> Validity {
        Validity::hours(days.saturating_mul(24))
    }

    pub fn hours(hours: u32) -> Validity {
        let now = SystemTime::now();
        Validity {
            not_before: now - Duration::from_secs(3600),
            not_after: now + Duration::from_secs(u64::from(hours) * 3600),
        }
    }

    fn apply(&self, params: &mut CertificateParams) {
        params.not_before = self.not_before.into();
        params.not_after = self.not_after.into();
    }
}

/// A certificate and its private key, both PEM, with what the index records of it.
pub struct Issued {
    pub cert: String,
    pub key: String,
    /// Random, 128 bits (positive): never reused, and what a CRL names.
    pub serial: Vec<u8>,
    pub not_after: SystemTime,
}

/// The CA that issues sockeye's server and client certificates.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM.
    pub cert: String,
}

fn rcgen_err(what: &str) -> impl Fn(rcgen::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl Ca {
    /// A new CA. Its name carries part of its key's identifier: two CAs made by separate
    /// `certs init` runs must not share a name, or a verifier would try the other CA's key on
    /// a certificate and report a bad signature instead of an unknown issuer.
    pub fn generate(validity: Validity) -> Result<Ca, String> {
        let key = KeyPair::generate().map_err(rcgen_err("CA key"))?;
        let mut params = CertificateParams::default();
        let id: String = params
            .key_identifier(&key)
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        params
            .distinguished_name
            .push(DnType::CommonName, format!("sockeye CA {id}"));
        params
            .distinguished_name
            .push(DnType::OrganizationName, "sockeye");
        // Path length 0: this CA signs end certificates only, never another CA.
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity.apply(&mut params);
        let cert = params.self_signed(&key).map_err(rcgen_err("CA"))?.pem();
        Ok(Ca {
            issuer: Issuer::new(params, key),
            cert,
        })
    }

    /// The CA that `certs init` wrote to `dir`.
    pub fn load(dir: &Path) -> Result<Ca, String> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
        };
        let cert = read(CA_CERT)?;
        let key = KeyPair::from_pem(&read(CA_KEY)?)
            .map_err(rcgen_err(&dir.join(CA_KEY).display().to_string()))?;
        let issuer = Issuer::from_ca_cert_pem(&cert, key)
            .map_err(rcgen_err(&dir.join(CA_CERT).display().to_string()))?;
        Ok(Ca { issuer, cert })
    }

    pub fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }

    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// A server certificate for `hosts` (DNS names or IP addresses), the first also its
    /// common name.
    pub fn server(&self, hosts: &[String], validity: Validity) -> Result<Issued, String> {
        let first = hosts.first().ok_or("a server certificate needs a --host")?;
        let sans = hosts
            .iter()
            .map(|h| san(h, false))
            .collect::<Result<Vec<_>, _>>()?;
        self.issue(first, sans, ExtendedKeyUsagePurpose::ServerAuth, validity)
    }

    /// A client certificate whose common name is `name`: the caller's identity.
    pub fn client(
        &self,
        name: &str,
        sans: &[String],
        validity: Validity,
    ) -> Result<Issued, String> {
        let sans = sans
            .iter()
            .map(|s| san(s, true))
            .collect::<Result<Vec<_>, _>>()?;
        self.issue(name, sans, ExtendedKeyUsagePurpose::ClientAuth, validity)
    }

    fn issue(
        &self,
        common_name: &str,
        sans: Vec<SanType>,
        usage: ExtendedKeyUsagePurpose,
        validity: Validity,
    ) -> Result<Issued, String> {
        if common_name.is_empty() {
            return Err("a certificate needs a non-empty name".into());
        }
        let key = KeyPair::generate().map_err(rcgen_err("key"))?;
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        // Lets verifiers find the issuing CA by key, not only by name.
        params.use_authority_key_identifier_extension = true;
        validity.apply(&mut params);
        let serial = random_serial()?;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(rcgen_err(common_name))?;
        Ok(Issued {
            cert: cert.pem(),
            key: key.serialize_pem(),
            serial,
            not_after: validity.not_after,
        })
    }
}

/// 128 random bits, the top one clear (a DER INTEGER serial must be positive) and the first
/// byte non-zero (so its encoding keeps all 16 bytes, as the index records it).
fn random_serial() -> Result<Vec<u8>, String> {
    use ring::rand::SecureRandom;
    let mut serial = vec![0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut serial)
        .map_err(|_| "no randomness for a serial number".to_string())?;
    serial[0] = (serial[0] & 0x7f) | 0x01;
    Ok(serial)
}

/// An IP address, an e-mail address (client certificates only) or a DNS name. A name no
/// client could ever connect by (`bad host!`) is refused: the certificate would verify for
/// nobody.
fn san(s: &str, client: bool) -> Result<SanType, String> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let ia5 = || {
        s.to_string()
            .try_into()
            .map_err(|e| format!("{s:?}: not usable in a certificate: {e}"))
    };
    if client && s.contains('@') {
        let (local, domain) = s.rsplit_once('@').unwrap_or_default();
        if local.is_empty() || local.chars().any(|c| c.is_whitespace() || c == '@') {
            return Err(format!("{s:?}: not an e-mail address"));
        }
        dns_name(domain).map_err(|why| format!("{s:?}: not an e-mail address: {why}"))?;
        return Ok(SanType::Rfc822Name(ia5()?));
    }
    dns_name(s).map_err(|why| {
        let what = if client {
            "a DNS name, an IP address or an e-mail address"
        } else {
            "a DNS name or an IP address"
        };
        format!("{s:?} is not {what}: {why}")
    })?;
    Ok(SanType::DnsName(ia5()?))
}

/// A DNS name as a certificate may carry it (RFC 1123 labels; a leading `*.` wildcard).
fn dns_name(name: &str) -> Result<(), String> {
    let bare = name.strip_prefix("*.").unwrap_or(name);
    let bare = bare.strip_suffix('.').unwrap_or(bare);
    if bare.is_empty() || bare.len() > 253 {
        return Err("a name has 1 to 253 characters".into());
    }
    for label in bare.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("label {label:?} must have 1 to 63 characters"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!(
                "{c:?} is not allowed (letters, digits, '-' and '.')"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} starts or ends with '-'"));
        }
    }
    Ok(())
}

impl CertsCommand {
    /// What can be known wrong before any key is made or file written: the names and
    /// addresses a certificate would carry. (Numbers were checked by clap, in range.)
    pub fn check(&self) -> Result<(), String> {
        match self {
            CertsCommand::Init(a) => {
                if a.client.is_empty() {
                    return Err("--client: a certificate needs a non-empty name".into());
                }
                a.hosts
                    .iter()
                    .try_for_each(|h| san(h, false).map(drop).map_err(|e| format!("--host {e}")))
            }
            CertsCommand::Client(a) => {
                if a.name.is_empty() {
                    return Err("a certificate needs a non-empty name".into());
                }
                a.sans
                    .iter()
                    .try_for_each(|h| san(h, true).map(drop).map_err(|e| format!("--san {e}")))
            }
            _ => Ok(()),
        }
    }
}

/// One file to write: name, contents, and whether it is a private key.
type File<'a> = (&'a str, &'a str, bool);

/// Write `files` into `dir` (created mode 0700 if missing), refusing to replace any file:
/// a second `certs init` over the first would orphan every certificate already handed out.
/// Keys are created mode 0600 and never exist with wider permissions.
pub fn write_files(dir: &Path, files: &[File]) -> Result<(), String> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, _, _) in files {
        let path = dir.join(name);
        if path.symlink_metadata().is_ok() {
            return Err(format!(
                "{} already exists; not replacing it (choose another directory)",
                path.display()
            ));
        }
    }
    for (name, contents, secret) in files {
        let path = dir.join(name);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if *secret { 0o600 } else { 0o644 })
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        file.write_all(contents.as_bytes())
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Write a client's `DOCKER_CERT_PATH`: the CA certificate, its certificate and its key.
pub fn write_client_dir(out: &Path, ca: &Ca, client: &Issued) -> Result<(), String> {
    write_files(
        out,
        &[
            (CA_CERT, &ca.cert, false),
            (CLIENT_CERT, &client.cert, false),
            (CLIENT_KEY, &client.key, true),
        ],
    )
}

/// Run `sockeye certs …`.
pub fn run(cmd: CertsCommand) -> Result<(), String> {
    cmd.check()?;
    match cmd {
        CertsCommand::Init(args) => init(&args),
        CertsCommand::Client(args) => client(&args),
        CertsCommand::Revoke(args) => crate::cmd::certs_index::revoke(&args),
        CertsCommand::Crl(args) => crate::cmd::certs_index::refresh(&args),
        CertsCommand::List(args) => crate::cmd::certs_index::list(&args),
    }
}

fn init(args: &CertsInitArgs) -> Result<(), String> {
    let ca = Ca::generate(Validity::days(CA_DAYS))?;
    let server = ca.server(&args.hosts, Validity::days(args.days))?;
    let client = ca.client(&args.client, &[], Validity::days(args.days))?;
    let ca_key = ca.key_pem();
    write_files(
        &args.dir,
        &[
            (CA_CERT, &ca.cert, false),
            (CA_KEY, &ca_key, true),
            (SERVER_CERT, &server.cert, false),
            (SERVER_KEY, &server.key, true),
            (CLIENT_CERT, &client.cert, false),
            (CLIENT_KEY, &client.key, true),
        ],
    )?;
    let mut index = Index::default();
    index.issued("server", &args.hosts, &server);
    index.issued(&args.client, &[], &client);
    index.save(&args.dir)?;
    write_crl(&args.dir, &ca, &mut index, CRL_DAYS)?;
    let d = args.dir.display();
    let host = &args.hosts[0];
    println!(
        "Created in {d}:\n  {CA_CERT}, {CA_KEY}  the CA (keep {CA_KEY} private: it issues clients)\n  \
         {SERVER_CERT}, {SERVER_KEY}  for {hosts}\n  {CLIENT_CERT}, {CLIENT_KEY}  client \
         {client:?}\n\nServe:\n  sockeye proxy --listen tls://0.0.0.0:2376 --tls-cert {d}/{SERVER_CERT} \
         --tls-key {d}/{SERVER_KEY} --tls-client-ca {d}/{CA_CERT} --tls-crl {d}/{CRL}\nConnect:\n  \
         DOCKER_HOST=tcp://{host}:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={d} docker ps\n\
         More clients:\n  sockeye certs client NAME --dir {d}",
        hosts = args.hosts.join(", "),
        client = args.client,
    );
    Ok(())
}

fn client(args: &CertsClientArgs) -> Result<(), String> {
    let name = &args.name;
    let out = match &args.out {
        Some(out) => out.clone(),
        None => {
            // The name becomes a directory name: nothing that leaves `clients/`.
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                return Err(format!("{name:?}: give --out DIR for this name"));
            }
            args.dir.join("clients").join(name)
        }
    };
    let ca = Ca::load(&args.dir)?;
    let mut index = Index::load(&args.dir)?;
    let validity = match (args.hours, args.days) {
        (Some(hours), _) => Validity::hours(hours),
        (None, days) => Validity::days(days.unwrap_or(CLIENT_DAYS)),
    };
    let issued = ca.client(name, &args.sans, validity)?;
    write_client_dir(&out, &ca, &issued)?;
    // Recorded once written: `certs revoke NAME` must find every certificate handed out.
    index.issued(name, &args.sans, &issued);
    index.save(&args.dir)?;
    println!(
        "Created {o}/{CA_CERT}, {o}/{CLIENT_CERT}, {o}/{CLIENT_KEY} for client {name:?}\n\
         Connect: DOCKER_HOST=tcp://HOST:PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={o} docker ps",
        o = out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::ClientCert;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    #[test]
    fn names_no_client_could_connect_by_are_refused_before_anything_is_made() {
        let ca = Ca::generate(Validity::days(1)).unwrap();
        for bad in ["bad host!", "a..b", "-x.example", "x_y.example", "", "a b"] {
            let err = ca.server(&[bad.into()], Validity::days(1)).err().unwrap();
            assert!(
                err.contains("is not a DNS name or an IP address"),
                "{bad}: {err}"
            );
            assert!(!err.contains('\n'), "{err}");
        }
        for good in [
            "localhost",
            "docker.example",
            "*.ci.example",
            "192.0.2.10",
            "::1",
            "host-1.",
        ] {
            ca.server(&[good.into()], Validity::days(1)).unwrap();
        }
        assert!(ca.client("c", &["a@b".into()], Validity::days(1)).is_ok());
        let err = ca
            .client("c", &["@b".into()], Validity::days(1))
            .err()
            .unwrap();
        assert!(err.contains("not an e-mail address"), "{err}");
    }

    #[test]
    fn client_certificates_carry_their_name_and_sans() {
        let ca = Ca::generate(Validity::days(1)).unwrap();
        let issued = ca
            .client(
                "alice",
                &["alice.example".into(), "10.1.2.3".into(), "a@x.org".into()],
                Validity::days(1),
            )
            .unwrap();
        let der = CertificateDer::from_pem_slice(issued.cert.as_bytes()).unwrap();
        let cert = ClientCert::from_der(&der).unwrap();
        assert_eq!(cert.common_name.as_deref(), Some("alice"));
        assert_eq!(cert.subject, "CN=alice");
        assert_eq!(cert.sans, ["alice.example", "10.1.2.3", "a@x.org"]);
    }

    #[test]
    fn a_ca_written_and_read_back_issues_certificates_it_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::generate(Validity::days(1)).unwrap();
        let key = ca.key_pem();
        write_files(
            dir.path(),
            &[(CA_CERT, &ca.cert, false), (CA_KEY, &key, true)],
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(CA_KEY))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let loaded = Ca::load(dir.path()).unwrap();
        let issued = loaded.client("bob", &[], Validity::days(1)).unwrap();

        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(ca.cert.as_bytes()).unwrap())
            .unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            roots.into(),
            rustls::crypto::ring::default_provider().into(),
        )
        .build()
        .unwrap();
        let leaf = CertificateDer::from_pem_slice(issued.cert.as_bytes()).unwrap();
        verifier
            .verify_client_cert(&leaf, &[], rustls::pki_types::UnixTime::now())
            .expect("a client certificate of the reloaded CA verifies against the original");

        let err = write_files(dir.path(), &[(CA_CERT, "x", false)]).unwrap_err();
        assert!(err.contains("already exists"), "{err}");
    }
}
