//! Python's `repr` of a [`Value`], so a port of a Python simulator prints what the original
//! prints (`print(some_dict)`).

use std::fmt::Write;

use crate::clock::pyfmt::py_float;
use crate::Value;

/// The text Python's `repr` (and `print`) gives for `value` after a JSON round trip.
///
/// ```
/// use aiomas::mosaik::py_repr;
/// use aiomas::Value;
/// let v = Value::Map(vec![("a".into(), Value::from(vec![1.into(), 0.5.into(), Value::Nil]))]);
/// assert_eq!(py_repr(&v), "{'a': [1, 0.5, None]}");
/// assert_eq!(py_repr(&Value::from(1e16)), "1e+16");
/// assert_eq!(py_repr(&Value::from("it's")), "\"it's\"");
/// ```
pub fn py_repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

fn write_repr(out: &mut String, value: &Value) {
    match value {
        Value::Nil => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Float(x) => out.push_str(&py_float(*x)),
        Value::Str(s) => str_repr(out, s, ""),
        Value::Bytes(b) => str_repr(out, &String::from_utf8_lossy(b), "b"),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, k);
                out.push_str(": ");
                write_repr(out, v);
            }
            out.push('}');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn str_repr(out: &mut String, s: &str, prefix: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push_str(prefix);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_pick_quotes_and_escape() {
        assert_eq!(py_repr(&"a'b\"c".into()), r#"'a\'b"c'"#);
        assert_eq!(py_repr(&"tab\there\n".into()), r"'tab\there\n'");
        assert_eq!(py_repr(&"\u{1}ü".into()), r"'\x01ü'");
    }
}
