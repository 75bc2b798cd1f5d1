use super::*;

// Every bypass spelling reads the same as the canonical one.

/// Rewrite every object key of `v` with `spell` (the trace bodies' maps are empty, so every
/// key is a struct field).
fn respell(v: &Value, spell: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (spell(k), respell(v, spell)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| respell(v, spell)).collect()),
        v => v.clone(),
    }
}

/// Serialize with every ASCII letter of every key as a `\u00XX` escape.
fn escaped_keys(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let members: Vec<String> = m
                .iter()
                .map(|(k, v)| {
                    let key: String = k
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphabetic() {
                                format!("\\u{:04x}", c as u32)
                            } else {
                                c.to_string()
                            }
                        })
                        .collect();
                    format!("\"{key}\":{}", escaped_keys(v))
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(escaped_keys).collect();
            format!("[{}]", items.join(","))
        }
        v => v.to_string(),
    }
}

#[test]
fn every_key_spelling_dockerd_accepts_yields_the_same_facts() {
    let plain: Value = serde_json::from_str(DANGEROUS).unwrap();
    let expected = of(Operation::ContainerCreate, DANGEROUS);
    let folded = |k: &str| k.replace('s', "\u{17f}").replace(['k', 'K'], "\u{212a}");
    let variants = [
        respell(&plain, &|k| k.to_lowercase()).to_string(),
        respell(&plain, &|k| k.to_uppercase()).to_string(),
        respell(&plain, &folded).to_string(),
        escaped_keys(&plain),
    ];
    for body in variants {
        assert_eq!(of(Operation::ContainerCreate, &body), expected, "{body}");
    }
}

#[test]
fn bypass_spellings_that_cannot_be_canonicalized_are_refused() {
    for body in [
        r#"{"Image":"x","Privileged":true,"Binds":["/:/host"],"PidMode":"host"}"#,
        r#"{"HostConfig":{"Privileged":false,"privileged":true}}"#,
        r#"{"HostConfig":{"Binds":[]},"hostconfig":{"Binds":["/:/h"]}}"#,
        r#"{"Image":"x"}{"HostConfig":{"Privileged":true}}"#,
    ] {
        assert!(
            read(Operation::ContainerCreate, body, "").is_err(),
            "{body}"
        );
    }
}
