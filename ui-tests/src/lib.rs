//! trybuild cases for the aiomas macros live in `tests/`.
