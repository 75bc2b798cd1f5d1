//! Swarm, service, secret and plugin calls, and the secrets they carry.

use super::*;

#[test]
fn swarm_services_secrets_and_plugins_keep_their_secrets() {
    let calls = [
        call(
            "POST",
            "/swarm/join",
            Some(r#"{"RemoteAddrs":["10.0.0.1:2377"],"JoinToken":"SWMTKN-1-join"}"#),
        ),
        call(
            "POST",
            "/services/create",
            Some(
                r#"{"Name":"web","Mode":{"Replicated":{"Replicas":2}},
            "TaskTemplate":{"ContainerSpec":{"Image":"nginx","Args":["-g","daemon off;"],"Env":["PW=env-secret-abc"]}},
            "EndpointSpec":{"Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080}]}}"#,
            ),
        ),
        call(
            "POST",
            "/secrets/create",
            Some(r#"{"Name":"db","Data":"c2VjcmV0LWRhdGE="}"#),
        ),
        call(
            "POST",
            "/plugins/vieux%2Fsshfs/set",
            Some(r#"["DEBUG=plugin-secret-1"]"#),
        ),
        call(
            "POST",
            "/build?remote=https%3A%2F%2Fghp_token123%40github.com%2Fo%2Fr.git&t=x",
            None,
        ),
        call(
            "POST",
            "/commit?container=c&changes=ENV+PW%3Denv-secret-abc",
            None,
        ),
    ];
    let actions: Vec<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "docker swarm join --token <redacted> 10.0.0.1:2377",
            "docker service create --name web --replicas 2 -p 8080:80 -e PW=<redacted> nginx -g 'daemon off;'",
            "docker secret create db -",
            "docker plugin set vieux/sshfs DEBUG=<redacted>",
            "docker build -t x https://<redacted>@github.com/o/r.git",
            "docker commit -c 'ENV PW=<redacted>' c",
        ]
    );
    calls.iter().for_each(assert_clean);
}
