use super::*;

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ID: &str = "38801f4019b7548b8cb335277e0aa91f08c5c6a505ecae62c18dc1359a5947de";
const OUTER: &str = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d";

fn id_of(cgroup: &str) -> Option<String> {
    container_id_from_cgroup(&cgroup.replace("<ID>", ID).replace("<OUTER>", OUTER))
}

#[test]
fn cgroupfs_driver_on_cgroup_v1_as_the_test_daemon_makes_it() {
    let cgroup = "\
9:name=systemd:/docker/<ID>
8:pids:/docker/<ID>
4:memory:/docker/<ID>
2:cpuacct:/docker/<ID>
1:cpu:/docker/<ID>
0::/docker/<ID>
";
    assert_eq!(id_of(cgroup).as_deref(), Some(ID));
}

#[test]
fn every_layout_dockerd_and_containerd_produce() {
    for cgroup in [
        // cgroupfs driver, cgroup v2
        "0::/docker/<ID>\n",
        // systemd driver, v2 and v1
        "0::/system.slice/docker-<ID>.scope\n",
        "11:devices:/system.slice/docker-<ID>.scope\n1:name=systemd:/system.slice/docker-<ID>.scope\n",
        // rootless dockerd under systemd
        "0::/user.slice/user-1000.slice/user@1000.service/user.slice/docker-<ID>.scope\n",
        // Kubernetes: cgroupfs and systemd drivers
        "0::/kubepods/burstable/pod0e3b5e1c-5f6a-4e1f-9d7e-8e2d4c2b1a11/<ID>\n",
        "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0e3b5e1c_5f6a_4e1f_9d7e_8e2d4c2b1a11.slice/cri-containerd-<ID>.scope\n",
        // systemd inside the container made sub-cgroups of its own
        "0::/system.slice/docker-<ID>.scope/system.slice/cron.service\n",
        // read from inside another cgroup namespace: relative to its root
        "0::/../docker-<ID>.scope\n",
        // Docker-in-Docker: the innermost container
        "0::/docker/<OUTER>/docker/<ID>\n",
        // hybrid: the unified line wins over a v1 line that disagrees
        "1:name=systemd:/docker/<OUTER>\n0::/docker/<ID>\n",
        // hybrid: the unified line has no id (systemd's service), a v1 line has
        "4:memory:/docker/<ID>\n1:name=systemd:/system.slice/containerd.service\n0::/system.slice/containerd.service\n",
    ] {
        assert_eq!(id_of(cgroup).as_deref(), Some(ID), "{cgroup}");
    }
}

#[test]
fn host_processes_and_near_misses_have_no_container() {
    for cgroup in [
        "",
        "0::/\n",
        "0::/user.slice/user-1000.slice/session-2.scope\n",
        "0::/system.slice/containerd.service\n",
        // this sandbox's own memory cgroup: 32 hex digits
        "4:memory:/process_api/d664afedaebc83da0c4c31fdd0f528e3\n0::/\n",
        // 63 and 65 digits, upper case, a non-hex digit
        &format!("0::/docker/{}\n", &ID[1..]),
        &format!("0::/docker/{ID}0\n"),
        &format!("0::/system.slice/docker-{}.scope\n", ID.to_uppercase()),
        &format!("0::/docker/{}g\n", &ID[1..]),
        &format!("0::/system.slice/docker-{}.scope\n", &ID[1..]),
        // no path field
        &format!("0:{ID}\n"),
    ] {
        assert_eq!(container_id_from_cgroup(cgroup), None, "{cgroup}");
    }
}

#[test]
fn the_executable_of_a_process() {
    let me = executable(std::process::id() as i32);
    assert_eq!(me, std::env::current_exe().ok());
    assert_eq!(executable(0), None);
    assert_eq!(executable(-1), None);
}

/// A daemon on a Unix socket that answers each GET with `answer(path, n)` (n counts requests
/// from 1), or never when it returns `None`.
struct FakeDaemon {
    _dir: tempfile::TempDir,
    addr: UpstreamAddr,
    requests: Arc<AtomicUsize>,
}

impl FakeDaemon {
    fn start(
        answer: impl Fn(&str, usize) -> Option<(u16, String)> + Send + Sync + 'static,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                let (answer, count) = (answer.clone(), count.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        let mut chunk = [0; 1024];
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let path = head.split(' ').nth(1).unwrap_or_default();
                    let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                    let Some((status, body)) = answer(path, n) else {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    };
                    let response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = s.write_all(response.as_bytes()).await;
                });
            }
        });
        FakeDaemon {
            _dir: dir,
            addr: UpstreamAddr::Unix(path),
            requests,
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn inspect_body(id: &str, name: &str) -> String {
    format!(
        r#"{{"Id":"{id}","Name":"/{name}","State":{{"Pid":1}},"Config":{{"Labels":{{"team":"ci"}}}}}}"#
    )
}

#[tokio::test]
async fn the_daemon_confirms_an_id_and_its_answer_is_reused_until_the_ttl() {
    let daemon = FakeDaemon::start(|path, n| match path {
        // renamed between calls: the name shows which call answered
        p if p == format!("/containers/{ID}/json") => {
            Some((200, inspect_body(ID, &format!("web-{n}"))))
        }
        // a container whose *name* looks like OUTER answers a lookup of OUTER
        p if p == format!("/containers/{OUTER}/json") => Some((200, inspect_body(ID, OUTER))),
        _ => Some((404, r#"{"message":"No such container"}"#.into())),
    });
    let ttl = Duration::from_millis(300);
    let resolver = Resolver::with_timing(daemon.addr.clone(), None, ttl, DAEMON_TIMEOUT);

    let found = resolver.container_by_id(ID).await.unwrap();
    assert_eq!(found.id, ID);
    assert_eq!(found.name, "web-1");
    assert_eq!(found.labels.get("team").map(String::as_str), Some("ci"));
    let again = resolver.clone().container_by_id(ID).await.unwrap();
    assert_eq!((again.name.as_str(), daemon.requests()), ("web-1", 1));

    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    let renamed = resolver.container_by_id(ID).await.unwrap();
    assert_eq!((renamed.name.as_str(), daemon.requests()), ("web-2", 2));

    let unknown = "0".repeat(64);
    assert_eq!(resolver.container_by_id(&unknown).await, None);
    assert_eq!(resolver.container_by_id(&unknown).await, None);
    assert_eq!(daemon.requests(), 3, "a 404 is cached too");

    assert_eq!(resolver.container_by_id(OUTER).await, None);
    assert_eq!(resolver.container_by_id("web-1").await, None);
    assert_eq!(resolver.container_by_id("../../version").await, None);
    assert_eq!(daemon.requests(), 4, "only full ids are asked about");
}

#[tokio::test]
async fn a_silent_daemon_costs_one_timeout_per_ttl() {
    let daemon = FakeDaemon::start(|_, _| None);
    let timeout = Duration::from_millis(200);
    let resolver = Resolver::with_timing(daemon.addr.clone(), None, TTL, timeout);
    let start = Instant::now();
    assert_eq!(resolver.container_by_id(ID).await, None);
    assert_eq!(resolver.container_by_id(ID).await, None);
    assert!(start.elapsed() < timeout * 3, "{:?}", start.elapsed());
    assert_eq!(daemon.requests(), 1);
}

#[tokio::test]
async fn no_daemon_no_container() {
    let resolver = Resolver::new(
        UpstreamAddr::Unix("/nonexistent/sockeye/docker.sock".into()),
        None,
    );
    assert_eq!(resolver.container_by_id(ID).await, None);
}

#[tokio::test]
async fn a_host_process_is_in_no_container() {
    let daemon = FakeDaemon::start(|_, _| Some((404, "{}".into())));
    let resolver = Resolver::new(daemon.addr.clone(), None);
    // Under a CI that itself runs in a container the cgroup names one, which this daemon
    // does not know: None either way.
    assert_eq!(resolver.container(std::process::id() as i32).await, None);
    assert_eq!(
        resolver
            .container_by_pid_namespace(std::process::id() as i32)
            .await,
        None
    );
    assert_eq!(resolver.container(0).await, None);
    assert_eq!(resolver.container(i32::MAX).await, None);
}

#[tokio::test]
async fn where_a_process_runs_is_read_once_and_kept_under_its_pid_and_start_time() {
    let daemon = FakeDaemon::start(|_, _| Some((404, "{}".into())));
    let resolver = Resolver::new(daemon.addr.clone(), None);
    let me = Process::read(std::process::id() as i32).unwrap();
    assert_eq!(resolver.container_of(&me).await, None);
    assert!(resolver.state().places.contains_key(&me.key()));
    // The same pid with another start time is another process (the pid was recycled): what
    // was learnt about this one is not its, and it is not running now to be looked at.
    let successor = Process {
        start: me.start + 1,
        ..me.clone()
    };
    assert_eq!(resolver.container_of(&successor).await, None);
    assert!(!resolver.state().places.contains_key(&successor.key()));
    assert_eq!(resolver.state().places.len(), 1);
}
