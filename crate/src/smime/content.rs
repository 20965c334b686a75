//! The content `open` peels layer by layer and hands out (a leaf of `smime`: `open`, `signed`
//! and `enveloped` all use it).

use crate::cms::bulk::InBody;

/// Content as `open` holds it: a part of the bytes it opens, a buffer of its own, or plaintext
/// written in place in a decoded body the bulk seam keeps ([`crate::cms::bulk::Plaintext`]).
pub enum Content<'m> {
    Borrowed(&'m [u8]),
    Owned(Vec<u8>),
    InBody(InBody),
}

impl std::ops::Deref for Content<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Content::Borrowed(b) => b,
            Content::Owned(v) => v,
            Content::InBody(b) => b.bytes(),
        }
    }
}

impl Content<'_> {
    /// The bytes in a buffer of their own (moved when they are one already).
    pub fn into_owned(self) -> Vec<u8> {
        match self {
            Content::Owned(v) => v,
            other => other.to_vec(),
        }
    }
}
