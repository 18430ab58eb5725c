#[aiomas::proxy]
pub trait Calculator {
    async fn reset(&mut self);
    fn add(&self, a: i64, b: i64) -> i64;
    async fn scale(&self, #[default(1)] factor: i64) -> i64;
    async fn name(&self) -> &str;
    fn addition(&self) -> &Calculator;
}

fn main() {}
