//! The byte loops every message passes through in Cachet's MIME layer, and the wiping of large
//! secret buffers ([`Wiped`]), kept in a crate of their own: the Wasm build is optimised for
//! size as a whole, which turns off loop vectorisation and leaves small helpers as calls, while
//! this crate is built for speed (`profile.wasm.package.cachet-bytes` in the workspace
//! manifest). Functions are `#[inline(never)]` so that they keep this crate's optimisation
//! instead of being inlined into size-optimised callers.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::indexing_slicing))]

/// True if every CR is followed by LF and every LF preceded by CR.
#[inline(never)]
pub fn is_canonical(bytes: &[u8]) -> bool {
    // Equivalently: a byte is LF exactly when the byte before it is CR (a CR at the very end
    // has no LF after it). No early exit inside the loops, so they stay branch-free.
    if bytes.first() == Some(&b'\n') || bytes.last() == Some(&b'\r') {
        return false;
    }
    let (rest, mut prev_cr) = match line_breaks_paired(bytes) {
        Some(r) => r,
        None => return false,
    };
    for &c in rest {
        if (c == b'\n') != prev_cr {
            return false;
        }
        prev_cr = c == b'\r';
    }
    true
}

/// Eight bytes as one little-endian u64 (one 64-bit load; a slice of another length is 0, which
/// the callers, passing exact 8-byte chunks, never give).
fn le_u64(w: &[u8]) -> u64 {
    <&[u8; 8]>::try_from(w).map_or(0, |b| u64::from_le_bytes(*b))
}

/// [`is_canonical`]'s test over whole 16-byte blocks with Wasm SIMD: the CR and LF lanes of a
/// block as masks, the CR mask moved up one lane (the last lane of the block before moved in)
/// must equal the LF mask. None when it fails; else the bytes after the blocks and whether the
/// last block ended in CR.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn line_breaks_paired(bytes: &[u8]) -> Option<(&[u8], bool)> {
    use core::arch::wasm32::{i8x16_shuffle, u64x2, u8x16_eq, u8x16_extract_lane, u8x16_splat, v128_any_true, v128_or, v128_xor};
    let (cr_s, lf_s) = (u8x16_splat(b'\r'), u8x16_splat(b'\n'));
    let mut prev = u8x16_splat(0);
    let mut bad = u8x16_splat(0);
    let blocks = bytes.chunks_exact(16);
    let rest = blocks.remainder();
    for b in blocks {
        let (lo, hi) = b.split_at(8);
        let x = u64x2(le_u64(lo), le_u64(hi));
        let cr = u8x16_eq(x, cr_s);
        let lf = u8x16_eq(x, lf_s);
        // Lane 15 of the block before, then lanes 0-14 of this one.
        let before = i8x16_shuffle::<15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30>(prev, cr);
        bad = v128_or(bad, v128_xor(lf, before));
        prev = cr;
    }
    (!v128_any_true(bad)).then_some((rest, u8x16_extract_lane::<15>(prev) != 0))
}

/// [`is_canonical`]'s test over whole 8-byte words as u64: the CR and LF bytes of a word as
/// masks (high bit of each byte), the CR mask moved up one byte (plus the last CR bit of the
/// word before) must equal the LF mask. None when it fails; else the bytes after the words and
/// whether the last word ended in CR.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn line_breaks_paired(bytes: &[u8]) -> Option<(&[u8], bool)> {
    let whole = bytes.len() - bytes.len() % 8;
    let (words, rest) = bytes.split_at_checked(whole).unwrap_or((&[], bytes));
    let mut carry = 0u64;
    let mut bad = 0u64;
    for w in words.chunks_exact(8) {
        let x = le_u64(w);
        let cr = byte_mask(x, b'\r');
        let lf = byte_mask(x, b'\n');
        bad |= lf ^ ((cr << 8) | carry);
        carry = cr >> 56;
    }
    (bad == 0).then_some((rest, carry != 0))
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
/// The high bit of each byte of `x` that equals `byte`, all other bits clear (exact: no
/// false positives from borrows, unlike the shorter "has a zero byte" test).
fn byte_mask(x: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let t = x ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    // A byte of t is zero exactly when neither its low 7 bits (added to 0x7f, carrying into
    // the high bit) nor its high bit is set.
    !(((t & LOW7) + LOW7) | t) & !LOW7
}

/// Whole 4-character base64 groups without padding (standard alphabet) decoded with SIMD into
/// the start of `out`; the number of bytes written. None when the text is not such groups (a
/// character outside the alphabet, padding, a length not a multiple of 4) or `out` is shorter
/// than the decoded length. For such groups every base64 decoder gives the same bytes, since
/// neither padding nor trailing bits can occur in them.
#[inline(never)]
pub fn decode_base64_groups(groups: &[u8], out: &mut [u8]) -> Option<usize> {
    if !groups.len().is_multiple_of(4) || out.len() < groups.len() / 4 * 3 || groups.last() == Some(&b'=') {
        return None;
    }
    base64_simd::STANDARD.decode(groups, base64_simd::Out::from_slice(out)).ok().map(|d| d.len())
}

/// A base64 body of the common shape decoded in one pass: lines of whole 4-character groups
/// ended by CRLF or LF, padding only at the very end. Lines are gathered into blocks; each
/// block but the last is decoded with SIMD ([`decode_base64_groups`]), the last (which may be
/// short, padded or end in trailing bits) by `last`, the caller's decoder, which writes into
/// the given room and returns the bytes written. `None` for anything else (white space inside
/// a line, a short line before the last, a character outside the alphabet): the caller then
/// decodes the general way, which gives the same result or error its whole-body decoder gives.
#[inline(never)]
pub fn decode_base64_lines(body: &[u8], last: impl Fn(&[u8], &mut [u8]) -> Option<usize>) -> Option<Vec<u8>> {
    // Sized once for the whole body and decoded into in place (zero-filling each block's room
    // first cost 4 % of opening 25 MB in Wasm, while a large zeroed allocation comes from fresh,
    // already zero pages). The size is exact for the usual shape ([`lines_bound`]: a bound on
    // the body's length alone counted its line breaks as text, 0.8 MiB more Wasm memory for
    // 25 MB); other shapes grow it once when a block would not fit.
    let mut out = vec![0u8; lines_bound(body)];
    let filled = decode_lines(&mut Apart { body, out: &mut out }, last, &mut BodyBreaks::default())?;
    out.truncate(filled);
    Some(out)
}

/// [`decode_base64_lines`] of `buf[from..]` written over the start of `buf` itself, which is
/// then cut to the decoded bytes; their number. Each decoded block is written where text
/// already read was (four characters give three bytes, and a block is gathered into a buffer
/// of its own before it is decoded), so no byte is written before it is read. For a message's
/// body this needs no second buffer the size of the body (for 25 MB, 25 MB less Wasm memory).
/// `None` as for [`decode_base64_lines`]: `buf` then holds part of the body decoded over its
/// start and must be read again from its source.
/// With the decoded length comes how the body's lines ended ([`BodyBreaks`]), seen while
/// decoding, so that the caller need not scan the body for its line breaks before.
#[inline(never)]
pub fn decode_base64_lines_in_place(buf: &mut Vec<u8>, from: usize, last: impl Fn(&[u8], &mut [u8]) -> Option<usize>) -> Option<(usize, BodyBreaks)> {
    if from > buf.len() {
        return None;
    }
    let mut breaks = BodyBreaks::default();
    let filled = decode_lines(&mut InPlace { buf, from }, last, &mut breaks)?;
    buf.truncate(filled);
    Some((filled, breaks))
}

/// How the lines of a base64 body that [`decode_base64_lines_in_place`] decoded ended. A body
/// it decodes has no CR but these: a line's text holding one is not base64, so it is refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BodyBreaks {
    /// Some line ended in CRLF.
    pub crlf: bool,
    /// Some line ended in a bare LF.
    pub lf: bool,
    /// The body's last byte is a CR with no LF after it (its last line has no line break).
    pub cr_at_end: bool,
}

/// Where [`decode_lines`] reads the body and writes the decoded bytes.
trait LinesIo {
    /// The base64 body (never changed by writes into [`LinesIo::out`] before its bytes are read).
    fn body(&self) -> &[u8];
    /// The decoded bytes are written into this from its start, growing it when needed.
    fn out(&mut self) -> &mut Vec<u8>;
}

/// A body decoded into a buffer of its own.
struct Apart<'a> {
    body: &'a [u8],
    out: &'a mut Vec<u8>,
}

impl LinesIo for Apart<'_> {
    fn body(&self) -> &[u8] {
        self.body
    }
    fn out(&mut self) -> &mut Vec<u8> {
        self.out
    }
}

/// `buf[from..]` decoded over the start of `buf`.
struct InPlace<'a> {
    buf: &'a mut Vec<u8>,
    from: usize,
}

impl LinesIo for InPlace<'_> {
    fn body(&self) -> &[u8] {
        self.buf.get(self.from..).unwrap_or_default()
    }
    fn out(&mut self) -> &mut Vec<u8> {
        self.buf
    }
}

/// The loop of [`decode_base64_lines`]: the number of bytes written into `io.out()`.
fn decode_lines(io: &mut impl LinesIo, last: impl Fn(&[u8], &mut [u8]) -> Option<usize>, breaks: &mut BodyBreaks) -> Option<usize> {
    const BLOCK: usize = 64 * 1024;
    let mut filled = 0usize;
    // The lines' text gathered for one decode: `block[..used]` (zeroed once, never resized for
    // the usual shapes: filling the room before each block was a byte loop).
    let mut block: Vec<u8> = vec![0; BLOCK + 128];
    let mut used = 0usize;
    let len = io.body().len();
    // The first line's length with its line break: later lines of that length are taken
    // without searching for their end (a line break inside one is not base64, so the decoder
    // refuses it and the caller decodes the general way).
    let first = memchr::memchr(b'\n', io.body()).map_or(0, |i| i + 1);
    // The usual shapes (76 or 64 characters, CRLF or LF) have a loop of their own.
    // With each loop, whether the lines it takes end in CRLF.
    let gather: Option<(GatherLines, bool)> = match (first, io.body().get(first.wrapping_sub(2))) {
        (78, Some(b'\r')) => Some((gather_lines::<76, 78>, true)),
        (77, Some(c)) if *c != b'\r' => Some((gather_lines::<76, 77>, false)),
        (66, Some(b'\r')) => Some((gather_lines::<64, 66>, true)),
        (65, Some(c)) if *c != b'\r' => Some((gather_lines::<64, 65>, false)),
        _ => None,
    };
    // Only the last non-empty line may be shorter than whole groups or carry padding.
    let mut ended = false;
    let mut start = 0usize;
    while start < len {
        if let (Some((gather, crlf)), false) = (gather, ended) {
            let taken = gather(io.body().get(start..)?, &mut block, &mut used, BLOCK);
            if taken > 0 {
                if crlf {
                    breaks.crlf = true;
                } else {
                    breaks.lf = true;
                }
            }
            start += taken;
            if used >= BLOCK {
                filled += decode_block(io.out(), filled, block.get(..used)?, len.saturating_sub(start))?;
                used = 0;
                continue;
            }
            if start >= len {
                break;
            }
        }
        let body = io.body();
        let same = first > 0 && body.get(start + first - 1) == Some(&b'\n');
        let (line, next, lf) = if same {
            (body.get(start..start + first - 1)?, start + first, true)
        } else {
            match memchr::memchr(b'\n', body.get(start..)?) {
                Some(i) => (body.get(start..start + i)?, start + i + 1, true),
                None => (body.get(start..)?, len, false),
            }
        };
        start = next;
        // Not `strip_suffix`: its instance is shared with the size-optimised crates.
        let line = match line.split_last() {
            Some((b'\r', text)) => {
                if lf {
                    breaks.crlf = true;
                } else {
                    breaks.cr_at_end = true;
                }
                text
            }
            _ => {
                breaks.lf |= lf;
                line
            }
        };
        if line.is_empty() {
            continue;
        }
        if ended {
            return None;
        }
        if line.len() % 4 != 0 || line.last() == Some(&b'=') {
            ended = true;
        }
        if block.len() < used + line.len() {
            block.resize(used + line.len(), 0);
        }
        block.get_mut(used..used + line.len())?.copy_from_slice(line);
        used += line.len();
        if used >= BLOCK && !ended {
            filled += decode_block(io.out(), filled, block.get(..used)?, len.saturating_sub(start))?;
            used = 0;
        }
    }
    let out = io.out();
    room_for(out, filled, used, 0);
    filled += last(block.get(..used)?, out.get_mut(filled..)?)?;
    Some(filled)
}

/// `block` (whole groups, not the last) decoded into `out` after `filled`, with room made for
/// it and for `rest` more bytes of body first; the bytes written.
fn decode_block(out: &mut Vec<u8>, filled: usize, block: &[u8], rest: usize) -> Option<usize> {
    room_for(out, filled, block.len(), rest);
    decode_base64_groups(block, out.get_mut(filled..)?)
}

/// [`gather_lines`] for one line shape.
type GatherLines = fn(&[u8], &mut [u8], &mut usize, usize) -> usize;

/// The text of whole lines of `L` bytes at the start of `body` (`W` characters, then CRLF when
/// `L - W` is 2 or LF when it is 1) written to `block` from `*used` on, until `*used` is `room`
/// or more, a line ends otherwise or its text ends in `=` (the last line, left to the caller);
/// the number of bytes of `body` taken. `block` has room for `room + W` characters. Lines of a
/// size known here are copied without a search for their end and without a call per line (a
/// tenth of opening 25 MB in Wasm went to the per-line copies).
fn gather_lines<const W: usize, const L: usize>(body: &[u8], block: &mut [u8], used: &mut usize, room: usize) -> usize {
    let mut at = *used;
    let mut taken = 0;
    for line in body.chunks_exact(L) {
        // Byte by byte at fixed places (a slice comparison is a call in Wasm).
        let ends_right = if L - W == 2 { line.get(W) == Some(&b'\r') && line.get(W + 1) == Some(&b'\n') } else { line.get(W) == Some(&b'\n') };
        if at >= room || !ends_right || line.get(W - 1) == Some(&b'=') {
            break;
        }
        let (Some(to), Some(text)) = (block.get_mut(at..at + W), line.get(..W)) else { break };
        copy_words(to, text);
        at += W;
        taken += L;
    }
    *used = at;
    taken
}

/// `from` copied to `to` (as long) eight bytes at a time with plain loads and stores: a copy
/// through `copy_from_slice` is a `memory.copy`, which costs a call into the engine each time.
fn copy_words(to: &mut [u8], from: &[u8]) {
    let mut to_words = to.chunks_exact_mut(8);
    let mut from_words = from.chunks_exact(8);
    for (d, s) in (&mut to_words).zip(&mut from_words) {
        if let Ok(d) = <&mut [u8; 8]>::try_from(d) {
            *d = le_u64(s).to_le_bytes();
        }
    }
    for (d, s) in to_words.into_remainder().iter_mut().zip(from_words.remainder()) {
        *d = *s;
    }
}

/// The decoded length of `body` if all its lines were as long as its first one, each with the
/// same line ending (the last maybe shorter): exact to a line for the usual base64 body (lines of
/// 64 or 76 characters), an upper bound for that shape only.
fn lines_bound(body: &[u8]) -> usize {
    let whole = body.len() / 4 * 3 + 3;
    let Some(lf) = memchr::memchr(b'\n', body) else { return whole };
    let first = body.get(..lf).unwrap_or_default();
    let text = first.strip_suffix(b"\r").unwrap_or(first).len();
    if text == 0 {
        return whole;
    }
    body.len().div_ceil(lf + 1).saturating_mul(text).min(body.len()) / 4 * 3 + 3
}

/// Makes room in `out` after `filled` for `block` base64 characters, and then for at most
/// `rest` more bytes of body, when the first size was short (a body of unequal lines).
fn room_for(out: &mut Vec<u8>, filled: usize, block: usize, rest: usize) {
    if out.len().saturating_sub(filled) < block / 4 * 3 + 3 {
        out.resize(filled.saturating_add(block.saturating_add(rest) / 4 * 3 + 3), 0);
    }
}

/// Already 7-bit and fit for transport: no byte 0 or above 0x7F, no line above 998 bytes
/// (RFC 5322 2.1.1; a line's length counts its CR, the check is on LF).
#[inline(never)]
pub fn is_seven_bit(body: &[u8]) -> bool {
    if !seven_bit_bytes(body) {
        return false;
    }
    // Every line is at most 998 bytes when each window of 999 bytes from a line start holds
    // a LF: jump to the last LF of the window rather than visiting every line.
    let mut line_start = 0usize;
    while body.len() - line_start > 998 {
        let window = body.get(line_start..line_start + 999).unwrap_or_default();
        match memchr::memrchr(b'\n', window) {
            Some(i) => line_start += i + 1,
            None => return false,
        }
    }
    true
}

/// No byte 0 or above 0x7F, 16 bytes at a time with Wasm SIMD (as signed bytes, exactly those
/// are at most 0), in blocks without early exit.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn seven_bit_bytes(body: &[u8]) -> bool {
    use core::arch::wasm32::{i8x16_le, u64x2, u8x16_splat, v128_any_true, v128_or};
    let zero = u8x16_splat(0);
    body.chunks(4096).all(|block| {
        let blocks = block.chunks_exact(16);
        let rest = blocks.remainder();
        let mut bad = zero;
        for b in blocks {
            let (lo, hi) = b.split_at(8);
            bad = v128_or(bad, i8x16_le(u64x2(le_u64(lo), le_u64(hi)), zero));
        }
        !v128_any_true(bad) && rest.iter().all(|&b| b.wrapping_sub(1) < 0x7f)
    })
}

/// No byte 0 or above 0x7F, eight bytes at a time as one u64, in blocks without early exit.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn seven_bit_bytes(body: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = !HIGH;
    body.chunks(4096).all(|block| {
        let (words, rest) = block.split_at_checked(block.len() - block.len() % 8).unwrap_or((&[], block));
        let mut bad = 0u64;
        for w in words.chunks_exact(8) {
            let x = le_u64(w);
            // High bit of each zero byte (exact: no borrow between bytes), and of each byte >= 0x80.
            bad |= (!(((x & LOW7) + LOW7) | x) & HIGH) | (x & HIGH);
        }
        bad == 0 && rest.iter().all(|&b| b.wrapping_sub(1) < 0x7f)
    })
}

/// Length of [`push_base64_lines`] output for `n` input bytes.
pub fn base64_lines_len(n: usize) -> usize {
    let chars = n.div_ceil(3).saturating_mul(4);
    chars.saturating_add(chars.div_ceil(76).saturating_sub(1).saturating_mul(2))
}

/// Base64 of `data` in lines of 76 characters joined by CRLF (no final line break), appended
/// to `out`. 64 lines at a time are encoded with SIMD into a small buffer and copied out with
/// their line breaks.
#[inline(never)]
pub fn push_base64_lines(out: &mut Vec<u8>, data: &[u8]) {
    // 57 input bytes make one line of 76 characters.
    const LINE_IN: usize = 57;
    const LINES: usize = 64;
    out.reserve(base64_lines_len(data.len()));
    let mut buf = [0u8; LINES * 76];
    let mut first = true;
    for block in data.chunks(LINE_IN * LINES) {
        // Never short (a block of at most 64 lines' input), so the encoder cannot panic.
        if base64_simd::STANDARD.encoded_length(block.len()) > buf.len() {
            return;
        }
        let encoded = base64_simd::STANDARD.encode(block, base64_simd::Out::from_slice(&mut buf));
        for line in encoded.chunks(76) {
            if !first {
                out.extend_from_slice(b"\r\n");
            }
            first = false;
            out.extend_from_slice(line);
        }
    }
}

/// Quoted-printable (RFC 2045 6.7) of `text` appended to `out`: every line break (CRLF, a lone
/// CR, a lone LF) becomes CRLF; output is 7-bit with lines of at most 76 characters; trailing
/// white space, `=`, a leading `From ` and a lone `.` are encoded, so the text survives
/// transport. One pass; a line that needs no encoding and no soft break is copied whole.
#[inline(never)]
pub fn push_quoted_printable(out: &mut Vec<u8>, text: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(text.len().saturating_add(text.len() / 8));
    let mut rest = text;
    let mut first = true;
    loop {
        let (line, next) = match memchr::memchr2(b'\r', b'\n', rest) {
            Some(i) => {
                let skip = if rest.get(i) == Some(&b'\r') && rest.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                (rest.get(..i).unwrap_or_default(), rest.get(i + skip..))
            }
            None => (rest, None),
        };
        if !first {
            out.extend_from_slice(b"\r\n");
        }
        first = false;
        if plain_line(line) {
            out.extend_from_slice(line);
        } else {
            let mut col = 0usize;
            for (i, &b) in line.iter().enumerate() {
                let last = i + 1 == line.len();
                let encode = match b {
                    b'=' => true,
                    b' ' | b'\t' => last,
                    b'F' => i == 0 && line.starts_with(b"From "),
                    b'.' => i == 0 && line.len() == 1,
                    33..=126 => false,
                    _ => true,
                };
                let width = if encode { 3 } else { 1 };
                // Keep room for the soft break '=' (76 max per line).
                let room = if last { 76 } else { 75 };
                if col + width > room {
                    out.extend_from_slice(b"=\r\n");
                    col = 0;
                }
                if encode {
                    let hex = |n: u8| HEX.get(usize::from(n & 15)).copied().unwrap_or(b'0');
                    out.extend_from_slice(&[b'=', hex(b >> 4), hex(b)]);
                } else {
                    out.push(b);
                }
                col += width;
            }
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
}

/// A line quoted-printable leaves as it is: at most 76 bytes, each printable ASCII other than
/// `=` or inner white space, not ending in white space, not `From ` at its start, not a lone `.`.
fn plain_line(line: &[u8]) -> bool {
    if line.len() > 76 || matches!(line.last(), Some(b' ' | b'\t')) || line.starts_with(b"From ") || line == b"." {
        return false;
    }
    // Without early exit, so the loop vectorises.
    let bad = line.iter().fold(false, |bad, &b| bad | !(matches!(b, 32..=126 | b'\t') && b != b'='));
    !bad
}

/// Overwrite `buf` with zeros in a way the optimiser must keep: a plain fill, then the bytes
/// handed to [`core::hint::black_box`], which the compiler must assume reads them, so the fill
/// is never removed as a dead store (not even right before the memory is freed). This is what
/// the `zeroize` crate does on targets with inline assembly; on wasm32 it writes with volatile
/// stores instead, and for a `Vec<u8>` one byte at a time on every target: 18 % of a 10 MB
/// decryption's time in the Wasm build. Here the fill is one `memory.fill` (native: `memset`).
#[inline(never)]
pub fn wipe(buf: &mut [u8]) {
    buf.fill(0);
    core::hint::black_box(&*buf);
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// [`wipe`] over the whole allocation of `v`, its spare capacity too (bytes written before a
/// `truncate`), and leave it empty.
#[inline(never)]
pub fn wipe_vec(v: &mut Vec<u8>) {
    // The vector grown into its spare capacity (no reallocation), so the wipe covers it.
    let capacity = v.capacity();
    v.resize(capacity, 0);
    wipe(v);
    v.clear();
}

/// A byte buffer wiped ([`wipe_vec`]) when it is dropped, for the large secret ones (a decoded
/// body that decryption writes its plaintext over, decrypted content): as `zeroize::Zeroizing<Vec<u8>>`,
/// without its byte-at-a-time clearing.
#[derive(Default, PartialEq, Eq)]
pub struct Wiped(Vec<u8>);

impl Wiped {
    pub fn new(bytes: Vec<u8>) -> Wiped {
        Wiped(bytes)
    }
}

impl From<Vec<u8>> for Wiped {
    fn from(bytes: Vec<u8>) -> Wiped {
        Wiped(bytes)
    }
}

impl core::ops::Deref for Wiped {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl core::ops::DerefMut for Wiped {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl core::fmt::Debug for Wiped {
    /// The length only, never the bytes.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Wiped({} bytes)", self.0.len())
    }
}

impl Drop for Wiped {
    fn drop(&mut self) {
        wipe_vec(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiping_leaves_zeros_over_the_length_and_an_empty_vector() {
        let mut buf = vec![0xA5u8; 1000];
        wipe(&mut buf[10..20]);
        assert!(buf[10..20].iter().all(|&b| b == 0));
        assert!(buf[..10].iter().chain(&buf[20..]).all(|&b| b == 0xA5));

        let mut v = Vec::with_capacity(4096);
        v.extend_from_slice(&[7u8; 3000]);
        v.truncate(100);
        let capacity = v.capacity();
        wipe_vec(&mut v);
        assert!(v.is_empty());
        assert_eq!(v.capacity(), capacity, "wiping never reallocates");
    }

    #[test]
    fn base64_lines_are_the_whole_encoding_cut_into_lines_of_76() {
        for n in [0, 1, 2, 3, 56, 57, 58, 114, 57 * 64 - 1, 57 * 64, 57 * 64 + 1, 57 * 64 * 3 + 5] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 + i / 13) as u8).collect();
            let whole = base64_simd::STANDARD.encode_to_string(&data);
            let want = whole.as_bytes().chunks(76).map(|l| std::str::from_utf8(l).unwrap()).collect::<Vec<_>>().join("\r\n");
            let mut out = b"head:".to_vec();
            push_base64_lines(&mut out, &data);
            assert_eq!(std::str::from_utf8(&out[5..]).unwrap(), want, "{n} bytes");
            assert_eq!(out.len() - 5, base64_lines_len(n), "{n} bytes");
        }
    }

    #[test]
    fn base64_decoded_in_place_is_what_is_decoded_apart() {
        let last = |block: &[u8], out: &mut [u8]| base64_simd::STANDARD.decode(block, base64_simd::Out::from_slice(out)).ok().map(|d| d.len());
        let mut shapes = 0;
        for n in [0usize, 1, 2, 3, 57, 3000, 48 * 1024, 200_000, 300_001] {
            let data: Vec<u8> = (0..n).map(|i| (i * 31 + i / 7) as u8).collect();
            let text = base64_simd::STANDARD.encode_to_string(&data);
            for (width, eol) in [(76, "\r\n"), (76, "\n"), (64, "\r\n"), (64, "\n"), (60, "\r\n"), (4, "\n")] {
                let lines: Vec<&str> = text.as_bytes().chunks(width).map(|l| std::str::from_utf8(l).unwrap()).collect();
                let mut bodies = vec![lines.join(eol) + eol, lines.join(eol), lines.join(eol) + eol + eol];
                // Not the common shape: a space inside a line (both refuse), a short line in the middle.
                if lines.len() > 2 {
                    bodies.push(format!("{} {}{eol}", lines[0], lines[1..].join(eol)));
                    bodies.push(format!("{}{eol}{}{eol}{}", lines[0], &lines[1][..2], lines[2..].join(eol)));
                }
                for body in bodies {
                    let apart = decode_base64_lines(body.as_bytes(), last);
                    for head in ["", "Content-Type: application/pkcs7-mime\r\n\r\n"] {
                        let mut buf = [head, &body].concat().into_bytes();
                        let got = decode_base64_lines_in_place(&mut buf, head.len(), last).map(|(n, _)| n);
                        match &apart {
                            Some(want) => {
                                assert_eq!(got, Some(want.len()), "{n} bytes, lines of {width}");
                                assert!(buf == *want, "{n} bytes, lines of {width}");
                            }
                            None => assert_eq!(got, None, "{n} bytes, lines of {width}"),
                        }
                        shapes += 1;
                    }
                    if let Some(apart) = apart {
                        assert_eq!(apart, data, "{n} bytes, lines of {width}");
                    }
                }
            }
        }
        assert!(shapes > 300);
    }

    /// How a body's lines end, by scanning it: the reference for [`BodyBreaks`].
    fn scanned(body: &[u8]) -> BodyBreaks {
        let mut b = BodyBreaks { cr_at_end: body.last() == Some(&b'\r'), ..BodyBreaks::default() };
        for (i, _) in body.iter().enumerate().filter(|(_, c)| **c == b'\n') {
            if i > 0 && body[i - 1] == b'\r' {
                b.crlf = true;
            } else {
                b.lf = true;
            }
        }
        b
    }

    #[test]
    fn a_decoded_body_tells_how_its_lines_ended() {
        let last = |block: &[u8], out: &mut [u8]| base64_simd::STANDARD.decode(block, base64_simd::Out::from_slice(out)).ok().map(|d| d.len());
        let mut decoded = 0;
        for n in [0usize, 2, 57, 3000, 70_000, 200_000] {
            let data: Vec<u8> = (0..n).map(|i| (i * 13 + i / 5) as u8).collect();
            let text = base64_simd::STANDARD.encode_to_string(&data);
            for width in [76, 64, 60, 8] {
                let lines: Vec<&str> = text.as_bytes().chunks(width).map(|l| std::str::from_utf8(l).unwrap()).collect();
                let k = lines.len();
                // Every line's ending chosen by a pattern: all CRLF, all LF, one LF among CRLF
                // (first, middle, last), one CRLF among LF, empty lines, a CR at the very end.
                let patterns: [&dyn Fn(usize) -> &'static str; 6] = [
                    &|_| "\r\n",
                    &|_| "\n",
                    &|i| if i == k / 2 { "\n" } else { "\r\n" },
                    &|i| if i + 1 == k { "\r\n" } else { "\n" },
                    &|i| if i == 0 { "\n" } else { "\r\n" },
                    &|i| if i == k / 3 { "\r\n\r\n" } else { "\n" },
                ];
                for (p, end) in patterns.iter().enumerate() {
                    for tail in ["", "\r", "\n", "\r\n", "\n\n"] {
                        let mut body = String::new();
                        for (i, l) in lines.iter().enumerate() {
                            body.push_str(l);
                            if i + 1 < k {
                                body.push_str(end(i));
                            }
                        }
                        body.push_str(tail);
                        for head in ["", "Content-Type: application/pkcs7-mime\r\n\r\n"] {
                            let mut buf = [head, &body].concat().into_bytes();
                            if let Some((_, got)) = decode_base64_lines_in_place(&mut buf, head.len(), last) {
                                assert_eq!(got, scanned(body.as_bytes()), "{n} bytes, lines of {width}, pattern {p}, tail {tail:?}");
                                assert_eq!(buf, data, "{n} bytes, lines of {width}, pattern {p}, tail {tail:?}");
                                decoded += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(decoded > 400, "{decoded}");
        // A CR anywhere else is refused.
        let mut buf = b"QUJD\rREVG\r\n".to_vec();
        assert_eq!(decode_base64_lines_in_place(&mut buf, 0, last), None);
    }

    #[test]
    fn a_wiped_buffer_reads_and_writes_as_its_vector() {
        let mut w = Wiped::from(b"secret".to_vec());
        w.truncate(3);
        w.push(b'!');
        assert_eq!(w.as_slice(), b"sec!");
        assert_eq!(format!("{w:?}"), "Wiped(4 bytes)");
    }
}
