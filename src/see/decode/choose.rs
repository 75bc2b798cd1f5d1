//! Which decoder fits a body: from the endpoint, the direction, the Content-Type and the
//! TTY setting — in that order of trust.
//!
//! The route decides first because dockerd's labels are unreliable exactly where it
//! matters: API 1.41 calls every hijacked stream `raw-stream` even when it is multiplexed,
//! logs and streamed stats carry no Content-Type, `docker cp` labels its tar upload
//! `text/plain`, and an export is `application/octet-stream`. Content-Type still wins for
//! JSON error bodies on streaming routes (a 404 on `/logs` is `{"message": …}`).

use crate::docker::endpoint::Operation;
use crate::docker::gojson::{self, Node};

use super::jsonl::JsonKind;
use super::Label;

/// Which way the bytes flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// An HTTP request body.
    Request,
    /// An HTTP response body.
    Response,
    /// After a hijack (attach, exec start): what the client sends, i.e. the process's stdin.
    TunnelToDaemon,
    /// After a hijack: what the daemon sends, i.e. the process's output.
    TunnelToClient,
}

/// How to show a body; [`Format::decoder`] builds the matching [`super::Decoder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// stdcopy frames, falling back to raw text if the bytes are not framed.
    Multiplexed,
    /// Unframed text lines with this label (TTY output, stdin, `text/*` bodies).
    Raw(Label),
    /// One JSON object per line.
    JsonLines(JsonKind),
    /// A tar archive (possibly compressed): its entries and size.
    Tar,
    /// One JSON document, indented.
    Json,
    /// Undecided: JSON, text or binary, judged from the first bytes.
    Sniff,
    /// Not decoded; only counted. Says what it is.
    Opaque(&'static str),
}

/// The decoder for a body of `operation` (`None` when dockerd routes nowhere) flowing in
/// `direction`, given its `Content-Type` header and whether the container or exec has a
/// TTY (`None` if unknown; see [`tty_in_body`]).
pub fn choose(
    operation: Option<Operation>,
    direction: Direction,
    content_type: Option<&str>,
    tty: Option<bool>,
) -> Format {
    use Direction::*;
    use Operation::*;

    let media = content_type.map(media_type).unwrap_or_default();
    let json = is_json(&media);
    let output = || match tty {
        Some(true) => Format::Raw(Label::Stdout),
        _ => Format::Multiplexed,
    };
    match (operation, direction) {
        (Some(ContainerAttach | ExecStart), TunnelToClient) => output(),
        (Some(ContainerAttach | ExecStart), TunnelToDaemon) => Format::Raw(Label::Stdin),
        (Some(ContainerAttachWebsocket), TunnelToClient | TunnelToDaemon) => {
            Format::Opaque("websocket frames")
        }
        (Some(Session | Grpc), TunnelToClient | TunnelToDaemon) => {
            Format::Opaque("HTTP/2 (h2c) after upgrade")
        }
        (_, TunnelToClient | TunnelToDaemon) => Format::Sniff,

        // Without an Upgrade header dockerd still hijacks, answering 200 + the raw stream.
        (Some(ContainerAttach | ExecStart), Response) if !json => output(),
        (Some(ContainerLogs | ServiceLogs | TaskLogs), Response) => {
            if media == "application/vnd.docker.multiplexed-stream" {
                Format::Multiplexed
            } else if is_json_lines(&media) {
                // Master can answer `format=json` logs as JSON lines.
                Format::JsonLines(JsonKind::Plain)
            } else if json {
                Format::Json
            } else {
                output()
            }
        }
        (Some(SystemEvents), Response) => Format::JsonLines(JsonKind::Events),
        (Some(ContainerStats), Response) => Format::JsonLines(JsonKind::Stats),
        (
            Some(
                ImageCreate | ImagePush | ImageLoad | ImageBuild | PluginPull | PluginUpgrade
                | PluginPush,
            ),
            Response,
        ) => Format::JsonLines(JsonKind::Progress),
        // The request's own label is not trusted: `docker cp` sends its tar as text/plain.
        (
            Some(PutContainerArchive | ImageBuild | ImageLoad | ImageCreate | PluginCreate),
            Request,
        ) => Format::Tar,
        (Some(ContainerArchive | ContainerExport | ImageGet | ImageGetAll), Response) if !json => {
            Format::Tar
        }
        (Some(DebugPprofProfile | DebugPprofTrace | DebugPprof), Response) if !json => {
            Format::Opaque("pprof data")
        }
        _ => by_media_type(&media),
    }
}

fn by_media_type(media: &str) -> Format {
    if is_json_lines(media) {
        Format::JsonLines(JsonKind::Plain)
    } else if is_json(media) {
        Format::Json
    } else if media.starts_with("text/") {
        Format::Raw(Label::Text)
    } else if media == "application/x-tar" {
        Format::Tar
    } else if media.is_empty() {
        Format::Sniff
    } else {
        Format::Opaque("binary")
    }
}

/// `Application/JSON; charset=utf-8` → `application/json`.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

fn is_json_lines(media: &str) -> bool {
    matches!(
        media,
        "application/x-ndjson" | "application/jsonl" | "application/json-seq"
    )
}

/// Whether a JSON body says the container or exec has a TTY: top-level `Tty` (the
/// ContainerCreate, ContainerExec and ExecStart requests), `Config.Tty` (ContainerInspect
/// response) or `ProcessConfig.tty` (ExecInspect response).
///
/// Keys match case-insensitively and the last one wins, as dockerd's Go decoder reads
/// them: `{"Tty":false,"tty":true}` gets a TTY, hence unframed output.
pub fn tty_in_body(body: &[u8]) -> Option<bool> {
    let body = gojson::parse(body).ok()?;
    if let Some(v) = struct_field(&body, "Tty")? {
        return as_bool(v);
    }
    for (outer, inner) in [("Config", "Tty"), ("ProcessConfig", "tty")] {
        if let Some(nested) = struct_field(&body, outer)? {
            if let Some(v) = struct_field(nested, inner)? {
                return as_bool(v);
            }
        }
    }
    None
}

/// The member of `node` that goes into the Go struct field `name` ([`Node::field`]):
/// `Some(None)` when there is none, `null` included (it decodes into a struct as "nothing
/// set"), and `None` when `node` cannot be decoded into a struct at all.
fn struct_field<'a>(node: &'a Node, name: &str) -> Option<Option<&'a Node>> {
    match node {
        Node::Object(_) => Some(node.field(name)),
        Node::Null => Some(None),
        _ => None,
    }
}

fn as_bool(node: &Node) -> Option<bool> {
    match node {
        Node::Bool(b) => Some(*b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::*;
    use Operation::*;

    #[test]
    fn logs_are_multiplexed_unless_the_container_has_a_tty() {
        // trace logs: 20.10 sends no Content-Type on logs at all.
        assert_eq!(
            choose(Some(ContainerLogs), Response, None, None),
            Format::Multiplexed
        );
        assert_eq!(
            choose(Some(ContainerLogs), Response, None, Some(false)),
            Format::Multiplexed
        );
        assert_eq!(
            choose(Some(ContainerLogs), Response, None, Some(true)),
            Format::Raw(Label::Stdout)
        );
        // A 404 for a missing container is a JSON message, not a stream.
        assert_eq!(
            choose(
                Some(ContainerLogs),
                Response,
                Some("application/json"),
                None
            ),
            Format::Json
        );
    }

    #[test]
    fn a_raw_stream_label_on_api_1_41_does_not_make_multiplexed_output_raw() {
        // trace run-rm: `101 … raw-stream` followed by `\x01\0\0\0\0\0\0\x03hi\n`.
        let raw = Some("application/vnd.docker.raw-stream");
        assert_eq!(
            choose(Some(ContainerAttach), TunnelToClient, raw, None),
            Format::Multiplexed
        );
        assert_eq!(
            choose(Some(ExecStart), TunnelToClient, raw, Some(true)),
            Format::Raw(Label::Stdout)
        );
        assert_eq!(
            choose(Some(ExecStart), TunnelToDaemon, None, Some(false)),
            Format::Raw(Label::Stdin)
        );
        // The exec start request itself is JSON; a hijack answered 200 without upgrade is
        // the stream.
        assert_eq!(
            choose(Some(ExecStart), Request, Some("application/json"), None),
            Format::Json
        );
        assert_eq!(
            choose(Some(ExecStart), Response, raw, None),
            Format::Multiplexed
        );
    }

    #[test]
    fn streams_of_json_objects_get_their_own_renderings() {
        let json = Some("application/json");
        assert_eq!(
            choose(Some(SystemEvents), Response, json, None),
            Format::JsonLines(JsonKind::Events)
        );
        // trace stats-stream: no Content-Type on the streamed stats.
        assert_eq!(
            choose(Some(ContainerStats), Response, None, None),
            Format::JsonLines(JsonKind::Stats)
        );
        for op in [ImageCreate, ImagePush, ImageLoad, ImageBuild, PluginPull] {
            assert_eq!(
                choose(Some(op), Response, json, None),
                Format::JsonLines(JsonKind::Progress),
                "{op}"
            );
        }
    }

    #[test]
    fn archives_are_summarised_whatever_they_are_labelled() {
        // trace cp-to: the CLI labels the tar it uploads text/plain.
        assert_eq!(
            choose(Some(PutContainerArchive), Request, Some("text/plain"), None),
            Format::Tar
        );
        assert_eq!(
            choose(Some(ImageBuild), Request, Some("application/x-tar"), None),
            Format::Tar
        );
        assert_eq!(choose(Some(ImageLoad), Request, None, None), Format::Tar);
        // trace export: application/octet-stream.
        assert_eq!(
            choose(
                Some(ContainerExport),
                Response,
                Some("application/octet-stream"),
                None
            ),
            Format::Tar
        );
        assert_eq!(
            choose(Some(ImageGet), Response, Some("application/x-tar"), None),
            Format::Tar
        );
        // trace cp-to: HEAD/GET of a missing path answers a JSON 404.
        assert_eq!(
            choose(
                Some(ContainerArchive),
                Response,
                Some("application/json"),
                None
            ),
            Format::Json
        );
    }

    #[test]
    fn other_bodies_go_by_content_type() {
        let ct = |c| choose(Some(ContainerList), Response, Some(c), None);
        assert_eq!(ct("application/json"), Format::Json);
        assert_eq!(ct("Application/JSON; charset=utf-8"), Format::Json);
        assert_eq!(ct("text/plain; charset=utf-8"), Format::Raw(Label::Text));
        assert_eq!(
            ct("application/x-ndjson"),
            Format::JsonLines(JsonKind::Plain)
        );
        assert_eq!(ct("image/png"), Format::Opaque("binary"));
        assert_eq!(choose(None, Request, None, None), Format::Sniff);
        assert_eq!(
            choose(Some(Session), TunnelToClient, None, None),
            Format::Opaque("HTTP/2 (h2c) after upgrade")
        );
    }

    #[test]
    fn tty_is_read_from_create_exec_and_inspect_bodies() {
        // traces exec-it and exec-i-stdin.
        assert_eq!(tty_in_body(br#"{"Detach":false,"Tty":true}"#), Some(true));
        assert_eq!(
            tty_in_body(br#"{"User":"","Privileged":false,"Tty":false,"AttachStdin":true}"#),
            Some(false)
        );
        assert_eq!(
            tty_in_body(br#"{"Id":"6336","Config":{"Hostname":"6336c44b261a","Tty":false}}"#),
            Some(false)
        );
        assert_eq!(
            tty_in_body(br#"{"ID":"0bb4","ProcessConfig":{"tty":true,"entrypoint":"sh"}}"#),
            Some(true)
        );
        assert_eq!(tty_in_body(br#"{"Detach":false}"#), None);
        assert_eq!(tty_in_body(b"not json"), None);
    }

    #[test]
    fn tty_is_read_the_way_dockerd_reads_it() {
        // Go matches keys case-insensitively and keeps the last: dockerd allocates a TTY.
        assert_eq!(tty_in_body(br#"{"Tty":false,"tty":true}"#), Some(true));
        assert_eq!(tty_in_body(br#"{"TTY":"yes"}"#), None);
    }

    #[test]
    fn tty_is_read_from_one_object_with_nested_keys_folded_like_go() {
        // One document only, an object or `null`; a nested struct that is `null` sets
        // nothing, one of another type is no body of a TTY; the last `Config` wins whole.
        assert_eq!(tty_in_body(br#"{"Tty":true}{"Tty":false}"#), None);
        assert_eq!(tty_in_body(b"null"), None);
        assert_eq!(tty_in_body(br#"[{"Tty":true}]"#), None);
        assert_eq!(
            tty_in_body(br#"{"Config":null,"ProcessConfig":{"tty":true}}"#),
            Some(true)
        );
        assert_eq!(
            tty_in_body(br#"{"Config":1,"ProcessConfig":{"tty":true}}"#),
            None
        );
        assert_eq!(tty_in_body(br#"{"Tty":null,"Config":{"Tty":true}}"#), None);
        assert_eq!(
            tty_in_body(br#"{"Config":{"Tty":true},"config":{"Hostname":"x"}}"#),
            None
        );
        // Inside, too, the last key in the document wins, and `ſ` is an `s` to Go.
        assert_eq!(
            tty_in_body(br#"{"Config":{"tty":true,"Tty":false}}"#),
            Some(false)
        );
        assert_eq!(
            tty_in_body(br#"{"Proce\u017fsConfig":{"tty":true}}"#),
            Some(true)
        );
    }
}
