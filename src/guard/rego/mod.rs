//! Rego policies, for people who already have an opa-docker-authz policy.
//!
//! opa-docker-authz is the Docker AuthZ plugin that asks OPA about each request; its users
//! own Rego files written against the `input` document it builds. [`input()`] builds that same
//! document from what the relay sees (same keys, same types, same derivations, checked
//! against opa-docker-authz's `main.go`, `makeInput` and `listBindMounts`, and against the
//! request dockerd hands it, moby's `pkg/authorization/authz.go`), plus sockeye's own view
//! under the key `sockeye`. [`RegoPolicy`] evaluates a policy file with regorus and answers
//! allow or deny as opa-docker-authz would (`AuthZReq`, `evaluatePolicyFile`): `true` allows;
//! `false` or undefined denies; anything else, or an error, denies with the error.
//!
//! Where sockeye knowingly differs from opa-docker-authz (mostly to close a bypass, once to
//! work around regorus), `docs/policy.md` ("Rego policies") lists the difference and why.
//!
//! `engine` loads and evaluates a policy and turns its answer into a decision; `input`
//! builds the document it is asked about.

mod builtins;
pub mod bundle;
mod engine;
mod input;

pub use engine::{
    decide_rego, RegoOptions, RegoOutcome, RegoPolicy, DEFAULT_DENY_REASON, DEFAULT_QUERY,
    REASON_RULE,
};
pub use input::{input, EvalSymlinks};

/// Where [`input()`] records why it could not build the document opa-docker-authz would have
/// built; [`RegoPolicy::evaluate`] then fails, as opa-docker-authz's `makeInput` does.
const INPUT_ERROR: &str = "input_error";

#[cfg(test)]
mod tests;
