//! Decrypting EnvelopedData (RFC 5652 section 6) and AuthEnvelopedData (RFC 5083) with
//! AES-CBC (RFC 3565), AES-GCM (RFC 5084) or 3DES, accepting DER and BER (indefinite
//! lengths, chunked encryptedContent as OpenSSL `-stream`, NSS and gpgsm write it).
//!
//! # Security
//! `der` is untrusted: parsing is bounds-checked by `der`/[`super::ber`]; at most
//! [`super::recipients::MAX_RECIPIENTS`] RecipientInfos are tried. Plaintext is returned
//! only when the whole content decrypted (CBC padding or GCM tag verified); every failure
//! after a RecipientInfo matched one of the user's certificates is the single outcome
//! [`Outcome::IntegrityFailure`], whether the key transport padding, the key length, the
//! CBC padding or the GCM tag was wrong, and the content cipher always runs (with a
//! placeholder key when the unwrapped key has the wrong length), so neither the answer nor
//! the work we control tells a padding failure from a content failure (RFC 3218).
//! When no RecipientInfo names the user's certificates, every RSA key is tried on every
//! key-transport RecipientInfo identified by a subject key identifier; with CBC a wrong key passes the padding check about once
//! in 256 tries after PKCS#1 v1.5 implicit rejection, so such a result is flagged.
//! CBC (EnvelopedData) is not integrity-protected: a decrypted CBC message may still have
//! been altered; the report says so.

use super::recipients::recipient_ids;
use crate::crypto::bulk::Bulk;
use super::signed::{content_info, OID_AUTH_ENVELOPED_DATA, OID_ENVELOPED_DATA};
use crate::crypto::cipher::{ContentCipher, Symmetric};
use crate::policy::{Policy, Verdict};
use crate::error::{Code, Error, Result};
use crate::pkcs12::Identity;
use crate::report::SignerId;
use cms::authenveloped_data::AuthEnvelopedData;
use cms::enveloped_data::{EncryptedContentInfo, EnvelopedData, RecipientInfo};
use der::{Decode, Encode};
use zeroize::Zeroizing;

/// What the envelope says about itself (known before decrypting).
#[derive(Debug, Clone)]
pub struct EnvelopeInfo {
    /// Cipher name (`aes256-cbc`, ...) or the OID when unknown.
    pub cipher: String,
    /// AuthEnvelopedData with AES-GCM.
    pub integrity_protected: bool,
    pub recipients: Vec<SignerId>,
    /// 3DES, DES or RC2.
    pub weak: bool,
    /// No RecipientInfo named the user's certificate; a key of the user's opened it by trial.
    pub opened_by_trial: bool,
}

/// How decryption ended.
pub enum Outcome {
    Decrypted(Zeroizing<Vec<u8>>),
    /// No RecipientInfo names any of the identities' certificates.
    NoKey,
    /// A RecipientInfo matched, but the content did not decrypt (tag, padding or key).
    IntegrityFailure,
    /// A cipher Cachet refuses (DES, RC2) or does not implement.
    Refused(Error),
}

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

/// IV of CBC parameters, or (nonce, tag length) of GCMParameters (RFC 5084 3.2).
fn cipher_params(c: ContentCipher, params: Option<&der::Any>) -> Result<(Vec<u8>, usize)> {
    let p = params.ok_or_else(|| malformed("content encryption parameters missing"))?;
    let bytes = p.to_der().map_err(|e| malformed(format!("parameters: {e}")))?;
    let t = super::ber::read_all(&bytes).map_err(|e| malformed(format!("parameters: {e}")))?;
    if !c.is_aead() {
        let iv = t.octets().map_err(|e| malformed(format!("IV: {e}")))?;
        if iv.len() != c.iv_len() {
            return Err(malformed(format!("IV of {} bytes for {}", iv.len(), c.name())));
        }
        return Ok((iv, 0));
    }
    let kids = t.children().map_err(|e| malformed(format!("GCM parameters: {e}")))?;
    let nonce = kids.first().ok_or_else(|| malformed("GCM parameters without nonce"))?.octets().map_err(|e| malformed(format!("GCM nonce: {e}")))?;
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
/// `der` is untrusted (DER or BER, nesting bounded by `der` and [`super::ber::MAX_DEPTH`]);
/// at most [`super::recipients::MAX_RECIPIENTS`] RecipientInfos are tried with each identity;
/// the size is bounded by the caller's message limit. Never panics; failures after a
/// RecipientInfo matched are all [`Outcome::IntegrityFailure`], with no partial plaintext.
pub fn decrypt(der: &[u8], identities: &[&Identity], policy: &Policy, backend: &dyn Symmetric) -> Result<Decryption> {
    decrypt_with(der, identities, policy, &crate::crypto::bulk::WithSymmetric(backend))
}

/// [`decrypt`] with the key unwrapping and the content decryption done by `bulk`.
pub fn decrypt_with(der: &[u8], identities: &[&Identity], policy: &Policy, backend: &dyn Bulk) -> Result<Decryption> {
    let (oid, inner) = content_info(der)?;
    let (infos, eci, aad, tag): (Vec<RecipientInfo>, EncryptedContentInfo, Vec<u8>, Option<Vec<u8>>) = if oid == OID_ENVELOPED_DATA {
        let ed: EnvelopedData = decode(inner.raw)?;
        (ed.recip_infos.0.into_vec(), ed.encrypted_content, Vec::new(), None)
    } else if oid == OID_AUTH_ENVELOPED_DATA {
        let ad: AuthEnvelopedData = decode(inner.raw)?;
        // RFC 5083 2.1: the AAD is the DER of authAttrs with the SET OF tag.
        let aad = match &ad.auth_attrs {
            Some(a) => a.to_der().map_err(|e| malformed(format!("authAttrs: {e}")))?,
            None => Vec::new(),
        };
        (ad.recip_infos.0.into_vec(), ad.auth_encrypted_content_info, aad, Some(ad.mac.as_bytes().to_vec()))
    } else {
        return Err(malformed(format!("not an encrypted CMS type: {oid}")));
    };
    let recipients: Vec<SignerId> = infos.iter().flat_map(recipient_ids).collect();
    let cipher = ContentCipher::from_oid(&eci.content_enc_alg.oid);
    let mut info = EnvelopeInfo {
        cipher: cipher.map(|c| c.name().to_string()).unwrap_or_else(|| eci.content_enc_alg.oid.to_string()),
        integrity_protected: tag.is_some() && cipher.map(|c| c.is_aead()).unwrap_or(false),
        recipients,
        weak: cipher.map(|c| !matches!(policy.check_content_cipher(&c.oid()), Verdict::Accept)).unwrap_or(false),
        opened_by_trial: false,
    };
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
    let (iv, icv) = cipher_params(c, eci.content_enc_alg.parameters.as_ref())?;
    if let Some(t) = &tag {
        if icv != 16 || t.len() != 16 {
            let e = Error::new(Code::UnsupportedAlgorithm, format!("This message uses a {}-byte GCM tag; Cachet accepts only 16-byte tags.", t.len()), "Ask the sender to use a standard S/MIME mail program.");
            info.integrity_protected = false;
            return Ok(Decryption { info, outcome: Outcome::Refused(e) });
        }
    }
    let ciphertext = eci.encrypted_content.as_ref().ok_or_else(|| malformed("encryptedContent is missing (detached content is not supported)"))?;
    let refs: Vec<&RecipientInfo> = infos.iter().collect();
    let unwrapped = backend.unwrap_keys(&refs, identities);
    if !unwrapped.matched && unwrapped.keys.is_empty() {
        return Ok(Decryption { info, outcome: Outcome::NoKey });
    }
    let placeholder = Zeroizing::new(vec![0u8; c.key_len()]);
    let mut candidates: Vec<&Zeroizing<Vec<u8>>> = unwrapped.keys.iter().collect();
    if candidates.is_empty() {
        // Key transport failed outright (OAEP, key agreement): still run the content cipher.
        candidates.push(&placeholder);
    }
    let mut found = None;
    for k in candidates {
        let key: &[u8] = if k.len() == c.key_len() { k } else { &placeholder };
        if let Ok(pt) = backend.decrypt(c, key, &iv, &aad, ciphertext.as_bytes(), tag.as_deref()) {
            if k.len() == c.key_len() && !std::ptr::eq(k, &placeholder) && found.is_none() {
                found = Some(pt);
            }
        }
    }
    let outcome = match found {
        Some(pt) => {
            info.opened_by_trial = !unwrapped.matched;
            Outcome::Decrypted(pt)
        }
        // Keys tried on RecipientInfos that named someone else: the message was not for us.
        None if !unwrapped.matched => Outcome::NoKey,
        None => Outcome::IntegrityFailure,
    };
    Ok(Decryption { info, outcome })
}
