//! What the command line names outside itself, read: policy files (TOML and Rego) and the
//! Tecnativa environment. The policy modules stay pure ([`Policy::from_toml`] takes text);
//! the reading, and naming the file or variable in each error, happens here.

use std::path::Path;

use crate::cmd::args::PolicyArgs;
use crate::guard::policy::{Policy, PolicyError, ProfileParams};
use crate::guard::rego::{RegoOptions, RegoPolicy};

impl PolicyArgs {
    /// The policy asked for, if any. Every problem is reported, one per line.
    pub fn load(&self) -> Result<Option<Policy>, String> {
        let located = |origin: &str, errs: Vec<PolicyError>| {
            errs.iter()
                .map(|e| format!("{origin}: {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        if let Some(file) = &self.policy {
            return load_policy_file(file).map(Some);
        }
        if let Some(name) = &self.profile {
            let params = ProfileParams {
                allowed_host_paths: self.allow_host_path.clone(),
            };
            return Policy::profile(name, &params)
                .map(Some)
                .map_err(|e| located("--profile", e));
        }
        if self.tecnativa_env {
            return Policy::from_tecnativa_env(std::env::vars())
                .map(Some)
                .map_err(|e| located("environment", e));
        }
        Ok(None)
    }

    /// Whether a policy was asked for (--policy, --profile, --tecnativa-env or
    /// --policy-rego), read or not.
    pub fn given(&self) -> bool {
        self.policy.is_some()
            || self.profile.is_some()
            || self.tecnativa_env
            || self.policy_rego.is_some()
            || self.policy_rego_bundle.is_some()
    }

    /// The Rego policy asked for, if any: a file, read now, or a bundle's, in force now
    /// (fetched the first time it is asked for).
    pub fn load_rego(&self) -> Result<Option<RegoPolicy>, String> {
        if let Some(source) = self.bundle.get_or_fetch(self)? {
            return Ok(source.current().map(|c| c.policy));
        }
        let Some(path) = &self.policy_rego else {
            return Ok(None);
        };
        let options = RegoOptions {
            query: self.rego_query.clone(),
            ..Default::default()
        };
        RegoPolicy::load_file(path, &options).map(Some)
    }
}

/// Read and parse a policy file; errors name the file and each key path.
pub fn load_policy_file(file: &Path) -> Result<Policy, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read the policy {}: {e}", file.display()))?;
    parse_policy_file(file, &text)
}

fn parse_policy_file(file: &Path, text: &str) -> Result<Policy, String> {
    Policy::from_toml(text).map_err(|errs| {
        errs.iter()
            .map(|e| format!("{}: {e}", file.display()))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// A policy as read for `proxy`, with its digest: what the startup line, the audit log and
/// the metrics name it by, so that which policy decided is never a guess.
pub struct Digested {
    pub policy: Option<Policy>,
    pub rego: Option<RegoPolicy>,
    /// `sha256:` and 16 hex digits; `None` without a policy.
    pub digest: Option<String>,
}

impl PolicyArgs {
    /// The policies asked for, and a digest of what they were read from: a file's bytes
    /// exactly as read (the first 16 digits of `sha256sum FILE`), and for a profile or the
    /// Tecnativa environment the rules they made. Every problem is reported, one per line.
    pub fn load_digested(&self) -> Result<Digested, String> {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        let mut problems = Vec::new();
        let policy = match &self.policy {
            Some(file) => match std::fs::read(file) {
                Ok(bytes) => {
                    ctx.update(&bytes);
                    parse_policy_file(file, &String::from_utf8_lossy(&bytes))
                        .map(Some)
                        .map_err(|e| problems.push(e))
                        .ok()
                        .flatten()
                }
                Err(e) => {
                    problems.push(format!("cannot read the policy {}: {e}", file.display()));
                    None
                }
            },
            None => match self.load() {
                Ok(p) => {
                    if let Some(p) = &p {
                        ctx.update(format!("{:?}", p.rules()).as_bytes());
                    }
                    p
                }
                Err(e) => {
                    problems.push(e);
                    None
                }
            },
        };
        if let Some(path) = &self.policy_rego {
            // Read for the digest, then by the Rego loader: a file replaced in between is
            // named by its old digest until the next reload.
            if let Ok(bytes) = std::fs::read(path) {
                ctx.update(b"\0rego\0");
                ctx.update(&bytes);
            }
        }
        let rego = self
            .load_rego()
            .map_err(|e| problems.push(e))
            .ok()
            .flatten();
        // The bundle's tar.gz as fetched (the policy in force changes exactly when it does).
        if let Some(current) = self.bundle.get().and_then(|s| s.current()) {
            ctx.update(b"\0bundle\0");
            ctx.update(&current.sha256);
        }
        if !problems.is_empty() {
            return Err(problems.join("\n"));
        }
        let digest = (policy.is_some() || rego.is_some()).then(|| {
            let hex: String = ctx.finish().as_ref()[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("sha256:{hex}")
        });
        Ok(Digested {
            policy,
            rego,
            digest,
        })
    }

    /// What the policy is, in a few words: `policy /etc/sockeye/policy.toml`, `profile
    /// read-only`, `Tecnativa variables`, `+ rego FILE`.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(f) = &self.policy {
            parts.push(format!("policy {}", f.display()));
        }
        if let Some(p) = &self.profile {
            parts.push(format!("profile {p}"));
        }
        if self.tecnativa_env {
            parts.push("socket-proxy variables".to_owned());
        }
        if let Some(r) = &self.policy_rego {
            parts.push(format!("rego {}", r.display()));
        }
        if let Some(url) = &self.policy_rego_bundle {
            match self.bundle.get().and_then(|s| s.current()) {
                Some(c) => parts.push(format!("rego bundle {url} revision {}", c.revision)),
                None => parts.push(format!("rego bundle {url}")),
            }
        }
        match parts.is_empty() {
            true => "no policy (every call relayed)".to_owned(),
            false => parts.join(" + "),
        }
    }
}
