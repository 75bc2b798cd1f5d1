//! The policy bundle's metrics (`--policy-rego-bundle`): when a bundle last took, which
//! revision is in force, and each failed attempt by why (docs/metrics.md).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Registered with the other metrics; fed by the bundle poller.
#[derive(Debug, Default)]
pub struct BundleMetrics {
    last_success: Gauge,
    last_failure: Gauge,
    failing: Gauge,
    failures: Family<[(&'static str, &'static str); 1], Counter>,
    info: Family<[(&'static str, String); 1], Gauge>,
}

impl BundleMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "sockeye_policy_bundle_last_success_timestamp_seconds",
            "When the policy bundle server last answered with the bundle in force, or a new \
             one that was put in force (Unix time)",
            self.last_success.clone(),
        );
        registry.register(
            "sockeye_policy_bundle_last_failure_timestamp_seconds",
            "When a fetch of the policy bundle last failed (Unix time); 0 if none has",
            self.last_failure.clone(),
        );
        registry.register(
            "sockeye_policy_bundle_failing",
            "1 while the last attempt failed (the last good bundle stays in force), else 0",
            self.failing.clone(),
        );
        registry.register(
            "sockeye_policy_bundle_failures",
            "Bundle fetches that put nothing in force, by reason: fetch, archive, signature, \
             compile",
            self.failures.clone(),
        );
        registry.register(
            "sockeye_policy_bundle_info",
            "Always 1; the label is the revision (the manifest's) of the bundle in force",
            self.info.clone(),
        );
    }

    /// The server answered and the bundle named by `revision` is in force.
    pub fn succeeded(&self, revision: &str, unix: i64) {
        self.last_success.set(unix);
        self.failing.set(0);
        if self
            .info
            .get_or_create(&[("revision", revision.to_owned())])
            .get()
            != 1
        {
            self.info.clear();
            self.info
                .get_or_create(&[("revision", revision.to_owned())])
                .set(1);
        }
    }

    /// An attempt failed for `reason`; what was in force stays.
    pub fn failed(&self, reason: &'static str, unix: i64) {
        self.last_failure.set(unix);
        self.failing.set(1);
        self.failures.get_or_create(&[("reason", reason)]).inc();
    }
}
