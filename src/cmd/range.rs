//! The range of every numeric option, checked as clap parses it: a number a person can type
//! (`1e30`, `18446744073709551615`, `NaN`, `0`) gets one line saying what is accepted, never
//! a panic further on (`Duration::from_secs_f64` of a huge value, a date past year 9999, a
//! rotation loop over `usize::MAX` files).

use std::time::Duration;

/// Shortest accepted time: a zero timeout would close every connection at once.
pub const MIN_SECONDS: f64 = 0.001;
/// Longest accepted time: a year is longer than any timeout means, and far from where
/// timers and instants overflow.
pub const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// A value parser for a `SECONDS` option: a decimal number of seconds from a millisecond
/// to a year.
pub fn seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("expected a number of seconds from {MIN_SECONDS} to {MAX_SECONDS}"))?;
    // Written so that NaN fails too.
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&v) {
        return Err(format!(
            "{s} is out of range: give from {MIN_SECONDS} to {MAX_SECONDS} seconds (a year)"
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

/// A value parser for a whole number from `min` to `max`; `unit` names what is counted
/// and `why` says where the bounds come from (both shown in the error).
pub fn whole<T>(
    min: u64,
    max: u64,
    unit: &'static str,
    why: &'static str,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: TryFrom<u64> + Clone + Send + Sync + 'static,
{
    move |s: &str| {
        let range = format!("from {min} to {max} {unit}{why}");
        let v: u64 = s
            .trim()
            .parse()
            .map_err(|_| format!("expected a whole number {range}"))?;
        if !(min..=max).contains(&v) {
            return Err(format!("{s} is out of range: give {range}"));
        }
        T::try_from(v).map_err(|_| format!("{s} is out of range: give {range}"))
    }
}

/// Bytes a body may take in memory (`--max-body`, `--body-limit`): a GiB.
pub const MAX_MEMORY_BYTES: u64 = 1 << 30;
/// The smallest `--audit-max-size`: below it a log would rotate every few records and
/// `--audit-keep` files would hold almost nothing.
pub const MIN_AUDIT_SIZE: u64 = 64 * 1024;
/// The most rotated audit files kept (each rotation renames them all).
pub const MAX_AUDIT_KEEP: u64 = 1000;

/// The smallest `--audit-spool-max`: a few dozen records.
pub const MIN_SPOOL: u64 = 16 << 10;
/// The largest `--audit-spool-max`: a TiB.
pub const MAX_SPOOL: u64 = 1 << 40;

/// A value parser for `--audit-spool-max`: bytes with an optional K, M or G suffix, from
/// 16 KiB to a TiB.
pub fn spool_size(s: &str) -> Result<u64, String> {
    let range = "from 16K to 1024G bytes (K, M, G: powers of 1024)";
    let v = crate::remember::ship::parse_size(s).map_err(|_| format!("expected {range}"))?;
    if !(MIN_SPOOL..=MAX_SPOOL).contains(&v) {
        return Err(format!("{s} is out of range: give {range}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_take_a_millisecond_to_a_year_and_nothing_else() {
        assert_eq!(seconds("60"), Ok(Duration::from_secs(60)));
        assert_eq!(seconds("0.5"), Ok(Duration::from_millis(500)));
        for bad in [
            "0",
            "-1",
            "1e30",
            "NaN",
            "inf",
            "-inf",
            "18446744073709551615",
            "x",
            "",
        ] {
            let err = seconds(bad).unwrap_err();
            assert!(!err.contains('\n'), "{err}");
            assert!(err.contains("seconds"), "{bad}: {err}");
        }
    }

    #[test]
    fn whole_numbers_say_their_range() {
        let p = whole::<usize>(1024, 4096, "bytes", "");
        assert_eq!(p("2048"), Ok(2048));
        let err = p("18446744073709551616").unwrap_err();
        assert!(err.contains("from 1024 to 4096 bytes"), "{err}");
        let err = p("100").unwrap_err();
        assert_eq!(err, "100 is out of range: give from 1024 to 4096 bytes");
        let days = whole::<u32>(1, 3650, "days", " (the CA's own lifetime)");
        assert!(days("4294967295")
            .unwrap_err()
            .contains("the CA's own lifetime"));
    }
}
