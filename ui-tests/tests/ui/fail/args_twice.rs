use aiomas::Value;

pub struct Logger;

#[aiomas::service]
impl Logger {
    #[expose]
    fn log(&self, #[args] first: Vec<Value>, #[args] second: Vec<Value>) -> usize {
        first.len() + second.len()
    }
}

fn main() {}
