//! Reads JSON as Python's `json.loads` does, straight into a [`Value`].
//!
//! Two things set Python's JSON apart from what serde_json reads, and both must arrive
//! unchanged: the bare tokens `NaN`, `Infinity` and `-Infinity` (Python writes non-finite
//! floats so), and integers of any size (Python's `int` has no limit). Everything else is
//! strict RFC 8259, like `json.loads` with its default `strict=True`: no control characters
//! in strings, no lone surrogates (a Rust string cannot hold them), no trailing commas.

use super::decode::{check_nesting, Decoding};
use crate::value::Value;
use crate::Error;

/// Parses one JSON document (surrounding whitespace allowed) within `decoding`'s budget.
pub(super) fn parse(decoding: &Decoding<'_>, body: &[u8]) -> Result<Value, Error> {
    let mut parser = Parser::new(decoding, body)?;
    parser.skip_whitespace();
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos != parser.bytes.len() {
        return Err(parser.error("trailing characters after the json value"));
    }
    decoding.budget.charge_scalar(&value)?;
    Ok(value)
}

pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
    pub(super) decoding: &'a Decoding<'a>,
}

impl<'a> Parser<'a> {
    /// A parser at the start of `body`, which must be UTF-8.
    pub(super) fn new(decoding: &'a Decoding<'a>, body: &'a [u8]) -> Result<Self, Error> {
        let text = std::str::from_utf8(body)
            .map_err(|e| Error::Deserialization(format!("invalid UTF-8 in json text: {e}")))?;
        Ok(Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            decoding,
        })
    }

    pub(super) fn error(&self, what: &str) -> Error {
        let before = &self.bytes[..self.pos.min(self.bytes.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.len()
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
        Error::Deserialization(format!(
            "{what} at line {line} column {} of the json text",
            column + 1
        ))
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(super) fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    pub(super) fn literal(&mut self, token: &str, value: Value) -> Result<Value, Error> {
        if self.bytes[self.pos..].starts_with(token.as_bytes()) {
            self.pos += token.len();
            Ok(value)
        } else {
            Err(self.error("expected a json value"))
        }
    }

    /// A value whose containers are `depth` levels deep.
    pub(super) fn value(&mut self, depth: usize) -> Result<Value, Error> {
        match self.peek() {
            Some(b'[') => self.list(depth),
            Some(b'{') => self.map(depth),
            Some(b'"') => self.string().map(Value::Str),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Nil),
            Some(b'N') => self.literal("NaN", Value::Float(f64::NAN)),
            Some(b'I') => self.literal("Infinity", Value::Float(f64::INFINITY)),
            Some(b'-') if self.bytes.get(self.pos + 1) == Some(&b'I') => {
                self.literal("-Infinity", Value::Float(f64::NEG_INFINITY))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a json value")),
            None => Err(self.error("EOF while parsing a json value")),
        }
    }

    fn list(&mut self, depth: usize) -> Result<Value, Error> {
        check_nesting(depth)?;
        self.pos += 1;
        let mut items = self.decoding.list(0)?;
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(items.finish());
        }
        loop {
            items.push(self.value(depth + 1)?)?;
            if self.end_of_item(b']')? {
                return Ok(items.finish());
            }
        }
    }

    fn map(&mut self, depth: usize) -> Result<Value, Error> {
        check_nesting(depth)?;
        self.pos += 1;
        let mut entries = self.decoding.map(0)?;
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return entries.finish();
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string as a json object key"));
            }
            let key = Value::Str(self.string()?);
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            entries.insert(key, value)?;
            if self.end_of_item(b'}')? {
                return entries.finish();
            }
        }
    }

    /// After an item: `true` past the closing bracket `close`, `false` past a comma.
    pub(super) fn end_of_item(&mut self, close: u8) -> Result<bool, Error> {
        self.skip_whitespace();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.skip_whitespace();
                Ok(false)
            }
            Some(byte) if byte == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(self.error(if close == b']' {
                "expected ',' or ']'"
            } else {
                "expected ',' or '}'"
            })),
        }
    }

    /// A string, from its opening quote.
    pub(super) fn string(&mut self) -> Result<String, Error> {
        self.pos += 1;
        let start = self.pos;
        // The common case: no escapes, one copy of the bytes.
        while let Some(&byte) = self.bytes.get(self.pos) {
            match byte {
                b'"' => {
                    let s = self.text[start..self.pos].to_owned();
                    self.pos += 1;
                    return Ok(s);
                }
                b'\\' => break,
                0..=0x1f => return Err(self.error("control character in a json string")),
                _ => self.pos += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            let chunk_start = self.pos;
            while let Some(&byte) = self.bytes.get(self.pos) {
                match byte {
                    b'"' | b'\\' => break,
                    0..=0x1f => return Err(self.error("control character in a json string")),
                    _ => self.pos += 1,
                }
            }
            out.push_str(&self.text[chunk_start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(_) => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                None => return Err(self.error("EOF while parsing a json string")),
            }
        }
    }

    /// The escape after a backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        let Some(byte) = self.peek() else {
            return Err(self.error("EOF while parsing a json string"));
        };
        self.pos += 1;
        let c = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let code = match unit {
                    0xd800..=0xdbff => {
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return Err(self.error("lone leading surrogate in a json string"));
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err(self.error("invalid surrogate pair in a json string"));
                        }
                        0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                    }
                    0xdc00..=0xdfff => {
                        return Err(self.error("lone trailing surrogate in a json string"))
                    }
                    _ => unit,
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid unicode escape"))?
            }
            _ => return Err(self.error("invalid escape in a json string")),
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid \\u escape in a json string"))?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`: an integer of any size, or a float.
    pub(super) fn number(&mut self) -> Result<Value, Error> {
        let (token, is_float) = self.number_token()?;
        if is_float {
            // Correctly rounded, as Python's float(); beyond f64::MAX it is infinite, as there.
            token
                .parse()
                .map(Value::Float)
                .map_err(|_| self.error("invalid number"))
        } else {
            // The grammar only admits canonical digits (and "-0", which parses as 0).
            Ok(Value::from_canonical_digits(token))
        }
    }

    /// The text of the number at the cursor, and whether it is a float (see [`number`]).
    ///
    /// [`number`]: Self::number
    pub(super) fn number_token(&mut self) -> Result<(&'a str, bool), Error> {
        let text = self.text;
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("invalid number")),
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
            is_float = true;
        }
        Ok((&text[start..self.pos], is_float))
    }
}
