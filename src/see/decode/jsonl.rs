//! Streams of JSON objects: image progress, build output, events, stats.

use std::fmt::Write;

use serde_json::{Map, Value};

use super::escape::{escape, escape_into, Style};
use super::lines::LineBuf;
use super::{Label, Line};
use crate::docker::time::rfc3339;

/// A record longer than this is not parsed (stats objects are ~2 KiB, progress ~200 B);
/// without a bound, a stream with no newline would be buffered forever.
pub const MAX_RECORD: usize = 1 << 20;

/// Compact renderings of whole objects are cut here.
const MAX_COMPACT: usize = 300;

/// Which stream the objects come from, so each becomes the line that matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonKind {
    /// Pull, push, load, import, build, plugin pull/upgrade/push: `status`/`progress`,
    /// build `stream` text, `aux`, in-band `error`.
    Progress,
    /// `GET /events`.
    Events,
    /// `GET /containers/{id}/stats`.
    Stats,
    /// Any other JSON-lines body: one compact object per line.
    Plain,
}

/// Objects separated by LF, CRLF or the json-seq RS byte → one line each; what does not
/// parse is shown as escaped text, so a stream that is not what its route promised is
/// still visible.
#[derive(Debug)]
pub struct JsonLines {
    kind: JsonKind,
    pending: Vec<u8>,
    /// Discarding the rest of an over-long record, up to its newline.
    skipping: bool,
    /// Build output arrives as text fragments (`"Step 1/3 : FROM x"`, then `"\n"`);
    /// they are joined into the lines the CLI would print.
    text: LineBuf,
}

impl JsonLines {
    pub fn new(kind: JsonKind) -> JsonLines {
        JsonLines {
            kind,
            pending: Vec::new(),
            skipping: false,
            text: LineBuf::new(Label::Stream),
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        while let Some(i) = bytes.iter().position(|&b| b == b'\n') {
            if self.skipping {
                self.skipping = false;
            } else if self.pending.is_empty() {
                self.record(&bytes[..i], &mut out);
            } else {
                self.pending.extend_from_slice(&bytes[..i]);
                let record = std::mem::take(&mut self.pending);
                self.record(&record, &mut out);
            }
            bytes = &bytes[i + 1..];
        }
        if !self.skipping {
            self.pending.extend_from_slice(bytes);
            if self.pending.len() > MAX_RECORD {
                self.pending = Vec::new();
                self.skipping = true;
                self.text.flush(&mut out);
                out.push(Line::note(format!(
                    "record longer than {MAX_RECORD} bytes not shown"
                )));
            }
        }
        out
    }

    /// Show unfinished build text now.
    pub fn flush(&mut self) -> Vec<Line> {
        let mut out = Vec::new();
        self.text.flush(&mut out);
        out
    }

    /// End of stream: a last record without newline (a Go encoder always writes one, but
    /// a cut stream may not) and unfinished build text.
    pub fn finish(&mut self) -> Vec<Line> {
        let mut out = Vec::new();
        let record = std::mem::take(&mut self.pending);
        if !self.skipping {
            self.record(&record, &mut out);
        }
        self.skipping = false;
        self.text.flush(&mut out);
        out
    }

    fn record(&mut self, line: &[u8], out: &mut Vec<Line>) {
        let line = line.trim_ascii_start();
        // json-seq (RFC 7464) puts RS before each record.
        let line = line.strip_prefix(b"\x1e").unwrap_or(line).trim_ascii();
        if line.is_empty() {
            return;
        }
        let mut values = serde_json::Deserializer::from_slice(line).into_iter::<Value>();
        loop {
            match values.next() {
                Some(Ok(v)) => self.value(&v, out),
                Some(Err(_)) => {
                    let rest = line[values.byte_offset()..].trim_ascii();
                    self.text.flush(out);
                    out.push(Line {
                        label: Label::Text,
                        text: escape(rest),
                    });
                    break;
                }
                None => break,
            }
        }
    }

    fn value(&mut self, v: &Value, out: &mut Vec<Line>) {
        if let (JsonKind::Progress, Some(text)) = (self.kind, v.get("stream")) {
            if let Some(text) = text.as_str() {
                self.text.push(text.as_bytes(), out);
                return;
            }
        }
        // Anything else stands on its own line, after the build text it followed.
        self.text.flush(out);
        let (label, text) = match error_message(v) {
            Some(msg) => (Label::Error, msg),
            None => match self.kind {
                JsonKind::Progress => progress(v),
                JsonKind::Events => event(v),
                JsonKind::Stats => stats(v),
                JsonKind::Plain => None,
            }
            .unwrap_or_else(|| (Label::Text, compact(v))),
        };
        out.push(Line { label, text });
    }
}

/// An error the daemon reported in-band (`error` / `errorDetail` in progress streams) or
/// as the whole body (`{"message": …}` before streaming started).
fn error_message(v: &Value) -> Option<String> {
    let o = v.as_object()?;
    let detail = o
        .get("errorDetail")
        .and_then(|d| d.get("message"))
        .and_then(Value::as_str);
    let msg = detail
        .or_else(|| o.get("error").and_then(Value::as_str))
        .or_else(|| {
            // A `message` alone is an error body; a `message` among other fields is data.
            (o.len() == 1).then(|| o.get("message")?.as_str()).flatten()
        })?;
    Some(escape(msg.as_bytes()))
}

fn progress(v: &Value) -> Option<(Label, String)> {
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

/// Like the CLI's `docker events`: time, type, action, actor, attributes.
fn event(v: &Value) -> Option<(Label, String)> {
    let o = v.as_object()?;
    let mut text = String::new();
    let nanos = o.get("timeNano").and_then(Value::as_i64);
    let secs = o.get("time").and_then(Value::as_i64);
    if let Some(ns) = nanos {
        text.push_str(&rfc3339(
            ns.div_euclid(1_000_000_000),
            ns.rem_euclid(1_000_000_000) as u32,
            3,
        ));
        text.push(' ');
    } else if let Some(s) = secs {
        text.push_str(&rfc3339(s, 0, 0));
        text.push(' ');
    }
    let str_field =
        |o: &Map<String, Value>, k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let actor = o.get("Actor").and_then(Value::as_object);
    match (str_field(o, "Type"), str_field(o, "Action")) {
        (Some(ty), Some(action)) => {
            let id = actor.and_then(|a| str_field(a, "ID")).unwrap_or_default();
            let _ = write!(
                text,
                "{} {} {}",
                escape(ty.as_bytes()),
                escape(action.as_bytes()),
                escape(short_id(&id).as_bytes())
            );
        }
        // Before API 1.22 events had only status, id and from.
        _ => {
            let status = str_field(o, "status")?;
            let id = str_field(o, "id").unwrap_or_default();
            let _ = write!(
                text,
                "{} {}",
                escape(status.as_bytes()),
                escape(short_id(&id).as_bytes())
            );
            if let Some(from) = str_field(o, "from") {
                let _ = write!(text, " (from={})", escape(from.as_bytes()));
            }
            return Some((Label::Event, text));
        }
    }
    let attributes = actor
        .and_then(|a| a.get("Attributes"))
        .and_then(Value::as_object);
    if let Some(attrs) = attributes.filter(|a| !a.is_empty()) {
        // `name` first: it is what a reader looks for; the rest in key order like the CLI.
        let mut keys: Vec<&String> = attrs.keys().collect();
        keys.sort_by_key(|k| (k.as_str() != "name", k.as_str()));
        text.push_str(" (");
        for (i, k) in keys.iter().take(MAX_ATTRIBUTES).enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            let value = match &attrs[k.as_str()] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = write!(
                text,
                "{}={}",
                escape(k.as_bytes()),
                escape(cut(&value, 100).as_bytes())
            );
        }
        if keys.len() > MAX_ATTRIBUTES {
            let _ = write!(text, ", +{} more", keys.len() - MAX_ATTRIBUTES);
        }
        text.push(')');
    }
    Some((Label::Event, text))
}

/// Container events carry every label as an attribute; a line shows the first few.
const MAX_ATTRIBUTES: usize = 8;

/// Like `docker stats`: CPU %, memory used/limit, pids, network totals.
fn stats(v: &Value) -> Option<(Label, String)> {
    let o = v.as_object()?;
    if !o.contains_key("cpu_stats") && !o.contains_key("memory_stats") {
        return None;
    }
    let u = |v: &Value, path: &[&str]| -> Option<u64> {
        path.iter().try_fold(v, |v, k| v.get(k))?.as_u64()
    };
    let mut text = String::new();
    let name = o
        .get("name")
        .and_then(Value::as_str)
        .map(|n| n.trim_start_matches('/').to_owned())
        .or_else(|| {
            o.get("id")
                .and_then(Value::as_str)
                .map(|id| short_id(id).to_owned())
        });
    if let Some(name) = name {
        text.push_str(&escape(name.as_bytes()));
        text.push(' ');
    }
    // The CLI's calculateCPUPercentUnix, against the previous sample dockerd includes.
    let cpu = u(v, &["cpu_stats", "cpu_usage", "total_usage"]);
    let pre_cpu = u(v, &["precpu_stats", "cpu_usage", "total_usage"]);
    let system = u(v, &["cpu_stats", "system_cpu_usage"]);
    let pre_system = u(v, &["precpu_stats", "system_cpu_usage"]).filter(|&s| s > 0);
    let cpus = u(v, &["cpu_stats", "online_cpus"])
        .filter(|&n| n > 0)
        .or_else(|| {
            let per = v.get("cpu_stats")?.get("cpu_usage")?.get("percpu_usage")?;
            Some(per.as_array()?.len() as u64)
        });
    match (cpu, pre_cpu, system, pre_system, cpus) {
        (Some(c), Some(pc), Some(s), Some(ps), Some(n)) => {
            let cpu_delta = c as f64 - pc as f64;
            let system_delta = s as f64 - ps as f64;
            let pct = if cpu_delta > 0.0 && system_delta > 0.0 {
                cpu_delta / system_delta * n as f64 * 100.0
            } else {
                0.0
            };
            let _ = write!(text, "cpu {pct:.2}%");
        }
        // The first sample of a stream has no previous one.
        _ => text.push_str("cpu -"),
    }
    if let Some(usage) = u(v, &["memory_stats", "usage"]) {
        // The CLI's calculateMemUsageUnixNoCache: page cache that can be dropped is not "used".
        let inactive = u(v, &["memory_stats", "stats", "total_inactive_file"])
            .or_else(|| u(v, &["memory_stats", "stats", "inactive_file"]))
            .filter(|&i| i < usage)
            .unwrap_or(0);
        let used = usage - inactive;
        let _ = write!(text, "  mem {}", size(used));
        if let Some(limit) = u(v, &["memory_stats", "limit"]).filter(|&l| l > 0) {
            let _ = write!(
                text,
                " / {} ({:.2}%)",
                size(limit),
                used as f64 / limit as f64 * 100.0
            );
        }
    }
    if let Some(pids) = u(v, &["pids_stats", "current"]) {
        let _ = write!(text, "  pids {pids}");
    }
    if let Some(nets) = o.get("networks").and_then(Value::as_object) {
        let sum = |k: &str| {
            nets.values()
                .filter_map(|n| n.get(k)?.as_u64())
                .sum::<u64>()
        };
        let _ = write!(
            text,
            "  net rx {} tx {}",
            size(sum("rx_bytes")),
            size(sum("tx_bytes"))
        );
    }
    Some((Label::Stats, text))
}

/// Binary units, as `docker stats` shows memory.
pub(crate) fn size(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.2}{}", UNITS[unit])
}

/// Full 64-hex ids shortened to 12 like the CLI prints them; anything else unchanged.
fn short_id(id: &str) -> &str {
    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        &id[..12]
    } else {
        id
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// One object on one line, cut to a readable length; JSON escapes kept as they were.
fn compact(v: &Value) -> String {
    let json = cut(&v.to_string(), MAX_COMPACT);
    let mut out = String::with_capacity(json.len());
    escape_into(
        &mut out,
        json.as_bytes(),
        Style {
            newlines: false,
            backslash: false,
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::see::decode::tests::{every_split, lines};

    fn decode_all(kind: JsonKind, chunks: &[&[u8]]) -> Vec<Line> {
        let mut d = JsonLines::new(kind);
        let mut out = Vec::new();
        for c in chunks {
            out.extend(d.push(c));
        }
        out.extend(d.finish());
        out
    }

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

    #[test]
    fn events_read_like_docker_events() {
        // trace events: `docker volume create probe-evvol` then `volume rm`.
        let body = br#"{"Type":"volume","Action":"create","Actor":{"ID":"probe-evvol","Attributes":{"driver":"local"}},"scope":"local","time":1795376472,"timeNano":1795376472457427363}
{"Type":"volume","Action":"destroy","Actor":{"ID":"probe-evvol","Attributes":{"driver":"local"}},"scope":"local","time":1795376472,"timeNano":1795376472500302170}
"#;
        let want = [
            (
                Label::Event,
                "2026-11-22T19:41:12.457Z volume create probe-evvol (driver=local)",
            ),
            (
                Label::Event,
                "2026-11-22T19:41:12.500Z volume destroy probe-evvol (driver=local)",
            ),
        ];
        for (a, b) in every_split(body) {
            assert_eq!(lines(&decode_all(JsonKind::Events, &[a, b])), want);
        }
    }

    #[test]
    fn container_events_put_the_name_first_and_cap_the_labels() {
        let mut attrs = serde_json::Map::new();
        attrs.insert("image".into(), "busybox".into());
        attrs.insert("name".into(), "web".into());
        for i in 0..10 {
            attrs.insert(format!("label{i}"), "x".into());
        }
        let ev = serde_json::json!({
            "Type": "container", "Action": "start",
            "Actor": {"ID": "6336c44b261a78a17938eaafd8f8a1c1360d0d28b0bd08b5426ff4fe8c640faa", "Attributes": attrs},
            "time": 1795376472
        });
        let got = decode_all(JsonKind::Events, &[ev.to_string().as_bytes()]);
        assert_eq!(
            lines(&got),
            [(
                Label::Event,
                "2026-11-22T19:41:12Z container start 6336c44b261a (name=web, image=busybox, \
                 label0=x, label1=x, label2=x, label3=x, label4=x, label5=x, +4 more)"
            )]
        );
    }

    /// `docker stats --no-stream probe-x` (trace stats): one object, `stream=0`.
    const STATS: &[u8] = br#"{"read":"2026-11-22T19:41:21.353805961Z","preread":"2026-11-22T19:41:20.346944681Z","pids_stats":{"current":2},"blkio_stats":{"io_service_bytes_recursive":[],"io_serviced_recursive":[],"io_queue_recursive":[],"io_service_time_recursive":[],"io_wait_time_recursive":[],"io_merged_recursive":[],"io_time_recursive":[],"sectors_recursive":[]},"num_procs":0,"storage_stats":{},"cpu_stats":{"cpu_usage":{"total_usage":165127341,"percpu_usage":[61896888,103230453],"usage_in_kernelmode":70000000,"usage_in_usermode":90000000},"system_cpu_usage":5781430000000,"online_cpus":2,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"precpu_stats":{"cpu_usage":{"total_usage":163797378,"percpu_usage":[61685278,102112100],"usage_in_kernelmode":60000000,"usage_in_usermode":90000000},"system_cpu_usage":5779560000000,"online_cpus":2,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"memory_stats":{"usage":655360,"max_usage":3825664,"stats":{"active_anon":8192,"active_file":0,"cache":0,"dirty":0,"hierarchical_memory_limit":9223372036854771712,"hierarchical_memsw_limit":9223372036854771712,"inactive_anon":110592,"inactive_file":0,"mapped_file":0,"pgfault":5918,"pgmajfault":0,"pgpgin":3592,"pgpgout":3563,"rss":118784,"rss_huge":0,"total_active_anon":8192,"total_active_file":0,"total_cache":0,"total_dirty":0,"total_inactive_anon":110592,"total_inactive_file":0,"total_mapped_file":0,"total_pgfault":5918,"total_pgmajfault":0,"total_pgpgin":3592,"total_pgpgout":3563,"total_rss":118784,"total_rss_huge":0,"total_unevictable":0,"total_writeback":0,"unevictable":0,"writeback":0},"limit":25276502016},"name":"/probe-x","id":"6336c44b261a78a17938eaafd8f8a1c1360d0d28b0bd08b5426ff4fe8c640faa","networks":{"eth0":{"rx_bytes":746,"rx_packets":7,"rx_errors":0,"rx_dropped":0,"tx_bytes":0,"tx_packets":0,"tx_errors":0,"tx_dropped":0}}}
"#;

    #[test]
    fn a_stats_sample_becomes_the_docker_stats_row() {
        // cpu: (165127341-163797378) / (5781430000000-5779560000000) * 2 cpus = 0.14%.
        assert_eq!(
            lines(&decode_all(JsonKind::Stats, &[STATS])),
            [(
                Label::Stats,
                "probe-x cpu 0.14%  mem 640.00KiB / 23.54GiB (0.00%)  pids 2  net rx 746B tx 0B"
            )]
        );
    }

    #[test]
    fn the_first_sample_of_a_stats_stream_has_no_cpu_figure() {
        // trace stats-stream: the first object has a zero `preread` and no precpu system usage.
        let first = br#"{"read":"2026-11-22T19:41:23.660746755Z","preread":"0001-01-01T00:00:00Z","pids_stats":{"current":2},"cpu_stats":{"cpu_usage":{"total_usage":168404163},"system_cpu_usage":5785800000000,"online_cpus":2},"precpu_stats":{"cpu_usage":{"total_usage":0}},"memory_stats":{"usage":483328,"stats":{"total_inactive_file":0}}}"#;
        assert_eq!(
            lines(&decode_all(JsonKind::Stats, &[first])),
            [(Label::Stats, "cpu -  mem 472.00KiB  pids 2")]
        );
    }

    #[test]
    fn what_is_not_json_in_a_json_stream_is_shown_as_text() {
        let got = decode_all(
            JsonKind::Plain,
            &[b"{\"a\":1}\r\n\x1e{\"b\":2}\nnot json \x1b[31m\n{\"a\":1} tail\n"],
        );
        assert_eq!(
            lines(&got),
            [
                (Label::Text, r#"{"a":1}"#),
                (Label::Text, r#"{"b":2}"#),
                (Label::Text, "not json \\x1b[31m"),
                (Label::Text, r#"{"a":1}"#),
                (Label::Text, "tail"),
            ]
        );
    }

    #[test]
    fn a_record_that_never_ends_is_dropped_not_buffered() {
        let mut d = JsonLines::new(JsonKind::Plain);
        let chunk = vec![b'x'; MAX_RECORD / 2 + 1];
        assert!(d.push(&chunk).is_empty());
        let got = d.push(&chunk);
        assert_eq!(
            lines(&got),
            [(Label::Note, "record longer than 1048576 bytes not shown")]
        );
        assert!(d.push(&chunk).is_empty());
        assert_eq!(
            lines(&d.push(b"x\n{\"ok\":true}\n")),
            [(Label::Text, r#"{"ok":true}"#)]
        );
    }

    #[test]
    fn memory_sizes_use_binary_units() {
        assert_eq!(size(1023), "1023B");
        assert_eq!(size(1536), "1.50KiB");
        assert_eq!(size(25276502016), "23.54GiB");
    }
}
