//! A bounded memory of values computed recently, looked up by their exact key: the parsed
//! certificates and RSA public keys the Wasm boundary sees again message after message.
//!
//! # Security
//! A lookup compares whole keys, so it gives exactly the value kept for those bytes; at most
//! `max` entries are kept (the oldest dropped first), so the memory kept is bounded whatever the
//! caller passes. Callers keep only public values.

use std::borrow::Borrow;
use std::collections::VecDeque;

/// At most `max` (key, value) pairs, the oldest dropped first.
pub struct Kept<K, V> {
    entries: VecDeque<(K, V)>,
    max: usize,
}

impl<K, V: Clone> Kept<K, V> {
    /// An empty memory of at most `max` entries.
    pub const fn new(max: usize) -> Kept<K, V> {
        Kept { entries: VecDeque::new(), max }
    }

    /// The value kept under a key equal to `key`.
    pub fn get<Q: PartialEq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.entries.iter().find(|(k, _)| k.borrow() == key).map(|(_, v)| v.clone())
    }

    /// Keep `value` under `key`, dropping the oldest entry when full.
    pub fn keep(&mut self, key: K, value: V) {
        if self.entries.len() >= self.max {
            self.entries.pop_front();
        }
        self.entries.push_back((key, value));
    }

    /// How many entries are kept now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Nothing kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The kept keys, oldest first.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
