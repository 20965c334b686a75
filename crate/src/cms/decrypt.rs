//! Decrypting EnvelopedData (RFC 5652 section 6) and AuthEnvelopedData (RFC 5083) with
//! AES-CBC (RFC 3565), AES-GCM (RFC 5084) or 3DES, accepting DER and BER (indefinite
//! lengths, chunked encryptedContent as OpenSSL `-stream`, NSS and gpgsm write it).
//!
//! # Choosing the key: one content decryption
//! The RecipientInfos that name the user's certificates give candidate keys (and, when none
//! names them, every RSA key tried on every RecipientInfo identified by a subject key
//! identifier gives more). PKCS#1 v1.5 unwrapping uses implicit rejection: a wrong key or
//! a bad padding yields a random-looking key of a random length, never an error, so a
//! wrong candidate can only be told by the content failing to decrypt. Candidates are
//! therefore tried on the content in order, stopping at the first one that decrypts:
//! - The candidates of the right key length come first, then one attempt per candidate of
//!   a wrong length, made with a fresh random placeholder key (its success is never used).
//!   When nothing decrypts, the work done and the answer are the same whichever
//!   candidates had the right length, so neither tells a padding failure from a content
//!   failure (RFC 3218).
//! - CBC: an attempt first decrypts only the last block and checks its padding (constant
//!   work); that is the whole of CBC's check, so only a key that passes it (the right one,
//!   or a wrong one about once in 256) is used on the whole content. A message is in
//!   practice decrypted once, however many RecipientInfos it has. With several candidates,
//!   a result that does not start like a MIME entity (a wrong key that passed the padding
//!   check decrypts to noise) is kept only as a fallback while the other candidates are
//!   tried.
//! - GCM has no cheap check (the tag covers everything): each attempt is a full
//!   decryption, at most [`MAX_CONTENT_DECRYPTIONS`] per envelope, right-length keys first.
//! - When that bound, or [`super::recipients::MAX_KEY_UNWRAPS`], ended the search before
//!   every candidate was tried and nothing decrypted, the answer is `malformed`
//!   (`LimitExceeded`), never `no-key` or `integrity-failure`: untried candidates might
//!   have opened it.
//!
//! The content is never copied per candidate: each attempt reads the one ciphertext (a
//! deferred bulk seam records at most one decryption per run, see `cms::bulk`).
//!
//! # Security
//! `der` is untrusted: parsing is bounds-checked by `der`/[`crate::asn1::ber`]; more than
//! [`super::recipients::MAX_RECIPIENTS`] recipient keys (every RecipientEncryptedKey of a
//! key-agreement entry counts) make the envelope `malformed` before any key is tried.
//! Plaintext is returned only when the whole content decrypted (CBC padding or GCM tag
//! verified); every failure after a RecipientInfo matched one of the user's certificates
//! is the single outcome [`Outcome::IntegrityFailure`], whether the key transport padding,
//! the key length, the CBC padding or the GCM tag was wrong (see above for the work).
//! With CBC a wrong key passes the padding check about once in 256 tries after PKCS#1 v1.5
//! implicit rejection, so a result opened by trial (no RecipientInfo named the user) is
//! flagged. CBC (EnvelopedData) is not integrity-protected: a decrypted CBC message may
//! still have been altered; the report says so.

use super::recipients::{count_recipient_keys, recipient_ids, MAX_KEY_UNWRAPS, MAX_RECIPIENTS};
use crate::cms::bulk::{Bulk, Plaintext};
use super::signed::content_info;
use crate::oid::{OID_AUTH_ENVELOPED_DATA, OID_ENVELOPED_DATA};
use crate::crypto::cipher::{cbc_padding_ok, ContentCipher, Symmetric, GCM_NONCE_LENGTHS, GCM_TAG_LENGTHS};
use crate::policy::{Policy, Verdict};
use crate::error::{Code, Error, Result};
use crate::pkcs12::Identity;
use super::verdict::SignerId;
use cms::authenveloped_data::AuthEnvelopedData;
use cms::content_info::CmsVersion;
use cms::enveloped_data::{EncryptedContentInfo, EnvelopedData, OriginatorInfo, RecipientInfo, RecipientInfos};
use der::asn1::{ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode, Sequence};
use std::borrow::Cow;
use zeroize::Zeroizing;

/// What the envelope says about itself (known before decrypting).
#[derive(Debug, Clone)]
pub struct EnvelopeInfo {
    /// Cipher name (`aes256-cbc`, ...) or the OID when unknown.
    pub cipher: String,
    /// AuthEnvelopedData with AES-GCM.
    pub integrity_protected: bool,
    pub recipients: Vec<SignerId>,
    /// How the content key was sent (see [`super::recipients::key_management`]).
    pub key_management: Vec<String>,
    /// 3DES, DES or RC2.
    pub weak: bool,
    /// No RecipientInfo named the user's certificate; a key of the user's opened it by trial.
    pub opened_by_trial: bool,
    /// The content is CompressedData (RFC 3274), to be decompressed after decryption.
    pub compressed: bool,
    /// The GCM tag length in bytes when it is not 16 (RFC 5084 allows 12 to 16).
    pub short_tag: Option<usize>,
}

/// How decryption ended.
pub enum Outcome {
    Decrypted(Plaintext),
    /// No RecipientInfo names any of the identities' certificates.
    NoKey,
    /// A RecipientInfo matched, but the content did not decrypt (tag, padding or key).
    IntegrityFailure,
    /// A cipher Cachet refuses (DES, RC2) or does not implement.
    Refused(Error),
    /// A named limit ended the work before an answer was certain (`Code::LimitExceeded`):
    /// the layer is `malformed`.
    LimitExceeded(Error),
    /// Encrypted with a password (PasswordRecipientInfo, RFC 3211) and no password given
    /// opened it (`tried`: some were given); none of the identities' keys opened it either.
    NeedsPassword { tried: bool, unsupported: Option<String> },
}

/// Most full content decryptions tried for one envelope (each is a pass over the whole
/// content). Only GCM candidates reach it in practice: a CBC candidate is first checked on
/// the last block alone (see the module documentation).
pub const MAX_CONTENT_DECRYPTIONS: usize = 4;

pub struct Decryption {
    pub info: EnvelopeInfo,
    pub outcome: Outcome,
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::new(
        Code::Malformed,
        "The encrypted part of this message is damaged or not in a form Cachet understands.",
        "Ask the sender to send the message again.",
    )
    .with_detail(what)
}

fn decode<'a, T: Decode<'a>>(bytes: &'a [u8]) -> Result<T> {
    T::from_der(bytes).or_else(|_| T::from_ber(bytes)).map_err(|e| malformed(format!("CMS: {e}")))
}

/// EnvelopedData (RFC 5652 6.1) as the `cms` crate reads it, but with the encryptedContent
/// borrowed from the input instead of copied: a deferred open parses the envelope in each of
/// its runs, and for 25 MB each copy cost a tenth of a run (and 25 MB of Wasm memory).
/// DER only: BER input (a constructed OCTET STRING cannot be borrowed) is read by the
/// `cms` crate's type, as before.
#[derive(Sequence)]
struct EnvelopedDataRef<'a> {
    #[allow(dead_code)]
    version: CmsVersion,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    #[allow(dead_code)]
    originator_info: Option<OriginatorInfo>,
    recip_infos: RecipientInfos,
    encrypted_content: EncryptedContentInfoRef<'a>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    #[allow(dead_code)]
    unprotected_attrs: Option<x509_cert::attr::Attributes>,
}

/// AuthEnvelopedData (RFC 5083 2.1) with the encrypted content borrowed, as
/// [`EnvelopedDataRef`] (DER only; BER is read by the `cms` crate's type).
#[derive(Sequence)]
struct AuthEnvelopedDataRef<'a> {
    #[allow(dead_code)]
    version: CmsVersion,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    #[allow(dead_code)]
    originator_info: Option<OriginatorInfo>,
    recip_infos: RecipientInfos,
    auth_encrypted_content_info: EncryptedContentInfoRef<'a>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    auth_attrs: Option<cms::authenveloped_data::AuthAttributes>,
    mac: &'a OctetStringRef,
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    #[allow(dead_code)]
    unauth_attrs: Option<cms::authenveloped_data::UnauthAttributes>,
}

/// EncryptedContentInfo with the encryptedContent borrowed (see [`EnvelopedDataRef`]).
#[derive(Sequence)]
struct EncryptedContentInfoRef<'a> {
    content_type: ObjectIdentifier,
    content_enc_alg: spki::AlgorithmIdentifierOwned,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    encrypted_content: Option<&'a OctetStringRef>,
}

/// The parts of an EncryptedContentInfo decryption uses, the content borrowed when it can be.
struct Content<'a> {
    content_type: ObjectIdentifier,
    alg: spki::AlgorithmIdentifierOwned,
    ciphertext: Option<Cow<'a, [u8]>>,
}

impl From<EncryptedContentInfo> for Content<'_> {
    fn from(e: EncryptedContentInfo) -> Self {
        Content { content_type: e.content_type, alg: e.content_enc_alg, ciphertext: e.encrypted_content.map(|c| Cow::Owned(c.into_bytes().into())) }
    }
}

/// The RecipientInfos and content of EnvelopedData: borrowed from DER input, else as the
/// `cms` crate reads it (DER or BER, see [`decode`]).
fn enveloped(raw: &[u8]) -> Result<(Vec<RecipientInfo>, Content<'_>)> {
    if let Ok(ed) = EnvelopedDataRef::from_der(raw) {
        let eci = ed.encrypted_content;
        let content = Content { content_type: eci.content_type, alg: eci.content_enc_alg, ciphertext: eci.encrypted_content.map(|c| Cow::Borrowed(c.as_bytes())) };
        return Ok((ed.recip_infos.0.into_vec(), content));
    }
    let ed: EnvelopedData = decode(raw)?;
    Ok((ed.recip_infos.0.into_vec(), ed.encrypted_content.into()))
}

/// RecipientInfos, content, authAttrs and mac of AuthEnvelopedData.
type AuthParts<'a> = (Vec<RecipientInfo>, Content<'a>, Option<cms::authenveloped_data::AuthAttributes>, Vec<u8>);

/// The RecipientInfos, content, authAttrs (None when absent) and mac of AuthEnvelopedData:
/// the content borrowed from DER input, else as the `cms` crate reads it.
fn auth_enveloped(raw: &[u8]) -> Result<AuthParts<'_>> {
    if let Ok(ad) = AuthEnvelopedDataRef::from_der(raw) {
        let eci = ad.auth_encrypted_content_info;
        let content = Content { content_type: eci.content_type, alg: eci.content_enc_alg, ciphertext: eci.encrypted_content.map(|c| Cow::Borrowed(c.as_bytes())) };
        return Ok((ad.recip_infos.0.into_vec(), content, ad.auth_attrs, ad.mac.as_bytes().to_vec()));
    }
    let ad: AuthEnvelopedData = decode(raw)?;
    Ok((ad.recip_infos.0.into_vec(), ad.auth_encrypted_content_info.into(), ad.auth_attrs, ad.mac.as_bytes().to_vec()))
}

/// [`enveloped`] for the tests: RecipientInfos, ciphertext, and whether it was borrowed.
#[cfg(test)]
pub(super) fn enveloped_content_for_tests(raw: &[u8]) -> (Vec<RecipientInfo>, Vec<u8>, bool) {
    let Ok((infos, content)) = enveloped(raw) else { return (Vec::new(), Vec::new(), false) };
    let borrowed = matches!(content.ciphertext, Some(Cow::Borrowed(_)));
    (infos, content.ciphertext.map(|c| c.into_owned()).unwrap_or_default(), borrowed)
}

/// [`auth_enveloped`] for the tests: ciphertext, mac, whether the ciphertext was borrowed.
#[cfg(test)]
pub(super) fn auth_enveloped_content_for_tests(raw: &[u8]) -> (Vec<u8>, Vec<u8>, bool) {
    let Ok((_, content, _, mac)) = auth_enveloped(raw) else { return (Vec::new(), Vec::new(), false) };
    let borrowed = matches!(content.ciphertext, Some(Cow::Borrowed(_)));
    (content.ciphertext.map(|c| c.into_owned()).unwrap_or_default(), mac, borrowed)
}

/// IV of CBC parameters, or (nonce, tag length) of GCMParameters (RFC 5084 3.2).
fn cipher_params(c: ContentCipher, params: Option<&der::Any>) -> Result<(Vec<u8>, usize)> {
    let p = params.ok_or_else(|| malformed("content encryption parameters missing"))?;
    let bytes = p.to_der().map_err(|e| malformed(format!("parameters: {e}")))?;
    let t = crate::asn1::ber::read_all(&bytes).map_err(|e| malformed(format!("parameters: {e}")))?;
    if !c.is_aead() {
        // RC2-CBC: RC2CBCParameter ::= SEQUENCE { rc2ParameterVersion INTEGER, iv OCTET STRING }
        // (RFC 3370 4.3.2); the effective key length is taken from the key itself.
        let t = match (c, t.children()) {
            (ContentCipher::Rc2Cbc, Ok(kids)) if t.tag == 0x30 => kids.last().cloned().ok_or_else(|| malformed("RC2 parameters without IV"))?,
            _ => t,
        };
        let iv = t.octets().map_err(|e| malformed(format!("IV: {e}")))?;
        if iv.len() != c.iv_len() {
            return Err(malformed(format!("IV of {} bytes for {}", iv.len(), c.name())));
        }
        return Ok((iv, 0));
    }
    let kids = t.children().map_err(|e| malformed(format!("GCM parameters: {e}")))?;
    let nonce = kids.first().ok_or_else(|| malformed("GCM parameters without nonce"))?.octets().map_err(|e| malformed(format!("GCM nonce: {e}")))?;
    if nonce.is_empty() {
        return Err(malformed("empty GCM nonce"));
    }
    let icv = match kids.get(1) {
        None => 12,
        Some(i) if i.tag == 0x02 && i.content.len() == 1 => usize::from(*i.content.first().unwrap_or(&0)),
        Some(_) => return Err(malformed("bad GCM ICV length")),
    };
    Ok((nonce, icv))
}

/// Decrypt a CMS ContentInfo holding EnvelopedData or AuthEnvelopedData with any of the
/// identities. `Err` only for input that cannot be read (the layer is `malformed`).
///
/// # Security
/// `der` is untrusted (DER or BER, nesting bounded by `der` and [`crate::asn1::ber::MAX_DEPTH`]);
/// at most [`MAX_RECIPIENTS`] recipient keys, [`MAX_KEY_UNWRAPS`] private-key operations and
/// [`MAX_CONTENT_DECRYPTIONS`] full content decryptions; the size is bounded by the
/// caller's message limit. Never panics; failures after a RecipientInfo matched are all
/// [`Outcome::IntegrityFailure`], with no partial plaintext.
pub fn decrypt(der: &[u8], identities: &[&Identity], policy: &Policy, backend: &dyn Symmetric) -> Result<Decryption> {
    decrypt_with(der, identities, policy, &crate::cms::bulk::WithSymmetric(backend))
}

/// The error of an exceeded named limit (as the MIME limits word it).
fn limit_exceeded(name: &str, limit: usize, found: impl std::fmt::Display) -> Error {
    Error::exceeded(name, limit, found, "The encrypted part of this message is too complex to be processed safely.", "Ask the sender to send it again to fewer recipients, or open it in a desktop mail program.")
}

/// [`decrypt`] with the key unwrapping and the content decryption done by `bulk`.
pub fn decrypt_with(der: &[u8], identities: &[&Identity], policy: &Policy, backend: &dyn Bulk) -> Result<Decryption> {
    decrypt_with_passwords(der, identities, &[], policy, backend)
}

/// [`decrypt_with`] that also tries `passwords` on PasswordRecipientInfos (RFC 3211, see
/// `cms::password` for its limits). Without a password that opens it, a message encrypted
/// only with a password is [`Outcome::NeedsPassword`], never `no-key` or `malformed`.
pub fn decrypt_with_passwords(der: &[u8], identities: &[&Identity], passwords: &[&str], policy: &Policy, backend: &dyn Bulk) -> Result<Decryption> {
    let (oid, inner) = content_info(der)?;
    let (infos, eci, aad, tag): (Vec<RecipientInfo>, Content<'_>, Vec<u8>, Option<Vec<u8>>) = if oid == OID_ENVELOPED_DATA {
        let (infos, content) = enveloped(inner.raw)?;
        (infos, content, Vec::new(), None)
    } else if oid == OID_AUTH_ENVELOPED_DATA {
        let (infos, content, auth_attrs, mac) = auth_enveloped(inner.raw)?;
        // RFC 5083 2.1: the AAD is the DER of authAttrs with the SET OF tag.
        let aad = match &auth_attrs {
            Some(a) => a.to_der().map_err(|e| malformed(format!("authAttrs: {e}")))?,
            None => Vec::new(),
        };
        (infos, content, aad, Some(mac))
    } else {
        return Err(malformed(format!("not an encrypted CMS type: {oid}")));
    };
    let recipients: Vec<SignerId> = recipient_ids(&infos, MAX_RECIPIENTS);
    let cipher = ContentCipher::from_oid(&eci.alg.oid);
    let mut info = EnvelopeInfo {
        cipher: cipher.map(|c| c.name().to_string()).unwrap_or_else(|| eci.alg.oid.to_string()),
        integrity_protected: tag.is_some() && cipher.map(|c| c.is_aead()).unwrap_or(false),
        recipients,
        key_management: super::recipients::key_management(&infos),
        weak: cipher.map(|c| !matches!(policy.check_content_cipher(&c.oid()), Verdict::Accept)).unwrap_or(false),
        opened_by_trial: false,
        short_tag: tag.as_ref().map(Vec::len).filter(|n| *n != 16),
        compressed: eci.content_type == crate::oid::OID_COMPRESSED_DATA,
    };
    let keys = count_recipient_keys(&infos);
    if keys > MAX_RECIPIENTS {
        let e = limit_exceeded("MAX_RECIPIENTS", MAX_RECIPIENTS, format!("{keys} recipient keys"));
        return Ok(Decryption { info, outcome: Outcome::LimitExceeded(e) });
    }
    let Some(c) = cipher else {
        let e = Error::new(Code::UnsupportedAlgorithm, format!("This message is encrypted with an algorithm Cachet does not know ({}).", info.cipher), "Ask the sender to encrypt with AES.");
        return Ok(Decryption { info, outcome: Outcome::Refused(e) });
    };
    if policy.check_content_cipher(&c.oid()).is_refused() {
        let e = Error::new(
            Code::UnsupportedAlgorithm,
            format!("This message is encrypted with {}, an obsolete cipher anyone can break; Cachet does not open it.", if c == ContentCipher::Rc2Cbc { "RC2" } else { "single DES" }),
            "Ask the sender to send it again with a current mail program (AES).",
        );
        return Ok(Decryption { info, outcome: Outcome::Refused(e) });
    }
    if c.is_aead() != tag.is_some() {
        return Err(malformed(format!("{} in the wrong envelope type", c.name())));
    }
    let (iv, icv) = cipher_params(c, eci.alg.parameters.as_ref())?;
    if let Some(t) = &tag {
        // RFC 5084 3.2: the ICV length the parameters announce (12 by default) is the
        // length of the mac; any of 12 to 16 is read.
        if icv != t.len() || !GCM_TAG_LENGTHS.contains(&t.len()) {
            let e = Error::new(
                Code::UnsupportedAlgorithm,
                if icv == t.len() { format!("This message uses a {}-byte GCM tag; RFC 5084 allows 12 to 16 bytes.", t.len()) } else { format!("This message's GCM tag has {} bytes, but its parameters announce {icv}.", t.len()) },
                "Ask the sender to use a standard S/MIME mail program.",
            );
            info.integrity_protected = false;
            return Ok(Decryption { info, outcome: Outcome::Refused(e) });
        }
        if !GCM_NONCE_LENGTHS.contains(&iv.len()) {
            // Decided here, before any backend runs, so RustCrypto and WebCrypto agree.
            let e = Error::new(
                Code::UnsupportedAlgorithm,
                format!("This message uses a GCM nonce of {} bytes; Cachet decrypts nonces of 12 bytes (the standard) and 16 bytes only.", iv.len()),
                "Ask the sender to use a standard S/MIME mail program.",
            );
            info.integrity_protected = false;
            return Ok(Decryption { info, outcome: Outcome::Refused(e) });
        }
    }
    let ciphertext = eci.ciphertext.as_deref().ok_or_else(|| malformed("encryptedContent is missing (detached content is not supported)"))?;
    let refs: Vec<&RecipientInfo> = infos.iter().collect();
    let incomplete_before = backend.incomplete();
    let mut unwrapped = backend.unwrap_keys(&refs, identities);
    if backend.incomplete() && !incomplete_before {
        // A deferred seam still lacks an answer (a key unwrap the host computes): this run's
        // result is discarded, so no content decryption (a copy of the content) is asked for.
        return Ok(Decryption { info, outcome: Outcome::IntegrityFailure });
    }
    let by_password = super::password::password_keys(&infos, passwords);
    if let Some(e) = by_password.limit {
        return Ok(Decryption { info, outcome: Outcome::LimitExceeded(e) });
    }
    let needs_password = Outcome::NeedsPassword { tried: !passwords.is_empty(), unsupported: by_password.unsupported.clone() };
    if !by_password.keys.is_empty() {
        // The check bytes passed: the password names this message as surely as a certificate.
        unwrapped.matched = true;
        unwrapped.keys.extend(by_password.keys);
    }
    if !unwrapped.matched && unwrapped.keys.is_empty() && !unwrapped.cut_short {
        let outcome = if by_password.has_pwri { needs_password } else { Outcome::NoKey };
        return Ok(Decryption { info, outcome });
    }
    let tried = try_content(c, &unwrapped.keys, &iv, &aad, ciphertext, tag.as_deref(), backend)?;
    let outcome = match tried {
        Tried::Opened(pt) => {
            info.opened_by_trial = !unwrapped.matched;
            Outcome::Decrypted(pt)
        }
        Tried::Failed { every_candidate } if !every_candidate || unwrapped.cut_short => {
            let e = if unwrapped.cut_short {
                limit_exceeded("MAX_KEY_UNWRAPS", MAX_KEY_UNWRAPS, "more key unwrapping than allowed")
            } else {
                limit_exceeded("MAX_CONTENT_DECRYPTIONS", MAX_CONTENT_DECRYPTIONS, format!("{} candidate keys", unwrapped.keys.len()))
            };
            Outcome::LimitExceeded(e)
        }
        // Keys tried on RecipientInfos that named someone else: the message was not for us.
        Tried::Failed { .. } if !unwrapped.matched && by_password.has_pwri => needs_password,
        Tried::Failed { .. } if !unwrapped.matched => Outcome::NoKey,
        Tried::Failed { .. } => Outcome::IntegrityFailure,
    };
    Ok(Decryption { info, outcome })
}

/// What trying the candidate keys on the content gave.
enum Tried {
    Opened(Plaintext),
    /// Nothing decrypted; `every_candidate` is false when [`MAX_CONTENT_DECRYPTIONS`]
    /// stopped the search early.
    Failed { every_candidate: bool },
}

/// Try the candidate keys on the content, stopping at the first that decrypts (see the
/// module documentation for the order and the work).
fn try_content(c: ContentCipher, keys: &[Zeroizing<Vec<u8>>], iv: &[u8], aad: &[u8], ciphertext: &[u8], tag: Option<&[u8]>, backend: &dyn Bulk) -> Result<Tried> {
    let right: Vec<&[u8]> = keys.iter().filter(|k| c.accepts_key_len(k.len())).map(|k| k.as_slice()).collect();
    // Key transport failed outright (OAEP, key agreement): still one attempt.
    let placeholders = keys.len().saturating_sub(right.len()).max(usize::from(keys.is_empty()));
    let attempts = right.iter().map(|k| Some(*k)).chain(std::iter::repeat_n(None, placeholders));
    let mut full = 0usize;
    // CBC with several candidates: a wrong key passes the padding check about once in 256
    // and "decrypts" to noise. Such a result is kept only as a fallback while another
    // candidate may still give a MIME entity (one candidate: its result, as ever).
    let check_plausible = !c.is_aead() && right.len() > 1;
    let mut fallback: Option<Plaintext> = None;
    for key in attempts {
        // Drawn for every attempt, used for the wrong-length ones: the same work either way.
        let placeholder = random_key(c.key_len())?;
        let (k, real): (&[u8], bool) = match key {
            Some(k) => (k, true),
            None => (placeholder.as_slice(), false),
        };
        // A candidate's verdict through the seam (which keeps it: see `Bulk::cbc_padding_ok`);
        // a placeholder's is drawn afresh every time.
        let padding_ok = || if real { backend.cbc_padding_ok(c, k, iv, ciphertext) } else { cbc_padding_ok(c, k, iv, ciphertext) };
        if !c.is_aead() && !padding_ok() {
            continue;
        }
        if full >= MAX_CONTENT_DECRYPTIONS {
            return Ok(match fallback {
                Some(pt) => Tried::Opened(pt),
                None => Tried::Failed { every_candidate: false },
            });
        }
        full += 1;
        // A real key's success ends the search unless it must look like MIME (then another
        // candidate may still be tried on the ciphertext).
        match backend.decrypt_content(c, k, iv, aad, ciphertext, tag, real && !check_plausible) {
            Ok(pt) if real && (!check_plausible || looks_like_mime(&pt)) => return Ok(Tried::Opened(pt)),
            Ok(pt) if real => {
                fallback.get_or_insert(pt);
            }
            Ok(_) => {}
            // A deferred seam without the answer yet: this run's result is discarded, and
            // asking for more decryptions now would only copy the content again.
            Err(_) if backend.incomplete() => return Ok(Tried::Failed { every_candidate: true }),
            Err(_) => {}
        }
    }
    Ok(match fallback {
        Some(pt) => Tried::Opened(pt),
        None => Tried::Failed { every_candidate: true },
    })
}

/// Does decrypted content start like a MIME entity: an empty header block, or a first
/// header line (a field name of printable ASCII, a colon, printable text) ending in a line
/// break within 998 bytes (RFC 5322 2.1.1, 2.2)? Noise from a wrong CBC key almost never does.
fn looks_like_mime(pt: &[u8]) -> bool {
    if pt.starts_with(b"\r\n") || pt.starts_with(b"\n") {
        return true;
    }
    let Some(end) = pt.iter().take(1000).position(|b| *b == b'\n') else { return false };
    let line = pt.get(..end).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(colon) = line.iter().position(|b| *b == b':') else { return false };
    let (name, value) = (line.get(..colon).unwrap_or_default(), line.get(colon + 1..).unwrap_or_default());
    !name.is_empty() && name.iter().all(|b| (33..=126).contains(b)) && value.iter().all(|b| *b == b'\t' || (32..=126).contains(b) || *b >= 0x80)
}

#[cfg(test)]
pub(super) fn looks_like_mime_for_tests(pt: &[u8]) -> bool {
    looks_like_mime(pt)
}

fn random_key(len: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut k = Zeroizing::new(vec![0u8; len]);
    getrandom::fill(&mut k).map_err(|e| Error::new(Code::Crypto, "No random numbers are available.", "Try again.").with_detail(e))?;
    Ok(k)
}
