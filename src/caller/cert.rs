//! A verified client certificate, read for the names that identify its holder.

use std::fmt;
use std::net::IpAddr;

/// A client certificate that the listener's `--tls-client-ca` verified: who is calling.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientCert {
    /// The whole subject, RFC 4514 style (`CN=alice,O=ops`).
    pub subject: String,
    /// The subject's first common name; what `client.cert_subject` matches.
    pub common_name: Option<String>,
    /// DNS names, IP addresses, e-mail addresses and URIs of the subjectAltName extension;
    /// what `client.cert_san` matches.
    pub sans: Vec<String>,
}

impl ClientCert {
    /// `None` for DER that does not parse; rustls has already verified it by then, so that
    /// means a certificate this parser cannot read, and the caller then has no name.
    pub fn from_der(der: &[u8]) -> Option<ClientCert> {
        use x509_parser::extensions::GeneralName;
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let subject = cert.subject();
        let common_name = subject
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        let sans = match cert.subject_alternative_name() {
            Ok(Some(ext)) => ext
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
                        Some(s.to_string())
                    }
                    GeneralName::IPAddress(b) => ip_from_bytes(b).map(|ip| ip.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Some(ClientCert {
            subject: subject.to_string(),
            common_name,
            sans,
        })
    }
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
        _ => None,
    }
}

impl fmt::Display for ClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.common_name, self.sans.first()) {
            (Some(cn), _) => write!(f, "cn={cn}"),
            (None, Some(san)) => write!(f, "san={san}"),
            (None, None) => write!(f, "subject={:?}", self.subject),
        }
    }
}
