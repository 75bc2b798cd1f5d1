//! Several logs read as one, in time order: the logs of several hosts (or one host's
//! rotated files), merged by `time_unix` as they are read.
//!
//! A k-way merge that holds one record per log, never a whole log: each log is taken to be
//! in time order already, and the record shown next is the earliest of the logs' next ones.
//! Within one log the order is the log's own (a record is written when its call ends, so a
//! long call's record comes after shorter calls that started later); across logs, records
//! interleave by time.
//!
//! A log that is followed may have nothing more *now* and more later: [`Merge::round`]
//! merges what every log has now, and is called again for what came since.

use super::read::{next_record, Lines, Malformed};
use super::Record;

/// What a log has next.
pub enum Pull {
    Record(Box<Record>, String),
    /// Nothing now; perhaps later (a followed file, a stream still open).
    Later,
    /// Nothing, ever again.
    End,
}

/// One log, read a record at a time.
pub trait Source {
    fn pull(&mut self, malformed: &mut Malformed) -> Result<Pull, String>;
}

/// A log read once, to its end: a file, or a stream read until it closes.
pub struct Plain<R> {
    name: String,
    lines: Lines<R>,
}

impl<R: std::io::BufRead> Plain<R> {
    pub fn new(name: String, reader: R) -> Plain<R> {
        Plain {
            name,
            lines: Lines::new(reader),
        }
    }
}

impl<R: std::io::BufRead> Source for Plain<R> {
    fn pull(&mut self, malformed: &mut Malformed) -> Result<Pull, String> {
        Ok(match next_record(&self.name, &mut self.lines, malformed)? {
            Some((r, raw)) => Pull::Record(r, raw),
            None => Pull::End,
        })
    }
}

struct Input<'a> {
    source: Box<dyn Source + 'a>,
    /// Its next record, read and not yet handed on.
    head: Option<(Box<Record>, String)>,
    ended: bool,
}

pub struct Merge<'a> {
    inputs: Vec<Input<'a>>,
}

impl<'a> Merge<'a> {
    pub fn new(sources: Vec<Box<dyn Source + 'a>>) -> Merge<'a> {
        let inputs = sources
            .into_iter()
            .map(|source| Input {
                source,
                head: None,
                ended: false,
            })
            .collect();
        Merge { inputs }
    }

    /// Every record the logs have now, earliest first across them, through `each`;
    /// `Ok(false)` when `each` asked to stop.
    pub fn round(
        &mut self,
        malformed: &mut Malformed,
        each: &mut impl FnMut(&Record, &str) -> bool,
    ) -> Result<bool, String> {
        for i in 0..self.inputs.len() {
            self.refill(i, malformed)?;
        }
        // The earliest head; on a tie the log given first. A scan rather than a heap: a
        // query names a handful of logs, not thousands.
        while let Some(i) = self
            .inputs
            .iter()
            .enumerate()
            .filter_map(|(i, input)| input.head.as_ref().map(|(r, _)| (i, r.time_unix)))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(i, _)| i)
        {
            let (r, raw) = self.inputs[i].head.take().expect("the earliest head");
            if !each(&r, &raw) {
                return Ok(false);
            }
            self.refill(i, malformed)?;
        }
        Ok(true)
    }

    /// Whether every log has ended: nothing more will come.
    pub fn ended(&self) -> bool {
        self.inputs.iter().all(|i| i.ended)
    }

    fn refill(&mut self, i: usize, malformed: &mut Malformed) -> Result<(), String> {
        let input = &mut self.inputs[i];
        if input.head.is_some() || input.ended {
            return Ok(());
        }
        match input.source.pull(malformed)? {
            Pull::Record(r, raw) => input.head = Some((r, raw)),
            Pull::Later => {}
            Pull::End => input.ended = true,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log of records at these times, each named by its time and log.
    fn log(name: &str, times: &[f64]) -> Box<dyn Source> {
        let mut text = String::new();
        for t in times {
            let mut r = crate::remember::audit::read::recorded_session()[0].clone();
            r.time_unix = *t;
            r.id = format!("{name}@{t}");
            text.push_str(&serde_json::to_string(&r).unwrap());
            text.push('\n');
        }
        Box::new(Plain::new(name.into(), std::io::Cursor::new(text)))
    }

    #[test]
    fn logs_interleave_by_time_and_each_keeps_its_own_order() {
        let mut merge = Merge::new(vec![
            log("a", &[1.0, 3.0, 2.5, 7.0]),
            log("b", &[2.0, 3.0, 4.0]),
            log("c", &[]),
        ]);
        let mut seen = Vec::new();
        let mut m = Malformed::default();
        assert!(merge
            .round(&mut m, &mut |r, _| {
                seen.push(r.id.clone());
                true
            })
            .unwrap());
        assert!(merge.ended());
        assert_eq!(
            seen,
            ["a@1", "b@2", "a@3", "a@2.5", "b@3", "b@4", "a@7"],
            "a tie goes to the log given first; a's 2.5 stays after its 3"
        );
    }
}
