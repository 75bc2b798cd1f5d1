//! Facts from query parameters, read with dockerd's accessors: `FormValue` (first value),
//! `Form[key]` (every value) and `BoolValue`.

use super::{dedup, Facts};
use crate::docker::endpoint::Operation;
use crate::docker::gojson::{self, Form, Node};

pub(super) fn query(f: &mut Facts, op: Operation, q: &Form) {
    let first = |key: &str| q.get(key).filter(|v| !v.is_empty()).map(str::to_owned);
    let all = |key: &str| {
        q.values(key)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    match op {
        Operation::ContainerCreate => {
            f.name = first("name");
            f.platform = first("platform");
        }
        Operation::ImageBuild => {
            f.build_remote = first("remote");
            f.network_mode = first("networkmode");
            f.cgroup_parent = first("cgroupparent");
            f.extra_hosts = all("extrahosts");
            f.platform = first("platform");
            f.tags = all("t");
            // dockerd 20.10 refuses these on Linux; newer daemons may not.
            f.security_opt = all("securityopt");
            f.build_arg_keys = json_keys(q.value("buildargs"));
        }
        Operation::ImageCreate => {
            f.from_image = first("fromImage");
            f.from_src = first("fromSrc");
            f.repo = first("repo");
            f.tag = first("tag");
            f.platform = first("platform");
            f.changes = all("changes");
        }
        Operation::ImageCommit => {
            f.container = first("container");
            f.repo = first("repo");
            f.tag = first("tag");
            f.changes = all("changes");
        }
        Operation::PutContainerArchive => {
            f.archive_path = first("path");
            f.copy_uid_gid = q.bool("copyUIDGID");
        }
        Operation::PluginPull | Operation::PluginUpgrade | Operation::GetPluginPrivileges => {
            f.plugin_remote = first("remote");
        }
        _ => {}
    }
}

/// Keys of a JSON object parameter (`buildargs`); none when dockerd would reject it.
fn json_keys(raw: &str) -> Vec<String> {
    match gojson::parse(raw.as_bytes()) {
        Ok(Node::Object(members)) => {
            let mut keys: Vec<String> = members.into_iter().map(|(k, _)| k).collect();
            dedup(&mut keys);
            keys
        }
        _ => Vec::new(),
    }
}
