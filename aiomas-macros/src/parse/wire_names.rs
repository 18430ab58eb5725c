//! One name on the wire per remote method or child service.
//!
//! A request path names its target by wire name only, so two methods (or a method and a child)
//! under the same name could not both be reached: the second is reported, with a hint to rename
//! one of them.

use std::collections::HashMap;

use proc_macro2::Ident;
use syn::{Error, LitStr};

use super::Errors;

/// Wire names already taken in one service (with the Rust method that took each), to report
/// clashes.
#[derive(Default)]
pub(super) struct WireNames(HashMap<String, Ident>);

impl WireNames {
    /// Takes `name` for `rust_name`; `false` (after reporting the clash) if it is taken.
    pub(super) fn claim(&mut self, name: &LitStr, rust_name: &Ident, errors: &mut Errors) -> bool {
        match self.0.get(&name.value()) {
            // Two methods of the same name: rustc reports that already.
            Some(first) if first == rust_name => false,
            Some(first) => {
                errors.push(Error::new(
                    name.span(),
                    format!(
                        "the name `{}` is already exposed by `fn {}`; rename one with \
                         `#[expose(name = \"...\")]`",
                        name.value(),
                        first
                    ),
                ));
                false
            }
            None => {
                self.0.insert(name.value(), rust_name.clone());
                true
            }
        }
    }

    /// Whether `name` is taken on the wire.
    pub(super) fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}
