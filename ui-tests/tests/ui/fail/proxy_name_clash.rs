pub struct Calculator;

/// The user's own type, named like the proxy that `#[aiomas::service]` generates.
pub struct CalculatorProxy;

#[aiomas::service]
impl Calculator {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn main() {}
