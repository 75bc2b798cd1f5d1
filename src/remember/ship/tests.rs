use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::spool::{dir_name, Spool};
use super::*;
use crate::event::Sink;

fn line(n: u64) -> Vec<u8> {
    format!("{{\"id\":\"#1.{n}\",\"pad\":\"{}\"}}\n", "x".repeat(100)).into_bytes()
}

fn ids(batch: &[Vec<u8>]) -> Vec<String> {
    batch
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_slice(l).unwrap();
            v["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn the_spool_reads_from_its_acknowledged_position_across_segments_and_removes_delivered_ones() {
    let dir = tempfile::tempdir().unwrap();
    // A 16 KiB bound gives 4 KiB segments: about 30 records each.
    let mut spool = Spool::open(dir.path(), false, 16 << 10).unwrap();
    for n in 1..=100 {
        spool.append(&line(n)).unwrap();
    }
    assert_eq!(spool.records(), 100);
    assert_eq!(
        spool.bytes(),
        (1..=100).map(|n| line(n).len() as u64).sum::<u64>()
    );
    assert!(spool.segment_count() >= 3, "{}", spool.segment_count());
    let (batch, to) = spool.read(spool.acked(), 40, 1 << 20).unwrap();
    assert_eq!(
        ids(&batch),
        (1..=40).map(|n| format!("#1.{n}")).collect::<Vec<_>>()
    );
    let before = spool.segment_count();
    spool.ack(to, 40).unwrap();
    assert_eq!(spool.records(), 60);
    assert!(
        spool.segment_count() < before,
        "a delivered segment is removed"
    );
    // Reopened (a restart): the same position, the same records.
    drop(spool);
    let spool = Spool::open(dir.path(), false, 16 << 10).unwrap();
    assert_eq!(spool.records(), 60);
    let (batch, _) = spool.read(spool.acked(), 1000, 1 << 20).unwrap();
    assert_eq!(ids(&batch).first().unwrap(), "#1.41");
    assert_eq!(ids(&batch).last().unwrap(), "#1.100");
}

#[test]
fn a_batch_stops_at_its_byte_bound_but_takes_at_least_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), false, 1 << 30).unwrap();
    let big = format!("{{\"id\":\"#1.1\",\"pad\":\"{}\"}}\n", "y".repeat(200_000));
    spool.append(big.as_bytes()).unwrap();
    spool.append(&line(2)).unwrap();
    let (batch, to) = spool.read(0, 100, 1000).unwrap();
    assert_eq!(ids(&batch), ["#1.1"]);
    assert_eq!(to, big.len() as u64);
    let (batch, _) = spool.read(to, 100, 1000).unwrap();
    assert_eq!(ids(&batch), ["#1.2"]);
}

#[test]
fn a_record_cut_short_by_a_crash_is_cut_off_when_the_spool_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), false, 1 << 20).unwrap();
    spool.append(&line(1)).unwrap();
    drop(spool);
    let seg = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "seg"))
        .unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
    std::io::Write::write_all(&mut f, b"{\"id\":\"#1.2\",\"pa").unwrap();
    let spool = Spool::open(dir.path(), false, 1 << 20).unwrap();
    assert_eq!(spool.records(), 1);
    assert_eq!(spool.bytes(), line(1).len() as u64);
}

#[test]
fn two_sockeyes_never_share_a_spool() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Spool::open(dir.path(), false, 1 << 20).unwrap();
    let err = Spool::open(dir.path(), false, 1 << 20).unwrap_err();
    assert!(err.contains("is in use by another sockeye"), "{err}");
}

#[test]
fn a_spool_directory_that_cannot_be_created_is_one_plain_sentence() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "").unwrap();
    let err = Spool::open(&dir.path().join("file/spool"), false, 1 << 20).unwrap_err();
    assert!(
        err.starts_with("cannot create the audit spool directory") && !err.contains('\n'),
        "{err}"
    );
}

#[test]
fn spool_names_and_sizes() {
    assert_eq!(
        dir_name("syslog tcp://127.0.0.1:514"),
        "syslog_tcp_127.0.0.1_514"
    );
    assert_eq!(dir_name("syslog unix:///dev/log"), "syslog_unix_dev_log");
    assert_eq!(parse_size("256M"), Ok(256 << 20));
    assert_eq!(parse_size("64k"), Ok(64 << 10));
    assert_eq!(parse_size("1G"), Ok(1 << 30));
    assert_eq!(parse_size("4096"), Ok(4096));
    assert!(parse_size("12Q").is_err());
    assert!(parse_size("M").is_err());
    assert!(parse_size("99999999999G").is_err());
}

/// A transport that keeps what it got, and fails while told to.
#[derive(Clone, Default)]
struct Fake {
    got: Arc<Mutex<Vec<Vec<u8>>>>,
    down: Arc<Mutex<bool>>,
}

impl Transport for Fake {
    fn name(&self) -> &str {
        "fake test://receiver"
    }
    fn send<'a>(
        &'a mut self,
        batch: &'a [Vec<u8>],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            if *self.down.lock().unwrap() {
                return Err("connection refused".into());
            }
            self.got.lock().unwrap().extend(batch.iter().cloned());
            Ok(())
        })
    }
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn opts(dir: &std::path::Path, max: u64, fail_open: bool) -> ShipOptions {
    ShipOptions {
        spool: dir.to_owned(),
        max_bytes: max,
        fsync: false,
        fail_open,
    }
}

fn record(n: u64) -> Vec<u8> {
    let mut l = line(n);
    l.pop();
    l
}

#[test]
fn past_its_bound_a_down_sink_refuses_calls_and_delivers_everything_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::default();
    *fake.down.lock().unwrap() = true;
    let max = 10 * line(1).len() as u64;
    let sink = RemoteSink::start(fake.clone(), &opts(dir.path(), max, false)).unwrap();
    let mut kept = 0;
    for n in 1..=100 {
        if sink.admit().is_err() {
            break;
        }
        sink.keep_line(&record(n), false);
        kept = n;
    }
    assert_eq!(kept, 10, "admitted while under the bound");
    wait_until("a send failed", || !sink.stats().up);
    let why = sink.admit().unwrap_err();
    assert!(
        why.contains("cannot deliver (connection refused)") && why.contains("is full"),
        "{why}"
    );
    let stats = sink.stats();
    assert_eq!((stats.queued_records, stats.up), (10, false));
    // The refused call's own record has no room either: counted, and said in the next one.
    sink.keep_line(&record(11), true);
    *fake.down.lock().unwrap() = false;
    wait_until("the queue is delivered", || {
        fake.got.lock().unwrap().len() == 10
    });
    wait_until("calls are admitted again", || sink.admit().is_ok());
    sink.keep_line(&record(12), false);
    wait_until("the next record is delivered", || {
        fake.got.lock().unwrap().len() == 11
    });
    let got = fake.got.lock().unwrap().clone();
    let mut want: Vec<String> = (1..=10).map(|n| format!("#1.{n}")).collect();
    want.push("#1.12".into());
    assert_eq!(ids(&got), want, "in order, each once");
    let last: serde_json::Value = serde_json::from_slice(got.last().unwrap()).unwrap();
    assert_eq!(last["unrecorded"], 1, "the call without a record is said");
    let first: serde_json::Value = serde_json::from_slice(&got[0]).unwrap();
    assert!(first.get("unrecorded").is_none());
    let stats = sink.stats();
    assert_eq!(
        (
            stats.delivered,
            stats.unrecorded_refused,
            stats.queued_records,
            stats.up
        ),
        (11, 1, 0, true)
    );
    assert!(stats.failures >= 1);
    sink.stop(Duration::from_secs(5));
}

#[test]
fn fail_open_serves_past_the_bound_and_counts_what_it_could_not_keep() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::default();
    *fake.down.lock().unwrap() = true;
    let max = 5 * line(1).len() as u64;
    let sink = RemoteSink::start(fake.clone(), &opts(dir.path(), max, true)).unwrap();
    for n in 1..=8 {
        assert!(sink.admit().is_ok(), "fail open admits every call");
        sink.keep_line(&record(n), false);
    }
    assert_eq!(sink.stats().unrecorded_served, 3);
    *fake.down.lock().unwrap() = false;
    wait_until("the queue is delivered", || {
        fake.got.lock().unwrap().len() == 5
    });
    sink.keep_line(&record(9), false);
    wait_until("the next record is delivered", || {
        fake.got.lock().unwrap().len() == 6
    });
    let got = fake.got.lock().unwrap().clone();
    let last: serde_json::Value = serde_json::from_slice(got.last().unwrap()).unwrap();
    assert_eq!(
        (last["id"].as_str(), last["unrecorded"].as_u64()),
        (Some("#1.9"), Some(3))
    );
    sink.stop(Duration::from_secs(5));
}

#[test]
fn records_spooled_while_the_receiver_was_down_are_delivered_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::default();
    *fake.down.lock().unwrap() = true;
    let sink = RemoteSink::start(fake.clone(), &opts(dir.path(), 1 << 20, false)).unwrap();
    for n in 1..=20 {
        sink.keep_line(&record(n), false);
    }
    sink.stop(Duration::from_millis(200));
    drop(sink);
    let again = Fake::default();
    let sink = RemoteSink::start(again.clone(), &opts(dir.path(), 1 << 20, false)).unwrap();
    sink.keep_line(&record(21), false);
    wait_until("everything is delivered", || {
        again.got.lock().unwrap().len() == 21
    });
    assert_eq!(
        ids(&again.got.lock().unwrap()),
        (1..=21).map(|n| format!("#1.{n}")).collect::<Vec<_>>()
    );
    sink.stop(Duration::from_secs(5));
    assert!(fake.got.lock().unwrap().is_empty());
}

#[test]
fn the_unrecorded_count_is_added_as_the_last_field() {
    let l = state_with_unrecorded(b"{\"v\":1,\"id\":\"#1.1\"}\n".to_vec(), 7);
    assert_eq!(l, b"{\"v\":1,\"id\":\"#1.1\",\"unrecorded\":7}\n");
}

use super::state::with_unrecorded as state_with_unrecorded;

#[test]
fn metrics_show_each_sink_by_name() {
    use crate::remember::metrics::{Metrics, Scraped};
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::default();
    *fake.down.lock().unwrap() = true;
    let max = 2 * line(1).len() as u64;
    let sink = RemoteSink::start(fake.clone(), &opts(dir.path(), max, true)).unwrap();
    for n in 1..=3 {
        sink.keep_line(&record(n), false);
    }
    wait_until("a send failed", || !sink.stats().up);
    let m = Metrics::new(Scraped {
        ship: vec![sink.clone()],
        ..Scraped::default()
    });
    let text = m.encode();
    for want in [
        "sockeye_audit_sink_queued_records{sink=\"fake test://receiver\"} 2\n",
        "sockeye_audit_sink_up{sink=\"fake test://receiver\"} 0\n",
        &format!("sockeye_audit_sink_spool_limit_bytes{{sink=\"fake test://receiver\"}} {max}\n"),
        "sockeye_audit_sink_delivered_records_total{sink=\"fake test://receiver\"} 0\n",
        "sockeye_audit_unrecorded_total{sink=\"fake test://receiver\",call=\"served\"} 1\n",
        "sockeye_audit_unrecorded_total{sink=\"fake test://receiver\",call=\"refused\"} 0\n",
    ] {
        assert!(text.contains(want), "{want} not in\n{text}");
    }
    assert!(text.contains("sockeye_audit_sink_send_failures_total{sink=\"fake test://receiver\"} "));
    sink.stop(Duration::ZERO);
}

#[test]
fn with_fsync_records_and_the_acknowledged_position_are_synced_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), true, 16 << 10).unwrap();
    for n in 1..=60 {
        spool.append(&line(n)).unwrap();
    }
    let (batch, to) = spool.read(spool.acked(), 50, 1 << 20).unwrap();
    spool.ack(to, batch.len() as u64).unwrap();
    drop(spool);
    let spool = Spool::open(dir.path(), true, 16 << 10).unwrap();
    assert_eq!((spool.records(), spool.acked()), (10, to));
}
