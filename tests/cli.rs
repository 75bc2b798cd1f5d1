//! The docker CLI must see exactly the same daemon through sockeye as directly: every case
//! runs once against dockerd and once through the relay, and the exit codes, stdout and
//! stderr must agree (see `common` for the few normalizations and why each exists).
//!
//! Needs a Docker daemon: `scripts/dockerd.sh start` is run on demand (root, Debian), or set
//! `SOCKEYE_TEST_DOCKER_HOST`. `SOCKEYE_TEST_ENGINE=28` runs the cases against engine 28.5
//! with its own CLI. `SOCKEYE_TEST_STANDIN=socat` swaps the relay for socat.

mod common;

use common::engine;
use common::*;
use regex::Regex;
use std::sync::LazyLock;
use std::time::Duration;

/// Replaces IPv4 addresses (with an optional /prefix): each new network or container may get
/// another address from the daemon's pools.
fn ips(s: &str) -> String {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b\d{1,3}(\.\d{1,3}){3}(/\d+)?\b").unwrap());
    RE.replace_all(s, "<IP>").into_owned()
}

/// Replaces sizes and percentages: they move while other tests run against the daemon. The
/// CLI prints a reclaimable share only when a total is non-zero (`0B` vs `5B (100%)`), and
/// another test may just have made it so: the share goes too.
fn sizes(s: &str) -> String {
    static SHARE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r" \(\d+%\)").unwrap());
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d+(\.\d+)?\s?([kKMGT]i?)?B\b|\d+(\.\d+)?%").unwrap());
    let s = SHARE.replace_all(s, "");
    digits(&RE.replace_all(&s, "<SIZE>"))
}

fn sorted(s: &str) -> String {
    sorted_lines(s)
}

// ---------------------------------------------------------------------------------------------
// Daemon-wide read-only commands
// ---------------------------------------------------------------------------------------------

#[test]
fn version_shows_the_same_client_and_server() {
    let Some(h) = Harness::new("version") else {
        return;
    };
    h.compare(|s| {
        s.step(s.docker(["version"]))
            .ok()
            .stdout_has("Server:")
            .stdout_has("API version:");
        s.step(s.docker(["version", "--format", "{{.Server.APIVersion}}"]))
            .ok()
            .check("an API version like 1.41", |o| o.text().starts_with("1."));
    });
}

/// `docker info`: counters (containers, images, goroutines, fds…) move with the parallel tests,
/// and the runtimes come from a Go map, printed in random order.
fn info(s: &str) -> String {
    let s = digits(&engine::info_stable(s));
    s.lines()
        .map(|l| match l.split_once("Runtimes: ") {
            Some((indent, list)) => {
                let mut v: Vec<&str> = list.split(' ').collect();
                v.sort_unstable();
                format!("{indent}Runtimes: {}", v.join(" "))
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn info_describes_the_same_daemon() {
    let Some(h) = Harness::new("info") else {
        return;
    };
    h.compare(|s| {
        s.step(s.docker(["info"]).normalize(info))
            .ok()
            .stdout_has("Server Version:")
            .stdout_has("Storage Driver:");
        s.step(s.docker([
            "info",
            "--format",
            "{{.ServerVersion}} {{.OSType}} {{.Driver}}",
        ]))
        .ok()
        .stdout_has(" linux ");
    });
}

#[test]
fn images_lists_the_test_image() {
    let Some(h) = Harness::new("images") else {
        return;
    };
    h.compare(|s| {
        s.step(s.docker(["images", "sockeye-test/busybox"]))
            .ok()
            .stdout_has("REPOSITORY")
            .stdout_has("sockeye-test/busybox");
        s.step(s.docker([
            "image",
            "ls",
            "--format",
            "{{.Repository}}:{{.Tag}} {{.Size}}",
            IMAGE,
        ]))
        .ok()
        .stdout_has("sockeye-test/busybox:1 ");
    });
}

#[test]
fn history_of_the_test_image() {
    let Some(h) = Harness::new("history") else {
        return;
    };
    h.compare(|s| {
        s.step(s.docker(["history", IMAGE]))
            .ok()
            .stdout_has(engine::imported_image_comment());
        s.step(s.docker([
            "history",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Comment}}",
            IMAGE,
        ]))
        .ok()
        .check("the full image id, then the comment", |o| {
            Regex::new(engine::history_full_id_pattern())
                .unwrap()
                .is_match(&o.stdout_str())
        });
    });
}

#[test]
fn image_inspect_returns_the_same_json() {
    let Some(h) = Harness::new("inspect_image") else {
        return;
    };
    h.compare(|s| {
        s.step(s.docker(["image", "inspect", IMAGE]))
            .ok()
            .stdout_has("\"PATH=/bin\"")
            .stdout_has("sockeye-test/busybox:1");
        s.step(s.docker(["inspect", "--format", "{{.Config.Env}} {{.Os}}", IMAGE]))
            .ok()
            .stdout_is("[PATH=/bin] linux\n");
    });
}

#[test]
fn system_df_summarizes_usage() {
    let Some(h) = Harness::new("system_df") else {
        return;
    };
    h.compare(|s| {
        s.step(s.docker(["system", "df"]).normalize(sizes))
            .ok()
            .stdout_has("Images")
            .stdout_has("Local Volumes");
        s.step(s.docker(["system", "df", "--format", "{{.Type}}"]))
            .ok()
            .stdout_has("Containers\n");
    });
}

// ---------------------------------------------------------------------------------------------
// Containers: run, ps, inspect
// ---------------------------------------------------------------------------------------------

#[test]
fn run_rm_echo_prints_hi() {
    let Some(h) = Harness::new("run_rm") else {
        return;
    };
    h.compare(|s| {
        s.step(s.docker(["run", "--rm", "--network", "none", IMAGE, "echo", "hi"]))
            .ok()
            .stdout_is("hi\n")
            .stderr_empty();
    });
}

#[test]
fn run_detached_prints_the_id_and_keeps_running() {
    let Some(h) = Harness::new("run_d") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.step(s.docker([
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sleep",
            "infinity",
        ]))
        .ok()
        .check("a 64-hex container id", |o| {
            let t = o.text();
            t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit())
        });
        s.step(s.docker(["inspect", "-f", "{{.State.Running}} {{.Name}}", &c]))
            .ok()
            .stdout_has("true /");
    });
}

#[test]
fn run_missing_image_with_pull_never_fails_the_same_way() {
    let Some(h) = Harness::new("run_missing") else {
        return;
    };
    h.compare(|s| {
        let missing = format!("{}:1", s.name("nope"));
        s.step(s.docker(["run", "--rm", "--pull", "never", &missing, "true"]))
            .code(125)
            .stderr_has(engine::no_such_image());
    });
}

#[test]
fn ps_lists_a_running_container() {
    let Some(h) = Harness::new("ps") else { return };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["ps", "--filter", &format!("name={c}")]))
            .ok()
            .stdout_has("CONTAINER ID")
            .stdout_has(&c);
        s.step(s.docker([
            "ps",
            "--filter",
            &format!("name={c}"),
            "--format",
            "{{.Names}}|{{.Status}}|{{.Command}}|{{.Image}}",
        ]))
        .ok()
        .stdout_has("|Up ")
        .stdout_has("\"sleep infinity\"");
    });
}

#[test]
fn ps_a_lists_an_exited_container_with_its_code() {
    let Some(h) = Harness::new("ps_a") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.run(s.docker([
            "run",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "exit 3",
        ]))
        .code(3);
        s.step(s.docker(["ps", "-a", "--filter", &format!("name={c}")]))
            .ok()
            .stdout_has("Exited (3)");
        s.step(s.docker([
            "ps",
            "--filter",
            &format!("name={c}"),
            "--format",
            "{{.Names}}",
        ]))
        .ok()
        .stdout_is("");
    });
}

#[test]
fn container_inspect_returns_the_same_json() {
    let Some(h) = Harness::new("inspect_c") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        // The host pid of the container's init differs from run to run.
        fn pid(s: &str) -> String {
            static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#""Pid": \d+"#).unwrap());
            RE.replace_all(&engine::inspect_env_stable(s), r#""Pid": N"#)
                .into_owned()
        }
        s.step(s.docker(["inspect", &c]).normalize(pid))
            .ok()
            .stdout_has("\"Running\": true")
            .stdout_has(&format!("\"Name\": \"/{c}\""));
        s.step(s.docker([
            "container",
            "inspect",
            "--format",
            "{{.Name}} {{.State.Status}} {{.Config.Image}} {{json .Config.Cmd}}",
            &c,
        ]))
        .ok()
        .stdout_is(&format!(
            "/{c} running {} [\"sleep\",\"infinity\"]\n",
            engine::configured_image(IMAGE)
        ));
    });
}

#[test]
fn inspect_of_a_missing_container_fails_the_same_way() {
    let Some(h) = Harness::new("inspect_missing") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("nope");
        s.step(s.docker(["inspect", &c]))
            .code(1)
            .stderr_has("No such object");
        s.step(s.docker(["container", "inspect", &c]))
            .code(1)
            .stderr_has(engine::no_such_container());
        s.step(s.docker(["rm", &c]))
            .code(1)
            .stderr_has(engine::no_such_container());
    });
}

// ---------------------------------------------------------------------------------------------
// exec, attach, run -i/-t: the hijacked streams
// ---------------------------------------------------------------------------------------------

#[test]
fn exec_without_stdin_still_delivers_output() {
    // Without -i the CLI half-closes its side of the hijacked connection at once; the output
    // (even output that comes later) must still arrive.
    let Some(h) = Harness::new("exec_no_i") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["exec", &c, "echo", "hi"]))
            .ok()
            .stdout_is("hi\n");
        s.step(s.docker(["exec", &c, "sh", "-c", "sleep 1.5; echo late"]))
            .ok()
            .stdout_is("late\n");
    });
}

#[test]
fn exec_i_pipes_stdin_to_cat() {
    let Some(h) = Harness::new("exec_i") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["exec", "-i", &c, "cat"]).stdin("hello\n"))
            .ok()
            .stdout_is("hello\n");
    });
}

#[test]
fn exec_i_with_empty_stdin_sees_eof() {
    // The client's EOF (half-close) must reach the process, or `cat` never ends.
    let Some(h) = Harness::new("exec_i_eof") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(
            s.docker(["exec", "-i", &c, "sh", "-c", "cat; echo eof"])
                .stdin(""),
        )
        .ok()
        .stdout_is("eof\n");
    });
}

#[test]
fn exec_i_cat_streams_both_ways_at_once() {
    // 16 MB in while 16 MB come back: a relay that does one direction at a time deadlocks.
    let Some(h) = Harness::new("exec_i_duplex") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        let f = s.path("blob");
        write_random_file(&f, 16 << 20, 16);
        let sum = sha256_file(&f);
        let data = std::fs::read(&f).unwrap();
        s.step(
            s.docker(["exec", "-i", &c, "cat"])
                .stdin(data)
                .digest_stdout(),
        )
        .ok()
        .stdout_is(&format!("{} bytes, sha256 {sum}\n", 16 << 20));
    });
}

#[test]
fn exec_t_without_a_terminal_streams_raw_output() {
    // With -t the stream is not multiplexed: stdout and stderr arrive as one raw stream.
    let Some(h) = Harness::new("exec_t") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker([
            "exec",
            "-t",
            &c,
            "sh",
            "-c",
            "echo hi; echo err >&2; exit 2",
        ]))
        .code(2)
        .stdout_is("hi\r\nerr\r\n");
    });
}

#[test]
fn exec_on_a_stopped_container_fails_the_same_way() {
    let Some(h) = Harness::new("exec_stopped") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker(["create", "--network", "none", "--name", &c, IMAGE, "true"]));
        s.step(s.docker(["exec", &c, "echo", "hi"]))
            .code(1)
            .stderr_has(engine::exec_on_a_stopped_container());
    });
}

#[test]
fn debian_20_10_cli_streams_behave_the_same() {
    // The older client (Debian's docker.io) hijacks and half-closes in its own way.
    let Some(h) = Harness::new("old_cli") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        let old = |args: &[&str]| s.program("/usr/bin/docker", args);
        s.step(old(&["exec", "-i", &c, "cat"]).stdin("hello\n"))
            .ok()
            .stdout_is("hello\n");
        s.step(old(&["exec", &c, "sh", "-c", "sleep 1; echo late; exit 4"]))
            .code(4)
            .stdout_is("late\n");
        s.step(old(&["exec", "-it", &c, "sh", "-c", "echo hi; exit 3"]).tty())
            .code(3)
            .stdout_has("hi\r\n");
        s.step(
            old(&[
                "run",
                "--rm",
                "-i",
                "--network",
                "none",
                IMAGE,
                "sh",
                "-c",
                "cat; echo done",
            ])
            .stdin("x\n"),
        )
        .ok()
        .stdout_is("x\ndone\n");
    });
}

#[test]
fn exec_i_streams_a_large_stdin_intact() {
    let Some(h) = Harness::new("exec_i_large") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        let f = s.path("blob");
        write_random_file(&f, 8 << 20, 7);
        let sum = sha256_file(&f);
        let data = std::fs::read(&f).unwrap();
        s.step(s.docker(["exec", "-i", &c, "sha256sum"]).stdin(data))
            .ok()
            .stdout_has(&sum);
    });
}

#[test]
fn exec_streams_a_large_stdout_intact() {
    let Some(h) = Harness::new("exec_large_out") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["exec", &c, "seq", "1", "500000"]))
            .ok()
            .check("500000 lines ending in 500000", |o| {
                let t = o.stdout_str();
                t.lines().count() == 500_000 && t.ends_with("\n500000\n")
            });
    });
}

#[test]
fn exec_propagates_a_nonzero_exit_code_and_stderr() {
    let Some(h) = Harness::new("exec_code") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["exec", &c, "sh", "-c", "echo out; echo err >&2; exit 7"]))
            .code(7)
            .stdout_is("out\n")
            .stderr_has("err\n");
        s.step(
            s.docker(["exec", &c, "no-such-command"])
                .normalize(engine::exec_failure_stable),
        )
        .check("a non-zero exit", |o| o.code != 0);
    });
}

#[test]
fn exec_passes_env_and_workdir() {
    let Some(h) = Harness::new("exec_env") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker([
            "exec",
            "-e",
            "FOO=bar",
            "-w",
            "/etc",
            &c,
            "sh",
            "-c",
            "echo $FOO; pwd",
        ]))
        .ok()
        .stdout_is("bar\n/etc\n");
    });
}

#[test]
fn exec_it_with_a_pty_returns_output_and_code() {
    let Some(h) = Harness::new("exec_it") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(
            s.docker(["exec", "-it", &c, "sh", "-c", "echo hi; tty; exit 3"])
                .tty(),
        )
        .code(3)
        .stdout_has("hi\r\n")
        .stdout_has("/dev/pts/");
    });
}

#[test]
fn run_it_with_a_pty_returns_output_and_code() {
    let Some(h) = Harness::new("run_it") else {
        return;
    };
    h.compare(|s| {
        s.step(
            s.docker([
                "run",
                "--rm",
                "-it",
                "--network",
                "none",
                IMAGE,
                "sh",
                "-c",
                "echo hi; tty; exit 4",
            ])
            .tty(),
        )
        .code(4)
        .stdout_has("hi\r\n")
        .stdout_has("/dev/pts/0");
    });
}

#[test]
fn run_i_with_piped_stdin() {
    let Some(h) = Harness::new("run_i") else {
        return;
    };
    h.compare(|s| {
        s.step(
            s.docker([
                "run",
                "--rm",
                "-i",
                "--network",
                "none",
                IMAGE,
                "sh",
                "-c",
                "cat; echo done",
            ])
            .stdin("line1\nline2\n"),
        )
        .ok()
        .stdout_is("line1\nline2\ndone\n");
    });
}

#[test]
fn exec_d_runs_in_the_background() {
    let Some(h) = Harness::new("exec_d") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["exec", "-d", &c, "sh", "-c", "echo bg > /tmp/f"]))
            .ok()
            .stdout_is("");
        s.wait_until("the detached exec to write /tmp/f", || {
            s.run(s.docker(["exec", &c, "cat", "/tmp/f"])).code == 0
        });
        s.step(s.docker(["exec", &c, "cat", "/tmp/f"]))
            .ok()
            .stdout_is("bg\n");
    });
}

#[test]
fn attach_no_stdin_streams_output_until_the_container_exits() {
    let Some(h) = Harness::new("attach") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        // The container waits for a go signal, so the output cannot precede the attach.
        s.ok(s.docker([
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "while [ ! -f /tmp/go ]; do sleep 0.1; done; echo attached; echo oops >&2; exit 5",
        ]));
        let since = format!("{:.3}", unix_now() - 1.0);
        let attach = s.spawn(s.docker(["attach", "--no-stdin", &c]));
        // dockerd logs the "attach" event once the streams are attached.
        s.wait_until("the attach event", || {
            let until = format!("{:.3}", unix_now());
            let ev = s.run(s.docker([
                "events",
                "--since",
                &since,
                "--until",
                &until,
                "--filter",
                &format!("container={c}"),
                "--filter",
                "event=attach",
                "--format",
                "{{.Action}}",
            ]));
            ev.stdout_str().contains("attach")
        });
        s.ok(s.docker(["exec", &c, "touch", "/tmp/go"]));
        s.finish(attach)
            .code(5)
            .stdout_is("attached\n")
            .stderr_has("oops");
    });
}

#[test]
fn run_i_output_after_stdin_eof_still_arrives() {
    // The client half-closes after its stdin; the container's later output must not be cut.
    let Some(h) = Harness::new("run_i_eof") else {
        return;
    };
    h.compare(|s| {
        s.step(
            s.docker([
                "run",
                "--rm",
                "-i",
                "--network",
                "none",
                IMAGE,
                "sh",
                "-c",
                "cat >/dev/null; sleep 1; echo after-eof; exit 3",
            ])
            .stdin("ignored\n"),
        )
        .code(3)
        .stdout_is("after-eof\n");
    });
}

#[test]
fn start_ai_pipes_stdin_and_sees_eof() {
    let Some(h) = Harness::new("start_ai") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker([
            "create",
            "-i",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "cat; echo end",
        ]));
        s.step(s.docker(["start", "-ai", &c]).stdin("hello\n"))
            .ok()
            .stdout_is("hello\nend\n");
    });
}

#[test]
fn wait_blocks_until_the_container_is_killed() {
    // A long-held request: the answer comes only when the container dies.
    let Some(h) = Harness::new("wait_kill") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        let wait = s.spawn(s.docker(["wait", &c]));
        std::thread::sleep(Duration::from_millis(500));
        s.ok(s.docker(["kill", &c]));
        s.finish(wait).ok().stdout_is("137\n");
    });
}

#[test]
fn start_a_attaches_and_returns_the_exit_code() {
    let Some(h) = Harness::new("start_a") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker([
            "create",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "echo started; exit 6",
        ]));
        s.step(s.docker(["start", "-a", &c]))
            .code(6)
            .stdout_is("started\n");
    });
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

#[test]
fn logs_keep_stdout_and_stderr_apart() {
    let Some(h) = Harness::new("logs") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker([
            "run",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "echo out; echo err >&2",
        ]));
        s.step(s.docker(["logs", &c]))
            .ok()
            .stdout_is("out\n")
            .check("stderr is exactly err", |o| o.stderr_str() == "err\n");
    });
}

#[test]
fn logs_tail_and_timestamps() {
    let Some(h) = Harness::new("logs_tail") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker([
            "run",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "for i in 1 2 3 4 5; do echo $i; done",
        ]));
        s.step(s.docker(["logs", "--tail", "2", &c]))
            .ok()
            .stdout_is("4\n5\n");
        s.step(s.docker(["logs", "--timestamps", "--tail", "2", &c]))
            .ok()
            .check("two lines, each an RFC 3339 timestamp then the text", |o| {
                let re = Regex::new(&format!("{} [45]$", engine::log_timestamp_pattern())).unwrap();
                let t = o.stdout_str();
                t.lines().count() == 2 && t.lines().all(|l| re.is_match(l))
            });
    });
}

#[test]
fn logs_follow_ends_when_the_container_exits() {
    let Some(h) = Harness::new("logs_f") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker([
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "for i in 1 2 3; do echo $i; sleep 0.3; done",
        ]));
        s.step(
            s.docker(["logs", "-f", &c])
                .timeout(Duration::from_secs(60)),
        )
        .ok()
        .stdout_is("1\n2\n3\n");
    });
}

// ---------------------------------------------------------------------------------------------
// Copying, saving, exporting: large bodies both ways
// ---------------------------------------------------------------------------------------------

fn cp_round_trip(test: &str, len: usize, timeout: Duration) {
    let Some(h) = Harness::new(test) else { return };
    h.compare(|s| {
        let c = s.sleeper("c");
        let src = s.path("in.bin");
        write_random_file(&src, len, len as u64);
        let sum = sha256_file(&src);
        s.step(
            s.docker(["cp", "in.bin", &format!("{c}:/tmp/blob")])
                .timeout(timeout),
        )
        .ok();
        s.step(
            s.docker(["exec", &c, "sha256sum", "/tmp/blob"])
                .timeout(timeout),
        )
        .ok()
        .stdout_has(&sum);
        s.step(
            s.docker(["cp", &format!("{c}:/tmp/blob"), "out.bin"])
                .timeout(timeout),
        )
        .ok();
        let back = sha256_file(&s.path("out.bin"));
        assert_eq!(back, sum, "[{:?}] docker cp out changed the file", s.via);
        std::fs::remove_file(s.path("in.bin")).ok();
        std::fs::remove_file(s.path("out.bin")).ok();
    });
}

#[test]
fn cp_into_and_out_of_a_container_keeps_the_bytes() {
    cp_round_trip("cp", 3 << 20, CMD_TIMEOUT);
}

#[test]
fn cp_of_200_mb_into_and_out_of_a_container_keeps_the_bytes() {
    cp_round_trip("cp_big", 200 << 20, Duration::from_secs(300));
}

#[test]
fn cp_of_a_directory_tree() {
    let Some(h) = Harness::new("cp_dir") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        let d = s.path("tree");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("a.txt"), "alpha\n").unwrap();
        std::fs::write(d.join("sub/b.txt"), "beta\n").unwrap();
        // docker cp keeps mtimes, and the tar read back below holds them: make them the same
        // on both sides.
        for p in ["tree/a.txt", "tree/sub/b.txt", "tree/sub", "tree"] {
            let f = std::fs::File::open(s.path(p)).unwrap();
            f.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000))
                .unwrap();
        }
        s.step(s.docker(["cp", "tree", &format!("{c}:/tmp/")])).ok();
        s.step(s.docker([
            "exec",
            &c,
            "sh",
            "-c",
            "cat /tmp/tree/a.txt /tmp/tree/sub/b.txt",
        ]))
        .ok()
        .stdout_is("alpha\nbeta\n");
        // To stdout as a tar stream.
        let tar = s.step(s.docker(["cp", &format!("{c}:/tmp/tree/sub"), "-"]));
        tar.ok().check("a tar holding sub/b.txt", |o| {
            o.stdout.len() >= 1024 && o.stdout_str().contains("sub/b.txt")
        });
        // And that tar back in from stdin.
        s.ok(s.docker(["exec", &c, "mkdir", "/tmp/again"]));
        s.step(
            s.docker(["cp", "-", &format!("{c}:/tmp/again")])
                .stdin(tar.stdout.clone()),
        )
        .ok();
        s.step(s.docker(["exec", &c, "cat", "/tmp/again/sub/b.txt"]))
            .ok()
            .stdout_is("beta\n");
    });
}

#[test]
fn save_and_load_round_trip_an_image() {
    let Some(h) = Harness::new("save_load") else {
        return;
    };
    h.compare(|s| {
        let tag = format!("{}:1", s.name("img"));
        s.ok(s.docker(["tag", IMAGE, &tag]));
        s.step(s.docker(["save", "-o", "img.tar", &tag]))
            .ok()
            .stdout_is("");
        let via_file = sha256_bytes(&engine::save_archive(
            &std::fs::read(s.path("img.tar")).unwrap(),
        ));
        // Through stdout too: the same bytes.
        let out = s.step(
            s.docker(["save", &tag])
                .rewrite_stdout(engine::save_archive),
        );
        out.ok()
            .check("more than 1 MB", |o| o.stdout.len() > 1 << 20);
        assert_eq!(
            sha256_bytes(&out.stdout),
            via_file,
            "[{:?}] save to stdout and save -o differ",
            s.via
        );
        s.ok(s.docker(["rmi", &tag]));
        s.step(s.docker(["load", "-i", "img.tar"]))
            .ok()
            .stdout_has(&format!("Loaded image: {}", engine::loaded_image(&tag)));
        // And from stdin (a request body of unknown length).
        s.ok(s.docker(["rmi", &tag]));
        s.step(s.docker(["load"]).stdin(out.stdout.clone()))
            .ok()
            .stdout_has(&format!("Loaded image: {}", engine::loaded_image(&tag)));
        s.step(s.docker(["run", "--rm", "--network", "none", &tag, "echo", "loaded"]))
            .ok()
            .stdout_is("loaded\n");
    });
}

#[test]
fn export_and_import_round_trip_a_filesystem() {
    let Some(h) = Harness::new("export_import") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker([
            "run",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "echo mark > /etc/mark",
        ]));
        s.step(s.docker(["export", "-o", "fs.tar", &c])).ok();
        let tag = format!("{}:1", s.name("img"));
        s.step(s.docker(["import", "-c", "ENV PATH=/bin", "fs.tar", &tag]))
            .ok()
            .stdout_has("sha256:");
        s.step(s.docker(["run", "--rm", "--network", "none", &tag, "cat", "/etc/mark"]))
            .ok()
            .stdout_is("mark\n");
        // And the tar as the request body from stdin.
        let tag2 = format!("{}:1", s.name("img2"));
        let tar = std::fs::read(s.path("fs.tar")).unwrap();
        s.step(
            s.docker(["import", "-c", "ENV PATH=/bin", "-", &tag2])
                .stdin(tar),
        )
        .ok()
        .stdout_has("sha256:");
        s.step(s.cat_in(&tag2, "/etc/mark"))
            .ok()
            .stdout_is("mark\n");
    });
}

// ---------------------------------------------------------------------------------------------
// Builds
// ---------------------------------------------------------------------------------------------

/// A build context whose content is unique to the side, so that neither side hits the other's
/// build cache.
fn build_context(s: &Side) -> std::path::PathBuf {
    let ctx = s.path("ctx");
    std::fs::create_dir_all(ctx.join("sub")).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!(
            "FROM {IMAGE}\nCOPY a.txt unique.txt sub/ /data/\nRUN cat /data/a.txt /data/b.txt > /data/both\n\
             LABEL {LABEL}={}\n",
            s.h.prefix()
        ),
    )
    .unwrap();
    std::fs::write(ctx.join("a.txt"), "alpha\n").unwrap();
    std::fs::write(ctx.join("sub/b.txt"), "beta\n").unwrap();
    std::fs::write(ctx.join("unique.txt"), s.name("context")).unwrap();
    // Not used by the Dockerfile, but sent: a request body of several MB.
    write_random_file(&ctx.join("big.bin"), 8 << 20, 8);
    ctx
}

#[test]
fn build_with_the_classic_builder() {
    let Some(h) = Harness::new("build_classic") else {
        return;
    };
    h.compare(|s| {
        build_context(s);
        let tag = format!("{}:1", s.name("img"));
        s.step(
            s.docker(["build", "-t", &tag, "ctx"])
                .env("DOCKER_BUILDKIT", "0"),
        )
        .ok()
        .stdout_has("Step 3/4")
        .stdout_has(&format!("Successfully tagged {tag}"));
        s.step(s.cat_in(&tag, "/data/both"))
            .ok()
            .stdout_is("alpha\nbeta\n");
    });
}

#[test]
fn build_with_buildkit_over_the_session_upgrade() {
    // The 20.10 CLI's built-in BuildKit upgrades POST /session to h2c and runs gRPC both ways.
    let Some(h) = Harness::new("build_kit") else {
        return;
    };
    h.compare(|s| {
        build_context(s);
        let tag = format!("{}:1", s.name("img"));
        s.step(
            s.program(
                "/usr/bin/docker",
                ["build", "--progress=plain", "-t", &tag, "ctx"],
            )
            .env("DOCKER_BUILDKIT", "1")
            .normalize(buildkit_progress),
        )
        .ok()
        .stderr_has("[3/3] RUN cat /data/a.txt /data/b.txt")
        .stderr_has(&format!("naming to docker.io/library/{tag}"));
        s.step(s.cat_in(&tag, "/data/both"))
            .ok()
            .stdout_is("alpha\nbeta\n");
    });
}

// ---------------------------------------------------------------------------------------------
// Networks and volumes
// ---------------------------------------------------------------------------------------------

#[test]
fn network_create_ls_inspect_rm() {
    let Some(h) = Harness::new("network") else {
        return;
    };
    h.compare(|s| {
        let n = s.name("net");
        s.step(s.docker(["network", "create", &n]))
            .ok()
            .check("a network id", |o| o.text().len() == 64);
        s.step(s.docker(["network", "ls", "--filter", &format!("name={n}")]))
            .ok()
            .stdout_has(&n)
            .stdout_has("bridge");
        s.step(s.docker(["network", "inspect", &n]).normalize(ips))
            .ok()
            .stdout_has(&format!("\"Name\": \"{n}\""));
        s.step(s.docker([
            "network",
            "inspect",
            "-f",
            "{{.Name}} {{.Driver}} {{.Scope}}",
            &n,
        ]))
        .ok()
        .stdout_is(&format!("{n} bridge local\n"));
        s.step(s.docker(["network", "rm", &n]))
            .ok()
            .stdout_is(&format!("{n}\n"));
        s.step(s.docker(["network", "ls", "-q", "--filter", &format!("name={n}")]))
            .ok()
            .stdout_is("");
    });
}

#[test]
fn network_connect_and_disconnect_a_container() {
    let Some(h) = Harness::new("net_connect") else {
        return;
    };
    h.compare(|s| {
        let (n1, n2) = (s.name("net1"), s.name("net2"));
        s.ok(s.docker(["network", "create", &n1]));
        s.ok(s.docker(["network", "create", &n2]));
        let c = s.name("c");
        s.ok(s.docker([
            "run",
            "-d",
            "--network",
            &n1,
            "--name",
            &c,
            IMAGE,
            "sleep",
            "infinity",
        ]));
        let nets = "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}";
        s.step(s.docker(["network", "connect", &n2, &c])).ok();
        s.step(s.docker(["inspect", "-f", nets, &c]))
            .ok()
            .stdout_has(&n1)
            .stdout_has(&n2);
        s.step(s.docker(["network", "disconnect", &n2, &c])).ok();
        s.step(s.docker(["inspect", "-f", nets, &c]))
            .ok()
            .stdout_is(&format!("{n1} \n"));
        s.step(s.docker(["network", "rm", &n2])).ok();
    });
}

#[test]
fn volume_create_ls_inspect_use_rm() {
    let Some(h) = Harness::new("volume") else {
        return;
    };
    h.compare(|s| {
        let v = s.name("vol");
        s.step(s.docker(["volume", "create", &v]))
            .ok()
            .stdout_is(&format!("{v}\n"));
        s.step(s.docker(["volume", "ls", "--filter", &format!("name={v}")]))
            .ok()
            .stdout_has(&v);
        s.step(s.docker(["volume", "inspect", &v]))
            .ok()
            .stdout_has("\"Driver\": \"local\"");
        s.step(s.docker([
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            &format!("{v}:/data"),
            IMAGE,
            "sh",
            "-c",
            "echo kept > /data/f",
        ]))
        .ok();
        s.step(s.docker([
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            &format!("{v}:/data:ro"),
            IMAGE,
            "cat",
            "/data/f",
        ]))
        .ok()
        .stdout_is("kept\n");
        s.step(s.docker(["volume", "rm", &v]))
            .ok()
            .stdout_is(&format!("{v}\n"));
        s.step(s.docker(["volume", "inspect", &v]))
            .code(1)
            .stderr_has("no such volume");
    });
}

#[test]
fn bind_mount_of_a_host_directory() {
    let Some(h) = Harness::new("bind") else {
        return;
    };
    h.compare(|s| {
        std::fs::create_dir_all(s.path("host")).unwrap();
        std::fs::write(s.path("host/f"), "from host\n").unwrap();
        let m = format!("{}:/mnt:ro", s.path("host").display());
        s.step(s.docker([
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            &m,
            IMAGE,
            "cat",
            "/mnt/f",
        ]))
        .ok()
        .stdout_is("from host\n");
    });
}

// ---------------------------------------------------------------------------------------------
// Images: tag, rmi, commit, diff
// ---------------------------------------------------------------------------------------------

#[test]
fn tag_and_rmi() {
    let Some(h) = Harness::new("tag_rmi") else {
        return;
    };
    h.compare(|s| {
        let tag = format!("{}:1", s.name("img"));
        s.step(s.docker(["tag", IMAGE, &tag])).ok().stdout_is("");
        s.step(s.docker(["images", "--format", "{{.Repository}}:{{.Tag}}", &tag]))
            .ok()
            .stdout_is(&format!("{tag}\n"));
        s.step(s.docker(["rmi", &tag]))
            .ok()
            .stdout_is(&format!("Untagged: {tag}\n"));
        s.step(s.docker(["image", "inspect", &tag]))
            .code(1)
            .stderr_has("No such image");
    });
}

#[test]
fn commit_makes_an_image_with_the_changes() {
    let Some(h) = Harness::new("commit") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.ok(s.docker(["exec", &c, "sh", "-c", "echo committed > /etc/state"]));
        let tag = format!("{}:1", s.name("img"));
        s.step(s.docker(["commit", "-c", "ENV FOO=bar", &c, &tag]))
            .ok()
            .stdout_has("sha256:");
        s.step(s.docker([
            "run",
            "--rm",
            "--network",
            "none",
            &tag,
            "sh",
            "-c",
            "cat /etc/state; echo $FOO",
        ]))
        .ok()
        .stdout_is("committed\nbar\n");
    });
}

#[test]
fn diff_lists_filesystem_changes() {
    let Some(h) = Harness::new("diff") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.ok(s.docker(["exec", &c, "sh", "-c", "echo x > /tmp/new; mkdir /etc/dir"]));
        s.step(s.docker(["diff", &c]).normalize(sorted))
            .ok()
            .stdout_has("A /tmp/new")
            .stdout_has("A /etc/dir")
            .stdout_has("C /tmp");
    });
}

// ---------------------------------------------------------------------------------------------
// Container lifecycle
// ---------------------------------------------------------------------------------------------

#[test]
fn top_lists_the_container_processes() {
    let Some(h) = Harness::new("top") else { return };
    h.compare(|s| {
        let c = s.sleeper("c");
        // PIDs and CPU times differ per run.
        s.step(s.docker(["top", &c]).normalize(digits))
            .ok()
            .stdout_has("PID")
            .stdout_has("sleep infinity");
    });
}

#[test]
fn pause_and_unpause() {
    let Some(h) = Harness::new("pause") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["pause", &c]))
            .ok()
            .stdout_is(&format!("{c}\n"));
        s.step(s.docker(["inspect", "-f", "{{.State.Status}}", &c]))
            .ok()
            .stdout_is("paused\n");
        s.step(s.docker([
            "ps",
            "--filter",
            &format!("name={c}"),
            "--format",
            "{{.Status}}",
        ]))
        .ok()
        .stdout_has("(Paused)");
        s.step(s.docker(["unpause", &c]))
            .ok()
            .stdout_is(&format!("{c}\n"));
        s.step(s.docker(["inspect", "-f", "{{.State.Status}}", &c]))
            .ok()
            .stdout_is("running\n");
    });
}

#[test]
fn restart_gives_a_new_start_time() {
    let Some(h) = Harness::new("restart") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        let before = s.inspect(&c, "{{.State.StartedAt}}");
        s.step(s.docker(["restart", "-t", "1", &c]))
            .ok()
            .stdout_is(&format!("{c}\n"));
        s.step(s.docker(["inspect", "-f", "{{.State.Status}}", &c]))
            .ok()
            .stdout_is("running\n");
        let after = s.inspect(&c, "{{.State.StartedAt}}");
        assert_ne!(before, after, "[{:?}] restart did not restart", s.via);
    });
}

#[test]
fn stop_then_start() {
    let Some(h) = Harness::new("stop_start") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["stop", "-t", "1", &c]))
            .ok()
            .stdout_is(&format!("{c}\n"));
        s.step(s.docker(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", &c]))
            .ok()
            .stdout_is("exited 137\n");
        s.step(s.docker(["start", &c]))
            .ok()
            .stdout_is(&format!("{c}\n"));
        s.step(s.docker(["inspect", "-f", "{{.State.Status}}", &c]))
            .ok()
            .stdout_is("running\n");
    });
}

#[test]
fn wait_prints_the_exit_code() {
    let Some(h) = Harness::new("wait") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker([
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "sleep 0.5; exit 42",
        ]));
        s.step(s.docker(["wait", &c])).ok().stdout_is("42\n");
    });
}

#[test]
fn rename_a_container() {
    let Some(h) = Harness::new("rename") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        let new = s.name("renamed");
        s.step(s.docker(["rename", &c, &new])).ok().stdout_is("");
        s.step(s.docker(["inspect", "-f", "{{.Name}}", &new]))
            .ok()
            .stdout_is(&format!("/{new}\n"));
        s.step(s.docker(["inspect", &c])).code(1);
    });
}

#[test]
fn kill_with_a_signal_reaches_the_trap() {
    let Some(h) = Harness::new("kill_s") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker([
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "trap 'echo got usr1; exit 9' USR1; touch /tmp/ready; while :; do sleep 0.1; done",
        ]));
        s.wait_until("the trap to be installed", || {
            s.run(s.docker(["exec", &c, "test", "-f", "/tmp/ready"]))
                .code
                == 0
        });
        s.step(s.docker(["kill", "-s", "USR1", &c]))
            .ok()
            .stdout_is(&format!("{c}\n"));
        s.step(s.docker(["wait", &c])).ok().stdout_is("9\n");
        s.step(s.docker(["logs", &c])).ok().stdout_is("got usr1\n");
    });
}

#[test]
fn stats_no_stream_reports_the_container() {
    let Some(h) = Harness::new("stats") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["stats", "--no-stream", "--format", "{{.Name}}", &c]))
            .ok()
            .stdout_is(&format!("{c}\n"));
        // Usage figures are live measurements.
        s.step(s.docker(["stats", "--no-stream", &c]).normalize(sizes))
            .ok()
            .stdout_has("MEM USAGE")
            .stdout_has(&c);
    });
}

#[test]
fn update_changes_resources_and_restart_policy() {
    let Some(h) = Harness::new("update") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker([
            "update",
            "--cpu-shares",
            "512",
            "--restart",
            "on-failure:3",
            &c,
        ]))
        .ok()
        .stdout_is(&format!("{c}\n"));
        s.step(s.docker([
            "inspect",
            "-f",
            "{{.HostConfig.CpuShares}} {{.HostConfig.RestartPolicy.Name}} \
             {{.HostConfig.RestartPolicy.MaximumRetryCount}}",
            &c,
        ]))
        .ok()
        .stdout_is("512 on-failure 3\n");
    });
}

#[test]
fn port_lists_published_ports() {
    let Some(h) = Harness::new("port") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker([
            "run",
            "-d",
            "-p",
            "127.0.0.1::80",
            "--name",
            &c,
            IMAGE,
            "sleep",
            "infinity",
        ]));
        // The host port is picked by the daemon from the ephemeral range.
        s.step(s.docker(["port", &c]).normalize(digits)).ok().check(
            "80/tcp -> 127.0.0.1:<port>",
            |o| {
                Regex::new(r"^80/tcp -> 127\.0\.0\.1:\d+\n$")
                    .unwrap()
                    .is_match(&o.stdout_str())
            },
        );
        s.step(s.docker(["port", &c, "80/tcp"]).normalize(digits))
            .ok()
            .stdout_has("127.0.0.1:");
        s.step(s.docker(["port", &c, "81/tcp"]))
            .check("a non-zero exit", |o| o.code != 0)
            .stderr_has("No public port");
    });
}

#[test]
fn rm_f_of_several_containers_at_once() {
    // The CLI removes them over parallel connections.
    let Some(h) = Harness::new("rm_many") else {
        return;
    };
    h.compare(|s| {
        let names: Vec<String> = (1..=6).map(|i| s.sleeper(&format!("c{i}"))).collect();
        let mut args = vec!["rm".to_string(), "-f".to_string()];
        args.extend(names.iter().cloned());
        let want: String = names.iter().map(|n| format!("{n}\n")).collect();
        s.step(s.docker(&args)).ok().stdout_is(&want);
        s.step(s.docker([
            "ps",
            "-a",
            "-q",
            "--filter",
            &format!("name={}", s.name("c")),
        ]))
        .ok()
        .stdout_is("");
    });
}

// ---------------------------------------------------------------------------------------------
// Status codes and bodies that are easy to get wrong in a relay
// ---------------------------------------------------------------------------------------------

#[test]
fn start_of_a_running_and_stop_of_a_stopped_container_are_not_errors() {
    // dockerd answers 304 Not Modified, with no body.
    let Some(h) = Harness::new("not_modified") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["start", &c]))
            .ok()
            .stdout_is(&format!("{c}\n"));
        let d = s.name("d");
        s.ok(s.docker(["create", "--network", "none", "--name", &d, IMAGE, "true"]));
        s.step(s.docker(["stop", &d]))
            .ok()
            .stdout_is(&format!("{d}\n"));
        s.step(s.docker(["pause", &d]))
            .code(1)
            .stderr_has("is not running");
    });
}

#[test]
fn cp_of_a_missing_path_fails_the_same_way() {
    // The CLI first asks HEAD /containers/{id}/archive: a 404 without a body.
    let Some(h) = Harness::new("cp_missing") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["cp", &format!("{c}:/nope"), "out"]))
            .code(1)
            .stderr_has(&engine::cp_missing_source("/nope"));
        s.step(s.docker(["cp", "nope-local", &format!("{c}:/tmp/")]))
            .code(1)
            .stderr_has("no such file or directory");
    });
}

#[test]
fn rmi_of_an_image_in_use_fails_with_the_conflict_message() {
    let Some(h) = Harness::new("rmi_conflict") else {
        return;
    };
    h.compare(|s| {
        let tag = format!("{}:1", s.name("img"));
        let c = s.name("c");
        s.ok(s.docker(["create", "--network", "none", "--name", &c, IMAGE, "true"]));
        s.ok(s.docker(["commit", &c, &tag]));
        s.ok(s.docker([
            "create",
            "--network",
            "none",
            "--name",
            &s.name("user"),
            &tag,
            "true",
        ]));
        s.step(s.docker(["rmi", &tag]))
            .code(1)
            .stderr_has("conflict: unable to remove repository reference");
    });
}

#[test]
fn exec_output_with_nul_and_invalid_utf8_bytes_is_unchanged() {
    let Some(h) = Harness::new("exec_binary") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        s.step(s.docker(["exec", &c, "sh", "-c", r"printf '\000\377\376abc\r\n'"]))
            .ok()
            .check("the exact bytes 00 ff fe a b c CR LF", |o| {
                o.stdout == b"\0\xff\xfeabc\r\n"
            });
    });
}

#[test]
fn exec_i_process_that_stops_reading_early_still_ends_cleanly() {
    // `head` exits after 10 bytes while the CLI is still sending 8 MB.
    let Some(h) = Harness::new("exec_i_early") else {
        return;
    };
    h.compare(|s| {
        let c = s.sleeper("c");
        let f = s.path("blob");
        write_random_file(&f, 8 << 20, 3);
        let data = std::fs::read(&f).unwrap();
        let first: Vec<u8> = data[..10].to_vec();
        s.step(s.docker(["exec", "-i", &c, "head", "-c", "10"]).stdin(data))
            .ok()
            .check("the first 10 bytes of stdin", |o| o.stdout == first);
    });
}

#[test]
fn large_request_json_and_unicode_labels_pass_unchanged() {
    let Some(h) = Harness::new("big_json") else {
        return;
    };
    h.compare(|s| {
        let big = format!("BIG={}", "a".repeat(100_000));
        let c = s.name("c");
        s.step(s.docker([
            "run",
            "--network",
            "none",
            "--name",
            &c,
            "-e",
            &big,
            "--label",
            "note=ünïcødé ✓ \"quoted\"",
            IMAGE,
            "sh",
            "-c",
            "echo ${#BIG}",
        ]))
        .ok()
        .stdout_is("100000\n");
        s.step(s.docker(["inspect", "-f", "{{index .Config.Labels \"note\"}}", &c]))
            .ok()
            .stdout_is("ünïcødé ✓ \"quoted\"\n");
    });
}

// ---------------------------------------------------------------------------------------------
// Events and prunes
// ---------------------------------------------------------------------------------------------

#[test]
fn events_since_until_returns_the_container_lifecycle() {
    let Some(h) = Harness::new("events") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        let since = format!("{:.3}", unix_now() - 0.5);
        s.ok(s.docker([
            "run",
            "--rm",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "true",
        ]));
        let until = format!("{:.3}", unix_now() + 0.5);
        s.step(s.docker([
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            &format!("container={c}"),
            "--filter",
            "type=container",
            "--format",
            "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
        ]))
        .ok()
        .stdout_has(&format!("container create {c}\n"))
        .stdout_has(&format!("container start {c}\n"))
        .stdout_has(&format!(
            "container {} {c}\n",
            engine::container_removed_action()
        ));
    });
}

#[test]
fn container_prune_with_a_label_filter() {
    let Some(h) = Harness::new("prune_c") else {
        return;
    };
    h.compare(|s| {
        for i in 1..=2 {
            s.ok(s.docker([
                "create",
                "--network",
                "none",
                "--label",
                &s.label(),
                "--name",
                &s.name(&format!("c{i}")),
                IMAGE,
                "true",
            ]));
        }
        let keep = s.sleeper("keep");
        s.step(
            s.docker([
                "container",
                "prune",
                "-f",
                "--filter",
                &format!("label={}", s.label()),
            ])
            .normalize(sizes),
        )
        .ok()
        .stdout_has("Deleted Containers:")
        .check("two ids deleted", |o| {
            Regex::new(r"(?m)^[0-9a-f]{64}$")
                .unwrap()
                .find_iter(&o.stdout_str())
                .count()
                == 2
        });
        s.step(s.docker(["inspect", "-f", "{{.State.Status}}", &keep]))
            .ok()
            .stdout_is("running\n");
    });
}

#[test]
fn volume_prune_with_a_label_filter() {
    let Some(h) = Harness::new("prune_v") else {
        return;
    };
    h.compare(|s| {
        let (v1, v2) = (s.name("v1"), s.name("v2"));
        for v in [&v1, &v2] {
            s.ok(s.docker(["volume", "create", "--label", &s.label(), v]));
        }
        let label = format!("label={}", s.label());
        let mut prune = vec!["volume", "prune", "-f", "--filter", &label];
        prune.extend(engine::volume_prune_named());
        s.step(s.docker(prune).normalize(sorted))
            .ok()
            .stdout_has("Deleted Volumes:")
            .stdout_has(&format!("{v1}\n"))
            .stdout_has(&format!("{v2}\n"));
        s.step(s.docker([
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("name={}", s.name("v")),
        ]))
        .ok()
        .stdout_is("");
    });
}

#[test]
fn image_prune_with_a_label_filter() {
    let Some(h) = Harness::new("prune_i") else {
        return;
    };
    h.compare(|s| {
        let c = s.name("c");
        s.ok(s.docker(["create", "--network", "none", "--name", &c, IMAGE, "true"]));
        let tag = format!("{}:1", s.name("img"));
        s.ok(s.docker(["commit", "-c", &format!("LABEL {}", s.label()), &c, &tag]));
        s.step(
            s.docker([
                "image",
                "prune",
                "-a",
                "-f",
                "--filter",
                &format!("label={}", s.label()),
            ])
            .normalize(sizes),
        )
        .ok()
        .stdout_has("Deleted Images:")
        .stdout_has(&format!("untagged: {tag}"))
        .stdout_has("deleted: sha256:");
        s.step(s.docker(["image", "inspect", &tag])).code(1);
    });
}

// ---------------------------------------------------------------------------------------------
// Podman's own client (Podman only: engine::PODMAN_ONLY_CASES)
// ---------------------------------------------------------------------------------------------

/// `podman --remote exec C …` through sockeye failed with `lost synchronization with
/// multiplexed stream`: libpod's exec start is answered header-less, delimited by the close,
/// and sockeye re-framed it as chunked. Podman's client speaks the libpod API, not the Docker
/// one, and must see the same service through sockeye as directly.
#[test]
fn podman_remote_runs_and_execs_through_sockeye_as_directly() {
    let Some(h) = Harness::new("podman_remote") else {
        return;
    };
    h.compare(|s| {
        let host = s.info.host.clone();
        // Podman reads registry credentials from $DOCKER_CONFIG/config.json and fails when
        // the directory has none (the harness's docker config directory starts empty).
        std::fs::write(s.path("config.json"), "{}").unwrap();
        let config = s.dir.display().to_string();
        let podman = |args: &[&str]| {
            let mut all = vec!["--remote", "--url", host.as_str()];
            all.extend_from_slice(args);
            s.program("podman", all).env("DOCKER_CONFIG", &config)
        };
        let c = s.name("c");
        s.ok(podman(&[
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "echo started; sleep infinity",
        ]));
        s.step(podman(&[
            "exec",
            &c,
            "sh",
            "-c",
            "echo hi; echo err >&2; exit 5",
        ]))
        .code(5)
        .stdout_is("hi\n")
        .stderr_has("err");
        s.step(podman(&[
            "ps",
            "-a",
            "--filter",
            &format!("name={c}"),
            "--format",
            "{{.Names}} {{.Status}}",
        ]))
        .ok()
        .stdout_has(&c);
        s.step(podman(&["logs", &c])).ok().stdout_is("started\n");
        s.step(podman(&["rm", "-f", "-t", "0", &c]))
            .ok()
            .stdout_has(&c);
    });
}

// ---------------------------------------------------------------------------------------------
// The relay itself
// ---------------------------------------------------------------------------------------------

#[test]
fn sockeye_logs_one_line_per_request() {
    let Some(h) = Harness::new("relay_log") else {
        return;
    };
    if h.sockeye.is_standin() {
        eprintln!("(stand-in {}: no request log to check)", h.sockeye.kind);
        return;
    }
    h.compare(|s| {
        s.step(s.docker(["version", "--format", "{{.Server.Version}}"]))
            .ok();
    });
    // The live view prints a call's line once the call has ended, drained every few
    // milliseconds: the line may still be on its way when the CLI has already exited.
    h.sockeye.wait_for_log(&["/_ping"]);
    h.sockeye.wait_for_log(&["GET", "/version"]);
}

/// Ctrl-C with a stream open (`docker events`, `logs -f`) used to print nothing for
/// `--drain-timeout` seconds: sockeye must say at once what it waits for, and a second Ctrl-C
/// must stop it at once.
#[test]
fn ctrl_c_with_a_stream_open_says_it_drains_and_a_second_one_stops() {
    use std::io::{Read, Write};
    let Some(daemon) = daemon() else {
        return;
    };
    let mut sk = Sockeye::start_with(&daemon.socket, &["--drain-timeout", "120"]);
    let mut s = std::os::unix::net::UnixStream::connect(&sk.socket).unwrap();
    s.write_all(b"GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    sk.signal("-INT");
    sk.wait_for_log(&["draining 1 open connection", "Ctrl-C again to stop now"]);
    sk.signal("-INT");
    let status = sk
        .wait_exit(Duration::from_secs(10))
        .expect("a second Ctrl-C did not stop sockeye");
    assert!(!status.success());
    assert!(sk.log().contains("interrupted again"), "{}", sk.log());
}

/// A supervisor (systemd, a test harness, `timeout`) may stop sockeye the moment its socket
/// accepts: sockeye bound its listeners before it caught SIGTERM and SIGINT, so a signal in
/// that window killed it outright (the socket file left behind, nothing logged). It must stop
/// as it always does, whenever the signal comes.
#[test]
fn a_sigterm_right_after_start_up_still_stops_sockeye_cleanly() {
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        // No daemon needed: nothing is relayed before the signal.
        let upstream = format!("unix://{}", dir.path().join("no-daemon.sock").display());
        let mut sk = Sockeye::start_sockeye(["--upstream", upstream.as_str()]);
        sk.signal("-TERM");
        let status = sk
            .wait_exit(Duration::from_secs(10))
            .expect("SIGTERM did not stop sockeye");
        assert!(
            status.success(),
            "round {round}: sockeye died of the signal ({status}) instead of stopping:\n{}",
            sk.log()
        );
        assert!(
            !sk.socket.exists(),
            "round {round}: sockeye left its socket {} behind",
            sk.socket.display()
        );
    }
}

/// With the live view on, stopping used to take two seconds for nothing (with `-q`, 3 ms):
/// shutdown waited out its bound on a view task that never ended on its own. The view ends
/// with the relay; sockeye says so when it had to stop without it, and must never have to.
#[test]
fn on_sigterm_the_live_view_ends_with_the_relay_instead_of_being_waited_out() {
    use std::io::{Read, Write};
    let mut sk =
        Sockeye::start_sockeye(["--upstream", "unix:///nonexistent/sockeye-test/docker.sock"]);
    // A call the view shows: the relay has sent it events.
    let mut s = std::os::unix::net::UnixStream::connect(&sk.socket).unwrap();
    s.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    sk.wait_for_log(&["502"]);
    sk.signal("-TERM");
    let status = sk
        .wait_exit(Duration::from_secs(20))
        .expect("sockeye did not stop on SIGTERM");
    assert!(status.success(), "{status}: {}", sk.log());
    assert!(
        !sk.log().contains("the live view was still running"),
        "shutdown waited out the live view:\n{}",
        sk.log()
    );
}
