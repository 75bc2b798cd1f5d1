//! Bundles as a hostile server could shape them, and OPA's signature format.

use std::io::Write;

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;

use super::archive::{self, File};
use super::sign::{self, Alg, VerifyKey};
use super::{read, read_bounded, Reason};

const POLICY: &str = "package docker.authz\n\nallow if input.Method == \"GET\"\n";

fn gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        // `set_path` refuses `..`; a hostile archive writes the name bytes itself.
        let name_field = &mut header.as_old_mut().name;
        name_field[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        builder.append(&header, *bytes).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&tar).unwrap();
    enc.finish().unwrap()
}

fn with_link(kind: tar::EntryType) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(0);
    header.set_entry_type(kind);
    header.set_path("policy.rego").unwrap();
    header.set_link_name("/etc/passwd").unwrap();
    header.set_cksum();
    builder.append(&header, &[][..]).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&builder.into_inner().unwrap()).unwrap();
    enc.finish().unwrap()
}

fn b64(bytes: &[u8]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(bytes)
}

/// An ES256 key pair: the signer and the PEM public key sockeye is given.
fn es256() -> (EcdsaKeyPair, Vec<u8>) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let der = rcgen::KeyPair::try_from(pkcs8.as_ref()).unwrap();
    assert_eq!(der.public_key_raw(), pair.public_key().as_ref());
    (pair, der.public_key_pem().into_bytes())
}

fn jwt(pair: &EcdsaKeyPair, alg: &str, payload: &serde_json::Value) -> String {
    let signing = format!(
        "{}.{}",
        b64(json!({"alg": alg}).to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let sig = pair.sign(&SystemRandom::new(), signing.as_bytes()).unwrap();
    format!("{signing}.{}", b64(sig.as_ref()))
}

fn sha256_hex(name: &str, bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&sign::digest(name, bytes, "SHA-256").unwrap())
}

/// A signed bundle of `files`, the signature listing `listed` (name, bytes hashed).
fn signed(pair: &EcdsaKeyPair, files: &[(&str, &[u8])], listed: &[(&str, &[u8])]) -> Vec<u8> {
    let payload = json!({
        "files": listed.iter().map(|(n, b)| json!({
            "name": n, "hash": sha256_hex(n, b), "algorithm": "SHA-256"
        })).collect::<Vec<_>>(),
    });
    let sigs = json!({"signatures": [jwt(pair, "ES256", &payload)]}).to_string();
    let mut all: Vec<(&str, &[u8])> = files.to_vec();
    all.push((".signatures.json", sigs.as_bytes()));
    gz(&all)
}

#[test]
fn a_plain_bundle_reads_its_modules_manifest_and_data_by_directory() {
    let bundle = read(
        &gz(&[
            ("/.manifest", br#"{"revision": "r7", "roots": [""]}"#),
            ("/docker/authz/policy.rego", POLICY.as_bytes()),
            ("/data.json", br#"{"top": 1}"#),
            ("/teams/ci/data.json", br#"{"users": ["ci"]}"#),
            ("./teams/data.json", br#"{"dev": {"users": []}}"#),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(bundle.revision.as_deref(), Some("r7"));
    assert_eq!(bundle.modules[0].0, "docker/authz/policy.rego");
    assert_eq!(
        bundle.data,
        json!({"top": 1, "teams": {"ci": {"users": ["ci"]}, "dev": {"users": []}}})
    );
    assert!(!bundle.verified);
}

#[test]
fn two_data_files_for_one_path_conflict() {
    let e = read(
        &gz(&[
            ("p.rego", POLICY.as_bytes()),
            ("a/data.json", br#"{"b": 1}"#),
            ("a/b/data.json", br#"2"#),
        ]),
        None,
    )
    .unwrap_err();
    assert_eq!(e.reason, Reason::Archive);
    assert!(e.message.contains("data.a.b"), "{e}");
}

#[test]
fn data_outside_the_manifest_roots_is_refused() {
    let e = read(
        &gz(&[
            (".manifest", br#"{"roots": ["docker"]}"#),
            ("p.rego", POLICY.as_bytes()),
            ("data.json", br#"{"other": 1}"#),
        ]),
        None,
    )
    .unwrap_err();
    assert!(e.message.contains("outside the manifest's roots"), "{e}");
}

#[test]
fn names_that_climb_out_of_the_bundle_are_refused() {
    let e = read(&gz(&[("../../etc/cron.d/x.rego", POLICY.as_bytes())]), None).unwrap_err();
    assert_eq!(e.reason, Reason::Archive);
    assert!(e.message.contains("climbs out"), "{e}");
    assert!(archive::normalize("a/../../b").is_err());
    assert_eq!(archive::normalize("/./a//b.rego").unwrap(), "a/b.rego");
}

#[test]
fn symbolic_and_hard_links_are_refused() {
    for kind in [tar::EntryType::Symlink, tar::EntryType::Link] {
        let e = read(&with_link(kind), None).unwrap_err();
        assert!(e.message.contains("regular files only"), "{e}");
    }
}

#[test]
fn a_file_given_twice_is_refused() {
    let e = read(
        &gz(&[("p.rego", POLICY.as_bytes()), ("/p.rego", b"package x")]),
        None,
    )
    .unwrap_err();
    assert!(e.message.contains("twice"), "{e}");
}

#[test]
fn a_bundle_that_decompresses_past_the_bound_stops_at_the_bound() {
    // 8 MiB of zeros compress to a few KiB.
    let zeros = vec![0u8; 8 << 20];
    let e = read_bounded(&gz(&[("big.rego", &zeros)]), None, 1 << 20).unwrap_err();
    assert!(e.message.contains("larger than 1 MiB decompressed"), "{e}");
}

#[test]
fn garbage_and_an_empty_bundle_are_refused_with_a_sentence() {
    assert!(read(b"not gzip at all", None)
        .unwrap_err()
        .message
        .contains("tar.gz"));
    let e = read(&gz(&[("data.json", b"{}")]), None).unwrap_err();
    assert!(e.message.contains("no .rego"), "{e}");
    let e = read(
        &gz(&[("p.rego", POLICY.as_bytes()), ("data.yaml", b"a: 1")]),
        None,
    )
    .unwrap_err();
    assert!(e.message.contains("data.yaml"), "{e}");
}

#[test]
fn a_signed_bundle_verifies_with_its_key() {
    let (pair, pem) = es256();
    let key = VerifyKey::parse(&pem, None).unwrap();
    assert_eq!(key.alg(), Alg::ES256);
    let data = br#"{ "b": 1,  "a": [1.0, "x<y"] }"#;
    let files: &[(&str, &[u8])] = &[("p.rego", POLICY.as_bytes()), ("data.json", data)];
    let bundle = read(&signed(&pair, files, files), Some(&key)).unwrap();
    assert!(bundle.verified);
}

#[test]
fn a_file_changed_after_signing_is_refused() {
    let (pair, pem) = es256();
    let key = VerifyKey::parse(&pem, None).unwrap();
    let tampered = b"package docker.authz\n\nallow := true\n";
    let bytes = signed(
        &pair,
        &[("p.rego", tampered)],
        &[("p.rego", POLICY.as_bytes())],
    );
    let e = read(&bytes, Some(&key)).unwrap_err();
    assert_eq!(e.reason, Reason::Signature);
    assert!(e.message.contains("p.rego: digest mismatch"), "{e}");
}

#[test]
fn a_file_not_listed_or_listed_and_missing_is_refused() {
    let (pair, pem) = es256();
    let key = VerifyKey::parse(&pem, None).unwrap();
    let p: (&str, &[u8]) = ("p.rego", POLICY.as_bytes());
    let extra: (&str, &[u8]) = ("extra.rego", b"package extra");
    let e = read(&signed(&pair, &[p, extra], &[p]), Some(&key)).unwrap_err();
    assert!(
        e.message
            .contains("extra.rego is not in the bundle's signature"),
        "{e}"
    );
    let e = read(&signed(&pair, &[p], &[p, extra]), Some(&key)).unwrap_err();
    assert!(
        e.message.contains("extra.rego is signed but missing"),
        "{e}"
    );
}

#[test]
fn a_key_and_an_unsigned_bundle_or_another_key_are_refused() {
    let (pair, _) = es256();
    let (_, other_pem) = es256();
    let other = VerifyKey::parse(&other_pem, None).unwrap();
    let p: (&str, &[u8]) = ("p.rego", POLICY.as_bytes());
    let e = read(&gz(&[p]), Some(&other)).unwrap_err();
    assert!(e.message.contains("not signed"), "{e}");
    let e = read(&signed(&pair, &[p], &[p]), Some(&other)).unwrap_err();
    assert!(e.message.contains("does not verify"), "{e}");
    // A signed bundle with no key to check it against is refused, as OPA does.
    let e = read(&signed(&pair, &[p], &[p]), None).unwrap_err();
    assert_eq!(e.reason, Reason::Signature);
}

#[test]
fn the_token_does_not_choose_its_algorithm() {
    let (pair, pem) = es256();
    let key = VerifyKey::parse(&pem, None).unwrap();
    let payload = json!({"files": []});
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none"}"#),
        b64(payload.to_string().as_bytes())
    );
    assert!(sign::verify_jws(&none, &key)
        .unwrap_err()
        .contains("\"none\""));
    let hs = jwt(&pair, "HS256", &payload);
    assert!(sign::verify_jws(&hs, &key).is_err());
    assert!(VerifyKey::parse(&pem, Some(Alg::RS256)).is_err());
}

#[test]
fn an_hmac_secret_verifies_hs256() {
    let secret = b"s3cret\n";
    let key = VerifyKey::parse(secret, Some(Alg::HS256)).unwrap();
    let signing = format!("{}.{}", b64(br#"{"alg":"HS256"}"#), b64(br#"{"files":[]}"#));
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"s3cret"),
        signing.as_bytes(),
    );
    let token = format!("{signing}.{}", b64(tag.as_ref()));
    assert_eq!(sign::verify_jws(&token, &key).unwrap(), br#"{"files":[]}"#);
    assert!(format!("{key:?}").find("s3cret").is_none());
}

#[test]
fn hostile_signature_files_are_refused_with_a_sentence() {
    let (_, pem) = es256();
    let key = VerifyKey::parse(&pem, None).unwrap();
    let files = [File {
        name: "p.rego".into(),
        bytes: POLICY.into(),
    }];
    for sigs in [
        &b"not json"[..],
        br#"{"signatures": []}"#,
        br#"{"signatures": ["a.b.c", "d.e.f"]}"#,
        br#"{"signatures": ["only.two"]}"#,
        br#"{"signatures": ["%%%.%%%.%%%"]}"#,
    ] {
        assert!(sign::verify(sigs, &files, &key).is_err());
    }
    assert!(VerifyKey::parse(
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        None
    )
    .is_err());
    assert!(VerifyKey::parse(b"plain text", None).is_err());
}

#[test]
fn json_files_are_hashed_in_opa_canonical_form() {
    // OPA: keys sorted, no whitespace, numbers as written, Go's string escapes.
    let a = sign::digest("data.json", br#"{"b":1.0,"a":["x<y","\u2028"]}"#, "").unwrap();
    let b = sign::digest(
        "x/data.json",
        b"{ \"a\" : [ \"x<y\", \"\\u2028\" ],\n \"b\": 1.0 }",
        "SHA-256",
    )
    .unwrap();
    assert_eq!(a, b);
    let expected =
        ring::digest::digest(&ring::digest::SHA256, br#"{"a":["x<y","\u2028"],"b":1.0}"#);
    assert_eq!(a, expected.as_ref());
    // A .rego file is hashed byte for byte.
    let raw = sign::digest("p.rego", b"x", "").unwrap();
    assert_eq!(
        raw,
        ring::digest::digest(&ring::digest::SHA256, b"x").as_ref()
    );
    assert!(sign::digest("p.rego", b"x", "MD5").is_err());
}

#[test]
fn a_bundle_compiles_to_one_policy_that_reads_its_data_and_names_its_revision() {
    use crate::guard::rego::{RegoOptions, RegoPolicy};
    let policy =
        "package docker.authz\n\nimport data.teams\n\nallow if input.User == teams.ci.users[_]\n";
    // A v0 module beside a v1 one: each is read as what it is.
    let helper = "package docker.helper\n\nsays_hi { true }\n";
    let bundle = read(
        &gz(&[
            (
                ".manifest",
                br#"{"revision": "2026-12-07", "roots": ["docker", "teams"]}"#,
            ),
            ("docker/authz.rego", policy.as_bytes()),
            ("docker/helper.rego", helper.as_bytes()),
            ("teams/ci/data.json", br#"{"users": ["ci-bot"]}"#),
        ]),
        None,
    )
    .unwrap();
    let rego =
        RegoPolicy::load_bundle("http://b/x.tar.gz", &bundle, &RegoOptions::default()).unwrap();
    assert_eq!(rego.rule(), "rego:bundle");
    assert_eq!(rego.revision().map(|r| &**r), Some("2026-12-07"));
    assert!(rego.rego_v0());
    let ask = |user: &str| {
        rego.evaluate(&json!({"Method": "GET", "Path": "/v1.41/info", "User": user}))
            .unwrap()
            .allow
    };
    assert!(ask("ci-bot"));
    assert!(!ask("mallory"));
}

#[test]
fn a_package_outside_the_roots_or_no_queried_rule_does_not_compile() {
    use crate::guard::rego::{RegoOptions, RegoPolicy};
    let outside = read(
        &gz(&[
            (".manifest", br#"{"roots": ["teams"]}"#),
            ("p.rego", POLICY.as_bytes()),
        ]),
        None,
    )
    .unwrap();
    let e = RegoPolicy::load_bundle("b", &outside, &RegoOptions::default()).unwrap_err();
    assert!(e.contains("outside the manifest's roots"), "{e}");
    let other = read(
        &gz(&[("p.rego", b"package other\n\nallow := true\n")]),
        None,
    )
    .unwrap();
    let e = RegoPolicy::load_bundle("b", &other, &RegoOptions::default()).unwrap_err();
    assert!(e.contains("defines no rule data.docker.authz.allow"), "{e}");
}
