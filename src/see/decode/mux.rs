//! Container output: dockerd's multiplexed frames (`stdcopy`), or raw TTY bytes.

use super::lines::LineBuf;
use super::{Label, Line};

const HEADER: usize = 8;

/// Multiplexed stdout/stderr frames → labelled lines, falling back to raw text when the
/// bytes turn out not to be framed.
///
/// Each frame is `[stream, 0, 0, 0, len (u32 big-endian)]` + `len` payload bytes; stream 0
/// is stdin, 1 stdout, 2 stderr, 3 an in-band daemon error. Nothing announces the framing
/// reliably (API 1.41 labels every hijacked stream `raw-stream`, logs carry no
/// Content-Type, and a TTY container sends no frames at all), so every header is checked:
/// the first byte that could not start one switches to raw mode for the rest of the stream.
/// Payloads are never buffered whole; each stream keeps only its unfinished line.
#[derive(Debug)]
pub struct Multiplexed {
    header: [u8; HEADER],
    have: usize,
    stream: Label,
    remaining: u32,
    frames: u64,
    offset: u64,
    streams: [LineBuf; 4],
    raw: Option<LineBuf>,
}

impl Default for Multiplexed {
    fn default() -> Self {
        Multiplexed::new()
    }
}

impl Multiplexed {
    pub fn new() -> Multiplexed {
        Multiplexed {
            header: [0; HEADER],
            have: 0,
            stream: Label::Stdout,
            remaining: 0,
            frames: 0,
            offset: 0,
            streams: STREAMS.map(LineBuf::new),
            raw: None,
        }
    }

    /// Whether the bytes so far broke the framing and are being shown raw.
    pub fn is_raw(&self) -> bool {
        self.raw.is_some()
    }

    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            if let Some(raw) = &mut self.raw {
                raw.push(bytes, &mut out);
                break;
            }
            if self.remaining > 0 {
                let n = bytes.len().min(self.remaining as usize);
                self.streams[stream_index(self.stream)].push(&bytes[..n], &mut out);
                self.remaining -= n as u32;
                self.offset += n as u64;
                bytes = &bytes[n..];
                continue;
            }
            let b = bytes[0];
            let fits = match self.have {
                0 => b <= 3,
                1..=3 => b == 0,
                _ => true,
            };
            if !fits {
                self.fall_back(&mut out);
                continue;
            }
            self.header[self.have] = b;
            self.have += 1;
            self.offset += 1;
            bytes = &bytes[1..];
            if self.have == HEADER {
                self.stream = STREAMS[self.header[0] as usize];
                let [.., a, b, c, d] = self.header;
                self.remaining = u32::from_be_bytes([a, b, c, d]);
                self.have = 0;
                self.frames += 1;
            }
        }
        out
    }

    /// Show unfinished lines now, e.g. a shell prompt waiting for input.
    pub fn flush(&mut self) -> Vec<Line> {
        let mut out = Vec::new();
        for s in &mut self.streams {
            s.flush(&mut out);
        }
        if let Some(raw) = &mut self.raw {
            raw.flush(&mut out);
        }
        out
    }

    /// End of stream: unfinished lines, and a note if it stopped inside a frame.
    pub fn finish(&mut self) -> Vec<Line> {
        let mut out = self.flush();
        if self.raw.is_none() && (self.have > 0 || self.remaining > 0) {
            let text = if self.have > 0 {
                format!(
                    "stream ended inside a frame header ({} of 8 bytes)",
                    self.have
                )
            } else {
                format!(
                    "stream ended inside a frame ({} payload bytes missing)",
                    self.remaining
                )
            };
            out.push(Line::note(text));
        }
        out
    }

    fn fall_back(&mut self, out: &mut Vec<Line>) {
        for s in &mut self.streams {
            s.flush(out);
        }
        let start = self.offset - self.have as u64;
        out.push(Line::note(if self.frames == 0 {
            "not multiplexed: showing raw bytes".to_owned()
        } else {
            format!(
                "multiplexed framing broken at byte {start} after {} frames: showing raw bytes",
                self.frames
            )
        }));
        let mut raw = LineBuf::new(Label::Stdout);
        raw.push(&self.header[..self.have], out);
        self.have = 0;
        self.raw = Some(raw);
    }
}

const STREAMS: [Label; 4] = [Label::Stdin, Label::Stdout, Label::Stderr, Label::System];

fn stream_index(label: Label) -> usize {
    STREAMS.iter().position(|&l| l == label).unwrap_or(1)
}

/// Unframed bytes (TTY output, or what the client types into a hijacked stream) → lines.
#[derive(Debug)]
pub struct Raw {
    buf: LineBuf,
}

impl Raw {
    pub fn new(label: Label) -> Raw {
        Raw {
            buf: LineBuf::new(label),
        }
    }

    pub fn push(&mut self, bytes: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        self.buf.push(bytes, &mut out);
        out
    }

    /// Show the unfinished line now (interactive sessions: prompts have no newline).
    pub fn flush(&mut self) -> Vec<Line> {
        let mut out = Vec::new();
        self.buf.flush(&mut out);
        out
    }

    pub fn finish(&mut self) -> Vec<Line> {
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::see::decode::tests::{every_split, frame, lines};

    /// `docker logs --timestamps --tail 2 probe-x` (trace logs-ts): two stdout frames of
    /// 0x24 bytes each.
    fn logs_ts() -> Vec<u8> {
        let mut body = frame(1, b"2026-11-22T19:40:58.565662499Z tick\n");
        body.extend(frame(1, b"2026-11-22T19:40:59.567626027Z tick\n"));
        body
    }

    #[test]
    fn logs_with_timestamps_decode_the_same_at_every_chunk_boundary() {
        let body = logs_ts();
        assert_eq!(&body[..8], b"\x01\x00\x00\x00\x00\x00\x00\x24");
        let want = [
            (Label::Stdout, "2026-11-22T19:40:58.565662499Z tick"),
            (Label::Stdout, "2026-11-22T19:40:59.567626027Z tick"),
        ];
        for (a, b) in every_split(&body) {
            let mut d = Multiplexed::new();
            let mut got = d.push(a);
            got.extend(d.push(b));
            got.extend(d.finish());
            assert_eq!(lines(&got), want, "split at {}", a.len());
        }
    }

    #[test]
    fn logs_follow_fed_one_byte_at_a_time_gives_each_tick_once() {
        // trace logs-f: three `tick` frames of 0x0d bytes, each in its own HTTP chunk.
        let body: Vec<u8> = (0..3).flat_map(|_| frame(1, b"tick\n")).collect();
        assert_eq!(body.len(), 3 * 0x0d);
        let mut d = Multiplexed::new();
        let mut got = Vec::new();
        for b in &body {
            got.extend(d.push(std::slice::from_ref(b)));
        }
        got.extend(d.finish());
        assert_eq!(lines(&got), [(Label::Stdout, "tick"); 3]);
    }

    #[test]
    fn exec_i_output_of_two_lines_in_one_frame_decodes_at_every_chunk_boundary() {
        // trace exec-i-stdin: `printf "line1\nline2\n" | docker exec -i probe-x cat`.
        let body = frame(1, b"line1\nline2\n");
        assert_eq!(&body[..8], b"\x01\x00\x00\x00\x00\x00\x00\x0c");
        for (a, b) in every_split(&body) {
            let mut d = Multiplexed::new();
            let mut got = d.push(a);
            got.extend(d.push(b));
            got.extend(d.finish());
            assert_eq!(
                lines(&got),
                [(Label::Stdout, "line1"), (Label::Stdout, "line2")]
            );
        }
    }

    #[test]
    fn a_stdout_line_split_by_a_stderr_frame_is_not_mixed_with_it() {
        let mut body = frame(1, b"out");
        body.extend(frame(2, b"err1\n"));
        body.extend(frame(1, b"1\n"));
        body.extend(frame(3, b"exec failed\n"));
        let mut d = Multiplexed::new();
        let got = d.push(&body);
        assert_eq!(
            lines(&got),
            [
                (Label::Stderr, "err1"),
                (Label::Stdout, "out1"),
                (Label::System, "exec failed")
            ]
        );
    }

    #[test]
    fn a_tty_stream_on_api_1_41_is_recognised_as_raw_from_its_first_byte() {
        // trace exec-it: the 101 said raw-stream, then "^@" and "hi\r\n" arrived unframed.
        let mut d = Multiplexed::new();
        let mut got = d.push(b"^@");
        got.extend(d.push(b"hi\r\n"));
        got.extend(d.finish());
        assert!(d.is_raw());
        assert_eq!(
            lines(&got),
            [
                (Label::Note, "not multiplexed: showing raw bytes"),
                (Label::Stdout, "^@hi")
            ]
        );
    }

    #[test]
    fn bytes_that_start_like_a_header_but_are_not_one_are_kept_as_text() {
        // \x01 then 'A': the \x01 was already taken as a stream byte; it must not vanish.
        let mut d = Multiplexed::new();
        let mut got = d.push(b"\x01Ahoy\n");
        got.extend(d.finish());
        assert_eq!(
            lines(&got),
            [
                (Label::Note, "not multiplexed: showing raw bytes"),
                (Label::Stdout, "\\x01Ahoy")
            ]
        );
    }

    #[test]
    fn framing_that_breaks_mid_stream_says_where_and_keeps_earlier_lines() {
        let mut body = frame(1, b"ok\npart");
        body.extend_from_slice(b"\x02\x00\x07garbage\n");
        let mut d = Multiplexed::new();
        let got = d.push(&body);
        assert_eq!(
            lines(&got),
            [
                (Label::Stdout, "ok"),
                (Label::Stdout, "part"),
                (
                    Label::Note,
                    "multiplexed framing broken at byte 15 after 1 frames: showing raw bytes"
                ),
                (Label::Stdout, "\\x02\\0\\x07garbage"),
            ]
        );
    }

    #[test]
    fn a_huge_announced_frame_is_streamed_not_buffered() {
        let mut d = Multiplexed::new();
        let got = d.push(b"\x01\x00\x00\x00\xff\xff\xff\xffhello\n");
        assert_eq!(lines(&got), [(Label::Stdout, "hello")]);
        let end = d.finish();
        assert_eq!(
            lines(&end),
            [(
                Label::Note,
                "stream ended inside a frame (4294967289 payload bytes missing)"
            )]
        );
    }

    #[test]
    fn an_interactive_prompt_without_newline_can_be_flushed() {
        let mut d = Raw::new(Label::Stdout);
        assert!(d.push(b"/ # ").is_empty());
        assert_eq!(lines(&d.flush()), [(Label::Stdout, "/ # ")]);
        assert!(d.finish().is_empty());
    }
}
