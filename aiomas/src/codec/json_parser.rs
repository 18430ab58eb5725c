//! Reads JSON as Python's `json.loads` does, straight into a [`Value`].
//!
//! Two things set Python's JSON apart from what serde_json reads, and both must arrive
//! unchanged: the bare tokens `NaN`, `Infinity` and `-Infinity` (Python writes non-finite
//! floats so), and integers of any size (Python's `int` has no limit). Everything else is
//! strict RFC 8259, like `json.loads` with its default `strict=True`: no control characters
//! in strings, no lone surrogates (a Rust string cannot hold them), no trailing commas.

use std::borrow::Cow;

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

    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
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
            Some(b'"') => self.string().map(Value::Str),
            Some(b'-' | b'0'..=b'9') => Ok(self.number()?.into_value()),
            Some(b'[') => self.list(depth),
            Some(b'{') => self.map(depth),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Nil),
            Some(b'N') => self.literal("NaN", Value::Float(f64::NAN)),
            Some(b'I') => self.literal("Infinity", Value::Float(f64::INFINITY)),
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
            let key = self.key()?.into_owned();
            let value = self.value(depth + 1)?;
            entries.insert(Value::Str(key), value)?;
            if self.end_of_item(b'}')? {
                return entries.finish();
            }
        }
    }

    /// An object key and the `:` after it (with the whitespace around it).
    pub(super) fn key(&mut self) -> Result<Cow<'a, str>, Error> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string as a json object key"));
        }
        let key = self.string_text()?;
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return Err(self.error("expected ':'"));
        }
        self.pos += 1;
        self.skip_whitespace();
        Ok(key)
    }

    /// After an item: `true` past the closing bracket `close`, `false` past a comma. Always
    /// inlined: called after every item, it costs as much again as a call.
    #[inline(always)]
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
        self.string_text().map(Cow::into_owned)
    }

    /// A string, from its opening quote: borrowed from the text unless it has escapes.
    #[inline]
    pub(super) fn string_text(&mut self) -> Result<Cow<'a, str>, Error> {
        let start = self.pos + 1;
        let text = self.text;
        let rest = &self.bytes[start..];
        // The common case: no escapes, the bytes as they are.
        match rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        {
            Some(len) if rest[len] == b'"' => {
                self.pos = start + len + 1;
                Ok(Cow::Borrowed(&text[start..start + len]))
            }
            Some(len) => {
                self.pos = start + len;
                self.escaped_string(start).map(Cow::Owned)
            }
            None => {
                self.pos = self.bytes.len();
                Err(self.error("EOF while parsing a json string"))
            }
        }
    }

    /// The rest of a string that started at `start`, from the cursor at its first escape (or
    /// control character).
    #[cold]
    fn escaped_string(&mut self, start: usize) -> Result<String, Error> {
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

    /// Steps over the digits at the cursor, accumulating them into `mantissa` (which
    /// wraps beyond 19 digits; `digits` tells). Returns how many there were.
    #[inline]
    pub(super) fn digits(&mut self, mantissa: &mut u64, digits: &mut usize) -> usize {
        let start = self.pos;
        while let Some(&byte) = self.bytes.get(self.pos) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
            self.pos += 1;
        }
        *digits += self.pos - start;
        self.pos - start
    }

    /// The number at the cursor (or `-Infinity`), read in one pass:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`, an integer of any size, or a float.
    pub(super) fn number(&mut self) -> Result<Number<'a>, Error> {
        let text = self.text;
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
            if self.peek() == Some(b'I') {
                self.pos = start;
                self.literal("-Infinity", Value::Nil)?;
                return Ok(Number::NegInfinity);
            }
        }
        let (mut mantissa, mut digits) = (0, 0);
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                digits = 1;
            }
            Some(b'1'..=b'9') => {
                self.digits(&mut mantissa, &mut digits);
            }
            _ => return Err(self.error("invalid number")),
        }
        let mut point = 0;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            point = self.digits(&mut mantissa, &mut digits);
            if point == 0 {
                return Err(self.error("invalid number"));
            }
        }
        let mut exponent = 0;
        if point == 0 && !matches!(self.peek(), Some(b'e' | b'E')) {
            let text = &text[start..self.pos];
            return Ok(if digits <= MAX_EXACT_DIGITS {
                Number::Int {
                    text,
                    magnitude: mantissa,
                    negative,
                }
            } else {
                Number::Long(text)
            });
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            let exponent_negative = match self.peek() {
                Some(sign @ (b'+' | b'-')) => {
                    self.pos += 1;
                    sign == b'-'
                }
                _ => false,
            };
            let (mut magnitude, mut exponent_digits) = (0, 0);
            if self.digits(&mut magnitude, &mut exponent_digits) == 0 {
                return Err(self.error("invalid number"));
            }
            // Only small exponents take the fast path; any other one only needs to be large.
            let magnitude = if exponent_digits > 4 {
                1 << 20
            } else {
                magnitude as i64
            };
            exponent = if exponent_negative {
                -magnitude
            } else {
                magnitude
            };
        }
        let power = exponent - point as i64;
        let fast = (digits <= MAX_EXACT_DIGITS
            && mantissa <= MAX_EXACT_MANTISSA
            && power.unsigned_abs() < POWERS_OF_TEN.len() as u64)
            .then_some((mantissa, power as i32));
        Ok(Number::Float {
            text: &text[start..self.pos],
            negative,
            fast,
        })
    }
}

impl Parser<'_> {
    /// Steps over the number at the cursor, as [`number`](Self::number) reads it, without
    /// converting it: the heap bytes its value would own. A float or a short integer (the
    /// numbers of a message) is stepped over here; anything else (a long integer, `-Infinity`,
    /// a malformed number, with its error) is left to `number` from the start.
    pub(super) fn skip_number(&mut self) -> Result<usize, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return self.number_from(start),
        }
        let integer_digits = self.pos - start;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.skip_digits_after() {
                return self.number_from(start);
            }
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !self.skip_digits_after() {
                return self.number_from(start);
            }
            float = true;
        }
        // A float owns no heap, nor does an integer of up to 18 digits (and a sign).
        if float || integer_digits < MAX_EXACT_DIGITS {
            return Ok(0);
        }
        self.number_from(start)
    }

    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// Steps over the digits at the cursor; whether there was at least one.
    fn skip_digits_after(&mut self) -> bool {
        let start = self.pos;
        self.skip_digits();
        self.pos > start
    }

    /// [`number`](Self::number) from `start`, for its heap bytes (or its error).
    #[cold]
    fn number_from(&mut self, start: usize) -> Result<usize, Error> {
        self.pos = start;
        self.number().map(|number| number.heap_bytes())
    }
}

/// Integers of up to 19 digits fit in a `u64`.
pub(super) const MAX_EXACT_DIGITS: usize = 19;

/// Every integer up to 2^53 is an exact `f64`.
const MAX_EXACT_MANTISSA: u64 = 1 << 53;

/// The powers of ten that are exact `f64`s.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A JSON number as [`Parser::number`] read it, not yet converted.
pub(super) enum Number<'a> {
    /// An integer of at most 19 digits: its text and its magnitude.
    Int {
        text: &'a str,
        magnitude: u64,
        negative: bool,
    },
    /// An integer of more digits, as its (canonical) text.
    Long(&'a str),
    /// A float: its text, and, if its decimal digits and power of ten are exact `f64`s, those
    /// (their product or quotient is then correctly rounded: one IEEE operation).
    Float {
        text: &'a str,
        negative: bool,
        fast: Option<(u64, i32)>,
    },
    NegInfinity,
}

impl Number<'_> {
    /// The number as a value: `Int`, `UInt`, `BigInt` or, correctly rounded as Python's
    /// `float()` (infinite beyond `f64::MAX`, as there), `Float`.
    #[inline]
    pub(super) fn into_value(self) -> Value {
        match self {
            Number::Int {
                magnitude,
                negative: false,
                ..
            } => match i64::try_from(magnitude) {
                Ok(i) => Value::Int(i),
                Err(_) => Value::UInt(magnitude),
            },
            Number::Int {
                text,
                magnitude,
                negative: true,
            } => match 0i64.checked_sub_unsigned(magnitude) {
                Some(i) => Value::Int(i),
                None => Value::from_canonical_digits(text),
            },
            Number::Long(digits) => Value::from_canonical_digits(digits),
            Number::Float {
                text,
                negative,
                fast,
            } => Value::Float(match fast {
                Some((mantissa, power)) => {
                    let mantissa = mantissa as f64;
                    let scale = POWERS_OF_TEN[power.unsigned_abs() as usize];
                    let magnitude = if power < 0 {
                        mantissa / scale
                    } else {
                        mantissa * scale
                    };
                    if negative {
                        -magnitude
                    } else {
                        magnitude
                    }
                }
                // The grammar was checked: the text is a valid Rust float.
                None => text.parse().unwrap_or(f64::NAN),
            }),
            Number::NegInfinity => Value::Float(f64::NEG_INFINITY),
        }
    }

    /// The heap bytes the number's value owns (only a big integer owns any: its digits).
    #[inline]
    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            Number::Long(digits) => match digits.parse::<u64>() {
                Ok(_) => 0,
                Err(_) => digits.len(),
            },
            Number::Int {
                text,
                magnitude,
                negative: true,
            } if *magnitude > 1 << 63 => text.len(),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Codec, Serializers, WireFormat};

    fn parsed(text: &str) -> Value {
        let format = WireFormat::new(Codec::Json, Serializers::default());
        parse(&Decoding::new(&format, text.len()), text.as_bytes()).unwrap()
    }

    /// Number texts around every edge of the one-pass reader: digit counts about 19 and
    /// 2^53, exponents about ±22, leading zeros, signs.
    fn number_texts() -> Vec<String> {
        let mut texts = Vec::new();
        // Knuth's MMIX linear congruential generator, its high bits.
        let mut state = 1_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        for _ in 0..20_000 {
            let digits = (next() % 24 + 1) as usize;
            let mut mantissa: String = (0..digits)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            if next() % 4 == 0 {
                mantissa.insert_str(0, "000");
            }
            let mantissa = mantissa.trim_start_matches('0');
            let mantissa = if mantissa.is_empty() { "0" } else { mantissa };
            let sign = if next() % 2 == 0 { "-" } else { "" };
            let point = (next() % (mantissa.len() as u64 + 1)) as usize;
            let (int, frac) = mantissa.split_at(mantissa.len() - point);
            let int = if int.is_empty() { "0" } else { int };
            let frac = if frac.is_empty() {
                String::new()
            } else {
                format!(".{frac}")
            };
            let exponent = match next() % 3 {
                0 => String::new(),
                1 => format!("e{}", next() % 60),
                _ => format!("E-{}", next() % 60),
            };
            texts.push(format!("{sign}{int}{frac}{exponent}"));
        }
        for edge in [
            "0",
            "-0",
            "-0.0",
            "0.0",
            "9007199254740992",
            "9007199254740993.0",
            "1e22",
            "1e23",
            "-1e-22",
            "123456789012345678e-5",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551616",
            "9999999999999999999",
            "-9999999999999999999",
            "1e400",
            "-1e400",
            "1e-400",
            "0.30000000000000004",
            "1e0001",
            "2.5e+3",
        ] {
            texts.push(edge.to_owned());
        }
        texts
    }

    #[test]
    fn numbers_read_in_one_pass_are_what_the_standard_parsers_read() {
        for text in number_texts() {
            let value = parsed(&text);
            if text.contains(['.', 'e', 'E']) {
                let expected: f64 = text.parse().unwrap();
                let via_serde: f64 = serde_json::from_str(&text).unwrap_or(expected);
                assert_eq!(
                    value.as_f64().map(f64::to_bits),
                    Some(expected.to_bits()),
                    "{text}"
                );
                assert_eq!(via_serde.to_bits(), expected.to_bits(), "{text}");
            } else {
                let canonical = if text == "-0" { "0" } else { &text };
                assert_eq!(value, Value::from_canonical_digits(canonical), "{text}");
            }
        }
    }

    #[test]
    fn a_skipped_number_ends_and_fails_where_a_read_one_does() {
        let malformed = [
            "-", "01", "1.", "1.e5", "1e", "1e+", "-x", "-Inf", "2.5E-", "-0.0e",
        ];
        let texts = number_texts()
            .into_iter()
            .chain(malformed.map(String::from));
        for text in texts {
            for after in ["", ",", "]", " x"] {
                let input = format!("{text}{after}");
                let format = WireFormat::new(Codec::Json, Serializers::default());
                let decoding = Decoding::new(&format, input.len());
                let mut read = Parser::new(&decoding, input.as_bytes()).unwrap();
                let mut skipped = Parser::new(&decoding, input.as_bytes()).unwrap();
                let heap = read.number().map(|number| number.heap_bytes());
                let skip = skipped.skip_number();
                match (heap, skip) {
                    (Ok(heap), Ok(skip)) => assert_eq!(heap, skip, "{input}"),
                    (Err(read), Err(skipped)) => {
                        assert_eq!(read.to_string(), skipped.to_string(), "{input}")
                    }
                    (heap, skip) => panic!("{input}: {heap:?} vs {skip:?}"),
                }
                assert_eq!(read.pos, skipped.pos, "{input}");
            }
        }
    }

    #[test]
    fn a_scanned_number_owns_the_heap_its_value_owns() {
        for text in number_texts() {
            let format = WireFormat::new(Codec::Json, Serializers::default());
            let decoding = Decoding::new(&format, text.len());
            let mut parser = Parser::new(&decoding, text.as_bytes()).unwrap();
            let number = parser.number().unwrap();
            assert_eq!(
                number.heap_bytes(),
                super::super::decode::heap_bytes(&parsed(&text)),
                "{text}"
            );
        }
    }
}
