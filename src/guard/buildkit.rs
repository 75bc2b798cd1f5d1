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
    ) -> Result<Cleared, Refused> {
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
            }),
            Decision::Deny(denial) => Err(Refused {
                error: ProxyError::Denied(denial),
                facts: Some(facts),
                body,
            }),
        }
    }
}

fn unreadable(what: String, reason: impl std::fmt::Display) -> Refused {
    Refused {
        error: ProxyError::UnreadableBody {
            what,
            reason: reason.to_string(),
        },
        facts: None,
        body: None,
    }
}
