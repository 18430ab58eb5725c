pub struct Echo;

#[aiomas::service]
impl Echo {
    #[expose]
    fn echo(&self, value: impl Into<String>) -> String {
        value.into()
    }
}

fn main() {}
