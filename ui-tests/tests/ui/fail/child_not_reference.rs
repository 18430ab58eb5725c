#[derive(Clone)]
pub struct Addition;

#[aiomas::service]
impl Addition {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

pub struct Calculator {
    addition: Addition,
}

#[aiomas::service]
impl Calculator {
    #[expose(child)]
    fn addition(&self) -> Addition {
        self.addition.clone()
    }
}

fn main() {}
