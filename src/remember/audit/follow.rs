//! Reading a log on as it grows, as `tail -F` does: by name, so that when the log rotates
//! (sockeye renames FILE to FILE.1 and starts a new FILE, as logrotate does; or logrotate
//! copies it and truncates it in place) the rest of the old file is read, then the new
//! file from its start.

use std::fs::File;
use std::io::{self, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::read::{next_record, Lines, Malformed};
use super::Record;

pub struct Follow {
    path: PathBuf,
    name: String,
    lines: Lines<BufReader<File>>,
    /// Device and inode of the open file: another one under the name means a rotation.
    id: (u64, u64),
    /// The file now under the name, once found, read when the old one has been read to
    /// its end.
    next: Option<(File, (u64, u64))>,
}

impl Follow {
    pub fn open(path: &Path) -> Result<Follow, String> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        let id = identity(&file).map_err(|e| format!("cannot read {name}: {e}"))?;
        Ok(Follow {
            path: path.to_owned(),
            name,
            lines: Lines::following(BufReader::new(file)),
            id,
            next: None,
        })
    }

    /// The next whole record written since the last one, as
    /// [`super::read::next_record`] reads them; `None` when there is none yet.
    pub fn next(
        &mut self,
        malformed: &mut Malformed,
    ) -> Result<Option<(Box<Record>, String)>, String> {
        loop {
            if let Some(r) = next_record(&self.name, &mut self.lines, malformed)? {
                return Ok(Some(r));
            }
            // The old file has been read to its end since the new one was found (a last
            // record may have reached it in between): on to the new one.
            if let Some((file, id)) = self.next.take() {
                self.id = id;
                self.lines = Lines::following(BufReader::new(file));
                continue;
            }
            // At the end of the open file: is the name still this file, and as long?
            let now = match std::fs::metadata(&self.path) {
                Ok(m) => m,
                // Between the rename and the new file: wait for it.
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(format!("cannot read {}: {e}", self.name)),
            };
            if (now.dev(), now.ino()) != self.id {
                let file = match File::open(&self.path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(format!("cannot read {}: {e}", self.name)),
                };
                let id = identity(&file).map_err(|e| format!("cannot read {}: {e}", self.name))?;
                self.next = Some((file, id));
                continue;
            }
            let at = self
                .lines
                .get_mut()
                .stream_position()
                .map_err(|e| format!("cannot read {}: {e}", self.name))?;
            if now.len() < at {
                // Truncated in place (copytruncate): what is there now is new.
                self.lines
                    .get_mut()
                    .seek(SeekFrom::Start(0))
                    .map_err(|e| format!("cannot read {}: {e}", self.name))?;
                self.lines.restart();
                continue;
            }
            return Ok(None);
        }
    }
}

fn identity(file: &File) -> io::Result<(u64, u64)> {
    let m = file.metadata()?;
    Ok((m.dev(), m.ino()))
}

impl super::merge::Source for Follow {
    fn pull(&mut self, malformed: &mut Malformed) -> Result<super::merge::Pull, String> {
        Ok(match self.next(malformed)? {
            Some((r, raw)) => super::merge::Pull::Record(r, raw),
            None => super::merge::Pull::Later,
        })
    }
}
