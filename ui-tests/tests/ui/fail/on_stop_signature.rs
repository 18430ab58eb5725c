pub struct Returns;

#[aiomas::agent]
impl Returns {
    #[on_stop]
    async fn stop(&self) -> bool {
        true
    }
}

pub struct Duplicate;

#[aiomas::agent]
impl Duplicate {
    #[on_stop]
    fn stop(&self) {}

    #[on_stop]
    fn halt(&self) {}
}

pub struct Mutable;

#[aiomas::agent]
impl Mutable {
    #[on_stop]
    fn stop(&mut self) {}
}

fn main() {}
