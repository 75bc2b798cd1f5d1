//! A remote sink's durable queue: its records as JSON lines in append-only segment files,
//! and the position up to which the receiver has acknowledged them.
//!
//! Positions are byte offsets in one endless stream; a segment is named by the position of
//! its first byte (`00000000000000001234.seg`), so the file that holds a position, and the
//! bytes still queued (`end - acked`), follow from names and sizes alone. The acknowledged
//! position lives in `acked`, replaced whole (written aside, then renamed), so a crash
//! leaves the old or the new one: at worst a batch is sent twice, never skipped.
//! `lock` is held (`flock`) while a sockeye uses the spool: two never share one.
//!
//! Appends come from relay threads (one `write` of one whole line, as the audit file is
//! written); reads and acknowledgements from the sink's shipping task. Readers see only
//! what was appended whole (`end` moves after the write).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

/// Largest segment: delivered records are removed a whole segment at a time.
const SEGMENT_MAX: u64 = 4 << 20;
/// Smallest segment, for a small bound.
const SEGMENT_MIN: u64 = 4 << 10;

/// One sink's spool, opened and locked.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    fsync: bool,
    segment_max: u64,
    /// Start positions of the segment files, oldest first; never empty.
    segments: Vec<u64>,
    /// The newest segment, open for appending.
    file: Option<File>,
    /// Position after the last whole record.
    end: u64,
    /// Everything before this was acknowledged by the receiver.
    acked: u64,
    /// Records between `acked` and `end`.
    records: u64,
    _lock: Flock<File>,
}

impl Spool {
    /// Open (creating) the spool in `dir`, which no other sockeye may hold. A record cut short
    /// by a crash (only possible after a power loss: records are written whole) is cut off.
    pub fn open(dir: &Path, fsync: bool, bound: u64) -> Result<Spool, String> {
        let said = |e: io::Error| format!("the audit spool {}: {e}", dir.display());
        // Records name who did what: the spool is the owner's alone, as the audit file is.
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                format!(
                    "cannot create the audit spool directory {}: {e}; give --audit-spool DIR on a \
                 writable filesystem",
                    dir.display()
                )
            })?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(dir.join("lock"))
            .map_err(said)?;
        let lock = Flock::lock(lock, FlockArg::LockExclusiveNonblock).map_err(|_| {
            format!(
                "the audit spool {} is in use by another sockeye; give each one its own \
                 --audit-spool DIR",
                dir.display()
            )
        })?;
        let mut segments = Vec::new();
        for entry in fs::read_dir(dir).map_err(said)? {
            let name = entry.map_err(said)?.file_name();
            let name = name.to_string_lossy();
            if let Some(start) = name
                .strip_suffix(".seg")
                .and_then(|n| n.parse::<u64>().ok())
            {
                segments.push(start);
            }
        }
        segments.sort_unstable();
        let acked_file = fs::read_to_string(dir.join("acked")).ok();
        let acked_read = acked_file
            .as_deref()
            .and_then(|s| s.trim().parse::<u64>().ok());
        if segments.is_empty() {
            segments.push(acked_read.unwrap_or(0));
        }
        let last = *segments.last().expect("not empty");
        let end = last + whole_length(&segment_path(dir, last), fsync).map_err(said)?;
        let first = segments[0];
        let acked = acked_read.unwrap_or(first).clamp(first, end);
        let mut spool = Spool {
            dir: dir.to_owned(),
            fsync,
            segment_max: (bound / 4).clamp(SEGMENT_MIN, SEGMENT_MAX),
            segments,
            file: None,
            end,
            acked,
            records: 0,
            _lock: lock,
        };
        spool.records = spool.count(acked, end).map_err(said)?;
        spool.remove_delivered();
        Ok(spool)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes queued: appended and not yet acknowledged.
    pub fn bytes(&self) -> u64 {
        self.end - self.acked
    }

    /// Records queued.
    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn end(&self) -> u64 {
        self.end
    }

    pub fn acked(&self) -> u64 {
        self.acked
    }

    /// Segment files on disk (for tests and the log).
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Append one record (`line` ends with its newline) in one write. On failure the segment
    /// is cut back, so the spool holds only whole records.
    pub fn append(&mut self, line: &[u8]) -> io::Result<()> {
        debug_assert!(line.ends_with(b"\n"));
        let last = *self.segments.last().expect("not empty");
        if self.end > last && self.end - last + line.len() as u64 > self.segment_max {
            self.segments.push(self.end);
            self.file = None;
        }
        let start = *self.segments.last().expect("not empty");
        if self.file.is_none() {
            let path = segment_path(&self.dir, start);
            let created = !path.exists();
            self.file = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .mode(0o600)
                    .open(&path)?,
            );
            if created && self.fsync {
                sync_dir(&self.dir)?;
            }
        }
        let before = self.end - start;
        let file = self.file.as_mut().expect("opened above");
        let written =
            file.write_all(line)
                .and_then(|()| if self.fsync { file.sync_data() } else { Ok(()) });
        if let Err(e) = written {
            let _ = file.set_len(before);
            self.file = None;
            return Err(e);
        }
        self.end += line.len() as u64;
        self.records += 1;
        Ok(())
    }

    /// Up to `max_records` whole records (without their newlines) from `from`, at most about
    /// `max_bytes` of them (always at least one), and the position after the last.
    pub fn read(
        &self,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> io::Result<(Vec<Vec<u8>>, u64)> {
        let mut out = Vec::new();
        let mut pos = from;
        let mut taken = 0usize;
        while pos < self.end && out.len() < max_records && (out.is_empty() || taken < max_bytes) {
            let i = self.segments.partition_point(|&s| s <= pos) - 1;
            let start = self.segments[i];
            let stop = self.segments.get(i + 1).copied().unwrap_or(self.end);
            let mut f = File::open(segment_path(&self.dir, start))?;
            f.seek(SeekFrom::Start(pos - start))?;
            let want = (stop - pos).min(max_bytes.saturating_sub(taken).max(64 << 10) as u64);
            let mut buf = Vec::with_capacity(want as usize);
            f.take(want).read_to_end(&mut buf)?;
            let mut rest = &buf[..];
            let mut progressed = false;
            while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
                if out.len() >= max_records || (!out.is_empty() && taken >= max_bytes) {
                    break;
                }
                out.push(rest[..nl].to_vec());
                taken += nl;
                pos += nl as u64 + 1;
                rest = &rest[nl + 1..];
                progressed = true;
            }
            if !progressed {
                if (buf.len() as u64) < stop - pos {
                    // One record longer than what was read: read it whole.
                    let mut f = File::open(segment_path(&self.dir, start))?;
                    f.seek(SeekFrom::Start(pos - start))?;
                    let mut whole = Vec::new();
                    f.take(stop - pos).read_to_end(&mut whole)?;
                    let nl = whole.iter().position(|&b| b == b'\n').ok_or_else(|| {
                        io::Error::new(io::ErrorKind::InvalidData, "a record without its end")
                    })?;
                    out.push(whole[..nl].to_vec());
                    taken += nl;
                    pos += nl as u64 + 1;
                    continue;
                }
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a record without its end",
                ));
            }
        }
        Ok((out, pos))
    }

    /// The receiver has every record before `pos` (`count` of them): remember it, and remove
    /// the segments it emptied.
    pub fn ack(&mut self, pos: u64, count: u64) -> io::Result<()> {
        debug_assert!(pos >= self.acked && pos <= self.end);
        let tmp = self.dir.join("acked.tmp");
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(format!("{pos}\n").as_bytes())?;
        if self.fsync {
            f.sync_data()?;
        }
        fs::rename(&tmp, self.dir.join("acked"))?;
        if self.fsync {
            sync_dir(&self.dir)?;
        }
        self.acked = pos;
        self.records = self.records.saturating_sub(count);
        self.remove_delivered();
        Ok(())
    }

    /// Remove every segment wholly before `acked` (the newest stays: it is appended to).
    fn remove_delivered(&mut self) {
        while self.segments.len() > 1 && self.segments[1] <= self.acked {
            let old = self.segments.remove(0);
            if let Err(e) = fs::remove_file(segment_path(&self.dir, old)) {
                if e.kind() != io::ErrorKind::NotFound {
                    tracing::warn!(
                        "cannot remove the delivered spool segment {}: {e}",
                        segment_path(&self.dir, old).display()
                    );
                }
            }
        }
    }

    /// Records (newlines) between two positions.
    fn count(&self, from: u64, to: u64) -> io::Result<u64> {
        let mut n = 0;
        let mut pos = from;
        while pos < to {
            let (recs, next) = self.read(pos, 4096, 4 << 20)?;
            n += recs.len() as u64;
            if next == pos {
                break;
            }
            pos = next;
        }
        Ok(n)
    }
}

fn segment_path(dir: &Path, start: u64) -> PathBuf {
    dir.join(format!("{start:020}.seg"))
}

/// The length of a segment's whole records: a missing file is empty, a tail without its
/// newline is cut off.
fn whole_length(path: &Path, fsync: bool) -> io::Result<u64> {
    let mut f = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    let mut cut = len;
    let mut chunk = vec![0u8; 64 << 10];
    while cut > 0 {
        let take = (cut as usize).min(chunk.len());
        f.seek(SeekFrom::Start(cut - take as u64))?;
        f.read_exact(&mut chunk[..take])?;
        match chunk[..take].iter().rposition(|&b| b == b'\n') {
            Some(i) => {
                cut = cut - take as u64 + i as u64 + 1;
                break;
            }
            None => cut -= take as u64,
        }
    }
    if cut < len {
        tracing::warn!(
            "the audit spool segment {} ended in a record cut short (a crash while it was \
             written); cut it off",
            path.display()
        );
        f.set_len(cut)?;
        if fsync {
            f.sync_data()?;
        }
    }
    Ok(cut)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A spool directory's name for a sink: its name with anything but letters, digits, `.`
/// and `-` as `_` (`syslog tcp://127.0.0.1:514` → `syslog_tcp_127.0.0.1_514`).
pub fn dir_name(sink: &str) -> String {
    let mut out = String::with_capacity(sink.len());
    for c in sink.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out.trim_matches('_').to_owned()
}
