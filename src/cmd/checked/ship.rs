//! The remote audit sinks of `proxy` (`--audit-syslog`, the spool), checked.

use crate::cmd::args::ProxyArgs;
use crate::remember::ship::syslog::{format, SyslogAddr, SyslogOptions, TlsFiles};
use crate::remember::ship::{default_spool_dir, ShipOptions};

/// The remote audit sinks and how they keep records.
#[derive(Debug, Clone)]
pub struct ShipConfig {
    pub options: ShipOptions,
    pub syslog: Option<SyslogOptions>,
}

impl ShipConfig {
    /// Whether any remote sink is configured.
    pub fn any(&self) -> bool {
        self.syslog.is_some()
    }
}

impl ProxyArgs {
    /// The remote sinks; every problem found, one line each.
    pub(super) fn ship(&self) -> Result<ShipConfig, Vec<String>> {
        let mut problems = Vec::new();
        let syslog = self
            .audit_syslog
            .as_deref()
            .map(|a| self.syslog(a))
            .transpose()
            .unwrap_or_else(|mut e| {
                problems.append(&mut e);
                None
            });
        let tls_given = self.audit_syslog_ca.is_some() || self.audit_syslog_cert.is_some();
        if tls_given && self.audit_syslog.is_none() {
            problems.push(
                "--audit-syslog-ca, --audit-syslog-cert and --audit-syslog-key are for \
                 --audit-syslog tls://HOST:PORT"
                    .into(),
            );
        }
        if (self.audit_fsync || self.audit_fail_open)
            && self.audit.is_none()
            && self.audit_syslog.is_none()
        {
            problems.push(
                "--audit-fsync and --audit-fail-open apply to audit sinks: give --audit FILE \
                 or --audit-syslog ADDR"
                    .into(),
            );
        }
        let root = nix::unistd::geteuid().is_root();
        let options = ShipOptions {
            spool: self
                .audit_spool
                .clone()
                .unwrap_or_else(|| default_spool_dir(root)),
            max_bytes: self.audit_spool_max,
            fsync: self.audit_fsync,
            fail_open: self.audit_fail_open,
        };
        if problems.is_empty() {
            Ok(ShipConfig { options, syslog })
        } else {
            Err(problems)
        }
    }

    fn syslog(&self, addr: &str) -> Result<SyslogOptions, Vec<String>> {
        let mut problems = Vec::new();
        let addr = SyslogAddr::parse(addr)
            .map_err(|e| problems.push(format!("--audit-syslog {e}")))
            .ok();
        let facility = format::facility(&self.audit_syslog_facility)
            .map_err(|e| problems.push(format!("--audit-syslog-facility {e}")))
            .ok();
        let app_name = format::app_name(&self.audit_syslog_app_name)
            .map_err(|e| problems.push(format!("--audit-syslog-app-name {e}")))
            .ok();
        let cert = self
            .audit_syslog_cert
            .clone()
            .zip(self.audit_syslog_key.clone());
        let tls_files = match (&addr, &self.audit_syslog_ca) {
            (Some(a), Some(ca)) if a.is_tls() => Some(TlsFiles {
                ca: ca.clone(),
                cert,
            }),
            (Some(a), None) if a.is_tls() => {
                problems.push(format!(
                    "--audit-syslog {a} needs --audit-syslog-ca FILE: the CA certificates that \
                     issued the receiver's certificate"
                ));
                None
            }
            (Some(a), _) if self.audit_syslog_ca.is_some() || cert.is_some() => {
                problems.push(format!(
                    "--audit-syslog-ca, --audit-syslog-cert and --audit-syslog-key are for a \
                     tls:// receiver, and --audit-syslog is {a}"
                ));
                None
            }
            _ => None,
        };
        match (addr, facility, app_name, problems.is_empty()) {
            (Some(addr), Some(facility), Some(app_name), true) => Ok(SyslogOptions {
                addr,
                facility,
                app_name,
                max_message: self.audit_syslog_max_message,
                tls_files,
            }),
            _ => Err(problems),
        }
    }
}
