//! What a policy hides of the daemon's answers: the file's `redact`, a rule's own, and the
//! permit that carries it to the relay.

use super::*;
use crate::docker::shape::Redact;

fn redact_of(p: &Policy, req: &Req) -> String {
    match p.decide(&req.rf()) {
        Decision::Allow(permit) => format!("{}: [{}]", permit.rule(), permit.redact()),
        Decision::Deny(d) => format!("deny:{}", d.rule),
    }
}

const POLICY: &str = r#"
version = 1
base = "read-only"
redact = ["env", "addresses"]

[[rules]]
name = "ops"
action = "allow"
client.uid = [0]
redact = []

[[rules]]
name = "ci"
action = "allow"
client.uid = [1001]
request.endpoint = ["ContainerInspect"]
redact = "mounts"
"#;

#[test]
fn the_policys_redact_holds_for_every_allow_rule_that_does_not_say_its_own() {
    let p = Policy::from_toml(POLICY).unwrap();
    assert_eq!(p.redact(), Redact::ENV.union(Redact::ADDRESSES));
    let inspect = || Req::new("GET", "/v1.41/containers/web/json", "");
    // A base profile's rule takes the file's default.
    assert_eq!(redact_of(&p, &inspect()), "read-only: [env, addresses]");
    // `redact = []` shows everything to the clients its rule matches.
    assert_eq!(redact_of(&p, &inspect().by(unix(0, "docker"))), "ops: []");
    // A rule's own list replaces the default; it does not add to it.
    assert_eq!(
        redact_of(&p, &inspect().by(unix(1001, "ci"))),
        "ci: [mounts]"
    );
}

#[test]
fn a_policy_default_of_allow_shapes_its_answers_too() {
    let p = Policy::from_toml("version = 1\ndefault = \"allow\"\nredact = [\"env\"]\n").unwrap();
    let req = Req::new("GET", "/v1.41/containers/web/json", "");
    assert_eq!(redact_of(&p, &req), "default: [env]");
}

#[test]
fn profiles_and_policies_without_redact_hide_nothing() {
    let req = Req::new("GET", "/v1.41/containers/web/json", "");
    assert_eq!(redact_of(&profile("read-only"), &req), "read-only: []");
    let p = Policy::from_toml("version = 1\ndefault = \"allow\"\n").unwrap();
    assert_eq!(redact_of(&p, &req), "default: []");
}

#[test]
fn audit_mode_overrules_a_denial_without_shaping_anything_itself() {
    // The guard gives such a permit the policy's own `redact` (guard::tests); the mode
    // alone knows nothing of it.
    let p = Policy::from_toml(POLICY).unwrap();
    let denied = p.decide(&Req::new("POST", "/v1.41/containers/create", "{}").rf());
    let Decision::Allow(permit) = Mode::Audit.apply(denied) else {
        panic!("audit mode allows")
    };
    assert!(permit.redact().is_empty());
}

#[test]
fn explain_says_what_the_answer_hides() {
    let p = Policy::from_toml(POLICY).unwrap();
    let e = p.explain(&Req::new("GET", "/v1.41/containers/web/json", "").rf());
    assert!(
        e.to_string().ends_with(
            "allowed by rule read-only; the answer is shown with env, addresses redacted"
        ),
        "{e}"
    );
}

#[test]
fn a_misspelt_or_misplaced_redact_is_an_error_with_its_key_path() {
    assert_eq!(
        error_lines(
            r#"
version = 1
redact = ["env", "Mounts", 3]

[[rules]]
name = "no"
action = "deny"
reason = "no"
redact = ["env"]

[[rules]]
name = "yes"
action = "allow"
redact = { env = true }
"#
        ),
        [
            "redact[1]: unknown \"Mounts\"; known: env, mounts, addresses",
            "redact[2]: must be a string, not an integer",
            "rules[0].redact: only an allow rule's answers can be redacted",
            "rules[1].redact: must be a list of names, not a table",
        ]
    );
}
