//! The OPA built-ins this build leaves out, found in a policy's text when it is loaded.

/// OPA built-ins this build lacks, by full name or by namespace (ending in `.`). regorus
/// finds an unknown function only when a request reaches the call, and then fails that
/// request; a policy that needs one is better refused when it is loaded.
pub(super) const UNAVAILABLE: &[&str] = &[
    "http.send",
    "net.lookup_ip_addr",
    "urlquery.",
    "yaml.",
    "uuid.",
    "semver.",
    "json.match_schema",
    "json.verify_schema",
    "opa.runtime",
    "crypto.",
    "io.jwt.",
    "graphql.",
    "rego.parse_module",
    "providers.aws.",
];

/// The first call of an [`UNAVAILABLE`] built-in in the policy's code (strings and comments
/// skipped), with its line.
pub(super) fn unavailable_call(text: &str) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let (mut i, mut line) = (0, 1);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            quote @ (b'"' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    if quote == b'"' && bytes[i] == b'\\' {
                        i += 1;
                    }
                    line += usize::from(bytes.get(i) == Some(&b'\n'));
                    i += 1;
                }
            }
            b if ident(b) && (i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b'.')) => {
                let start = i;
                while i < bytes.len() && (ident(bytes[i]) || bytes[i] == b'.') {
                    i += 1;
                }
                let name = &text[start..i];
                let rest = text[i..].trim_start_matches([' ', '\t']);
                let listed = |u: &&str| match u.strip_suffix('.') {
                    Some(ns) => name.strip_prefix(ns).is_some_and(|r| r.starts_with('.')),
                    None => name == *u,
                };
                if rest.starts_with('(') && UNAVAILABLE.iter().any(listed) {
                    return Some((line, name.to_owned()));
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}
