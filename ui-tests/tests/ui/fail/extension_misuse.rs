//! Misused `#[aiomas(...)]` options of `#[derive(aiomas::ExtensionType)]`.

#[derive(aiomas::ExtensionType)]
#[aiomas(nam = "Point")]
pub struct Typo {
    x: i32,
}

#[derive(aiomas::ExtensionType)]
#[aiomas(name = "")]
pub struct Empty {
    x: i32,
}

#[derive(aiomas::ExtensionType)]
#[aiomas(name = "A", name = "B")]
pub struct Twice {
    x: i32,
}

#[derive(aiomas::ExtensionType)]
#[aiomas(name = 5)]
pub struct NotAString {
    x: i32,
}

fn main() {}
