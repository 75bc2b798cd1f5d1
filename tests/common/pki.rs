//! A certificate authority for the `tls://` tests, made the way a user makes one: with
//! `sockeye certs init` and `sockeye certs client`, in a temp dir.

use std::path::PathBuf;
use std::process::{Command, Output};

use sockeye::cmd::certs;

/// `sockeye certs ARGS…`, which must succeed.
pub fn certs_cmd(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .arg("certs")
        .args(args)
        .output()
        .expect("run sockeye certs");
    assert!(
        out.status.success(),
        "sockeye certs {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A CA and a server certificate for `localhost` and `127.0.0.1` from `sockeye certs init`,
/// in a temp dir; clients issued by `certs client`.
pub struct Pki {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Pki {
    pub fn new() -> Pki {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("pki");
        certs_cmd(&[
            "init",
            dir.to_str().unwrap(),
            "--host",
            "localhost",
            "--host",
            "127.0.0.1",
        ]);
        Pki { _tmp: tmp, dir }
    }

    pub fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// A client directory (`ca.pem`, `cert.pem`, `key.pem`) issued by `certs client`.
    pub fn client(&self, name: &str) -> PathBuf {
        certs_cmd(&["client", name, "--dir", self.dir.to_str().unwrap()]);
        self.dir.join("clients").join(name)
    }

    /// `--listen tls://127.0.0.1:0` serving `cert` (with this PKI's server key), requiring
    /// client certificates from its CA.
    pub fn listener_args_serving(&self, cert: &str) -> Vec<String> {
        vec![
            "--listen".into(),
            "tls://127.0.0.1:0".into(),
            "--tls-cert".into(),
            cert.into(),
            "--tls-key".into(),
            self.file(certs::SERVER_KEY),
            "--tls-client-ca".into(),
            self.file(certs::CA_CERT),
        ]
    }

    /// [`Pki::listener_args_serving`] this PKI's own server certificate.
    pub fn listener_args(&self) -> Vec<String> {
        self.listener_args_serving(&self.file(certs::SERVER_CERT))
    }
}
