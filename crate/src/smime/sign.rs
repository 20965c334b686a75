//! Signing a message (SPEC section 3; RFC 8551 3.5, 3.4): the outer (RFC 5322) headers
//! stay outside, the entity is made seven-bit safe and carries a copy of them (header
//! protection, RFC 9788, `mime::protect`), then it is signed clear (`multipart/signed`)
//! or opaque. Sits below `encrypt`, never the reverse.

use crate::cert::facts::{self, matches_address};
use crate::error::{Code, Error, Result};
use crate::mime::{self, Entity, HeaderPlace, Limits};
use crate::mime::protect::Protection;
use crate::pkcs12::Identity;
use crate::policy::Policy;
use crate::time::UnixTime;

/// Sign a message (RFC 5322 headers + MIME body). The body and its Content-* fields
/// become the signed entity in canonical 7-bit form; the other header fields stay on
/// the outside. Clear-signed multipart/signed by default, opaque with `opaque`.
/// The composition of the phases [`prepare_signing`], [`SignPlan::signed_attributes`]
/// and [`SignPlan::finish`], every step computed in the core. `policy` decides the digest
/// and refuses keys it does not accept (SPEC section 4).
pub fn sign_message(message: &[u8], identity: &Identity, opaque: bool, at: UnixTime, limits: &Limits, policy: &Policy) -> Result<Vec<u8>> {
    sign_message_with(message, identity, opaque, at, limits, policy, Protection::Clear)
}

/// [`sign_message`] with the header protection of its signed entity (RFC 9788) chosen:
/// [`Protection::Clear`] for a message sent signed only, [`Protection::Cipher`] for one
/// about to be encrypted (then the outer header fields are already the reduced ones).
pub fn sign_message_with(message: &[u8], identity: &Identity, opaque: bool, at: UnixTime, limits: &Limits, policy: &Policy, protection: Protection) -> Result<Vec<u8>> {
    let plan = prepare_signing_with(message, identity, opaque, at, limits, policy, protection)?;
    let md = crate::crypto::digest(plan.digest_algorithm(), plan.content())?;
    let attrs = plan.signed_attributes(&md)?;
    plan.finish(attrs, None)
}

/// The phases the signing plans share ([`SignPlan`], [`InPlaceSignPlan`], [`PiecesSignPlan`]):
/// which digest to hash the entity with, the signed attributes over that digest (phase 2, the
/// small DER to sign), and what a signature made outside the core (by WebCrypto) must be.
pub trait SigningPhases {
    /// The signer, the digest algorithm and the signing time the plan was made with.
    fn signer(&self) -> (&Identity, crate::crypto::DigestAlg, UnixTime);

    /// The digest algorithm to hash the signed entity with.
    fn digest_algorithm(&self) -> crate::crypto::DigestAlg {
        self.signer().1
    }

    /// Phase 2: the signed attributes over the entity's digest.
    fn signed_attributes(&self, digest: &[u8]) -> Result<crate::cms::sign::SignedAttributes> {
        let (identity, alg, at) = self.signer();
        crate::cms::sign::signed_attributes(identity, alg, digest, at)
    }

    /// The signatureAlgorithm for an RSA signature made outside the core over
    /// `SignedAttributes::der` (PKCS#1 v1.5, or PSS with salt = hash length when the
    /// certificate is RSASSA-PSS); None when the key is not RSA.
    fn external_signature_algorithm(&self) -> Result<Option<spki::AlgorithmIdentifierOwned>> {
        let (identity, alg, _) = self.signer();
        crate::cms::sign::rsa_signature_algorithm(identity, alg)
    }

    /// Whether the signature must use RSASSA-PSS.
    fn uses_pss(&self) -> bool {
        crate::cms::sign::uses_pss(self.signer().0)
    }
}

impl SigningPhases for SignPlan<'_> {
    fn signer(&self) -> (&Identity, crate::crypto::DigestAlg, UnixTime) {
        (self.identity, self.digest, self.at)
    }
}

impl SigningPhases for InPlaceSignPlan<'_> {
    fn signer(&self) -> (&Identity, crate::crypto::DigestAlg, UnixTime) {
        (self.identity, self.digest, self.at)
    }
}

impl SigningPhases for PiecesSignPlan<'_> {
    fn signer(&self) -> (&Identity, crate::crypto::DigestAlg, UnixTime) {
        (self.identity, self.digest, self.at)
    }
}

/// A message ready to be signed: the entity to hash and the headers to put outside.
/// A host with faster primitives (WebCrypto) computes the digest of [`SignPlan::content`]
/// and, when it holds the RSA key, the signature of the signed attributes.
pub struct SignPlan<'a> {
    identity: &'a Identity,
    outer: Vec<(String, String)>,
    inner: Vec<u8>,
    opaque: bool,
    digest: crate::crypto::DigestAlg,
    at: UnixTime,
}

/// A message the user is sending, parsed. The parser's limit error is worded for received
/// mail (it asks the sender for a simpler message); here the message is the user's own.
pub(crate) fn parse_outgoing<'a>(message: &'a [u8], limits: &Limits) -> Result<mime::Entity<'a>> {
    mime::parse(message, limits).map_err(|e| match e.code {
        Code::LimitExceeded => Error {
            detail: e.detail,
            ..Error::new(Code::LimitExceeded, "Your message is too large or too complex to sign or encrypt.", "Send large files another way (for example as a shared link), or split the message into several.")
        },
        _ => e,
    })
}

/// Phase 1 of signing: parse and canonicalise the message, check the identity (its
/// validity period at `at`, its key usage) and the From address, build the entity to sign,
/// its header fields protected (RFC 9788,
/// `hp="clear"`: the signed entity carries a copy of them).
pub fn prepare_signing<'a>(message: &[u8], identity: &'a Identity, opaque: bool, at: UnixTime, limits: &Limits, policy: &Policy) -> Result<SignPlan<'a>> {
    prepare_signing_with(message, identity, opaque, at, limits, policy, Protection::Clear)
}

/// [`prepare_signing`] with the header protection chosen (see [`sign_message_with`]).
pub fn prepare_signing_with<'a>(message: &[u8], identity: &'a Identity, opaque: bool, at: UnixTime, limits: &Limits, policy: &Policy, protection: Protection) -> Result<SignPlan<'a>> {
    let canonical = mime::canonicalize_crlf(message);
    let top = parse_outgoing(&canonical, limits)?;
    let (digest, outer) = check_signing(&top, identity, at, policy)?;
    let inner = seven_bit_entity(&top, true)?;
    let protected = mime::protect::protect_owned(&outer, inner, protection, limits)?;
    Ok(SignPlan { identity, outer: protected.outer, inner: protected.entity, opaque, digest, at })
}

/// The checks of phase 1 (the From address against the certificate, the identity's
/// validity at `at`, its key usage and key size under `policy`): the digest to sign with
/// and the outer header fields.
fn check_signing(top: &Entity<'_>, identity: &Identity, at: UnixTime, policy: &Policy) -> Result<(crate::crypto::DigestAlg, Vec<(String, String)>)> {
    if let Some(from) = top.from_address() {
        if !matches_address(&identity.certificate, &from) {
            let emails = facts::email_addresses(&identity.certificate);
            return Err(Error::new(
                Code::UnusableIdentity,
                format!("The message is from {from}, but your certificate is for {}.", if emails.is_empty() { "no e-mail address".into() } else { emails.join(", ") }),
                "Send from the address of your certificate, or import the certificate for this address.",
            ));
        }
    }
    crate::cert::validity::check_signing(&identity.certificate, at)?;
    let digest = policy.signing_digest_for(crate::cms::sign::check_signer(identity)?)?;
    policy.check_signing_key(crate::cert::facts::key_info(identity.certificate.tbs_certificate().subject_public_key_info()).bits.filter(|_| matches!(identity.key, crate::pkcs12::PrivateKey::Rsa(_))))?;
    let outer: Vec<(String, String)> = top
        .headers()
        .filter(|(name, _)| mime::header_place(name) == HeaderPlace::Outer)
        .map(|(name, value)| (name.to_string(), mime::received_value(name, value)))
        .collect();
    Ok((digest, outer))
}

/// Phase 1 over a canonical message, for the plans that refer to its bytes.
struct EntityPieces {
    /// The digest algorithm to sign with.
    digest: crate::crypto::DigestAlg,
    /// The header fields that stay outside.
    outer: Vec<(String, String)>,
    /// The entity's pieces over the message.
    pieces: Vec<mime::Piece>,
}

/// The checks of phase 1 and the entity's pieces over `message` (canonical).
fn entity_pieces(message: &[u8], identity: &Identity, at: UnixTime, limits: &Limits, policy: &Policy) -> Result<EntityPieces> {
    let top = parse_outgoing(message, limits)?;
    let (digest, outer) = check_signing(&top, identity, at, policy)?;
    let mut list = mime::PieceList::new(message);
    seven_bit_entity_into(&top, true, &mut list)?;
    Ok(EntityPieces { digest, outer, pieces: list.finish() })
}

/// [`prepare_signing`] for a caller that keeps `message` until the signed message is
/// written (the CLI): the signed entity refers to the message's bytes wherever it keeps
/// them as they are (bodies already canonical and 7-bit) instead of copying them, so a
/// large message is held once. The same checks, the same entity byte for byte, header
/// protection `hp="clear"`.
pub fn prepare_signing_pieces<'a>(message: &'a [u8], identity: &'a Identity, opaque: bool, at: UnixTime, limits: &Limits, policy: &Policy) -> Result<PiecesSignPlan<'a>> {
    let canonical = mime::canonicalize_crlf(message);
    let EntityPieces { digest, outer, pieces } = entity_pieces(&canonical, identity, at, limits, policy)?;
    let mut inner = mime::Pieces::new(canonical, pieces);
    // The entity's header section is in its first piece (written before any body): header
    // protection replaces it there, as protect_owned does in a whole entity.
    let first = inner.first_own().ok_or_else(|| Error::new(Code::Crypto, "The message could not be signed.", "Try again; if it keeps failing, report it.").with_detail("signed entity without a header section"))?;
    let protected = mime::protect::protect_owned(&outer, std::mem::take(first), Protection::Clear, limits)?;
    *first = protected.entity;
    Ok(PiecesSignPlan { identity, outer: protected.outer, inner, opaque, digest, at })
}

/// [`prepare_signing`] for a caller that hands the message over in a buffer with `gap` free
/// bytes in front of it (the Wasm front, which copies it in from JavaScript that way). When
/// the signed entity keeps the message's body byte for byte up to its end (a canonical 7-bit
/// message with a body of at least a few kilobytes, clear-signed: the usual case), the
/// entity's new header section is written in front of that body in the same buffer, and later
/// the multipart/signed header section in front of it ([`InPlaceSignPlan::finish`]): the
/// message is neither copied nor moved. The same checks and the same entity, byte for byte,
/// as [`prepare_signing`]. `Ok(Err(buf))`, the buffer untouched, when it cannot be done so;
/// the caller then signs the message the usual way.
pub fn prepare_signing_in_place<'a>(buf: Vec<u8>, gap: usize, identity: &'a Identity, opaque: bool, at: UnixTime, limits: &Limits, policy: &Policy) -> Result<std::result::Result<InPlaceSignPlan<'a>, Vec<u8>>> {
    let Some(message) = buf.get(gap..) else { return Ok(Err(buf)) };
    if opaque || !mime::is_canonical(message) {
        return Ok(Err(buf));
    }
    let EntityPieces { digest, outer, pieces } = entity_pieces(message, identity, at, limits, policy)?;
    // The entity must be its header section and then the rest of the message as it is: the
    // pieces after the first are kept ranges in place and bytes of its own equal to the
    // message's at their place (the boundary lines and part headers of a multipart kept as
    // they were), up to the message's end.
    let (header, body_start) = match pieces.split_first() {
        Some((mime::Piece::Own(header), rest)) => {
            let Some(mime::Piece::Source(first)) = rest.first() else { return Ok(Err(buf)) };
            let mut at = first.start;
            for piece in rest {
                at += match piece {
                    mime::Piece::Source(r) if r.start == at => r.len(),
                    mime::Piece::Own(own) if message.get(at..at + own.len()) == Some(own.as_slice()) => own.len(),
                    _ => return Ok(Err(buf)),
                };
            }
            if at != message.len() {
                return Ok(Err(buf));
            }
            (header.clone(), first.start)
        }
        _ => return Ok(Err(buf)),
    };
    let protected = mime::protect::protect_owned(&outer, header, Protection::Clear, limits)?;
    let header = protected.entity;
    let Some(start) = (gap + body_start).checked_sub(header.len()) else { return Ok(Err(buf)) };
    let mut buf = buf;
    match buf.get_mut(start..gap + body_start) {
        Some(room) => room.copy_from_slice(&header),
        None => return Ok(Err(buf)),
    }
    Ok(Ok(InPlaceSignPlan { identity, outer: protected.outer, buf, start, digest, at }))
}

/// A signature of the signed attributes checked against the signer's certificate (or made by
/// the core): see [`InPlaceSignPlan::signature`].
pub struct CheckedSignature(spki::AlgorithmIdentifierOwned, Vec<u8>);

/// A message being signed in its own buffer (see [`prepare_signing_in_place`]): the phases of
/// [`SignPlan`], the signed entity `buf[start..]`.
pub struct InPlaceSignPlan<'a> {
    identity: &'a Identity,
    outer: Vec<(String, String)>,
    buf: Vec<u8>,
    start: usize,
    digest: crate::crypto::DigestAlg,
    at: UnixTime,
}

impl InPlaceSignPlan<'_> {
    /// The bytes to hash: the signed entity.
    pub fn content(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// The signature to finish with: `external` (made outside the core, by WebCrypto) when it
    /// checks out against the certificate, else one made here. Checked once, here: what
    /// [`InPlaceSignPlan::finish`] takes can only come from this.
    pub fn signature(&self, attrs: &crate::cms::sign::SignedAttributes, external: Option<(spki::AlgorithmIdentifierOwned, Vec<u8>)>) -> Result<CheckedSignature> {
        if let Some((algorithm, value)) = external {
            if crate::cms::sign::check_signature(self.identity, attrs, &algorithm, &value).is_ok() {
                return Ok(CheckedSignature(algorithm, value));
            }
        }
        crate::cms::sign::sign_attributes(self.identity, attrs).map(|(algorithm, value)| CheckedSignature(algorithm, value))
    }

    /// Phase 3: the multipart/signed message, `buf[from..]` of the buffer returned as
    /// `(buf, from)`, with the signature [`InPlaceSignPlan::signature`] chose.
    pub fn finish(self, attrs: crate::cms::sign::SignedAttributes, signature: CheckedSignature) -> Result<(Vec<u8>, usize)> {
        let CheckedSignature(algorithm, value) = signature;
        let der = crate::cms::sign::assemble(self.identity, &[], false, attrs, algorithm, value)?;
        let mut buf = self.buf;
        let entity = buf.get(self.start..).unwrap_or_default();
        let (head, tail) = mime::signed_frame(&self.outer, |h| sha2::Digest::update(h, entity), |needle| mime::contains(entity, needle), self.digest.micalg(), &der);
        let from = match self.start.checked_sub(head.len()) {
            Some(from) => from,
            // Not enough room in front (a very long header section): one copy instead.
            None => {
                let mut out = Vec::with_capacity(head.len() + buf.len() - self.start + tail.len());
                out.extend_from_slice(&head);
                out.extend_from_slice(buf.get(self.start..).unwrap_or_default());
                out.extend_from_slice(&tail);
                return Ok((out, 0));
            }
        };
        if let Some(room) = buf.get_mut(from..self.start) {
            room.copy_from_slice(&head);
        }
        buf.extend_from_slice(&tail);
        Ok((buf, from))
    }
}

/// A message ready to be signed whose entity is in pieces over the message (see
/// [`prepare_signing_pieces`]); the phases of [`SignPlan`], the digest computed here.
pub struct PiecesSignPlan<'a> {
    identity: &'a Identity,
    outer: Vec<(String, String)>,
    inner: mime::Pieces<'a>,
    opaque: bool,
    digest: crate::crypto::DigestAlg,
    at: UnixTime,
}

impl<'a> PiecesSignPlan<'a> {
    /// The digest of the signed entity, piece by piece.
    pub fn digest(&self) -> Result<Vec<u8>> {
        self.digest_job()()
    }

    /// The digest of the signed entity as a job another thread can run while this one writes
    /// the entity out ([`PiecesSignPlan::clear_head`]): it borrows only the entity.
    pub fn digest_job(&self) -> impl FnOnce() -> Result<Vec<u8>> + Send + '_ {
        let (inner, alg) = (&self.inner, self.digest);
        move || {
            let mut h = crate::crypto::Hasher::new(alg)?;
            inner.each(|p| h.update(p));
            Ok(h.finalize())
        }
    }

    /// For a caller that writes the message while the digest is computed: the beginning of
    /// the multipart/signed message, up to and with its first boundary line, with a boundary
    /// of fresh random bits (it does not depend on the signature). After it come
    /// [`PiecesSignPlan::write_entity`] and [`PiecesSignPlan::finish_tail`] with the same
    /// boundary. None for an opaque signature, or without system randomness (the boundary is
    /// then derived from the content and the signature): use [`PiecesSignPlan::finish_message`].
    pub fn clear_head(&self) -> Option<(Vec<u8>, String)> {
        if self.opaque {
            return None;
        }
        let boundary = mime::random_boundary()?;
        Some((mime::signed_head(&self.outer, self.digest.micalg(), &boundary), boundary))
    }

    /// Write the signed entity to `w`, piece by piece.
    pub fn write_entity<W: std::io::Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        self.inner.write_to(w)
    }

    /// Phase 3 after [`PiecesSignPlan::clear_head`]: the signature made in the core, and what
    /// follows the entity (the signature part and the closing boundary of `boundary`).
    pub fn finish_tail(self, attrs: crate::cms::sign::SignedAttributes, boundary: &str) -> Result<Vec<u8>> {
        let (algorithm, value) = crate::cms::sign::sign_attributes(self.identity, &attrs)?;
        let der = crate::cms::sign::assemble(self.identity, &[], false, attrs, algorithm, value)?;
        Ok(mime::signed_tail_of(boundary, &der))
    }

    /// Phase 3, the signature made in the core: the message, to be written out
    /// ([`PiecesSignedMessage::write_to`]).
    pub fn finish_message(self, attrs: crate::cms::sign::SignedAttributes) -> Result<PiecesSignedMessage<'a>> {
        let (algorithm, value) = crate::cms::sign::sign_attributes(self.identity, &attrs)?;
        if self.opaque {
            // The entity goes inside the SignedData: one buffer.
            let der = crate::cms::sign::assemble(self.identity, &self.inner.to_vec(), true, attrs, algorithm, value)?;
            return Ok(PiecesSignedMessage::Opaque(mime::Pkcs7Mime::new(&self.outer, "signed-data", der)));
        }
        let der = crate::cms::sign::assemble(self.identity, &[], false, attrs, algorithm, value)?;
        Ok(PiecesSignedMessage::Clear(mime::MultipartSignedPieces::new(&self.outer, self.inner, self.digest.micalg(), &der)))
    }
}

/// A signed message made by [`PiecesSignPlan::finish_message`].
pub enum PiecesSignedMessage<'a> {
    /// multipart/signed, the signed entity in pieces.
    Clear(mime::MultipartSignedPieces<'a>),
    /// application/pkcs7-mime signed-data.
    Opaque(mime::Pkcs7Mime),
}

impl PiecesSignedMessage<'_> {
    /// Write the message to `w`.
    pub fn write_to<W: std::io::Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        match self {
            PiecesSignedMessage::Clear(m) => m.write_to(w),
            PiecesSignedMessage::Opaque(m) => m.write_to(w),
        }
    }

    /// The message in one buffer.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            PiecesSignedMessage::Clear(m) => m.into_bytes(),
            PiecesSignedMessage::Opaque(m) => m.into_bytes(),
        }
    }
}

impl SignPlan<'_> {
    /// The bytes to hash: the signed entity.
    pub fn content(&self) -> &[u8] {
        &self.inner
    }

    /// Phase 3: the message. `signature`: a signature made outside the core with its
    /// algorithm (checked here against the certificate), or None to sign in the core.
    pub fn finish(self, attrs: crate::cms::sign::SignedAttributes, signature: Option<(spki::AlgorithmIdentifierOwned, Vec<u8>)>) -> Result<Vec<u8>> {
        self.finish_message(attrs, signature).map(SignedMessage::into_bytes)
    }

    /// [`SignPlan::finish`] in pieces, for a caller that writes the message out
    /// ([`SignedMessage::write_to`]) rather than holding it in one buffer.
    pub fn finish_message(self, attrs: crate::cms::sign::SignedAttributes, signature: Option<(spki::AlgorithmIdentifierOwned, Vec<u8>)>) -> Result<SignedMessage> {
        let (algorithm, value) = match signature {
            Some((algorithm, value)) => {
                crate::cms::sign::check_signature(self.identity, &attrs, &algorithm, &value)?;
                (algorithm, value)
            }
            None => crate::cms::sign::sign_attributes(self.identity, &attrs)?,
        };
        let der = crate::cms::sign::assemble(self.identity, &self.inner, self.opaque, attrs, algorithm, value)?;
        Ok(if self.opaque {
            SignedMessage::Opaque(mime::Pkcs7Mime::new(&self.outer, "signed-data", der))
        } else {
            SignedMessage::Clear(mime::MultipartSigned::new(&self.outer, self.inner, self.digest.micalg(), &der))
        })
    }
}

/// A signed message not yet put together in one buffer (see [`SignPlan::finish_message`]).
pub enum SignedMessage {
    /// multipart/signed.
    Clear(mime::MultipartSigned),
    /// application/pkcs7-mime signed-data.
    Opaque(mime::Pkcs7Mime),
}

impl SignedMessage {
    /// The message in one buffer (what [`SignPlan::finish`] returns).
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            SignedMessage::Clear(m) => m.into_bytes(),
            SignedMessage::Opaque(m) => m.into_bytes(),
        }
    }

    /// Write the message to `w`, the same bytes as [`SignedMessage::into_bytes`].
    pub fn write_to<W: std::io::Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        match self {
            SignedMessage::Clear(m) => m.write_to(w),
            SignedMessage::Opaque(m) => m.write_to(w),
        }
    }
}

/// The entity (Content-* fields and body) in 7-bit form: kept byte for byte when it
/// already is, otherwise leaves re-encoded (text quoted-printable, the rest base64).
fn seven_bit_entity(e: &Entity<'_>, top: bool) -> Result<Vec<u8>> {
    // Re-encoding grows a body by at most a third plus line breaks; most entities are kept.
    // Room for the signature part too: the signed message is built in this buffer.
    let mut out = Vec::with_capacity(e.raw().len().saturating_add(e.raw().len() / 32).saturating_add(16 * 1024));
    seven_bit_entity_into(e, top, &mut out)?;
    Ok(out)
}

/// Already 7-bit and fit for transport: no byte 0 or above 0x7F, no line above 998 bytes
/// (RFC 5322 2.1.1).
pub(super) use cachet_bytes::is_seven_bit;

/// Written to `out`: one buffer, or pieces that refer to the kept bodies (`EntityOut`).
fn seven_bit_entity_into<O: mime::EntityOut>(e: &Entity<'_>, top: bool, out: &mut O) -> Result<()> {
    let ct = e.content_type();
    let mut header_lines: Vec<(String, Vec<u8>)> = e
        .headers()
        .filter(|(n, _)| !top || mime::header_place(n) == HeaderPlace::Inner)
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    if top && !header_lines.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
        header_lines.insert(0, ("Content-Type".into(), b" text/plain; charset=us-ascii".to_vec()));
    }
    if !e.children().is_empty() {
        let boundary = ct.param("boundary").unwrap_or("");
        write_headers(out.buf(), &header_lines);
        out.buf().extend_from_slice(b"\r\n");
        for c in e.children() {
            out.buf().extend_from_slice(b"--");
            out.buf().extend_from_slice(boundary.as_bytes());
            out.buf().extend_from_slice(b"\r\n");
            seven_bit_entity_into(c, false, out)?;
            out.buf().extend_from_slice(b"\r\n");
        }
        out.buf().extend_from_slice(b"--");
        out.buf().extend_from_slice(boundary.as_bytes());
        out.buf().extend_from_slice(b"--\r\n");
        return Ok(());
    }
    let body = e.body_raw();
    if is_seven_bit(body) {
        write_headers(out.buf(), &header_lines);
        out.buf().extend_from_slice(b"\r\n");
        out.keep(body);
        return Ok(());
    }
    let decoded = e.body_decoded()?;
    header_lines.retain(|(n, _)| !n.eq_ignore_ascii_case("content-transfer-encoding"));
    if ct.mime_type == "text" {
        header_lines.push(("Content-Transfer-Encoding".into(), b" quoted-printable".to_vec()));
        let text = e.text().unwrap_or_else(|| String::from_utf8_lossy(&decoded).into_owned());
        if ct.param("charset").map(|c| !c.eq_ignore_ascii_case("utf-8")).unwrap_or(true) {
            // The text is re-encoded as UTF-8: say so in the Content-Type.
            for (n, v) in header_lines.iter_mut() {
                if n.eq_ignore_ascii_case("content-type") {
                    *v = format!(" {}; charset=utf-8", ct.essence()).into_bytes();
                }
            }
        }
        write_headers(out.buf(), &header_lines);
        out.buf().extend_from_slice(b"\r\n");
        out.buf().extend_from_slice(mime::quoted_printable(&text).as_bytes());
    } else {
        header_lines.push(("Content-Transfer-Encoding".into(), b" base64".to_vec()));
        write_headers(out.buf(), &header_lines);
        out.buf().extend_from_slice(b"\r\n");
        mime::push_base64_lines(out.buf(), &decoded);
    }
    Ok(())
}

fn write_headers(out: &mut Vec<u8>, lines: &[(String, Vec<u8>)]) {
    for (n, v) in lines {
        mime::push_field(out, n, v);
    }
}
