#[derive(Debug)]
pub struct DivisionByZero;

pub struct Calculator;

#[aiomas::service]
impl Calculator {
    #[expose]
    fn div(&self, a: f64, b: f64) -> Result<f64, DivisionByZero> {
        if b == 0.0 {
            Err(DivisionByZero)
        } else {
            Ok(a / b)
        }
    }
}

fn main() {}
