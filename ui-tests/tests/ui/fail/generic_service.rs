pub struct Store<T> {
    items: std::sync::Mutex<Vec<T>>,
}

#[aiomas::service]
impl<T: Send + 'static> Store<T> {
    #[expose]
    fn len(&self) -> usize {
        self.items.lock().unwrap().len()
    }
}

fn main() {}
