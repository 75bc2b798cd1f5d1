//! A Unix-socket caller's process as `/proc/<pid>/stat` names it: its name and when it
//! started. The pair (pid, start time) names one process for as long as the system runs: a
//! recycled pid comes with a later start time, so what was learnt about a process (the
//! container it runs in) is cached under that key and never handed to its successor.

/// One reading of `/proc/<pid>/stat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    /// `comm`: the process's name now (an exec sets it to the new file's name; the process
    /// itself may change it).
    pub name: Option<String>,
    /// When the process started, in clock ticks after boot (field 22): with the pid, the
    /// process's identity.
    pub start: u64,
}

impl Process {
    /// `None` when the process is gone (or `pid` is not a pid this namespace can see).
    pub fn read(pid: i32) -> Option<Process> {
        if pid <= 0 {
            return None;
        }
        // Read on every connection a policy or a record needs the caller for: into a buffer on
        // the stack, without `std::fs::read`'s `statx` (a size hint /proc does not give) and
        // allocations, ≈ 5 k of the ≈ 8 k instructions this read cost (callgrind).
        let mut path = [0u8; 32];
        let path = proc_path(&mut path, pid, "/stat");
        let mut file = std::fs::File::open(path).ok()?;
        // 52 fields of at most 20 digits and a name of at most 64 bytes fit.
        let mut stat = [0u8; 1536];
        let mut len = 0;
        loop {
            match std::io::Read::read(&mut file, &mut stat[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
            if len == stat.len() {
                // Longer than any stat line seen: read it the general way.
                let stat = std::fs::read(path).ok()?;
                return Process::parse(pid, &stat);
            }
        }
        Process::parse(pid, &stat[..len])
    }

    /// The name sits in parentheses and may itself hold spaces and `)`: it ends at the last
    /// `)`, and the numbered fields follow.
    fn parse(pid: i32, stat: &[u8]) -> Option<Process> {
        let open = stat.iter().position(|&b| b == b'(')?;
        let close = stat.iter().rposition(|&b| b == b')')?;
        let name = String::from_utf8_lossy(stat.get(open + 1..close)?).into_owned();
        // Field 3 (state) is the first after the name; field 22 is the 20th. Split as bytes:
        // `str::split_ascii_whitespace` over the whole rest cost ≈ 3 k instructions.
        let start = stat
            .get(close + 1..)?
            .split(u8::is_ascii_whitespace)
            .filter(|field| !field.is_empty())
            .nth(19)?;
        let start = std::str::from_utf8(start).ok()?.parse().ok()?;
        Some(Process {
            pid,
            name: Some(name).filter(|n| !n.is_empty()),
            start,
        })
    }

    /// The key a cache may keep this process's facts under.
    pub fn key(&self) -> (i32, u64) {
        (self.pid, self.start)
    }

    /// Whether `pid` is still this process (not gone, not a successor with the same pid).
    pub fn still_running(&self) -> bool {
        Process::read(self.pid).is_some_and(|now| now.start == self.start)
    }
}

/// `/proc/<pid><file>`, written into `buf`.
pub(super) fn proc_path<'b>(buf: &'b mut [u8; 32], pid: i32, file: &str) -> &'b str {
    let mut digits = itoa::Buffer::new();
    let parts = [
        b"/proc/" as &[u8],
        digits.format(pid).as_bytes(),
        file.as_bytes(),
    ];
    let mut len = 0;
    for part in parts {
        buf[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    std::str::from_utf8(&buf[..len]).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_spaces_and_parentheses_and_the_start_time() {
        let stat = b"4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1197 0 0 0 3 1 0 0 20 0 1 0 \
                     987654 12345678 900 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0";
        let p = Process::parse(4242, stat).unwrap();
        assert_eq!(p.name.as_deref(), Some("my (odd) name"));
        assert_eq!(p.start, 987654);
    }

    #[test]
    fn this_process_reads_as_itself_and_a_missing_one_as_none() {
        let me = Process::read(std::process::id() as i32).unwrap();
        assert!(me.still_running());
        assert_eq!(
            me.name,
            std::fs::read_to_string("/proc/self/comm")
                .ok()
                .map(|s| s.trim_end().to_owned())
        );
        assert_eq!(Process::read(0), None);
        let mut buf = [0u8; 32];
        assert_eq!(
            proc_path(&mut buf, i32::MAX, "/stat"),
            "/proc/2147483647/stat"
        );
        assert_eq!(Process::read(i32::MAX), None);
    }
}
