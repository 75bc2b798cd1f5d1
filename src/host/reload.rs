//! One place that SIGHUP reaches: every part that can be read again (the audit log's file,
//! the policy, later the TLS certificates) registers here, and a reload runs them in order.
//! Each part keeps what it had when its new version is broken, and says why.

/// Something that can be read again without a restart.
pub trait Reload: Send + Sync {
    /// What it is, for the log line (`policy`, `audit log`).
    fn what(&self) -> &str;
    /// Read it again. `Ok` says what is now in force, `Err` why the old one still is.
    fn reload(&self) -> Result<String, String>;
}

/// A part shared with whatever else reloads it (the policy, also reloaded by a new bundle).
impl<T: Reload + ?Sized> Reload for std::sync::Arc<T> {
    fn what(&self) -> &str {
        (**self).what()
    }
    fn reload(&self) -> Result<String, String> {
        (**self).reload()
    }
}

/// The parts to reload on SIGHUP, in the order registered.
#[derive(Default)]
pub struct Reloader {
    parts: Vec<Box<dyn Reload>>,
}

/// What one part's reload did.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub what: String,
    pub result: Result<String, String>,
}

impl Reloader {
    pub fn add(&mut self, part: impl Reload + 'static) {
        self.parts.push(Box::new(part));
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Reload every part, each whatever became of the others, and log each outcome.
    pub fn reload(&self) -> Vec<Outcome> {
        self.parts
            .iter()
            .map(|p| {
                let result = p.reload();
                match &result {
                    Ok(now) => tracing::info!("SIGHUP: {} reloaded: {now}", p.what()),
                    Err(why) => tracing::error!("SIGHUP: {} not reloaded: {why}", p.what()),
                }
                Outcome {
                    what: p.what().to_owned(),
                    result,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Part(&'static str, Result<&'static str, &'static str>);

    impl Reload for Part {
        fn what(&self) -> &str {
            self.0
        }
        fn reload(&self) -> Result<String, String> {
            self.1.map(str::to_owned).map_err(str::to_owned)
        }
    }

    #[test]
    fn a_broken_part_does_not_stop_the_others_from_reloading() {
        let mut r = Reloader::default();
        r.add(Part("policy", Err("line 3: unknown key")));
        r.add(Part("audit log", Ok("reopened")));
        let out = r.reload();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].result, Err("line 3: unknown key".to_owned()));
        assert_eq!(out[1].result, Ok("reopened".to_owned()));
    }
}
