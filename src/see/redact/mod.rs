//! The one place that decides what sockeye never shows.
//!
//! Registry credentials, login passwords, environment values, build args, log-driver and
//! volume-driver options, swarm tokens and secret data travel over the socket in clear. Every
//! view, log line and export goes through this module, so a newly found secret-bearing field
//! is fixed once for all of them.
//!
//! The rule is "show that something was there, not what": names, sizes and structure survive,
//! values become [`MARKER`]. JSON keys are matched the way dockerd's Go decoder matches them —
//! case-insensitively, with Unicode folding (see [`key_is`]) — because a client that writes
//! `ENV` or `paſsword` still gets the field applied, and must not get it displayed.
//!
//! Left to the caller: hijacked streams (attach/exec stdin and output, the BuildKit session's
//! HTTP/2 frames, which carry `--secret` values) and tar bodies are never to be shown at all.

mod driver;
mod headers;
mod json;
mod query;
#[cfg(test)]
mod tests;

use crate::docker::endpoint::Operation;

pub use driver::driver_opt;
pub use headers::{header_value, is_secret_header};
pub use json::{env_var, json_body};
pub use query::{change, query, url};

/// What a redacted value is replaced with, in JSON bodies, queries and action lines alike.
pub const MARKER: &str = "<redacted>";

/// JSON keys whose value is a credential wherever they appear: `/auth` bodies and the
/// AuthConfig shape (`auth` is base64 `user:password`), its `IdentityToken` answer, swarm join
/// and unlock tokens and the swarm CA's private key.
const SECRET_KEYS: &[&str] = &[
    "password",
    "auth",
    "identitytoken",
    "registrytoken",
    "token",
    "accesstoken",
    "refreshtoken",
    "jointoken",
    "jointokens",
    "unlockkey",
    "signingcakey",
];

/// Whether a JSON object key is `name` (given in ASCII lower case) as Go's `encoding/json`
/// matches struct fields: case-insensitively under Unicode simple folding, where the only
/// non-ASCII letters that fold onto ASCII are `ſ` (U+017F, ≡ `s`) and the Kelvin sign
/// (U+212A, ≡ `k`). dockerd applied `"Bindſ"` as `Binds` in a live test.
pub fn key_is(key: &str, name: &str) -> bool {
    key.chars()
        .map(|c| match c {
            '\u{17F}' => 's',
            '\u{212A}' => 'k',
            c => c.to_ascii_lowercase(),
        })
        .eq(name.chars())
}

fn key_in(key: &str, names: &[&str]) -> bool {
    names.iter().any(|n| key_is(key, n))
}

/// Whether a request or response body of `op` can carry secrets that [`json_body`] removes.
/// Views and exports show such a body only as parsed, redacted JSON, never as bytes: a body
/// that cannot be parsed (cut at a capture limit, not JSON) is not shown at all.
/// `None` (an unrouted request) counts as "may": nothing about it is known.
pub fn body_may_hold_secrets(op: Option<Operation>) -> bool {
    use Operation as O;
    let Some(op) = op else { return true };
    matches!(
        op,
        O::ContainerCreate
            | O::ContainerUpdate
            | O::ContainerInspect
            | O::ImageCommit
            | O::ImageInspect
            | O::ImageHistory
            | O::ContainerExec
            | O::SystemAuth
            | O::SecretCreate
            | O::SecretUpdate
            | O::SecretInspect
            | O::SecretList
            | O::ConfigCreate
            | O::ConfigUpdate
            | O::ConfigInspect
            | O::ConfigList
            | O::SwarmInit
            | O::SwarmJoin
            | O::SwarmUpdate
            | O::SwarmUnlock
            | O::SwarmUnlockkey
            | O::SwarmInspect
            | O::ServiceCreate
            | O::ServiceUpdate
            | O::ServiceInspect
            | O::ServiceList
            | O::TaskList
            | O::TaskInspect
            | O::VolumeCreate
            | O::VolumeUpdate
            | O::VolumeInspect
            | O::VolumeList
            | O::PluginSet
            | O::PluginPull
            | O::PluginUpgrade
            | O::PluginInspect
            | O::PluginList
            | O::GetPluginPrivileges
    )
}
