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
    #[expose]
    fn addition(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[expose(child, name = "addition")]
    fn addition_service(&self) -> &Addition {
        &self.addition
    }
}

fn main() {}
