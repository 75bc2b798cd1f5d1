//! A JSON reader that keeps what serde_json's `Value` throws away: every member of an object
//! in document order (duplicates included) and numbers as written.
//!
//! String contents are decoded the way Go's `encoding/json` decodes them, so the text the
//! policy sees is the text dockerd would have acted on: each byte of invalid UTF-8 becomes
//! U+FFFD, and so does a `\u` escape naming half a surrogate pair. Keys get no such mercy:
//! a replaced key is a different key, so a key that needs replacing is an error.

use super::Ambiguity;

/// A parsed JSON document.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    /// The number exactly as written (`1e3`, `-0`, `1.50`).
    Number(String),
    String(String),
    Array(Vec<Node>),
    /// Members in document order, duplicates kept.
    Object(Vec<(String, Node)>),
}

impl Node {
    /// The JSON type, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "boolean",
            Node::Number(_) => "number",
            Node::String(_) => "string",
            Node::Array(_) => "array",
            Node::Object(_) => "object",
        }
    }

    /// The member of this object that Go's decoder puts into the struct field `name`
    /// (ASCII): keys match as Go folds them ([`super::fold`]) and the last of several wins.
    /// `None` when no key matches, or this is not an object.
    pub fn field(&self, name: &str) -> Option<&Node> {
        let Node::Object(members) = self else {
            return None;
        };
        members
            .iter()
            .rev()
            .find(|(key, _)| super::folds_to(&super::fold(key), name))
            .map(|(_, value)| value)
    }
}

/// Deeper than any body dockerd understands (the deepest, a service spec, nests about eight
/// levels); recursion stays far from the stack's end.
pub const MAX_DEPTH: usize = 64;

/// Parse exactly one JSON document. Whitespace may surround it; anything else after it is
/// refused, because dockerd 20.10 would silently ignore a second document the policy had
/// to consider too, and newer daemons reject it.
pub fn parse(bytes: &[u8]) -> Result<Node, Ambiguity> {
    let mut p = Parser { bytes, pos: 0 };
    p.skip_ws();
    if p.pos == bytes.len() {
        return Err(Ambiguity::Empty);
    }
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos != bytes.len() {
        return Err(Ambiguity::TrailingData { offset: p.pos });
    }
    Ok(node)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        // Go's scanner allows exactly these four.
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn syntax(&self, reason: &'static str) -> Ambiguity {
        Ambiguity::Syntax {
            offset: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn value(&mut self, depth: usize) -> Result<Node, Ambiguity> {
        match self.peek() {
            None => Err(self.syntax("unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Node::String(self.string(false)?)),
            Some(b't') => self.literal(b"true", Node::Bool(true)),
            Some(b'f') => self.literal(b"false", Node::Bool(false)),
            Some(b'n') => self.literal(b"null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.syntax("unexpected character")),
        }
    }

    fn literal(&mut self, word: &'static [u8], node: Node) -> Result<Node, Ambiguity> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(node)
        } else {
            Err(self.syntax("invalid literal"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, Ambiguity> {
        if depth > MAX_DEPTH {
            return Err(Ambiguity::TooDeep { offset: self.pos });
        }
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.syntax("expected a string key"));
            }
            let key = self.string(true)?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.syntax("expected ':' after key"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Node::Object(members));
                }
                _ => return Err(self.syntax("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, Ambiguity> {
        if depth > MAX_DEPTH {
            return Err(Ambiguity::TooDeep { offset: self.pos });
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::Array(items));
                }
                _ => return Err(self.syntax("expected ',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<Node, Ambiguity> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.syntax("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.syntax("invalid number"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.syntax("invalid number"));
            }
            self.digits();
        }
        // Only ASCII was consumed.
        let raw = String::from_utf8_lossy(&self.bytes[start..self.pos]).into_owned();
        Ok(Node::Number(raw))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// A string starting at the opening quote, unescaped.
    fn string(&mut self, key: bool) -> Result<String, Ambiguity> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut replaced = false;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.syntax("unterminated string"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    self.pos += 1;
                    let esc = self
                        .peek()
                        .ok_or_else(|| self.syntax("unterminated string"))?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let c = self.unicode_escape()?;
                            replaced |= c == char::REPLACEMENT_CHARACTER;
                            out.push(c);
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.syntax("invalid escape"));
                        }
                    }
                }
                0x00..=0x1f => return Err(self.syntax("control character in string")),
                0x20..=0x7f => {
                    out.push(b as char);
                    self.pos += 1;
                }
                _ => {
                    let rest = &self.bytes[self.pos..];
                    let valid = match std::str::from_utf8(rest) {
                        Ok(s) => s.len(),
                        Err(e) => e.valid_up_to(),
                    };
                    if valid == 0 {
                        // Go's utf8.DecodeRune gives (RuneError, 1): one U+FFFD per bad byte.
                        out.push(char::REPLACEMENT_CHARACTER);
                        replaced = true;
                        self.pos += 1;
                    } else {
                        // Copy the valid run up to the next quote, escape or control byte.
                        let chunk = &rest[..valid];
                        let end = chunk
                            .iter()
                            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                            .unwrap_or(valid);
                        // Non-ASCII starts the run and valid UTF-8 never splits at an ASCII
                        // byte, so `end` is a char boundary.
                        out.push_str(std::str::from_utf8(&chunk[..end]).unwrap_or_default());
                        self.pos += end;
                    }
                }
            }
        }
        if key && replaced {
            return Err(Ambiguity::InvalidKey { offset: start });
        }
        Ok(out)
    }

    /// After `\u`: one code point, pairing surrogates the way Go's `unquote` does.
    fn unicode_escape(&mut self) -> Result<char, Ambiguity> {
        let first = self.hex4()?;
        if !(0xd800..0xe000).contains(&first) {
            return Ok(char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        // Go consumes the following `\uXXXX` only when it completes a valid pair; otherwise
        // the lone half becomes U+FFFD and the next escape is read on its own.
        if first < 0xdc00 && self.bytes[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            if let Ok(second) = self.hex4() {
                if (0xdc00..0xe000).contains(&second) {
                    let c = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
                    return Ok(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
            }
            self.pos = save;
        }
        Ok(char::REPLACEMENT_CHARACTER)
    }

    fn hex4(&mut self) -> Result<u32, Ambiguity> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax("invalid \\u escape"))?;
        let mut v = 0u32;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.syntax("invalid \\u escape"))?;
            v = v << 4 | n;
        }
        self.pos += 4;
        Ok(v)
    }
}
