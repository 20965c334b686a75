//! The asynchronous exports' bulk crypto through WebCrypto (`crypto.subtle` of the global,
//! so a window, a worker and Node 20 alike): SHA digests, AES-CBC and AES-GCM, RSA signing
//! and RSAES-OAEP key unwrapping with non-extractable keys imported at unlock. The core stays
//! synchronous: it runs in phases (`SignPlan`, `EncryptPlan`) or, for `open`, against a
//! [`Deferred`](crate::cms::bulk::Deferred) bulk seam that is re-run with the answers.
//! Whatever WebCrypto lacks or refuses (SHA-224, AES-192, 3DES, RSA PKCS#1 v1.5 decryption,
//! OAEP with a label or another MGF1 hash, a missing `subtle`, an import error) is computed
//! by the core's RustCrypto instead, with the same result.
//!
//! # Security
//! Private keys are handed to `importKey` as PKCS#8 in a JavaScript buffer that is cleared as
//! soon as the call has copied it; the CryptoKeys are non-extractable and stay in this
//! worker's WebCrypto. An RSA-OAEP unwrap WebCrypto refuses (wrong key, bad padding, a
//! ciphertext not below the modulus) is computed again by the core and its answer used: the
//! candidates, and so the report, are exactly the synchronous path's. The refusal costs the
//! core's time on top; that time tells at most whether the whole OAEP decoding succeeded
//! (which OAEP's security allows an attacker to learn), not which of its checks failed.

use crate::cms::bulk::{compute_portable, compute_portable_with, Answer, Bulk, Data, Deferred, InBody, Request};
use crate::crypto::cipher::ContentCipher;
use crate::crypto::DigestAlg;
use crate::error::Result;
use crate::mime::Limits;
use crate::mime::protect::Protection;
use crate::pkcs12::{Identity, PrivateKey};
use crate::cms::sign::SignedAttributes;
use crate::smime::{OpenInput, OpenedRef, SignedFirst, SigningPhases, MAX_RUNS};
use crate::time::UnixTime;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};
use zeroize::Zeroizing;

/// Content of at most this many bytes is digested (to sign it) and encrypted (to send it) by
/// RustCrypto in the call itself instead of by WebCrypto: for a short message the round trips
/// into WebCrypto (a digest; an AES key import and an encryption), each a hop through the
/// event loop, cost more than SHA-256 or AES over a few kilobytes in Wasm. The same bound as
/// the inline decryptions of `open` ([`crate::cms::bulk::INLINE_DECRYPT_BYTES`]).
pub(crate) const INLINE_BULK_BYTES: usize = crate::cms::bulk::INLINE_DECRYPT_BYTES;

/// `crypto.subtle` of the global object, when there is one.
pub(crate) fn subtle() -> Option<SubtleCrypto> {
    let global = js_sys::global();
    let crypto = Reflect::get(&global, &JsValue::from_str("crypto")).ok().filter(|v| v.is_object())?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok().filter(|v| v.is_object())?;
    Some(subtle.unchecked_into())
}

pub(super) fn object(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

async fn bytes_of(p: std::result::Result<Promise, JsValue>) -> std::result::Result<Vec<u8>, JsValue> {
    let v = JsFuture::from(p?).await?;
    Ok(Uint8Array::new(&v).to_vec())
}

fn hash_name(alg: DigestAlg) -> Option<&'static str> {
    match alg {
        DigestAlg::Sha1 => Some("SHA-1"),
        DigestAlg::Sha256 => Some("SHA-256"),
        DigestAlg::Sha384 => Some("SHA-384"),
        DigestAlg::Sha512 => Some("SHA-512"),
        DigestAlg::Md5 | DigestAlg::Sha224 => None,
    }
}

/// The digest of `data`, by WebCrypto when it can, else by the core.
pub(crate) async fn digest(subtle: Option<&SubtleCrypto>, alg: DigestAlg, data: &[u8]) -> Result<Vec<u8>> {
    if let (Some(s), Some(name)) = (subtle, hash_name(alg)) {
        if let Ok(d) = bytes_of(s.digest_with_str_and_u8_array(name, data)).await {
            if d.len() == alg.output_len() {
                return Ok(d);
            }
        }
    }
    crate::crypto::digest(alg, data)
}

/// The input of [`aes`]: bytes, or a call that asks WebCrypto itself with the parameters and
/// key given (see [`decrypt`]).
enum AesInput<'a> {
    Bytes(&'a [u8]),
    Call(&'a mut dyn FnMut(&SubtleCrypto, &Object, &CryptoKey) -> Option<Promise>),
}

/// AES-CBC (PKCS#7 padding) or AES-GCM (a tag of `tag_bits` appended) with WebCrypto, the output
/// left in JavaScript memory for the caller to copy where it wants it; None when it cannot
/// (AES-192 is missing in Chromium, 3DES everywhere) or refuses.
#[allow(clippy::too_many_arguments)]
async fn aes(subtle: &SubtleCrypto, encrypt: bool, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], input: AesInput<'_>, tag_bits: u32) -> Option<Uint8Array> {
    let name = match cipher {
        ContentCipher::Aes128Cbc | ContentCipher::Aes256Cbc => "AES-CBC",
        ContentCipher::Aes128Gcm | ContentCipher::Aes256Gcm => "AES-GCM",
        _ => return None,
    };
    let usage = if encrypt { "encrypt" } else { "decrypt" };
    let raw = Uint8Array::from(key);
    let imported = subtle.import_key_with_object("raw", &raw, &object(&[("name", JsValue::from_str(name))]), false, &Array::of1(&JsValue::from_str(usage)));
    // importKey copies the key synchronously: clear the JavaScript copy now.
    raw.fill(0, 0, raw.length());
    let key: CryptoKey = JsFuture::from(imported.ok()?).await.ok()?.unchecked_into();
    let mut params = vec![("name", JsValue::from_str(name)), ("iv", Uint8Array::from(iv).into())];
    if cipher.is_aead() {
        params.push(("tagLength", JsValue::from_f64(f64::from(tag_bits))));
        if !aad.is_empty() {
            params.push(("additionalData", Uint8Array::from(aad).into()));
        }
    }
    let params = object(&params);
    let pending = match input {
        AesInput::Call(call) => call(subtle, &params, &key)?,
        AesInput::Bytes(data) if encrypt => subtle.encrypt_with_object_and_u8_array(&params, &key, data).ok()?,
        AesInput::Bytes(data) => subtle.decrypt_with_object_and_u8_array(&params, &key, data).ok()?,
    };
    let out = JsFuture::from(pending).await.ok()?;
    Some(Uint8Array::new(&out))
}

/// Plaintexts WebCrypto returned that were written over their ciphertext in a kept body, each
/// with its place (held, so those bytes stay as written) and the JavaScript array it came in,
/// not yet cleared: the content `open` hands out is a view of one of these arrays when it lies
/// within its place, instead of a second copy out of Wasm memory (for 25 MB, a fresh 25 MB
/// array filled and another cleared). Every array not handed out is cleared, at the latest on
/// drop.
#[derive(Default)]
pub(crate) struct Plaintexts(std::cell::RefCell<Vec<(InBody, Uint8Array)>>);

impl Plaintexts {
    /// `content` as a JavaScript array (`undefined` for none): a view of the array it was
    /// written from, with the rest of that array cleared, else a copy.
    pub(crate) fn content_js(self, content: Option<&[u8]>) -> JsValue {
        let Some(content) = content else { return JsValue::UNDEFINED };
        let mut list = self.0.borrow_mut();
        let found = list.iter().enumerate().find_map(|(i, (place, view))| {
            let range = super::place_in(place.bytes(), content)?;
            (view.length() as usize == place.bytes().len()).then_some((i, range))
        });
        let Some((i, (from, to))) = found else { return Uint8Array::from(content).into() };
        let (_, view) = list.swap_remove(i);
        view.fill(0, 0, from);
        view.fill(0, to, view.length());
        view.subarray(from, to).into()
    }
}

impl Drop for Plaintexts {
    fn drop(&mut self) {
        for (_, view) in self.0.get_mut().drain(..) {
            view.fill(0, 0, view.length());
        }
    }
}

/// A decryption request by WebCrypto, answered through [`Deferred::answer_decrypted`]: the
/// plaintext is copied from JavaScript straight over its ciphertext when that lies in a body the
/// seam keeps and the seam can (no plaintext buffer in Wasm memory; the JavaScript array is then
/// kept in `plaintexts`), else into a buffer of its own (the JavaScript array cleared). Refused
/// (bad padding or tag) or not available: answered by the core, so the answer is exactly the
/// synchronous one. Any other request is given back.
async fn decrypt(subtle: &SubtleCrypto, deferred: &Deferred, seq: usize, mut request: Request, plaintexts: &Plaintexts) -> Result<Option<Request>> {
    let Request::Decrypt { cipher, key, iv, aad, data, tag } = &request else { return Ok(Some(request)) };
    if data.bytes().is_none() {
        return Ok(Some(request));
    }
    let (cipher, key, iv, aad, tag) = (*cipher, key.clone(), iv.clone(), aad.clone(), tag.clone().unwrap_or_default());
    // RFC 5084 tags of 12 to 16 bytes: WebCrypto takes the length in bits.
    let tag_bits = if tag.is_empty() { 128 } else { u32::try_from(tag.len() * 8).unwrap_or(128) };
    // A GCM ciphertext is given to WebCrypto with its tag after it: written for the call over
    // the bytes after the ciphertext in its decoded body when the seam can (WebCrypto copies
    // its input at once; the body is then put back), else joined in a JavaScript array, not in
    // Wasm memory (the Wasm heap never shrinks; for 25 MB, a 25 MB array and copy).
    let mut call = |subtle: &SubtleCrypto, params: &Object, key: &CryptoKey| -> Option<Promise> {
        if !tag.is_empty() {
            if let Some(pending) = deferred.with_tail_joined(&mut request, &tag, |joined| subtle.decrypt_with_object_and_u8_array(params, key, joined).ok()) {
                return pending;
            }
        }
        let Request::Decrypt { data, .. } = &request else { return None };
        let data = data.bytes()?;
        if tag.is_empty() {
            return subtle.decrypt_with_object_and_u8_array(params, key, data).ok();
        }
        let total = u32::try_from(data.len().checked_add(tag.len())?).ok()?;
        let split = u32::try_from(data.len()).ok()?;
        let joined = Uint8Array::new_with_length(total);
        joined.subarray(0, split).copy_from(data);
        joined.subarray(split, total).copy_from(&tag);
        subtle.decrypt_with_object_and_js_u8_array(params, key, &joined).ok()
    };
    let decrypted = aes(subtle, false, cipher, &key, &iv, &aad, AesInput::Call(&mut call), tag_bits).await;
    let Some(view) = decrypted else {
        let answer = compute_portable(&request)?;
        deferred.answer(seq, &request, answer);
        return Ok(None);
    };
    let len = view.length();
    let place = deferred.answer_decrypted(seq, request, len as usize, &|dst| {
        let n = u32::try_from(dst.len()).unwrap_or(u32::MAX).min(len);
        if let Some(dst) = dst.get_mut(..n as usize) {
            view.subarray(0, n).copy_to(dst);
        }
    });
    match place {
        Some(place) => plaintexts.0.borrow_mut().push((place, view)),
        // Clear the JavaScript copy of the plaintext (the Wasm copy is zeroized by its owner).
        None => {
            view.fill(0, 0, len);
        }
    }
    Ok(None)
}

/// Encrypt a plan's content with WebCrypto, the ciphertext left in WebCrypto's array, and
/// GCM's tag split off (copied into Wasm); None for content of at most [`INLINE_BULK_BYTES`]
/// or when WebCrypto cannot (the core encrypts then).
async fn seal_outside(subtle: Option<&SubtleCrypto>, plan: &crate::smime::EncryptPlan) -> Option<(Uint8Array, Option<Vec<u8>>)> {
    let cipher = plan.cipher();
    let s = subtle.filter(|_| plan.content().len() > INLINE_BULK_BYTES)?;
    let out = aes(s, true, cipher, plan.key(), plan.iv(), b"", AesInput::Bytes(plan.content()), 128).await?;
    if !cipher.is_aead() {
        return Some((out, None));
    }
    let at = out.length().checked_sub(16)?;
    Some((out.subarray(0, at), Some(out.subarray(at, out.length()).to_vec())))
}

/// Answer one request of the deferred seam; `identities` and their imported `keys` answer
/// key transports.
async fn compute(subtle: Option<&SubtleCrypto>, request: &Request, identities: &[&Identity], keys: &[OaepKey]) -> Result<Answer> {
    match (subtle, request) {
        (Some(s), Request::KeyTransport { key, hash, ciphertext }) => match oaep_unwrap(s, keys, key, *hash, ciphertext).await {
            Some(cek) => Ok(Answer::Unwrapped(Some(cek))),
            // No key imported, or WebCrypto refused (a wrong key, bad padding): the core
            // decides, so the answer is exactly the synchronous one.
            None => compute_portable_with(request, identities),
        },
        (None, Request::KeyTransport { .. }) => compute_portable_with(request, identities),
        (_, Request::Digest { alg, data: Data::Started { pending, .. }, .. }) => {
            // Started when the run asked for it (see `start_digest`); a refusal, which the
            // core cannot answer without the bytes, makes the caller open portably.
            let pending = pending.downcast_ref::<Promise>().ok_or_else(|| crate::error::Error::new(crate::error::Code::Crypto, "A digest was started by another host.", "Open the message again."))?;
            match bytes_of(Ok(pending.clone())).await {
                Ok(d) if d.len() == alg.output_len() => Ok(Answer::Digest(d)),
                _ => Err(crate::error::Error::new(crate::error::Code::Crypto, "WebCrypto refused a digest.", "Open the message again.")),
            }
        }
        (_, Request::Digest { alg, data, .. }) => match data.bytes() {
            Some(bytes) => Ok(Answer::Digest(digest(subtle, *alg, bytes).await?)),
            None => compute_portable(request),
        },
        // With WebCrypto, decryptions are answered by `decrypt`.
        (_, Request::Decrypt { .. }) => compute_portable(request),
    }
}

/// WebCrypto's digest of `data`, started now: `digest` copies its input before it returns, so
/// the request keeps no copy in Wasm memory. None for a hash WebCrypto lacks.
fn start_digest(subtle: &SubtleCrypto, alg: DigestAlg, data: &[u8]) -> Option<Box<dyn std::any::Any>> {
    let promise = subtle.digest_with_str_and_u8_array(hash_name(alg)?, data).ok()?;
    Some(Box::new(promise))
}

/// `open` with WebCrypto for the bulk steps: run, compute what the run asked for, and run
/// again until a run used no placeholder and its assumed digest matches all hold.
///
/// `keys`: the unlocked identities' RSA keys imported for RSA-OAEP ([`import_oaep_keys`]);
/// with none, RSA key transport is all in the core.
/// The content is borrowed from `message` when it is a part of it as received.
pub(crate) async fn open<'m>(message: Received<'m, '_>, input: &OpenInput<'_>, keys: &[OaepKey], plaintexts: &Plaintexts) -> OpenedRef<'m> {
    let subtle = subtle();
    let (deferred, again_from, message) = match message {
        Received::AsIs(m) => (Deferred::for_message(m), None, m),
        Received::DecodedTop { head, body, line_breaks, again } => (Deferred::for_decoded_top(head, body, line_breaks), Some(again), head),
    };
    // The core's own open, which the caller's answer must then be: of the message as
    // received, read again when only its header section is here.
    let portable = || -> OpenedRef<'m> {
        match again_from {
            Some(again) => crate::smime::open(&again(), input).into(),
            None => crate::smime::open(message, input).into(),
        }
    };
    let deferred = if subtle.is_some() && !keys.is_empty() { deferred.with_key_transport() } else { deferred };
    let deferred = deferred.inline_small_decryptions();
    let deferred = match subtle.clone() {
        Some(s) => deferred.with_digest_starter(Box::new(move |alg, data| start_digest(&s, alg, data))),
        None => deferred,
    };
    for _ in 0..MAX_RUNS {
        deferred.begin_run();
        let opened = crate::smime::open_with_borrowed(message, input, &deferred);
        // Shown only when no placeholder was used and every assumed digest match holds.
        let mut again = deferred.incomplete();
        for (seq, request) in deferred.take_requests() {
            let request = match subtle.as_ref() {
                Some(s) => match decrypt(s, &deferred, seq, request, plaintexts).await {
                    Ok(Some(request)) => request,
                    Ok(None) => {
                        // A decryption is never an assumption the run could confirm.
                        again = true;
                        continue;
                    }
                    Err(_) => return portable(),
                },
                None => request,
            };
            match compute(subtle.as_ref(), &request, input.identities, keys).await {
                Ok(answer) => again |= !deferred.answer(seq, &request, answer),
                Err(_) => return portable(),
            }
        }
        if !again {
            // Content borrowed from a header section alone is the message itself (nothing was
            // peeled: a certificate bundle, say), which only the message as received holds.
            if again_from.is_some() && matches!(opened.content, Some(crate::smime::Content::Borrowed(_))) {
                return portable();
            }
            return opened;
        }
    }
    portable()
}

/// The message [`open`] runs on: as received, or the header section of one whose body was
/// decoded beforehand in its own buffer ([`crate::smime::decode_top_in_place`]), with `again`
/// to read the message as received once more (for the core's own open, when WebCrypto fails).
pub(crate) enum Received<'m, 'f> {
    AsIs(&'m [u8]),
    DecodedTop { head: &'m [u8], body: Vec<u8>, line_breaks: crate::mime::LineBreaks, again: &'f dyn Fn() -> Vec<u8> },
}

/// A promise of the identity's RSA key imported into WebCrypto for signing
/// (non-extractable), resolving to the CryptoKey or to `null` when it cannot be.
pub(crate) fn import_signing_key(identity: &Identity) -> Option<Promise> {
    let PrivateKey::Rsa(_) = &identity.key else { return None };
    let subtle = subtle()?;
    let hash = hash_name(crate::cms::sign::digest_for(&identity.key))?;
    let name = if crate::cms::sign::uses_pss(identity) { "RSA-PSS" } else { "RSASSA-PKCS1-v1_5" };
    let pkcs8: Zeroizing<Vec<u8>> = identity.key.to_pkcs8_der().ok()?;
    let buf = Uint8Array::from(pkcs8.as_slice());
    let imported = import_pkcs8(&subtle, &buf, name, hash, "sign");
    // importKey copies the key data synchronously: clear the JavaScript copy now (the
    // Wasm copy is zeroized when `pkcs8` drops).
    buf.fill(0, 0, buf.length());
    imported
}

/// `importKey("pkcs8", buf, {name, hash}, false, [usage])` as a promise resolving to the
/// non-extractable CryptoKey or to `null` (never rejecting). The caller clears `buf`.
fn import_pkcs8(subtle: &SubtleCrypto, buf: &Uint8Array, name: &str, hash: &str, usage: &str) -> Option<Promise> {
    let imported = subtle
        .import_key_with_object("pkcs8", buf, &object(&[("name", JsValue::from_str(name)), ("hash", JsValue::from_str(hash))]), false, &Array::of1(&JsValue::from_str(usage)))
        .ok()?;
    Some(wasm_bindgen_futures::future_to_promise(async move { Ok(JsFuture::from(imported).await.unwrap_or(JsValue::NULL)) }))
}

/// The OAEP hashes an incoming KeyTransRecipientInfo may use that WebCrypto has (SHA-1 is
/// the default RSAES-OAEP-params; SHA-224 is not in WebCrypto).
const OAEP_HASHES: [DigestAlg; 4] = [DigestAlg::Sha1, DigestAlg::Sha256, DigestAlg::Sha384, DigestAlg::Sha512];

/// One RSA key pair imported into WebCrypto as a non-extractable RSA-OAEP decryption key for
/// one hash: the pair's subjectPublicKeyInfo (`recipients::public_key_der`), the hash, and a
/// promise of the CryptoKey or `null`.
#[derive(Clone)]
pub(crate) struct OaepKey {
    pair: Vec<u8>,
    hash: DigestAlg,
    key: Promise,
}

/// Every RSA key pair of the identity (a separate encryption key too) imported for RSA-OAEP
/// decryption with each of [`OAEP_HASHES`] (WebCrypto binds the hash to the key). Empty
/// without WebCrypto.
pub(crate) fn import_oaep_keys(identity: &Identity) -> Vec<OaepKey> {
    let Some(subtle) = subtle() else { return Vec::new() };
    let mut out = Vec::new();
    for pair in identity.key_pairs() {
        let PrivateKey::Rsa(_) = &pair.key else { continue };
        let (Some(id), Ok(pkcs8)) = (crate::cms::recipients::public_key_der(&pair.certificate), pair.key.to_pkcs8_der()) else { continue };
        let buf = Uint8Array::from(pkcs8.as_slice());
        for hash in OAEP_HASHES {
            if let Some(key) = hash_name(hash).and_then(|name| import_pkcs8(&subtle, &buf, "RSA-OAEP", name, "decrypt")) {
                out.push(OaepKey { pair: id.clone(), hash, key });
            }
        }
        // importKey has copied the key data: clear the JavaScript copy (the Wasm copy is
        // zeroized when `pkcs8` drops).
        buf.fill(0, 0, buf.length());
    }
    out
}

/// RSA-OAEP decryption of a wrapped content-encryption key with WebCrypto, by the imported
/// key of the pair `pair` for `hash`; None when there is no such key or WebCrypto refuses.
async fn oaep_unwrap(subtle: &SubtleCrypto, keys: &[OaepKey], pair: &[u8], hash: DigestAlg, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let imported = keys.iter().find(|k| k.hash == hash && k.pair == pair)?;
    let key = JsFuture::from(imported.key.clone()).await.ok()?;
    let key = key.dyn_ref::<CryptoKey>()?;
    let params = object(&[("name", JsValue::from_str("RSA-OAEP"))]);
    let out = JsFuture::from(subtle.decrypt_with_object_and_u8_array(&params, key, ciphertext).ok()?).await.ok()?;
    let view = Uint8Array::new(&out);
    let cek = Zeroizing::new(view.to_vec());
    // Clear the JavaScript copy of the content-encryption key.
    view.fill(0, 0, view.length());
    Some(cek)
}

/// Sign a message: the digest and, with an imported key, the RSA signature by WebCrypto.
pub(crate) async fn sign(identity: &Identity, key: Option<Promise>, message: &[u8], opaque: bool, at: UnixTime, policy: &crate::policy::Policy) -> Result<Vec<u8>> {
    sign_protected(identity, key, message, opaque, at, policy, Protection::Clear).await
}

/// Phases 1 and 2 of signing `content` (the plan's entity) with WebCrypto: its digest, the
/// signed attributes over it, and WebCrypto's RSA signature of those with the imported key
/// (None when there is no key or WebCrypto refuses; not yet checked, which the plan does).
async fn attributes_and_signature<P: SigningPhases>(plan: &P, content: &[u8], key: Option<Promise>) -> Result<(SignedAttributes, Option<(spki::AlgorithmIdentifierOwned, Vec<u8>)>)> {
    let subtle = subtle();
    let md = entity_digest(subtle.as_ref(), plan.digest_algorithm(), content).await?;
    let attrs = plan.signed_attributes(&md)?;
    let pss = plan.uses_pss().then(|| plan.digest_algorithm().output_len());
    let signature = match (subtle.as_ref(), key, plan.external_signature_algorithm()?) {
        (Some(s), Some(key), Some(algorithm)) => rsa_signature(s, key, pss, attrs.der()).await.map(|value| (algorithm, value)),
        _ => None,
    };
    Ok((attrs, signature))
}

/// The digest of an entity to sign: in the core when it is small (a WebCrypto round trip costs
/// more), else by WebCrypto when it can.
async fn entity_digest(subtle: Option<&SubtleCrypto>, alg: DigestAlg, content: &[u8]) -> Result<Vec<u8>> {
    if content.len() <= INLINE_BULK_BYTES {
        crate::crypto::digest(alg, content)
    } else {
        digest(subtle, alg, content).await
    }
}

/// WebCrypto's RSA signature of `data` with the imported signing key (RSASSA-PKCS1-v1_5, or
/// RSA-PSS with a salt of `pss` bytes); None when the key is missing or WebCrypto refuses.
async fn rsa_signature(subtle: &SubtleCrypto, key: Promise, pss: Option<usize>, data: &[u8]) -> Option<Vec<u8>> {
    let k = JsFuture::from(key).await.ok()?;
    let k = k.dyn_ref::<CryptoKey>()?;
    let params = match pss {
        Some(salt) => object(&[("name", JsValue::from_str("RSA-PSS")), ("saltLength", JsValue::from_f64(salt as f64))]),
        None => object(&[("name", JsValue::from_str("RSASSA-PKCS1-v1_5"))]),
    };
    bytes_of(subtle.sign_with_object_and_u8_array(&params, k, data)).await.ok()
}

/// The free bytes in front of a message copied in to be signed in place: room for the
/// entity's protected header section and the multipart/signed header section, which together
/// are about twice the message's outer header fields longer than its own header section.
pub(crate) const SIGN_GAP: usize = 64 * 1024;

/// Room kept after such a message for the signature part (base64 of the SignedData with the
/// signer's certificate chain, a few kilobytes), so appending it does not move the message.
pub(crate) const SIGN_TAIL: usize = 32 * 1024;

/// Room kept after a message copied in to be encrypted, for the entity made in its buffer
/// (`smime::prepare_encryption_owned`): its protected header section, the legacy display and
/// the CBC padding, so making it does not move the message.
pub(crate) const ENTITY_ROOM: usize = 64 * 1024;

/// [`sign`] of the message `buf[SIGN_GAP..]`, in that buffer when the core can
/// (`smime::prepare_signing_in_place`): the signed message is `buf[from..]` of the returned
/// `(buf, from)`.
pub(crate) async fn sign_in_place(identity: &Identity, key: Option<Promise>, buf: Vec<u8>, opaque: bool, at: UnixTime, policy: &crate::policy::Policy) -> Result<(Vec<u8>, usize)> {
    let plan = match crate::smime::prepare_signing_in_place(buf, SIGN_GAP, identity, opaque, at, &Limits::default(), policy)? {
        Ok(plan) => plan,
        Err(buf) => return Ok((sign(identity, key, buf.get(SIGN_GAP..).unwrap_or_default(), opaque, at, policy).await?, 0)),
    };
    let (attrs, signature) = attributes_and_signature(&plan, plan.content(), key).await?;
    // A signature WebCrypto made that does not check out against the certificate is dropped:
    // the core signs instead (the message in the buffer is already rewritten, so it cannot be
    // signed again from scratch).
    let signature = plan.signature(&attrs, signature)?;
    plan.finish(attrs, signature)
}

/// The signed message with WebCrypto's digest and signature ([`attributes_and_signature`]), or
/// None when the core refused WebCrypto's signature (`finish_message` checks it against the
/// certificate): the caller then signs the message again entirely in the core.
async fn signed_by_webcrypto(identity: &Identity, key: Option<Promise>, message: &[u8], opaque: bool, at: UnixTime, policy: &crate::policy::Policy, protection: Protection) -> Result<Option<crate::smime::SignedMessage>> {
    let plan = crate::smime::prepare_signing_with(message, identity, opaque, at, &Limits::default(), policy, protection)?;
    let (attrs, signature) = attributes_and_signature(&plan, plan.content(), key).await?;
    let external = signature.is_some();
    match plan.finish_message(attrs, signature) {
        Err(_) if external => Ok(None),
        done => done.map(Some),
    }
}

/// [`sign`] with the header protection chosen (`Cipher` when the message is encrypted next).
async fn sign_protected(identity: &Identity, key: Option<Promise>, message: &[u8], opaque: bool, at: UnixTime, policy: &crate::policy::Policy, protection: Protection) -> Result<Vec<u8>> {
    match signed_by_webcrypto(identity, key, message, opaque, at, policy, protection).await? {
        Some(signed) => Ok(signed.into_bytes()),
        None => crate::smime::sign_message_with(message, identity, opaque, at, &Limits::default(), policy, protection),
    }
}

/// The entity to encrypt of `message` clear-signed with header protection for encryption
/// ([`crate::smime::entity_of_clear_signed`]), signed as [`sign_protected`] signs.
async fn signed_entity(identity: &Identity, key: Option<Promise>, message: &[u8], at: UnixTime, policy: &crate::policy::Policy) -> Result<(crate::smime::OuterHeaders, Vec<u8>)> {
    let limits = Limits::default();
    match signed_by_webcrypto(identity, key, message, false, at, policy, Protection::Cipher).await? {
        Some(signed) => crate::smime::entity_of_clear_signed(signed, &limits),
        None => crate::smime::clear_signed_entity(message, identity, at, &limits, policy),
    }
}

/// Encrypt a message (signing it first when asked) with WebCrypto for the bulk steps.
pub(crate) async fn encrypt(
    message: Vec<u8>,
    recipients: &[x509_cert::Certificate],
    sender: Option<(&Identity, Option<Promise>)>,
    options: crate::smime::EncryptOptions,
    at: UnixTime,
    policy: &crate::policy::Policy,
) -> Result<Encrypted> {
    let limits = Limits::default();
    // No recipient certificate outside its validity period (SPEC section 3).
    crate::cert::validity::check_recipients(recipients, at)?;
    let (opaque, triple_wrap) = (options.opaque, options.triple_wrap);
    // As `smime::prepare_message_encryption`, with WebCrypto signing.
    let sender_id = sender.as_ref().map(|(id, _)| *id);
    let plan = match options.signed_first() {
        // The entity to encrypt is built around the signed entity.
        SignedFirst::Clear => {
            let (id, key) = sender.as_ref().ok_or_else(crate::smime::signing_needs_identity)?;
            let (outer, inner) = signed_entity(id, key.clone(), &message, at, policy).await?;
            crate::smime::prepare_encryption_of(outer, inner, recipients, sender_id, options, policy)?
        }
        // Signing canonicalises the message itself.
        SignedFirst::Whole => {
            let (id, key) = sender.as_ref().ok_or_else(crate::smime::signing_needs_identity)?;
            let signed = sign_protected(id, key.clone(), &message, opaque, at, policy, Protection::Cipher).await?;
            crate::smime::prepare_encryption(&signed, recipients, sender_id, options, &limits, policy)?
        }
        // The entity is made in the message's own buffer (no second buffer of its size).
        SignedFirst::No => {
            let message = match crate::mime::canonicalize_crlf(&message) {
                std::borrow::Cow::Owned(canonical) => canonical,
                std::borrow::Cow::Borrowed(_) => message,
            };
            crate::smime::prepare_encryption_owned(message, recipients, sender_id, options, &limits, policy)?
        }
    };
    let encrypted = match seal_outside(subtle().as_ref(), &plan).await {
        // The ciphertext stays in WebCrypto's array, read from there block by block.
        Some((ciphertext, tag)) => Encrypted::Entity(plan.finish_mime_around(ciphertext.length() as usize, tag)?, Some(JsPiece(ciphertext))),
        None => Encrypted::Entity(plan.finish_in_core()?, None),
    };
    // Triple wrapping: the encrypted message signed again.
    match sender.as_ref().filter(|_| triple_wrap) {
        Some((id, key)) => sign(id, key.clone(), &encrypted.to_vec()?, opaque, at, policy).await.map(Encrypted::Bytes),
        None => Ok(encrypted),
    }
}

/// A ciphertext in a JavaScript array, as the middle piece of an encrypted message's DER.
pub(crate) struct JsPiece(Uint8Array);

impl crate::mime::DerPiece for JsPiece {
    fn piece_len(&self) -> usize {
        self.0.length() as usize
    }
    fn copy_out(&self, at: usize, out: &mut [u8]) {
        let (Ok(from), Ok(n)) = (u32::try_from(at), u32::try_from(out.len())) else { return };
        self.0.subarray(from, from.saturating_add(n)).copy_to(out);
    }
}

/// An encrypted message from [`encrypt`]: the `application/pkcs7-mime` entity before its
/// base64 encoding, with its ciphertext in Wasm memory or left in WebCrypto's array (written
/// straight into the caller's JavaScript array, [`Encrypted::to_js`]: for 25 MB, neither the
/// ciphertext nor the 34 MB message in Wasm memory), or, triple-wrapped, the bytes.
pub(crate) enum Encrypted {
    /// The entity, with the middle piece of its DER (the ciphertext) in WebCrypto's array when
    /// given.
    Entity(crate::mime::Pkcs7Mime, Option<JsPiece>),
    Bytes(Vec<u8>),
}

impl Encrypted {
    /// The message in Wasm memory (to be signed again).
    fn to_vec(&self) -> Result<Vec<u8>> {
        let (entity, middle) = match self {
            Encrypted::Entity(entity, middle) => (entity, middle.as_ref().map(|m| m as &dyn crate::mime::DerPiece)),
            Encrypted::Bytes(b) => return Ok(b.clone()),
        };
        let mut out = Vec::with_capacity(entity.encoded_len_with(middle));
        entity.write_to_with(middle, &mut out).map_err(|e| write_failed(e.to_string()))?;
        Ok(out)
    }

    /// The message as a new JavaScript array.
    pub(crate) fn to_js(&self) -> Result<Uint8Array> {
        let (entity, middle) = match self {
            Encrypted::Entity(entity, middle) => (entity, middle.as_ref().map(|m| m as &dyn crate::mime::DerPiece)),
            Encrypted::Bytes(b) => return Ok(Uint8Array::from(b.as_slice())),
        };
        let too_large = crate::error::Error::new(crate::error::Code::LimitExceeded, "The encrypted message is too large.", "Send a smaller message.");
        let mut sink = JsSink { array: Uint8Array::new_with_length(u32::try_from(entity.encoded_len_with(middle)).map_err(|_| too_large)?), at: 0 };
        // Only a length that does not match what is written (a bug) fails here.
        let written = entity.write_to_with(middle, &mut sink).map_err(|e| e.to_string()).and_then(|()| if sink.at == sink.array.length() { Ok(()) } else { Err(format!("{} of {} bytes written", sink.at, sink.array.length())) });
        written.map_err(write_failed)?;
        Ok(sink.array)
    }
}

fn write_failed(detail: String) -> crate::error::Error {
    crate::error::Error::new(crate::error::Code::Crypto, "Cachet could not write the encrypted message.", "Try again; if it happens again, report it.").with_detail(detail)
}

/// Writes into a JavaScript array of a set length, block after block (copied from Wasm memory
/// by the engine, one call per block).
struct JsSink {
    array: Uint8Array,
    at: u32,
}

impl std::io::Write for JsSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let end = u32::try_from(buf.len()).ok().and_then(|n| self.at.checked_add(n)).filter(|end| *end <= self.array.length());
        let end = end.ok_or(std::io::ErrorKind::WriteZero)?;
        self.array.subarray(self.at, end).copy_from(buf);
        self.at = end;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
