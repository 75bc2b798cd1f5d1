//! What a `sockeye certs` CA issued and revoked (`DIR/index.json`), and the CRL it signs
//! (`DIR/crl.pem`) that `--tls-crl` reads.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::Args;
use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};
use serde::{Deserialize, Serialize};

use crate::cmd::certs::{Ca, Issued};
use crate::relay::tls_live::serial_hex;

pub const INDEX: &str = "index.json";
pub const CRL: &str = "crl.pem";
/// How long a CRL is valid (its next-update). sockeye still applies an expired CRL, with a
/// warning; `sockeye certs crl` writes a fresh one.
pub const CRL_DAYS: u32 = 30;

#[derive(Debug, Args)]
pub struct CertsRevokeArgs {
    /// A client's name (every certificate issued to it) or one certificate's serial (hex,
    /// with or without colons, as `sockeye certs list` prints it).
    pub target: String,
    /// The directory `certs init` created.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Days until the CRL's next-update.
    #[arg(long, default_value_t = CRL_DAYS, value_name = "DAYS", allow_hyphen_values = true, value_parser = crate::cmd::certs::leaf_days())]
    pub crl_days: u32,
}

#[derive(Debug, Args)]
pub struct CertsCrlArgs {
    /// The directory `certs init` created.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Days until the CRL's next-update.
    #[arg(long, default_value_t = CRL_DAYS, value_name = "DAYS", allow_hyphen_values = true, value_parser = crate::cmd::certs::leaf_days())]
    pub crl_days: u32,
}

#[derive(Debug, Args)]
pub struct CertsListArgs {
    /// The directory `certs init` created.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
}

/// One certificate the CA issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    /// Hex, as `serial_hex` writes it.
    pub serial: String,
    pub sans: Vec<String>,
    /// Unix seconds.
    pub not_after: u64,
    /// Unix seconds; `None` while valid.
    pub revoked: Option<u64>,
}

/// `DIR/index.json`
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Index {
    /// The last CRL's number (RFC 5280: increases with every CRL the CA signs).
    pub crl_number: u64,
    pub certs: Vec<Entry>,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

fn time(secs: u64) -> String {
    crate::docker::time::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX), 0, 0)
}

fn normalize(serial: &str) -> String {
    serial.replace(':', "").to_ascii_lowercase()
}

fn unhex(serial: &str) -> Result<Vec<u8>, String> {
    let hex = normalize(serial);
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(|| format!("{serial:?}: not a hex serial"))
        })
        .collect()
}

impl Index {
    /// The index of `dir`; empty for a CA made before sockeye kept one.
    pub fn load(dir: &Path) -> Result<Index, String> {
        let path = dir.join(INDEX);
        match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }

    /// Written whole to a temporary file and renamed: a crash never leaves half an index.
    pub fn save(&self, dir: &Path) -> Result<(), String> {
        let json = serde_json::to_vec_pretty(self).expect("the index serializes");
        write_atomic(&dir.join(INDEX), &json)
    }

    pub fn issued(&mut self, name: &str, sans: &[String], issued: &Issued) {
        self.certs.push(Entry {
            name: name.to_owned(),
            serial: serial_hex(&issued.serial),
            sans: sans.to_vec(),
            not_after: unix(issued.not_after),
            revoked: None,
        });
    }

    /// Revoke the certificates `target` names (a name, or a serial); the ones newly revoked.
    pub fn revoke(&mut self, target: &str, now: SystemTime) -> Result<Vec<Entry>, String> {
        let by_serial = normalize(target);
        let matching: Vec<usize> = (0..self.certs.len())
            .filter(|&i| {
                let e = &self.certs[i];
                e.name == target || normalize(&e.serial) == by_serial
            })
            .collect();
        if matching.is_empty() {
            return Err(format!(
                "{target:?}: no certificate of that name or serial in the index (sockeye certs list)"
            ));
        }
        let fresh: Vec<usize> = matching
            .into_iter()
            .filter(|&i| self.certs[i].revoked.is_none())
            .collect();
        for &i in &fresh {
            self.certs[i].revoked = Some(unix(now));
        }
        Ok(fresh.iter().map(|&i| self.certs[i].clone()).collect())
    }
}

fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, contents)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // Readable by the sockeye service (the CRL is public, the index holds no secret).
    use std::os::unix::fs::PermissionsExt;
    let _ = tmp
        .as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644));
    tmp.persist(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

/// Sign a CRL of every revoked certificate in `index`, valid `days`, into `dir/crl.pem`.
pub fn write_crl(dir: &Path, ca: &Ca, index: &mut Index, days: u32) -> Result<(), String> {
    let now = SystemTime::now();
    let revoked = index
        .certs
        .iter()
        .filter_map(|e| {
            let at = e.revoked?;
            Some(unhex(&e.serial).map(|serial| RevokedCertParams {
                serial_number: SerialNumber::from_slice(&serial),
                revocation_time: (SystemTime::UNIX_EPOCH + Duration::from_secs(at)).into(),
                reason_code: None,
                invalidity_date: None,
            }))
        })
        .collect::<Result<Vec<_>, _>>()?;
    index.crl_number += 1;
    let params = CertificateRevocationListParams {
        this_update: now.into(),
        next_update: (now + Duration::from_secs(u64::from(days) * 86_400)).into(),
        crl_number: SerialNumber::from(index.crl_number),
        issuing_distribution_point: None,
        revoked_certs: revoked,
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let crl = params
        .signed_by(ca.issuer())
        .map_err(|e| format!("CRL: {e}"))?;
    let pem = crl.pem().map_err(|e| format!("CRL: {e}"))?;
    // The index first: a CRL number is never signed twice.
    index.save(dir)?;
    write_atomic(&dir.join(CRL), pem.as_bytes())
}

pub fn revoke(args: &CertsRevokeArgs) -> Result<(), String> {
    let ca = Ca::load(&args.dir)?;
    let mut index = Index::load(&args.dir)?;
    let revoked = index.revoke(&args.target, SystemTime::now())?;
    write_crl(&args.dir, &ca, &mut index, args.crl_days)?;
    let crl = args.dir.join(CRL);
    if revoked.is_empty() {
        println!(
            "{:?} was already revoked; wrote {} again",
            args.target,
            crl.display()
        );
    }
    for e in &revoked {
        println!("Revoked {:?} (serial {})", e.name, e.serial);
    }
    println!(
        "Wrote {} (next update in {} days). Now: kill -HUP <sockeye's pid> (or systemctl \
         reload sockeye): new handshakes are refused and open sessions closed.",
        crl.display(),
        args.crl_days
    );
    Ok(())
}

pub fn refresh(args: &CertsCrlArgs) -> Result<(), String> {
    let ca = Ca::load(&args.dir)?;
    let mut index = Index::load(&args.dir)?;
    write_crl(&args.dir, &ca, &mut index, args.crl_days)?;
    println!(
        "Wrote {} (CRL number {}, next update in {} days)",
        args.dir.join(CRL).display(),
        index.crl_number,
        args.crl_days
    );
    Ok(())
}

pub fn list(args: &CertsListArgs) -> Result<(), String> {
    let index = Index::load(&args.dir)?;
    println!("NAME\tSERIAL\tSANS\tNOT AFTER\tREVOKED");
    for e in &index.certs {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            e.name,
            e.serial,
            if e.sans.is_empty() {
                "-".into()
            } else {
                e.sans.join(",")
            },
            time(e.not_after),
            e.revoked.map_or_else(|| "-".into(), time)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
