//! Progress streams (pull, push, load, import, build, plugin pull/upgrade/push): one line per
//! layer status or `aux` record.

use std::fmt::Write;

use serde_json::Value;

use super::compact;
use crate::see::decode::escape::escape;
use crate::see::decode::Label;

pub(super) fn progress(v: &Value) -> Option<(Label, String)> {
    let o = v.as_object()?;
    let id = o.get("id").and_then(Value::as_str);
    let mut text = String::new();
    if let Some(id) = id {
        text.push_str(&escape(id.as_bytes()));
        text.push_str(": ");
    }
    if let Some(status) = o.get("status").and_then(Value::as_str) {
        text.push_str(&escape(status.as_bytes()));
        if let Some(bar) = o.get("progress").and_then(Value::as_str) {
            text.push(' ');
            text.push_str(&escape(bar.as_bytes()));
        } else if let Some(detail) = o.get("progressDetail") {
            let current = detail.get("current").and_then(Value::as_u64);
            let total = detail.get("total").and_then(Value::as_u64);
            if let (Some(c), Some(t)) = (current, total) {
                let _ = write!(text, " {c}/{t}");
            }
        }
        return Some((Label::Progress, text));
    }
    let aux = o.get("aux")?;
    match aux {
        // BuildKit's `moby.buildkit.trace`: a base64 protobuf StatusResponse.
        Value::String(s) => {
            let _ = write!(
                text,
                "{} bytes of base64 BuildKit status (not decoded)",
                s.len()
            );
        }
        _ => {
            text.push_str("aux ");
            text.push_str(&compact(aux));
        }
    }
    Some((Label::Progress, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::see::decode::jsonl::tests::decode_all;
    use crate::see::decode::jsonl::JsonKind;
    use crate::see::decode::tests::{every_split, lines};

    /// `DOCKER_BUILDKIT=0 docker build` (trace build-classic), response body de-chunked.
    const BUILD_CLASSIC: &[u8] = br#"{"stream":"Step 1/3 : FROM local/busybox:1"}
{"stream":"\n"}
{"stream":" ---\u003e 66300aefb5b9\n"}
{"stream":"Step 2/3 : ARG MYARG"}
{"stream":"\n"}
{"stream":" ---\u003e Running in 980bdd55ebfc\n"}
{"stream":"Removing intermediate container 980bdd55ebfc\n"}
{"stream":" ---\u003e f3e88e8ee1ee\n"}
{"stream":"Step 3/3 : RUN echo built-$MYARG \u003e /built.txt"}
{"stream":"\n"}
{"stream":" ---\u003e Running in 154032e1b86a\n"}
{"stream":"Removing intermediate container 154032e1b86a\n"}
{"stream":" ---\u003e 6be0e7900c47\n"}
{"aux":{"ID":"sha256:6be0e7900c47f610a9b5817155368088248fcc855c20e83bb49abe28c4d00738"}}
{"stream":"Successfully built 6be0e7900c47\n"}
{"stream":"Successfully tagged probe-build:classic\n"}
"#;

    fn crlf(body: &[u8]) -> Vec<u8> {
        // dockerd ends each progress object with CRLF.
        String::from_utf8(body.to_vec())
            .unwrap()
            .replace('\n', "\r\n")
            .into_bytes()
    }

    #[test]
    fn classic_build_output_reads_like_the_cli_printed_it() {
        let body = crlf(BUILD_CLASSIC);
        let want = [
            (Label::Stream, "Step 1/3 : FROM local/busybox:1"),
            (Label::Stream, " ---> 66300aefb5b9"),
            (Label::Stream, "Step 2/3 : ARG MYARG"),
            (Label::Stream, " ---> Running in 980bdd55ebfc"),
            (
                Label::Stream,
                "Removing intermediate container 980bdd55ebfc",
            ),
            (Label::Stream, " ---> f3e88e8ee1ee"),
            (
                Label::Stream,
                "Step 3/3 : RUN echo built-$MYARG > /built.txt",
            ),
            (Label::Stream, " ---> Running in 154032e1b86a"),
            (
                Label::Stream,
                "Removing intermediate container 154032e1b86a",
            ),
            (Label::Stream, " ---> 6be0e7900c47"),
            (
                Label::Progress,
                r#"aux {"ID":"sha256:6be0e7900c47f610a9b5817155368088248fcc855c20e83bb49abe28c4d00738"}"#,
            ),
            (Label::Stream, "Successfully built 6be0e7900c47"),
            (Label::Stream, "Successfully tagged probe-build:classic"),
        ];
        for (a, b) in every_split(&body) {
            assert_eq!(lines(&decode_all(JsonKind::Progress, &[a, b])), want);
        }
    }

    #[test]
    fn a_push_error_after_200_is_reported_as_an_error() {
        // trace push-auth: the failure arrives in-band after a 200.
        let body = crlf(br#"{"status":"The push refers to repository [localhost:5999/probe/img]"}
{"errorDetail":{"message":"Get \"http://localhost:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused"},"error":"Get \"http://localhost:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused"}
"#);
        assert_eq!(
            lines(&decode_all(JsonKind::Progress, &[&body])),
            [
                (
                    Label::Progress,
                    "The push refers to repository [localhost:5999/probe/img]"
                ),
                (
                    Label::Error,
                    "Get \"http://localhost:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused"
                ),
            ]
        );
    }

    #[test]
    fn pull_progress_shows_layer_status_and_bar() {
        let body = br#"{"status":"Pulling from library/busybox","id":"1"}
{"status":"Downloading","progressDetail":{"current":1024,"total":2048},"progress":"[=====\u003e    ] 1.024kB/2.048kB","id":"a3ed95caeb02"}
{"status":"Extracting","progressDetail":{"current":10,"total":20},"id":"a3ed95caeb02"}
{"id":"moby.buildkit.trace","aux":"CmQKR3NoYTI1Ng=="}
"#;
        assert_eq!(
            lines(&decode_all(JsonKind::Progress, &[body])),
            [
                (Label::Progress, "1: Pulling from library/busybox"),
                (
                    Label::Progress,
                    "a3ed95caeb02: Downloading [=====>    ] 1.024kB/2.048kB"
                ),
                (Label::Progress, "a3ed95caeb02: Extracting 10/20"),
                (
                    Label::Progress,
                    "moby.buildkit.trace: 16 bytes of base64 BuildKit status (not decoded)"
                ),
            ]
        );
    }

    #[test]
    fn an_error_body_before_streaming_started_is_an_error_line() {
        // trace pull-auth: 500 with a plain JSON message instead of a progress stream.
        let body = br#"{"message":"Get \"http://localhost:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused"}"#;
        assert_eq!(
            lines(&decode_all(JsonKind::Progress, &[body])),
            [(
                Label::Error,
                "Get \"http://localhost:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused"
            )]
        );
    }
}
