//! An outgoing entity held in pieces: bytes of its own (header sections, boundaries,
//! re-encoded bodies) between ranges of the message it was made from, kept byte for byte
//! (bodies already canonical and 7-bit). A large body is then neither copied nor held
//! twice; the pieces are hashed and written in order, so what is signed is exactly what
//! is written.

use std::borrow::Cow;
use std::ops::Range;

use super::build::contains;

/// Where an entity is written: one buffer (`Vec<u8>`: every byte copied in), or
/// [`PieceList`] (kept bytes of the source referred to, not copied).
pub(crate) trait EntityOut {
    /// The buffer new bytes are appended to.
    fn buf(&mut self) -> &mut Vec<u8>;
    /// Append `bytes` as they are: a slice of the source when the writer keeps pieces.
    fn keep(&mut self, bytes: &[u8]);
    /// Room for `additional` bytes more (one buffer; a piece list holds its own bytes only).
    fn reserve(&mut self, _additional: usize) {}
}

impl EntityOut for Vec<u8> {
    fn buf(&mut self) -> &mut Vec<u8> {
        self
    }
    fn keep(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn reserve(&mut self, additional: usize) {
        Vec::reserve(self, additional);
    }
}

/// One piece: bytes of its own, or a range of the source.
#[derive(Clone)]
pub(crate) enum Piece {
    Own(Vec<u8>),
    Source(Range<usize>),
}

impl Piece {
    /// Its length in bytes (a range's, whether or not it lies in the source).
    fn len(&self) -> usize {
        match self {
            Piece::Own(v) => v.len(),
            Piece::Source(r) => r.len(),
        }
    }
}

/// The pieces of an entity being made from `src` (see [`Pieces`]).
pub(crate) struct PieceList<'s> {
    src: &'s [u8],
    pieces: Vec<Piece>,
    /// The bytes of its own after the last piece.
    open: Vec<u8>,
}

/// Kept ranges shorter than this are copied: a reference is not worth it.
const MIN_KEPT: usize = 4096;

impl<'s> PieceList<'s> {
    pub(crate) fn new(src: &'s [u8]) -> PieceList<'s> {
        PieceList { src, pieces: Vec::new(), open: Vec::with_capacity(4096) }
    }

    /// The pieces, for [`Pieces::new`] with the same source.
    pub(crate) fn finish(mut self) -> Vec<Piece> {
        self.close();
        self.pieces
    }

    fn close(&mut self) {
        if !self.open.is_empty() {
            self.pieces.push(Piece::Own(std::mem::take(&mut self.open)));
        }
    }
}

impl EntityOut for PieceList<'_> {
    fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.open
    }

    fn keep(&mut self, bytes: &[u8]) {
        // Where `bytes` lie in the source, from their addresses: a reference only when they
        // are the source's own memory, else (or when short) a copy. Either way the entity
        // holds exactly `bytes`.
        let start = (bytes.as_ptr() as usize).wrapping_sub(self.src.as_ptr() as usize);
        let inside = start <= self.src.len() && bytes.len() <= self.src.len() - start;
        if inside && bytes.len() >= MIN_KEPT {
            self.close();
            self.pieces.push(Piece::Source(start..start + bytes.len()));
        } else {
            self.open.extend_from_slice(bytes);
        }
    }
}

/// The entity `pieces` (from a [`PieceList`] over `src`, the buffer's bytes unchanged since)
/// put together in `src`'s own buffer, with at least `spare` bytes of capacity after it: every
/// kept range moves within the buffer (one `copy_within` each), then the bytes of its own are
/// written. Ranges moving right go last first, then ranges moving left first first: the
/// destinations ascend as the sources do, so no range lands on one not moved yet. Ranges out
/// of order, or outside the buffer, are put together in a new buffer instead (the same bytes).
pub(crate) fn assemble_in_place(mut src: Vec<u8>, pieces: Vec<Piece>, spare: usize) -> Vec<u8> {
    let total: usize = pieces.iter().map(Piece::len).sum();
    let mut placed = Vec::with_capacity(pieces.len());
    let (mut at, mut end_of_last, mut ascending) = (0usize, 0usize, true);
    for p in &pieces {
        if let Piece::Source(r) = p {
            ascending &= r.start >= end_of_last && r.start <= r.end && r.end <= src.len();
            end_of_last = r.end;
        }
        placed.push(at);
        at += p.len();
    }
    if !ascending {
        let whole = Pieces::new(Cow::Borrowed(&src), pieces);
        let mut out = Vec::with_capacity(total + spare);
        whole.each(|p| out.extend_from_slice(p));
        return out;
    }
    src.reserve((total + spare).saturating_sub(src.len()));
    if total > src.len() {
        src.resize(total, 0);
    }
    for (p, &to) in pieces.iter().zip(&placed).rev() {
        if let Piece::Source(r) = p {
            if to > r.start {
                src.copy_within(r.clone(), to);
            }
        }
    }
    for (p, &to) in pieces.iter().zip(&placed) {
        if let Piece::Source(r) = p {
            if to < r.start {
                src.copy_within(r.clone(), to);
            }
        }
    }
    for (p, &to) in pieces.iter().zip(&placed) {
        if let (Piece::Own(v), Some(dst)) = (p, src.get_mut(to..to + p.len())) {
            dst.copy_from_slice(v);
        }
    }
    src.truncate(total);
    src
}

/// An entity in pieces over the message it was made from (see the module documentation).
pub struct Pieces<'a> {
    src: Cow<'a, [u8]>,
    pieces: Vec<Piece>,
}

impl<'a> Pieces<'a> {
    /// The pieces a [`PieceList`] over `src` made.
    pub(crate) fn new(src: Cow<'a, [u8]>, pieces: Vec<Piece>) -> Pieces<'a> {
        Pieces { src, pieces }
    }

    /// The bytes in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.pieces.iter().map(|p| match p {
            Piece::Own(v) => v.as_slice(),
            Piece::Source(r) => self.src.get(r.clone()).unwrap_or_default(),
        })
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.iter().map(<[u8]>::len).sum()
    }

    /// No bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first piece when it is the entity's own bytes (its header section is there).
    pub(crate) fn first_own(&mut self) -> Option<&mut Vec<u8>> {
        match self.pieces.first_mut() {
            Some(Piece::Own(v)) => Some(v),
            _ => None,
        }
    }

    /// The whole entity in one buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        for p in self.iter() {
            out.extend_from_slice(p);
        }
        out
    }

    /// Feed the bytes to `f` in order (hashing).
    pub fn each(&self, mut f: impl FnMut(&[u8])) {
        for p in self.iter() {
            f(p);
        }
    }

    /// Write the bytes to `w`.
    pub fn write_to<W: std::io::Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        for p in self.iter() {
            w.write_all(p)?;
        }
        Ok(())
    }

    /// Does `needle` occur in the bytes, within a piece or across the joins of pieces?
    pub(crate) fn contains(&self, needle: &[u8]) -> bool {
        let keep = needle.len().saturating_sub(1);
        if keep == 0 {
            return self.iter().any(|p| contains(p, needle));
        }
        // `tail`: the last `keep` bytes before the current piece, whatever pieces they came
        // from; an occurrence across a join starts in them and ends in the piece's first
        // `keep` bytes.
        let mut tail: Vec<u8> = Vec::with_capacity(2 * keep);
        for p in self.iter() {
            if contains(p, needle) {
                return true;
            }
            let cut = tail.len();
            tail.extend_from_slice(p.get(..keep.min(p.len())).unwrap_or_default());
            if cut > 0 && contains(&tail, needle) {
                return true;
            }
            tail.truncate(cut);
            tail.extend_from_slice(p.get(p.len().saturating_sub(keep)..).unwrap_or_default());
            let excess = tail.len().saturating_sub(keep);
            tail.drain(..excess);
        }
        false
    }
}

/// A `multipart/signed` message (as [`super::MultipartSigned`]) whose signed entity is in
/// [`Pieces`]: written piece by piece, never put together in memory.
pub struct MultipartSignedPieces<'a> {
    head: Vec<u8>,
    entity: Pieces<'a>,
    tail: Vec<u8>,
}

impl<'a> MultipartSignedPieces<'a> {
    /// As [`super::build_multipart_signed`]; the boundary is checked against the entity
    /// across its pieces.
    pub fn new(headers: &[(String, String)], entity: Pieces<'a>, micalg: &str, p7s_der: &[u8]) -> MultipartSignedPieces<'a> {
        let (head, tail) = super::build::signed_frame(headers, |h| entity.each(|p| sha2::Digest::update(h, p)), |needle| entity.contains(needle), micalg, p7s_der);
        MultipartSignedPieces { head, entity, tail }
    }

    /// Write the message to `w`: the header section, the signed entity, the rest.
    pub fn write_to<W: std::io::Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(&self.head)?;
        self.entity.write_to(w)?;
        w.write_all(&self.tail)
    }

    /// The whole message in one buffer.
    pub fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.head.len() + self.entity.len() + self.tail.len());
        out.extend_from_slice(&self.head);
        self.entity.each(|p| out.extend_from_slice(p));
        out.extend_from_slice(&self.tail);
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// Pieces over `src`: own bytes and ranges of `src` in turn, as `cuts` splits it.
    fn pieces<'a>(src: &'a [u8], cuts: &[usize]) -> Pieces<'a> {
        let mut parts = Vec::new();
        let mut at = 0;
        for (i, &c) in cuts.iter().chain(std::iter::once(&src.len())).enumerate() {
            let c = c.clamp(at, src.len());
            parts.push(if i % 2 == 0 { Piece::Own(src[at..c].to_vec()) } else { Piece::Source(at..c) });
            at = c;
        }
        Pieces::new(Cow::Borrowed(src), parts)
    }

    #[test]
    fn pieces_give_back_their_bytes_and_find_a_needle_across_any_join() {
        let mut x = 7u32;
        for seed in 0..300usize {
            let len = seed % 61;
            let src: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    b"-=_ab"[(x >> 16) as usize % 5]
                })
                .collect();
            let cuts: Vec<usize> = (0..seed % 7).map(|i| (i * 3 + seed) % (len + 1)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let p = pieces(&src, &cuts);
            assert_eq!(p.to_vec(), src);
            assert_eq!(p.len(), src.len());
            let mut written = Vec::new();
            p.write_to(&mut written).unwrap();
            assert_eq!(written, src);
            for needle in [&b"-=_a"[..], b"=", b"ab-=", b"_a_a_", b"--==__", b"b"] {
                assert_eq!(p.contains(needle), memchr::memmem::find(&src, needle).is_some(), "{src:?} {cuts:?} {needle:?}");
            }
        }
    }

    #[test]
    fn only_long_slices_of_the_source_are_referred_to() {
        let src = vec![b'a'; 3 * MIN_KEPT];
        let elsewhere = vec![b'b'; 2 * MIN_KEPT];
        let mut list = PieceList::new(&src);
        list.buf().extend_from_slice(b"head\r\n\r\n");
        list.keep(&src[10..10 + MIN_KEPT]);
        list.keep(&src[..MIN_KEPT - 1]);
        list.keep(&elsewhere);
        list.keep(&src[MIN_KEPT..]);
        let kinds: Vec<bool> = list.pieces.iter().map(|p| matches!(p, Piece::Source(_))).collect();
        let parts = list.finish();
        assert_eq!(kinds, [false, true, false, true], "the head, a long slice, the copies, a long slice");
        let p = Pieces::new(Cow::Borrowed(&src), parts);
        let sources: Vec<Range<usize>> = p.pieces.iter().filter_map(|p| if let Piece::Source(r) = p { Some(r.clone()) } else { None }).collect();
        assert_eq!(sources, [10..10 + MIN_KEPT, MIN_KEPT..3 * MIN_KEPT], "a short slice and bytes elsewhere are copied");
        let mut expected = b"head\r\n\r\n".to_vec();
        expected.extend_from_slice(&src[10..10 + MIN_KEPT]);
        expected.extend_from_slice(&src[..MIN_KEPT - 1]);
        expected.extend_from_slice(&elsewhere);
        expected.extend_from_slice(&src[MIN_KEPT..]);
        assert_eq!(p.to_vec(), expected);
    }

    #[test]
    fn pieces_assembled_in_their_source_are_the_pieces_put_together() {
        // Deterministic pseudo-random layouts: kept ranges ascending, of every size, with bytes
        // of its own of every size between them, so ranges move both ways and overlap their
        // destinations.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % (n as u64 + 1)) as usize
        };
        for round in 0..400 {
            let src: Vec<u8> = (0..(64 + next(3000))).map(|i| (i as u8).wrapping_mul(31).wrapping_add(round as u8)).collect();
            let mut pieces = Vec::new();
            let mut at = 0;
            while at < src.len() && pieces.len() < 40 {
                at += next(if round % 3 == 0 { 0 } else { 200 });
                let len = next(400).min(src.len().saturating_sub(at));
                if next(3) == 0 {
                    pieces.push(Piece::Own((0..next(300)).map(|i| (i * 7 + round) as u8).collect()));
                }
                if len > 0 {
                    pieces.push(Piece::Source(at..at + len));
                }
                at += len;
            }
            if next(1) == 0 {
                pieces.push(Piece::Own(vec![0xA5; next(500)]));
            }
            let want = Pieces::new(Cow::Borrowed(&src), pieces.clone()).to_vec();
            let got = assemble_in_place(src.clone(), pieces, 16);
            assert_eq!(got, want, "round {round}");
            assert!(got.capacity() >= got.len() + 16, "round {round}: room for padding after the entity");
        }
    }

    #[test]
    fn pieces_out_of_order_or_outside_are_put_together_in_a_new_buffer() {
        let src: Vec<u8> = (0..100u8).collect();
        let pieces = vec![Piece::Source(50..60), Piece::Own(vec![7; 10]), Piece::Source(10..20)];
        let want = [&src[50..60], &[7u8; 10][..], &src[10..20]].concat();
        assert_eq!(assemble_in_place(src.clone(), pieces, 0), want);
        // A range beyond the buffer (a caller's mistake) is left out, never a panic.
        assert_eq!(assemble_in_place(src[..50].to_vec(), vec![Piece::Own(vec![1]), Piece::Source(90..100)], 0), vec![1]);
    }
}
