//! Named resource limits for MIME parsing: the bounds that keep hostile input from
//! exhausting memory or stack. Exceeding one gives `Code::LimitExceeded` naming it.

use crate::error::Error;

/// Resource limits applied by [`crate::mime::parse`]. Every value is inclusive:
/// input exactly at a limit is accepted, one more is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes (default 64 MiB).
    pub max_message_size: usize,
    /// Deepest multipart nesting: the number of multipart ancestors an entity may
    /// have (default 32; the top-level entity has depth 0).
    pub max_depth: usize,
    /// Most entities in one message, the top-level entity included (default 10 000).
    pub max_parts: usize,
    /// Largest header block of one entity, in bytes, line endings included and the
    /// blank separator line excluded (default 256 KiB).
    pub max_header_size: usize,
    /// Longest single physical header line, in bytes, line ending excluded
    /// (default 64 KiB; RFC 5322 allows 998, real mail sometimes has more).
    pub max_header_line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: 64 * 1024 * 1024,
            max_depth: 32,
            max_parts: 10_000,
            max_header_size: 256 * 1024,
            max_header_line: 64 * 1024,
        }
    }
}

/// The error for an exceeded limit. `name` is the field name of [`Limits`].
pub(crate) fn exceeded(name: &str, limit: usize, found: impl std::fmt::Display) -> Error {
    Error::exceeded(name, limit, found, "The message is too large or too complex to be processed safely.", "Ask the sender for a simpler message, or open it in a desktop mail program.")
}
