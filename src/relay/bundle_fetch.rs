//! `--policy-rego-bundle URL`: one GET of an OPA bundle from its server, over http or https,
//! with the last `ETag` as `If-None-Match` (a `304 Not Modified` keeps the bundle in force
//! without reading it again). What the bytes mean is [`crate::guard::rego::bundle`]'s.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use tokio::net::TcpStream;

use crate::relay::stream::Stream;
use crate::relay::tls::{load_roots, provider};
use crate::relay::upstream::error_chain;

/// A bundle larger than this (compressed) is refused before it is read whole.
pub const MAX_DOWNLOAD: usize = 64 << 20;

/// One fetch may take this long, connection, TLS and body included.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Where system CA bundles are kept, for an https URL without `--policy-rego-bundle-ca`
/// (`SSL_CERT_FILE` first, as OpenSSL and Go read it).
const SYSTEM_CA_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// What one GET found.
#[derive(Debug)]
pub enum Fetched {
    /// `304`: the bundle in force is still the server's.
    NotModified,
    /// `200`: the bundle's bytes, and its `ETag` if the server sent one.
    Bundle { bytes: Bytes, etag: Option<String> },
}

/// A bundle URL, ready to be fetched again and again.
#[derive(Debug)]
pub struct BundleFetcher {
    url: String,
    /// `host:port`, to connect to.
    authority: String,
    /// The `Host` header: as the URL wrote it.
    host: String,
    path: String,
    tls: Option<Arc<ClientConfig>>,
}

impl BundleFetcher {
    /// `url` is `http://` or `https://`; for https, the server's certificate must chain to
    /// `ca` (a PEM file), or without it to the system's CA bundle.
    pub fn new(url: &str, ca: Option<&Path>) -> Result<BundleFetcher, String> {
        let bad = |why: &str| format!("--policy-rego-bundle {url}: {why}");
        let uri: Uri = url.parse().map_err(|e| bad(&format!("not a URL: {e}")))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad("the URL must start with http:// or https://")),
        };
        let Some(auth) = uri.authority() else {
            return Err(bad("the URL names no host"));
        };
        if auth.as_str().contains('@') {
            return Err(bad("credentials in the URL are not supported"));
        }
        let port = auth.port_u16().unwrap_or(if https { 443 } else { 80 });
        let authority = format!("{}:{port}", auth.host());
        let path = uri
            .path_and_query()
            .map_or("/".to_owned(), |p| p.as_str().to_owned());
        let tls = match (https, ca) {
            (false, Some(_)) => {
                return Err(bad("--policy-rego-bundle-ca is for an https:// URL"));
            }
            (false, None) => None,
            (true, ca) => Some(client_config(ca)?),
        };
        Ok(BundleFetcher {
            url: url.to_owned(),
            authority,
            host: auth.as_str().to_owned(),
            path,
            tls,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// GET the bundle, within [`TIMEOUT`]; `etag` is sent as `If-None-Match`.
    pub async fn fetch(&self, etag: Option<&str>) -> Result<Fetched, String> {
        tokio::time::timeout(TIMEOUT, self.fetch_unbounded(etag))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {}s", TIMEOUT.as_secs())))
    }

    async fn fetch_unbounded(&self, etag: Option<&str>) -> Result<Fetched, String> {
        let tcp = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", self.authority))?;
        let stream = Stream::tcp(tcp).map_err(|e| e.to_string())?;
        let stream = match &self.tls {
            Some(config) => crate::relay::tls::connect(config, &self.authority, stream)
                .await
                .map_err(|e| format!("{}: {e}", self.authority))?,
            None => stream,
        };
        let (mut sender, conn) = http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|e| error_chain(&e))?;
        let driver = tokio::spawn(async move {
            // A failure surfaces to the request below.
            let _ = conn.await;
        });
        let mut req = Request::get(self.path.as_str())
            .header(header::HOST, self.host.as_str())
            .header(
                header::USER_AGENT,
                concat!("sockeye/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(etag) = etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        let req = req.body(Empty::new()).map_err(|e| e.to_string())?;
        let answered = async {
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| error_chain(&e))?;
            match resp.status() {
                StatusCode::NOT_MODIFIED => return Ok(Fetched::NotModified),
                StatusCode::OK => {}
                other => return Err(format!("the server answered {other}")),
            }
            let etag = resp
                .headers()
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let bytes = Limited::new(resp.into_body(), MAX_DOWNLOAD)
                .collect()
                .await
                .map_err(
                    |e| match e.downcast_ref::<http_body_util::LengthLimitError>() {
                        Some(_) => format!("the bundle is larger than {} MiB", MAX_DOWNLOAD >> 20),
                        None => format!("reading the bundle: {e}"),
                    },
                )?
                .to_bytes();
            Ok(Fetched::Bundle { bytes, etag })
        }
        .await;
        driver.abort();
        answered
    }
}

/// A TLS client trusting `ca`, or the system's CA bundle.
fn client_config(ca: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    let roots = match ca {
        Some(path) => load_roots(path, "--policy-rego-bundle-ca")?,
        None => {
            let path = system_ca().ok_or_else(|| {
                format!(
                    "an https:// bundle URL needs --policy-rego-bundle-ca FILE: no system CA \
                     bundle was found (SSL_CERT_FILE, {})",
                    SYSTEM_CA_FILES.join(", ")
                )
            })?;
            load_roots(&path, "the system CA bundle")?
        }
    };
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn system_ca() -> Option<PathBuf> {
    std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(SYSTEM_CA_FILES.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}
