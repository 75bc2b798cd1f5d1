//! API versions as dockerd compares them.
//!
//! dockerd never parses a version into numbers it keeps: it compares the prefix string with
//! `versions.Compare` (moby `daemon/internal/versions/compare.go`, 20.10
//! `api/types/versions/compare.go`). That compare splits on `.`, reads each component with
//! `strconv.Atoi` and treats a failed parse as 0 and a missing component as 0. So `1.41.0`,
//! `01.041` and `1.41` are the same version, `1..41` is 1.0.41 (older than 1.12) and `.` is 0.
//! Anything that decides on versions must use the same compare, or a client can pick a
//! spelling that sockeye reads as allowed and dockerd reads as something else.

use std::cmp::Ordering;
use std::fmt;

/// An API version as written (e.g. the `1.41` of a `/v1.41/` prefix), ordered the way
/// dockerd orders it.
///
/// Equality and order follow Go's `versions.Compare`, so `ApiVersion::new("1.41.0") ==
/// ApiVersion::new("1.41")`; use [`ApiVersion::as_str`] for the spelling.
#[derive(Clone, Copy, Debug)]
pub struct ApiVersion<'a> {
    text: &'a str,
}

impl<'a> ApiVersion<'a> {
    /// Wrap a version string; any string is accepted, as Go's compare accepts any string.
    pub const fn new(text: &'a str) -> Self {
        ApiVersion { text }
    }

    /// The version exactly as written.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The numeric components Go's compare sees (`1..41` → 1, 0, 41).
    pub fn components(&self) -> impl Iterator<Item = i64> + 'a {
        self.text.split('.').map(go_atoi)
    }

    /// A canonical spelling for display and logs: components as integers, trailing zero
    /// components beyond the second dropped, at least two components
    /// (`01.041` → `1.41`, `1.41.0` → `1.41`, `1` → `1.0`, `1..41` → `1.0.41`).
    pub fn normalized(&self) -> String {
        let mut parts: Vec<i64> = self.components().collect();
        while parts.len() > 2 && parts.last() == Some(&0) {
            parts.pop();
        }
        parts.resize(parts.len().max(2), 0);
        let strings: Vec<String> = parts.iter().map(i64::to_string).collect();
        strings.join(".")
    }
}

impl fmt::Display for ApiVersion<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl PartialEq for ApiVersion<'_> {
    fn eq(&self, other: &Self) -> bool {
        compare_versions(self.text, other.text) == Ordering::Equal
    }
}

impl Eq for ApiVersion<'_> {}

impl PartialOrd for ApiVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ApiVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_versions(self.text, other.text)
    }
}

/// Compare two version strings exactly like Go's `versions.Compare`.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        let (l, r) = match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (l, r) => (l.map_or(0, go_atoi), r.map_or(0, go_atoi)),
        };
        match l.cmp(&r) {
            Ordering::Equal => continue,
            unequal => return unequal,
        }
    }
}

/// `strconv.Atoi` with its error discarded, as the compare does: a syntax error yields 0,
/// an overflow yields the saturated value `ParseInt` returns alongside its range error.
fn go_atoi(s: &str) -> i64 {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return 0;
    }
    let saturated = if negative { i64::MIN } else { i64::MAX };
    let mut n: u64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return 0;
        }
        // ParseUint returns at the first overflow, before it looks at later bytes.
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
        {
            Some(n) => n,
            None => return saturated,
        };
    }
    if negative {
        0i64.checked_sub_unsigned(n).unwrap_or(i64::MIN)
    } else {
        i64::try_from(n).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> ApiVersion<'_> {
        ApiVersion::new(s)
    }

    #[test]
    fn spellings_dockerd_accepts_as_1_41_compare_equal_to_1_41() {
        for s in ["1.41", "1.41.0", "01.041", "1.41.0.0", "1.041"] {
            assert_eq!(v(s), v("1.41"), "{s}");
        }
    }

    #[test]
    fn leading_zero_minor_is_a_number_not_a_decimal_fraction() {
        assert_eq!(v("1.040"), v("1.40"));
        assert!(v("1.040") < v("1.41"));
        assert!(v("1.9") < v("1.10"));
    }

    #[test]
    fn empty_components_count_as_zero_so_double_dot_is_very_old() {
        assert_eq!(v("1..41"), v("1.0.41"));
        assert!(v("1..41") < v("1.12"));
        assert_eq!(v("."), v("0"));
        assert!(v(".41") < v("1.12"));
        assert!(v("1") < v("1.12"));
        assert_eq!(v(""), v("0.0"));
    }

    #[test]
    fn extra_nonzero_component_is_newer() {
        assert!(v("1.41.1") > v("1.41"));
        assert!(v("2") > v("1.41"));
        assert!(v("1.99") > v("1.41"));
    }

    #[test]
    fn non_numeric_components_count_as_zero_like_atoi_errors() {
        assert_eq!(v("1.x"), v("1.0"));
        assert_eq!(v("1.4a"), v("1"));
        assert_eq!(v("+1.+41"), v("1.41"));
        assert!(v("1.-41") < v("1"));
    }

    #[test]
    fn huge_components_saturate_instead_of_wrapping() {
        let huge = "1.99999999999999999999999";
        assert!(v(huge) > v("1.41"));
        assert_eq!(v(huge), v("1.9223372036854775807"));
        // Overflow is seen before the trailing junk, as in ParseUint.
        assert_eq!(v("1.99999999999999999999999x"), v(huge));
        assert_eq!(
            v("1.-99999999999999999999999").components().nth(1),
            Some(i64::MIN)
        );
    }

    #[test]
    fn normalized_spelling_is_what_a_log_should_show() {
        assert_eq!(v("01.041").normalized(), "1.41");
        assert_eq!(v("1.41.0").normalized(), "1.41");
        assert_eq!(v("1").normalized(), "1.0");
        assert_eq!(v("1..41").normalized(), "1.0.41");
        assert_eq!(v(".").normalized(), "0.0");
        assert_eq!(v("1.41").to_string(), "1.41");
    }
}
