//! A client in the policy file: its name in rule names, the `client.*` lines that pick it
//! out, and who it is in words.

use std::collections::BTreeSet;

use super::aggregate::ClientSeen;
use super::write::list;
use crate::remember::audit::query::Client;

pub(super) fn slug(client: &Client) -> String {
    match client {
        Client::Container { name } => format!("container-{name}"),
        Client::Cert { cn } => format!("cert-{cn}"),
        Client::CertSan { san } => format!("cert-{san}"),
        Client::Exe { uid, exe } => {
            format!("uid{uid}-{}", exe.rsplit('/').next().unwrap_or(exe))
        }
        Client::Process { uid, process } => format!("uid{uid}-{process}"),
        Client::Uid { uid } => format!("uid{uid}"),
        Client::Tcp { ip } => format!("tcp-{ip}"),
        Client::Unknown => "unknown".into(),
    }
}

/// The `client.*` lines that pick out this client and nobody else we know of.
pub(super) fn client_lines(client: &Client) -> String {
    match client {
        Client::Container { name } => {
            format!("client.container_name = {}\n", list([name.as_str()]))
        }
        Client::Exe { uid, exe } => {
            format!(
                "client.uid = [{uid}]\nclient.exe = {}\n",
                list([exe.as_str()])
            )
        }
        Client::Process { uid, process } => format!(
            "client.uid = [{uid}]\nclient.process = {}\n",
            list([process.as_str()])
        ),
        Client::Cert { cn } => format!("client.cert_subject = {}\n", list([cn.as_str()])),
        Client::CertSan { san } => format!("client.cert_san = {}\n", list([san.as_str()])),
        Client::Uid { uid } => format!("client.uid = [{uid}]\n"),
        Client::Tcp { ip } => format!("client.source = {}\n", list([ip.as_str()])),
        Client::Unknown => unreachable!("unidentified callers are never learned"),
    }
}

/// Who the client is, in words, for its comments.
pub(super) fn describe_client(client: &Client, seen: &ClientSeen) -> String {
    let others = |label: &str, set: &BTreeSet<String>| {
        (!set.is_empty()).then(|| {
            format!(
                "{label} {}",
                set.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    };
    let mut parts = vec![client.to_string()];
    match client {
        Client::Exe { .. } => parts.extend(others("process", &seen.processes)),
        Client::Container { .. } | Client::Tcp { .. } => {
            parts.extend(others("exe", &seen.exes));
        }
        _ => {}
    }
    parts.join(", ")
}
