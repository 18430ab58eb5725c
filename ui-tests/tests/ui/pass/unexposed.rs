//! The proxy's stubs for methods without `#[expose]` leave everything else callable: exposed
//! methods, helpers named like the proxy's own methods (`clone`, `fmt`), associated functions.

use std::fmt;

#[derive(Clone)]
pub struct Counter;

#[aiomas::service]
impl Counter {
    #[expose]
    fn get(&self) -> u32 {
        self.helper()
    }

    #[expose(name = "reset")]
    fn reset_to(&self, value: u32) -> u32 {
        value
    }

    fn helper(&self) -> u32 {
        1
    }

    #[allow(clippy::should_implement_trait)]
    pub fn clone(&self) -> Counter {
        Counter
    }

    pub fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Counter")
    }

    pub fn new() -> Counter {
        Counter
    }
}

#[allow(dead_code)]
async fn remote(counter: CounterProxy) -> aiomas::Result<u32> {
    let copy = counter.clone();
    println!("{copy}");
    Ok(counter.get().await? + copy.reset_to(0).await?)
}

fn main() {
    assert_eq!(Counter::new().helper(), 1);
}
