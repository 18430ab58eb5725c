#[aiomas::proxy]
pub struct Calculator;

fn main() {
    let _ = Calculator;
}
