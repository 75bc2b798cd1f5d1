//! Caller identity against the real daemon: a process in a container resolves to that
//! container, a host process to none.
//!
//! Needs the project's private dockerd (see `tests/support`), and root to read other
//! processes' namespaces.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use sockeye::config::UpstreamAddr;
use sockeye::relay::identity::{container_id_from_cgroup, executable, Resolver};

fn inspect(daemon: &Path, name: &str, format: &str) -> String {
    let out = support::docker(daemon)
        .args(["inspect", "-f", format, name])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn cgroup(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default()
}

/// Some process in the container's cgroup other than `init`.
fn other_process_of(id: &str, init: i32) -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|&pid| pid != init && container_id_from_cgroup(&cgroup(pid)).as_deref() == Some(id))
}

#[tokio::test]
async fn a_process_in_a_container_resolves_to_it_and_a_host_process_to_none() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    // `sk<pid>-`: swept by the harness should this process die before the drop.
    let name = format!("sk{}-identity", std::process::id());
    let _container = support::Container::run_with(
        &daemon,
        &name,
        &["--label", "team=ci", "--network", "none"],
        &["sleep", "60"],
    );
    let id = inspect(&daemon, &name, "{{.Id}}");
    let init: i32 = inspect(&daemon, &name, "{{.State.Pid}}").parse().unwrap();
    let resolver = Resolver::new(UpstreamAddr::Unix(daemon.clone()), None);

    let found = resolver
        .container(init)
        .await
        .unwrap_or_else(|| panic!("pid {init} not resolved; its cgroup:\n{}", cgroup(init)));
    assert_eq!(found.id, id);
    assert_eq!(found.name, name);
    assert_eq!(found.labels.get("team").map(String::as_str), Some("ci"));
    // The fallback by pid namespace agrees.
    assert_eq!(
        resolver.container_by_pid_namespace(init).await.as_ref(),
        Some(&found)
    );
    // A path in the container's filesystem, not the host's.
    assert_eq!(executable(init), Some("/bin/busybox".into()));

    // `docker exec` runs in the container's cgroup.
    let out = support::docker(&daemon)
        .args(["exec", "-d", &name, "sleep", "30"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let exec = loop {
        if let Some(pid) = other_process_of(&id, init) {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "no exec process in {id}'s cgroup"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(resolver.container(exec).await.as_ref(), Some(&found));

    assert_eq!(resolver.container(std::process::id() as i32).await, None);
}
