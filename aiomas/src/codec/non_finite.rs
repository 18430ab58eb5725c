//! Python's `json` writes non-finite floats as the bare tokens `NaN`, `Infinity` and
//! `-Infinity` (not JSON, but what every Python peer sends and accepts). serde_json knows none
//! of them, so they cross it as marker strings: a NUL followed by the token. Only messages that
//! contain such a float pay for the extra pass.

use crate::Value;

/// The tokens and their values; `-Infinity` before `Infinity`, as one contains the other.
const TOKENS: [(&str, f64); 3] = [
    ("-Infinity", f64::NEG_INFINITY),
    ("Infinity", f64::INFINITY),
    ("NaN", f64::NAN),
];

/// The marker string standing for the non-finite `value` inside serde_json.
pub(super) fn marker(value: f64) -> String {
    let token = match value {
        v if v.is_nan() => "NaN",
        v if v > 0.0 => "Infinity",
        _ => "-Infinity",
    };
    format!("\u{0}{token}")
}

/// How serde_json writes a marker: a JSON string starting with an escaped NUL.
const QUOTED_MARKER_START: &[u8] = b"\"\\u0000";

/// Turns the markers serde_json wrote (as `"\u0000NaN"`) into Python's bare tokens.
pub(super) fn markers_to_tokens(out: &mut Vec<u8>, start: usize) {
    let mut rewritten = Vec::with_capacity(out.len() - start);
    let mut rest = &out[start..];
    while let Some(at) = rest
        .windows(QUOTED_MARKER_START.len())
        .position(|w| w == QUOTED_MARKER_START)
    {
        rewritten.extend_from_slice(&rest[..at]);
        let after = &rest[at + QUOTED_MARKER_START.len()..];
        let token = TOKENS
            .iter()
            .map(|(token, _)| token.as_bytes())
            .find(|token| after.starts_with(token) && after.get(token.len()) == Some(&b'"'));
        match token {
            Some(token) => {
                rewritten.extend_from_slice(token);
                rest = &after[token.len() + 1..];
            }
            None => {
                rewritten.extend_from_slice(QUOTED_MARKER_START);
                rest = after;
            }
        }
    }
    rewritten.extend_from_slice(rest);
    out.truncate(start);
    out.extend_from_slice(&rewritten);
}

/// Rewrites the bare tokens outside of strings into marker strings, or `None` if there are none.
pub(super) fn tokens_to_markers(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() + 16);
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    let mut i = 0;
    'scan: while i < body.len() {
        let byte = body[i];
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if byte == b'"' {
            in_string = true;
        } else {
            for (token, _) in TOKENS {
                if body[i..].starts_with(token.as_bytes()) {
                    out.extend_from_slice(format!("\"\\u0000{token}\"").as_bytes());
                    i += token.len();
                    changed = true;
                    continue 'scan;
                }
            }
        }
        out.push(byte);
        i += 1;
    }
    changed.then_some(out)
}

/// Replaces the marker strings in a decoded value by their floats.
pub(super) fn restore(value: &mut Value) {
    match value {
        Value::Str(s) if s.starts_with('\u{0}') => {
            if let Some((_, float)) = TOKENS.iter().find(|(token, _)| &s[1..] == *token) {
                *value = Value::Float(*float);
            }
        }
        Value::List(items) => items.iter_mut().for_each(restore),
        Value::Map(entries) => entries.iter_mut().for_each(|(key, item)| {
            restore(key);
            restore(item);
        }),
        Value::Ext(ext) => restore(&mut ext.data),
        _ => {}
    }
}
