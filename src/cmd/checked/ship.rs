//! The remote audit sinks of `proxy` (`--audit-syslog`, `--audit-otlp`, the spool), checked.

use std::path::PathBuf;

use http::header::{HeaderName, HeaderValue};

use crate::cmd::args::ProxyArgs;
use crate::remember::ship::otlp::{parse_env_headers, parse_header, Endpoint};
use crate::remember::ship::syslog::{format, SyslogAddr, SyslogOptions, TlsFiles};
use crate::remember::ship::{default_spool_dir, ShipOptions};

/// The remote audit sinks and how they keep records.
#[derive(Debug, Clone)]
pub struct ShipConfig {
    pub options: ShipOptions,
    pub syslog: Option<SyslogOptions>,
    pub otlp: Option<OtlpSettings>,
}

/// `--audit-otlp` and its options, checked; the TLS files are read at start.
#[derive(Debug, Clone)]
pub struct OtlpSettings {
    pub endpoint: Endpoint,
    /// From the environment, then `--audit-otlp-header` (which wins for a name in both).
    /// Marked sensitive: `Debug` does not show them.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub ca: Option<PathBuf>,
    pub cert: Option<(PathBuf, PathBuf)>,
}

impl ShipConfig {
    /// Whether any remote sink is configured.
    pub fn any(&self) -> bool {
        self.syslog.is_some() || self.otlp.is_some()
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
        let otlp = self
            .audit_otlp
            .as_deref()
            .map(|u| self.otlp(u))
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
            && self.audit_otlp.is_none()
        {
            problems.push(
                "--audit-fsync and --audit-fail-open apply to audit sinks: give --audit FILE, \
                 --audit-syslog ADDR or --audit-otlp URL"
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
            Ok(ShipConfig {
                options,
                syslog,
                otlp,
            })
        } else {
            Err(problems)
        }
    }

    fn otlp(&self, url: &str) -> Result<OtlpSettings, Vec<String>> {
        let mut problems = Vec::new();
        let endpoint = match self.audit_otlp_protocol.as_str() {
            "grpc" => Endpoint::parse_grpc(url),
            _ => Endpoint::parse(url),
        }
        .map_err(|e| problems.push(e))
        .ok();
        let mut headers = Vec::new();
        for var in [
            "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
            "OTEL_EXPORTER_OTLP_HEADERS",
        ] {
            if let Ok(list) = std::env::var(var) {
                match parse_env_headers(var, &list) {
                    Ok(h) => headers = h,
                    Err(e) => problems.push(e),
                }
                break;
            }
        }
        for kv in &self.audit_otlp_header {
            match parse_header(kv) {
                Ok((name, value)) => {
                    headers.retain(|(n, _)| *n != name);
                    headers.push((name, value));
                }
                Err(e) => problems.push(e),
            }
        }
        let cert = self
            .audit_otlp_cert
            .clone()
            .zip(self.audit_otlp_key.clone());
        if let Some(e) = &endpoint {
            if !e.https && (self.audit_otlp_ca.is_some() || cert.is_some()) {
                problems.push(format!(
                    "--audit-otlp-ca, --audit-otlp-cert and --audit-otlp-key are for an https:// \
                     receiver, and --audit-otlp is {}",
                    e.url()
                ));
            }
        }
        match (endpoint, problems.is_empty()) {
            (Some(endpoint), true) => Ok(OtlpSettings {
                endpoint,
                headers,
                ca: self.audit_otlp_ca.clone(),
                cert,
            }),
            _ => Err(problems),
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
