//! RFC 3339 timestamps from `SystemTime`, without a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// `2026-11-22T19:40:58.123Z`, as HAR's `startedDateTime` wants it.
pub fn rfc3339_millis(t: SystemTime) -> String {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        // Before 1970: whole seconds go down, the fraction counts up from there.
        Err(e) => {
            let d = e.duration();
            let (s, n) = (d.as_secs() as i64, d.subsec_nanos());
            if n == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000_000 - n)
            }
        }
    };
    rfc3339(secs, nanos, 3)
}

/// UTC date and time of `secs` + `nanos` since the epoch, with `digits` (0–9) fraction
/// digits, truncated.
pub fn rfc3339(secs: i64, nanos: u32, digits: usize) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, rem / 60 % 60, rem % 60);
    let mut s = format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}");
    let digits = digits.min(9);
    if digits > 0 {
        let frac = format!("{:09}", nanos.min(999_999_999));
        s.push('.');
        s.push_str(&frac[..digits]);
    }
    s.push('Z');
    s
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`: eras of 400 years, years starting in March so leap days come last).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The inverse of [`civil_from_days`]: days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn trace_timestamps_format_as_the_daemon_wrote_them() {
        // trace events: timeNano 1795376472457427363 is 2026-11-22T19:41:12.457427363Z.
        assert_eq!(
            rfc3339(1_795_376_472, 457_427_363, 9),
            "2026-11-22T19:41:12.457427363Z"
        );
        let t = UNIX_EPOCH + Duration::new(1_795_376_472, 457_999_999);
        assert_eq!(rfc3339_millis(t), "2026-11-22T19:41:12.457Z");
    }

    #[test]
    fn leap_days_century_rules_and_year_ends() {
        let day = |y, m, d| days_from_civil(y, m, d) * 86_400;
        assert_eq!(rfc3339(0, 0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(day(2000, 2, 29), 0, 0), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(day(2100, 3, 1) - 1, 0, 0), "2100-02-28T23:59:59Z");
        assert_eq!(
            rfc3339(day(2024, 12, 31) + 86_399, 0, 3),
            "2024-12-31T23:59:59.000Z"
        );
        assert_eq!(rfc3339(951_782_400, 0, 0), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn days_round_trip_across_four_centuries_and_before_the_epoch() {
        let mut expected = (1800, 1, 1);
        for z in days_from_civil(1800, 1, 1)..days_from_civil(2201, 1, 1) {
            let got = civil_from_days(z);
            assert_eq!(got, expected, "day {z}");
            assert_eq!(days_from_civil(got.0, got.1, got.2), z);
            let (y, m, d) = expected;
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let len = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            expected = if d < len {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn a_time_before_1970_counts_its_fraction_forward() {
        let t = UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(rfc3339_millis(t), "1969-12-31T23:59:59.999Z");
    }
}
