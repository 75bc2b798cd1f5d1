//! `--policy-rego-bundle URL`: the bundle in force, fetched at start (no good bundle, no
//! start: a policy was asked for, and sockeye never runs without the one it was given) and
//! polled every `--policy-rego-bundle-interval`. A fetch, archive, signature or compile
//! failure leaves the last good bundle in force, and is said once per change in the log
//! and always in the metrics.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use crate::cmd::args::PolicyArgs;
use crate::guard::rego::bundle::{self, Alg, BundleError, Reason, VerifyKey};
use crate::guard::rego::{RegoOptions, RegoPolicy};
use crate::relay::bundle_fetch::{BundleFetcher, Fetched};
use crate::remember::metrics::Metrics;

/// The bundle in force.
#[derive(Clone, Debug)]
pub struct Current {
    pub policy: RegoPolicy,
    /// SHA-256 of the tar.gz as fetched: the policy digest covers it.
    pub sha256: Vec<u8>,
    /// The manifest's revision, or `sha256:` and 16 hex digits of the tar.gz without one.
    pub revision: String,
}

/// What one poll did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polled {
    /// The server has the bundle in force (304, or the same bytes).
    Unchanged,
    /// A new bundle is in force in this source; the guards are to be rebuilt.
    New,
    /// Nothing new is in force; the last good bundle (if any) stays.
    Failed,
}

#[derive(Default)]
struct State {
    current: Option<Current>,
    etag: Option<String>,
    /// The last failure said in the log, so that a server down for an hour is one line.
    failure: Option<String>,
}

/// Where the bundle comes from and what it is now.
pub struct BundleSource {
    fetcher: BundleFetcher,
    key: Option<VerifyKey>,
    options: RegoOptions,
    interval: Duration,
    state: Mutex<State>,
    metrics: OnceLock<Arc<Metrics>>,
    wake: tokio::sync::Notify,
}

impl std::fmt::Debug for BundleSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleSource")
            .field("url", &self.fetcher.url())
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl BundleSource {
    /// The source `args` name; `None` without `--policy-rego-bundle`.
    fn new(args: &PolicyArgs) -> Result<Option<BundleSource>, String> {
        let Some(url) = &args.policy_rego_bundle else {
            return Ok(None);
        };
        let fetcher = BundleFetcher::new(url, args.policy_rego_bundle_ca.as_deref())?;
        let alg = args
            .policy_rego_bundle_key_alg
            .as_deref()
            .map(Alg::parse)
            .transpose()
            .map_err(|e| format!("--policy-rego-bundle-key-alg: {e}"))?;
        let key = match &args.policy_rego_bundle_key {
            Some(path) => {
                let text = std::fs::read(path).map_err(|e| {
                    format!(
                        "cannot read --policy-rego-bundle-key {}: {e}",
                        path.display()
                    )
                })?;
                Some(
                    VerifyKey::parse(&text, alg)
                        .map_err(|e| format!("--policy-rego-bundle-key {}: {e}", path.display()))?,
                )
            }
            None => None,
        };
        Ok(Some(BundleSource {
            fetcher,
            key,
            options: RegoOptions {
                query: args.rego_query.clone(),
                ..Default::default()
            },
            interval: args.policy_rego_bundle_interval,
            state: Mutex::new(State::default()),
            metrics: OnceLock::new(),
            wake: tokio::sync::Notify::new(),
        }))
    }

    pub fn url(&self) -> &str {
        self.fetcher.url()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn current(&self) -> Option<Current> {
        self.state().current.clone()
    }

    /// Report to `metrics` from now on, starting with the bundle in force.
    pub fn report_to(&self, metrics: Arc<Metrics>) {
        if let Some(c) = self.current() {
            metrics.bundle.succeeded(&c.revision, unix_now());
        }
        let _ = self.metrics.set(metrics);
    }

    /// Ask the server now rather than at the next interval (SIGHUP).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Poll for ever: every interval (or when woken), and `on_new` once a new bundle is in
    /// this source.
    pub async fn run(self: Arc<Self>, on_new: impl Fn()) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = self.wake.notified() => {}
            }
            if self.poll().await == Polled::New {
                on_new();
            }
        }
    }

    /// One fetch, and what came of it.
    pub async fn poll(&self) -> Polled {
        self.poll_saying(true).await
    }

    /// [`BundleSource::poll`]; a failure goes to the log only with `say_failure` (at
    /// startup it is the error sockeye exits with, said once).
    async fn poll_saying(&self, say_failure: bool) -> Polled {
        let etag = self.state().etag.clone();
        let fetched = self
            .fetcher
            .fetch(etag.as_deref())
            .await
            .map_err(|e| BundleError::new(Reason::Fetch, e));
        let outcome = fetched.and_then(|f| match f {
            Fetched::NotModified => Ok(None),
            Fetched::Bundle { bytes, etag } => {
                let sha = ring::digest::digest(&ring::digest::SHA256, &bytes);
                let same = self
                    .state()
                    .current
                    .as_ref()
                    .is_some_and(|c| c.sha256 == sha.as_ref());
                if same {
                    self.state().etag = etag;
                    return Ok(None);
                }
                let current = self.compile(&bytes, sha.as_ref())?;
                Ok(Some((current, etag)))
            }
        });
        let now = unix_now();
        let metrics = self.metrics.get();
        let mut state = self.state();
        match outcome {
            Ok(found) => {
                let new = found.is_some();
                if let Some((current, etag)) = found {
                    tracing::info!(
                        "policy bundle {}: revision {} in force{}",
                        self.url(),
                        current.revision,
                        if current.policy.rego_v0() {
                            " (some modules read as Rego v0)"
                        } else {
                            ""
                        }
                    );
                    state.current = Some(current);
                    state.etag = etag;
                } else if state.failure.is_some() {
                    tracing::info!(
                        "policy bundle {}: the server answers again; revision {} in force",
                        self.url(),
                        state.current.as_ref().map_or("none", |c| &c.revision)
                    );
                }
                state.failure = None;
                if let (Some(m), Some(c)) = (metrics, &state.current) {
                    m.bundle.succeeded(&c.revision, now);
                }
                if new {
                    Polled::New
                } else {
                    Polled::Unchanged
                }
            }
            Err(e) => {
                if let Some(m) = metrics {
                    m.bundle.failed(e.reason.as_str(), now);
                }
                let said = format!("{} ({})", e.message, e.reason.as_str());
                if say_failure && state.failure.as_deref() != Some(said.as_str()) {
                    match &state.current {
                        Some(c) => tracing::error!(
                            "policy bundle {}: {said}; revision {} stays in force",
                            self.url(),
                            c.revision
                        ),
                        None => tracing::error!("policy bundle {}: {said}", self.url()),
                    }
                }
                state.failure = Some(said);
                Polled::Failed
            }
        }
    }

    /// A fetched tar.gz, read, verified and compiled.
    fn compile(&self, bytes: &[u8], sha: &[u8]) -> Result<Current, BundleError> {
        let mut read = bundle::read(bytes, self.key.as_ref())?;
        let revision = read.revision.clone().unwrap_or_else(|| {
            let hex: String = sha[..8].iter().map(|b| format!("{b:02x}")).collect();
            format!("sha256:{hex}")
        });
        read.revision = Some(revision.clone());
        let policy = RegoPolicy::load_bundle(self.url(), &read, &self.options)
            .map_err(|e| BundleError::new(Reason::Compile, e.replace('\n', " ")))?;
        Ok(Current {
            policy,
            sha256: sha.to_vec(),
            revision,
        })
    }

    /// The first fetch, before anything runs: no good bundle is a startup error.
    fn first(&self) -> Result<(), String> {
        // On a thread of its own, with a runtime of its own: the caller may be sync (`proxy`)
        // or already inside a runtime (`trace`), and either way waits for the answer.
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
                    rt.block_on(self.poll_saying(false));
                    Ok::<(), String>(())
                })
                .join()
                .map_err(|_| "the policy bundle fetch panicked".to_owned())?
        })?;
        let state = self.state();
        match (&state.current, &state.failure) {
            (Some(_), _) => Ok(()),
            (None, failure) => Err(format!(
                "cannot load the policy bundle {}: {}",
                self.url(),
                failure.as_deref().unwrap_or("no bundle")
            )),
        }
    }
}

/// The bundle, fetched once and shared by every copy of the options that name it (the
/// startup configuration, the SIGHUP reload, the poller).
#[derive(Clone, Default)]
pub struct BundleCell(Arc<OnceLock<Arc<BundleSource>>>);

impl std::fmt::Debug for BundleCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("BundleCell").field(&self.0.get()).finish()
    }
}

impl BundleCell {
    pub fn get(&self) -> Option<&Arc<BundleSource>> {
        self.0.get()
    }

    /// The source `args` name, fetched the first time it is asked for.
    pub fn get_or_fetch(&self, args: &PolicyArgs) -> Result<Option<&Arc<BundleSource>>, String> {
        if let Some(s) = self.0.get() {
            return Ok(Some(s));
        }
        let Some(source) = BundleSource::new(args)? else {
            return Ok(None);
        };
        source.first()?;
        let _ = self.0.set(Arc::new(source));
        Ok(self.0.get())
    }
}
