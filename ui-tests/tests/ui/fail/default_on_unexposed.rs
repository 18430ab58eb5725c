pub struct Calculator;

#[aiomas::service]
impl Calculator {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        self.add_with_offset(a, b)
    }

    fn add_with_offset(&self, a: i64, #[default(0)] b: i64) -> i64 {
        a + b
    }
}

fn main() {}
