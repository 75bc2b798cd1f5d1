//! What users of a current engine run every day, through sockeye exactly as directly: `docker
//! build` with the buildx plugin (BuildKit over the `/grpc` and `/session` hijacks) and a
//! `docker compose` v2 project (up, ps, logs, exec, down).
//!
//! These cases need the client plugins that come with engine 28 (`SOCKEYE_TEST_ENGINE=28`,
//! `scripts/dockerd.sh start --engine 28`); on an engine without them they say so and skip.
//! `scripts/test.sh` runs them against engine 28.

mod common;

use common::engine;
use common::*;

/// A skip that is seen (libtest captures a passing test's stderr), or `None` to go on.
fn without_plugins(test: &str) -> Option<()> {
    if engine::has_buildx_and_compose() {
        return None;
    }
    eprintln!(
        "######## SKIPPED {test}: engine {} comes without the buildx and compose plugins; run \
         with SOCKEYE_TEST_ENGINE=28 ########",
        engine::Engine::current().name()
    );
    Some(())
}

/// A build context unique to the side (no shared build cache), with a file to `COPY` from a
/// subdirectory and a `RUN` step that needs the files copied before it.
fn build_context(s: &Side) -> std::path::PathBuf {
    let ctx = s.path("ctx");
    std::fs::create_dir_all(ctx.join("conf")).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!(
            "FROM {IMAGE}\n\
             COPY conf/ /etc/app/\n\
             COPY unique.txt /etc/app/\n\
             RUN cat /etc/app/app.conf /etc/app/unique.txt > /etc/app/merged && echo merged\n\
             LABEL {LABEL}={}\n",
            s.h.prefix()
        ),
    )
    .unwrap();
    std::fs::write(ctx.join("conf/app.conf"), "listen=8080\n").unwrap();
    std::fs::write(ctx.join("unique.txt"), "side\n").unwrap();
    ctx
}

#[test]
fn docker_build_with_buildx_runs_copy_and_run_steps_the_same_through_sockeye() {
    // buildx's docker driver talks gRPC to the daemon's BuildKit over POST /grpc and serves the
    // build context back over POST /session: two long-lived hijacked h2c streams at once. A
    // relay that mishandles either hangs the build or loses the context.
    if without_plugins("buildx_build").is_some() {
        return;
    }
    let Some(h) = Harness::new("bx_build") else {
        return;
    };
    h.compare(|s| {
        build_context(s);
        let tag = format!("{}:1", s.name("img"));
        s.step(
            s.docker(["build", "--progress=plain", "-t", &tag, "ctx"])
                .normalize(buildkit_progress),
        )
        .ok()
        .stderr_has("[2/4] COPY conf/ /etc/app/")
        .stderr_has("[4/4] RUN cat /etc/app/app.conf")
        .stderr_has(&format!("naming to docker.io/library/{tag}"));
        s.step(s.cat_in(&tag, "/etc/app/merged"))
            .ok()
            .stdout_is("listen=8080\nside\n");
        s.step(s.docker([
            "image",
            "inspect",
            "-f",
            "{{.Os}} {{.Config.Env}} {{len .RootFS.Layers}}",
            &tag,
        ]))
        .ok()
        .stdout_is("linux [PATH=/bin] 4\n");
    });
}

#[test]
fn a_failing_run_step_fails_the_build_the_same_way_through_sockeye() {
    // The error travels back as a gRPC status inside the /grpc stream; the CLI must see the
    // same failure and exit code, not a broken connection.
    if without_plugins("buildx_build_fails").is_some() {
        return;
    }
    let Some(h) = Harness::new("bx_fail") else {
        return;
    };
    h.compare(|s| {
        let ctx = s.path("ctx");
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::write(
            ctx.join("Dockerfile"),
            format!("FROM {IMAGE}\nRUN echo {} && exit 7\n", s.h.prefix()),
        )
        .unwrap();
        s.step(
            s.docker([
                "build",
                "--progress=plain",
                "-t",
                &format!("{}:1", s.name("img")),
                "ctx",
            ])
            .normalize(failed_build),
        )
        .code(1)
        .stderr_has("did not complete successfully: exit code: 7");
    });
}

/// A failed BuildKit build: the ERROR lines and the final error, without timings and ids.
fn failed_build(s: &str) -> String {
    s.lines()
        .filter(|l| l.starts_with("ERROR:") || l.contains("did not complete successfully"))
        .map(digits_but_exit_code)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Digits go (step numbers, durations), the exit code stays: it is the point of the case.
fn digits_but_exit_code(l: &str) -> String {
    match l.rsplit_once("exit code: ") {
        Some((head, code)) => format!("{}exit code: {code}", digits(head)),
        None => digits(l),
    }
}

/// `docker compose` progress lines (` Container P-web-1  Started`): the order in which
/// independent services are created and stopped is the daemon's scheduling, not the relay.
fn compose_progress(s: &str) -> String {
    sorted_lines(s)
}

/// `docker compose logs`: services interleave as their streams deliver, and the name column is
/// padded to the longest name seen so far (`web-1     |` once `worker-1` has printed first).
fn compose_logs(s: &str) -> String {
    let lines: Vec<String> = s
        .lines()
        .map(|l| match l.split_once(" | ") {
            Some((service, text)) => format!("{} | {text}", service.trim_end()),
            None => l.to_string(),
        })
        .collect();
    sorted_lines(&lines.join("\n"))
}

const COMPOSE: &str = r#"services:
  web:
    image: sockeye-test/busybox:1
    command: ["sh", "-c", "echo web up; exec sleep infinity"]
    # sleep as pid 1 ignores SIGTERM: without this, down waits 10 s per service.
    stop_signal: SIGKILL
  worker:
    image: sockeye-test/busybox:1
    command: ["sh", "-c", "echo worker up; exec sleep infinity"]
    stop_signal: SIGKILL
    depends_on: [web]
    environment:
      ROLE: worker
"#;

#[test]
fn a_compose_v2_project_goes_up_and_down_the_same_through_sockeye() {
    // Compose v2 reads everything through labels and filters (project, service, oneoff) and
    // attaches to exec with the API's newest stream types: the relay must hand over the same
    // answers, or compose loses track of its own containers.
    if without_plugins("compose").is_some() {
        return;
    }
    let Some(h) = Harness::new("compose") else {
        return;
    };
    h.compare(|s| {
        std::fs::write(s.path("compose.yaml"), COMPOSE).unwrap();
        let project = s.name("proj");
        let compose = |args: &[&str]| {
            let mut v = vec!["compose", "-p", &project, "-f", "compose.yaml"];
            v.extend_from_slice(args);
            s.docker(v)
        };
        s.step(compose(&["up", "-d"]).normalize(compose_progress))
            .ok()
            .stderr_has(&format!("Container {project}-worker-1  Started"));
        s.step(compose(&[
            "ps",
            "--format",
            "{{.Name}} {{.Service}} {{.State}} {{.Image}}",
        ]))
        .ok()
        .stdout_is(&format!(
            "{project}-web-1 web running {IMAGE}\n{project}-worker-1 worker running {IMAGE}\n"
        ));
        // Each container has printed its line once it runs; wait for both before comparing.
        s.wait_until("both services logged", || {
            let out = s.run(compose(&["logs", "--no-color"]));
            out.stdout_str().contains("web up") && out.stdout_str().contains("worker up")
        });
        s.step(compose(&["logs", "--no-color"]).normalize(compose_logs))
            .ok()
            .check("each service's line once", |o| {
                compose_logs(&o.stdout_str()) == "web-1 | web up\nworker-1 | worker up"
            });
        s.step(compose(&[
            "exec",
            "-T",
            "worker",
            "sh",
            "-c",
            "echo role=$ROLE; echo oops >&2; exit 3",
        ]))
        .code(3)
        .stdout_is("role=worker\n")
        .stderr_has("oops");
        s.step(compose(&["down"]).normalize(compose_progress))
            .ok()
            .stderr_has(&format!("Network {project}_default  Removed"));
        s.step(compose(&["ps", "-a", "-q"])).ok().stdout_is("");
    });
}
