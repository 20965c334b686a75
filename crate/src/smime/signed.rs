//! Signed layers: `multipart/signed` (RFC 8551 3.5) and opaque `application/pkcs7-mime`
//! signed-data, each verified signer by signer (`cms::verify`); an enveloped layer met on
//! the way is handed to `enveloped`.

use crate::cms::bulk::Bulk;
use crate::cms::signed;
use crate::oid::{OID_AUTH_ENVELOPED_DATA, OID_COMPRESSED_DATA, OID_ENVELOPED_DATA, OID_SIGNED_DATA};
use crate::cms::verify::{self, VerifyContext};
use crate::error::{Code, Error};
use crate::mime::{self, Entity};
use crate::pkcs12::Identity;
use crate::report::{note_repair, Layer, LayerKind, OpenReport, Repair, Status};
use x509_cert::Certificate;
use super::enveloped::{decompressed, decompressed_from, inflate_cms, layer_kind, note_compressed, open_enveloped_canonical};
use super::content::Content;
use super::diagnose::diagnose_tampered;

/// How a CMS body is carried (see [`cms_body`]).
enum BodyForm {
    /// A transfer encoding of RFC 2045 (base64, quoted-printable) or something unknown.
    Encoded,
    /// Raw DER of `len` bytes; `repaired` when it was unlabelled, mislabelled or followed by
    /// line breaks.
    RawDer { len: usize, repaired: bool },
    /// Base64 text without a Content-Transfer-Encoding header.
    Base64Unlabelled,
    /// Anything else: given to the CMS parser as received.
    AsIs,
}

fn body_form(entity: &Entity<'_>) -> BodyForm {
    let cte = entity.transfer_encoding();
    if !matches!(cte.as_str(), "7bit" | "8bit" | "binary") {
        return BodyForm::Encoded;
    }
    let body = entity.body_raw();
    if body.first() == Some(&0x30) {
        if let Ok((_, rest)) = crate::asn1::ber::read(body) {
            if rest.iter().all(|b| b.is_ascii_whitespace()) {
                return BodyForm::RawDer { len: body.len() - rest.len(), repaired: cte != "binary" || !rest.is_empty() };
            }
        }
        return BodyForm::AsIs;
    }
    // Base64 of DER starts with "M" (0x30 = SEQUENCE).
    let text = body.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=') || b.is_ascii_whitespace());
    if text && body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'M') {
        return BodyForm::Base64Unlabelled;
    }
    BodyForm::AsIs
}

/// The DER of a CMS body as senders really write it (issue 17). Besides the transfer
/// encodings of RFC 2045, two forms other readers accept are read (each noted as a repair
/// by [`note_body_repair`]): raw DER with no (or a 7bit/8bit) Content-Transfer-Encoding,
/// as AS2 and B2B products send it, whose trailing line breaks (which belong to the
/// boundary) are dropped after the end of its outer element; and base64 text sent without
/// its Content-Transfer-Encoding. Neither is part of what was signed, so no verdict
/// depends on the repair.
///
/// # Security
/// `entity` is untrusted: the DER's extent is read by the bounded BER reader, only white
/// space after it is dropped, and anything else is returned as received for the CMS parser
/// to refuse. The output is at most the size of the body.
pub(super) fn cms_body(entity: &Entity<'_>) -> std::result::Result<Vec<u8>, Error> {
    match body_form(entity) {
        BodyForm::Encoded => entity.body_decoded(),
        BodyForm::RawDer { len, .. } => Ok(entity.body_raw().get(..len).unwrap_or_default().to_vec()),
        BodyForm::Base64Unlabelled => mime::decode_base64(entity.body_raw()),
        BodyForm::AsIs => Ok(entity.body_raw().to_vec()),
    }
}

/// The repair [`cms_body`] makes for `entity`, if any, added to `repairs`.
pub(super) fn note_body_repair(entity: &Entity<'_>, covers: &str, repairs: &mut Vec<Repair>) {
    match body_form(entity) {
        BodyForm::RawDer { repaired: true, .. } => {
            let how = match entity.raw_header("content-transfer-encoding") {
                None => "had no Content-Transfer-Encoding".to_string(),
                Some(_) => format!("was labelled {}", entity.transfer_encoding()),
            };
            let (code, what) = if matches!(entity.smime_kind(), Some(mime::SmimeKind::Pkcs7Signature)) { ("signature-binary", "Signature part") } else { ("body-binary", "S/MIME part") };
            note_repair(repairs, Repair::new(code, covers, format!("{what} was binary: raw DER that {how} (RFC 8551 asks for base64); Cachet read the DER and left out the line breaks after it.")));
        }
        BodyForm::Base64Unlabelled => note_repair(repairs, Repair::new("base64-unlabelled", covers, "The S/MIME part was base64 text without a Content-Transfer-Encoding header; Cachet decoded it as base64.")),
        _ => {}
    }
}

/// Repairs of the signers' own data (a missing contentType attribute).
fn note_signer_repairs(sd: &signed::ParsedSignedData, covers: &str, repairs: &mut Vec<Repair>) {
    if sd.econtent_type == crate::oid::OID_DATA && sd.signers.iter().any(verify::lacks_content_type) {
        note_repair(repairs, Repair::new("content-type-attribute-missing", covers, verify::CONTENT_TYPE_MISSING));
    }
}

/// Note the legacy `application/x-pkcs7-*` type names (RFC 8551 3.1: readers accept them).
pub(super) fn note_legacy_type(entity: &Entity<'_>, covers: &str, repairs: &mut Vec<Repair>) {
    let essence = entity.content_type().essence();
    if essence.starts_with("application/x-pkcs7-") {
        note_repair(repairs, Repair::new("legacy-x-pkcs7-type", covers, format!("Legacy x-pkcs7 type: the message uses the old type name {essence} (RFC 8551 prefers {}).", essence.replacen("x-", "", 1))));
    }
}

/// What breaks the multipart/signed structure of RFC 1847 section 2.1 and RFC 8551
/// section 3.5.3, in words: exactly two body parts, the second an
/// application/(x-)pkcs7-signature, a protocol parameter that names that type.
/// (The x- and plain forms of the type are the same type, RFC 8551 section 3.1.)
fn multipart_signed_problems(entity: &Entity<'_>, protocol: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let parts = entity.children().len();
    if parts != 2 {
        out.push(format!("This multipart/signed has {parts} body parts; it must have exactly two, the signed content and the signature (RFC 1847). Nothing outside that pair is covered by the signature."));
    }
    let plain = |t: &str| t.trim().to_ascii_lowercase().replacen("application/x-", "application/", 1);
    let second = entity.children().get(1).map(|p| p.content_type().essence());
    if let Some(t) = &second {
        if plain(t) != "application/pkcs7-signature" {
            out.push(format!("The second part of this multipart/signed is {t}, not application/pkcs7-signature (RFC 8551 section 3.5.3)."));
        }
    }
    match (protocol, &second) {
        (None, _) => out.push("This multipart/signed has no protocol parameter, which RFC 1847 requires.".into()),
        (Some(p), Some(t)) if plain(p) != plain(t) => {
            out.push(format!("The protocol parameter ({p}) does not name the type of the signature part ({t}), as RFC 1847 requires."))
        }
        _ => {}
    }
    out
}

/// The originator the signers of `content` are bound to when it carries protected header
/// fields (RFC 9788; see `protected`): the signed From, with the outer From's problem
/// kept. None: the outer message's, as `ctx` has it. The header section is read within
/// the default limits (it was part of a message already parsed within the caller's).
fn bound_to(content: &[u8], ctx: &VerifyContext<'_>) -> Option<mime::Originator> {
    let mut inner = super::protected::signed_originator(content, ctx.from, &mime::Limits::default())?;
    if inner.problem.is_none() {
        inner.problem = ctx.from_problem.map(str::to_string);
    }
    Some(inner)
}

/// `sd` when what it signs is mail: data (id-data), or compressed data (RFC 3274) that
/// decompresses to it. A signature made over another kind of CMS content (a signed receipt,
/// a timestamp, any other protocol's structure) is not a signed message, however good it is:
/// `malformed`. A certificate bundle (no signers) is not looked at.
fn mail_content(sd: signed::ParsedSignedData) -> Result<signed::ParsedSignedData, Error> {
    if sd.signers.is_empty() || sd.econtent_type == crate::oid::OID_DATA || sd.econtent_type == OID_COMPRESSED_DATA {
        return Ok(sd);
    }
    Err(Error::new(Code::Malformed, "This signature is not over a mail message.", "Ask the sender to send the message again from a standard S/MIME mail program.").with_detail(format!("signed content type {}", sd.econtent_type)))
}

/// `ctx` with the From binding of `inner` when there is one.
fn with_originator<'a>(ctx: &VerifyContext<'a>, inner: Option<&'a mime::Originator>) -> VerifyContext<'a> {
    let (from, from_problem, sender) = match inner {
        Some(o) => (o.from.as_deref(), o.problem.as_deref(), o.sender.as_deref()),
        None => (ctx.from, ctx.from_problem, ctx.sender),
    };
    VerifyContext { from, from_problem, sender, roots: ctx.roots, pins: ctx.pins, known: ctx.known, at: ctx.at, policy: ctx.policy }
}

/// What opening a multipart/signed layer hands on: the signed part, as a new buffer when it
/// had to be put in canonical (CRLF) form, else as its range in the entity opened (the
/// caller narrows its buffer to it: for 25 MB, no copy of the signed part).
pub(super) enum Peeled {
    Owned(Vec<u8>),
    /// An enveloped or opaque layer's content, and whether it is known to be in canonical
    /// (CRLF) form (decrypted content is checked where it is decrypted).
    Content(Content<'static>, bool),
    Within(std::ops::Range<usize>),
}

#[allow(clippy::too_many_arguments)]
pub(super) fn open_multipart_signed(
    entity: &Entity<'_>,
    protocol: Option<String>,
    micalg: Option<String>,
    canonical_source: bool,
    ctx: &VerifyContext<'_>,
    covers: &str,
    report: &mut OpenReport,
    found: &mut Vec<Certificate>,
    bulk: &dyn Bulk,
) -> Option<Peeled> {
    let mut layer = Layer::malformed(LayerKind::Signed, "multipart/signed", covers, Vec::new());
    let (Some(part1), Some(part2)) = (entity.children().first(), entity.children().get(1)) else {
        layer.details.push("multipart/signed needs exactly two parts: the content and the signature.".into());
        report.layers.push(layer);
        return None;
    };
    // Structure problems make the layer malformed whatever the signature says; the
    // signature is still checked so that the details say what it covers.
    let structure = multipart_signed_problems(entity, protocol.as_deref());
    // The signed part in CRLF form. In bytes known to be canonical (`canonical_source`), a part
    // that neither starts with LF nor ends with CR is canonical itself: no second scan of it.
    let raw = part1.raw();
    let content = if canonical_source && raw.first() != Some(&b'\n') && raw.last() != Some(&b'\r') { std::borrow::Cow::Borrowed(raw) } else { mime::canonicalize_crlf(raw) };
    let peeled = |content: std::borrow::Cow<'_, [u8]>| match content {
        std::borrow::Cow::Borrowed(_) => Peeled::Within(part1.range()),
        std::borrow::Cow::Owned(c) => Peeled::Owned(c),
    };
    note_legacy_type(part2, covers, &mut report.repairs);
    if let Some(p) = protocol.as_deref().filter(|p| p.starts_with("application/x-pkcs7-")) {
        note_repair(&mut report.repairs, Repair::new("legacy-x-pkcs7-type", covers, format!("Legacy x-pkcs7 type: the multipart/signed names the old protocol {p} (RFC 8551 prefers application/pkcs7-signature).")));
    }
    note_body_repair(part2, covers, &mut report.repairs);
    let sd = match cms_body(part2).and_then(|der| signed::parse_signed_data(&der)).and_then(mail_content) {
        Ok(sd) => sd,
        Err(e) => {
            layer.details.push(e.message.clone());
            layer.details.extend(structure);
            report.error.get_or_insert(e);
            report.layers.push(layer);
            return Some(peeled(content));
        }
    };
    found.extend(sd.certificates.iter().cloned());
    layer.details.extend(sd.notes.iter().cloned());
    if let Some(e) = &sd.econtent {
        if e.as_slice() != &*content {
            layer.details.push("The signature also carries embedded content that differs from the signed part; only the displayed part was checked.".into());
        }
    }
    let inner = bound_to(&content, ctx);
    let octx = with_originator(ctx, inner.as_ref());
    let (mut status, mut signers) = verify::verify_all_with(&sd, &content, &octx, bulk);
    // Binary signed content (AS2 products sign their payload byte for byte, its lines ending
    // in LF alone): when the CRLF form does not match, the bytes exactly as received are
    // checked. Nothing else is tried, so no other content can verify.
    let raw = part1.raw();
    if status == Status::Tampered && raw != &*content {
        let (as_received, by_bytes) = verify::verify_all_with(&sd, raw, &octx, bulk);
        if as_received != Status::Tampered && as_received.severity() < status.severity() {
            (status, signers) = (as_received, by_bytes);
            note_repair(&mut report.repairs, Repair::new("signed-content-binary", covers, "The signed part was signed as binary: byte for byte as received, its lines ending in LF alone rather than in CRLF as RFC 8551 asks; Cachet checked exactly those bytes."));
        }
    }
    note_signer_repairs(&sd, covers, &mut report.repairs);
    if micalg.is_none() {
        layer.details.push("The multipart/signed has no micalg parameter (RFC 1847 requires one).".into());
    }
    if let (Some(m), Some(first)) = (micalg, signers.first()) {
        if !first.digest_algorithm.eq_ignore_ascii_case(&m) && crate::crypto::DigestAlg::from_name(&m).map(|d| d.name()) != Some(first.digest_algorithm.as_str()) {
            layer.details.push(format!("The micalg parameter ({m}) does not match the digest used ({}).", first.digest_algorithm));
        }
    }
    // (A run with placeholder digests is discarded: no diagnosis work for it.)
    if status == Status::Tampered && !bulk.incomplete() {
        diagnose_tampered(&sd, part1, &content, &signers, &mut report.diagnosis);
    }
    layer.status = if structure.is_empty() { status } else { Status::Malformed };
    layer.details.extend(structure);
    layer.signers = signers;
    report.layers.push(layer);
    Some(peeled(content))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn open_pkcs7_mime(
    entity: &Entity<'_>,
    smime_type: Option<&str>,
    ctx: &VerifyContext<'_>,
    identities: &[&Identity],
    passwords: &[&str],
    covers: &str,
    report: &mut OpenReport,
    found: &mut Vec<Certificate>,
    bulk: &dyn Bulk,
) -> Option<(Content<'static>, bool)> {
    note_legacy_type(entity, covers, &mut report.repairs);
    note_body_repair(entity, covers, &mut report.repairs);
    let der = match bulk.decoded_body(entity.raw(), &|| cms_body(entity)) {
        Ok(d) => d,
        Err(e) => {
            report.layers.push(Layer::malformed(LayerKind::Signed, "application/pkcs7-mime", covers, vec![e.message.clone()]));
            report.error.get_or_insert(e);
            return None;
        }
    };
    let oid = match signed::content_info(&der) {
        Ok((oid, _)) => oid,
        Err(e) => {
            report.layers.push(Layer::malformed(layer_kind(smime_type), "application/pkcs7-mime", covers, vec![e.message.clone()]));
            report.error.get_or_insert(e);
            return None;
        }
    };
    if oid == OID_SIGNED_DATA {
        let mut layer = Layer::malformed(LayerKind::Signed, "application/pkcs7-mime", covers, Vec::new());
        let sd = match signed::parse_signed_data(&der).and_then(mail_content) {
            Ok(sd) => sd,
            Err(e) => {
                layer.details.push(e.message.clone());
                report.error.get_or_insert(e);
                report.layers.push(layer);
                return None;
            }
        };
        found.extend(sd.certificates.iter().cloned());
        layer.details.extend(sd.notes.iter().cloned());
        let Some(content) = sd.econtent.clone() else {
            if smime_type == Some("certs-only") || sd.signers.is_empty() {
                // A certificate bundle: nothing signed, certificates to import.
                return None;
            }
            layer.details.push("Opaque signed data without its content.".into());
            report.layers.push(layer);
            return None;
        };
        // The From binding is worked out on the content the reader is given: compressed
        // content decompressed (its protected header fields, if any, are the signed ones).
        let inflated = (sd.econtent_type == OID_COMPRESSED_DATA).then(|| inflate_cms(&content, true));
        let shown = match &inflated {
            Some(Ok(c)) => c.as_slice(),
            _ => content.as_slice(),
        };
        let inner = bound_to(shown, ctx);
        let (status, signers) = verify::verify_all_with(&sd, &content, &with_originator(ctx, inner.as_ref()), bulk);
        note_signer_repairs(&sd, covers, &mut report.repairs);
        layer.status = status;
        layer.signers = signers;
        let Some(inflated) = inflated else {
            report.layers.push(layer);
            return Some((Content::Owned(content), false));
        };
        if matches!(status, Status::Tampered | Status::BadSignature) {
            // Changed after signing: content that does not decompress is part of the change,
            // not a layer of its own.
            let inner = match inflated {
                Ok(c) => {
                    note_compressed(covers, report);
                    Some(c)
                }
                Err(e) => {
                    layer.details.push(format!("{} (It was changed after signing.)", e.message));
                    None
                }
            };
            report.layers.push(layer);
            return inner.map(|c| (Content::Owned(c), false));
        }
        report.layers.push(layer);
        return decompressed_from(inflated, covers, report).map(|c| (Content::Owned(c), false));
    }
    if oid == OID_COMPRESSED_DATA {
        return decompressed(&der, false, covers, report).map(|c| (Content::Owned(c), false));
    }
    if oid == OID_ENVELOPED_DATA || oid == OID_AUTH_ENVELOPED_DATA {
        return open_enveloped_canonical(&der, identities, passwords, ctx.policy, covers, report, bulk);
    }
    let e = Error::new(Code::Malformed, format!("This S/MIME part holds an unsupported CMS content type ({oid})."), "Ask the sender to use a standard S/MIME mail program.");
    report.layers.push(Layer::malformed(LayerKind::Signed, "application/pkcs7-mime", covers, vec![e.message.clone()]));
    report.error.get_or_insert(e);
    None
}
