//! Why a line is not a record, in words a person reads: serde's own ("invalid type: string
//! \"1\", expected u32 at line 1 column 6") is written for programmers.

use serde::Deserialize;
use serde_json::error::Category;
use serde_json::Value;

use super::record::VERSION;

/// Why `text` (which did not read as a record) is not one. A record of another schema
/// version says so first: its fields may well differ, and "missing field" would mislead.
pub fn not_a_record(e: &serde_json::Error, text: &str) -> String {
    #[derive(Deserialize)]
    struct Versioned {
        v: Option<Value>,
    }
    if e.classify() == Category::Data {
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            if !v.is_object() {
                let what = match v {
                    Value::Array(_) => "a list".to_owned(),
                    Value::String(_) => "text".to_owned(),
                    other => other.to_string(),
                };
                return format!("{what} where an audit record (a JSON object) belongs");
            }
        }
        match serde_json::from_str::<Versioned>(text) {
            Ok(Versioned { v: Some(v) }) if v.as_u64() != Some(u64::from(VERSION)) => {
                return unsupported(&v.to_string());
            }
            Ok(Versioned { v: None }) => {
                return "no schema version: it has no \"v\" field".into();
            }
            _ => {}
        }
    }
    in_words(e, text)
}

/// A record of a schema this sockeye does not read.
pub fn unsupported(version: &str) -> String {
    format!("unsupported schema version {version} (this sockeye reads version {VERSION})")
}

fn in_words(e: &serde_json::Error, text: &str) -> String {
    let col = e.column();
    match e.classify() {
        Category::Eof => "cut short: the line ends in the middle of a record".into(),
        Category::Syntax => format!("not JSON (column {col})"),
        Category::Io => "unreadable".into(),
        Category::Data => data(&message(e), col, text),
    }
}

/// serde's message without its " at line 1 column 6".
fn message(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(at) => m[..at].to_owned(),
        None => m,
    }
}

fn data(msg: &str, col: usize, text: &str) -> String {
    let quoted = |prefix: &str| {
        msg.strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    if let Some(field) = quoted("missing field `") {
        return format!("the field \"{field}\" is missing");
    }
    if let Some(field) = quoted("duplicate field `") {
        return format!("the field \"{field}\" is given twice");
    }
    let wrong = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "));
    if let Some((got, want)) = wrong.and_then(|w| w.split_once(", expected ")) {
        return match key_before(text, col) {
            Some(key) => format!(
                "\"{key}\" is {} where {} belongs",
                got_words(got),
                want_words(want)
            ),
            None => format!(
                "{} where an audit record (a JSON object) belongs",
                got_words(got)
            ),
        };
    }
    msg.to_owned()
}

/// The object key whose value ends at `col` (serde points just past a wrong value).
fn key_before(text: &str, col: usize) -> Option<&str> {
    let before = text.get(..col.saturating_sub(1).min(text.len()))?;
    let colon = before.rfind("\":")?;
    let open = before[..colon].rfind('"')?;
    let key = &before[open + 1..colon];
    (!key.is_empty() && !key.contains(['{', '}', ',', ':'])).then_some(key)
}

/// serde's `string "1"`, `integer `2``, `map`, … as a person says them.
fn got_words(got: &str) -> String {
    let value = || got.split_once(' ').map(|(_, v)| v.trim_matches('`'));
    match got.split(' ').next().unwrap_or(got) {
        "string" => format!("the text {}", value().unwrap_or("")),
        "integer" | "floating" => format!(
            "the number {}",
            got.rsplit(' ').next().unwrap_or("").trim_matches('`')
        ),
        "boolean" => value().unwrap_or("a boolean").to_owned(),
        "null" => "null".into(),
        "map" => "an object".into(),
        "sequence" => "a list".into(),
        "unit" => "nothing".into(),
        _ => got.to_owned(),
    }
}

/// serde's `u32`, `a string`, `struct Wire`, … as a person says them.
fn want_words(want: &str) -> &str {
    match want {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number (0 or more)",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        "a string" => "text",
        "a map" => "an object",
        "a sequence" => "a list",
        w if w.starts_with("struct ") || w.starts_with("a map") => "an object",
        w => w,
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::Record;
    use super::*;

    fn why(text: &str) -> String {
        let e = serde_json::from_str::<Record>(text).expect_err("not a record");
        not_a_record(&e, text)
    }

    /// What reached people: "missing field `time`" for a newer schema, "expected u32",
    /// "invalid type: integer `2`".
    #[test]
    fn a_line_that_is_not_a_record_is_explained_in_words() {
        assert_eq!(
            why(r#"{"v":2,"when":"2026-11-22T23:22:51Z"}"#),
            "unsupported schema version 2 (this sockeye reads version 1)"
        );
        assert_eq!(
            why(r#"{"endpoint":"ContainerList"}"#),
            "no schema version: it has no \"v\" field"
        );
        assert_eq!(
            why(r##"{"v":1,"id":"#1.1"}"##),
            "the field \"time\" is missing"
        );
        assert_eq!(
            why(r#"{"v":1,"time":"x","time_unix":"soon"}"#),
            "\"time_unix\" is the text \"soon\" where a number belongs"
        );
        assert_eq!(
            why(r#"{"v":1,"time":2}"#),
            "\"time\" is the number 2 where text belongs"
        );
        assert_eq!(
            why(r#"{"v":1,"time":"t","time_unix":1,"id":"i","conn":-1}"#),
            "\"conn\" is the number -1 where a whole number (0 or more) belongs"
        );
        assert_eq!(
            why("[1,2]"),
            "a list where an audit record (a JSON object) belongs"
        );
        assert_eq!(why("not json"), "not JSON (column 2)");
        assert_eq!(
            why(r#"{"v":1,"time":"2026"#),
            "cut short: the line ends in the middle of a record"
        );
        for text in [
            r#"{"v":"1"}"#,
            r#"{"v":1,"time":"t","time_unix":1,"id":"i","conn":true}"#,
        ] {
            let w = why(text);
            for jargon in ["expected", "u32", "u64", "Integer(", "invalid type", "`"] {
                assert!(!w.contains(jargon), "{text}: {w}");
            }
        }
    }
}
