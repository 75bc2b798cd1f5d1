use super::*;

fn record(n: u64) -> Record {
    Record {
        v: record::VERSION,
        time: "2026-11-22T00:00:00.000Z".into(),
        time_unix: 0.0,
        id: format!("#1.{n}"),
        conn: 1,
        req: n,
        caller: record::Caller::default(),
        endpoint: "ContainerList".into(),
        section: Some("containers".into()),
        action: "docker ps".into(),
        method: "GET".into(),
        path: "/containers/json".into(),
        api_version: None,
        params: Default::default(),
        decision: None,
        rule: None,
        reason: None,
        status: Some(200),
        answered_by: "daemon".into(),
        bytes_in: 0,
        bytes_out: 2,
        duration_ms: 0.1,
        hijacked: false,
        incomplete: false,
        error: None,
        facts: Default::default(),
    }
}

fn opts(path: &Path) -> AuditOptions {
    AuditOptions {
        path: Some(path.to_owned()),
        fsync: false,
        fail_open: false,
        max_size: None,
        keep: 3,
    }
}

fn lines(path: &Path) -> Vec<Record> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a whole record"))
        .collect()
}

#[test]
fn each_record_is_one_whole_line_and_the_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(opts(&path)).unwrap();
    for n in 1..=3 {
        log.write(&record(n));
    }
    let got = lines(&path);
    assert_eq!(got.len(), 3);
    assert_eq!(got[2], record(3));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn an_unwritable_log_refuses_calls_keeps_records_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(opts(&path)).unwrap();
    log.write(&record(1));
    assert!(log.admit().is_ok());

    // The file is moved away and a directory takes its name: reopening fails.
    std::fs::rename(&path, dir.path().join("moved.log")).unwrap();
    std::fs::create_dir(&path).unwrap();
    log.request_reopen();
    log.write(&record(2));
    let why = log.admit().unwrap_err();
    assert!(why.contains("cannot be written"), "{why}");
    log.write(&record(3));

    std::fs::remove_dir(&path).unwrap();
    std::thread::sleep(RETRY);
    assert!(log.admit().is_ok(), "writable again");
    let got: Vec<u64> = lines(&path).iter().map(|r| r.req).collect();
    assert_eq!(got, [2, 3], "nothing lost, in order");
}

#[test]
fn fail_open_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(AuditOptions {
        fail_open: true,
        ..opts(&path)
    })
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    log.request_reopen();
    log.write(&record(1));
    assert!(log.admit().is_ok());
    assert!(log.health().is_err());
}

#[test]
fn size_rotation_keeps_n_files_of_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let one = serde_json::to_vec(&record(1)).unwrap().len() as u64 + 1;
    let log = AuditLog::open(AuditOptions {
        max_size: Some(one * 2),
        keep: 2,
        ..opts(&path)
    })
    .unwrap();
    for n in 1..=7 {
        log.write(&record(n));
    }
    let req = |p: &Path| lines(p).iter().map(|r| r.req).collect::<Vec<_>>();
    assert_eq!(req(&path), [7]);
    assert_eq!(req(&dir.path().join("audit.log.1")), [5, 6]);
    assert_eq!(req(&dir.path().join("audit.log.2")), [3, 4]);
    assert!(!dir.path().join("audit.log.3").exists());
}

#[test]
fn reopen_follows_logrotate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(opts(&path)).unwrap();
    log.write(&record(1));
    std::fs::rename(&path, dir.path().join("audit.log.old")).unwrap();
    log.write(&record(2)); // still into the moved file, as logrotate expects before HUP
    log.request_reopen();
    log.write(&record(3));
    assert_eq!(lines(&dir.path().join("audit.log.old")).len(), 2);
    assert_eq!(lines(&path).len(), 1);
}
