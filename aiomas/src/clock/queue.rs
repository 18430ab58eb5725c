//! The deadline-ordered queue of sleepers and calls behind [`ExternalClock`](super::ExternalClock).
//!
//! A `BTreeMap` keyed by `(deadline, sequence number)` rather than a binary heap: it pops in
//! the same order, and it can also remove one entry by key, so cancelled calls and dropped
//! sleeps leave at once instead of piling up until the clock reaches their deadline.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::task::Waker;

/// Identifies a queued entry; orders by deadline, then by registration.
#[derive(Debug, Clone, Copy)]
pub(super) struct Key {
    deadline: f64,
    seq: u64,
}

impl Key {
    pub(super) fn deadline(&self) -> f64 {
        self.deadline
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        // Deadlines are never NaN (the clock refuses them), so `total_cmp` is the numeric order.
        self.deadline
            .total_cmp(&other.deadline)
            .then(self.seq.cmp(&other.seq))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Key {}

/// What happens when an entry comes due.
pub(super) enum Entry {
    /// Wake the task sleeping on it (`None` until the sleep is first polled).
    Sleeper(Option<Waker>),
    /// Run a scheduled call.
    Call(Box<dyn FnOnce() + Send>),
}

#[derive(Default)]
pub(super) struct TimerQueue {
    next_seq: u64,
    entries: BTreeMap<Key, Entry>,
}

impl TimerQueue {
    pub(super) fn push(&mut self, deadline: f64, entry: Entry) -> Key {
        // `+ 0.0` turns -0.0 into 0.0, which `total_cmp` would otherwise order first and so
        // break registration order between the two equal deadlines.
        let key = Key {
            deadline: deadline + 0.0,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        self.entries.insert(key, entry);
        key
    }

    pub(super) fn get_mut(&mut self, key: &Key) -> Option<&mut Entry> {
        self.entries.get_mut(key)
    }

    pub(super) fn remove(&mut self, key: &Key) -> Option<Entry> {
        self.entries.remove(key)
    }

    /// Removes and returns the first entry whose deadline is `time` or earlier.
    pub(super) fn pop_due(&mut self, time: f64) -> Option<Entry> {
        let first = self.entries.first_entry()?;
        (first.key().deadline <= time).then(|| first.remove())
    }

    pub(super) fn next_deadline(&self) -> Option<f64> {
        self.entries.keys().next().map(Key::deadline)
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: u32, log: &std::sync::Arc<std::sync::Mutex<Vec<u32>>>) -> Entry {
        let log = log.clone();
        Entry::Call(Box::new(move || log.lock().unwrap().push(id)))
    }

    fn run_due(queue: &mut TimerQueue, time: f64) {
        while let Some(entry) = queue.pop_due(time) {
            match entry {
                Entry::Call(f) => f(),
                Entry::Sleeper(_) => {}
            }
        }
    }

    #[test]
    fn pops_by_deadline_then_registration() {
        let log = Default::default();
        let mut queue = TimerQueue::default();
        for (id, deadline) in [(0, 3.0), (1, 1.0), (2, 2.0), (3, 1.0), (4, -0.0), (5, 0.0)] {
            queue.push(deadline, call(id, &log));
        }
        assert_eq!(queue.next_deadline(), Some(0.0));
        run_due(&mut queue, 2.0);
        assert_eq!(*log.lock().unwrap(), [4, 5, 1, 3, 2]);
        assert_eq!(queue.next_deadline(), Some(3.0));
        assert!(queue.pop_due(2.5).is_none());
        run_due(&mut queue, 3.0);
        assert_eq!(*log.lock().unwrap(), [4, 5, 1, 3, 2, 0]);
        assert_eq!(queue.len(), 0);
        assert_eq!(queue.next_deadline(), None);
    }

    #[test]
    fn removes_by_key() {
        let log = Default::default();
        let mut queue = TimerQueue::default();
        let first = queue.push(1.0, call(0, &log));
        let second = queue.push(1.0, call(1, &log));
        assert!(queue.remove(&first).is_some());
        assert!(queue.remove(&first).is_none());
        assert!(queue.get_mut(&second).is_some());
        run_due(&mut queue, 1.0);
        assert_eq!(*log.lock().unwrap(), [1]);
    }
}
