#[derive(serde::Serialize)]
pub struct Point {
    x: f64,
    y: f64,
}

pub struct Plotter;

#[aiomas::service]
impl Plotter {
    #[expose]
    fn plot(&self, point: Point) -> f64 {
        point.x + point.y
    }
}

fn main() {}
