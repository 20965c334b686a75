//! The asynchronous exports' bulk crypto through WebCrypto (`crypto.subtle` of the global,
//! so a window, a worker and Node 20 alike): SHA digests, AES-CBC and AES-GCM, and RSA
//! signing with a non-extractable key imported at unlock. The core stays synchronous: it
//! runs in phases (`SignPlan`, `EncryptPlan`) or, for `open`, against a
//! [`Deferred`](crate::cms::bulk::Deferred) bulk seam that is re-run with the answers.
//! Whatever WebCrypto lacks or refuses (SHA-224, AES-192, 3DES, a missing `subtle`, an
//! import error) is computed by the core's RustCrypto instead, with the same result.

use crate::cms::bulk::{compute_portable, Answer, Bulk, Deferred, Request};
use crate::crypto::cipher::{ContentCipher, RustCrypto, Sealed, Symmetric};
use crate::crypto::DigestAlg;
use crate::error::Result;
use crate::mime::Limits;
use crate::mime::protect::Protection;
use crate::pkcs12::{Identity, PrivateKey};
use crate::smime::{OpenInput, Opened};
use crate::time::UnixTime;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};
use zeroize::Zeroizing;

/// Most runs of `open` against the deferred seam (each run answers at least one more
/// bulk step; an encrypted layer costs a run, and each further candidate key tried on its
/// content one more). Past it, `open` runs portably.
const MAX_RUNS: usize = 2 * crate::smime::MAX_LAYERS + crate::cms::decrypt::MAX_CONTENT_DECRYPTIONS + 2;

/// `crypto.subtle` of the global object, when there is one.
pub(crate) fn subtle() -> Option<SubtleCrypto> {
    let global = js_sys::global();
    let crypto = Reflect::get(&global, &JsValue::from_str("crypto")).ok().filter(|v| v.is_object())?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok().filter(|v| v.is_object())?;
    Some(subtle.unchecked_into())
}

fn object(pairs: &[(&str, JsValue)]) -> Object {
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

/// AES-CBC (PKCS#7 padding) or AES-GCM (a tag of `tag_bits` appended) with WebCrypto; None when
/// it cannot (AES-192 is missing in Chromium, 3DES everywhere) or refuses. To decrypt, `tail`
/// (a GCM tag) follows `data`: the two are joined in JavaScript memory, not in Wasm memory
/// (for 25 MB, one copy fewer in the Wasm heap, which never shrinks).
#[allow(clippy::too_many_arguments)]
async fn aes(subtle: &SubtleCrypto, encrypt: bool, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tail: &[u8], tag_bits: u32) -> Option<Vec<u8>> {
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
    if encrypt {
        return bytes_of(subtle.encrypt_with_object_and_u8_array(&params, &key, data)).await.ok();
    }
    let pending = if tail.is_empty() {
        subtle.decrypt_with_object_and_u8_array(&params, &key, data)
    } else {
        let total = u32::try_from(data.len().checked_add(tail.len())?).ok()?;
        let split = u32::try_from(data.len()).ok()?;
        let joined = Uint8Array::new_with_length(total);
        joined.subarray(0, split).copy_from(data);
        joined.subarray(split, total).copy_from(tail);
        subtle.decrypt_with_object_and_js_u8_array(&params, &key, &joined)
    };
    let out = JsFuture::from(pending.ok()?).await.ok()?;
    let view = Uint8Array::new(&out);
    let plaintext = view.to_vec();
    // Clear the JavaScript copy of the plaintext (the Wasm copy is zeroized by its owner).
    view.fill(0, 0, view.length());
    Some(plaintext)
}

/// Encrypt a plan's content: WebCrypto, else the core. GCM output is split into
/// ciphertext and tag.
async fn seal(subtle: Option<&SubtleCrypto>, plan: &crate::smime::EncryptPlan) -> Result<Sealed> {
    let cipher = plan.cipher();
    if let Some(s) = subtle {
        if let Some(mut out) = aes(s, true, cipher, plan.key(), plan.iv(), b"", plan.content(), b"", 128).await {
            if !cipher.is_aead() {
                return Ok(Sealed { ciphertext: out, tag: None });
            }
            if let Some(at) = out.len().checked_sub(16) {
                let tag = out.split_off(at);
                return Ok(Sealed { ciphertext: out, tag: Some(tag) });
            }
        }
    }
    RustCrypto.encrypt(cipher, plan.key(), plan.iv(), b"", plan.content())
}

/// Answer one request of the deferred seam.
async fn compute(subtle: Option<&SubtleCrypto>, request: &Request) -> Result<Answer> {
    match (subtle, request) {
        (_, Request::Digest { alg, data, .. }) => Ok(Answer::Digest(digest(subtle, *alg, data).await?)),
        (Some(s), Request::Decrypt { cipher, key, iv, aad, data, tag }) => {
            // RFC 5084 tags of 12 to 16 bytes: WebCrypto takes the length in bits.
            let tag_bits = tag.as_ref().map_or(128, |t| u32::try_from(t.len() * 8).unwrap_or(128));
            match aes(s, false, *cipher, key, iv, aad, data, tag.as_deref().unwrap_or_default(), tag_bits).await {
                Some(pt) => Ok(Answer::Decrypted(Zeroizing::new(pt))),
                // Refused (bad padding or tag) or not available: the core decides, so the
                // answer is exactly the synchronous one.
                None => compute_portable(request),
            }
        }
        (None, Request::Decrypt { .. }) => compute_portable(request),
    }
}

/// `open` with WebCrypto for the bulk steps: run, compute what the run asked for, and run
/// again until a run used no placeholder and its assumed digest matches all hold.
pub(crate) async fn open(message: &[u8], input: &OpenInput<'_>) -> Opened {
    let subtle = subtle();
    let deferred = Deferred::for_message(message);
    for _ in 0..MAX_RUNS {
        deferred.begin_run();
        let opened = crate::smime::open_with(message, input, &deferred);
        // Shown only when no placeholder was used and every assumed digest match holds.
        let mut again = deferred.incomplete();
        for (seq, request) in deferred.take_requests() {
            match compute(subtle.as_ref(), &request).await {
                Ok(answer) => again |= !deferred.answer(seq, &request, answer),
                Err(_) => return crate::smime::open(message, input),
            }
        }
        if !again {
            return opened;
        }
    }
    crate::smime::open(message, input)
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
    let imported = subtle.import_key_with_object(
        "pkcs8",
        &buf,
        &object(&[("name", JsValue::from_str(name)), ("hash", JsValue::from_str(hash))]),
        false,
        &Array::of1(&JsValue::from_str("sign")),
    );
    // importKey copies the key data synchronously: clear the JavaScript copy now (the
    // Wasm copy is zeroized when `pkcs8` drops).
    buf.fill(0, 0, buf.length());
    let imported = imported.ok()?;
    Some(wasm_bindgen_futures::future_to_promise(async move { Ok(JsFuture::from(imported).await.unwrap_or(JsValue::NULL)) }))
}

/// Sign a message: the digest and, with an imported key, the RSA signature by WebCrypto.
pub(crate) async fn sign(identity: &Identity, key: Option<Promise>, message: &[u8], opaque: bool, at: UnixTime, policy: &crate::policy::Policy) -> Result<Vec<u8>> {
    sign_protected(identity, key, message, opaque, at, policy, Protection::Clear).await
}

/// [`sign`] with the header protection chosen (`Cipher` when the message is encrypted next).
async fn sign_protected(identity: &Identity, key: Option<Promise>, message: &[u8], opaque: bool, at: UnixTime, policy: &crate::policy::Policy, protection: Protection) -> Result<Vec<u8>> {
    let subtle = subtle();
    let plan = crate::smime::prepare_signing_with(message, identity, opaque, at, &Limits::default(), policy, protection)?;
    let md = digest(subtle.as_ref(), plan.digest_algorithm(), plan.content()).await?;
    let attrs = plan.signed_attributes(&md)?;
    let mut signature = None;
    if let (Some(s), Some(key), Some(algorithm)) = (subtle.as_ref(), key, plan.external_signature_algorithm()?) {
        if let Ok(k) = JsFuture::from(key).await {
            if let Some(k) = k.dyn_ref::<CryptoKey>() {
                let params = if plan.uses_pss() {
                    object(&[("name", JsValue::from_str("RSA-PSS")), ("saltLength", JsValue::from_f64(plan.digest_algorithm().output_len() as f64))])
                } else {
                    object(&[("name", JsValue::from_str("RSASSA-PKCS1-v1_5"))])
                };
                if let Ok(value) = bytes_of(s.sign_with_object_and_u8_array(&params, k, attrs.der())).await {
                    signature = Some((algorithm, value));
                }
            }
        }
    }
    let external = signature.is_some();
    match plan.finish(attrs, signature) {
        // `finish` checks WebCrypto's signature against the certificate; if it refused
        // it, the message is signed again entirely in the core.
        Err(_) if external => crate::smime::sign_message_with(message, identity, opaque, at, &Limits::default(), policy, protection),
        done => done,
    }
}

/// Encrypt a message (signing it first when asked) with WebCrypto for the bulk steps.
pub(crate) async fn encrypt(
    message: &[u8],
    recipients: &[x509_cert::Certificate],
    sender: Option<(&Identity, Option<Promise>)>,
    options: crate::smime::EncryptOptions,
    at: UnixTime,
    policy: &crate::policy::Policy,
) -> Result<Vec<u8>> {
    let limits = Limits::default();
    // No recipient certificate outside its validity period (SPEC section 3).
    crate::cert::validity::check_recipients(recipients, at)?;
    // Signing canonicalises the message itself.
    let to_wrap = if options.sign || options.triple_wrap {
        let (id, key) = sender.as_ref().ok_or_else(crate::smime::signing_needs_identity)?;
        std::borrow::Cow::Owned(sign_protected(id, key.clone(), message, options.opaque, at, policy, Protection::Cipher).await?)
    } else {
        crate::mime::canonicalize_crlf(message)
    };
    let (opaque, triple_wrap) = (options.opaque, options.triple_wrap);
    let plan = crate::smime::prepare_encryption(&to_wrap, recipients, sender.as_ref().map(|(id, _)| *id), options, &limits, policy)?;
    drop(to_wrap);
    let sealed = seal(subtle().as_ref(), &plan).await?;
    let encrypted = plan.finish(sealed)?;
    // Triple wrapping: the encrypted message signed again.
    match sender.as_ref().filter(|_| triple_wrap) {
        Some((id, key)) => sign(id, key.clone(), &encrypted, opaque, at, policy).await,
        None => Ok(encrypted),
    }
}
