//! `GET /containers/{id}/stats`: each sample as the `docker stats` row.

use std::fmt::Write;

use serde_json::Value;

use super::short_id;
use crate::see::decode::escape::escape;
use crate::see::decode::Label;

/// Like `docker stats`: CPU %, memory used/limit, pids, network totals.
pub(super) fn stats(v: &Value) -> Option<(Label, String)> {
    let o = v.as_object()?;
    if !o.contains_key("cpu_stats") && !o.contains_key("memory_stats") {
        return None;
    }
    let u = |v: &Value, path: &[&str]| -> Option<u64> {
        path.iter().try_fold(v, |v, k| v.get(k))?.as_u64()
    };
    let mut text = String::new();
    let name = o
        .get("name")
        .and_then(Value::as_str)
        .map(|n| n.trim_start_matches('/').to_owned())
        .or_else(|| {
            o.get("id")
                .and_then(Value::as_str)
                .map(|id| short_id(id).to_owned())
        });
    if let Some(name) = name {
        text.push_str(&escape(name.as_bytes()));
        text.push(' ');
    }
    // The CLI's calculateCPUPercentUnix, against the previous sample dockerd includes.
    let cpu = u(v, &["cpu_stats", "cpu_usage", "total_usage"]);
    let pre_cpu = u(v, &["precpu_stats", "cpu_usage", "total_usage"]);
    let system = u(v, &["cpu_stats", "system_cpu_usage"]);
    let pre_system = u(v, &["precpu_stats", "system_cpu_usage"]).filter(|&s| s > 0);
    let cpus = u(v, &["cpu_stats", "online_cpus"])
        .filter(|&n| n > 0)
        .or_else(|| {
            let per = v.get("cpu_stats")?.get("cpu_usage")?.get("percpu_usage")?;
            Some(per.as_array()?.len() as u64)
        });
    match (cpu, pre_cpu, system, pre_system, cpus) {
        (Some(c), Some(pc), Some(s), Some(ps), Some(n)) => {
            let cpu_delta = c as f64 - pc as f64;
            let system_delta = s as f64 - ps as f64;
            let pct = if cpu_delta > 0.0 && system_delta > 0.0 {
                cpu_delta / system_delta * n as f64 * 100.0
            } else {
                0.0
            };
            let _ = write!(text, "cpu {pct:.2}%");
        }
        // The first sample of a stream has no previous one.
        _ => text.push_str("cpu -"),
    }
    if let Some(usage) = u(v, &["memory_stats", "usage"]) {
        // The CLI's calculateMemUsageUnixNoCache: page cache that can be dropped is not "used".
        let inactive = u(v, &["memory_stats", "stats", "total_inactive_file"])
            .or_else(|| u(v, &["memory_stats", "stats", "inactive_file"]))
            .filter(|&i| i < usage)
            .unwrap_or(0);
        let used = usage - inactive;
        let _ = write!(text, "  mem {}", size(used));
        if let Some(limit) = u(v, &["memory_stats", "limit"]).filter(|&l| l > 0) {
            let _ = write!(
                text,
                " / {} ({:.2}%)",
                size(limit),
                used as f64 / limit as f64 * 100.0
            );
        }
    }
    if let Some(pids) = u(v, &["pids_stats", "current"]) {
        let _ = write!(text, "  pids {pids}");
    }
    if let Some(nets) = o.get("networks").and_then(Value::as_object) {
        let sum = |k: &str| {
            nets.values()
                .filter_map(|n| n.get(k)?.as_u64())
                .sum::<u64>()
        };
        let _ = write!(
            text,
            "  net rx {} tx {}",
            size(sum("rx_bytes")),
            size(sum("tx_bytes"))
        );
    }
    Some((Label::Stats, text))
}

/// Binary units, as `docker stats` shows memory.
pub(crate) fn size(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.2}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::see::decode::jsonl::tests::decode_all;
    use crate::see::decode::jsonl::JsonKind;
    use crate::see::decode::tests::lines;

    /// `docker stats --no-stream probe-x` (trace stats): one object, `stream=0`.
    const STATS: &[u8] = br#"{"read":"2026-11-22T19:41:21.353805961Z","preread":"2026-11-22T19:41:20.346944681Z","pids_stats":{"current":2},"blkio_stats":{"io_service_bytes_recursive":[],"io_serviced_recursive":[],"io_queue_recursive":[],"io_service_time_recursive":[],"io_wait_time_recursive":[],"io_merged_recursive":[],"io_time_recursive":[],"sectors_recursive":[]},"num_procs":0,"storage_stats":{},"cpu_stats":{"cpu_usage":{"total_usage":165127341,"percpu_usage":[61896888,103230453],"usage_in_kernelmode":70000000,"usage_in_usermode":90000000},"system_cpu_usage":5781430000000,"online_cpus":2,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"precpu_stats":{"cpu_usage":{"total_usage":163797378,"percpu_usage":[61685278,102112100],"usage_in_kernelmode":60000000,"usage_in_usermode":90000000},"system_cpu_usage":5779560000000,"online_cpus":2,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"memory_stats":{"usage":655360,"max_usage":3825664,"stats":{"active_anon":8192,"active_file":0,"cache":0,"dirty":0,"hierarchical_memory_limit":9223372036854771712,"hierarchical_memsw_limit":9223372036854771712,"inactive_anon":110592,"inactive_file":0,"mapped_file":0,"pgfault":5918,"pgmajfault":0,"pgpgin":3592,"pgpgout":3563,"rss":118784,"rss_huge":0,"total_active_anon":8192,"total_active_file":0,"total_cache":0,"total_dirty":0,"total_inactive_anon":110592,"total_inactive_file":0,"total_mapped_file":0,"total_pgfault":5918,"total_pgmajfault":0,"total_pgpgin":3592,"total_pgpgout":3563,"total_rss":118784,"total_rss_huge":0,"total_unevictable":0,"total_writeback":0,"unevictable":0,"writeback":0},"limit":25276502016},"name":"/probe-x","id":"6336c44b261a78a17938eaafd8f8a1c1360d0d28b0bd08b5426ff4fe8c640faa","networks":{"eth0":{"rx_bytes":746,"rx_packets":7,"rx_errors":0,"rx_dropped":0,"tx_bytes":0,"tx_packets":0,"tx_errors":0,"tx_dropped":0}}}
"#;

    #[test]
    fn a_stats_sample_becomes_the_docker_stats_row() {
        // cpu: (165127341-163797378) / (5781430000000-5779560000000) * 2 cpus = 0.14%.
        assert_eq!(
            lines(&decode_all(JsonKind::Stats, &[STATS])),
            [(
                Label::Stats,
                "probe-x cpu 0.14%  mem 640.00KiB / 23.54GiB (0.00%)  pids 2  net rx 746B tx 0B"
            )]
        );
    }

    #[test]
    fn the_first_sample_of_a_stats_stream_has_no_cpu_figure() {
        // trace stats-stream: the first object has a zero `preread` and no precpu system usage.
        let first = br#"{"read":"2026-11-22T19:41:23.660746755Z","preread":"0001-01-01T00:00:00Z","pids_stats":{"current":2},"cpu_stats":{"cpu_usage":{"total_usage":168404163},"system_cpu_usage":5785800000000,"online_cpus":2},"precpu_stats":{"cpu_usage":{"total_usage":0}},"memory_stats":{"usage":483328,"stats":{"total_inactive_file":0}}}"#;
        assert_eq!(
            lines(&decode_all(JsonKind::Stats, &[first])),
            [(Label::Stats, "cpu -  mem 472.00KiB  pids 2")]
        );
    }
    #[test]
    fn memory_sizes_use_binary_units() {
        assert_eq!(size(1023), "1023B");
        assert_eq!(size(1536), "1.50KiB");
        assert_eq!(size(25276502016), "23.54GiB");
    }
}
