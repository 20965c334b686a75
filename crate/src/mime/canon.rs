//! Canonical line endings for signing and verifying (RFC 8551 section 3.1.1,
//! RFC 5751 3.1.1): every line break becomes CRLF, nothing else changes.

use std::borrow::Cow;

/// Bare LF becomes CRLF and lone CR becomes CRLF; existing CRLF and all other bytes
/// are unchanged. Borrows when the input is already canonical.
///
/// # Security
/// Output is at most twice the input size; linear time.
pub fn canonicalize_crlf(bytes: &[u8]) -> Cow<'_, [u8]> {
    if is_canonical(bytes) {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len().saturating_add(bytes.len() / 16));
    // Copy the runs between line-break bytes whole; `done` is the first byte not yet copied.
    let mut done = 0usize;
    for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
        if i < done {
            // The LF of a CRLF already written.
            continue;
        }
        out.extend_from_slice(bytes.get(done..i).unwrap_or_default());
        out.extend_from_slice(b"\r\n");
        done = if bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 };
    }
    out.extend_from_slice(bytes.get(done..).unwrap_or_default());
    Cow::Owned(out)
}

pub use cachet_bytes::is_canonical;

/// The line breaks of a whole message, as `open` reads them once per message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineBreaks {
    /// Every one CRLF ([`is_canonical`]): every part of the message that starts and ends on a
    /// line boundary is canonical too.
    Canonical,
    /// Some lines end in CRLF and others in a bare LF (outside raw DER bodies).
    Mixed,
    /// Neither (bare LF throughout, a lone CR, or line breaks only inside raw DER bodies).
    Other,
}
