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

/// True if every CR is followed by LF and every LF preceded by CR.
pub fn is_canonical(bytes: &[u8]) -> bool {
    // Equivalently: a byte is LF exactly when the byte before it is CR (a CR at the very end
    // has no LF after it). Eight bytes at a time as one u64 (Wasm has no SIMD in this build,
    // but 64-bit integers): the CR and LF bytes of a word as masks (high bit of each byte),
    // the CR mask moved up one byte (plus the last CR bit of the word before) must equal the
    // LF mask. No early exit inside the loop, so it stays branch-free.
    if bytes.first() == Some(&b'\n') || bytes.last() == Some(&b'\r') {
        return false;
    }
    let whole = bytes.len() - bytes.len() % 8;
    let (words, rest) = bytes.split_at_checked(whole).unwrap_or((&[], bytes));
    let mut carry = 0u64;
    let mut bad = 0u64;
    // `chunks_exact` consumed by the loop itself: the size-optimised build calls a
    // `by_ref()` iterator's `next` out of line for every word.
    for w in words.chunks_exact(8) {
        // A cast of the slice to an array (one 64-bit load), not `copy_from_slice`, which
        // the size-optimised build also calls out of line.
        let x = <&[u8; 8]>::try_from(w).map_or(0, |b| u64::from_le_bytes(*b));
        let cr = byte_mask(x, b'\r');
        let lf = byte_mask(x, b'\n');
        bad |= lf ^ ((cr << 8) | carry);
        carry = cr >> 56;
    }
    if bad != 0 {
        return false;
    }
    let mut prev_cr = carry != 0;
    for &c in rest {
        if (c == b'\n') != prev_cr {
            return false;
        }
        prev_cr = c == b'\r';
    }
    true
}

/// The high bit of each byte of `x` that equals `byte`, all other bits clear (exact: no
/// false positives from borrows, unlike the shorter "has a zero byte" test).
fn byte_mask(x: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let t = x ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    // A byte of t is zero exactly when neither its low 7 bits (added to 0x7f, carrying into
    // the high bit) nor its high bit is set.
    !(((t & LOW7) + LOW7) | t) & !LOW7
}
