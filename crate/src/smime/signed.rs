//! Signed layers: `multipart/signed` (RFC 8551 3.5) and opaque `application/pkcs7-mime`
//! signed-data, each verified signer by signer (`cms::verify`); an enveloped layer met on
//! the way is handed to `enveloped`.

use crate::cms::bulk::Bulk;
use crate::cms::signed;
use crate::oid::{OID_AUTH_ENVELOPED_DATA, OID_ENVELOPED_DATA, OID_SIGNED_DATA};
use crate::cms::verify::{self, VerifyContext};
use crate::error::{Code, Error};
use crate::mime::{self, Entity};
use crate::pkcs12::Identity;
use crate::report::{Layer, LayerKind, OpenReport, Status};
use x509_cert::Certificate;
use super::enveloped::{layer_kind, open_enveloped_with};
use super::diagnose::diagnose_tampered;

fn parse_cms_body(entity: &Entity<'_>) -> std::result::Result<Vec<u8>, Error> {
    entity.body_decoded()
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

/// `ctx` with the From binding of `inner` when there is one.
fn with_originator<'a>(ctx: &VerifyContext<'a>, inner: Option<&'a mime::Originator>) -> VerifyContext<'a> {
    let (from, from_problem, sender) = match inner {
        Some(o) => (o.from.as_deref(), o.problem.as_deref(), o.sender.as_deref()),
        None => (ctx.from, ctx.from_problem, ctx.sender),
    };
    VerifyContext { from, from_problem, sender, roots: ctx.roots, pins: ctx.pins, known: ctx.known, at: ctx.at, policy: ctx.policy }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn open_multipart_signed(
    entity: &Entity<'_>,
    protocol: Option<String>,
    micalg: Option<String>,
    ctx: &VerifyContext<'_>,
    covers: &str,
    report: &mut OpenReport,
    found: &mut Vec<Certificate>,
    bulk: &dyn Bulk,
) -> Option<Vec<u8>> {
    let mut layer = Layer::malformed(LayerKind::Signed, "multipart/signed", covers, Vec::new());
    let (Some(part1), Some(part2)) = (entity.children().first(), entity.children().get(1)) else {
        layer.details.push("multipart/signed needs exactly two parts: the content and the signature.".into());
        report.layers.push(layer);
        return None;
    };
    // Structure problems make the layer malformed whatever the signature says; the
    // signature is still checked so that the details say what it covers.
    let structure = multipart_signed_problems(entity, protocol.as_deref());
    let content = mime::canonicalize_crlf(part1.raw()).into_owned();
    let sd = match parse_cms_body(part2).and_then(|der| signed::parse_signed_data(&der)) {
        Ok(sd) => sd,
        Err(e) => {
            layer.details.push(e.message.clone());
            layer.details.extend(structure);
            report.error.get_or_insert(e);
            report.layers.push(layer);
            return Some(content);
        }
    };
    found.extend(sd.certificates.iter().cloned());
    layer.details.extend(sd.notes.iter().cloned());
    if let Some(e) = &sd.econtent {
        if e != &content {
            layer.details.push("The signature also carries embedded content that differs from the signed part; only the displayed part was checked.".into());
        }
    }
    let inner = bound_to(&content, ctx);
    let (status, signers) = verify::verify_all_with(&sd, &content, &with_originator(ctx, inner.as_ref()), bulk);
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
    Some(content)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn open_pkcs7_mime(
    entity: &Entity<'_>,
    smime_type: Option<&str>,
    ctx: &VerifyContext<'_>,
    identities: &[&Identity],
    covers: &str,
    report: &mut OpenReport,
    found: &mut Vec<Certificate>,
    bulk: &dyn Bulk,
) -> Option<Vec<u8>> {
    let der = match bulk.decoded_body(entity.raw(), &|| parse_cms_body(entity)) {
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
        let sd = match signed::parse_signed_data(&der) {
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
        let inner = bound_to(&content, ctx);
        let (status, signers) = verify::verify_all_with(&sd, &content, &with_originator(ctx, inner.as_ref()), bulk);
        layer.status = status;
        layer.signers = signers;
        report.layers.push(layer);
        return Some(content);
    }
    if oid == OID_ENVELOPED_DATA || oid == OID_AUTH_ENVELOPED_DATA {
        return open_enveloped_with(&der, identities, ctx.policy, covers, report, bulk);
    }
    let e = Error::new(Code::Malformed, format!("This S/MIME part holds an unsupported CMS content type ({oid})."), "Ask the sender to use a standard S/MIME mail program.");
    report.layers.push(Layer::malformed(LayerKind::Signed, "application/pkcs7-mime", covers, vec![e.message.clone()]));
    report.error.get_or_insert(e);
    None
}
