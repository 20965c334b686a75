//! The S/MIME operations over MIME and CMS: `sign` a message and `open` one
//! (peel every layer, verify each signature, diagnose). SPEC sections 1, 3 and 8.

use crate::cert::facts::{self, matches_address};
use crate::cms::signed::{self, ParsedSignedData, OID_AUTH_ENVELOPED_DATA, OID_ENVELOPED_DATA, OID_SIGNED_DATA};
use crate::cms::verify::{self, VerifyContext};
use crate::cms::bulk::Bulk;
use crate::error::{Code, Error, Result};
use crate::mime::{self, Entity, Limits, SmimeKind};
use crate::pkcs12::Identity;
use crate::policy::Policy;
use crate::report::{Diagnosis, FoundCertificate, Layer, LayerKind, OpenReport, SignatureCheck, Status};
use crate::time::UnixTime;
use base64::Engine;
use der::Encode;
use x509_cert::Certificate;

pub use crate::smime_enc::{encrypt_message, EncryptOptions};

/// Most S/MIME layers peeled from one message (triple wrapping needs three).
pub const MAX_LAYERS: usize = 8;
/// Largest suffix (bytes) searched for text a server appended after signing.
pub const MAX_APPENDED: usize = 256 * 1024;

/// Everything `open` needs besides the message.
pub struct OpenInput<'a> {
    /// Trusted roots: the only certificates that issue (SPEC section 5).
    pub roots: &'a [Certificate],
    /// Pinned certificates: each trusted only as itself, for the addresses it names,
    /// never as an issuer.
    pub pins: &'a [Certificate],
    /// Other known certificates (contacts, intermediates): untrusted.
    pub known: &'a [Certificate],
    /// The user's identities, current and old, for decryption.
    pub identities: &'a [&'a Identity],
    pub at: UnixTime,
    pub policy: &'a Policy,
    pub limits: &'a Limits,
}

/// The report and the innermost content (the MIME entity to display).
pub struct Opened {
    pub report: OpenReport,
    pub content: Option<Vec<u8>>,
}

fn malformed_report(e: Error) -> Opened {
    Opened {
        report: OpenReport { status: Status::Malformed, layers: Vec::new(), certificates: Vec::new(), diagnosis: Vec::new(), error: Some(e) },
        content: None,
    }
}

/// Depth-first search for the first S/MIME entity; returns it and whether it is the root.
fn locate<'e, 'a>(e: &'e Entity<'a>) -> Option<&'e Entity<'a>> {
    if matches!(e.smime_kind(), Some(SmimeKind::MultipartSigned { .. } | SmimeKind::Pkcs7Mime { .. })) {
        return Some(e);
    }
    e.children().iter().find_map(locate)
}

fn path_string(p: &[usize]) -> String {
    p.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(".")
}

/// Open a message: peel every layer, verify every signature, explain what went wrong.
/// Never fails: unreadable input is a `malformed` report with an `error`.
pub fn open(message: &[u8], input: &OpenInput<'_>) -> Opened {
    open_with(message, input, &crate::cms::bulk::Portable)
}

/// [`open`] with the content digests, key unwrapping and content decryption done by
/// `bulk`. With a [`crate::cms::bulk::Deferred`], a run whose `bulk.incomplete()` is
/// true used placeholders: its result must be discarded (see `cms::bulk`).
pub fn open_with(message: &[u8], input: &OpenInput<'_>, bulk: &dyn Bulk) -> Opened {
    open_forwarded_at(message, input, bulk, 0)
}

/// [`open_with`] for a message found `depth` forwardings deep (a message/rfc822 part).
fn open_forwarded_at(message: &[u8], input: &OpenInput<'_>, bulk: &dyn Bulk, depth: usize) -> Opened {
    if message.len() > input.limits.max_message_size {
        return malformed_report(Error::new(
            Code::LimitExceeded,
            format!("The message is larger than {} MB, the most Cachet opens.", input.limits.max_message_size / (1024 * 1024)),
            "Save the message and open it with a desktop mail program.",
        ).with_detail("limit: message size"));
    }
    // A transport delivers CRLF; stores and git checkouts may hold LF. Canonicalise once
    // so every byte range below is in the form that was signed (RFC 8551 3.1.1). A
    // message already in CRLF form is kept byte for byte: binary parts (a DER signature
    // sent with binary transfer, as AS2 does) contain bytes 0x0A that are not line breaks.
    let canonical: std::borrow::Cow<'_, [u8]> = if stored_with_bare_line_breaks(message) { mime::canonicalize_crlf(message) } else { std::borrow::Cow::Borrowed(message) };
    let top = match mime::parse(&canonical, input.limits) {
        Ok(t) => t,
        Err(e) => return malformed_report(e),
    };
    let originator = top.originator();
    let mut report = OpenReport { status: Status::Unsigned, layers: Vec::new(), certificates: Vec::new(), diagnosis: Vec::new(), error: None };
    let mut found: Vec<Certificate> = Vec::new();

    let Some(located) = locate(&top) else {
        if let Some(forwarded) = open_forwarded(&top, input, bulk, depth) {
            return forwarded;
        }
        return Opened { report, content: Some(canonical.to_vec()) };
    };
    let partial = !located.path().is_empty();
    if partial {
        let covered = path_string(located.path());
        let others: Vec<String> = collect_other_texts(&top, located.path());
        report.diagnosis.push(Diagnosis {
            id: "appended-part".into(),
            message: format!(
                "Only part {covered} of this message is signed. The other parts were added outside the signature (often a disclaimer added by a mail server) and are not covered by it."
            ),
            appended_text: if others.is_empty() { None } else { Some(others.join("\n")) },
            original_verifies: None,
        });
    }

    let ctx = VerifyContext {
        from: originator.from.as_deref(),
        from_problem: originator.problem.as_deref(),
        sender: originator.sender.as_deref(),
        roots: input.roots,
        pins: input.pins,
        known: input.known,
        at: input.at,
        policy: input.policy,
    };
    // Borrowed until a layer is peeled; the innermost content is handed out once at the end.
    let mut current: std::borrow::Cow<'_, [u8]> = std::borrow::Cow::Borrowed(located.raw());
    let mut covers = path_string(located.path());
    let mut peeled = false;
    for _ in 0..MAX_LAYERS {
        let entity = match mime::parse(&current, input.limits) {
            Ok(e) => e,
            Err(e) => {
                report.error = Some(e);
                report.layers.push(Layer { kind: LayerKind::Signed, status: Status::Malformed, format: "mime".into(), covers: covers.clone(), signers: Vec::new(), encryption: None, details: Vec::new() });
                break;
            }
        };
        let next = match entity.smime_kind() {
            Some(SmimeKind::MultipartSigned { protocol, micalg }) => open_multipart_signed(&entity, protocol, micalg, &ctx, &covers, &mut report, &mut found, bulk),
            Some(SmimeKind::Pkcs7Mime { smime_type, .. }) => open_pkcs7_mime(&entity, smime_type.as_deref(), &ctx, input.identities, &covers, &mut report, &mut found, bulk),
            _ => None,
        };
        match next {
            Some(inner) => {
                current = std::borrow::Cow::Owned(inner);
                covers = if covers.is_empty() { "1".into() } else { format!("{covers}.1") };
                peeled = true;
            }
            None => {
                if !peeled && report.layers.is_empty() {
                    peeled = true;
                }
                break;
            }
        }
    }
    let content = peeled.then(|| current.into_owned());

    let mut status = report.layers.iter().fold(Status::Valid, |acc, l| acc.worst(l.status));
    let any_signed = report.layers.iter().any(|l| l.kind == LayerKind::Signed);
    if !any_signed && status.severity() <= Status::Unsigned.severity() {
        status = Status::Unsigned;
    }
    if partial && any_signed {
        status = status.worst(Status::PartiallySigned);
    }
    report.status = status;
    for c in found {
        if let Ok(der) = c.to_der() {
            if !report.certificates.iter().any(|f| f.facts.sha256 == facts::sha256_fingerprint(&c)) {
                report.certificates.push(FoundCertificate { facts: facts::facts(&c), der_base64: base64::engine::general_purpose::STANDARD.encode(der) });
            }
        }
    }
    Opened { report, content }
}

/// Most forwardings (message/rfc822 parts inside message/rfc822 parts) looked into for a
/// signed or encrypted message. Each level is a part of the one above, so the work stays
/// linear in the message size per level.
pub const MAX_FORWARD_DEPTH: usize = 3;

/// A message with no S/MIME entity of its own that forwards one as a message/rfc822 part
/// (SPEC section 1: `partially-signed`): the first such part, depth first, is opened as a
/// message of its own (its signer is bound to its own From), and the report says that only
/// that part is covered. None when no forwarded part holds S/MIME.
fn open_forwarded(top: &Entity<'_>, input: &OpenInput<'_>, bulk: &dyn Bulk, depth: usize) -> Option<Opened> {
    if depth >= MAX_FORWARD_DEPTH {
        return None;
    }
    let mut parts = Vec::new();
    forwarded_parts(top, &mut parts);
    for part in parts {
        let Ok(inner) = part.body_decoded() else { continue };
        let holds_smime = mime::parse(&inner, input.limits).map(|m| locate(&m).is_some()).unwrap_or(false);
        if !holds_smime {
            continue;
        }
        let mut opened = open_forwarded_at(&inner, input, bulk, depth + 1);
        let at = path_string(part.path());
        for layer in &mut opened.report.layers {
            layer.covers = if layer.covers.is_empty() { at.clone() } else { format!("{at}.{}", layer.covers) };
        }
        let others = collect_other_texts(top, part.path());
        opened.report.diagnosis.insert(0, Diagnosis {
            id: "forwarded-message".into(),
            message: format!(
                "Only the forwarded message (part {at}) is signed or encrypted, by its own sender. The rest of this message is not covered by its signature."
            ),
            appended_text: if others.is_empty() { None } else { Some(others.join("\n")) },
            original_verifies: None,
        });
        if opened.report.layers.iter().any(|l| l.kind == LayerKind::Signed) {
            opened.report.status = opened.report.status.worst(Status::PartiallySigned);
        }
        return Some(opened);
    }
    None
}

/// The message/rfc822 parts of `e`, depth first.
fn forwarded_parts<'e, 'a>(e: &'e Entity<'a>, out: &mut Vec<&'e Entity<'a>>) {
    if e.children().is_empty() {
        if e.content_type().essence() == "message/rfc822" && !e.path().is_empty() {
            out.push(e);
        }
        return;
    }
    for c in e.children() {
        forwarded_parts(c, out);
    }
}

/// Is the message stored with LF (or CR) line breaks rather than in transport (CRLF)
/// form? Decided by its first line break, which ends a header line.
fn stored_with_bare_line_breaks(message: &[u8]) -> bool {
    match message.iter().position(|b| *b == b'\r' || *b == b'\n') {
        Some(i) => !(message.get(i) == Some(&b'\r') && message.get(i + 1) == Some(&b'\n')),
        None => false,
    }
}

/// Texts of the leaves outside the covered subtree, for the appended-part diagnosis.
fn collect_other_texts(e: &Entity<'_>, covered: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    if e.path() == covered {
        return out;
    }
    if e.children().is_empty() {
        if let Some(t) = e.text() {
            out.push(t.trim().to_string());
        } else if let Some(name) = e.filename() {
            out.push(format!("[attachment {name}]"));
        }
        return out;
    }
    for c in e.children() {
        out.extend(collect_other_texts(c, covered));
    }
    out
}

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

#[allow(clippy::too_many_arguments)]
fn open_multipart_signed(
    entity: &Entity<'_>,
    protocol: Option<String>,
    micalg: Option<String>,
    ctx: &VerifyContext<'_>,
    covers: &str,
    report: &mut OpenReport,
    found: &mut Vec<Certificate>,
    bulk: &dyn Bulk,
) -> Option<Vec<u8>> {
    let mut layer = Layer { kind: LayerKind::Signed, status: Status::Malformed, format: "multipart/signed".into(), covers: covers.to_string(), signers: Vec::new(), encryption: None, details: Vec::new() };
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
    let (status, signers) = verify::verify_all_with(&sd, &content, ctx, bulk);
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
fn open_pkcs7_mime(
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
            report.layers.push(Layer { kind: LayerKind::Signed, status: Status::Malformed, format: "application/pkcs7-mime".into(), covers: covers.to_string(), signers: Vec::new(), encryption: None, details: vec![e.message.clone()] });
            report.error.get_or_insert(e);
            return None;
        }
    };
    let oid = match signed::content_info(&der) {
        Ok((oid, _)) => oid,
        Err(e) => {
            report.layers.push(Layer { kind: crate::smime_enc::layer_kind(smime_type), status: Status::Malformed, format: "application/pkcs7-mime".into(), covers: covers.to_string(), signers: Vec::new(), encryption: None, details: vec![e.message.clone()] });
            report.error.get_or_insert(e);
            return None;
        }
    };
    if oid == OID_SIGNED_DATA {
        let mut layer = Layer { kind: LayerKind::Signed, status: Status::Malformed, format: "application/pkcs7-mime".into(), covers: covers.to_string(), signers: Vec::new(), encryption: None, details: Vec::new() };
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
        let (status, signers) = verify::verify_all_with(&sd, &content, ctx, bulk);
        layer.status = status;
        layer.signers = signers;
        report.layers.push(layer);
        return Some(content);
    }
    if oid == OID_ENVELOPED_DATA || oid == OID_AUTH_ENVELOPED_DATA {
        return crate::smime_enc::open_enveloped_with(&der, identities, ctx.policy, covers, report, bulk);
    }
    let e = Error::new(Code::Malformed, format!("This S/MIME part holds an unsupported CMS content type ({oid})."), "Ask the sender to use a standard S/MIME mail program.");
    report.layers.push(Layer { kind: LayerKind::Signed, status: Status::Malformed, format: "application/pkcs7-mime".into(), covers: covers.to_string(), signers: Vec::new(), encryption: None, details: vec![e.message.clone()] });
    report.error.get_or_insert(e);
    None
}

/// Most candidate originals tried when diagnosing a tampered signature, for each of the
/// two searches: the last parts of a signed multipart (each removed in turn, the last
/// first), and the line boundaries in the last [`MAX_APPENDED`] bytes (nearest the end
/// first). Beyond it the diagnosis says only that the content changed.
pub const MAX_DIAGNOSIS_CANDIDATES: usize = 1024;

/// The signers' claimed messageDigests, grouped by digest algorithm.
fn claims_by_alg(sd: &ParsedSignedData) -> Vec<(crate::crypto::DigestAlg, Vec<Vec<u8>>)> {
    let mut out: Vec<(crate::crypto::DigestAlg, Vec<Vec<u8>>)> = Vec::new();
    for (alg, want) in sd.signers.iter().filter_map(verify::claimed_digest) {
        match out.iter_mut().find(|(a, _)| *a == alg) {
            Some((_, wants)) => wants.push(want),
            None => out.push((alg, vec![want])),
        }
    }
    out
}

/// A part of the signed multipart whose removal is a candidate original: the content up to
/// `cut` (the delimiter before the part) followed by the content from `end` on.
struct Removal {
    child: usize,
    cut: usize,
    end: usize,
}

/// The digest failed: find whether text was appended to the signed part, or a part
/// added inside it, after signing; report the addition and whether the original verifies.
///
/// # Security
/// `content` is untrusted. The work is linear in its size: every candidate original's
/// digest is computed from running hash states (a prefix is hashed once for all
/// candidates), at most [`MAX_DIAGNOSIS_CANDIDATES`] candidates of each kind are tried, and
/// the bytes hashed after the removed parts are bounded by the content's length.
fn diagnose_tampered(sd: &ParsedSignedData, part1: &Entity<'_>, content: &[u8], signers: &[crate::report::SignerReport], out: &mut Vec<Diagnosis>) {
    let signature_ok = signers.iter().all(|s| matches!(s.signature, SignatureCheck::DigestMismatch | SignatureCheck::Good));
    let claims = claims_by_alg(sd);
    // (a) A part appended inside a signed multipart.
    if let Some(child) = appended_part(part1, content, &claims) {
        out.push(Diagnosis {
            id: "appended-part".into(),
            message: "A part was added to the signed content after signing, probably by a mail server (a disclaimer or footer). Without it, the original content matches the signature.".into(),
            appended_text: child.text().map(|t| t.trim().to_string()).or_else(|| child.filename().map(|n| format!("[attachment {n}]"))),
            original_verifies: Some(signature_ok),
        });
        return;
    }
    // (b) Text appended at the end of the signed part: try every line boundary in the tail.
    if let Some(cut) = appended_text_cut(content, &claims) {
        let appended = String::from_utf8_lossy(content.get(cut..).unwrap_or(&[])).trim().to_string();
        out.push(Diagnosis {
            id: "appended-text".into(),
            message: "Text was added to the end of the signed content after signing, probably by a mail server (a disclaimer or footer). Without it, the original content matches the signature.".into(),
            appended_text: Some(appended),
            original_verifies: Some(signature_ok),
        });
        return;
    }
    out.push(Diagnosis {
        id: "changed".into(),
        message: "The content was changed after signing, and the change is not a simple addition at the end.".into(),
        appended_text: None,
        original_verifies: Some(false),
    });
}

/// The child of `part1` (a multipart) without which `content` matches every claim, the
/// last such child first.
fn appended_part<'e, 'a>(part1: &'e Entity<'a>, content: &[u8], claims: &[(crate::crypto::DigestAlg, Vec<Vec<u8>>)]) -> Option<&'e Entity<'a>> {
    let boundary = part1.content_type().param("boundary").map(str::to_string)?;
    if claims.is_empty() {
        return None;
    }
    let base = part1.range().start;
    let delim = format!("\r\n--{boundary}");
    let finder = memchr::memmem::FinderRev::new(delim.as_bytes());
    // Each part's delimiter lies between the previous part's end and its own start: every
    // search looks at its own stretch of the content, once.
    let mut removals: Vec<Removal> = Vec::new();
    let mut from = 0usize;
    for (i, child) in part1.children().iter().enumerate() {
        let r = child.range();
        let (Some(start), Some(end)) = (r.start.checked_sub(base), r.end.checked_sub(base)) else { continue };
        let region_start = from.min(start);
        if let Some(at) = content.get(region_start..start).and_then(|region| finder.rfind(region)) {
            let cut = region_start + at;
            if end >= cut && end <= content.len() {
                removals.push(Removal { child: i, cut, end });
            }
        }
        from = end.saturating_sub(2).max(from);
    }
    // The last parts only, tried last first (a footer part is added at the end).
    let skip = removals.len().saturating_sub(MAX_DIAGNOSIS_CANDIDATES);
    let removals = removals.get(skip..).unwrap_or(&[]);
    let first_cut = removals.first()?.cut;
    // Per algorithm: the hash state after content[..cut] for every candidate, by one pass.
    let mut prefixes: Vec<Vec<crate::crypto::Hasher>> = Vec::new();
    for (alg, _) in claims {
        let mut h = crate::crypto::Hasher::new(*alg).ok()?;
        h.update(content.get(..first_cut)?);
        let mut done = first_cut;
        let mut states = Vec::with_capacity(removals.len());
        for rm in removals {
            h.update(content.get(done..rm.cut.max(done))?);
            done = rm.cut.max(done);
            states.push(h.clone());
        }
        prefixes.push(states);
    }
    // The bytes after the removed part are hashed per candidate: at most the content's
    // length in all, so the whole search stays linear.
    let mut suffix_budget = content.len();
    for (k, rm) in removals.iter().enumerate().rev() {
        let suffix = content.get(rm.end..)?;
        let cost = suffix.len().saturating_mul(claims.len());
        if cost > suffix_budget {
            break;
        }
        suffix_budget -= cost;
        let matches = claims.iter().zip(&prefixes).all(|((_, wants), states)| {
            states.get(k).is_some_and(|state| {
                let mut h = state.clone();
                h.update(suffix);
                let d = h.finalize();
                wants.iter().all(|w| *w == d)
            })
        });
        if matches {
            return part1.children().get(rm.child);
        }
    }
    None
}

/// The offset from which text appended to `content` after signing starts: a line boundary
/// in the last [`MAX_APPENDED`] bytes where the content before it matches a claim.
fn appended_text_cut(content: &[u8], claims: &[(crate::crypto::DigestAlg, Vec<Vec<u8>>)]) -> Option<usize> {
    let (alg, wants) = claims.first()?;
    let mut hasher = crate::crypto::Hasher::new(*alg).ok()?;
    let tail_start = content.len().saturating_sub(MAX_APPENDED);
    let mut cuts: Vec<usize> = Vec::new();
    let tail = content.get(tail_start..)?;
    for at in memchr::memmem::find_iter(tail, b"\r\n") {
        cuts.push(tail_start + at); // drop from this CRLF on
        cuts.push(tail_start + at + 2); // keep this CRLF
    }
    // Only the boundaries nearest the end are candidates; the content before them is
    // hashed once, incrementally.
    let skip = cuts.len().saturating_sub(MAX_DIAGNOSIS_CANDIDATES);
    let mut done = 0usize;
    for (n, cut) in cuts.into_iter().enumerate() {
        hasher.update(content.get(done..cut).unwrap_or(&[]));
        done = cut;
        if n < skip {
            continue;
        }
        let candidate_digest = hasher.clone().finalize();
        if wants.contains(&candidate_digest) {
            return Some(cut);
        }
    }
    None
}

/// Header fields that stay outside the signed entity (RFC 5322 transport headers).
fn is_content_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("content-")
}

/// Sign a message (RFC 5322 headers + MIME body). The body and its Content-* fields
/// become the signed entity in canonical 7-bit form; the other header fields stay on
/// the outside. Clear-signed multipart/signed by default, opaque with `opaque`.
/// The composition of the phases [`prepare_signing`], [`SignPlan::signed_attributes`]
/// and [`SignPlan::finish`], every step computed in the core.
pub fn sign_message(message: &[u8], identity: &Identity, opaque: bool, at: UnixTime, limits: &Limits) -> Result<Vec<u8>> {
    let plan = prepare_signing(message, identity, opaque, at, limits)?;
    let md = crate::crypto::digest(plan.digest_algorithm(), plan.content())?;
    let attrs = plan.signed_attributes(&md)?;
    plan.finish(attrs, None)
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

/// Phase 1 of signing: parse and canonicalise the message, check the identity and the
/// From address, build the entity to sign.
pub fn prepare_signing<'a>(message: &[u8], identity: &'a Identity, opaque: bool, at: UnixTime, limits: &Limits) -> Result<SignPlan<'a>> {
    let canonical = mime::canonicalize_crlf(message);
    let top = mime::parse(&canonical, limits)?;
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
    let digest = crate::cms::sign::check_signer(identity)?;
    let inner = seven_bit_entity(&top, true)?;
    let outer: Vec<(String, String)> = top
        .headers()
        .filter(|(name, _)| !is_content_header(name) && !name.eq_ignore_ascii_case("mime-version"))
        .map(|(name, value)| (name.to_string(), mime::received_value(name, value)))
        .collect();
    Ok(SignPlan { identity, outer, inner, opaque, digest, at })
}

impl SignPlan<'_> {
    /// The digest algorithm to hash [`SignPlan::content`] with.
    pub fn digest_algorithm(&self) -> crate::crypto::DigestAlg {
        self.digest
    }

    /// The bytes to hash: the signed entity.
    pub fn content(&self) -> &[u8] {
        &self.inner
    }

    /// Phase 2: the signed attributes over the content's digest (the small DER to sign).
    pub fn signed_attributes(&self, digest: &[u8]) -> Result<crate::cms::sign::SignedAttributes> {
        crate::cms::sign::signed_attributes(self.identity, self.digest, digest, self.at)
    }

    /// The signatureAlgorithm for an RSA signature made outside the core over
    /// `SignedAttributes::der` (PKCS#1 v1.5, or PSS with salt = hash length when the
    /// certificate is RSASSA-PSS); None when the key is not RSA.
    pub fn external_signature_algorithm(&self) -> Result<Option<spki::AlgorithmIdentifierOwned>> {
        crate::cms::sign::rsa_signature_algorithm(self.identity, self.digest)
    }

    /// Whether the signature must use RSASSA-PSS.
    pub fn uses_pss(&self) -> bool {
        crate::cms::sign::uses_pss(self.identity)
    }

    /// Phase 3: the message. `signature`: a signature made outside the core with its
    /// algorithm (checked here against the certificate), or None to sign in the core.
    pub fn finish(self, attrs: crate::cms::sign::SignedAttributes, signature: Option<(spki::AlgorithmIdentifierOwned, Vec<u8>)>) -> Result<Vec<u8>> {
        let (algorithm, value) = match signature {
            Some((algorithm, value)) => {
                crate::cms::sign::check_signature(self.identity, &attrs, &algorithm, &value)?;
                (algorithm, value)
            }
            None => crate::cms::sign::sign_attributes(self.identity, &attrs)?,
        };
        let der = crate::cms::sign::assemble(self.identity, &self.inner, self.opaque, attrs, algorithm, value)?;
        Ok(if self.opaque {
            mime::build_pkcs7_mime(&self.outer, "signed-data", &der)
        } else {
            mime::build_multipart_signed_owned(&self.outer, self.inner, self.digest.micalg(), &der)
        })
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
fn is_seven_bit(body: &[u8]) -> bool {
    // In blocks without early exit, so the byte test is vectorised.
    let bytes_ok = body.chunks(512).all(|chunk| chunk.iter().fold(true, |ok, &b| ok & (b.wrapping_sub(1) < 0x7f)));
    if !bytes_ok {
        return false;
    }
    // Every line is at most 998 bytes when each window of 999 bytes from a line start holds
    // a LF: jump to the last LF of the window rather than visiting every line.
    let mut line_start = 0usize;
    while body.len() - line_start > 998 {
        let window = body.get(line_start..line_start + 999).unwrap_or_default();
        match memchr::memrchr(b'\n', window) {
            Some(i) => line_start += i + 1,
            None => return false,
        }
    }
    true
}

fn seven_bit_entity_into(e: &Entity<'_>, top: bool, out: &mut Vec<u8>) -> Result<()> {
    let ct = e.content_type();
    let mut header_lines: Vec<(String, Vec<u8>)> = e
        .headers()
        .filter(|(n, _)| !top || is_content_header(n))
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    if top && !header_lines.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
        header_lines.insert(0, ("Content-Type".into(), b" text/plain; charset=us-ascii".to_vec()));
    }
    if !e.children().is_empty() {
        let boundary = ct.param("boundary").unwrap_or("");
        write_headers(out, &header_lines);
        out.extend_from_slice(b"\r\n");
        for c in e.children() {
            out.extend_from_slice(b"--");
            out.extend_from_slice(boundary.as_bytes());
            out.extend_from_slice(b"\r\n");
            seven_bit_entity_into(c, false, out)?;
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"--\r\n");
        return Ok(());
    }
    let body = e.body_raw();
    if is_seven_bit(body) {
        write_headers(out, &header_lines);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
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
        write_headers(out, &header_lines);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(mime::quoted_printable(&text).as_bytes());
    } else {
        header_lines.push(("Content-Transfer-Encoding".into(), b" base64".to_vec()));
        write_headers(out, &header_lines);
        out.extend_from_slice(b"\r\n");
        mime::push_base64_lines(out, &decoded);
    }
    Ok(())
}

fn write_headers(out: &mut Vec<u8>, lines: &[(String, Vec<u8>)]) {
    for (n, v) in lines {
        out.extend_from_slice(n.as_bytes());
        out.push(b':');
        out.extend_from_slice(v);
        if !v.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_openssl::{require_openssl, TempDir};

    fn has_bare_lf(b: &[u8]) -> bool {
        b.iter().enumerate().any(|(i, c)| *c == b'\n' && (i == 0 || b.get(i - 1) != Some(&b'\r')))
    }

    /// A detached OpenSSL signature (DER) whose bytes include a bare 0x0A, its certificate.
    fn der_signature_with_lf(d: &TempDir, content: &[u8]) -> (Vec<u8>, Certificate) {
        d.write("content.txt", content);
        for _ in 0..20 {
            d.openssl(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-subj", "/CN=Binary", "-days", "3650", "-sha256", "-addext", "subjectAltName=email:binary@example.org", "-addext", "keyUsage=digitalSignature", "-addext", "basicConstraints=CA:FALSE", "-out", "c.pem"]);
            d.openssl(&["cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER", "-in", "content.txt", "-signer", "c.pem", "-inkey", "k.pem", "-out", "s.der"]);
            let der = d.read("s.der");
            if has_bare_lf(&der) {
                return (der, crate::cert::facts::parse_certificates(&d.read("c.pem")).unwrap().remove(0));
            }
        }
        panic!("no signature with a 0x0A byte in 20 tries");
    }

    #[test]
    fn seven_bit_check_counts_lines_and_bytes() {
        let line = |n: usize| vec![b'a'; n];
        let join = |lines: &[Vec<u8>]| lines.join(&b"\r\n"[..]);
        // A line's length counts its CR (RFC 5322 2.1.1 allows 998 before CRLF; the check is on LF).
        assert!(is_seven_bit(&join(&[line(10), line(997), line(3)])));
        assert!(is_seven_bit(&join(&[line(997), line(997), line(997), line(998)])));
        assert!(!is_seven_bit(&join(&[line(10), line(998), line(3)])));
        assert!(!is_seven_bit(&join(&[line(997), line(999)])));
        assert!(is_seven_bit(&line(998)) && !is_seven_bit(&line(999)) && is_seven_bit(b""));
        let mut long = join(&vec![line(76); 5000]);
        assert!(is_seven_bit(&long));
        long.extend_from_slice(&line(1200));
        assert!(!is_seven_bit(&long));
        assert!(!is_seven_bit(b"abc\x00") && !is_seven_bit(b"caf\xc3\xa9") && is_seven_bit(b"\x7f\x01"));
    }

    #[test]
    fn binary_signature_part_in_a_crlf_message_is_not_rewritten() {
        require_openssl();
        let d = TempDir::new("smime-binary");
        let content = b"Content-Type: text/plain\r\n\r\nBinary transfer.\r\n";
        let (der, cert) = der_signature_with_lf(&d, content);
        let mut msg = b"From: <binary@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"b\"\r\n\r\n--b\r\n".to_vec();
        msg.extend_from_slice(content);
        msg.extend_from_slice(b"\r\n--b\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: binary\r\n\r\n");
        msg.extend_from_slice(&der);
        msg.extend_from_slice(b"\r\n--b--\r\n");
        let anchors = [cert];
        let (policy, limits) = (Policy::standard(), Limits::default());
        let input = OpenInput { roots: &[], pins: &anchors, known: &[], identities: &[], at: UnixTime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap(), policy: &policy, limits: &limits };
        let r = open(&msg, &input).report;
        assert_eq!(r.status, Status::Valid, "{:?} {:?}", r.error, r.layers.first().map(|l| (&l.details, l.signers.first().map(|s| &s.details))));
        // The same message stored with LF line breaks (a text-only copy, signature in base64) still verifies.
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let lf = String::from_utf8(msg[..msg.len() - der.len() - b"\r\n--b--\r\n".len()].to_vec()).unwrap().replace("Encoding: binary", "Encoding: base64").replace("\r\n", "\n") + &b64 + "\n--b--\n";
        assert_eq!(open(lf.as_bytes(), &input).report.status, Status::Valid);
        assert!(stored_with_bare_line_breaks(b"From: a\nTo: b\r\n") && stored_with_bare_line_breaks(b"From: a\rTo: b") && !stored_with_bare_line_breaks(b"From: a\r\nX: \n"));
    }
}
