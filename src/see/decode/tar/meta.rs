//! GNU long-name and pax extended headers: the long names and sizes they give the entry
//! that follows.

use super::header::trim_nul;
use super::{State, TarSummary, MAX_META};

#[derive(Debug)]
pub(super) struct Meta {
    pub(super) kind: u8,
    pub(super) buf: Vec<u8>,
    pub(super) remaining: u64,
    pub(super) padding: u64,
}

/// What GNU long-name and pax headers say about the entry that follows them.
#[derive(Debug, Default)]
pub(super) struct Overrides {
    pub(super) path: Option<Vec<u8>>,
    pub(super) link: Option<Vec<u8>>,
    pub(super) size: Option<u64>,
}

impl TarSummary {
    pub(super) fn meta_bytes(&mut self, bytes: &[u8]) -> usize {
        let Some(meta) = &mut self.meta else {
            self.state = State::Header;
            return 0;
        };
        let n = meta.remaining.min(bytes.len() as u64) as usize;
        let room = MAX_META.saturating_sub(meta.buf.len()).min(n);
        meta.buf.extend_from_slice(&bytes[..room]);
        meta.remaining -= n as u64;
        if meta.remaining == 0 {
            let meta = self.meta.take().expect("meta is set");
            match meta.kind {
                b'L' => self.next.path = Some(trim_nul(&meta.buf).to_vec()),
                b'K' => self.next.link = Some(trim_nul(&meta.buf).to_vec()),
                b'x' => self.pax(&meta.buf),
                // Global pax headers ('g') apply to the whole archive; nothing to list.
                _ => {}
            }
            self.skip = meta.padding;
            self.state = if self.skip > 0 {
                State::Data
            } else {
                State::Header
            };
        }
        n
    }
    /// pax extended header records: `"<len> <key>=<value>\n"`.
    fn pax(&mut self, mut buf: &[u8]) {
        while let Some(space) = buf.iter().position(|&b| b == b' ') {
            let Some(len) = std::str::from_utf8(&buf[..space])
                .ok()
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|&len| len > space && len <= buf.len())
            else {
                return;
            };
            let record = &buf[space + 1..len];
            let record = record.strip_suffix(b"\n").unwrap_or(record);
            if let Some(eq) = record.iter().position(|&b| b == b'=') {
                let (key, value) = (&record[..eq], &record[eq + 1..]);
                match key {
                    b"path" => self.next.path = Some(value.to_vec()),
                    b"linkpath" => self.next.link = Some(value.to_vec()),
                    b"size" => {
                        self.next.size =
                            std::str::from_utf8(value).ok().and_then(|s| s.parse().ok())
                    }
                    _ => {}
                }
            }
            buf = &buf[len..];
        }
    }
}
