//! Prometheus metrics and health checks (docs/metrics.md).
//!
//! [`Metrics`] is a [`Sink`]: it sees every call synchronously on the relay's path, like the
//! audit log, so its counts are exact rather than sampled from the lossy live view. Values
//! that already live elsewhere (live-view drops, the audit log's state) are read at scrape
//! time instead of being copied on every call.
//!
//! Label values come from closed sets only (operation names, decisions, numeric statuses),
//! so no client can grow the number of series: a request to an arbitrary path is counted as
//! `endpoint="Unknown"`, and the method is left out because clients may invent methods.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeMetric, LabelSetEncoder,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use crate::event::{AnsweredBy, Call, Decision, Fault, Sink};
use crate::remember::audit::AuditLog;
use crate::remember::ship::{RemoteSink, SinkStats};

mod bundle;
pub use bundle::BundleMetrics;

/// What `GET /metrics` answers with: prometheus-client writes OpenMetrics 1.0 text (counters
/// as `_total`, a closing `# EOF`), which Prometheus reads when told so by this header.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of `sockeye_call_duration_seconds`, from a cached `GET /_ping` (well under a
/// millisecond through sockeye) to an image pull or build (tens of seconds).
const CALL_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Upper bounds of `sockeye_session_duration_seconds`: a hijacked session (`docker exec`,
/// `attach`, `run -it`, BuildKit's `/session`) lasts as long as the command or the person.
const SESSION_BUCKETS: [f64; 9] = [0.1, 1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0];

/// Labels of `sockeye_calls_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct CallLabels {
    endpoint: &'static str,
    decision: &'static str,
    /// `0` when no response head was sent.
    status: u16,
}

impl EncodeLabelSet for CallLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> fmt::Result {
        use prometheus_client::encoding::EncodeLabel;
        ("endpoint", self.endpoint).encode(encoder.encode_label())?;
        ("decision", self.decision).encode(encoder.encode_label())?;
        ("status", self.status).encode(encoder.encode_label())
    }
}

/// The one label of per-endpoint metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Endpoint(&'static str);

impl EncodeLabelSet for Endpoint {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> fmt::Result {
        use prometheus_client::encoding::EncodeLabel;
        ("endpoint", self.0).encode(encoder.encode_label())
    }
}

type HistogramFamily = Family<Endpoint, Histogram, fn() -> Histogram>;

/// Every metric sockeye exposes, and the registry that writes them out.
pub struct Metrics {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    call_duration: HistogramFamily,
    session_duration: HistogramFamily,
    request_bytes: Family<Endpoint, Counter>,
    response_bytes: Family<Endpoint, Counter>,
    connections_open: Gauge,
    connections: Counter,
    sessions_open: Gauge,
    upstream_errors: Counter,
    policy_reloads: Family<[(&'static str, &'static str); 1], Counter>,
    policy_info: Family<[(&'static str, String); 1], Gauge>,
    cert_expiry: Family<[(&'static str, String); 1], Gauge>,
    /// `--policy-rego-bundle`'s; exposed only [`Metrics::with_bundle`].
    pub bundle: BundleMetrics,
}

/// Values owned by other parts of sockeye, read when scraped.
#[derive(Default)]
pub struct Scraped {
    /// [`crate::event::Events::dropped_counter`] of the live view.
    pub view_dropped: Option<Arc<AtomicU64>>,
    pub audit: Option<Arc<AuditLog>>,
    /// Remote audit sinks (`--audit-syslog`), read for their spool and delivery counts.
    pub ship: Vec<Arc<RemoteSink>>,
}

impl Metrics {
    pub fn new(scraped: Scraped) -> Metrics {
        let mut registry = Registry::default();
        let calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "sockeye_calls",
            "Calls that ended, by endpoint (operation name), policy decision and response \
             status; a hijacked session counts when it ends",
            calls.clone(),
        );
        let call_duration: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(CALL_BUCKETS));
        registry.register_with_unit(
            "sockeye_call_duration",
            "Time from the request head to the end of the response body, by endpoint; streams \
             (logs -f, events, wait, pulls) count their whole life, hijacked sessions are in \
             sockeye_session_duration_seconds",
            Unit::Seconds,
            call_duration.clone(),
        );
        let session_duration: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(SESSION_BUCKETS));
        registry.register_with_unit(
            "sockeye_session_duration",
            "Life of hijacked sessions (attach, exec start, /session, /grpc), from the request \
             head to the end of both directions, by endpoint",
            Unit::Seconds,
            session_duration.clone(),
        );
        let request_bytes = Family::<Endpoint, Counter>::default();
        registry.register_with_unit(
            "sockeye_request",
            "Request body bytes (and client-to-daemon bytes of hijacked sessions) of calls \
             that ended, by endpoint",
            Unit::Bytes,
            request_bytes.clone(),
        );
        let response_bytes = Family::<Endpoint, Counter>::default();
        registry.register_with_unit(
            "sockeye_response",
            "Response body bytes (and daemon-to-client bytes of hijacked sessions) of calls \
             that ended, by endpoint",
            Unit::Bytes,
            response_bytes.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "sockeye_connections_open",
            "Client connections open now",
            connections_open.clone(),
        );
        let connections = Counter::default();
        registry.register(
            "sockeye_connections",
            "Client connections accepted",
            connections.clone(),
        );
        let sessions_open = Gauge::default();
        registry.register(
            "sockeye_sessions_open",
            "Hijacked sessions (attach, exec, /session, /grpc) open now",
            sessions_open.clone(),
        );
        let upstream_errors = Counter::default();
        registry.register(
            "sockeye_upstream_errors",
            "Calls answered 502 by sockeye because the daemon could not be reached or closed \
             the connection before answering",
            upstream_errors.clone(),
        );
        let build = Family::<[(&'static str, &'static str); 1], Gauge>::default();
        build
            .get_or_create(&[("version", env!("CARGO_PKG_VERSION"))])
            .set(1);
        registry.register(
            "sockeye_build_info",
            "Always 1; the label says which sockeye runs",
            build,
        );
        let policy_reloads = Family::<[(&'static str, &'static str); 1], Counter>::default();
        registry.register(
            "sockeye_policy_reloads",
            "Policy reloads asked for by SIGHUP or a new policy bundle, by result: ok (the new policy is in force) or \
             failed (the old one still is)",
            policy_reloads.clone(),
        );
        let policy_info = Family::<[(&'static str, String); 1], Gauge>::default();
        registry.register(
            "sockeye_policy_info",
            "Always 1; the label is the SHA-256 digest of the policy in force",
            policy_info.clone(),
        );
        let cert_expiry = Family::<[(&'static str, String); 1], Gauge>::default();
        registry.register(
            "sockeye_tls_certificate_expiry_timestamp_seconds",
            "When a certificate expires (Unix time): the tls:// listener's own (certificate=\"server\") \
             always, and a connected client's (certificate=\"cn=NAME\") when it expires within 7 days",
            cert_expiry.clone(),
        );
        let bundle = BundleMetrics::default();
        registry.register_collector(Box::new(ScrapeTime(scraped)));
        Metrics {
            registry,
            calls,
            call_duration,
            session_duration,
            request_bytes,
            response_bytes,
            connections_open,
            connections,
            sessions_open,
            upstream_errors,
            policy_reloads,
            policy_info,
            cert_expiry,
            bundle,
        }
    }

    /// The same metrics, with the policy bundle's (`--policy-rego-bundle`).
    pub fn with_bundle(mut self) -> Metrics {
        self.bundle.register(&mut self.registry);
        self
    }

    /// A certificate's expiry (the server's at start and on reload; clients' that expire soon).
    pub fn certificate_expires(&self, certificate: &str, unix: i64) {
        self.cert_expiry
            .get_or_create(&[("certificate", certificate.to_owned())])
            .set(unix);
    }

    /// The policy now in force, by digest (at start, and after each reload that took).
    pub fn policy_in_force(&self, digest: &str) {
        self.policy_info.clear();
        self.policy_info
            .get_or_create(&[("digest", digest.to_owned())])
            .set(1);
    }

    /// A SIGHUP's policy reload, and whether the new policy took.
    pub fn policy_reloaded(&self, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.policy_reloads
            .get_or_create(&[("result", result)])
            .inc();
    }

    /// The OpenMetrics text exposition, ending in `# EOF`.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        out
    }
}

/// The `decision` label: the policy's verdict when it gave one; `refused` when sockeye
/// answered a client error itself before the policy could decide (the audit log's rule);
/// `none` otherwise (no policy, or a call the policy never saw, such as a 502).
fn decision(call: &Call) -> &'static str {
    match &call.verdict {
        Some(v) => match v.decision {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::WouldDeny => "would_deny",
        },
        None if matches!(call.fault, Some(Fault::Unreadable | Fault::NoSuchObject)) => "refused",
        None => "none",
    }
}

/// The daemon failed the call before it answered, so sockeye answered it (502).
fn upstream_error(call: &Call) -> bool {
    call.answered_by == AnsweredBy::Sockeye
        && matches!(
            call.fault,
            Some(Fault::UpstreamUnreachable | Fault::UpstreamBroke | Fault::LookupFailed)
        )
}

impl Sink for Metrics {
    fn call(&self, call: &Call) {
        let endpoint = call.head.route.name();
        self.calls
            .get_or_create(&CallLabels {
                endpoint,
                decision: decision(call),
                status: call.status().unwrap_or(0),
            })
            .inc();
        if upstream_error(call) {
            self.upstream_errors.inc();
        }
        let label = Endpoint(endpoint);
        // A session's length says how long someone worked in a shell, not how fast the
        // relay or the daemon is: kept apart so it cannot swamp call latencies.
        let durations = if call.hijacked {
            &self.session_duration
        } else {
            &self.call_duration
        };
        durations
            .get_or_create(&label)
            .observe(call.duration.as_secs_f64());
        if call.bytes_in > 0 {
            self.request_bytes
                .get_or_create(&label)
                .inc_by(call.bytes_in);
        }
        if call.bytes_out > 0 {
            self.response_bytes
                .get_or_create(&label)
                .inc_by(call.bytes_out);
        }
    }

    fn connection(&self, open: bool) {
        if open {
            self.connections.inc();
            self.connections_open.inc();
        } else {
            self.connections_open.dec();
        }
    }

    fn session(&self, open: bool) {
        if open {
            self.sessions_open.inc();
        } else {
            self.sessions_open.dec();
        }
    }
}

struct ScrapeTime(Scraped);

impl fmt::Debug for ScrapeTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ScrapeTime")
    }
}

impl Collector for ScrapeTime {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let dropped = self
            .0
            .view_dropped
            .as_ref()
            .map_or(0, |d| d.load(Ordering::Relaxed));
        let counter = ConstCounter::new(dropped);
        counter.encode(encoder.encode_descriptor(
            "sockeye_view_dropped_events",
            "Events the live view (the per-call lines on stderr or stdout) could not keep up \
             with and dropped; every sink (audit log, metrics) still saw every call.",
            None,
            counter.metric_type(),
        )?)?;
        if let Some(audit) = &self.0.audit {
            let gauge = ConstGauge::new(i64::from(audit.health().is_ok()));
            gauge.encode(encoder.encode_descriptor(
                "sockeye_audit_writable",
                "1 while the audit log can be written, 0 while records wait in memory (and new \
                 calls are refused, unless --audit-fail-open).",
                None,
                gauge.metric_type(),
            )?)?;
            let counter = ConstCounter::new(audit.lost());
            counter.encode(encoder.encode_descriptor(
                "sockeye_audit_lost_records",
                "Audit records dropped because too many waited in memory (only with \
                 --audit-fail-open).",
                None,
                counter.metric_type(),
            )?)?;
        }
        if !self.0.ship.is_empty() {
            let stats: Vec<SinkStats> = self.0.ship.iter().map(|s| s.stats()).collect();
            encode_sinks(&mut encoder, &stats)?;
        }
        Ok(())
    }
}

/// Per remote sink, labelled `sink` by its name (`syslog tcp://…`): from the configuration,
/// so a closed set.
fn encode_sinks(encoder: &mut DescriptorEncoder, stats: &[SinkStats]) -> fmt::Result {
    type Value = fn(&SinkStats) -> u64;
    let gauges: [(&str, &str, Value); 4] = [
        (
            "sockeye_audit_sink_queued_records",
            "Records in a remote audit sink's spool, not yet delivered",
            |s| s.queued_records,
        ),
        (
            "sockeye_audit_sink_queued_bytes",
            "Bytes in a remote audit sink's spool, not yet delivered; calls are refused (or, \
             with --audit-fail-open, served unrecorded) once they reach \
             sockeye_audit_sink_spool_limit_bytes",
            |s| s.queued_bytes,
        ),
        (
            "sockeye_audit_sink_spool_limit_bytes",
            "--audit-spool-max: the most bytes a remote audit sink's spool holds",
            |s| s.max_bytes,
        ),
        (
            "sockeye_audit_sink_up",
            "1 while a remote audit sink's receiver takes records, 0 after a failed send until \
             one succeeds",
            |s| u64::from(s.up),
        ),
    ];
    for (name, help, value) in gauges {
        let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
        for s in stats {
            let labels = [("sink", s.name.as_str())];
            let gauge = ConstGauge::new(i64::try_from(value(s)).unwrap_or(i64::MAX));
            gauge.encode(family.encode_family(&labels)?)?;
        }
    }
    let counters: [(&str, &str, Value); 2] = [
        (
            "sockeye_audit_sink_delivered_records",
            "Records a remote audit sink's receiver accepted (a batch sent again after a failure \
             counts again)",
            |s| s.delivered,
        ),
        (
            "sockeye_audit_sink_send_failures",
            "Batches a remote audit sink failed to send (each is retried)",
            |s| s.failures,
        ),
    ];
    for (name, help, value) in counters {
        let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
        for s in stats {
            let labels = [("sink", s.name.as_str())];
            ConstCounter::new(value(s)).encode(family.encode_family(&labels)?)?;
        }
    }
    let mut family = encoder.encode_descriptor(
        "sockeye_audit_unrecorded",
        "Calls a remote audit sink holds no record of because its spool was full: served under \
         --audit-fail-open (call=\"served\"), or refused (call=\"refused\"); the next record it \
         keeps says how many (\"unrecorded\")",
        None,
        MetricType::Counter,
    )?;
    for s in stats {
        for (call, n) in [
            ("served", s.unrecorded_served),
            ("refused", s.unrecorded_refused),
        ] {
            let labels = [("sink", s.name.as_str()), ("call", call)];
            ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
