pub struct Calculator;

#[aiomas::service]
impl Calculator {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[expose(name = "add")]
    fn add_floats(&self, a: f64, b: f64) -> f64 {
        a + b
    }
}

fn main() {}
