//! What SIGHUP reloads in `sockeye proxy`: the policy (read again from where it came
//! from) and the audit log's file (reopened, for logrotate). Both are parts of one
//! [`Reloader`], with the `tls://` listeners' certificates, key, client CA and CRLs.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Serialize;

use crate::cmd::args::PolicyArgs;
use crate::cmd::checked::listener_policy;
use crate::config::ListenSpec;
use crate::docker::time::{unix, write_rfc3339};
use crate::guard::current::CurrentGuard;
use crate::guard::isolate::Isolation;
use crate::guard::policy::Mode;
use crate::guard::state::DaemonState;
use crate::guard::Guard;
use crate::host::reload::Reload;
use crate::relay::tls_live::LiveTls;
use crate::relay::tls_upstream::UpstreamTls;
use crate::remember::audit::AuditLog;
use crate::remember::metrics::Metrics;

/// The audit log's part: reopen its file by name before the next record.
pub struct AuditReopen(pub Arc<AuditLog>);

impl Reload for AuditReopen {
    fn what(&self) -> &str {
        "audit log"
    }

    fn reload(&self) -> Result<String, String> {
        self.0.request_reopen();
        Ok("reopened before its next record".into())
    }
}

/// One listener's guard, and the listener (whose own profile, if it names one, stays its
/// policy across reloads).
pub struct Listening {
    pub spec: ListenSpec,
    pub guard: CurrentGuard,
}

/// The policy's part: read it again; a broken one leaves the old one in force.
pub struct PolicyReload {
    pub source: PolicyArgs,
    pub mode: Mode,
    pub body_limit: usize,
    pub listeners: Vec<Listening>,
    pub audit: Option<Arc<AuditLog>>,
    pub metrics: Option<Arc<Metrics>>,
    /// The digest in force.
    pub digest: Mutex<Option<String>>,
    /// What a new guard asks about the objects requests name (the same connection and cache
    /// as the guards it replaces).
    pub state: Option<Arc<DaemonState>>,
    /// `--isolate`, which a reloaded policy does not change.
    pub isolation: Option<Isolation>,
}

/// The audit log's line for a reload (docs/audit-log.md).
#[derive(Serialize)]
struct ReloadEvent<'a> {
    v: u32,
    time: String,
    time_unix: f64,
    event: &'static str,
    what: &'static str,
    ok: bool,
    policy: &'a str,
    /// The digest in force after the reload (the old one when it failed).
    policy_digest: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_digest: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

fn now() -> (String, f64) {
    let (secs, nanos) = unix(SystemTime::now());
    let mut text = Vec::with_capacity(24);
    write_rfc3339(&mut text, secs, nanos, 3);
    (
        String::from_utf8(text).expect("RFC 3339 is ASCII"),
        secs as f64 + f64::from(nanos) / 1e9,
    )
}

impl PolicyReload {
    fn record(&self, ok: bool, digest: Option<&str>, previous: Option<&str>, error: Option<&str>) {
        if let Some(m) = &self.metrics {
            m.policy_reloaded(ok);
            if let Some(d) = digest {
                m.policy_in_force(d);
            }
        }
        if let Some(a) = &self.audit {
            let (time, time_unix) = now();
            let label = self.source.label();
            a.write_event(&ReloadEvent {
                v: crate::remember::audit::record::VERSION,
                time,
                time_unix,
                event: "reload",
                what: "policy",
                ok,
                policy: &label,
                policy_digest: digest,
                previous_digest: previous.filter(|_| ok),
                error,
            });
        }
    }
}

impl Reload for PolicyReload {
    fn what(&self) -> &str {
        "policy"
    }

    fn reload(&self) -> Result<String, String> {
        let mut in_force = self.digest.lock().unwrap_or_else(|p| p.into_inner());
        let old = in_force.clone();
        let built = self.source.load_digested().and_then(|loaded| {
            let (policy, rego) = (loaded.policy, loaded.rego);
            // Every guard is built before any is replaced: all listeners change together.
            let guards = self
                .listeners
                .iter()
                .map(|l| {
                    let own = listener_policy(&l.spec)?;
                    let policy = own.or_else(|| policy.clone());
                    let mut guard = Guard::new(policy, rego.clone(), self.mode, self.body_limit);
                    if let Some(iso) = &self.isolation {
                        guard = guard.isolating(iso.clone());
                    }
                    if let Some(state) = &self.state {
                        guard.connect_state(state.clone());
                    }
                    Ok((l.guard.clone(), Arc::new(guard)))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok((guards, loaded.digest))
        });
        match built {
            Ok((guards, digest)) => {
                for (current, guard) in guards {
                    current.replace(guard);
                }
                self.record(true, digest.as_deref(), old.as_deref(), None);
                let said = format!(
                    "{} ({}) in force",
                    self.source.label(),
                    digest.as_deref().unwrap_or("no digest")
                );
                *in_force = digest;
                Ok(said)
            }
            Err(why) => {
                let why = format!(
                    "{}; the policy in force ({}) is unchanged",
                    why.replace('\n', "; "),
                    old.as_deref().unwrap_or("none")
                );
                self.record(false, old.as_deref(), None, Some(&why));
                Err(why)
            }
        }
    }
}

/// The `tls://` listeners' part: certificate, key, client CA and CRLs, read again; the
/// sessions of certificates the new CRLs revoke are closed and recorded.
pub struct TlsReload {
    pub live: Arc<LiveTls>,
    pub audit: Option<Arc<AuditLog>>,
}

/// The audit log's line for a reload of the TLS files (docs/audit-log.md).
#[derive(Serialize)]
struct TlsReloadEvent<'a> {
    v: u32,
    time: String,
    time_unix: f64,
    event: &'static str,
    what: &'static str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// The audit log's line for a session closed because its certificate was revoked.
#[derive(Serialize)]
struct SessionClosedEvent<'a> {
    v: u32,
    time: String,
    time_unix: f64,
    event: &'static str,
    reason: &'static str,
    conn: u64,
    client: &'a str,
    client_addr: String,
    serial: &'a str,
}

impl Reload for TlsReload {
    fn what(&self) -> &str {
        "TLS files"
    }

    fn reload(&self) -> Result<String, String> {
        let (time, time_unix) = now();
        let record = |ok: bool, error: Option<&str>| {
            if let Some(a) = &self.audit {
                a.write_event(&TlsReloadEvent {
                    v: crate::remember::audit::record::VERSION,
                    time: time.clone(),
                    time_unix,
                    event: "reload",
                    what: "tls",
                    ok,
                    error,
                });
            }
        };
        match self.live.reload() {
            Err(why) => {
                let why = format!("{why}; the certificates in force are unchanged");
                record(false, Some(&why));
                Err(why)
            }
            Ok((loaded, closed)) => {
                record(true, None);
                for warning in &loaded.warnings {
                    tracing::warn!("{warning}");
                }
                for c in &closed {
                    tracing::warn!(
                        "{}  session closed: client certificate {} (serial {}) revoked",
                        c.addr,
                        c.who,
                        c.serial
                    );
                    if let Some(a) = &self.audit {
                        a.write_event(&SessionClosedEvent {
                            v: crate::remember::audit::record::VERSION,
                            time: time.clone(),
                            time_unix,
                            event: "session_closed",
                            reason: "certificate revoked",
                            conn: c.conn,
                            client: &c.who,
                            client_addr: c.addr.to_string(),
                            serial: &c.serial,
                        });
                    }
                }
                Ok(format!(
                    "certificate, key, client CA and {} revoked serial(s) in force for new \
                     handshakes; {} open session(s) closed",
                    loaded.revoked.len(),
                    closed.len()
                ))
            }
        }
    }
}

/// A `tls://` upstream's part: its CA and client certificate, for the next daemon connection.
pub struct UpstreamTlsReload(pub Arc<UpstreamTls>);

impl Reload for UpstreamTlsReload {
    fn what(&self) -> &str {
        "upstream TLS files"
    }

    fn reload(&self) -> Result<String, String> {
        self.0
            .reload()
            .map_err(|why| format!("{why}; the CA and client certificate in use are unchanged"))
    }
}
