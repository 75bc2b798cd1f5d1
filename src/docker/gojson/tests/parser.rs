use super::*;

// The parser.

#[test]
fn parser_keeps_duplicates_and_raw_numbers() {
    let n = parse(br#"{"a":1e3,"a":-0,"b":[1.50]}"#).unwrap();
    assert_eq!(
        n,
        Node::Object(vec![
            ("a".into(), Node::Number("1e3".into())),
            ("a".into(), Node::Number("-0".into())),
            ("b".into(), Node::Array(vec![Node::Number("1.50".into())])),
        ])
    );
}

#[test]
fn parser_decodes_surrogates_like_go() {
    let n = parse(br#"["\ud83d\ude00","\ud800x","\udc00","\ud800\u0041"]"#).unwrap();
    let Node::Array(items) = n else { panic!() };
    let s: Vec<_> = items
        .iter()
        .map(|i| match i {
            Node::String(s) => s.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(s, ["\u{1f600}", "\u{fffd}x", "\u{fffd}", "\u{fffd}A"]);
}

#[test]
fn parser_refuses_what_go_refuses() {
    for (body, what) in [
        (&b""[..], "empty"),
        (b"  \n", "blank"),
        (b"\xef\xbb\xbf{}", "byte order mark"),
        (b"{\"a\":\"x\ny\"}", "raw newline in string"),
        (b"{\"a\":01}", "leading zero"),
        (b"{\"a\":1.}", "bare decimal point"),
        (b"{\"a\":+1}", "plus sign"),
        (b"{\"a\":.5}", "no integer part"),
        (b"{\"a\":\"\\x\"}", "unknown escape"),
        (b"{\"a\":tru}", "short literal"),
        (b"{\"a\":1,}", "trailing comma"),
        (b"{'a':1}", "single quotes"),
        (b"[1 2]", "missing comma"),
        (b"{\"a\" 1}", "missing colon"),
        (b"\"abc", "unterminated string"),
    ] {
        assert!(parse(body).is_err(), "{what}");
    }
    assert_eq!(parse(b""), Err(Ambiguity::Empty));
}

#[test]
fn parser_limits_depth() {
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert!(matches!(
        parse(deep.as_bytes()),
        Err(Ambiguity::TooDeep { .. })
    ));
    let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(parse(ok.as_bytes()).is_ok());
}

#[test]
fn parser_agrees_with_serde_json_on_valid_documents() {
    for body in [
        include_str!("../../../../tests/data/facts/create-dangerous.json"),
        r#"{"a":"\u00e9\n\"\\\/","b":[true,false,null,-1.5e-3,0,18446744073709551615]}"#,
        "  [ { } , [ ] , \"\" ]  ",
    ] {
        let ours = canonical(None, &parse(body.as_bytes()).unwrap()).unwrap();
        let theirs: Value = serde_json::from_str(body).unwrap();
        assert_eq!(ours, theirs, "{body}");
    }
}

#[test]
fn numbers_no_go_field_can_hold_are_refused() {
    let r = create(r#"{"HostConfig":{"Memory":1e400}}"#);
    assert_eq!(
        r,
        Err(Ambiguity::Number {
            path: "HostConfig.Memory".into(),
            raw: "1e400".into()
        })
    );
}
