//! Image and build calls from the traces: build args, pulls, pushes and imports, named without
//! their credentials.

use super::*;

#[test]
fn build_args_are_named_but_not_shown() {
    // build-classic: `--build-arg MYARG=s3cr3t-buildarg`.
    let build = call(
        "POST",
        "/v1.41/build?buildargs=%7B%22MYARG%22%3A%22s3cr3t-buildarg%22%7D&dockerfile=Dockerfile&t=probe-build%3Aclassic&version=1",
        None,
    );
    assert_eq!(
        build.action,
        "docker build -t probe-build:classic --build-arg MYARG=<redacted> <context>"
    );
    assert_clean(&build);
    // build-buildkit-cli20: the context and the secret travel over /session.
    let calls = [
        ping(),
        call("POST", "/v1.41/build?buildargs=%7B%22MYARG%22%3A%22argval%22%7D&buildid=1a9b68023f8715d2847a9100dede6b4d8de3e1ca968a03e5dab20538046e58be&cachefrom=%5B%5D&cgroupparent=&cpuperiod=0&cpuquota=0&cpusetcpus=&cpusetmems=&cpushares=0&dockerfile=&labels=%7B%7D&memory=0&memswap=0&networkmode=default&remote=client-session&rm=1&session=9y24d2e2d80eubv3upqjsamq3&shmsize=0&t=probe-build%3Abk&target=&ulimits=null&version=2", None),
        call("POST", "/session", None),
    ];
    assert_eq!(calls[2].action, "docker build (BuildKit session)");
    assert_eq!(
        summarize(&calls),
        "docker build (BuildKit) -t probe-build:bk --build-arg MYARG=<redacted> (context from the session)"
    );
    calls.iter().for_each(assert_clean);
}

/// `docker build -t x ctx` was shown as `docker build -t x -`, as if the context came from
/// stdin: a directory's context reaches the daemon as a tar body, and its name does not.
#[test]
fn a_build_context_sent_as_the_body_is_not_said_to_come_from_stdin() {
    let build = call(
        "POST",
        "/v1.41/build?dockerfile=Dockerfile&t=x&version=1",
        None,
    );
    assert_eq!(build.action, "docker build -t x <context>");
    // `docker build -f - ctx`: the Dockerfile from stdin travels in the context.
    let build = call(
        "POST",
        "/v1.41/build?dockerfile=.dockerfile.5f7b4a0c0f3e2d1c9b8a&t=x&version=1",
        None,
    );
    assert_eq!(build.action, "docker build -t x -f - <context>");
    let build = call(
        "POST",
        "/v1.41/build?dockerfile=sub%2FDockerfile.dev&t=x",
        None,
    );
    assert_eq!(
        build.action,
        "docker build -t x -f sub/Dockerfile.dev <context>"
    );
}

#[test]
fn pull_and_push_name_the_image_not_the_credentials() {
    // The credentials are in X-Registry-Auth, which only redact::header_value ever shows.
    let pull = call(
        "POST",
        "/v1.41/images/create?fromImage=localhost%3A5999%2Fprobe%2Fimg&tag=1",
        None,
    );
    assert_eq!(pull.action, "docker pull localhost:5999/probe/img:1");
    assert_eq!(
        act(
            "POST",
            "/v1.41/images/localhost:5999/probe/img/push?tag=1",
            None
        ),
        "docker push localhost:5999/probe/img:1"
    );
    assert_eq!(
        act(
            "POST",
            "/images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest",
            None
        ),
        "docker pull busybox:latest"
    );
    assert_eq!(
        act("POST", "/images/create?fromImage=busybox", None),
        "docker pull -a busybox"
    );
    assert_eq!(
        act(
            "POST",
            "/images/create?fromImage=busybox&tag=sha256%3Aabc",
            None
        ),
        "docker pull busybox@sha256:abc"
    );
    assert_eq!(
        act(
            "POST",
            "/images/create?fromSrc=https%3A%2F%2Fu%3Aghp_token123%40h%2Fr.tar&repo=r&tag=1",
            None
        ),
        "docker import https://<redacted>@h/r.tar r:1"
    );
}
