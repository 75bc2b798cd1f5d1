use super::*;

// Queries: §2.5 and the query rows of §2.8.

fn all(query: &str) -> bool {
    form(query).unwrap().bool("all")
}

#[test]
fn query_booleans_read_like_dockerd() {
    assert!(all("%61ll=1"), "keys are percent-decoded");
    assert!(!all("all"), "no value is false");
    assert!(all("all=yes"));
    assert!(all("all=%201%20"), "trimmed, still true");
    assert!(all("all=%00"), "anything unlisted is true");
    assert!(!all("all=+"), "+ is a space, trimmed to empty");
    assert!(!all("all=FALSE"));
    assert!(!all("all=none"));
    assert!(!all("all=0&all=1"), "first value wins");
    assert!(all("all=1&all=0"));
    assert!(!all("ALL=1"), "keys are case-sensitive");
    assert!(all("all=1#x"), "a raw # is part of the value");
}

#[test]
fn query_separators_and_escapes_that_go_rejects_are_refused() {
    assert_eq!(form("all=1;x=1"), Err(Ambiguity::QuerySemicolon));
    assert!(matches!(form("all=1%"), Err(Ambiguity::QueryEscape { .. })));
    assert!(matches!(
        form("all=%zz"),
        Err(Ambiguity::QueryEscape { .. })
    ));
    assert!(matches!(form("a=%ff"), Err(Ambiguity::QueryNotUtf8 { .. })));
}

#[test]
fn query_keeps_every_value_in_order() {
    let f = form("t=a&&t=b&x&=v&t=c").unwrap();
    assert_eq!(f.values("t"), ["a", "b", "c"]);
    assert_eq!(f.get("x"), Some(""));
    assert_eq!(f.get(""), Some("v"));
    assert_eq!(f.get("missing"), None);
    assert_eq!(f.value("missing"), "");
}

#[test]
fn form_body_values_win_over_the_query() {
    let q = form("name=probe-query").unwrap();
    let body = form("name=probe-body").unwrap();
    assert_eq!(q.with_body(body).get("name"), Some("probe-body"));
}

#[test]
fn go_bool_trims_unicode_space() {
    assert!(!go_bool("\u{a0}false\u{2003}"));
    assert!(go_bool("true"));
    assert!(!go_bool(""));
}
