//! Encrypting a message (SPEC section 3; RFC 8551 3.3, 3.4): the header fields are
//! protected inside (RFC 9788, `hp="cipher"`) and reduced outside (`mime::protect`: the
//! Subject becomes `[...]`), the entity is enveloped for every recipient, signed first when asked (through
//! `sign`; signing never uses this module).

use crate::cms::recipients::KeyTransport;
use crate::identity::LearnedCapabilities;
use super::choice::{choose, EncryptionChoice, Party};
use crate::crypto::cipher::{CbcSealer, ContentCipher, RustCrypto};
use crate::error::{Code, Error, Result};
use crate::mime::{self, HeaderPlace, Limits};
use crate::pkcs12::Identity;
use crate::policy::Policy;
use crate::time::UnixTime;
use x509_cert::Certificate;
use crate::mime::protect::{PartsProtected, Protection};
use super::sign::{sign_message, sign_message_with};

#[derive(Debug, Clone, Default)]
pub struct EncryptOptions {
    /// Content cipher chosen by the user for this message; default: the policy's choice
    /// from the capabilities (see [`super::choice`]).
    pub cipher: Option<ContentCipher>,
    /// What each recipient's mail program advertised (SMIMECapabilities of their signed
    /// mail), in the order of the recipient certificates; missing or `None`: not known.
    pub capabilities: Vec<Option<LearnedCapabilities>>,
    /// RSAES-OAEP (SHA-256) for every RSA recipient instead of the choice.
    pub oaep: bool,
    /// Sign (clear-signed multipart/signed) with the sender identity before encrypting.
    pub sign: bool,
    /// Sign opaquely (application/pkcs7-mime signed-data) instead of clear-signing.
    pub opaque: bool,
    /// Triple wrapping (RFC 2634 1.1): sign, encrypt, then sign the encrypted message
    /// again; implies `sign`.
    pub triple_wrap: bool,
}

/// How a message is signed before it is encrypted ([`EncryptOptions::signed_first`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedFirst {
    /// Not signed: the message itself is encrypted.
    No,
    /// Clear-signed and not triple-wrapped: the entity to encrypt is built around the signed
    /// entity ([`clear_signed_entity`], [`entity_of_clear_signed`]).
    Clear,
    /// Signed into a message of its own (opaque, or triple-wrapped), whose entity is encrypted.
    Whole,
}

impl EncryptOptions {
    /// How these options sign the message before it is encrypted.
    pub fn signed_first(&self) -> SignedFirst {
        match (self.sign, self.opaque, self.triple_wrap) {
            (true, false, false) => SignedFirst::Clear,
            (false, _, false) => SignedFirst::No,
            _ => SignedFirst::Whole,
        }
    }
}

/// Header fields outside the encrypted entity (From, To, Subject, ...).
pub type OuterHeaders = Vec<(String, String)>;

/// The Content-* header fields and body of a parsed message, as one MIME entity.
pub(super) fn entity_of(message: &[u8], limits: &Limits) -> Result<(OuterHeaders, Vec<u8>)> {
    let mut out = Vec::new();
    let protected = entity_into(message, limits, &mut out)?.in_buffer(out);
    Ok((protected.outer, protected.entity))
}

/// [`entity_of`] in the message's own buffer: the parts kept as they are (for a large message,
/// its attachments) are recorded as ranges of it ([`mime::PieceList`]) and move within it
/// ([`mime::assemble_in_place`]), so the entity never needs a second buffer of the message's
/// size. The same bytes as [`entity_of`]; the buffer has room for the CBC padding after them.
pub fn entity_of_owned(message: Vec<u8>, limits: &Limits) -> Result<(OuterHeaders, Vec<u8>)> {
    let mut list = mime::PieceList::new(&message);
    let outer = match entity_into(&message, limits, &mut list)? {
        PartsProtected::Written(outer) => outer,
        PartsProtected::Whole(protected) => return Ok((protected.outer, protected.entity)),
    };
    let pieces = list.finish();
    // With room for the CBC padding (`CbcSealer::pad`).
    Ok((outer, mime::assemble_in_place(message, pieces, 16)))
}

/// The entity of [`entity_of`] written to `out`.
fn entity_into(message: &[u8], limits: &Limits, out: &mut dyn mime::EntityOut) -> Result<PartsProtected> {
    let top = super::sign::parse_outgoing(message, limits)?;
    let mut outer = Vec::new();
    // The entity's header section: its Content-* fields and the blank line.
    let mut head = Vec::new();
    for (name, value) in top.headers() {
        match mime::header_place(name) {
            HeaderPlace::Inner => mime::push_field(&mut head, name, value),
            HeaderPlace::Outer => outer.push((name.to_string(), mime::received_value(name, value))),
            HeaderPlace::Dropped => {}
        }
    }
    if head.is_empty() {
        head.extend_from_slice(b"Content-Type: text/plain; charset=us-ascii\r\n");
    }
    head.extend_from_slice(b"\r\n");
    // A message signed first already has its cryptographic payload inside the signature;
    // anything else is the payload itself (RFC 9788). Its outer fields get the baseline
    // obscuring all the same (the Subject `[...]`): a message signed for sending in clear
    // (`hp="clear"`, e.g. `cachet sign` before `cachet encrypt`) shows its Subject outside.
    if matches!(top.smime_kind(), Some(mime::SmimeKind::MultipartSigned { .. } | mime::SmimeKind::Pkcs7Mime { .. })) {
        outer = mime::protect::baseline_outer(&outer);
        out.reserve(head.len().saturating_add(top.body_raw().len()));
        out.buf().extend_from_slice(&head);
        out.keep(top.body_raw());
        return Ok(PartsProtected::Written(outer));
    }
    // Written once, after its new header section (see `protect_parts_into`).
    mime::protect::protect_parts_into(&outer, &head, &top, Protection::Cipher, limits, out)
}

/// Encrypt a message (RFC 5322 headers + MIME body) for `recipients` and, when `sender`
/// is given, for the sender's own certificate too (Sent Items stay readable). With
/// `options.sign` the message is first signed by `sender` exactly as `sign_message` does
/// (opaque with `options.opaque`); with `options.triple_wrap` it is signed, encrypted and
/// the result signed again.
/// Returns `application/pkcs7-mime; smime-type=enveloped-data` (or `authEnveloped-data`).
/// The composition of [`prepare_encryption`] and [`EncryptPlan::finish`] with the
/// content encrypted in the core.
pub fn encrypt_message(message: &[u8], recipients: &[Certificate], sender: Option<&Identity>, options: EncryptOptions, at: UnixTime, limits: &Limits, policy: &Policy) -> Result<Vec<u8>> {
    let (opaque, triple_wrap) = (options.opaque, options.triple_wrap);
    let encrypted = encrypt_message_mime(message, recipients, sender, options, at, limits, policy)?.into_bytes();
    match sender.filter(|_| triple_wrap) {
        // The outer signature covers the encrypted entity; the headers stay outside.
        Some(id) => sign_message(&encrypted, id, opaque, at, limits, policy),
        None => Ok(encrypted),
    }
}

/// [`encrypt_message`] up to the encrypted entity, not yet base64 encoded, for a caller
/// that writes it out in pieces ([`mime::Pkcs7Mime::write_to`]); with
/// `options.triple_wrap` the message is signed first, and the outer signature
/// [`encrypt_message`] adds is left out.
pub fn encrypt_message_mime(message: &[u8], recipients: &[Certificate], sender: Option<&Identity>, options: EncryptOptions, at: UnixTime, limits: &Limits, policy: &Policy) -> Result<mime::Pkcs7Mime> {
    prepare_message_encryption(message, recipients, sender, options, at, limits, policy)?.finish_in_core()
}

/// [`encrypt_message_mime`] before the content is encrypted: the plan, for a caller that
/// finishes it its own way ([`EncryptPlan::finish_for_writing`]).
pub fn prepare_message_encryption(message: &[u8], recipients: &[Certificate], sender: Option<&Identity>, options: EncryptOptions, at: UnixTime, limits: &Limits, policy: &Policy) -> Result<EncryptPlan> {
    // No recipient certificate outside its validity period (SPEC section 3).
    crate::cert::validity::check_recipients(recipients, at)?;
    // Signing canonicalises the message itself.
    let to_wrap = match options.signed_first() {
        // The entity to encrypt is built at once.
        SignedFirst::Clear => {
            let id = sender.ok_or_else(signing_needs_identity)?;
            let (outer, inner) = clear_signed_entity(message, id, at, limits, policy)?;
            return prepare_encryption_of(outer, inner, recipients, sender, options, policy);
        }
        SignedFirst::Whole => {
            let id = sender.ok_or_else(signing_needs_identity)?;
            std::borrow::Cow::Owned(sign_message_with(message, id, options.opaque, at, limits, policy, Protection::Cipher)?)
        }
        SignedFirst::No => mime::canonicalize_crlf(message),
    };
    // The message itself is no longer needed once the entity to encrypt is built (the plan
    // holds that entity; `to_wrap` is dropped on return).
    prepare_encryption(&to_wrap, recipients, sender, options, limits, policy)
}

/// A bare entity that stands in for the signed entity in [`entity_of_clear_signed`].
const STAND_IN: &[u8] = b"Content-Type: text/plain; charset=us-ascii\r\n\r\n";

/// [`entity_of`] the message `message` clear-signed by `identity` (as [`sign_message_with`]
/// with [`Protection::Cipher`]), signed in the core: see [`entity_of_clear_signed`].
pub fn clear_signed_entity(message: &[u8], identity: &Identity, at: UnixTime, limits: &Limits, policy: &Policy) -> Result<(OuterHeaders, Vec<u8>)> {
    use super::sign::SigningPhases;
    let plan = super::sign::prepare_signing_with(message, identity, false, at, limits, policy, Protection::Cipher)?;
    let attrs = plan.signed_attributes(&crate::crypto::digest(plan.digest_algorithm(), plan.content())?)?;
    entity_of_clear_signed(plan.finish_message(attrs, None)?, limits)
}

/// [`entity_of`] a signed message made by [`super::SignPlan::finish_message`], without the
/// message in one buffer of its own: for a clear signature, the frame is put around the
/// signed entity in the entity's own buffer (one move within memory already in use), where
/// the signed message was put together and then copied out again (a second buffer of its
/// size, and a parse of all of it). The frame is what `entity_of` makes of the same signed
/// message with [`STAND_IN`] as its entity, so both ways give the same bytes.
pub fn entity_of_clear_signed(signed: super::sign::SignedMessage, limits: &Limits) -> Result<(OuterHeaders, Vec<u8>)> {
    let signed = match signed {
        super::sign::SignedMessage::Clear(signed) => signed,
        opaque => return entity_of(&opaque.into_bytes(), limits),
    };
    let (outer, framed) = entity_of(&[signed.head(), STAND_IN, signed.tail()].concat(), limits)?;
    let prefix = framed
        .len()
        .checked_sub(STAND_IN.len() + signed.tail().len())
        .and_then(|cut| framed.split_at_checked(cut))
        .filter(|(_, rest)| rest.starts_with(STAND_IN) && rest.ends_with(signed.tail()))
        .map(|(prefix, _)| prefix)
        .ok_or_else(|| Error::new(Code::Crypto, "The message could not be encrypted.", "Try again; if it keeps failing, report it.").with_detail("signed entity frame"))?;
    // With room for the CBC padding (`CbcSealer::pad`).
    Ok((outer, signed.into_bytes_headed(prefix, 16)))
}

/// An encrypted entity ready to be written ([`EncryptPlan::finish_for_writing`]).
pub enum Sealing {
    /// Encrypted in the core, whole.
    Whole(mime::Pkcs7Mime),
    /// AES-CBC, to be encrypted piece by piece while it is written: `entity` around a
    /// ciphertext held elsewhere ([`mime::Pkcs7Mime::write_to_with`]), which is `content`
    /// (padded already) once `sealer` has encrypted it in place, piece after piece in order
    /// ([`CbcSealer::seal`], pieces of multiples of 16 bytes).
    InPieces { entity: mime::Pkcs7Mime, content: Vec<u8>, sealer: Box<CbcSealer> },
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
    choice: EncryptionChoice,
}

/// Can `c` receive encrypted mail (a key and key usage Cachet encrypts to)?
fn encryptable(c: &Certificate) -> bool {
    c.tbs_certificate().subject_public_key_info().algorithm.oid == crate::oid::OID_RSAES_OAEP || crate::cert::facts::usability(c).encrypt
}

/// The parties of a message: each recipient with what they advertised, then the sender's
/// own copy when the sender's certificate can receive one and is not a recipient already.
fn parties<'a>(recipients: &'a [Certificate], sender: Option<&'a Certificate>, options: &'a EncryptOptions) -> Vec<Party<'a>> {
    let mut out: Vec<Party<'a>> = recipients
        .iter()
        .enumerate()
        .map(|(i, c)| Party { certificate: c, capabilities: options.capabilities.get(i).and_then(Option::as_ref), own_copy: false })
        .collect();
    if let Some(c) = sender.filter(|c| encryptable(c) && !recipients.contains(c)) {
        out.push(Party { certificate: c, capabilities: None, own_copy: true });
    }
    out
}

/// What [`prepare_encryption`] will choose for these recipients, the sender's own copy and
/// options, with the reasons (for the compose pane, before sending).
pub fn encryption_choice(recipients: &[Certificate], sender: Option<&Certificate>, options: &EncryptOptions, policy: &Policy) -> EncryptionChoice {
    choose(&parties(recipients, sender, options), policy, options.cipher, options.oaep)
}

/// Phase 1 of encrypting: `to_wrap` is the canonical (CRLF) message, already signed when
/// signing was asked (`options.sign` is not looked at here). A message not signed yet
/// becomes the cryptographic payload itself (RFC 9788: its header fields inside with
/// `hp="cipher"`, the Subject `[...]` outside); a signed one is wrapped as it is (its
/// payload is inside the signature, protected when it was signed). Checks the recipients,
/// chooses the algorithms (see [`encryption_choice`]), generates the key and wraps it for
/// each recipient and for `sender`'s own copy.
pub fn prepare_encryption(to_wrap: &[u8], recipients: &[Certificate], sender: Option<&Identity>, options: EncryptOptions, limits: &Limits, policy: &Policy) -> Result<EncryptPlan> {
    let (outer, inner) = entity_of(to_wrap, limits)?;
    prepare_encryption_of(outer, inner, recipients, sender, options, policy)
}

/// [`prepare_encryption`] of a message given as its own buffer, the entity made in it
/// ([`entity_of_owned`]).
pub fn prepare_encryption_owned(to_wrap: Vec<u8>, recipients: &[Certificate], sender: Option<&Identity>, options: EncryptOptions, limits: &Limits, policy: &Policy) -> Result<EncryptPlan> {
    let (outer, inner) = entity_of_owned(to_wrap, limits)?;
    prepare_encryption_of(outer, inner, recipients, sender, options, policy)
}

/// [`prepare_encryption`] of the entity `inner` with the header fields `outer` outside
/// (from [`entity_of_clear_signed`]).
pub fn prepare_encryption_of(outer: OuterHeaders, inner: Vec<u8>, recipients: &[Certificate], sender: Option<&Identity>, options: EncryptOptions, policy: &Policy) -> Result<EncryptPlan> {
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
    // The sender's own copy (Sent Items), to the encryption certificate (a separate one when
    // the identity has one); a signing-only certificate cannot receive one.
    let parties = parties(recipients, sender.map(|id| id.encryption_certificate()), &options);
    let choice = choose(&parties, policy, options.cipher, options.oaep);
    let cipher = ContentCipher::from_name(&choice.content_cipher).ok_or_else(|| Error::new(Code::Crypto, "The message could not be encrypted.", "Try again.").with_detail(format!("cipher {}", choice.content_cipher)))?;
    let list: Vec<(&Certificate, KeyTransport)> =
        parties.iter().zip(choice.recipients.iter()).map(|(p, r)| (p.certificate, r.key_transport.unwrap_or(KeyTransport::Pkcs1v15))).collect();
    let envelope = crate::cms::envelope::prepare(inner.len(), &list, cipher)?;
    Ok(EncryptPlan { outer, inner, envelope, choice })
}

impl EncryptPlan {
    /// The algorithms chosen and why.
    pub fn choice(&self) -> &EncryptionChoice {
        &self.choice
    }
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
        self.finish_mime(sealed).map(mime::Pkcs7Mime::into_bytes)
    }

    /// Phases 2 and 3 with the content encrypted in the core (RustCrypto), in the entity's
    /// own buffer, which becomes the ciphertext: the message before its base64 encoding.
    pub fn finish_in_core(mut self) -> Result<mime::Pkcs7Mime> {
        let content = std::mem::take(&mut self.inner);
        let sealed = RustCrypto.encrypt_owned(self.cipher(), self.key(), self.iv(), b"", content)?;
        self.finish_mime(sealed)
    }

    /// Phases 2 and 3 for a caller that writes the message while the content is encrypted (the
    /// native CLI, on two threads): AES-CBC in pieces ([`Sealing::InPieces`]); any other
    /// cipher as [`EncryptPlan::finish_in_core`] (AES-GCM's tag follows the ciphertext in the
    /// DER, so nothing after the ciphertext could be written before all of it is encrypted).
    pub fn finish_for_writing(mut self) -> Result<Sealing> {
        let Some(sealer) = CbcSealer::new(self.cipher(), self.key(), self.iv())? else {
            return self.finish_in_core().map(Sealing::Whole);
        };
        let mut content = std::mem::take(&mut self.inner);
        CbcSealer::pad(&mut content);
        let entity = self.finish_mime_around(content.len(), None)?;
        Ok(Sealing::InPieces { entity, content, sealer: Box::new(sealer) })
    }

    /// [`EncryptPlan::finish_mime`] for a ciphertext of `ct_size` bytes held elsewhere (the
    /// host's memory): the entity with an empty middle piece, to be written with the
    /// ciphertext in its place ([`mime::Pkcs7Mime::write_to_with`]).
    pub fn finish_mime_around(self, ct_size: usize, tag: Option<Vec<u8>>) -> Result<mime::Pkcs7Mime> {
        let aead = self.envelope.cipher().is_aead();
        let [head, tail] = self.envelope.assemble_around(ct_size, tag)?;
        let smime_type = if aead { "authEnveloped-data" } else { "enveloped-data" };
        Ok(mime::Pkcs7Mime::from_pieces(&self.outer, smime_type, [head, Vec::new(), tail]))
    }

    /// [`EncryptPlan::finish`] before the base64 encoding (see [`mime::Pkcs7Mime`]).
    pub fn finish_mime(self, sealed: crate::crypto::cipher::Sealed) -> Result<mime::Pkcs7Mime> {
        let aead = self.envelope.cipher().is_aead();
        let der = self.envelope.assemble_pieces(sealed)?;
        let smime_type = if aead { "authEnveloped-data" } else { "enveloped-data" };
        Ok(mime::Pkcs7Mime::from_pieces(&self.outer, smime_type, der))
    }
}
