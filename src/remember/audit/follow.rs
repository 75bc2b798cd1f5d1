//! Reading a log on as it grows, as `tail -F` does: by name, so that when the log rotates
//! (sockeye renames FILE to FILE.1 and starts a new FILE, as logrotate does; or logrotate
//! copies it and truncates it in place) the rest of the old file is read, then the new
//! file from its start.

use std::fs::File;
use std::io::{self, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::read::{each_line, Lines, Malformed};
use super::Record;

pub struct Follow {
    path: PathBuf,
    name: String,
    lines: Lines<BufReader<File>>,
    /// Device and inode of the open file: another one under the name means a rotation.
    id: (u64, u64),
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
        })
    }

    /// Every whole record written since the last call, through `each` as
    /// [`super::read::Sources::for_each`] hands them; `Ok(false)` when `each` asked to stop.
    pub fn read(
        &mut self,
        malformed: &mut Malformed,
        each: &mut impl FnMut(&Record, &str) -> bool,
    ) -> Result<bool, String> {
        loop {
            if !each_line(&self.name, &mut self.lines, malformed, each)? {
                return Ok(false);
            }
            // At the end of the open file: is the name still this file, and as long?
            let now = match std::fs::metadata(&self.path) {
                Ok(m) => m,
                // Between the rename and the new file: wait for it.
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
                Err(e) => return Err(format!("cannot read {}: {e}", self.name)),
            };
            if (now.dev(), now.ino()) != self.id {
                let file = match File::open(&self.path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
                    Err(e) => return Err(format!("cannot read {}: {e}", self.name)),
                };
                // A last record may have reached the old file since it was read to its end.
                if !each_line(&self.name, &mut self.lines, malformed, each)? {
                    return Ok(false);
                }
                self.id = identity(&file).map_err(|e| format!("cannot read {}: {e}", self.name))?;
                self.lines = Lines::following(BufReader::new(file));
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
            return Ok(true);
        }
    }
}

fn identity(file: &File) -> io::Result<(u64, u64)> {
    let m = file.metadata()?;
    Ok((m.dev(), m.ino()))
}
