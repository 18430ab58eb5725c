pub struct Calculator;

#[aiomas::service]
impl Calculator {
    #[expose]
    fn add(&self, a: i64, #[default] b: i64) -> i64 {
        a + b
    }
}

fn main() {}
