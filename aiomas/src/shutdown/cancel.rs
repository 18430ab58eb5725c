//! [`CancellationToken`]: a flag that tasks wait on, set once; child tokens follow their parent.
//!
//! tokio-util's semantics for what we use: clones share one flag; `cancel` sets it and wakes
//! every waiter; a child token is cancelled with its parent (or alone), never the other way.

use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

/// A shared cancellation flag (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct CancellationToken {
    node: Arc<Node>,
}

#[derive(Debug, Default)]
struct Node {
    state: Mutex<State>,
    /// Woken (all waiters) on cancel.
    cancelled: Notify,
}

#[derive(Debug, Default)]
struct State {
    cancelled: bool,
    /// Cancelled with this one; dropped children are pruned as new ones come.
    children: Vec<Weak<Node>>,
}

impl Node {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a flag and a list: a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cancel(&self) {
        let children = {
            let mut state = self.state();
            if state.cancelled {
                return;
            }
            state.cancelled = true;
            std::mem::take(&mut state.children)
        };
        self.cancelled.notify_waiters();
        for child in children.iter().filter_map(Weak::upgrade) {
            child.cancel();
        }
    }
}

impl CancellationToken {
    /// A token that is not cancelled.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A token cancelled when this one is (at once if it already is), or by itself alone.
    pub(crate) fn child_token(&self) -> Self {
        let child = Self::new();
        let mut state = self.node.state();
        if state.cancelled {
            child.node.state().cancelled = true;
        } else {
            state.children.retain(|c| c.strong_count() > 0);
            state.children.push(Arc::downgrade(&child.node));
        }
        child
    }

    /// Sets the flag, wakes every waiter and cancels the children.
    pub(crate) fn cancel(&self) {
        self.node.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called on this token or an ancestor.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.node.state().cancelled
    }

    /// Returns once the token is cancelled (at once if it is).
    pub(crate) async fn cancelled(&self) {
        super::wait_until(&self.node.cancelled, || self.is_cancelled()).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn returns(token: &CancellationToken) -> bool {
        super::super::returns_soon(token.cancelled()).await
    }

    #[tokio::test]
    async fn cancel_wakes_waiters_and_children_follow_their_parent_only() {
        let root = CancellationToken::new();
        let (child, other) = (root.child_token(), root.child_token());
        let grandchild = child.child_token();
        assert!(!returns(&root).await && !returns(&grandchild).await);
        let waiter = tokio::spawn({
            let grandchild = grandchild.clone();
            async move { grandchild.cancelled().await }
        });
        tokio::task::yield_now().await;
        // A child alone: its subtree, not the parent nor a sibling.
        child.cancel();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .unwrap();
        assert!(child.is_cancelled() && grandchild.is_cancelled());
        assert!(!root.is_cancelled() && !other.is_cancelled());
        // The parent: every child, and children made afterwards are born cancelled.
        root.clone().cancel();
        assert!(returns(&root).await && returns(&other).await);
        assert!(root.child_token().is_cancelled());
    }

    #[test]
    fn dropped_children_are_pruned() {
        let root = CancellationToken::new();
        for _ in 0..100 {
            drop(root.child_token());
        }
        assert_eq!(root.node.state().children.len(), 1);
    }
}
