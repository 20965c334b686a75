//! Opening a message (SPEC sections 1, 2 and 8): find the S/MIME entity, peel every
//! layer (`signed`, `enveloped`), open forwarded messages, and report what lies outside
//! the protected part.

use crate::cert::facts;
use crate::cms::bulk::{compute_portable, Bulk, Deferred};
use crate::cms::verify::VerifyContext;
use crate::error::{Code, Error};
use crate::mime::{self, Entity, LineBreaks, Limits, SmimeKind};
use crate::pkcs12::Identity;
use crate::policy::Policy;
use crate::report::{Diagnosis, FoundCertificate, Layer, LayerKind, OpenReport, Repair, Status};
use crate::time::UnixTime;
use base64::Engine;
use der::Encode;
use x509_cert::Certificate;
use super::content::Content;
use super::signed::{open_multipart_signed, open_pkcs7_mime, Peeled};

/// Most S/MIME layers peeled from one message (triple wrapping needs three).
pub const MAX_LAYERS: usize = 8;

/// Most runs of `open` against a [`Deferred`] (each run answers at least one more bulk step;
/// an encrypted layer costs a run, and each further candidate key tried on its content one
/// more; each layer may cost one more run for its RSA-OAEP unwraps). Past it, the message is
/// opened portably.
pub const MAX_RUNS: usize = 3 * MAX_LAYERS + crate::cms::decrypt::MAX_CONTENT_DECRYPTIONS + 2;

/// The kind of S/MIME layer an entity is, if it is one `open` would peel (a certificate
/// bundle is not a layer): a pkcs7-mime part's as its smime-type announces it
/// ([`super::enveloped::layer_kind`]).
fn peeled_kind(entity: &Entity<'_>) -> Option<LayerKind> {
    match entity.smime_kind()? {
        SmimeKind::MultipartSigned { .. } => Some(LayerKind::Signed),
        SmimeKind::Pkcs7Mime { smime_type, .. } => (smime_type.as_deref() != Some("certs-only")).then(|| super::enveloped::layer_kind(smime_type.as_deref())),
        SmimeKind::Pkcs7Signature => None,
    }
}

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
    /// Passwords to try on a password-encrypted message (RFC 3211), as the user typed them.
    pub passwords: &'a [String],
    pub at: UnixTime,
    pub policy: &'a Policy,
    pub limits: &'a Limits,
}

/// The report and the innermost content (the MIME entity to display).
pub struct Opened {
    pub report: OpenReport,
    pub content: Option<Vec<u8>>,
}

/// [`Opened`] with the content borrowed from the message when it is a part of it as received
/// (a clear-signed message's signed part), or shared with the decoded body it was decrypted
/// in: the caller copies it once, where it needs it (for 25 MB, no second copy in Wasm memory
/// before JavaScript's).
pub struct OpenedRef<'m> {
    pub report: OpenReport,
    pub content: Option<Content<'m>>,
}

impl From<OpenedRef<'_>> for Opened {
    fn from(o: OpenedRef<'_>) -> Opened {
        Opened { report: o.report, content: o.content.map(Content::into_owned) }
    }
}

impl From<Opened> for OpenedRef<'_> {
    fn from(o: Opened) -> Self {
        OpenedRef { report: o.report, content: o.content.map(Content::Owned) }
    }
}

fn malformed_report<'m>(e: Error) -> OpenedRef<'m> {
    OpenedRef {
        report: OpenReport { status: Status::Malformed, layers: Vec::new(), certificates: Vec::new(), diagnosis: Vec::new(), protected_headers: None, repairs: Vec::new(), error: Some(e) },
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
    open_with_borrowed(message, input, bulk).into()
}

/// [`open_with`] with the content borrowed from `message` where it can be ([`OpenedRef`]).
pub fn open_with_borrowed<'m>(message: &'m [u8], input: &OpenInput<'_>, bulk: &dyn Bulk) -> OpenedRef<'m> {
    // Every key pair of every identity decrypts (a separate encryption key too).
    let keys: Vec<&Identity> = input.identities.iter().flat_map(|i| i.key_pairs()).collect();
    let input = OpenInput { identities: &keys, ..*input };
    open_forwarded_at(message, &input, bulk, 0)
}

/// A received message that is one base64 S/MIME entity (an encrypted or opaque-signed
/// message), its body decoded in the message's own buffer by [`decode_top_in_place`].
pub struct DecodedTop {
    /// The message's header section in CRLF form, with an empty body: what every run of `open`
    /// with [`crate::cms::bulk::Deferred::for_decoded_top`] parses in the message's place.
    pub head: Vec<u8>,
    /// The decoded body: the message's own buffer, holding the DER.
    pub body: Vec<u8>,
    /// The line breaks of the message as received (a repair is reported for mixed ones).
    pub line_breaks: LineBreaks,
}

/// What [`decode_top_in_place`] made of a message.
pub enum TopDecode {
    Decoded(DecodedTop),
    /// Not such a message (or too large to open): given back as it was.
    Unchanged(Vec<u8>),
    /// The body was not base64 of the common shape (lines of whole groups): the buffer was
    /// partly decoded over and is gone. Open the message as received, the usual way.
    Spoiled,
}

/// A message whose whole body is one base64 `application/pkcs7-mime` entity, with that body
/// decoded over the message's own buffer: the DER is then the only copy of the body in
/// memory (for 25 MB, 34 MiB of base64 and 25 MiB of DER were alive together before). Runs of
/// `open` then parse the header section alone ([`DecodedTop::head`]) and take the entity's
/// body from the seam ([`crate::cms::bulk::Deferred::for_decoded_top`]), which also hands
/// them the message's line-break verdict: everything else `open` reads of such a message is
/// in its header section, and base64 decoding skips line breaks, so the reports are those of
/// opening the message as received (a test compares them). One thing differs: when nothing is
/// peeled (a certificate bundle), the content is the message itself, which those runs give as
/// the header section they were given; the caller then opens the message as received.
pub fn decode_top_in_place(mut message: Vec<u8>, limits: &Limits) -> TopDecode {
    if message.len() > limits.max_message_size {
        return TopDecode::Unchanged(message);
    }
    let body_start = {
        let Ok(top) = mime::parse(&message, limits) else { return TopDecode::Unchanged(message) };
        let whole = top.range() == (0..message.len()) && top.children().is_empty();
        if !whole || !matches!(top.smime_kind(), Some(SmimeKind::Pkcs7Mime { .. })) || top.transfer_encoding() != "base64" {
            return TopDecode::Unchanged(message);
        }
        message.len() - top.body_raw().len()
    };
    let received_head = message.get(..body_start).unwrap_or_default();
    // The decoder tells how the body's lines ended, so only the header section is scanned
    // here (the body was scanned whole before: for 25 MB, 34 MiB read once more). A header
    // section that does not end in LF would pair its last byte with the body's first: then the
    // whole message is scanned, before its body is decoded over. A base64 body is not a binary
    // CMS body: no ranges are kept out of the scan.
    let scanned = if received_head.last() == Some(&b'\n') { Ok(HeadBreaks::of(received_head)) } else { Err(line_breaks(&message, &[])) };
    let head = mime::canonicalize_crlf(received_head).into_owned();
    match mime::decode_base64_in_place(&mut message, body_start) {
        // Not shrunk to the DER: its end, given back, would take the allocations made while
        // the body lives, and the next message of that size would not fit where this one was.
        Some((_, body)) => {
            let line_breaks = match scanned {
                Ok(head) => head.with_body(body),
                Err(whole) => whole,
            };
            TopDecode::Decoded(DecodedTop { head, body: message, line_breaks })
        }
        None => TopDecode::Spoiled,
    }
}

/// How the lines of a header section ending in LF ended: with [`cachet_bytes::BodyBreaks`] of
/// the body after it, the [`line_breaks`] of the whole message (a test compares them).
#[derive(Clone, Copy)]
struct HeadBreaks {
    canonical: bool,
    crlf: bool,
    lf: bool,
}

impl HeadBreaks {
    fn of(head: &[u8]) -> Self {
        let (crlf, lf) = line_ends(head, &[]);
        Self { canonical: mime::is_canonical(head), crlf, lf }
    }

    /// The header section ends in LF, so its last byte pairs with nothing in the body, and a
    /// decoded body has no CR but in its CRLF line ends and maybe as its last byte.
    fn with_body(self, body: cachet_bytes::BodyBreaks) -> LineBreaks {
        if self.canonical && !body.lf && !body.cr_at_end {
            LineBreaks::Canonical
        } else if (self.crlf || body.crlf) && (self.lf || body.lf) {
            LineBreaks::Mixed
        } else {
            LineBreaks::Other
        }
    }
}

/// Open a message decoded by [`decode_top_in_place`] all in the core, with no buffer of its
/// content's size beside the decoded body: runs of `open` on its header section
/// ([`Deferred::for_decoded_top`]) until one needs nothing more, each content decryption done
/// over its ciphertext in that body ([`Deferred::answer_decrypting_in_place`]) and every other
/// request computed by [`compute_portable`]. The report and content are those of [`open`] of
/// the message as received (a test compares them). Where the runs cannot give them (nothing
/// peeled, so the content is the message itself; more than [`MAX_RUNS`] runs; a request the
/// core cannot compute), the message as received is read again with `again` and opened by
/// [`open`]; an error of `again` is returned.
pub fn open_decoded<E>(top: DecodedTop, input: &OpenInput<'_>, again: impl FnOnce() -> std::result::Result<Vec<u8>, E>) -> std::result::Result<OpenedRef<'static>, E> {
    let DecodedTop { head, body, line_breaks } = top;
    let deferred = Deferred::for_decoded_top(&head, body, line_breaks).inline_small_decryptions();
    'runs: for _ in 0..MAX_RUNS {
        deferred.begin_run();
        let opened = open_with_borrowed(&head, input, &deferred);
        let mut runs_again = deferred.incomplete();
        for (seq, request) in deferred.take_requests() {
            let Some(request) = deferred.answer_decrypting_in_place(seq, request) else {
                // A decryption is never an assumption the run could confirm.
                runs_again = true;
                continue;
            };
            match compute_portable(&request) {
                Ok(answer) => runs_again |= !deferred.answer(seq, &request, answer),
                Err(_) => break 'runs,
            }
        }
        if !runs_again {
            let content = match opened.content {
                None => None,
                Some(Content::Owned(v)) => Some(Content::Owned(v)),
                Some(Content::InBody(b)) => Some(Content::InBody(b)),
                // Borrowed from the header section alone: the message itself.
                Some(Content::Borrowed(_)) => break,
            };
            return Ok(OpenedRef { report: opened.report, content });
        }
    }
    Ok(open(&again()?, input).into())
}

/// [`open_with`] for a message found `depth` forwardings deep (a message/rfc822 part).
fn open_forwarded_at<'m>(message: &'m [u8], input: &OpenInput<'_>, bulk: &dyn Bulk, depth: usize) -> OpenedRef<'m> {
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
    // Raw DER parts (a binary signature, issue 17) are kept as received: their 0x0A bytes
    // are not line breaks.
    let first = match mime::parse(message, input.limits) {
        Ok(t) => t,
        Err(e) => return malformed_report(e),
    };
    let binary = binary_cms_bodies(&first);
    let breaks = bulk.line_breaks(message, &|| line_breaks(message, &binary));
    let mixed = breaks == LineBreaks::Mixed;
    let canonical: std::borrow::Cow<'_, [u8]> = if stored_with_bare_line_breaks(message) { canonicalize_except(message, &binary) } else { std::borrow::Cow::Borrowed(message) };
    // Kept as received: the parse of the received bytes is the parse of the canonical form
    // (for 25 MB, one whole-message parse fewer).
    let top = match &canonical {
        std::borrow::Cow::Borrowed(_) => first,
        std::borrow::Cow::Owned(c) => match mime::parse(c, input.limits) {
            Ok(t) => t,
            Err(e) => return malformed_report(e),
        },
    };
    let originator = top.originator();
    let mut report = OpenReport { status: Status::Unsigned, layers: Vec::new(), certificates: Vec::new(), diagnosis: Vec::new(), protected_headers: None, repairs: Vec::new(), error: None };
    if mixed {
        report.repairs.push(Repair::new("line-endings-mixed", "", "Line endings were mixed: some lines end in CRLF and others in LF alone (mail must use CRLF); Cachet read both, and checked signatures over the CRLF form, which is what was signed."));
    }
    let mut found: Vec<Certificate> = Vec::new();

    let Some(located) = locate(&top) else {
        if let Some(forwarded) = open_forwarded(&top, input, bulk, depth) {
            return forwarded.into();
        }
        let content = match &canonical {
            std::borrow::Cow::Borrowed(_) => Content::Borrowed(message),
            std::borrow::Cow::Owned(c) => Content::Owned(c.clone()),
        };
        return OpenedRef { report, content: Some(content) };
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
    let passwords: Vec<&str> = input.passwords.iter().map(String::as_str).collect();
    // Borrowed until a layer is peeled; the innermost content is handed out once at the end.
    let mut current: Content<'_> = Content::Borrowed(located.raw());
    let mut covers = path_string(located.path());
    let mut peeled = false;
    // Whether `current` is the very content a signature's From binding was worked out on
    // (the last layer peeled was a signed one): only then are its protected header fields
    // signed ones. Decompressing or decrypting below a signature gives other content.
    let mut bound = false;
    // Whether `current` is known to be canonical: the message as received, when it is; after a
    // layer is peeled, only decrypted content (checked where it is decrypted); anything else is
    // checked where it is read.
    let mut canonical_source = breaks == LineBreaks::Canonical && matches!(canonical, std::borrow::Cow::Borrowed(_));
    for round in 0..=MAX_LAYERS {
        let entity = match mime::parse(&current, input.limits) {
            Ok(e) => e,
            Err(e) => {
                report.error = Some(e);
                report.layers.push(Layer::malformed(LayerKind::Signed, "mime", &covers, Vec::new()));
                break;
            }
        };
        if round == MAX_LAYERS {
            // One more layer than the limit: refused, not shown as the content (SPEC section 8).
            if let Some(kind) = peeled_kind(&entity) {
                report.error = Some(mime::exceeded("MAX_LAYERS", MAX_LAYERS, format!("a layer inside {MAX_LAYERS} S/MIME layers")));
                report.layers.push(Layer::malformed(kind, "mime", &covers, Vec::new()));
            }
            break;
        }
        let layers_before = report.layers.len();
        let next = match entity.smime_kind() {
            Some(SmimeKind::MultipartSigned { protocol, micalg }) => open_multipart_signed(&entity, protocol, micalg, canonical_source, &ctx, &covers, &mut report, &mut found, bulk),
            Some(SmimeKind::Pkcs7Mime { smime_type, .. }) => open_pkcs7_mime(&entity, smime_type.as_deref(), &ctx, input.identities, &passwords, &covers, &mut report, &mut found, bulk).map(|(content, canonical)| Peeled::Content(content, canonical)),
            _ => None,
        };
        match next {
            Some(inner) => {
                // Decrypted content is known canonical (checked, or put in that form, where it
                // was decrypted): the signed part of a multipart/signed inside it is not
                // scanned again. Nothing else peeled is assumed canonical.
                canonical_source = matches!(inner, Peeled::Content(_, true));
                current = match inner {
                    Peeled::Owned(inner) => Content::Owned(inner),
                    Peeled::Content(inner, _) => inner,
                    Peeled::Within(range) => narrowed(std::mem::replace(&mut current, Content::Owned(Vec::new())), range),
                };
                covers = if covers.is_empty() { "1".into() } else { format!("{covers}.1") };
                peeled = true;
                bound = report.layers.len() > layers_before && report.layers.last().is_some_and(|l| l.kind == LayerKind::Signed);
            }
            None => {
                if !peeled && report.layers.is_empty() {
                    peeled = true;
                }
                break;
            }
        }
    }
    // Still a part of the message as received: borrowed from it, not copied.
    let content = peeled.then(|| match current {
        Content::Borrowed(c) => within(c, message).map_or_else(|| Content::Owned(c.to_vec()), Content::Borrowed),
        Content::Owned(c) => Content::Owned(c),
        Content::InBody(b) => Content::InBody(b),
    });
    if let Some(c) = &content {
        super::protected::report_protected_headers(c, &top, bound, &mut report, input.limits);
    }

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
    OpenedRef { report, content }
}

/// `part` as a slice of `whole` when it is one (the very bytes, found by their place).
fn within<'w>(part: &[u8], whole: &'w [u8]) -> Option<&'w [u8]> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let found = whole.get(start..start.checked_add(part.len())?)?;
    std::ptr::eq(found, part).then_some(found)
}

/// `bytes` narrowed to `range` without a copy: a borrowed slice is sliced, an owned buffer
/// cut in place (its bytes moved to the front, no new allocation), a shared one's range
/// narrowed. A range outside `bytes` (which the parser never gives) is empty content.
fn narrowed(bytes: Content<'_>, range: std::ops::Range<usize>) -> Content<'_> {
    match bytes {
        Content::Borrowed(b) => Content::Borrowed(b.get(range).unwrap_or_default()),
        Content::Owned(mut v) => {
            if v.get(range.clone()).is_none() {
                return Content::Owned(Vec::new());
            }
            v.truncate(range.end);
            v.drain(..range.start);
            Content::Owned(v)
        }
        Content::InBody(b) => Content::InBody(b.narrowed(range)),
    }
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
        let mut opened: Opened = open_forwarded_at(&inner, input, bulk, depth + 1).into();
        // Its protected header fields are the forwarded message's, not this one's: a reader
        // must not show them in place of this message's own.
        opened.report.protected_headers = None;
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

/// The bytes `open` parses a received message as: the message itself, or, when it is stored
/// with bare line breaks ([`stored_with_bare_line_breaks`]), its CRLF form with raw DER
/// bodies left as they are. A reader that shows a message's parts or header fields parses
/// these same bytes, so that they are the parts and fields the verdict speaks of: a lone CR
/// is a line break in the CRLF form and not in the message as received, so the two forms can
/// split one message into different parts and header fields.
pub fn parsed_form<'m>(message: &'m [u8], limits: &Limits) -> std::borrow::Cow<'m, [u8]> {
    if !stored_with_bare_line_breaks(message) {
        return std::borrow::Cow::Borrowed(message);
    }
    let binary = mime::parse(message, limits).map(|t| binary_cms_bodies(&t)).unwrap_or_default();
    canonicalize_except(message, &binary)
}

/// Is the message stored with LF (or CR) line breaks rather than in transport (CRLF)
/// form? Decided by its first line break, which ends a header line.
pub fn stored_with_bare_line_breaks(message: &[u8]) -> bool {
    match message.iter().position(|b| *b == b'\r' || *b == b'\n') {
        Some(i) => !(message.get(i) == Some(&b'\r') && message.get(i + 1) == Some(&b'\n')),
        None => false,
    }
}

/// The byte ranges of raw DER bodies of S/MIME parts (no base64 or quoted-printable, a
/// first byte 0x30): binary data whose 0x0A bytes are not line breaks.
fn binary_cms_bodies(e: &Entity<'_>) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    binary_cms_bodies_into(e, &mut out);
    out
}

fn binary_cms_bodies_into(e: &Entity<'_>, out: &mut Vec<std::ops::Range<usize>>) {
    if e.children().is_empty() {
        let smime = matches!(e.smime_kind(), Some(SmimeKind::Pkcs7Signature | SmimeKind::Pkcs7Mime { .. }));
        let body = e.body_raw();
        if smime && body.first() == Some(&0x30) && !matches!(e.transfer_encoding().as_str(), "base64" | "quoted-printable") {
            let end = e.range().end;
            out.push(end - body.len()..end);
        }
        return;
    }
    for c in e.children() {
        binary_cms_bodies_into(c, out);
    }
}

/// `message` in CRLF form except inside `keep` (ascending, disjoint ranges), kept as is.
fn canonicalize_except<'m>(message: &'m [u8], keep: &[std::ops::Range<usize>]) -> std::borrow::Cow<'m, [u8]> {
    if keep.is_empty() {
        return mime::canonicalize_crlf(message);
    }
    let mut out = Vec::with_capacity(message.len().saturating_add(message.len() / 16));
    let mut done = 0usize;
    for r in keep {
        out.extend_from_slice(&mime::canonicalize_crlf(message.get(done..r.start).unwrap_or_default()));
        out.extend_from_slice(message.get(r.clone()).unwrap_or_default());
        done = r.end;
    }
    out.extend_from_slice(&mime::canonicalize_crlf(message.get(done..).unwrap_or_default()));
    std::borrow::Cow::Owned(out)
}

/// The message's line breaks: canonical, or some lines ending in CRLF and others in a bare LF
/// (outside `binary`), or neither.
fn line_breaks(message: &[u8], binary: &[std::ops::Range<usize>]) -> LineBreaks {
    if mime::is_canonical(message) {
        // No bare LF anywhere (the check reads eight bytes at a time, where the loop below
        // visits every line).
        return LineBreaks::Canonical;
    }
    match line_ends(message, binary) {
        (true, true) => LineBreaks::Mixed,
        _ => LineBreaks::Other,
    }
}

/// Whether some line of `message` (outside `binary`) ends in CRLF, and whether some ends in a
/// bare LF; the scan stops once both are found.
fn line_ends(message: &[u8], binary: &[std::ops::Range<usize>]) -> (bool, bool) {
    let (mut crlf, mut lf) = (false, false);
    // Both ascending: one pass over the line breaks and the ranges together.
    let mut ranges = binary.iter().peekable();
    for i in memchr::memchr_iter(b'\n', message) {
        while ranges.peek().is_some_and(|r| r.end <= i) {
            ranges.next();
        }
        if ranges.peek().is_some_and(|r| r.contains(&i)) {
            continue;
        }
        if i > 0 && message.get(i - 1) == Some(&b'\r') {
            crlf = true;
        } else {
            lf = true;
        }
        if crlf && lf {
            break;
        }
    }
    (crlf, lf)
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

#[cfg(test)]
#[path = "decoded_top_tests.rs"]
mod decoded_top_tests;
