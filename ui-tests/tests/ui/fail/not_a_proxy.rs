//! A proxy must be a generated `NameProxy` (or `aiomas::rpc::Proxy`); a child needs a service.

pub struct Calculator;

#[aiomas::service]
impl Calculator {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn typed(client: &aiomas::rpc::RpcClient) {
    // The service type instead of its proxy:
    let _calc = client.remote_as::<Calculator>();
}

pub struct Plain;

pub struct Parent {
    plain: Plain,
}

#[aiomas::service]
impl Parent {
    #[expose(child)]
    fn plain(&self) -> &Plain {
        &self.plain
    }
}

fn main() {
    let _ = typed;
}
