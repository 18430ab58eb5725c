//! The NumPy serializer of the aiomas docs, in Rust: `NdArray` (`examples/shared/ndarray.rs`)
//! is one `#[derive(aiomas::ExtensionType)]` struct; a Python container that registers the
//! docs' `get_np_serializer` exchanges real `numpy.ndarray`s with it (the interop tests do).
//!
//! Here an agent calls an `ArrayAgent` in its own container and prints:
//!
//! ```text
//! [1.0, 2.0, 3.0, 4.0] (shape [2, 2]) * 2 = [2.0, 4.0, 6.0, 8.0] (shape [2, 2])
//! ```

#[path = "shared/ndarray.rs"]
mod ndarray;

use aiomas::agent::Container;
use aiomas::channel::{Addr, Retry};

use ndarray::{array_options, ArrayAgent, ArrayAgentProxy, NdArray};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let container = Container::create(Addr::tcp("127.0.0.1", 0), array_options()).await?;
    let agent = container.spawn(|_| ArrayAgent)?;
    let remote: ArrayAgentProxy = container.connect_as(agent.addr(), Retry::Never).await?;
    let array = NdArray::from_f64(vec![2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let scaled = remote.scale(array.clone(), 2.0).await?;
    println!(
        "{:?} (shape {:?}) * 2 = {:?} (shape {})",
        array.to_f64()?,
        array.shape,
        scaled.to_f64()?,
        remote.shape(aiomas::to_value(&scaled)?).await?,
    );
    container.shutdown().await;
    Ok(())
}
