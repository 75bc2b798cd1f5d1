//! `docker exec` from the traces: inspect, create, start and inspect, with their flags and
//! redacted env.

use super::*;

/// `exec`
const EXEC_CREATE: &str = r#"{"User":"","Privileged":false,"Tty":false,"AttachStdin":false,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["echo","hi"]}"#;

/// `exec-it`
const EXEC_IT_CREATE: &str = r#"{"User":"","Privileged":false,"Tty":true,"AttachStdin":true,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["sh","-c","echo hi; exit"]}"#;

/// `exec-root-priv`
const EXEC_ROOT_PRIV_CREATE: &str = r#"{"User":"0","Privileged":true,"Tty":false,"AttachStdin":false,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["echo","root-exec-ok"]}"#;

/// `exec-d`
const EXEC_D_CREATE: &str = r#"{"User":"","Privileged":false,"Tty":false,"AttachStdin":false,"AttachStderr":false,"AttachStdout":false,"Detach":true,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["sh","-c","echo bg"]}"#;

#[test]
fn exec_is_inspect_create_start_inspect() {
    let id = "706048e3ecbc5d026b20ea2cb5e2f8c5927ea50c51544c5e36c01a2060614121";
    let calls = [
        ping(),
        call("GET", "/v1.41/containers/probe-x/json", None),
        call("POST", "/v1.41/containers/probe-x/exec", Some(EXEC_CREATE)),
        call(
            "POST",
            &format!("/v1.41/exec/{id}/start"),
            Some(r#"{"Detach":false,"Tty":false}"#),
        ),
        call("GET", &format!("/v1.41/exec/{id}/json"), None),
    ];
    let actions: Vec<&str> = calls[1..].iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "docker inspect probe-x",
            "docker exec probe-x echo hi",
            "docker exec (start) 706048e3ecbc",
            "docker exec (inspect) 706048e3ecbc",
        ]
    );
    assert_eq!(summarize(&calls), "docker exec probe-x echo hi");
}

#[test]
fn exec_it_root_and_detached_keep_their_flags() {
    let id = "0bb4579e828bc8cfe04fe6ba613557e8c31f4312c56a9c8b8926ec451e09d3f3";
    let calls = [
        ping(),
        call("GET", "/v1.41/containers/probe-x/json", None),
        call(
            "POST",
            "/v1.41/containers/probe-x/exec",
            Some(EXEC_IT_CREATE),
        ),
        call(
            "POST",
            &format!("/v1.41/exec/{id}/start"),
            Some(r#"{"Detach":false,"Tty":true}"#),
        ),
        call("POST", &format!("/v1.41/exec/{id}/resize?h=30&w=100"), None),
        call("GET", &format!("/v1.41/exec/{id}/json"), None),
    ];
    assert_eq!(
        summarize(&calls),
        "docker exec -i -t probe-x sh -c 'echo hi; exit'"
    );
    assert_eq!(
        act(
            "POST",
            "/v1.41/containers/probe-x/exec",
            Some(EXEC_ROOT_PRIV_CREATE)
        ),
        "docker exec -u 0 --privileged probe-x echo root-exec-ok"
    );
    assert_eq!(
        act(
            "POST",
            "/v1.41/containers/probe-x/exec",
            Some(EXEC_D_CREATE)
        ),
        "docker exec -d probe-x sh -c 'echo bg'"
    );
    assert_eq!(
        act(
            "POST",
            "/v1.41/exec/60840be6e2d8d210b359b593f35e082ba0e22bfdc2437f704ad5297dd96c2319/start",
            Some(r#"{"Detach":true,"Tty":false}"#)
        ),
        "docker exec -d (start) 60840be6e2d8"
    );
}

#[test]
fn exec_env_and_case_games_are_shown_redacted() {
    // dockerd decodes these keys case-insensitively and ran this as a privileged root exec.
    let exec = call(
        "POST",
        "/containers/c/exec",
        Some(
            r#"{"cmd":["sh"],"PRIVILEGED":true,"uSeR":"0:0","ENV":["TOKEN=env-secret-abc"],"workingdir":"/root"}"#,
        ),
    );
    assert_eq!(
        exec.action,
        "docker exec -u 0:0 --privileged -e TOKEN=<redacted> -w /root c sh"
    );
    assert_clean(&exec);
}
