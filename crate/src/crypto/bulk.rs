//! The bulk work of opening a message behind one seam: content digests, content
//! decryption and the (costly) unwrapping of content-encryption keys.
//!
//! [`Portable`] computes everything with RustCrypto (CLI, tests, the synchronous Wasm
//! exports). [`Deferred`] lets a host with faster primitives (WebCrypto in a browser)
//! compute the bulk steps while `open` stays synchronous: `open` is deterministic, so it is
//! run again until every bulk result it asks for has been supplied.
//!
//! One run with a [`Deferred`]: each digest or decryption is numbered in the order `open`
//! asks for it; a supplied answer is used when its number, kind, algorithm and input length
//! match the request, otherwise the request is recorded and a placeholder returned (a digest
//! that matches nothing, a failed decryption). The caller computes the recorded requests and
//! runs `open` again; the result of a run with placeholders ([`Deferred::incomplete`]) is
//! discarded. Unwrapped content-encryption keys (RSA private key operations) are kept for
//! the next run, so they are computed once.
//!
//! # Security
//! The answers come from the host's own crypto, not from the message. A wrong digest answer
//! can only make a signature fail (the signature value itself is verified in the core over
//! the signed attributes); a wrong decryption answer is refused by the layer parser like any
//! damaged content. Decryption failures stay a single [`Failed`] value.

use super::cipher::{ContentCipher, Failed, RustCrypto, Symmetric};
use super::digest::{digest, DigestAlg};
use crate::cms::recipients::{unwrap_keys, Unwrapped};
use crate::error::Result;
use crate::pkcs12::Identity;
use cms::enveloped_data::RecipientInfo;
use der::Encode;
use std::cell::{Cell, RefCell};
use zeroize::Zeroizing;

/// The bulk steps of `open`.
pub trait Bulk {
    /// The digest of `data`.
    fn digest(&self, alg: DigestAlg, data: &[u8]) -> Result<Vec<u8>>;
    /// Decrypt content; `tag` for GCM. See [`Symmetric::decrypt`].
    fn decrypt(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>) -> std::result::Result<Zeroizing<Vec<u8>>, Failed>;
    /// The content-encryption keys the identities unwrap from these RecipientInfos.
    fn unwrap_keys(&self, infos: &[&RecipientInfo], identities: &[&Identity]) -> Unwrapped {
        unwrap_keys(infos, identities)
    }
    /// A placeholder was returned in this run: its result must not be shown.
    fn incomplete(&self) -> bool {
        false
    }
}

/// Everything computed in the core with RustCrypto.
pub struct Portable;

impl Bulk for Portable {
    fn digest(&self, alg: DigestAlg, data: &[u8]) -> Result<Vec<u8>> {
        digest(alg, data)
    }
    fn decrypt(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>) -> std::result::Result<Zeroizing<Vec<u8>>, Failed> {
        RustCrypto.decrypt(cipher, key, iv, aad, data, tag)
    }
}

/// Digests in RustCrypto, decryption with any [`Symmetric`] backend.
pub struct WithSymmetric<'a>(pub &'a dyn Symmetric);

impl Bulk for WithSymmetric<'_> {
    fn digest(&self, alg: DigestAlg, data: &[u8]) -> Result<Vec<u8>> {
        digest(alg, data)
    }
    fn decrypt(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>) -> std::result::Result<Zeroizing<Vec<u8>>, Failed> {
        self.0.decrypt(cipher, key, iv, aad, data, tag)
    }
}

/// A bulk step `open` asked for and the host has to compute.
pub enum Request {
    Digest { alg: DigestAlg, data: Vec<u8> },
    Decrypt { cipher: ContentCipher, key: Zeroizing<Vec<u8>>, iv: Vec<u8>, aad: Vec<u8>, data: Vec<u8>, tag: Option<Vec<u8>> },
}

/// The host's answer to a [`Request`].
pub enum Answer {
    Digest(Vec<u8>),
    Decrypted(Zeroizing<Vec<u8>>),
    Failed,
}

/// What an answer was computed for, to check it against the request of a later run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Digest(DigestAlg, usize),
    Decrypt(ContentCipher, usize),
}

/// Answers supplied by the host; requests recorded when an answer is missing.
#[derive(Default)]
pub struct Deferred {
    answers: RefCell<Vec<Option<(Shape, Answer)>>>,
    requests: RefCell<Vec<(usize, Request)>>,
    next: Cell<usize>,
    missing: Cell<bool>,
    unwrapped: RefCell<Vec<(Vec<u8>, Unwrapped)>>,
}

impl Deferred {
    pub fn new() -> Deferred {
        Deferred::default()
    }

    /// Start a run: numbering from zero, no requests.
    pub fn begin_run(&self) {
        self.next.set(0);
        self.missing.set(false);
        self.requests.borrow_mut().clear();
    }

    /// The requests of this run, with their numbers, to compute and [`Deferred::answer`].
    pub fn take_requests(&self) -> Vec<(usize, Request)> {
        std::mem::take(&mut *self.requests.borrow_mut())
    }

    /// Supply the answer to request number `seq`.
    pub fn answer(&self, seq: usize, request: &Request, answer: Answer) {
        let shape = match request {
            Request::Digest { alg, data } => Shape::Digest(*alg, data.len()),
            Request::Decrypt { cipher, data, .. } => Shape::Decrypt(*cipher, data.len()),
        };
        let mut answers = self.answers.borrow_mut();
        if answers.len() <= seq {
            answers.resize_with(seq + 1, || None);
        }
        if let Some(slot) = answers.get_mut(seq) {
            *slot = Some((shape, answer));
        }
    }

    fn take_seq(&self) -> usize {
        let seq = self.next.get();
        self.next.set(seq.saturating_add(1));
        seq
    }

    fn record(&self, seq: usize, request: Request) {
        self.missing.set(true);
        self.requests.borrow_mut().push((seq, request));
    }
}

/// A digest no real content has: all bytes 0xA5 would need a preimage of SHA-2.
fn placeholder_digest(alg: DigestAlg) -> Vec<u8> {
    vec![0xa5; alg.output_len()]
}

impl Bulk for Deferred {
    fn digest(&self, alg: DigestAlg, data: &[u8]) -> Result<Vec<u8>> {
        let seq = self.take_seq();
        let shape = Shape::Digest(alg, data.len());
        if let Some(Some((s, Answer::Digest(d)))) = self.answers.borrow().get(seq) {
            if *s == shape && d.len() == alg.output_len() {
                return Ok(d.clone());
            }
        }
        // MD5 and the like are refused by the portable digest; ask for nothing.
        digest(alg, &[])?;
        self.record(seq, Request::Digest { alg, data: data.to_vec() });
        Ok(placeholder_digest(alg))
    }

    fn decrypt(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>) -> std::result::Result<Zeroizing<Vec<u8>>, Failed> {
        let seq = self.take_seq();
        let shape = Shape::Decrypt(cipher, data.len());
        match self.answers.borrow().get(seq) {
            Some(Some((s, Answer::Decrypted(pt)))) if *s == shape => return Ok(pt.clone()),
            Some(Some((s, Answer::Failed))) if *s == shape => return Err(Failed),
            _ => {}
        }
        self.record(
            seq,
            Request::Decrypt { cipher, key: Zeroizing::new(key.to_vec()), iv: iv.to_vec(), aad: aad.to_vec(), data: data.to_vec(), tag: tag.map(<[u8]>::to_vec) },
        );
        Err(Failed)
    }

    fn unwrap_keys(&self, infos: &[&RecipientInfo], identities: &[&Identity]) -> Unwrapped {
        // Keyed by the DER of the RecipientInfos: the same envelope in a later run.
        let mut id = Vec::new();
        for ri in infos {
            if let Ok(der) = ri.to_der() {
                id.extend_from_slice(&der);
            }
        }
        if let Some((_, u)) = self.unwrapped.borrow().iter().find(|(k, _)| *k == id) {
            return u.clone();
        }
        let u = unwrap_keys(infos, identities);
        self.unwrapped.borrow_mut().push((id, u.clone()));
        u
    }

    fn incomplete(&self) -> bool {
        self.missing.get()
    }
}

/// Compute a request with RustCrypto (what a host does for algorithms it lacks).
pub fn compute_portable(request: &Request) -> Result<Answer> {
    Ok(match request {
        Request::Digest { alg, data } => Answer::Digest(digest(*alg, data)?),
        Request::Decrypt { cipher, key, iv, aad, data, tag } => match RustCrypto.decrypt(*cipher, key, iv, aad, data, tag.as_deref()) {
            Ok(pt) => Answer::Decrypted(pt),
            Err(Failed) => Answer::Failed,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferred_records_then_answers_by_sequence_and_shape() {
        let d = Deferred::new();
        d.begin_run();
        let x = d.digest(DigestAlg::Sha256, b"abc").unwrap();
        assert_ne!(x, digest(DigestAlg::Sha256, b"abc").unwrap());
        assert!(d.decrypt(ContentCipher::Aes256Cbc, &[1; 32], &[2; 16], b"", &[0; 32], None).is_err());
        assert!(d.incomplete());
        let reqs = d.take_requests();
        assert_eq!(reqs.len(), 2);
        for (seq, r) in &reqs {
            d.answer(*seq, r, compute_portable(r).unwrap());
        }
        d.begin_run();
        assert_eq!(d.digest(DigestAlg::Sha256, b"abc").unwrap(), digest(DigestAlg::Sha256, b"abc").unwrap());
        assert!(d.decrypt(ContentCipher::Aes256Cbc, &[1; 32], &[2; 16], b"", &[0; 32], None).is_err());
        assert!(!d.incomplete());
        // A request of another shape at the same number is not answered by the old answer.
        d.begin_run();
        let y = d.digest(DigestAlg::Sha384, b"abc").unwrap();
        assert_eq!(y, placeholder_digest(DigestAlg::Sha384));
        assert!(d.incomplete());
        d.begin_run();
        d.digest(DigestAlg::Sha256, b"abcd").unwrap();
        assert!(d.incomplete(), "another input length is another request");
        assert!(d.digest(DigestAlg::Md5, b"x").is_err());
    }
}
