//! Colors on a terminal, plain text anywhere else (and whenever NO_COLOR is set).

#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }

    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    pub fn action(&self, s: &str) -> String {
        self.paint("1;36", s)
    }

    /// Green for success, yellow for client errors, red for server errors and refusals.
    pub fn status(&self, code: Option<u16>, s: &str) -> String {
        match code {
            Some(100..=399) => self.paint("32", s),
            Some(400..=499) => self.paint("33", s),
            _ => self.paint("31", s),
        }
    }

    pub fn stderr(&self, s: &str) -> String {
        self.paint("31", s)
    }
}
