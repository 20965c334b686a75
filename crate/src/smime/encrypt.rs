//! Encrypting a message (SPEC section 3; RFC 8551 3.3, 3.4): the outer headers stay
//! outside, the entity is enveloped for every recipient, signed first when asked (through
//! `sign`; signing never uses this module).

use crate::cms::recipients::KeyTransport;
use crate::crypto::cipher::{ContentCipher, RustCrypto, Symmetric};
use crate::error::{Code, Error, Result};
use crate::mime::{self, HeaderPlace, Limits};
use crate::pkcs12::Identity;
use crate::time::UnixTime;
use x509_cert::Certificate;
use super::sign::sign_message;

#[derive(Debug, Clone, Copy, Default)]
pub struct EncryptOptions {
    /// Content cipher; default AES-256-GCM AuthEnvelopedData when
    /// `all_recipients_advertise_gcm`, otherwise AES-256-CBC EnvelopedData (what Outlook reads).
    pub cipher: Option<ContentCipher>,
    /// Every recipient advertised AES-GCM in SMIMECapabilities (SPEC section 4).
    pub all_recipients_advertise_gcm: bool,
    /// RSAES-OAEP (SHA-256) for every recipient instead of PKCS#1 v1.5.
    pub oaep: bool,
    /// Sign (clear-signed multipart/signed) with the sender identity before encrypting.
    pub sign: bool,
    /// Sign opaquely (application/pkcs7-mime signed-data) instead of clear-signing.
    pub opaque: bool,
    /// Triple wrapping (RFC 2634 1.1): sign, encrypt, then sign the encrypted message
    /// again; implies `sign`.
    pub triple_wrap: bool,
}

/// Header fields outside the encrypted entity (From, To, Subject, ...).
type OuterHeaders = Vec<(String, String)>;

/// The Content-* header fields and body of a parsed message, as one MIME entity.
fn entity_of(message: &[u8], limits: &Limits) -> Result<(OuterHeaders, Vec<u8>)> {
    let top = mime::parse(message, limits)?;
    let mut outer = Vec::new();
    let mut inner = Vec::with_capacity(top.raw().len().saturating_add(64));
    for (name, value) in top.headers() {
        match mime::header_place(name) {
            HeaderPlace::Inner => {
                inner.extend_from_slice(name.as_bytes());
                inner.push(b':');
                inner.extend_from_slice(value);
                if !value.ends_with(b"\r\n") {
                    inner.extend_from_slice(b"\r\n");
                }
            }
            HeaderPlace::Outer => outer.push((name.to_string(), mime::received_value(name, value))),
            HeaderPlace::Dropped => {}
        }
    }
    if inner.is_empty() {
        inner.extend_from_slice(b"Content-Type: text/plain; charset=us-ascii\r\n");
    }
    inner.extend_from_slice(b"\r\n");
    inner.extend_from_slice(top.body_raw());
    Ok((outer, inner))
}

/// Encrypt a message (RFC 5322 headers + MIME body) for `recipients` and, when `sender`
/// is given, for the sender's own certificate too (Sent Items stay readable). With
/// `options.sign` the message is first signed by `sender` exactly as `sign_message` does
/// (opaque with `options.opaque`); with `options.triple_wrap` it is signed, encrypted and
/// the result signed again.
/// Returns `application/pkcs7-mime; smime-type=enveloped-data` (or `authEnveloped-data`).
/// The composition of [`prepare_encryption`] and [`EncryptPlan::finish`] with the
/// content encrypted in the core.
pub fn encrypt_message(message: &[u8], recipients: &[Certificate], sender: Option<&Identity>, options: EncryptOptions, at: UnixTime, limits: &Limits) -> Result<Vec<u8>> {
    // No recipient certificate outside its validity period (SPEC section 3).
    crate::cert::validity::check_recipients(recipients, at)?;
    // Signing canonicalises the message itself.
    let to_wrap = if options.sign || options.triple_wrap {
        let id = sender.ok_or_else(signing_needs_identity)?;
        std::borrow::Cow::Owned(sign_message(message, id, options.opaque, at, limits)?)
    } else {
        mime::canonicalize_crlf(message)
    };
    let plan = prepare_encryption(&to_wrap, recipients, sender, options, limits)?;
    let sealed = RustCrypto.encrypt(plan.cipher(), plan.key(), plan.iv(), b"", plan.content())?;
    let encrypted = plan.finish(sealed)?;
    match sender.filter(|_| options.triple_wrap) {
        // The outer signature covers the encrypted entity; the headers stay outside.
        Some(id) => sign_message(&encrypted, id, options.opaque, at, limits),
        None => Ok(encrypted),
    }
}

/// The error when `sign` is asked without an identity.
pub fn signing_needs_identity() -> Error {
    Error::new(Code::Usage, "Signing needs your identity.", "Unlock your identity, or turn Sign off.")
}

/// A message ready to be encrypted: the entity to encrypt, the key, IV or nonce, and the
/// RecipientInfos already made. A host with faster AES (WebCrypto) encrypts
/// [`EncryptPlan::content`]: AES-CBC with PKCS#7 padding, or AES-GCM with a 16-byte tag
/// and no additional data.
pub struct EncryptPlan {
    outer: OuterHeaders,
    inner: Vec<u8>,
    envelope: crate::cms::envelope::EnvelopePlan,
}

/// Phase 1 of encrypting: `to_wrap` is the canonical (CRLF) message, already signed when
/// signing was asked (`options.sign` is not looked at here); checks the recipients,
/// generates the key and wraps it for each of them and for `sender`'s own copy.
pub fn prepare_encryption(to_wrap: &[u8], recipients: &[Certificate], sender: Option<&Identity>, options: EncryptOptions, limits: &Limits) -> Result<EncryptPlan> {
    let (outer, inner) = entity_of(to_wrap, limits)?;
    let transport = |c: &Certificate| {
        let oaep_key = c.tbs_certificate().subject_public_key_info().algorithm.oid == crate::oid::OID_RSAES_OAEP;
        if options.oaep || oaep_key { KeyTransport::OaepSha256 } else { KeyTransport::Pkcs1v15 }
    };
    let encryptable = |c: &Certificate| {
        c.tbs_certificate().subject_public_key_info().algorithm.oid == crate::oid::OID_RSAES_OAEP || crate::cert::facts::usability(c).encrypt
    };
    for c in recipients {
        if !encryptable(c) {
            let f = crate::cert::facts::facts(c);
            let who = if f.emails.is_empty() { f.subject.clone() } else { f.emails.join(", ") };
            return Err(Error::new(
                Code::NoRecipientCertificate,
                format!("You cannot encrypt to {who} with this certificate: {}.", f.usable_for.reasons.join("; ")),
                "Ask the recipient for their e-mail encryption certificate.",
            ));
        }
    }
    let mut list: Vec<(&Certificate, KeyTransport)> = recipients.iter().map(|c| (c, transport(c))).collect();
    // The sender's own copy (Sent Items), to the encryption certificate (a separate one when
    // the identity has one); a signing-only certificate cannot receive one.
    if let Some(c) = sender.map(|id| id.encryption_certificate()).filter(|c| encryptable(c)) {
        list.push((c, transport(c)));
    }
    let cipher = options.cipher.unwrap_or_else(|| crate::policy::Policy::standard().choose_content_cipher(options.all_recipients_advertise_gcm));
    let envelope = crate::cms::envelope::prepare(inner.len(), &list, cipher)?;
    Ok(EncryptPlan { outer, inner, envelope })
}

impl EncryptPlan {
    pub fn cipher(&self) -> ContentCipher {
        self.envelope.cipher()
    }
    /// The content-encryption key (for the host's AES only; never stored).
    pub fn key(&self) -> &[u8] {
        self.envelope.key()
    }
    /// The CBC IV or the GCM nonce.
    pub fn iv(&self) -> &[u8] {
        self.envelope.iv()
    }
    /// The MIME entity to encrypt.
    pub fn content(&self) -> &[u8] {
        &self.inner
    }

    /// Phase 2: the message around the encrypted content (ciphertext and, for GCM, the tag).
    pub fn finish(self, sealed: crate::crypto::cipher::Sealed) -> Result<Vec<u8>> {
        let aead = self.envelope.cipher().is_aead();
        let der = self.envelope.assemble(sealed)?;
        let smime_type = if aead { "authEnveloped-data" } else { "enveloped-data" };
        Ok(mime::build_pkcs7_mime(&self.outer, smime_type, &der))
    }
}
