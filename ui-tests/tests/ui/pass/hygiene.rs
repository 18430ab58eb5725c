//! The generated code names everything by absolute paths: it compiles without the prelude and
//! next to items that shadow common names.
#![no_implicit_prelude]

// Shadow what generated code might otherwise pick up by accident.
#[allow(dead_code)]
struct Vec;
#[allow(dead_code)]
struct String;
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct Result;
#[allow(dead_code)]
struct Ok;
#[allow(dead_code)]
trait Service {}
#[allow(dead_code)]
trait Clone {}
#[allow(dead_code)]
mod aiomas {}
#[allow(dead_code)]
mod serde {}

pub struct Child;

#[::aiomas::service]
impl Child {
    #[expose]
    fn ping(&self) {}
}

pub struct Hygienic {
    child: Child,
}

#[::aiomas::agent]
impl Hygienic {
    // Parameters named like the generated locals.
    #[expose]
    fn add(&self, args: i64, #[default(args + 1)] kwargs: i64, name: i64) -> i64 {
        args + kwargs + name
    }

    #[expose]
    async fn rest(
        &self,
        reply: ::std::option::Option<i64>,
        #[args] proxy: ::std::vec::Vec<::aiomas::Value>,
        f: bool,
        #[kwargs] serializer: ::std::collections::BTreeMap<::std::string::String, ::aiomas::Value>,
    ) -> ::core::result::Result<::std::string::String, ::std::string::String> {
        let _ = (reply, proxy, f, serializer);
        ::core::result::Result::Ok(::std::string::String::new())
    }

    #[expose(child)]
    fn child(&self) -> &Child {
        &self.child
    }
}

#[::aiomas::proxy]
pub trait Remote {
    async fn call(&self, args: i64, #[args] kwargs: ::std::vec::Vec<i64>, reply: i64) -> i64;
    fn child(&self) -> ChildProxy;
}

fn main() {
    let _ = Hygienic { child: Child };
}
