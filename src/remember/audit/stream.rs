//! A log that arrives on a stream (standard input: `ssh web1 tail -F audit.log | sockeye
//! audit --follow - audit.log`), read as it comes without waiting on it: a thread reads the
//! stream, and the merge takes what has arrived each time it looks.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{sync_channel, Receiver, TryRecvError};

use super::merge::{Pull, Source};
use super::read::{next_record, Lines, Malformed};

/// Chunks read ahead of the merge: enough to keep the reader busy, little enough that a
/// fast stream waits for the merge rather than filling memory.
const AHEAD: usize = 64;

pub struct Stream {
    name: String,
    lines: Lines<Chunks>,
}

impl Stream {
    /// Read `reader` on a thread of its own, from now on.
    pub fn spawn(name: String, mut reader: impl Read + Send + 'static) -> Stream {
        let (tx, rx) = sync_channel(AHEAD);
        std::thread::spawn(move || {
            let mut buf = vec![0; 64 * 1024];
            let mut whole = true;
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => {
                        // A last line cut short is still read (and found not a record), as
                        // the end of a file is.
                        if !whole {
                            let _ = tx.send(Ok(b"\n".to_vec()));
                        }
                        return;
                    }
                    Ok(n) => {
                        whole = buf[n - 1] == b'\n';
                        if tx.send(Ok(buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        Stream {
            name,
            lines: Lines::following(Chunks {
                rx,
                chunk: Vec::new(),
                at: 0,
                closed: false,
            }),
        }
    }
}

impl Source for Stream {
    fn pull(&mut self, malformed: &mut Malformed) -> Result<Pull, String> {
        Ok(match next_record(&self.name, &mut self.lines, malformed)? {
            Some((r, raw)) => Pull::Record(r, raw),
            None if self.lines.get_mut().closed => Pull::End,
            None => Pull::Later,
        })
    }
}

/// What the thread has read so far, as a reader that is at its end (for now) when nothing
/// more has arrived.
struct Chunks {
    rx: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    /// The stream has ended and everything it sent has been read.
    closed: bool,
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let have = self.fill_buf()?;
            let n = have.len().min(out.len());
            out[..n].copy_from_slice(&have[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Chunks {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at == self.chunk.len() && !self.closed {
            match self.rx.try_recv() {
                Ok(chunk) => {
                    self.chunk = chunk?;
                    self.at = 0;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => self.closed = true,
            }
        }
        Ok(&self.chunk[self.at..])
    }

    fn consume(&mut self, n: usize) {
        self.at += n;
    }
}
