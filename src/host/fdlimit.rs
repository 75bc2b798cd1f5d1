//! The open-file limit. A client costs one descriptor while idle and two while a request is
//! in flight (its connection and the daemon's), so the usual soft limit of 1,024 caps
//! sockeye near 500 busy clients while the hard limit, which an unprivileged process may
//! raise itself to, is often far higher.

use std::fmt;

use nix::sys::resource::{getrlimit, setrlimit, Resource};

/// The limit in force after [`raise`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdLimit {
    pub soft: u64,
    /// The soft limit before, when it was raised.
    pub raised_from: Option<u64>,
}

impl fmt::Display for FdLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fd limit {}", self.soft)?;
        if let Some(old) = self.raised_from {
            write!(f, " (raised from {old})")?;
        }
        Ok(())
    }
}

/// The kernel refuses a soft limit above `fs.nr_open` even when the hard limit is
/// "unlimited".
fn nr_open() -> u64 {
    std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1 << 20)
}

/// Raise the soft `RLIMIT_NOFILE` to the hard limit. A failure keeps the old limit, which
/// is still a working one: it is reported, never fatal.
pub fn raise() -> Result<FdLimit, String> {
    let (soft, hard) =
        getrlimit(Resource::RLIMIT_NOFILE).map_err(|e| format!("cannot read the fd limit: {e}"))?;
    let target = hard.min(nr_open());
    if soft >= target {
        return Ok(FdLimit {
            soft,
            raised_from: None,
        });
    }
    setrlimit(Resource::RLIMIT_NOFILE, target, hard)
        .map_err(|e| format!("cannot raise the fd limit from {soft} to {target}: {e}"))?;
    Ok(FdLimit {
        soft: target,
        raised_from: Some(soft),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_startup_line_says_the_limit_and_what_it_was() {
        let l = FdLimit {
            soft: 524_288,
            raised_from: Some(1024),
        };
        assert_eq!(l.to_string(), "fd limit 524288 (raised from 1024)");
        let same = FdLimit {
            soft: 1024,
            raised_from: None,
        };
        assert_eq!(same.to_string(), "fd limit 1024");
    }

    #[test]
    fn raising_reaches_the_hard_limit() {
        let l = raise().unwrap();
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        assert_eq!(l.soft, soft);
        assert_eq!(soft, hard.min(nr_open()));
    }
}
