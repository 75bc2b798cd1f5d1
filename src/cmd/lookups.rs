//! `policy explain`'s account of the daemon lookups a decision uses: which objects the
//! request names ([`crate::docker::state::references`], the list the relay asks about), what
//! the daemon said of each, and what that added to the facts the policy decided on.

use serde_json::Value;

use crate::config::UpstreamAddr;
use crate::docker::endpoint::Classified;
use crate::docker::facts::Facts;
use crate::docker::state::{self, Reference};
use crate::remember::audit::record::summary;

/// The lookups one request needs, and the facts before them.
pub struct Lookups {
    pub refs: Vec<Reference>,
    /// The request's own facts (as [`summary`] shows them), to tell what the lookups added.
    before: serde_json::Map<String, Value>,
}

impl Lookups {
    /// `facts`: the request's own, as read, before any lookup.
    pub fn of(route: &Classified, facts: Option<&Facts>) -> Lookups {
        let (refs, before) = match (route.operation(), facts) {
            (Some(op), Some(facts)) => {
                (state::references(op, route.object(), facts), summary(facts))
            }
            _ => (Vec::new(), Default::default()),
        };
        Lookups { refs, before }
    }

    /// Without a daemon: what the relay would ask, and that nothing is decided without it.
    pub fn needed(&self) -> String {
        let mut out = String::from("daemon lookups this decision needs:\n");
        for r in &self.refs {
            out.push_str(&format!("  {}\n", describe(r)));
        }
        out.push_str(
            "undecided: the relay asks the daemon about these before deciding, and refuses \
             the request when it cannot; give --upstream ADDR to ask it now",
        );
        out
    }

    /// The lookups that were asked when one failed (the refusal follows).
    pub fn failed(&self, daemon: &UpstreamAddr) -> String {
        let mut out = format!("daemon lookups (asked {daemon}):\n");
        for r in &self.refs {
            out.push_str(&format!("  asked about {}\n", describe(r)));
        }
        out
    }

    /// Each lookup and its answer, the facts the answers added, and where the request is
    /// pinned.
    /// `facts`: what the policy decided on, after the lookups.
    pub fn made(
        &self,
        daemon: &UpstreamAddr,
        facts: Option<&Facts>,
        pinned: Option<&http::Uri>,
    ) -> String {
        let mut out = format!("daemon lookups (asked {daemon}):\n");
        let Some(facts) = facts else {
            return out;
        };
        for r in &facts.resolved {
            let found = if r.id.is_empty() {
                format!(
                    "no such {}: a new one is made from the request's options",
                    r.kind
                )
            } else {
                r.id.clone()
            };
            out.push_str(&format!(
                "  looked up {} {:?} → {found} ({})\n",
                r.kind, r.reference, r.role
            ));
        }
        for inherited in &facts.inherited {
            let escalations: Vec<String> = inherited
                .facts
                .escalations(&[])
                .iter()
                .map(ToString::to_string)
                .collect();
            out.push_str(&format!(
                "  inherits from {} ({}): {}\n",
                inherited.from,
                inherited.role,
                if escalations.is_empty() {
                    "no escalations".to_owned()
                } else {
                    escalations.join("; ")
                }
            ));
        }
        let after = summary(facts);
        for (key, value) in &after {
            if matches!(key.as_str(), "resolved" | "inherited" | "escalations") {
                continue;
            }
            if self.before.get(key) != Some(value) {
                out.push_str(&format!("  facts: {key} = {value}\n"));
            }
        }
        if let Some(uri) = pinned {
            out.push_str(&format!("  forwarded pinned as {uri}\n"));
        }
        out
    }
}

/// `container "web" (target)`.
fn describe(r: &Reference) -> String {
    format!("{} {:?} ({})", r.kind.as_str(), r.name, r.role.as_str())
}
