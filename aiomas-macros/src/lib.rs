//! Procedural macros for `aiomas`. Use them through the re-exports in the `aiomas` crate.
