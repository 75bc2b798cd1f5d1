//! Whom an `https://` receiver's certificate must be issued by: `--audit-otlp-ca FILE`, or
//! else the system's CA bundle, read from the file OpenSSL and Go read it from (sockeye
//! ships no CA list of its own, and its container image has none).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// Where distributions keep their CA bundle (Debian, Fedora, openSUSE, Alpine).
const BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The TLS configuration for an `https://` receiver, trusting `ca` (a PEM file) or the
/// system's bundle (`SSL_CERT_FILE`, then the usual paths).
pub fn client_config(ca: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    let (path, flag) = match ca {
        Some(path) => (path.to_owned(), "--audit-otlp-ca"),
        None => (system_bundle()?, "the system CA bundle"),
    };
    let certs = CertificateDer::pem_file_iter(&path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "{flag} {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file",
            path.display()
        ));
    }
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The system's CA bundle: `SSL_CERT_FILE`, else the first of the usual paths that exists.
pub fn system_bundle() -> Result<PathBuf, String> {
    if let Some(file) = std::env::var_os("SSL_CERT_FILE") {
        return Ok(PathBuf::from(file));
    }
    BUNDLES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "an https:// receiver needs --audit-otlp-ca FILE: no system CA bundle here ({}, or SSL_CERT_FILE)",
                BUNDLES.join(", ")
            )
        })
}
