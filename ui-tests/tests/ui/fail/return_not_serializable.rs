#[derive(serde::Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

pub struct Plotter;

#[aiomas::service]
impl Plotter {
    #[expose]
    fn origin(&self) -> Point {
        Point { x: 0.0, y: 0.0 }
    }
}

fn main() {}
