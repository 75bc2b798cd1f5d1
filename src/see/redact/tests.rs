//! What the redaction leaves of the credentials and values the traces planted.

use super::*;
use serde_json::{json, Value};

/// Fake credentials from the traces; none may survive any output.
const SECRETS: &[&str] = &[
    "probe-password-xyz",
    "probe-login-password",
    "env-secret-abc",
    "s3cr3t-buildarg",
    "cifs-password-xyz",
    "eyJ1c2VybmFtZSI6InByb2JldXNlciIsInBhc3N3b3JkIjoicHJvYmUtcGFzc3dvcmQteHl6",
    "SWMTKN-1-join",
    "SWMKEY-1-unlock",
    "c2VjcmV0LWRhdGE=",
    "splunk-tok-123",
    "ghp_token123",
    "plugin-secret-1",
];

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} leaks {s:?}: {text}");
    }
}

fn redacted(op: Option<Operation>, mut v: Value) -> Value {
    json_body(op, &mut v);
    assert_clean(&format!("{op:?} body"), &v.to_string());
    v
}

#[test]
fn registry_auth_headers_show_only_their_size() {
    // pull-auth / push-auth: base64url {"username","password","serveraddress"}.
    let auth = b"eyJ1c2VybmFtZSI6InByb2JldXNlciIsInBhc3N3b3JkIjoicHJvYmUtcGFzc3dvcmQteHl6Iiwic2VydmVyYWRkcmVzcyI6ImxvY2FsaG9zdDo1OTk5In0=";
    assert_eq!(
        header_value("X-Registry-Auth", auth),
        format!("<redacted {} bytes>", auth.len())
    );
    assert_eq!(
        header_value("x-registry-config", b"bnVsbA=="),
        "<redacted 8 bytes>"
    );
    for name in [
        "Authorization",
        "PROXY-AUTHORIZATION",
        "Cookie",
        "Set-Cookie",
    ] {
        assert_clean(name, &header_value(name, auth));
    }
    assert_eq!(
        header_value("Content-Type", b"application/json"),
        "application/json"
    );
}

#[test]
fn login_bodies_and_answers_keep_only_user_and_server() {
    let v = redacted(
        Some(Operation::SystemAuth),
        json!({"username":"probeuser","password":"probe-login-password","serveraddress":"localhost:5999"}),
    );
    assert_eq!(
        v,
        json!({"username":"probeuser","password":MARKER,"serveraddress":"localhost:5999"})
    );
    let answer = redacted(
        Some(Operation::SystemAuth),
        json!({"Status":"Login Succeeded","IdentityToken":"ghp_token123"}),
    );
    assert_eq!(answer["IdentityToken"], MARKER);
    // dockerd decodes `PASSWORD`, `Paſſword` and `auth` (base64 user:pass) as credentials too.
    redacted(
        Some(Operation::SystemAuth),
        json!({"PASSWORD":"probe-password-xyz","Pa\u{17F}\u{17F}word":"probe-login-password","Auth":"ghp_token123"}),
    );
}

#[test]
fn env_keeps_names_in_any_spelling_of_the_key() {
    // create-dangerous: `-e SECRET_TOKEN=env-secret-abc`.
    let v = redacted(
        Some(Operation::ContainerCreate),
        json!({"Env":["SECRET_TOKEN=env-secret-abc","UNSET"],"Cmd":["true"]}),
    );
    assert_eq!(v["Env"], json!(["SECRET_TOKEN=<redacted>", "UNSET"]));
    redacted(
        Some(Operation::ContainerCreate),
        json!({"ENV":["A=env-secret-abc"],"env":["B=env-secret-abc"]}),
    );
    redacted(
        Some(Operation::ContainerExec),
        json!({"Cmd":["sh"],"Env":["T=env-secret-abc"],"Privileged":true}),
    );
    redacted(
        Some(Operation::ServiceCreate),
        json!({"TaskTemplate":{"ContainerSpec":{"Image":"x","Env":["T=env-secret-abc"]},
               "LogDriver":{"Name":"splunk","Options":{"splunk-token":"splunk-tok-123"}}}}),
    );
    // The same fields come back from inspect.
    redacted(
        Some(Operation::ContainerInspect),
        json!({"Config":{"Env":["T=env-secret-abc"]},
               "HostConfig":{"LogConfig":{"Type":"splunk","Config":{"splunk-token":"splunk-tok-123"}}}}),
    );
}

#[test]
fn log_options_keep_their_names() {
    let v = redacted(
        Some(Operation::ContainerCreate),
        json!({"HostConfig":{"logconfig":{"Type":"splunk","CONFIG":{"splunk-token":"splunk-tok-123"}}}}),
    );
    assert_eq!(
        v["HostConfig"]["logconfig"],
        json!({"Type":"splunk","CONFIG":{"splunk-token":MARKER}})
    );
}

#[test]
fn volume_options_hide_credentials_but_not_the_host_path() {
    // volume-create-cifs-opts.
    let v = redacted(
        Some(Operation::VolumeCreate),
        json!({"Driver":"local","DriverOpts":{"device":"//127.0.0.1/share","o":"username=probeuser,password=cifs-password-xyz","type":"cifs"},"Name":"probe-cifsvol"}),
    );
    assert_eq!(
        v["DriverOpts"],
        json!({"device":"//127.0.0.1/share","o":"username=<redacted>,password=<redacted>","type":"cifs"})
    );
    // The bind-any-host-path trick stays visible; a device URL loses its userinfo.
    let v = redacted(
        Some(Operation::ContainerCreate),
        json!({"HostConfig":{"Mounts":[{"Type":"volume","Target":"/x","VolumeOptions":{"DriverConfig":{"Name":"local",
            "Options":{"type":"none","o":"bind","device":"/","token":"ghp_token123"}}}}]}}),
    );
    assert_eq!(
        v["HostConfig"]["Mounts"][0]["VolumeOptions"]["DriverConfig"]["Options"],
        json!({"type":"none","o":"bind","device":"/","token":MARKER})
    );
    assert_eq!(
        driver_opt("device", "//probeuser:cifs-password-xyz@nas/share"),
        "device=//<redacted>@nas/share"
    );
    // Volume inspect echoes the options back.
    redacted(
        Some(Operation::VolumeList),
        json!({"Volumes":[{"Name":"v","Options":{"o":"password=cifs-password-xyz"}}]}),
    );
}

#[test]
fn swarm_tokens_secret_data_and_plugin_settings_are_hidden() {
    redacted(
        Some(Operation::SwarmJoin),
        json!({"RemoteAddrs":["10.0.0.1:2377"],"JoinToken":"SWMTKN-1-join"}),
    );
    redacted(
        Some(Operation::SwarmInspect),
        json!({"JoinTokens":{"Worker":"SWMTKN-1-join","Manager":"SWMTKN-1-join"}}),
    );
    redacted(
        Some(Operation::SwarmUnlock),
        json!({"unlockkey":"SWMKEY-1-unlock"}),
    );
    let v = redacted(
        Some(Operation::SecretCreate),
        json!({"Name":"s","Data":"c2VjcmV0LWRhdGE="}),
    );
    assert_eq!(v, json!({"Name":"s","Data":MARKER}));
    redacted(
        Some(Operation::ConfigInspect),
        json!({"Spec":{"Name":"c","Data":"c2VjcmV0LWRhdGE="}}),
    );
    let v = redacted(
        Some(Operation::PluginSet),
        json!(["DEBUG=plugin-secret-1", "flag"]),
    );
    assert_eq!(v, json!(["DEBUG=<redacted>", "flag"]));
    redacted(
        Some(Operation::PluginInspect),
        json!({"Settings":{"Env":["K=plugin-secret-1"]},"Config":{"Env":[{"Name":"K","Value":"plugin-secret-1"}]}}),
    );
}

#[test]
fn build_args_persisted_in_images_are_hidden() {
    let v = redacted(
        Some(Operation::ImageInspect),
        json!({"ContainerConfig":{"Cmd":["|1","MYARG=s3cr3t-buildarg","/bin/sh","-c","echo"]}}),
    );
    assert_eq!(
        v["ContainerConfig"]["Cmd"],
        json!(["|1", "MYARG=<redacted>", "/bin/sh", "-c", "echo"])
    );
    let v = redacted(
        Some(Operation::ImageHistory),
        json!([{"CreatedBy":"|1 MYARG=s3cr3t-buildarg /bin/sh -c echo $MYARG"}]),
    );
    assert_eq!(
        v[0]["CreatedBy"],
        "|1 MYARG=<redacted> /bin/sh -c echo $MYARG"
    );
    // History joins the args with spaces, so a value with a space has no visible end:
    // what follows is not shown unless it is plainly the RUN command.
    let v = redacted(
        Some(Operation::ImageHistory),
        json!([{"CreatedBy":"|1 MYARG=a s3cr3t-buildarg ls -l"}]),
    );
    assert_eq!(v[0]["CreatedBy"], "|1 MYARG=<redacted> <redacted>");
}

#[test]
fn unknown_endpoints_get_every_rule() {
    redacted(
        None,
        json!({"x":{"Password":"probe-password-xyz","Data":"c2VjcmV0LWRhdGE=","DriverOpts":{"o":"password=cifs-password-xyz"}}}),
    );
}

#[test]
fn build_args_in_the_query_keep_their_names() {
    // build-classic.
    let raw = "buildargs=%7B%22MYARG%22%3A%22s3cr3t-buildarg%22%7D&dockerfile=Dockerfile&t=probe-build%3Aclassic&version=1";
    let q = query(Some(Operation::ImageBuild), raw);
    assert_eq!(
        q,
        "buildargs={\"MYARG\":\"<redacted>\"}&dockerfile=Dockerfile&t=probe-build%3Aclassic&version=1"
    );
    // A buildargs value dockerd would reject still shows nothing.
    let q = query(
        Some(Operation::ImageBuild),
        "buildargs=%7B%22A%22:%22s3cr3t-buildarg%zz",
    );
    assert_eq!(q, "buildargs=<redacted>");
    assert_eq!(
        query(None, "BuildArgs=s3cr3t-buildarg"),
        "BuildArgs=<redacted>"
    );
    // Nothing to hide: the pair keeps its spelling.
    let q = query(
        Some(Operation::ImageBuild),
        "buildargs=%7B%22A%22%3Anull%7D",
    );
    assert_eq!(q, "buildargs=%7B%22A%22%3Anull%7D");
}

#[test]
fn urls_and_commit_changes_lose_their_secrets() {
    let q = query(
        Some(Operation::ImageBuild),
        "remote=https%3A%2F%2Fx-access-token%3Aghp_token123%40github.com%2Fo%2Fr.git&t=a",
    );
    assert_eq!(q, "remote=https://<redacted>@github.com/o/r.git&t=a");
    let q = query(
        Some(Operation::ImageCommit),
        "changes=ENV+TOKEN%3Denv-secret-abc+B%3D%22x+env-secret-abc%22&container=c",
    );
    assert_clean("commit query", &q);
    assert_eq!(
        q,
        "changes=ENV%20TOKEN=<redacted>%20B=<redacted>&container=c"
    );
    assert_eq!(change("ENV TOKEN env-secret-abc"), "ENV TOKEN <redacted>");
    assert_eq!(
        change("onbuild env A=env-secret-abc"),
        "onbuild env A=<redacted>"
    );
    assert_eq!(change("USER root"), "USER root");
    assert_eq!(query(None, "password=ghp_token123"), "password=<redacted>");
    // Untouched pairs keep the client's spelling.
    assert_eq!(query(None, "%61ll=1&x"), "%61ll=1&x");
}
