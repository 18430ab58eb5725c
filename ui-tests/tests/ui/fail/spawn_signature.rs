use aiomas::agent::AgentContext;

pub struct WithSelf;

#[aiomas::agent]
impl WithSelf {
    #[spawn]
    fn new(&self) -> Self {
        WithSelf
    }
}

pub struct NoContext;

#[aiomas::agent]
impl NoContext {
    #[spawn]
    fn new() -> Self {
        NoContext
    }
}

pub struct NoAgent;

#[aiomas::agent]
impl NoAgent {
    #[spawn]
    fn new(_ctx: AgentContext) {}
}

pub struct Exposed;

#[aiomas::agent]
impl Exposed {
    #[expose]
    #[spawn]
    fn new(_ctx: AgentContext) -> Self {
        Exposed
    }
}

pub struct Both;

#[aiomas::agent]
impl Both {
    #[spawn]
    #[on_start]
    fn new(_ctx: AgentContext) -> Self {
        Both
    }
}

pub struct WithArgs;

#[aiomas::agent]
impl WithArgs {
    #[spawn(name = "x")]
    fn new(_ctx: AgentContext) -> Self {
        WithArgs
    }
}

fn main() {}
