//! OPA's bundle signatures: `.signatures.json` holds one JWT (JWS compact serialization)
//! whose payload lists every file of the bundle with its digest, and the JWT is signed with a
//! key the bundle server's owner keeps. This checks the JWT against the key sockeye was given
//! (the algorithm is the one configured for the key, never the one the token names), then
//! every file against its listed digest, as OPA does (`bundle/verify.go`, `bundle/hash.go`):
//! JSON files (`data.json`, `.manifest`) are hashed in a canonical form, so whitespace and
//! key order do not matter; every other file byte for byte.

use std::collections::BTreeMap;

use data_encoding::BASE64URL_NOPAD;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::archive::File;

/// The name of the signatures file inside a bundle.
pub const SIGNATURES: &str = ".signatures.json";

/// A JWS algorithm sockeye verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
    HS256,
    HS384,
    HS512,
}

impl Alg {
    pub const ALL: [Alg; 12] = [
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::EdDSA,
        Alg::HS256,
        Alg::HS384,
        Alg::HS512,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::EdDSA => "EdDSA",
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
        }
    }

    pub fn parse(name: &str) -> Result<Alg, String> {
        Alg::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Alg::ALL.iter().map(|a| a.name()).collect();
                format!(
                    "unknown signing algorithm {name:?} (one of {})",
                    names.join(", ")
                )
            })
    }

    fn is_hmac(self) -> bool {
        matches!(self, Alg::HS256 | Alg::HS384 | Alg::HS512)
    }
}

/// The key a bundle's signature must verify with, and the one algorithm it is used with.
#[derive(Clone)]
pub struct VerifyKey {
    alg: Alg,
    /// A public key as ring takes it (PKCS#1 RSAPublicKey, an uncompressed EC point, the 32
    /// bytes of an Ed25519 key), or an HMAC secret.
    key: Vec<u8>,
}

impl std::fmt::Debug for VerifyKey {
    // An HMAC secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyKey")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl VerifyKey {
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// A key file's contents: a PEM public key (`PUBLIC KEY`, `RSA PUBLIC KEY`, or a
    /// `CERTIFICATE` whose key is used), or with an HS* algorithm the secret itself (the
    /// file's bytes, less one trailing newline). Without `alg`, the key's type chooses:
    /// RSA → RS256 (OPA's default), P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA.
    pub fn parse(text: &[u8], alg: Option<Alg>) -> Result<VerifyKey, String> {
        if let Some(alg) = alg.filter(|a| a.is_hmac()) {
            let secret = text.strip_suffix(b"\n").unwrap_or(text);
            let secret = secret.strip_suffix(b"\r").unwrap_or(secret);
            if secret.is_empty() {
                return Err("the HMAC secret is empty".into());
            }
            return Ok(VerifyKey {
                alg,
                key: secret.to_vec(),
            });
        }
        let (_, pem) = x509_parser::pem::parse_x509_pem(text).map_err(|_| {
            "not a PEM public key (for an HMAC secret, give the algorithm: HS256)".to_owned()
        })?;
        let (kind, key) = match pem.label.as_str() {
            "RSA PUBLIC KEY" => (Kind::Rsa, pem.contents.clone()),
            "PUBLIC KEY" => spki(&pem.contents)?,
            "CERTIFICATE" => {
                let (_, cert) = x509_parser::parse_x509_certificate(&pem.contents)
                    .map_err(|e| format!("not a certificate: {e}"))?;
                spki(cert.public_key().raw)?
            }
            other => {
                return Err(format!(
                    "a PEM {other:?}, not a public key (PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)"
                ))
            }
        };
        let alg = match (alg, kind) {
            (None, Kind::Rsa) => Alg::RS256,
            (None, Kind::P256) => Alg::ES256,
            (None, Kind::P384) => Alg::ES384,
            (None, Kind::Ed25519) => Alg::EdDSA,
            (Some(a @ (Alg::RS256 | Alg::RS384 | Alg::RS512)), Kind::Rsa)
            | (Some(a @ (Alg::PS256 | Alg::PS384 | Alg::PS512)), Kind::Rsa)
            | (Some(a @ Alg::ES256), Kind::P256)
            | (Some(a @ Alg::ES384), Kind::P384)
            | (Some(a @ Alg::EdDSA), Kind::Ed25519) => a,
            (Some(a), k) => {
                return Err(format!("{} does not go with {} key", a.name(), k.name()));
            }
        };
        Ok(VerifyKey { alg, key })
    }

    /// Whether `signature` signs `message` under this key.
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let public = |alg: &'static dyn VerificationAlgorithm| {
            UnparsedPublicKey::new(alg, &self.key)
                .verify(message, signature)
                .is_ok()
        };
        let hmac = |alg| {
            ring::hmac::verify(&ring::hmac::Key::new(alg, &self.key), message, signature).is_ok()
        };
        match self.alg {
            Alg::RS256 => public(&signature::RSA_PKCS1_2048_8192_SHA256),
            Alg::RS384 => public(&signature::RSA_PKCS1_2048_8192_SHA384),
            Alg::RS512 => public(&signature::RSA_PKCS1_2048_8192_SHA512),
            Alg::PS256 => public(&signature::RSA_PSS_2048_8192_SHA256),
            Alg::PS384 => public(&signature::RSA_PSS_2048_8192_SHA384),
            Alg::PS512 => public(&signature::RSA_PSS_2048_8192_SHA512),
            Alg::ES256 => public(&signature::ECDSA_P256_SHA256_FIXED),
            Alg::ES384 => public(&signature::ECDSA_P384_SHA384_FIXED),
            Alg::EdDSA => public(&signature::ED25519),
            Alg::HS256 => hmac(ring::hmac::HMAC_SHA256),
            Alg::HS384 => hmac(ring::hmac::HMAC_SHA384),
            Alg::HS512 => hmac(ring::hmac::HMAC_SHA512),
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Rsa => "an RSA",
            Kind::P256 => "a P-256",
            Kind::P384 => "a P-384",
            Kind::Ed25519 => "an Ed25519",
        }
    }
}

/// A SubjectPublicKeyInfo's key, as ring takes it.
fn spki(der: &[u8]) -> Result<(Kind, Vec<u8>), String> {
    use x509_parser::oid_registry::{
        OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
    };
    use x509_parser::prelude::FromDer;
    let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der)
        .map_err(|e| format!("not a public key: {e}"))?;
    let key = info.subject_public_key.data.to_vec();
    let oid = &info.algorithm.algorithm;
    let kind = if *oid == OID_PKCS1_RSAENCRYPTION {
        Kind::Rsa
    } else if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY {
        // An uncompressed point: 1 + 2 × 32 bytes on P-256, 1 + 2 × 48 on P-384.
        match key.len() {
            65 => Kind::P256,
            97 => Kind::P384,
            _ => return Err("an EC key on a curve other than P-256 or P-384".into()),
        }
    } else if *oid == OID_SIG_ED25519 {
        Kind::Ed25519
    } else {
        return Err(format!("a public key of an unsupported type ({oid})"));
    };
    Ok((kind, key))
}

#[derive(Deserialize)]
struct Signatures {
    signatures: Vec<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// What a bundle's JWT says about it.
#[derive(Debug, Deserialize)]
pub struct Payload {
    pub files: Vec<Listed>,
    #[serde(default)]
    pub keyid: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// One file the signature vouches for.
#[derive(Debug, Deserialize)]
pub struct Listed {
    pub name: String,
    pub hash: String,
    #[serde(default)]
    pub algorithm: String,
}

/// Check `.signatures.json` (its text) against `key`, then every other file against the
/// digests it lists: a file not listed, a file listed but missing and a digest that differs
/// are each refused.
pub fn verify(signatures: &[u8], files: &[File], key: &VerifyKey) -> Result<Payload, String> {
    let list: Signatures = serde_json::from_slice(signatures)
        .map_err(|e| format!("{SIGNATURES} is not {{\"signatures\": [JWT]}}: {e}"))?;
    let token = match list.signatures.as_slice() {
        [one] => one,
        [] => return Err(format!("{SIGNATURES} holds no JWT")),
        _ => {
            return Err(format!(
                "{SIGNATURES} holds more than one JWT (OPA takes exactly one)"
            ))
        }
    };
    let payload = verify_jws(token, key)?;
    let payload: Payload = serde_json::from_slice(&payload)
        .map_err(|e| format!("the signature's payload is not OPA's {{\"files\": [...]}}: {e}"))?;
    if let Some(scope) = payload.scope.as_deref().filter(|s| !s.is_empty()) {
        return Err(format!(
            "the signature is for scope {scope:?}; sockeye verifies unscoped signatures only"
        ));
    }
    let mut listed: BTreeMap<String, &Listed> = BTreeMap::new();
    for l in &payload.files {
        let name = l.name.trim_start_matches('/').to_owned();
        if listed.insert(name.clone(), l).is_some() {
            return Err(format!("the signature lists {name:?} twice"));
        }
    }
    for file in files.iter().filter(|f| f.name != SIGNATURES) {
        let Some(l) = listed.remove(&file.name) else {
            return Err(format!("{} is not in the bundle's signature", file.name));
        };
        let digest = digest(&file.name, &file.bytes, &l.algorithm)?;
        let want = data_encoding::HEXLOWER_PERMISSIVE
            .decode(l.hash.as_bytes())
            .map_err(|_| format!("{}: the signed digest is not hex", file.name))?;
        if digest != want {
            return Err(format!(
                "{}: digest mismatch: the file is not what was signed",
                file.name
            ));
        }
    }
    if let Some(name) = listed.keys().next() {
        return Err(format!("{name} is signed but missing from the bundle"));
    }
    Ok(payload)
}

/// A JWS in compact serialization, verified with `key` under the key's algorithm; its
/// payload.
pub fn verify_jws(token: &str, key: &VerifyKey) -> Result<Vec<u8>, String> {
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the signature is not a JWT (header.payload.signature)".into());
    };
    let decode = |what: &str, part: &str| {
        BASE64URL_NOPAD
            .decode(part.as_bytes())
            .map_err(|_| format!("the JWT's {what} is not base64url"))
    };
    let head: Header = serde_json::from_slice(&decode("header", header)?)
        .map_err(|e| format!("the JWT's header: {e}"))?;
    // The token names its algorithm; only the configured one is ever used (a token that
    // says `none`, or HS256 over an RSA public key, is refused here).
    if head.alg != key.alg.name() {
        return Err(format!(
            "the JWT is signed with {:?}, the key is for {}",
            head.alg,
            key.alg.name()
        ));
    }
    let signature = decode("signature", signature)?;
    let signed = &token.trim()[..header.len() + 1 + payload.len()];
    if !key.verifies(signed.as_bytes(), &signature) {
        return Err("the signature does not verify with the configured key".into());
    }
    decode("payload", payload)
}

/// A file's digest as OPA computes it for a signature.
pub fn digest(name: &str, bytes: &[u8], algorithm: &str) -> Result<Vec<u8>, String> {
    let alg = match algorithm {
        // OPA's signer always writes one; its default is SHA-256.
        "" | "SHA-256" => &ring::digest::SHA256,
        "SHA-384" => &ring::digest::SHA384,
        "SHA-512" => &ring::digest::SHA512,
        other => {
            return Err(format!(
                "{name}: hash algorithm {other:?} is not accepted (SHA-256, SHA-384 or SHA-512)"
            ))
        }
    };
    let mut ctx = ring::digest::Context::new(alg);
    if structured(name) {
        let value: &RawValue =
            serde_json::from_slice(bytes).map_err(|e| format!("{name} is not JSON: {e}"))?;
        canonical(value, &mut |b| ctx.update(b))?;
    } else {
        ctx.update(bytes);
    }
    Ok(ctx.finish().as_ref().to_vec())
}

/// The files OPA hashes as JSON rather than as bytes.
fn structured(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    matches!(base, "data.json" | "data.yaml" | ".manifest" | SIGNATURES)
}

/// A JSON value in OPA's canonical form: objects with their keys sorted (by bytes), no
/// whitespace, numbers as written, strings as Go's encoder writes them.
fn canonical(value: &RawValue, out: &mut dyn FnMut(&[u8])) -> Result<(), String> {
    let text = value.get().trim();
    let bad = |e: serde_json::Error| format!("bad JSON: {e}");
    match text.as_bytes().first() {
        Some(b'{') => {
            let map: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(bad)?;
            out(b"{");
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out(b",");
                }
                go_string(k, out);
                out(b":");
                canonical(v, out)?;
            }
            out(b"}");
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(bad)?;
            out(b"[");
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out(b",");
                }
                canonical(v, out)?;
            }
            out(b"]");
        }
        Some(b'"') => {
            let s: String = serde_json::from_str(text).map_err(bad)?;
            go_string(&s, out);
        }
        // Numbers (OPA reads them as json.Number: written back as they were), true, false,
        // null.
        _ => out(text.as_bytes()),
    }
    Ok(())
}

/// A string as Go's `encoding/json` writes it with HTML escaping off.
fn go_string(s: &str, out: &mut dyn FnMut(&[u8])) {
    let mut text = String::with_capacity(s.len() + 2);
    text.push('"');
    for c in s.chars() {
        match c {
            '"' => text.push_str("\\\""),
            '\\' => text.push_str("\\\\"),
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            '\t' => text.push_str("\\t"),
            '\u{8}' => text.push_str("\\b"),
            '\u{c}' => text.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                text.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => text.push(c),
        }
    }
    text.push('"');
    out(text.as_bytes());
}
