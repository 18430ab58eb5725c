pub trait Calculate {
    fn add(&self, a: i64, b: i64) -> i64;
}

pub struct Calculator;

#[aiomas::service]
impl Calculate for Calculator {
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn main() {}
