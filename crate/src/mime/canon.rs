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
    let mut iter = bytes.iter().copied().peekable();
    while let Some(c) = iter.next() {
        match c {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if iter.peek() == Some(&b'\n') {
                    iter.next();
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// True if every CR is followed by LF and every LF preceded by CR.
pub fn is_canonical(bytes: &[u8]) -> bool {
    let mut prev_cr = false;
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'\n' if !prev_cr => return false,
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => return false,
            _ => {}
        }
        prev_cr = c == b'\r';
    }
    true
}
