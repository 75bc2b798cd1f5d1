//! The decision on one BuildKit RPC inside a `/grpc` tunnel the relay interposes on: the
//! RPC is decided like a request to `/grpc` whose facts are its request message's, so a rule
//! on `/grpc` (the `Grpc` endpoint) and the `escalations` condition apply to each build.

use std::sync::Arc;

use bytes::Bytes;

use crate::caller::Caller;
use crate::docker::buildkit::{self, grpc};
use crate::docker::endpoint::Classified;
use crate::docker::gojson::Form;
use crate::guard::error::ProxyError;
use crate::guard::policy::{Decision, RequestFacts};
use crate::guard::{Cleared, Guard, Refused};

impl Guard {
    /// Decide the RPC at `path` on the tunnel `route` (the upgraded `/grpc` call).
    /// `body` is the whole request body of a [`buildkit::Rpc::Read`] call (one gRPC frame),
    /// `None` for an [`buildkit::Rpc::Unread`] one; [`buildkit::Rpc::Relayed`] calls are not
    /// decided at all. On success the
    /// relay forwards `Cleared::body` when set, the message exactly as it was read.
    pub fn check_rpc(
        &self,
        caller: &Caller,
        route: &Classified,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<Cleared, Box<Refused>> {
        let what = || format!("the BuildKit request {path}");
        let facts = match &body {
            Some(bytes) => {
                let message = grpc::unary_message(bytes).map_err(|e| unreadable(what(), e))?;
                buildkit::facts(path, message).map_err(|e| unreadable(what(), e))?
            }
            None => buildkit::unread(path),
        };
        let facts = Arc::new(facts);
        let query = Form::default();
        let req = RequestFacts {
            caller,
            method: "POST",
            endpoint: route,
            query: &query,
            facts: Some(&facts),
        };
        // A Rego policy sees the RPC as a POST to its method path, without a body.
        let (parts, ()) = http::Request::post(path)
            .body(())
            .unwrap_or_default()
            .into_parts();
        match self.mode.apply(self.decide(&req, &parts, None)) {
            Decision::Allow(permit) => Ok(Cleared {
                permit,
                body,
                facts: Some(facts),
                pinned: None,
            }),
            Decision::Deny(denial) => Err(Box::new(Refused {
                error: ProxyError::Denied(denial),
                facts: Some(facts),
                body,
            })),
        }
    }
}

fn unreadable(what: String, reason: impl std::fmt::Display) -> Box<Refused> {
    Box::new(Refused {
        error: ProxyError::UnreadableBody {
            what,
            reason: reason.to_string(),
        },
        facts: None,
        body: None,
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use prost::Message;

    use super::*;
    use crate::caller::Peer;
    use crate::docker::buildkit::proto::SolveRequest;
    use crate::docker::buildkit::SOLVE;
    use crate::docker::endpoint::classify;
    use crate::guard::policy::{Mode, Policy, ProfileParams};

    fn runner(uid: u32) -> Caller {
        Caller::bare(Peer::Unix {
            uid,
            gid: uid,
            pid: Some(4242),
            process: Some("docker-buildx".into()),
            exe: None,
        })
    }

    /// A Solve as gRPC frames it: flag 0, big-endian length, the message.
    fn framed(entitlements: &[&str]) -> Bytes {
        let message = SolveRequest {
            frontend: "dockerfile.v0".into(),
            entitlements: entitlements.iter().map(|e| e.to_string()).collect(),
            ..SolveRequest::default()
        }
        .encode_to_vec();
        let mut out = vec![0];
        out.extend_from_slice(&(message.len() as u32).to_be_bytes());
        out.extend_from_slice(&message);
        Bytes::from(out)
    }

    fn guard(policy: Policy, mode: Mode) -> Guard {
        Guard::new(Some(policy), None, mode, 1 << 20)
    }

    fn no_escape() -> Policy {
        Policy::profile("no-escape", &ProfileParams::default()).unwrap()
    }

    fn solve(g: &Guard, uid: u32, body: Bytes) -> Result<Cleared, Box<Refused>> {
        g.check_rpc(&runner(uid), &classify("POST", "/grpc"), SOLVE, Some(body))
    }

    #[test]
    fn no_escape_forwards_an_ordinary_solve_exactly_as_read() {
        let body = framed(&[]);
        let cleared = solve(&guard(no_escape(), Mode::Enforce), 0, body.clone()).unwrap();
        assert_eq!(cleared.permit().rule(), "no-escape-allow");
        assert_eq!(cleared.body, Some(body));
    }

    #[test]
    fn no_escape_refuses_a_solve_that_asks_for_the_host_network() {
        let refused = solve(
            &guard(no_escape(), Mode::Enforce),
            0,
            framed(&["network.host"]),
        )
        .err()
        .unwrap();
        let ProxyError::Denied(denial) = &refused.error else {
            panic!("{}", refused.error)
        };
        assert_eq!(denial.rule, "no-escape");
        assert!(denial
            .reason
            .ends_with("(BuildKit entitlement network.host)"));
        assert_eq!(refused.facts.unwrap().entitlements, ["network.host"]);
    }

    #[test]
    fn in_audit_mode_the_refused_solve_goes_on_with_the_denial_kept() {
        let cleared = solve(
            &guard(no_escape(), Mode::Audit),
            0,
            framed(&["security.insecure"]),
        )
        .unwrap();
        assert_eq!(cleared.permit().overruled().unwrap().rule, "no-escape");
    }

    #[test]
    fn a_compressed_solve_is_refused_unread() {
        let mut body = framed(&[]).to_vec();
        body[0] = 1;
        let refused = solve(&guard(no_escape(), Mode::Enforce), 0, body.into())
            .err()
            .unwrap();
        assert!(
            matches!(refused.error, ProxyError::UnreadableBody { .. }),
            "{}",
            refused.error
        );
    }

    #[test]
    fn a_rule_on_the_grpc_endpoint_lets_one_runner_build_with_the_host_network() {
        // The example in docs/policy.md, "BuildKit builds".
        let policy = Policy::from_toml(
            r#"
            version = 1
            base = "no-escape"
            [[rules]]
            name = "ci-build-host-network"
            action = "allow"
            client.uid = [1001]
            request.endpoint = ["Grpc"]
            body.entitlements = { subset_of = ["network.host"] }
            body.uninspected = false
            "#,
        )
        .unwrap();
        let g = guard(policy, Mode::Enforce);
        let ok = solve(&g, 1001, framed(&["network.host"])).unwrap();
        assert_eq!(ok.permit().rule(), "ci-build-host-network");
        assert!(solve(&g, 1001, framed(&["security.insecure"])).is_err());
        assert!(solve(&g, 1002, framed(&["network.host"])).is_err());
        // Calls sockeye does not read stay refused for that runner too.
        let exec = "/moby.buildkit.v1.frontend.LLBBridge/ExecProcess";
        assert!(g
            .check_rpc(&runner(1001), &classify("POST", "/grpc"), exec, None)
            .is_err());
    }
}
