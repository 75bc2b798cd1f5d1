//! `GET /events`: each event the way `docker events` prints it.

use std::fmt::Write;

use serde_json::{Map, Value};

use super::{cut, short_id};
use crate::docker::time::rfc3339;
use crate::see::decode::escape::escape;
use crate::see::decode::Label;

/// Like the CLI's `docker events`: time, type, action, actor, attributes.
pub(super) fn event(v: &Value) -> Option<(Label, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::see::decode::jsonl::tests::decode_all;
    use crate::see::decode::jsonl::JsonKind;
    use crate::see::decode::tests::{every_split, lines};

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
}
