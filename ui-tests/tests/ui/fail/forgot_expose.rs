//! Calling a method without `#[expose]` through the proxy says to add `#[expose]`.

pub struct Greeter;

#[aiomas::service]
impl Greeter {
    #[expose]
    fn hello(&self) -> String {
        "hi".to_owned()
    }

    fn shout(&self, who: String) -> String {
        who.to_uppercase()
    }
}

async fn call(greeter: GreeterProxy) -> aiomas::Result<()> {
    let loud: String = greeter.shout("you".to_owned()).await?;
    println!("{loud}");
    Ok(())
}

fn main() {
    let _ = call;
}
