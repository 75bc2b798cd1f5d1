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
    }

    /// The Rego policy asked for, if any.
    pub fn load_rego(&self) -> Result<Option<RegoPolicy>, String> {
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
    Policy::from_toml(&text).map_err(|errs| {
        errs.iter()
            .map(|e| format!("{}: {e}", file.display()))
            .collect::<Vec<_>>()
            .join("\n")
    })
}
