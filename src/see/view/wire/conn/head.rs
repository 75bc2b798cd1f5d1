//! A head being read line by line, and the checks that it still looks like HTTP.

use super::MAX_HEAD;

/// A head being read.
#[derive(Default)]
pub(super) struct Head {
    pub(super) buf: Vec<u8>,
    /// Where the line being read starts in `buf`.
    line_start: usize,
    /// The request or status line was read and looks right.
    first_line: bool,
}

pub(super) enum Step {
    More,
    /// An empty line before the first line (tolerated).
    Blank(Vec<u8>),
    NotHttp(Vec<u8>),
    TooLong(usize),
    Done(Vec<u8>),
}

impl Head {
    pub(super) fn take(&mut self, data: &mut &[u8], request: bool) -> Step {
        loop {
            if data.is_empty() {
                return Step::More;
            }
            let newline = data.iter().position(|&b| b == b'\n');
            let end = newline.map_or(data.len(), |p| p + 1);
            self.buf.extend_from_slice(&data[..end]);
            *data = &data[end..];
            if !self.first_line && !plausible_start(&self.buf, request) {
                return Step::NotHttp(std::mem::take(self).buf);
            }
            if self.buf.len() > MAX_HEAD {
                return Step::TooLong(std::mem::take(self).buf.len());
            }
            if newline.is_none() {
                return Step::More;
            }
            let line = strip_eol(&self.buf[self.line_start..]);
            if !self.first_line {
                if line.is_empty() {
                    return Step::Blank(std::mem::take(self).buf);
                }
                if !first_line_ok(line, request) {
                    return Step::NotHttp(std::mem::take(self).buf);
                }
                self.first_line = true;
            } else if line.is_empty() {
                return Step::Done(std::mem::take(self).buf);
            }
            self.line_start = self.buf.len();
        }
    }
}

/// Whether the bytes so far can still begin a request line (`METHOD SP`) or status line.
fn plausible_start(buf: &[u8], request: bool) -> bool {
    if !request {
        let n = buf.len().min(5);
        return buf[..n] == b"HTTP/"[..n];
    }
    for (i, &b) in buf.iter().enumerate().take(33) {
        if b == b' ' {
            return i > 0;
        }
        if !is_tchar(b) {
            return false;
        }
    }
    buf.len() < 33
}

fn first_line_ok(line: &[u8], request: bool) -> bool {
    if request {
        let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        parts.len() == 3
            && !parts[0].is_empty()
            && parts[0].iter().all(|&b| is_tchar(b))
            && !parts[1].is_empty()
            && parts[2].starts_with(b"HTTP/")
    } else {
        line.starts_with(b"HTTP/")
            && matches!(line.iter().position(|&b| b == b' '), Some(sp)
                if line.len() >= sp + 4
                    && line[sp + 1..sp + 4].iter().all(u8::is_ascii_digit)
                    && matches!(line.get(sp + 4), None | Some(b' ')))
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

pub(super) fn strip_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[derive(Clone, Copy)]
pub(super) struct Line<'a> {
    /// Without the line ending.
    pub(super) content: &'a [u8],
    /// With it.
    pub(super) full: &'a [u8],
}

impl<'a> Line<'a> {
    pub(super) fn ending(&self) -> &'a [u8] {
        &self.full[self.content.len()..]
    }
}

pub(super) fn split_lines(head: &[u8]) -> Vec<Line<'_>> {
    head.split_inclusive(|&b| b == b'\n')
        .map(|full| Line {
            content: strip_eol(full),
            full,
        })
        .collect()
}
