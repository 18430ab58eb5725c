use std::collections::BTreeMap;

use aiomas::Value;

pub struct Logger;

#[aiomas::service]
impl Logger {
    #[expose]
    fn log(&self, #[kwargs] options: BTreeMap<String, Value>, message: String) -> usize {
        options.len() + message.len()
    }
}

fn main() {}
