//! A bundle's tar.gz, unpacked in memory with bounds: a bundle comes from a server, and a
//! server (or whoever sits in front of it) must not be able to exhaust memory, write outside
//! the bundle's own namespace, or smuggle a file in under a link.

use std::io::Read;

/// At most this many bytes decompressed, headers included.
pub const MAX_BYTES: u64 = 64 << 20;
/// At most this many entries.
pub const MAX_FILES: usize = 10_000;

/// One regular file of the bundle, by its path inside it (`a/b/data.json`, no leading `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads at most `left` bytes, then fails: a gzip bomb stops here, with a sentence.
struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream that ends exactly at the bound from one that goes on.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!(
                    "larger than {} MiB decompressed",
                    self.limit >> 20
                ))),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// The regular files of a tar.gz, each named by its normalized path. Directories are
/// skipped; links, devices and FIFOs, names that climb out (`..`) and a name given twice are
/// refused, as is anything past [`MAX_BYTES`] decompressed or [`MAX_FILES`] entries.
pub fn unpack(gz: &[u8], limit: u64) -> Result<Vec<File>, String> {
    let stream = Bounded {
        inner: flate2::read::GzDecoder::new(gz),
        left: limit,
        limit,
    };
    let mut archive = tar::Archive::new(stream);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar.gz: {e}"))?;
    let mut files: Vec<File> = Vec::new();
    for (i, entry) in entries.enumerate() {
        if i >= MAX_FILES {
            return Err(format!("more than {MAX_FILES} entries"));
        }
        let mut entry = entry.map_err(|e| format!("not a tar.gz: {e}"))?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        // pax and GNU long-name headers are read by `tar` itself and never show up here.
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            let what = match kind {
                tar::EntryType::Symlink => "a symbolic link",
                tar::EntryType::Link => "a hard link",
                _ => "not a regular file",
            };
            return Err(format!(
                "{raw:?} is {what}; a bundle holds regular files only"
            ));
        }
        let name = normalize(&raw)?;
        if files.iter().any(|f| f.name == name) {
            return Err(format!("{name:?} is in the bundle twice"));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size().min(1 << 20)).unwrap_or(0));
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{name}: {e}"))?;
        files.push(File { name, bytes });
    }
    Ok(files)
}

/// `/a/./b//data.json` as `a/b/data.json`; a name with `..`, a NUL or a backslash is refused.
pub fn normalize(raw: &str) -> Result<String, String> {
    if raw.contains('\0') || raw.contains('\\') {
        return Err(format!("{raw:?} is not a plain path"));
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(format!("{raw:?} climbs out of the bundle (..)")),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(format!("{raw:?} names no file"));
    }
    Ok(parts.join("/"))
}
