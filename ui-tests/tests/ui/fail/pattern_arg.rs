pub struct Calculator;

#[aiomas::service]
impl Calculator {
    #[expose]
    fn add(&self, (a, b): (i32, i32)) -> i32 {
        a + b
    }
}

fn main() {}
