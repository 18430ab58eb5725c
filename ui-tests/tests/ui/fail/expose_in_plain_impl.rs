use aiomas::expose;

pub struct Calculator;

impl Calculator {
    #[expose]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn main() {
    let _ = Calculator.add(1, 2);
}
