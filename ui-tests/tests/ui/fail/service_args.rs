pub struct Calculator;

#[aiomas::service(foo)]
impl Calculator {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn main() {}
