//! The body conditions learned per operation: which facts they are built from, and the
//! conditions a client's facts give.

use std::fmt::Write as _;

use super::aggregate::FactsSeen;
use super::plural;
use super::write::list;
use crate::docker::endpoint::Operation;
use crate::remember::audit::query::one_line;

/// How a body condition is derived from the facts seen.
#[derive(Clone, Copy)]
pub(super) enum How {
    /// A boolean: `= false` unless it was seen true.
    False,
    /// Host paths: `within` the ones seen, or `empty`.
    Within,
    /// `subset_of` the values seen, or `empty` when none were.
    Subset,
    /// `subset_of` the values seen; nothing when none were (unset means the default).
    SubsetSeen,
}

/// The body conditions worth learning per operation, beyond `escalations`: what a reader
/// checks first (privileged, host paths, capabilities, images) and what picks the code that
/// runs (images, plugins, sources).
pub(super) fn body_facts(op: Operation) -> &'static [(&'static str, How)] {
    use How::*;
    use Operation as O;
    match op {
        O::ContainerCreate => &[
            ("privileged", False),
            ("user_is_root", False),
            ("host_paths", Within),
            ("cap_add", Subset),
            ("image", SubsetSeen),
            ("network_mode", SubsetSeen),
        ],
        O::ContainerStart | O::ContainerUpdate => &[("privileged", False), ("host_paths", Within)],
        O::ContainerExec => &[("privileged", False), ("user_is_root", False)],
        O::ServiceCreate | O::ServiceUpdate => &[
            ("host_paths", Within),
            ("cap_add", Subset),
            ("image", SubsetSeen),
        ],
        O::ImageCreate => &[
            ("from_image", SubsetSeen),
            ("tag", SubsetSeen),
            ("from_src", Subset),
        ],
        O::ImageBuild => &[("build_remote", Subset)],
        O::VolumeCreate => &[("driver", SubsetSeen), ("host_paths", Within)],
        O::NetworkCreate => &[("driver", SubsetSeen)],
        O::PluginPull | O::PluginUpgrade => &[("plugin_remote", SubsetSeen)],
        _ => &[],
    }
}

/// The body conditions of one operation; what they mean goes into `comments`.
pub(super) fn body_lines(op: Operation, seen: &FactsSeen, comments: &mut String) -> String {
    let mut out = String::new();
    let mut said = Vec::new();
    let paths: Vec<&str> = seen.host_paths.iter().map(String::as_str).collect();
    if seen.escalations.is_empty() {
        if paths.is_empty() {
            out.push_str("body.escalations = false\n");
            said.push("no escalation".to_owned());
        } else {
            let _ = writeln!(
                out,
                "body.escalations = {{ present = false, allowed_host_paths = {} }}",
                list(paths.iter().copied())
            );
            said.push("no escalation beyond these host paths".to_owned());
        }
    } else {
        let list: Vec<String> = seen
            .escalations
            .iter()
            .map(|(e, n)| format!("{e} ({})", plural(*n, "call")))
            .collect();
        let _ = writeln!(
            comments,
            "# WARNING: learned with --allow-escalations: these calls could give root on the \
             host: {}",
            one_line(&list.join("; "))
        );
    }
    for (fact, how) in body_facts(op) {
        let values: Vec<&str> = seen
            .values
            .get(*fact)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        match how {
            How::False => {
                if !seen.set.contains(*fact) {
                    let _ = writeln!(out, "body.{fact} = false");
                    said.push(format!("never {fact}"));
                }
            }
            How::Within => {
                // Every path seen, sensitive ones too when --allow-escalations let them in:
                // the escalation test above says nothing about those then.
                if values.is_empty() {
                    let _ = writeln!(out, "body.{fact} = {{ empty = true }}");
                    said.push("no host paths".to_owned());
                } else {
                    let _ = writeln!(
                        out,
                        "body.{fact} = {{ within = {} }}",
                        list(values.iter().copied())
                    );
                    said.push(format!("host paths {}", values.join(", ")));
                }
            }
            How::Subset => {
                if values.is_empty() {
                    let _ = writeln!(out, "body.{fact} = {{ empty = true }}");
                    said.push(format!("no {fact}"));
                } else {
                    let _ = writeln!(
                        out,
                        "body.{fact} = {{ subset_of = {} }}",
                        list(values.iter().copied())
                    );
                    said.push(format!("{fact} {}", values.join(", ")));
                }
            }
            How::SubsetSeen => {
                if !values.is_empty() {
                    let _ = writeln!(
                        out,
                        "body.{fact} = {{ subset_of = {} }}",
                        list(values.iter().copied())
                    );
                    said.push(format!("{fact} {}", values.join(", ")));
                }
            }
        }
    }
    let _ = writeln!(comments, "# Body as seen: {}", one_line(&said.join("; ")));
    out
}
