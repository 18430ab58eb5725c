//! `#[derive(aiomas::ExtensionType)]` takes a concrete struct.

#[derive(aiomas::ExtensionType)]
pub struct Generic<T> {
    item: T,
}

#[derive(aiomas::ExtensionType)]
pub enum Shape {
    Dot,
}

#[derive(aiomas::ExtensionType)]
pub union Bits {
    int: u32,
    float: f32,
}

fn main() {}
