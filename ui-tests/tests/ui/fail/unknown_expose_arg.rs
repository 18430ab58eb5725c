pub struct Calculator;

#[aiomas::service]
impl Calculator {
    #[expose(nmae = "plus")]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn main() {}
