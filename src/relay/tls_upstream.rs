//! A `tls://` upstream's CA and client certificate, read again on SIGHUP. The one
//! `ClientConfig` every daemon connection uses stays; its verifier and its certificate
//! resolver read the files' current version, so a reload reaches the next connection
//! without handing a new config to every part that dials the daemon.

use std::sync::{Arc, RwLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use crate::relay::tls::{load_certs, load_key, load_roots, provider, ClientFiles};

/// What the files hold now.
#[derive(Debug)]
struct Material {
    verifier: Arc<WebPkiServerVerifier>,
    key: Option<Arc<CertifiedKey>>,
}

fn read(files: &ClientFiles) -> Result<Material, String> {
    let provider = provider();
    let roots = load_roots(&files.ca, "--upstream-tls-ca")?;
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("--upstream-tls-ca {}: {e}", files.ca.display()))?;
    let key = match &files.cert {
        None => None,
        Some((cert, key)) => {
            let certs = load_certs(cert, "--upstream-tls-cert")?;
            let key = load_key(key, "--upstream-tls-key")?;
            let certified = CertifiedKey::from_der(certs, key, &provider).map_err(|e| {
                format!(
                    "--upstream-tls-cert {} with --upstream-tls-key {}: {}",
                    cert.display(),
                    files
                        .cert
                        .as_ref()
                        .map_or_else(String::new, |(_, k)| k.display().to_string()),
                    crate::relay::tls::pair_error(&e)
                )
            })?;
            Some(Arc::new(certified))
        }
    };
    Ok(Material { verifier, key })
}

/// The upstream's files and what they held when last read.
#[derive(Debug)]
pub struct UpstreamTls {
    files: ClientFiles,
    now: RwLock<Arc<Material>>,
}

impl UpstreamTls {
    fn material(&self) -> Arc<Material> {
        self.now.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Read the files again; a broken one leaves the old CA and certificate in use.
    pub fn reload(&self) -> Result<String, String> {
        let material = read(&self.files)?;
        *self.now.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(material);
        Ok("CA and client certificate in force for new daemon connections".into())
    }
}

/// The configuration for a `tls://` upstream, and the handle that reloads its files.
pub fn live_client_config(
    files: &ClientFiles,
) -> Result<(Arc<ClientConfig>, Arc<UpstreamTls>), String> {
    let live = Arc::new(UpstreamTls {
        files: files.clone(),
        now: RwLock::new(Arc::new(read(files)?)),
    });
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Current(live.clone())));
    let mut config = match files.cert {
        Some(_) => builder.with_client_cert_resolver(Arc::new(Current(live.clone()))),
        None => builder.with_no_client_auth(),
    };
    // A resumed session skips the daemon's certificate and keeps the old client identity:
    // without resumption, every connection after a reload uses the files as they are now.
    config.resumption = rustls::client::Resumption::disabled();
    Ok((Arc::new(config), live))
}

/// Verifies and presents with the current files.
#[derive(Debug)]
struct Current(Arc<UpstreamTls>);

impl ServerCertVerifier for Current {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.0.material().verifier.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0
            .material()
            .verifier
            .verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0
            .material()
            .verifier
            .verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.material().verifier.supported_verify_schemes()
    }
}

impl ResolvesClientCert for Current {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.0.material().key.clone()
    }
    fn has_certs(&self) -> bool {
        self.0.material().key.is_some()
    }
}
