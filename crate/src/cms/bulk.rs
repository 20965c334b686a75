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
//! match the request, otherwise the request is recorded and a placeholder returned (a failed
//! decryption). A signer's digest check is optimistic: without an answer the run goes on as
//! if the content matched the signed messageDigest, and records the assumption. The caller
//! computes the recorded requests; it shows the run's result only when the run used no
//! placeholder ([`Deferred::incomplete`]) and every assumption is confirmed by its answer
//! ([`Deferred::answer`]), and otherwise runs `open` again with the answers (a tampered
//! message thus costs one more run and is reported exactly as the portable run reports it).
//! A clear-signed message opens in one run, an encrypted one in two (decrypt+verify too).
//! Unwrapped content-encryption keys (RSA private key operations) are kept for the next
//! run, so they are computed once, and so are decoded `application/pkcs7-mime` bodies
//! (shared, not copied, with each run; one in the message itself is found again by its
//! place in the message, without keeping a copy of its base64). A decrypted content is
//! handed to the run that uses it (moved, not copied: for 25 MB, one copy fewer alive and
//! none to zeroize); a later run that needs it again asks for it again. A host may instead
//! write the plaintext of a ciphertext lying in a kept body over that ciphertext
//! ([`Deferred::answer_decrypted`], when a success ends the search for the content): every
//! later run gets those bytes, shared ([`Plaintext::InBody`]; for 25 MB, no buffer of its own
//! beside the body), and the padding verdicts of candidate keys on that ciphertext are kept
//! from the runs before, as the ciphertext is gone. Whether the message
//! mixes line breaks (a scan of all of it) is also kept from the first run.
//!
//! RSAES-OAEP key transport can be deferred too ([`Deferred::with_key_transport`], for a host
//! holding the user's RSA keys in WebCrypto): each unwrap WebCrypto computes exactly as the
//! core does (`recipients::plain_oaep`: MGF1 with the OAEP hash, no label) is recorded as a
//! [`Request::KeyTransport`] and failed for this run; the answers are kept by key, hash and
//! ciphertext, so the next run unwraps with them at the same points. The envelope is not
//! decrypted in a run that still lacks an unwrap (no copy of its content is asked for).
//! PKCS#1 v1.5 (implicit rejection, which WebCrypto lacks) and other OAEP parameters stay in
//! the core. With [`Deferred::inline_small_decryptions`], content of at most
//! [`INLINE_DECRYPT_BYTES`] is decrypted by RustCrypto in the run itself (still numbered), as
//! [`compute_portable`] would answer it.
//!
//! A request keeps as little of its input as it can ([`Data`]): a decryption of ciphertext
//! inside a kept decoded body (the envelope's encryptedContent, which the DER readers borrow)
//! holds that body and a range, and with [`Deferred::with_digest_starter`] a digest is started
//! in the host when the run asks for it, so the request holds the host's pending result and
//! no bytes. Otherwise the request holds a copy.
//!
//! At most one decryption is recorded per run ([`MAX_DECRYPT_REQUESTS_PER_RUN`]): a
//! decryption request may carry a copy of the whole content, and when several candidate keys
//! are tried (`cms::decrypt`), the next one is only worth asking for once the previous one
//! has failed. Later decryptions in the same run return a placeholder failure without a
//! copy, and the caller stops trying keys as soon as the run is incomplete.
//!
//! # Security
//! The answers come from the host's own crypto, not from the message. A wrong digest answer
//! can only make a signature fail (the signature value itself is verified in the core over
//! the signed attributes); a wrong decryption answer is refused by the layer parser like any
//! damaged content. Decryption failures stay a single [`Failed`] value. A key-transport
//! answer is the unwrapped key or nothing, as the core's unwrap is; the host answers a
//! refusal of its own RSA-OAEP with the core's computation (see `wasm::webcrypto`), so a
//! wrong key or bad padding gives the same candidates, and so the same report, as the core.

use super::recipients::{ktri_unwrap, plain_oaep, plain_oaep_unwrap, public_key_der, unwrap_keys, unwrap_keys_with, Unwrapped};
use crate::crypto::cipher::{cbc_padding_ok, ContentCipher, Failed, RustCrypto, Symmetric};
use crate::crypto::digest::{digest, DigestAlg};
use crate::error::Result;
use crate::mime::LineBreaks;
use crate::pkcs12::Identity;
use cms::enveloped_data::{KeyTransRecipientInfo, RecipientInfo};
use der::Encode;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use cachet_bytes::Wiped;
use zeroize::Zeroizing;

/// The bulk steps of `open`.
pub trait Bulk {
    /// The digest of `data`.
    fn digest(&self, alg: DigestAlg, data: &[u8]) -> Result<Vec<u8>>;
    /// Is the digest of `data` equal to `want` (a signer's messageDigest)?
    fn digest_matches(&self, alg: DigestAlg, data: &[u8], want: &[u8]) -> Result<bool> {
        Ok(self.digest(alg, data)? == want)
    }
    /// Decrypt content; `tag` for GCM. See [`Symmetric::decrypt`].
    fn decrypt(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>) -> std::result::Result<Wiped, Failed>;
    /// [`Bulk::decrypt`] as `open` asks for it: the plaintext in a buffer of its own, or (a
    /// [`Deferred`] whose host wrote it there) in place of the ciphertext in a kept decoded body.
    /// `settles`: a success ends the search for the content, so no later attempt (another
    /// candidate key) needs the ciphertext again.
    #[allow(clippy::too_many_arguments)]
    fn decrypt_content(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>, settles: bool) -> std::result::Result<Plaintext, Failed> {
        let _ = settles;
        self.decrypt(cipher, key, iv, aad, data, tag).map(Plaintext::Owned)
    }
    /// [`cbc_padding_ok`] of a candidate key (not a random placeholder). A [`Deferred`] keeps
    /// the verdicts on ciphertext in a kept body: a plaintext written in place over it (see
    /// [`Deferred::answer_decrypted`]) leaves no ciphertext for a later run to check.
    fn cbc_padding_ok(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], data: &[u8]) -> bool {
        cbc_padding_ok(cipher, key, iv, data)
    }
    /// The content-encryption keys the identities unwrap from these RecipientInfos.
    fn unwrap_keys(&self, infos: &[&RecipientInfo], identities: &[&Identity]) -> Unwrapped {
        unwrap_keys(infos, identities)
    }
    /// The decoded body of an `application/pkcs7-mime` entity (`raw`, headers and body),
    /// computed by `decode`. [`Deferred`] keeps it for the next run (a 25 MB message is
    /// 34 MB of base64 to decode again otherwise) and shares it rather than copying it.
    fn decoded_body(&self, raw: &[u8], decode: &dyn Fn() -> Result<Vec<u8>>) -> Result<Body> {
        let _ = raw;
        decode().map(|b| Rc::new(Wiped::new(b)))
    }
    /// The line breaks of `message` (canonical, mixed CRLF and bare LF, or neither), computed
    /// by `compute` (a scan of the whole message). [`Deferred`] keeps the answer for the
    /// message every run opens: it depends on those bytes alone, and for 25 MB the scan is a
    /// tenth of a run.
    fn line_breaks(&self, message: &[u8], compute: &dyn Fn() -> LineBreaks) -> LineBreaks {
        let _ = message;
        compute()
    }
    /// A placeholder was returned in this run: its result must not be shown. (Assumed
    /// digest matches are not placeholders; the caller confirms them, see [`Deferred`].)
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
    fn decrypt(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>) -> std::result::Result<Wiped, Failed> {
        RustCrypto.decrypt(cipher, key, iv, aad, data, tag)
    }
}

/// Digests in RustCrypto, decryption with any [`Symmetric`] backend.
pub struct WithSymmetric<'a>(pub &'a dyn Symmetric);

impl Bulk for WithSymmetric<'_> {
    fn digest(&self, alg: DigestAlg, data: &[u8]) -> Result<Vec<u8>> {
        digest(alg, data)
    }
    fn decrypt(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>) -> std::result::Result<Wiped, Failed> {
        self.0.decrypt(cipher, key, iv, aad, data, tag)
    }
}

/// Decrypted content: a buffer of its own, or bytes of a decoded body a [`Deferred`] keeps,
/// where the host wrote the plaintext over the ciphertext ([`Deferred::answer_decrypted`]: for
/// 25 MB, no second 25 MB buffer beside the body).
pub enum Plaintext {
    Owned(Wiped),
    InBody(InBody),
}

impl std::ops::Deref for Plaintext {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Plaintext::Owned(v) => v,
            Plaintext::InBody(b) => b.bytes(),
        }
    }
}

/// A decoded body, shared. Cleared when the last holder drops it: a decryption may have
/// written its plaintext over the ciphertext in it ([`Deferred::answer_decrypted`]), and a
/// body decoded from inside decrypted content is decrypted content itself.
pub type Body = Rc<Wiped>;

/// Bytes `start..start + len` of a shared decoded body.
#[derive(Clone)]
pub struct InBody {
    body: Body,
    start: usize,
    len: usize,
}

impl InBody {
    pub fn bytes(&self) -> &[u8] {
        self.body.get(self.start..self.start.saturating_add(self.len)).unwrap_or_default()
    }

    /// `range` of these bytes (empty when it lies outside them), without a copy.
    pub fn narrowed(self, range: std::ops::Range<usize>) -> InBody {
        if range.start > range.end || range.end > self.len {
            return InBody { len: 0, ..self };
        }
        InBody { start: self.start.saturating_add(range.start), len: range.end - range.start, body: self.body }
    }
}

/// The input of a [`Request`]: a copy, a range of a decoded body the seam keeps (shared, not
/// copied: for 25 MB of ciphertext, 25 MB less Wasm memory), or, for a digest, the host's
/// computation already started by [`Deferred::with_digest_starter`] (the host copied the
/// bytes when it started; none are kept here).
pub enum Data {
    Copy(Vec<u8>),
    /// With `overwrite`, a successful decryption ends the search for the content (see
    /// [`Bulk::decrypt_content`]): its plaintext may be written over these bytes.
    InBody { body: Body, start: usize, len: usize, overwrite: bool },
    Started { pending: Box<dyn std::any::Any>, len: usize },
}

impl Data {
    /// The bytes, or None when the host holds them ([`Data::Started`]).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Data::Copy(v) => Some(v),
            Data::InBody { body, start, len, .. } => body.get(*start..start.saturating_add(*len)),
            Data::Started { .. } => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Data::Copy(v) => v.len(),
            Data::InBody { len, .. } | Data::Started { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Starts the host's digest of some bytes, copying them (WebCrypto's `digest` copies its input
/// when called): the handle to await, or None to have them copied into the request instead.
pub type DigestStarter = Box<dyn Fn(DigestAlg, &[u8]) -> Option<Box<dyn std::any::Any>>>;

/// A bulk step `open` asked for and the host has to compute.
pub enum Request {
    /// With `assumed`, the run went on as if the digest were this value (a signer's
    /// messageDigest): [`Deferred::answer`] says whether it was.
    Digest { alg: DigestAlg, data: Data, assumed: Option<Vec<u8>> },
    Decrypt { cipher: ContentCipher, key: Zeroizing<Vec<u8>>, iv: Vec<u8>, aad: Vec<u8>, data: Data, tag: Option<Vec<u8>> },
    /// RSAES-OAEP decryption of a wrapped content-encryption key with `hash` for OAEP and
    /// MGF1 and an empty label, by the key pair whose certificate has the
    /// subjectPublicKeyInfo `key` (`recipients::public_key_der`). Its number is not used.
    KeyTransport { key: Vec<u8>, hash: DigestAlg, ciphertext: Vec<u8> },
}

/// The host's answer to a [`Request`].
pub enum Answer {
    Digest(Vec<u8>),
    Decrypted(Wiped),
    Failed,
    /// A key transport's unwrapped key, or `None` when the key does not unwrap it.
    Unwrapped(Option<Zeroizing<Vec<u8>>>),
}

/// What a key-transport answer was computed for: key pair, hash, wrapped key.
type TransportId = (Vec<u8>, DigestAlg, Vec<u8>);

/// A key-transport answer a [`Deferred`] keeps for the next runs.
type KnownTransport = (TransportId, Option<Zeroizing<Vec<u8>>>);

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
    decrypts_recorded: Cell<usize>,
    unwrapped: RefCell<Vec<(Vec<u8>, Unwrapped)>>,
    bodies: RefCell<Vec<(BodyKey, Body)>>,
    /// [`Bulk::line_breaks`] of the whole message, once a run has computed it.
    line_breaks: Cell<Option<LineBreaks>>,
    /// Address and length of the message every run opens ([`Deferred::for_message`]).
    message: Option<(usize, usize)>,
    /// RSAES-OAEP unwraps are [`Request::KeyTransport`]s.
    key_transport: bool,
    /// Content up to this length is decrypted here ([`Deferred::inline_small_decryptions`]).
    inline_decrypt: usize,
    transports: RefCell<Vec<KnownTransport>>,
    /// Starts digests at once in the host ([`Deferred::with_digest_starter`]).
    start_digest: Option<DigestStarter>,
    /// Decryptions answered in place ([`Deferred::answer_decrypted`]): number, shape, plaintext.
    in_place: RefCell<Vec<(usize, Shape, InBody)>>,
    /// Padding verdicts of candidate keys on ciphertext in kept bodies ([`Bulk::cbc_padding_ok`]).
    padding: RefCell<Vec<PaddingVerdict>>,
    /// `padding` was full once: from then on no plaintext is written in place.
    padding_full: Cell<bool>,
}

/// A [`cbc_padding_ok`] verdict on ciphertext at a place in a kept body.
struct PaddingVerdict {
    cipher: ContentCipher,
    key: Zeroizing<Vec<u8>>,
    iv: Vec<u8>,
    at: usize,
    len: usize,
    ok: bool,
}

/// Most padding verdicts a [`Deferred`] keeps (one per candidate key and envelope).
const MAX_PADDING_VERDICTS: usize = 256;

/// Which raw entity a kept decoded body belongs to.
enum BodyKey {
    /// Bytes `start..start + len` of the message every run opens: the same immutable bytes
    /// in every run, so their place names them exactly.
    InMessage { start: usize, len: usize },
    /// Anywhere else (inside decrypted content, a new buffer each run): a copy, compared
    /// (cleared on drop, as it may be decrypted content).
    Copy(Wiped),
}

/// Most decryption requests (each a copy of the content) one run of a [`Deferred`] records.
pub const MAX_DECRYPT_REQUESTS_PER_RUN: usize = 1;

/// Content of at most this many bytes a [`Deferred`] decrypts itself with RustCrypto instead of
/// asking the host: for a short message a further run of `open` and the round trips into
/// WebCrypto (key import, decryption) cost more than RustCrypto's AES over a few kilobytes.
pub const INLINE_DECRYPT_BYTES: usize = 8 * 1024;

/// Most decoded bodies a [`Deferred`] keeps (one per encrypted or opaque layer).
const MAX_KEPT_BODIES: usize = 4;

impl Deferred {
    pub fn new() -> Deferred {
        Deferred::default()
    }

    /// A [`Deferred`] that also defers RSAES-OAEP key transport (see the module documentation).
    pub fn with_key_transport(self) -> Deferred {
        Deferred { key_transport: true, ..self }
    }

    /// Decrypt content of at most [`INLINE_DECRYPT_BYTES`] with RustCrypto in the run itself
    /// (the answer is the one [`compute_portable`] gives), instead of asking the host.
    pub fn inline_small_decryptions(self) -> Deferred {
        Deferred { inline_decrypt: INLINE_DECRYPT_BYTES, ..self }
    }

    /// Digests are started in the host as soon as a run asks for them (`start` copies the bytes
    /// into the host), so a request keeps no copy of the data: for a 25 MB signed entity,
    /// 25 MB less Wasm memory. A request whose start fails is a copy, as without a starter.
    pub fn with_digest_starter(self, start: DigestStarter) -> Deferred {
        Deferred { start_digest: Some(start), ..self }
    }

    /// The input of a digest request: started in the host when it can be, else a range of a
    /// kept decoded body when `data` lies in one (a signed entity in decrypted content: for
    /// 25 MB, no copy), else copied.
    fn digest_data(&self, alg: DigestAlg, data: &[u8]) -> Data {
        if let Some(pending) = self.start_digest.as_ref().and_then(|start| start(alg, data)) {
            return Data::Started { pending, len: data.len() };
        }
        match self.kept_range(data) {
            Some((body, start)) => Data::InBody { body, start, len: data.len(), overwrite: false },
            None => Data::Copy(data.to_vec()),
        }
    }

    /// The input of a decryption request: a range of a kept decoded body when `data` lies in
    /// one (the envelope's ciphertext, borrowed by the DER reader), else a copy.
    fn decrypt_data(&self, data: &[u8], overwrite: bool) -> Data {
        match self.kept_range(data) {
            Some((body, start)) => Data::InBody { body, start, len: data.len(), overwrite },
            None => Data::Copy(data.to_vec()),
        }
    }

    /// The kept decoded body `data` lies in, and where.
    fn kept_range(&self, data: &[u8]) -> Option<(Body, usize)> {
        let at = data.as_ptr() as usize;
        for (_, body) in self.bodies.borrow().iter() {
            let Some(start) = at.checked_sub(body.as_ptr() as usize) else { continue };
            // The very bytes (same place, same length), not merely equal ones.
            if body.get(start..start.saturating_add(data.len())).is_some_and(|s| std::ptr::eq(s, data)) {
                return Some((Rc::clone(body), start));
            }
        }
        None
    }

    /// Answer decryption request `seq` with a plaintext of `len` bytes that `write` fills in:
    /// over the request's ciphertext when it lies in a kept decoded body no one else holds
    /// (later runs get those bytes, shared: for 25 MB, no buffer of its own), else in a buffer
    /// of its own, as [`Deferred::answer`] with [`Answer::Decrypted`]. Only for a decryption
    /// that succeeded: the ciphertext is gone afterwards. Returns the place written when that
    /// was over the ciphertext: while it is held, those bytes stay exactly what `write` wrote
    /// (a kept body is written only while no one else holds it). A decryption is never an
    /// assumption a run could confirm: the next run uses the answer. Any other request is not
    /// answered (the next run asks again).
    pub fn answer_decrypted(&self, seq: usize, request: Request, len: usize, write: &dyn Fn(&mut [u8])) -> Option<InBody> {
        let Request::Decrypt { cipher, data, .. } = request else { return None };
        let shape = Shape::Decrypt(cipher, data.len());
        if let Data::InBody { body, start, len: ciphertext, overwrite } = data {
            let place = Rc::as_ptr(&body);
            // The request's share of the body, given up so that the kept one is the only one.
            drop(body);
            if overwrite && len <= ciphertext && !self.padding_full.get() {
                let mut bodies = self.bodies.borrow_mut();
                if let Some((_, kept)) = bodies.iter_mut().find(|(_, b)| Rc::as_ptr(b) == place) {
                    if let Some(dst) = Rc::get_mut(kept).and_then(|b| b.get_mut(start..start.saturating_add(len))) {
                        write(dst);
                        let place = InBody { body: Rc::clone(kept), start, len };
                        self.in_place.borrow_mut().push((seq, shape, place.clone()));
                        return Some(place);
                    }
                }
            }
        }
        let mut pt = Wiped::new(vec![0u8; len]);
        write(&mut pt);
        self.store(seq, shape, Answer::Decrypted(pt));
        None
    }

    /// Answer decryption request `seq` in the core: its ciphertext decrypted by RustCrypto where
    /// it lies in a kept decoded body, as [`Deferred::answer_decrypted`] writes a host's
    /// plaintext there (for 25 MB, no buffer of the plaintext's size beside the body), or
    /// answered [`Answer::Failed`] with the ciphertext left as it was (bad padding, wrong tag).
    /// The request is given back when it cannot be done so (its ciphertext not in a kept body
    /// only it and this seam hold, or not to be written over): compute it in a buffer of its
    /// own ([`compute_portable`]).
    pub fn answer_decrypting_in_place(&self, seq: usize, request: Request) -> Option<Request> {
        let (place, start, len) = match &request {
            Request::Decrypt { data: Data::InBody { body, start, len, overwrite: true }, .. } if !self.padding_full.get() => (Rc::as_ptr(body), *start, *len),
            _ => return Some(request),
        };
        let mut bodies = self.bodies.borrow_mut();
        let Some(kept) = bodies.iter_mut().map(|(_, b)| b).find(|b| Rc::as_ptr(b) == place && Rc::strong_count(b) == 2 && Rc::weak_count(b) == 0) else {
            return Some(request);
        };
        let Request::Decrypt { cipher, key, iv, aad, data, tag } = request else { return None };
        let shape = Shape::Decrypt(cipher, data.len());
        // The request's share of the body, given up so that the kept one is the only one.
        drop(data);
        // Always there (the range was found in this body); else unanswered, asked again.
        let ciphertext = Rc::get_mut(kept).and_then(|b| b.get_mut(start..start.saturating_add(len)))?;
        match RustCrypto.decrypt_in_place(cipher, &key, &iv, &aad, ciphertext, tag.as_deref()) {
            Ok(n) => self.in_place.borrow_mut().push((seq, shape, InBody { body: Rc::clone(kept), start, len: n })),
            Err(Failed) => self.store(seq, shape, Answer::Failed),
        }
        None
    }

    /// Calls `f` with the ciphertext of decryption request `request` followed directly by
    /// `tail` (a GCM tag): the tail is written for the call over the bytes after the ciphertext
    /// in the kept body it lies in, and those bytes are put back before this returns, so the
    /// body reads as before. `f` must not keep the bytes (WebCrypto copies its input when
    /// called). None, without calling `f`, when the ciphertext does not lie in a kept body that
    /// no one else holds, or fewer than `tail.len()` bytes follow it there.
    pub fn with_tail_joined<R>(&self, request: &mut Request, tail: &[u8], f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let Request::Decrypt { data, .. } = request else { return None };
        let Data::InBody { body, start, len, overwrite } = data else { return None };
        let (place, start, len, overwrite) = (Rc::as_ptr(body), *start, *len, *overwrite);
        let mut bodies = self.bodies.borrow_mut();
        let (_, kept) = bodies.iter_mut().find(|(_, b)| Rc::as_ptr(b) == place)?;
        // The request's share of the body, given up for the call so that the kept one is the
        // only one, and given back after it.
        *data = Data::Copy(Vec::new());
        let result = Rc::get_mut(kept).and_then(|b| {
            let end = start.checked_add(len)?;
            let joined_end = end.checked_add(tail.len())?;
            let after = b.get(end..joined_end)?.to_vec();
            b.get_mut(end..joined_end)?.copy_from_slice(tail);
            let result = b.get(start..joined_end).map(f);
            if let Some(back) = b.get_mut(end..joined_end) {
                back.copy_from_slice(&after);
            }
            result
        });
        *data = Data::InBody { body: Rc::clone(kept), start, len, overwrite };
        result
    }

    /// A seam for runs of `open` on `message` (the same bytes, borrowed for every run):
    /// decoded bodies of entities in it are kept without a copy of their base64.
    pub fn for_message(message: &[u8]) -> Deferred {
        Deferred { message: Some((message.as_ptr() as usize, message.len())), ..Deferred::default() }
    }

    /// A seam for runs of `open` on the header section `head` of a message whose body, one
    /// base64 S/MIME entity, was decoded beforehand into `body`
    /// ([`crate::smime::decode_top_in_place`]): the runs take that entity's body from here, as
    /// if a run had decoded and kept it, and the message's `line_breaks` as the verdict of the
    /// message they open. `body` is kept alone (a decryption can write its plaintext over its
    /// ciphertext there, [`Deferred::answer_decrypted`]).
    pub fn for_decoded_top(head: &[u8], body: Vec<u8>, line_breaks: LineBreaks) -> Deferred {
        let deferred = Deferred::for_message(head);
        deferred.bodies.borrow_mut().push((BodyKey::InMessage { start: 0, len: head.len() }, Rc::new(Wiped::new(body))));
        deferred.line_breaks.set(Some(line_breaks));
        deferred
    }

    /// The key of `raw`: its place in the message when it lies inside it.
    fn body_key(&self, raw: &[u8]) -> Option<(usize, usize)> {
        let (base, len) = self.message?;
        let start = (raw.as_ptr() as usize).checked_sub(base)?;
        (start.checked_add(raw.len())? <= len).then_some((start, raw.len()))
    }

    /// Start a run: numbering from zero, no requests.
    pub fn begin_run(&self) {
        self.next.set(0);
        self.missing.set(false);
        self.decrypts_recorded.set(0);
        self.requests.borrow_mut().clear();
    }

    /// The requests of this run, with their numbers, to compute and [`Deferred::answer`].
    pub fn take_requests(&self) -> Vec<(usize, Request)> {
        std::mem::take(&mut *self.requests.borrow_mut())
    }

    /// Supply the answer to request number `seq`. Returns true when the run that made the
    /// request assumed exactly this answer (a digest that matched), so it needs no new run
    /// for it.
    pub fn answer(&self, seq: usize, request: &Request, answer: Answer) -> bool {
        if let Request::KeyTransport { key, hash, ciphertext } = request {
            // Another kind of answer is no answer: the next run asks again.
            if let Answer::Unwrapped(unwrapped) = answer {
                self.transports.borrow_mut().push(((key.clone(), *hash, ciphertext.clone()), unwrapped));
            }
            return false;
        }
        let (shape, confirmed) = match (request, &answer) {
            (Request::Digest { alg, data, assumed }, Answer::Digest(d)) => (Shape::Digest(*alg, data.len()), assumed.as_deref() == Some(d.as_slice())),
            (Request::Digest { alg, data, .. }, _) => (Shape::Digest(*alg, data.len()), false),
            (Request::Decrypt { cipher, data, .. }, _) => (Shape::Decrypt(*cipher, data.len()), false),
            (Request::KeyTransport { .. }, _) => return false,
        };
        self.store(seq, shape, answer);
        confirmed
    }

    fn store(&self, seq: usize, shape: Shape, answer: Answer) {
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
        if !matches!(request, Request::Digest { assumed: Some(_), .. }) {
            self.missing.set(true);
        }
        self.requests.borrow_mut().push((seq, request));
    }

    fn answered_digest(&self, seq: usize, alg: DigestAlg, len: usize) -> Option<Vec<u8>> {
        match self.answers.borrow().get(seq) {
            Some(Some((s, Answer::Digest(d)))) if *s == Shape::Digest(alg, len) && d.len() == alg.output_len() => Some(d.clone()),
            _ => None,
        }
    }
}

/// A digest no real content has: all bytes 0xA5 would need a preimage of SHA-2.
fn placeholder_digest(alg: DigestAlg) -> Vec<u8> {
    vec![0xa5; alg.output_len()]
}

impl Bulk for Deferred {
    fn digest(&self, alg: DigestAlg, data: &[u8]) -> Result<Vec<u8>> {
        let seq = self.take_seq();
        if let Some(d) = self.answered_digest(seq, alg, data.len()) {
            return Ok(d);
        }
        // MD5 and the like are refused by the portable digest; ask for nothing.
        digest(alg, &[])?;
        let data = self.digest_data(alg, data);
        self.record(seq, Request::Digest { alg, data, assumed: None });
        Ok(placeholder_digest(alg))
    }

    /// Optimistic: without an answer, the run goes on as if the digest matched, and the
    /// request carries that assumption. The caller shows the run's result only when every
    /// assumption is confirmed ([`Deferred::answer`]); otherwise it runs again with the
    /// answers, and the mismatch is reported as the portable run reports it.
    fn digest_matches(&self, alg: DigestAlg, data: &[u8], want: &[u8]) -> Result<bool> {
        let seq = self.take_seq();
        if let Some(d) = self.answered_digest(seq, alg, data.len()) {
            return Ok(d == want);
        }
        digest(alg, &[])?;
        if want.len() != alg.output_len() {
            // Cannot match; no need to compute anything.
            return Ok(false);
        }
        let data = self.digest_data(alg, data);
        self.record(seq, Request::Digest { alg, data, assumed: Some(want.to_vec()) });
        Ok(true)
    }

    fn decrypt(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>) -> std::result::Result<Wiped, Failed> {
        match self.decrypt_content(cipher, key, iv, aad, data, tag, false)? {
            Plaintext::Owned(pt) => Ok(pt),
            Plaintext::InBody(b) => Ok(Wiped::new(b.bytes().to_vec())),
        }
    }

    fn decrypt_content(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>, settles: bool) -> std::result::Result<Plaintext, Failed> {
        let seq = self.take_seq();
        let shape = Shape::Decrypt(cipher, data.len());
        // Written over this very ciphertext by an earlier answer: those bytes, every run.
        let in_place = self.in_place.borrow().iter().find(|(n, s, b)| *n == seq && *s == shape && (b.body.as_ptr() as usize).saturating_add(b.start) == data.as_ptr() as usize).map(|(_, _, b)| b.clone());
        if let Some(b) = in_place {
            return Ok(Plaintext::InBody(b));
        }
        if let Some(slot) = self.answers.borrow_mut().get_mut(seq) {
            match slot {
                Some((s, Answer::Failed)) if *s == shape => return Err(Failed),
                // Handed over, not copied; a later run asking again records a new request.
                Some((s, Answer::Decrypted(_))) if *s == shape => {
                    if let Some((_, Answer::Decrypted(pt))) = slot.take() {
                        return Ok(Plaintext::Owned(pt));
                    }
                }
                _ => {}
            }
        }
        if data.len() <= self.inline_decrypt {
            return RustCrypto.decrypt(cipher, key, iv, aad, data, tag).map(Plaintext::Owned);
        }
        if self.decrypts_recorded.get() >= MAX_DECRYPT_REQUESTS_PER_RUN {
            // Asked for in a later run, once the recorded one is answered.
            self.missing.set(true);
            return Err(Failed);
        }
        self.decrypts_recorded.set(self.decrypts_recorded.get().saturating_add(1));
        let data = self.decrypt_data(data, settles);
        self.record(seq, Request::Decrypt { cipher, key: Zeroizing::new(key.to_vec()), iv: iv.to_vec(), aad: aad.to_vec(), data, tag: tag.map(<[u8]>::to_vec) });
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
        if !self.key_transport {
            let u = unwrap_keys(infos, identities);
            self.unwrapped.borrow_mut().push((id, u.clone()));
            return u;
        }
        let asked = Cell::new(false);
        let ktri = |k: &KeyTransRecipientInfo, pair: &Identity| -> Option<Zeroizing<Vec<u8>>> {
            let (Some(hash), Some(key)) = (plain_oaep(k, &pair.key), public_key_der(&pair.certificate)) else {
                return ktri_unwrap(k, pair);
            };
            let ciphertext = k.enc_key.as_bytes();
            let known = self.transports.borrow().iter().find(|((kk, h, c), _)| *kk == key && *h == hash && c.as_slice() == ciphertext).map(|(_, a)| a.clone());
            if let Some(answer) = known {
                return answer;
            }
            asked.set(true);
            self.record(0, Request::KeyTransport { key, hash, ciphertext: ciphertext.to_vec() });
            None
        };
        let u = unwrap_keys_with(infos, identities, &ktri);
        // Kept only once every unwrap was answered (placeholders are not results).
        if !asked.get() {
            self.unwrapped.borrow_mut().push((id, u.clone()));
        }
        u
    }

    fn incomplete(&self) -> bool {
        self.missing.get()
    }

    fn cbc_padding_ok(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], data: &[u8]) -> bool {
        let at = data.as_ptr() as usize;
        let same = |v: &PaddingVerdict| v.at == at && v.len == data.len() && v.cipher == cipher && v.iv == iv && v.key.as_slice() == key;
        if let Some(v) = self.padding.borrow().iter().find(|v| same(v)) {
            return v.ok;
        }
        let ok = cbc_padding_ok(cipher, key, iv, data);
        if self.kept_range(data).is_some() {
            let mut kept = self.padding.borrow_mut();
            if kept.len() < MAX_PADDING_VERDICTS {
                kept.push(PaddingVerdict { cipher, key: Zeroizing::new(key.to_vec()), iv: iv.to_vec(), at, len: data.len(), ok });
            } else {
                self.padding_full.set(true);
            }
        }
        ok
    }

    fn line_breaks(&self, message: &[u8], compute: &dyn Fn() -> LineBreaks) -> LineBreaks {
        // Only the very bytes every run opens (a forwarded message inside is another slice).
        let whole = self.message.is_some_and(|(_, len)| self.body_key(message) == Some((0, len)));
        if !whole {
            return compute();
        }
        if let Some(known) = self.line_breaks.get() {
            return known;
        }
        let breaks = compute();
        self.line_breaks.set(Some(breaks));
        breaks
    }

    fn decoded_body(&self, raw: &[u8], decode: &dyn Fn() -> Result<Vec<u8>>) -> Result<Body> {
        let place = self.body_key(raw);
        let same = |k: &BodyKey| match (k, place) {
            (BodyKey::InMessage { start, len }, Some(p)) => (*start, *len) == p,
            (BodyKey::Copy(r), None) => r.as_slice() == raw,
            _ => false,
        };
        if let Some((_, body)) = self.bodies.borrow().iter().find(|(k, _)| same(k)) {
            return Ok(Rc::clone(body));
        }
        let body = Rc::new(Wiped::new(decode()?));
        let mut bodies = self.bodies.borrow_mut();
        if bodies.len() < MAX_KEPT_BODIES {
            let key = match place {
                Some((start, len)) => BodyKey::InMessage { start, len },
                None => BodyKey::Copy(Wiped::new(raw.to_vec())),
            };
            bodies.push((key, Rc::clone(&body)));
        }
        Ok(body)
    }
}

fn started() -> crate::error::Error {
    crate::error::Error::new(crate::error::Code::Crypto, "A digest started by the host has no bytes to compute it again.", "Open the message again.")
}

/// Compute a request with RustCrypto (what a host does for algorithms it lacks). A key
/// transport needs the key: see [`compute_portable_with`]; a digest the host started
/// ([`Data::Started`]) has no bytes here and is an error.
pub fn compute_portable(request: &Request) -> Result<Answer> {
    compute_portable_with(request, &[])
}

/// [`compute_portable`] with the identities whose key pairs answer a [`Request::KeyTransport`]
/// (an error when none of them has the key asked for).
pub fn compute_portable_with(request: &Request, identities: &[&Identity]) -> Result<Answer> {
    Ok(match request {
        Request::KeyTransport { key, hash, ciphertext } => {
            let pair = identities.iter().flat_map(|i| i.key_pairs()).find(|p| public_key_der(&p.certificate).as_deref() == Some(key.as_slice()));
            let pair = pair.ok_or_else(|| crate::error::Error::new(crate::error::Code::Crypto, "The key to decrypt this message is no longer unlocked.", "Unlock your identity and open the message again."))?;
            Answer::Unwrapped(plain_oaep_unwrap(&pair.key, *hash, ciphertext))
        }
        Request::Digest { alg, data, .. } => Answer::Digest(digest(*alg, data.bytes().ok_or_else(started)?)?),
        Request::Decrypt { cipher, key, iv, aad, data, tag } => match RustCrypto.decrypt(*cipher, key, iv, aad, data.bytes().ok_or_else(started)?, tag.as_deref()) {
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
            assert!(!d.answer(*seq, r, compute_portable(r).unwrap()), "placeholders are never confirmed");
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

        // Optimistic matches: assumed true, confirmed or contradicted by the answer.
        let d = Deferred::new();
        let good = digest(DigestAlg::Sha256, b"abc").unwrap();
        d.begin_run();
        assert!(d.digest_matches(DigestAlg::Sha256, b"abc", &good).unwrap());
        assert!(d.digest_matches(DigestAlg::Sha256, b"abd", &good).unwrap());
        assert!(!d.digest_matches(DigestAlg::Sha256, b"abd", &good[1..]).unwrap());
        assert!(!d.incomplete());
        let reqs = d.take_requests();
        assert_eq!(reqs.len(), 2);
        let confirmed: Vec<bool> = reqs.iter().map(|(seq, r)| d.answer(*seq, r, compute_portable(r).unwrap())).collect();
        assert_eq!(confirmed, vec![true, false]);
        d.begin_run();
        assert!(d.digest_matches(DigestAlg::Sha256, b"abc", &good).unwrap());
        assert!(!d.digest_matches(DigestAlg::Sha256, b"abd", &good).unwrap(), "the rerun sees the mismatch");
        assert!(d.take_requests().is_empty() && !d.incomplete());
    }

    #[test]
    fn small_content_is_decrypted_in_the_run_and_large_content_asked_for() {
        let key = [7u8; 32];
        let iv = [9u8; 16];
        let small = RustCrypto.encrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", &[0x41; INLINE_DECRYPT_BYTES - 16]).unwrap().ciphertext;
        let large = RustCrypto.encrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", &[0x42; INLINE_DECRYPT_BYTES]).unwrap().ciphertext;
        assert_eq!(small.len(), INLINE_DECRYPT_BYTES);
        let d = Deferred::new().inline_small_decryptions();
        d.begin_run();
        let pt = d.decrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", &small, None).unwrap();
        assert_eq!(&pt[..], &[0x41; INLINE_DECRYPT_BYTES - 16][..]);
        // A wrong key fails as RustCrypto fails it, with nothing asked of the host.
        assert!(d.decrypt(ContentCipher::Aes256Cbc, &[8; 32], &iv, b"", &small, None).is_err());
        assert!(!d.incomplete() && d.take_requests().is_empty());
        assert!(d.decrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", &large, None).is_err());
        assert!(d.incomplete());
        assert!(matches!(d.take_requests().as_slice(), [(2, Request::Decrypt { .. })]), "the large one is asked for, numbered after the two small ones");
    }

    #[test]
    fn deferred_keeps_the_line_break_verdict_of_the_whole_message_only() {
        use crate::mime::LineBreaks::{Canonical, Mixed, Other};
        let message = b"From: a\r\nTo: b\n\r\nbody\r\n".to_vec();
        let d = Deferred::for_message(&message);
        let calls = Cell::new(0);
        let scan = |answer: LineBreaks| {
            let calls = &calls;
            move || {
                calls.set(calls.get() + 1);
                answer
            }
        };
        assert_eq!(d.line_breaks(&message, &scan(Mixed)), Mixed);
        d.begin_run();
        // Kept across runs: the second scan's answer is not asked for.
        assert_eq!(d.line_breaks(&message, &scan(Canonical)), Mixed);
        assert_eq!(calls.get(), 1);
        // A part of the message (a forwarded message) or other bytes: scanned every time.
        assert_eq!(d.line_breaks(&message[9..], &scan(Other)), Other);
        assert_eq!(d.line_breaks(&message[9..], &scan(Mixed)), Mixed);
        assert_eq!(d.line_breaks(&message.clone(), &scan(Canonical)), Canonical);
        assert_eq!(calls.get(), 4);
        // Without a message (Deferred::new) nothing is kept.
        let plain = Deferred::new();
        assert_eq!((plain.line_breaks(&message, &scan(Mixed)), plain.line_breaks(&message, &scan(Other))), (Mixed, Other));
        assert_eq!(calls.get(), 6);
    }

    #[test]
    fn deferred_keeps_bodies_by_place_in_the_message_and_hands_plaintext_over_once() {
        let message = b"head\r\n\r\nQUJD\r\nQUJD\r\n".to_vec();
        let d = Deferred::for_message(&message);
        let calls = Cell::new(0);
        let decode = || {
            calls.set(calls.get() + 1);
            Ok(b"ABC".to_vec())
        };
        let first = &message[8..14];
        let second = &message[14..20];
        assert_eq!(first, second);
        let a = d.decoded_body(first, &decode).unwrap();
        let b = d.decoded_body(first, &decode).unwrap();
        assert!(Rc::ptr_eq(&a, &b), "shared, not copied");
        assert_eq!(calls.get(), 1);
        // Same bytes at another place: another entity, decoded again.
        d.decoded_body(second, &decode).unwrap();
        assert_eq!(calls.get(), 2);
        // Outside the message: kept as a compared copy.
        let outside = first.to_vec();
        d.decoded_body(&outside, &decode).unwrap();
        d.decoded_body(&outside.clone(), &decode).unwrap();
        assert_eq!(calls.get(), 3);

        // A decrypted answer is moved to the run that asks for it; the next run asks again.
        let key = [1u8; 32];
        let iv = [2u8; 16];
        let sealed = RustCrypto.encrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", b"plain text").unwrap();
        d.begin_run();
        assert!(d.decrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", &sealed.ciphertext, None).is_err());
        for (seq, r) in d.take_requests() {
            d.answer(seq, &r, compute_portable(&r).unwrap());
        }
        d.begin_run();
        assert_eq!(d.decrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", &sealed.ciphertext, None).unwrap().as_slice(), b"plain text");
        assert!(!d.incomplete());
        d.begin_run();
        assert!(d.decrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", &sealed.ciphertext, None).is_err());
        assert!(d.incomplete() && d.take_requests().len() == 1, "asked again");
    }

    #[test]
    fn plaintext_written_in_place_is_shared_with_every_later_run() {
        let message = b"head\r\n\r\nQUJD\r\n".to_vec();
        let key = [3u8; 32];
        let iv = [4u8; 16];
        let content = [0x44u8; 3 * INLINE_DECRYPT_BYTES];
        let sealed = RustCrypto.encrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", &content).unwrap().ciphertext;
        let framed = [b"prefix".as_slice(), &sealed, b"suffix"].concat();
        let wrong_key_passes = cbc_padding_ok(ContentCipher::Aes256Cbc, &[5; 32], &iv, &sealed);
        let d = Deferred::for_message(&message).inline_small_decryptions();
        let run = |settles: bool| {
            d.begin_run();
            let body = d.decoded_body(&message[8..14], &|| Ok(framed.clone())).unwrap();
            let inside = &body[6..6 + sealed.len()];
            assert!(d.cbc_padding_ok(ContentCipher::Aes256Cbc, &key, &iv, inside), "the verdict of the first run, kept");
            assert_eq!(d.cbc_padding_ok(ContentCipher::Aes256Cbc, &[5; 32], &iv, inside), wrong_key_passes);
            d.decrypt_content(ContentCipher::Aes256Cbc, &key, &iv, b"", inside, None, settles).ok()
        };
        // Not settling (another candidate may follow): answered in a buffer of its own, the
        // ciphertext left as it was.
        assert!(run(false).is_none());
        for (seq, r) in d.take_requests() {
            assert!(matches!(r, Request::Decrypt { data: Data::InBody { overwrite: false, .. }, .. }));
            assert!(d.answer_decrypted(seq, r, content.len(), &|dst| dst.copy_from_slice(&content)).is_none(), "not in place");
        }
        assert!(matches!(run(false), Some(Plaintext::Owned(p)) if p.as_slice() == content));
        assert_eq!(&d.decoded_body(&message[8..14], &|| unreachable!()).unwrap()[6..6 + sealed.len()], &sealed[..]);
        // Settling: written over the ciphertext, then the same bytes in every later run.
        assert!(run(true).is_none(), "handed over once before: asked again");
        let mut places = Vec::new();
        for (seq, r) in d.take_requests() {
            assert!(matches!(r, Request::Decrypt { data: Data::InBody { overwrite: true, .. }, .. }));
            places.extend(d.answer_decrypted(seq, r, content.len(), &|dst| dst.copy_from_slice(&content)));
        }
        let [place] = &places[..] else { panic!("written in place") };
        assert_eq!(place.bytes(), &content[..]);
        for _ in 0..2 {
            let Some(Plaintext::InBody(b)) = run(true) else { panic!("the plaintext in the body") };
            assert_eq!(b.bytes(), &content[..]);
            let body = d.decoded_body(&message[8..14], &|| unreachable!()).unwrap();
            assert!(std::ptr::eq(b.bytes().as_ptr(), body[6..].as_ptr()), "in place, not a copy");
            assert!(std::ptr::eq(b.bytes().as_ptr(), place.bytes().as_ptr()), "the place written");
            assert!(d.take_requests().is_empty() && !d.incomplete());
        }
        // Narrowed without a copy; a range outside is empty.
        let Some(Plaintext::InBody(b)) = run(true) else { panic!() };
        assert_eq!(b.clone().narrowed(2..5).bytes(), &content[2..5]);
        assert!(b.narrowed(0..content.len() + 1).bytes().is_empty());
    }

    #[test]
    fn a_tag_is_joined_to_its_ciphertext_only_for_the_call() {
        let message = b"head\r\n\r\nQUJD\r\n".to_vec();
        let key = [3u8; 32];
        let iv = [4u8; 12];
        let content = [0x46u8; 2 * INLINE_DECRYPT_BYTES];
        let sealed = RustCrypto.encrypt(ContentCipher::Aes256Gcm, &key, &iv, b"", &content).unwrap();
        let tag = sealed.tag.clone().unwrap();
        // The ciphertext, then (as in AuthEnvelopedData) the tag's header and the tag.
        let framed = [b"pre".as_slice(), &sealed.ciphertext, &[0x04, 0x10], &tag].concat();
        let d = Deferred::for_message(&message).inline_small_decryptions();
        d.begin_run();
        {
            let body = d.decoded_body(&message[8..14], &|| Ok(framed.clone())).unwrap();
            let inside = &body[3..3 + sealed.ciphertext.len()];
            assert!(d.decrypt_content(ContentCipher::Aes256Gcm, &key, &iv, b"", inside, Some(&tag), true).is_err());
        }
        let mut requests = d.take_requests();
        let (_, request) = requests.first_mut().unwrap();
        let joined = d.with_tail_joined(request, &tag, |bytes| bytes.to_vec()).expect("joined in the body");
        assert_eq!(joined, [sealed.ciphertext.as_slice(), &tag].concat());
        let body = d.decoded_body(&message[8..14], &|| unreachable!()).unwrap();
        assert_eq!(&body[..], &framed[..], "put back");
        assert!(matches!(request, Request::Decrypt { data: Data::InBody { .. }, .. }), "the request as it was");
        assert_eq!(request_bytes(request), &sealed.ciphertext[..]);
        // Held by someone else (the body above): not written, `f` not called.
        assert!(d.with_tail_joined(request, &tag, |_| unreachable!()).is_none());
        drop(body);
        // Too few bytes after the ciphertext.
        assert!(d.with_tail_joined(request, &[0u8; 40], |_| unreachable!()).is_none());
        assert_eq!(request_bytes(request), &sealed.ciphertext[..]);
        assert_eq!(&d.decoded_body(&message[8..14], &|| unreachable!()).unwrap()[..], &framed[..]);
    }

    fn request_bytes(r: &Request) -> &[u8] {
        match r {
            Request::Decrypt { data, .. } => data.bytes().unwrap(),
            _ => panic!("a decryption"),
        }
    }

    #[test]
    fn a_body_someone_else_holds_is_not_written() {
        let message = b"head\r\n\r\nQUJD\r\n".to_vec();
        let key = [3u8; 32];
        let iv = [4u8; 16];
        let content = [0x45u8; 2 * INLINE_DECRYPT_BYTES];
        let sealed = RustCrypto.encrypt(ContentCipher::Aes256Gcm, &key, &iv[..12], b"", &content).unwrap();
        let d = Deferred::for_message(&message).inline_small_decryptions();
        d.begin_run();
        let body = d.decoded_body(&message[8..14], &|| Ok(sealed.ciphertext.clone())).unwrap();
        let tag = sealed.tag.as_deref();
        assert!(d.decrypt_content(ContentCipher::Aes256Gcm, &key, &iv[..12], b"", &body, tag, true).is_err());
        for (seq, r) in d.take_requests() {
            assert!(d.answer_decrypted(seq, r, content.len(), &|dst| dst.copy_from_slice(&content)).is_none());
        }
        assert_eq!(&body[..], &sealed.ciphertext[..], "held by the run: left alone");
        d.begin_run();
        assert!(matches!(d.decrypt_content(ContentCipher::Aes256Gcm, &key, &iv[..12], b"", &body, tag, true), Ok(Plaintext::Owned(p)) if p.as_slice() == content));
        // Any other request is not answered by it.
        assert!(d.answer_decrypted(0, Request::Digest { alg: DigestAlg::Sha256, data: Data::Copy(Vec::new()), assumed: None }, 0, &|_| {}).is_none());
    }

    #[test]
    fn requests_share_kept_bodies_and_started_digests_keep_no_bytes() {
        let message = b"head\r\n\r\nQUJD\r\n".to_vec();
        let key = [1u8; 32];
        let iv = [2u8; 16];
        let sealed = RustCrypto.encrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", &[0x43; 3 * INLINE_DECRYPT_BYTES]).unwrap().ciphertext;
        let framed = [b"prefix".as_slice(), &sealed, b"suffix"].concat();
        let d = Deferred::for_message(&message).inline_small_decryptions().with_digest_starter(Box::new(|_, data| Some(Box::new(data.len()))));
        d.begin_run();
        let body = d.decoded_body(&message[8..14], &|| Ok(framed.clone())).unwrap();
        let inside = &body[6..6 + sealed.len()];
        assert!(d.decrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", inside, None).is_err());
        assert!(d.digest_matches(DigestAlg::Sha256, b"signed", &[0; 32]).unwrap());
        let reqs = d.take_requests();
        match &reqs[..] {
            [(_, Request::Decrypt { data: decrypted @ Data::InBody { start: 6, .. }, .. }), (_, Request::Digest { data: Data::Started { len: 6, .. }, .. })] => {
                assert_eq!(decrypted.bytes(), Some(&sealed[..]), "a range of the kept body, not a copy");
            }
            _ => panic!("the decryption shares the body and the digest was started"),
        }
        assert!(compute_portable(&reqs[1].1).is_err(), "no bytes to digest again");
        // The same bytes outside every kept body are copied.
        d.begin_run();
        assert!(d.decrypt(ContentCipher::Aes256Cbc, &key, &iv, b"", &sealed, None).is_err());
        assert!(matches!(d.take_requests().as_slice(), [(_, Request::Decrypt { data: Data::Copy(_), .. })]));
    }
}
