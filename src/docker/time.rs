//! Time as Docker and its users write it, without a date library: RFC 3339 timestamps from
//! `SystemTime`, and the times `--since`/`--until` take (RFC 3339, a duration ago, or seconds
//! since the epoch).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A duration in milliseconds to the microsecond, as JSON shows durations: `0.705`, not
/// `0.7053689999999999` (the nanoseconds' float error is noise nobody measured).
pub fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1e3
}

/// `2026-11-22T19:40:58.123Z`, as HAR's `startedDateTime` wants it.
pub fn rfc3339_millis(t: SystemTime) -> String {
    let (secs, nanos) = unix(t);
    rfc3339(secs, nanos, 3)
}

/// Whole seconds since the epoch and the nanoseconds after them, for [`rfc3339`].
pub fn unix(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
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
    }
}

/// UTC date and time of `secs` + `nanos` since the epoch, with `digits` (0–9) fraction
/// digits, truncated.
pub fn rfc3339(secs: i64, nanos: u32, digits: usize) -> String {
    let mut out = Vec::with_capacity(32);
    write_rfc3339(&mut out, secs, nanos, digits);
    String::from_utf8(out).expect("ASCII")
}

/// [`rfc3339`], appended to `out`: the audit log writes it straight into its line, and
/// `format!` for each part costs more than the rest of the record.
pub fn write_rfc3339(out: &mut Vec<u8>, secs: i64, nanos: u32, digits: usize) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    let mut text = *b"0000-00-00T00:00:00.000000000";
    put_digits(&mut text[5..7], m);
    put_digits(&mut text[8..10], d);
    put_digits(&mut text[11..13], rem / 3600);
    put_digits(&mut text[14..16], rem / 60 % 60);
    put_digits(&mut text[17..19], rem % 60);
    // The first `digits` of the nine, truncated like slicing `{:09}`.
    put_digits(&mut text[20..29], nanos.min(999_999_999));
    let end = match digits.min(9) {
        0 => 19,
        digits => 20 + digits,
    };
    match u32::try_from(y) {
        Ok(y) if y <= 9999 => {
            put_digits(&mut text[..4], y);
            out.extend_from_slice(&text[..end]);
        }
        // `{:04}`, sign and all, for years no clock will show.
        _ => {
            use std::io::Write;
            let _ = write!(out, "{y:04}");
            out.extend_from_slice(&text[4..end]);
        }
    }
    out.push(b'Z');
}

/// The last `slot.len()` decimal digits of `n`, zero-padded.
fn put_digits(slot: &mut [u8], mut n: u32) {
    for b in slot.iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`: eras of 400 years, years starting in March so leap days come last).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
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
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A point in time for `--since`/`--until`, in seconds since the epoch: RFC 3339
/// (`2026-11-22T23:19:27Z`, `2026-11-22T23:19:27.5+01:00`; without an offset it is UTC; a
/// bare date is its midnight UTC), a duration before `now` (`30s`, `10m`, `2h`, `7d`, `1w`,
/// `1h30m`), or seconds since the epoch as `docker events` takes them.
pub fn parse_time(s: &str, now: f64) -> Result<f64, String> {
    let s = s.trim();
    let bad = || {
        format!(
            "{s:?}: expected an RFC 3339 time (2026-11-22T23:19:27Z), a duration ago (10m, 2h, \
             7d) or seconds since the epoch"
        )
    };
    if s.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = s.parse::<f64>() {
        return if secs.is_finite() {
            Ok(secs)
        } else {
            Err(bad())
        };
    }
    if let Some(ago) = parse_duration(s) {
        return Ok(now - ago);
    }
    parse_rfc3339(s).ok_or_else(bad)
}

/// `1h30m` → 5400.
fn parse_duration(s: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut number = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86_400.0,
            'w' => 604_800.0,
            _ => return None,
        };
        total += number.parse::<f64>().ok()? * unit;
        number.clear();
    }
    number.is_empty().then_some(total)
}

/// `2026-11-22T23:19:27.5+01:00` → seconds since the epoch.
fn parse_rfc3339(s: &str) -> Option<f64> {
    let num = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?
    };
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut d = date.splitn(3, '-');
    let (y, m, day) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || date.len() != 10 {
        return None;
    }
    let mut secs = days_from_civil(y, m as u32, day as u32) as f64 * 86_400.0;
    let Some(rest) = rest else {
        return Some(secs);
    };
    // The offset: `Z`, `+HH:MM` or `-HH:MM`; none means UTC.
    let (clock, offset) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (h, m) = rest[i + 1..].split_once(':')?;
        let minutes = num(h)? * 60 + num(m)?;
        let sign = if rest.as_bytes()[i] == b'+' { 1 } else { -1 };
        (&rest[..i], sign * minutes * 60)
    } else {
        (rest, 0)
    };
    let mut parts = clock.splitn(3, ':');
    let (h, min) = (num(parts.next()?)?, num(parts.next()?)?);
    let sec: f64 = match parts.next() {
        None => 0.0,
        Some(sec) => {
            let whole = sec.split('.').next()?;
            num(whole)?;
            sec.parse().ok()?
        }
    };
    if h > 23 || min > 59 || !(0.0..61.0).contains(&sec) {
        return None;
    }
    secs += (h * 3600 + min * 60 - offset) as f64 + sec;
    Some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// `"duration_ms": 0.7053689999999999` in the JSON view: the float error of nanoseconds.
    #[test]
    fn durations_are_milliseconds_to_the_microsecond() {
        let shown = |nanos| serde_json::json!(millis(Duration::from_nanos(nanos))).to_string();
        assert_eq!(shown(705_369), "0.705");
        assert_eq!(shown(1_234_567_891), "1234.567");
        assert_eq!(shown(2_000_000), "2.0");
    }

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

    /// The `format!` version [`rfc3339`] replaced, kept as the reference it must match.
    fn rfc3339_with_format(secs: i64, nanos: u32, digits: usize) -> String {
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

    #[test]
    fn writing_digits_directly_matches_the_format_version() {
        let day = |y, m, d| days_from_civil(y, m, d) * 86_400;
        let mut secs: Vec<i64> = vec![
            0,
            -1,
            1,
            86_399,
            86_400,
            -86_400,
            -86_401,
            1_795_376_472,
            i64::MAX,
            i64::MIN,
            i64::MAX / 86_400,
            i64::MIN / 86_400,
        ];
        // Year boundaries and leap days, from far before the epoch to past year 9999.
        for y in (-2001..=10_001)
            .step_by(13)
            .chain([-1, 0, 1, 1899, 1900, 1969, 1970])
        {
            for (m, d) in [(1, 1), (2, 28), (2, 29), (3, 1), (12, 31)] {
                let t = day(y, m, d);
                secs.extend([t - 1, t, t + 1, t + 43_261, t + 86_399]);
            }
        }
        for y in [1600, 1700, 1900, 2000, 2024, 2100, 2400] {
            let t = day(y, 2, 29);
            secs.extend([t - 1, t, t + 86_399, t + 86_400]);
        }
        let nanos = [
            0,
            1,
            9,
            10,
            99_999_999,
            100_000_000,
            123_456_789,
            457_999_999,
            999_999_999,
            1_000_000_000,
            u32::MAX,
        ];
        let digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, usize::MAX];
        let same = |s: i64, n: u32, d: usize| {
            assert_eq!(
                rfc3339(s, n, d),
                rfc3339_with_format(s, n, d),
                "{s} {n} {d}"
            );
        };
        for (i, &s) in secs.iter().enumerate() {
            for (j, &d) in digits.iter().enumerate() {
                same(s, nanos[(i + j) % nanos.len()], d);
            }
        }
        for &s in &secs[..12] {
            for &n in &nanos {
                for &d in &digits {
                    same(s, n, d);
                }
            }
        }
        // Every second of one day, through every hour, minute and second.
        for s in 0..86_400 {
            same(day(2026, 11, 22) + s, 457_427_363, (s % 10) as usize);
        }
        let t = UNIX_EPOCH - Duration::new(1, 1);
        let (s, n) = unix(t);
        assert_eq!(rfc3339_millis(t), rfc3339_with_format(s, n, 3));
    }

    #[test]
    fn a_time_before_1970_counts_its_fraction_forward() {
        let t = UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(rfc3339_millis(t), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn since_and_until_take_rfc3339_relative_and_epoch_times() {
        let now = 1_000_000.0;
        assert_eq!(parse_time("10m", now), Ok(now - 600.0));
        assert_eq!(parse_time("1h30m", now), Ok(now - 5400.0));
        assert_eq!(parse_time("2d", now), Ok(now - 172_800.0));
        assert_eq!(parse_time("1795389771.5", now), Ok(1_795_389_771.5));
        assert_eq!(parse_time("1970-01-02", now), Ok(86_400.0));
        assert_eq!(parse_time("1970-01-01T01:00:00Z", now), Ok(3600.0));
        assert_eq!(parse_time("1970-01-01T01:00:00.25Z", now), Ok(3600.25));
        assert_eq!(parse_time("1970-01-01T01:00:00+01:00", now), Ok(0.0));
        assert_eq!(parse_time("1970-01-01 00:30-00:30", now), Ok(3600.0));
        assert_eq!(
            parse_time("2026-11-22T23:19:27.983Z", now),
            Ok(1_795_389_567.983)
        );
        for bad in [
            "",
            "yesterday",
            "10x",
            "2026-13-01",
            "2026-11-22T25:00Z",
            "1970-1-2",
            "m",
        ] {
            assert!(parse_time(bad, now).is_err(), "{bad:?}");
        }
    }
}
