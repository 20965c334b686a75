//! Outgoing MIME in canonical, 7-bit-safe form (RFC 8551 section 3.1): CRLF line
//! endings, text as quoted-printable (RFC 2045 6.7), binary as base64 (RFC 2045 6.8),
//! lines of at most 76 characters, boundaries that cannot collide with content
//! (RFC 2046 5.1.1). Shapes: body (text, alternative, related, mixed), multipart/signed
//! (RFC 8551 3.5, RFC 1847) and application/pkcs7-mime (RFC 8551 3.2).

use sha2::{Digest, Sha256};

use super::canon::canonicalize_crlf;
use super::headers::{encode_headers, push_param, Folder};

/// A file to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// `type/subtype`; parameters are dropped; invalid values give `application/octet-stream`.
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A part shown inside the HTML body (an image), which refers to it as `cid:<content_id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePart {
    /// The Content-ID without angle brackets (RFC 2392); characters outside printable
    /// ASCII, white space and `<>` are dropped when it is written.
    pub content_id: String,
    pub attachment: Attachment,
}

/// A text body (and optional HTML alternative and attachments) as one MIME entity
/// with only Content-* header fields, ready to be signed: CRLF, 7-bit, lines of at
/// most 76 characters. Text and HTML are UTF-8 quoted-printable; attachments base64.
/// Shapes: text/plain; multipart/alternative (text, html); multipart/mixed (body, attachments...).
pub fn build_body(text: &str, html: Option<&str>, attachments: &[Attachment]) -> Vec<u8> {
    build_body_with_inline(text, html, &[], attachments)
}

/// [`build_body`] with parts shown inside the HTML: the HTML and those parts become a
/// multipart/related (RFC 2387, `type="text/html"`, each part with its Content-ID and
/// `Content-Disposition: inline`) as the second alternative. Without HTML the inline
/// parts are attached as ordinary files, so nothing is lost.
/// An attachment of type message/rfc822 is carried as such (RFC 2046 5.2.1: 7bit, CRLF)
/// when it is 7-bit with lines of at most 998 octets; otherwise as message/global in
/// base64 (RFC 6532 3.5), the form that may carry 8-bit content in a signed body.
pub fn build_body_with_inline(
    text: &str,
    html: Option<&str>,
    inline: &[InlinePart],
    attachments: &[Attachment],
) -> Vec<u8> {
    let text_part = text_entity("plain", text);
    let mut files: Vec<Vec<u8>> = Vec::new();
    let body = match html {
        Some(h) if !inline.is_empty() => {
            let mut related = vec![text_entity("html", h)];
            related.extend(inline.iter().map(inline_entity));
            let related = multipart_with("related", "type=\"text/html\"", &related);
            multipart("alternative", &[text_part, related])
        }
        Some(h) => multipart("alternative", &[text_part, text_entity("html", h)]),
        None => {
            files.extend(inline.iter().map(|i| attachment_entity(&i.attachment)));
            text_part
        }
    };
    files.extend(attachments.iter().map(attachment_entity));
    if files.is_empty() {
        return body;
    }
    let mut parts = vec![body];
    parts.extend(files);
    multipart("mixed", &parts)
}

/// A `multipart/signed` message (RFC 8551 3.5): `headers` (RFC 5322 fields; any
/// Content-* or MIME-Version among them are dropped), then `MIME-Version: 1.0` if
/// `headers` is not empty, the multipart/signed Content-Type with
/// `protocol="application/pkcs7-signature"` and `micalg`, part 1 = `signed_entity`
/// byte for byte, part 2 = the base64 `smime.p7s` signature.
pub fn build_multipart_signed(
    headers: &[(String, String)],
    signed_entity: &[u8],
    micalg: &str,
    p7s_der: &[u8],
) -> Vec<u8> {
    build_multipart_signed_owned(headers, signed_entity.to_vec(), micalg, p7s_der)
}

/// [`build_multipart_signed`] built in the signed entity's own buffer: the headers
/// are put in front of it and the signature part after it, so a large entity is moved
/// once within memory already in use instead of copied into a new buffer.
pub fn build_multipart_signed_owned(
    headers: &[(String, String)],
    signed_entity: Vec<u8>,
    micalg: &str,
    p7s_der: &[u8],
) -> Vec<u8> {
    MultipartSigned::new(headers, signed_entity, micalg, p7s_der).into_bytes()
}

/// A `multipart/signed` message in three pieces, the signed entity in its own buffer
/// between the header section (up to its first boundary) and the rest (the signature
/// part and the closing boundary): [`MultipartSigned::write_to`] writes it without
/// putting the pieces together in memory first.
pub struct MultipartSigned {
    head: Vec<u8>,
    entity: Vec<u8>,
    tail: Vec<u8>,
}

impl MultipartSigned {
    /// As [`build_multipart_signed`].
    pub fn new(headers: &[(String, String)], signed_entity: Vec<u8>, micalg: &str, p7s_der: &[u8]) -> MultipartSigned {
        let (head, tail) = signed_frame(headers, |h| h.update(&signed_entity), |needle| contains(&signed_entity, needle), micalg, p7s_der);
        MultipartSigned { head, entity: signed_entity, tail }
    }

    /// The whole message in one buffer: built in the signed entity's own buffer, the
    /// header section put in front of it (one move within memory already in use).
    pub fn into_bytes(mut self) -> Vec<u8> {
        let head = std::mem::take(&mut self.head);
        self.into_bytes_headed(&head, 0)
    }

    /// The header section, up to and with the first boundary line.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// What follows the signed entity: the signature part and the closing boundary.
    pub fn tail(&self) -> &[u8] {
        &self.tail
    }

    /// [`MultipartSigned::into_bytes`] with `head` in front of the signed entity instead of
    /// the header section, and room for `spare` more bytes after the end.
    pub fn into_bytes_headed(self, head: &[u8], spare: usize) -> Vec<u8> {
        let mut out = self.entity;
        out.reserve_exact(head.len() + self.tail.len() + spare);
        out.extend_from_slice(&self.tail);
        out.splice(0..0, head.iter().copied());
        out
    }

    /// Write the message to `w`: the header section, the signed entity, the rest.
    pub fn write_to<W: std::io::Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(&self.head)?;
        w.write_all(&self.entity)?;
        w.write_all(&self.tail)
    }
}

/// The pieces of a multipart/signed message around its signed entity: the header section up
/// to the first boundary, and the rest (the signature part, the closing boundary). The
/// entity is given by `feed` (hashes it, for a boundary made without system randomness)
/// and `occurs` (does a boundary candidate occur in it).
pub(crate) fn signed_frame(
    headers: &[(String, String)],
    feed: impl Fn(&mut Sha256),
    occurs: impl Fn(&[u8]) -> bool,
    micalg: &str,
    p7s_der: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let sig = signature_part(p7s_der);
    let boundary = make_boundary_by(
        |h| {
            feed(h);
            h.update(&sig);
        },
        |needle| occurs(needle) || contains(&sig, needle),
    );
    (signed_head(headers, micalg, &boundary), signed_tail(&boundary, &sig))
}

/// The signature part of a multipart/signed message: its header fields and `p7s_der` in
/// base64, without the boundaries around it.
fn signature_part(p7s_der: &[u8]) -> Vec<u8> {
    let mut sig_b64 = Vec::new();
    push_base64_lines(&mut sig_b64, p7s_der);
    leaf(
        &[
            "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"",
            "Content-Transfer-Encoding: base64",
            "Content-Disposition: attachment; filename=\"smime.p7s\"",
            "Content-Description: S/MIME Cryptographic Signature",
        ],
        &sig_b64,
    )
}

/// The header section of a multipart/signed message with `boundary`, up to and with its
/// first boundary line (it does not depend on the signature).
pub(crate) fn signed_head(headers: &[(String, String)], micalg: &str, boundary: &str) -> Vec<u8> {
    let micalg: String = micalg
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ',')
        .collect();
    let micalg = if micalg.is_empty() {
        "sha-256".to_string()
    } else {
        micalg
    };
    let mut head = top_headers(headers);
    let mut ct = Folder::new("Content-Type");
    ct.push(" ", "multipart/signed;");
    ct.push(" ", "protocol=\"application/pkcs7-signature\";");
    ct.push(" ", &format!("micalg={micalg};"));
    ct.push(" ", &format!("boundary=\"{boundary}\""));
    head.extend_from_slice(ct.finish().as_bytes());
    head.extend_from_slice(b"\r\nThis is an S/MIME signed message\r\n\r\n--");
    head.extend_from_slice(boundary.as_bytes());
    head.extend_from_slice(b"\r\n");
    head
}

/// What follows the signed entity of a multipart/signed message with `boundary`: the
/// signature part `sig` ([`signature_part`]) and the closing boundary.
fn signed_tail(boundary: &str, sig: &[u8]) -> Vec<u8> {
    let mut tail = Vec::with_capacity(sig.len() + 2 * boundary.len() + 16);
    tail.extend_from_slice(b"\r\n--");
    tail.extend_from_slice(boundary.as_bytes());
    tail.extend_from_slice(b"\r\n");
    tail.extend_from_slice(sig);
    tail.extend_from_slice(b"\r\n--");
    tail.extend_from_slice(boundary.as_bytes());
    tail.extend_from_slice(b"--\r\n");
    tail
}

/// [`signed_tail`] of the signature `p7s_der`.
pub(crate) fn signed_tail_of(boundary: &str, p7s_der: &[u8]) -> Vec<u8> {
    signed_tail(boundary, &signature_part(p7s_der))
}

/// An `application/pkcs7-mime` entity (RFC 8551 3.2): `headers` as in
/// [`build_multipart_signed`], `smime-type` (e.g. `enveloped-data`,
/// `authEnveloped-data`, `signed-data`), `name="smime.p7m"`, Content-Disposition
/// attachment, and `der` in base64.
pub fn build_pkcs7_mime(headers: &[(String, String)], smime_type: &str, der: &[u8]) -> Vec<u8> {
    let mut out = pkcs7_mime_head(headers, smime_type);
    out.reserve(base64_lines_len(der.len()) + 2);
    push_base64_lines(&mut out, der);
    out.extend_from_slice(b"\r\n");
    out
}

/// The header section of [`build_pkcs7_mime`], up to and with the empty line.
fn pkcs7_mime_head(headers: &[(String, String)], smime_type: &str) -> Vec<u8> {
    let smime_type: String = smime_type
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let mut out = top_headers(headers);
    out.reserve(256);
    let mut ct = Folder::new("Content-Type");
    ct.push(" ", "application/pkcs7-mime;");
    ct.push(" ", &format!("smime-type={smime_type};"));
    ct.push(" ", "name=\"smime.p7m\"");
    out.extend_from_slice(ct.finish().as_bytes());
    out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n");
    out.extend_from_slice(b"Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n");
    out
}

/// An `application/pkcs7-mime` entity not yet encoded: its header section and the DER, held
/// as up to three pieces one after another (an envelope's fields before its ciphertext, the
/// ciphertext, the fields after it), so the ciphertext is never moved to make room for them.
/// [`Pkcs7Mime::write_to`] writes the same bytes as [`build_pkcs7_mime`] while encoding
/// the base64 in small blocks, so a large message is never held twice (DER and base64).
pub struct Pkcs7Mime {
    head: Vec<u8>,
    der: [Vec<u8>; 3],
}

/// Input bytes of one base64 block of [`Pkcs7Mime`]: whole lines (57 bytes make 76 characters),
/// so no line is split across blocks.
const BLOCK_IN: usize = 57 * 4096;

impl Pkcs7Mime {
    /// `headers` and `smime_type` as in [`build_pkcs7_mime`].
    pub fn new(headers: &[(String, String)], smime_type: &str, der: Vec<u8>) -> Pkcs7Mime {
        Pkcs7Mime::from_pieces(headers, smime_type, [Vec::new(), der, Vec::new()])
    }

    /// As [`Pkcs7Mime::new`] with the DER given in pieces, one after another.
    pub fn from_pieces(headers: &[(String, String)], smime_type: &str, der: [Vec<u8>; 3]) -> Pkcs7Mime {
        Pkcs7Mime { head: pkcs7_mime_head(headers, smime_type), der }
    }

    /// The DER's length, with `middle` in place of the middle piece when given.
    fn der_len_with(&self, middle: Option<&dyn DerPiece>) -> usize {
        let [first, held_middle, last] = &self.der;
        let middle_len = middle.map_or(held_middle.len(), DerPiece::piece_len);
        first.len().saturating_add(middle_len).saturating_add(last.len())
    }

    /// The entity's length in bytes, as [`Pkcs7Mime::write_to`] writes it.
    pub fn encoded_len(&self) -> usize {
        self.encoded_len_with(None)
    }

    /// The entity's length in bytes, as [`Pkcs7Mime::write_to_with`] writes it with `middle`.
    pub fn encoded_len_with(&self, middle: Option<&dyn DerPiece>) -> usize {
        self.head.len().saturating_add(base64_lines_len(self.der_len_with(middle))).saturating_add(2)
    }

    /// The DER (with `middle` in place of the middle piece, when given) in blocks of
    /// [`BLOCK_IN`] bytes (the last maybe shorter), each given to `f`. Blocks lying in one
    /// piece held here are given as they are; others are put together in a buffer (never
    /// longer than the DER: a small message does not get a block-sized one).
    fn der_blocks<E>(&self, middle: Option<&dyn DerPiece>, mut f: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let mut buf: Vec<u8> = vec![0; BLOCK_IN.min(self.der_len_with(middle))];
        let mut filled = 0usize;
        let [first, held_middle, last] = &self.der;
        let pieces: [(&[u8], Option<&dyn DerPiece>); 3] = [(first, None), (held_middle, middle), (last, None)];
        for (held, external) in pieces {
            if let Some(external) = external {
                let (len, mut at) = (external.piece_len(), 0usize);
                while at < len {
                    let take = (BLOCK_IN - filled).min(len - at);
                    if let Some(room) = buf.get_mut(filled..filled + take) {
                        external.copy_out(at, room);
                    }
                    (filled, at) = (filled + take, at + take);
                    if filled == BLOCK_IN {
                        f(&buf)?;
                        filled = 0;
                    }
                }
                continue;
            }
            let mut rest = held;
            if filled > 0 {
                let (take, after) = rest.split_at(rest.len().min(BLOCK_IN - filled));
                if let Some(room) = buf.get_mut(filled..filled + take.len()) {
                    room.copy_from_slice(take);
                }
                (filled, rest) = (filled + take.len(), after);
                if filled < BLOCK_IN {
                    continue;
                }
                f(&buf)?;
            }
            let (whole, tail) = rest.split_at(rest.len() - rest.len() % BLOCK_IN);
            for block in whole.chunks(BLOCK_IN) {
                f(block)?;
            }
            if let Some(room) = buf.get_mut(..tail.len()) {
                room.copy_from_slice(tail);
            }
            filled = tail.len();
        }
        if filled > 0 {
            f(buf.get(..filled).unwrap_or_default())?;
        }
        Ok(())
    }

    /// The whole entity in one buffer (what [`build_pkcs7_mime`] returns).
    pub fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&self.head);
        let mut first = true;
        let _ = self.der_blocks(None, |block| -> Result<(), ()> {
            if !std::mem::take(&mut first) {
                out.extend_from_slice(b"\r\n");
            }
            push_base64_lines(&mut out, block);
            Ok(())
        });
        out.extend_from_slice(b"\r\n");
        out
    }

    /// Write the entity to `w`, base64 encoded block by block (about 300 KB at a time).
    /// Wrap an unbuffered `w` in a `BufWriter` if fewer, larger writes matter.
    pub fn write_to<W: std::io::Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        self.write_to_with(None, w)
    }

    /// [`Pkcs7Mime::write_to`] with `middle`, bytes held elsewhere, in place of the middle
    /// piece of the DER (which is then left empty here).
    pub fn write_to_with<W: std::io::Write + ?Sized>(&self, middle: Option<&dyn DerPiece>, w: &mut W) -> std::io::Result<()> {
        w.write_all(&self.head)?;
        // The same lines as push_base64_lines, CRLF between lines.
        let mut block = Vec::with_capacity(BLOCK_IN / 57 * 78);
        let mut first = true;
        self.der_blocks(middle, |chunk| {
            block.clear();
            if !std::mem::take(&mut first) {
                block.extend_from_slice(b"\r\n");
            }
            push_base64_lines(&mut block, chunk);
            w.write_all(&block)
        })?;
        w.write_all(b"\r\n")
    }
}

/// Bytes of a [`Pkcs7Mime`]'s DER held outside it (a ciphertext in the host's memory), read a
/// block at a time.
pub trait DerPiece {
    fn piece_len(&self) -> usize;
    /// Bytes `at..at + out.len()` of the piece copied into `out`.
    fn copy_out(&self, at: usize, out: &mut [u8]);
}

fn top_headers(headers: &[(String, String)]) -> Vec<u8> {
    let kept: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| super::headers::header_place(n) == super::headers::HeaderPlace::Outer)
        .cloned()
        .collect();
    let mut out = encode_headers(&kept);
    if !headers.is_empty() {
        out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    }
    out
}

fn leaf(header_lines: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header_lines.iter().map(|h| h.len() + 2).sum::<usize>() + 2 + body.len());
    for h in header_lines {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

fn text_entity(subtype: &str, text: &str) -> Vec<u8> {
    let ct = format!("Content-Type: text/{subtype}; charset=utf-8");
    leaf(
        &[&ct, "Content-Transfer-Encoding: quoted-printable"],
        quoted_printable(text).as_bytes(),
    )
}

fn attachment_entity(a: &Attachment) -> Vec<u8> {
    file_entity(a, "attachment", None)
}

fn inline_entity(i: &InlinePart) -> Vec<u8> {
    let cid: String = i
        .content_id
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '<' && *c != '>')
        .collect();
    file_entity(&i.attachment, "inline", Some(&cid))
}

/// True when `data` can be carried with `Content-Transfer-Encoding: 7bit`: US-ASCII
/// without NUL, lines (already CRLF) of at most 998 octets.
fn is_7bit_lines(data: &[u8]) -> bool {
    data.iter().all(|&b| b != 0 && b < 0x80) && data.split(|&b| b == b'\n').all(|l| l.len() <= 999)
}

fn file_entity(a: &Attachment, disposition: &str, content_id: Option<&str>) -> Vec<u8> {
    let essence = a
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let token_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&c))
    };
    // An attached message: as message/rfc822 in 7bit when it allows it (the body is the
    // message itself, CRLF), else message/global in base64.
    let message = (essence == "message/rfc822").then(|| canonicalize_crlf(&a.data));
    let seven_bit = message.as_deref().filter(|m| is_7bit_lines(m));
    let essence = match (&message, essence.split_once('/')) {
        (Some(_), _) if seven_bit.is_some() => "message/rfc822".to_string(),
        (Some(_), _) => "message/global".to_string(),
        (None, Some((t, s))) if token_ok(t) && token_ok(s) && t != "multipart" && t != "message" => {
            essence.clone()
        }
        _ => "application/octet-stream".to_string(),
    };
    let mut ct = Folder::new("Content-Type");
    ct.push(" ", &essence);
    let mut cd = Folder::new("Content-Disposition");
    cd.push(" ", disposition);
    if !a.filename.is_empty() {
        push_param(&mut ct, "name", &a.filename, false);
        push_param(&mut cd, "filename", &a.filename, true);
    }
    let mut out = ct.finish().into_bytes();
    if let Some(cid) = content_id.filter(|c| !c.is_empty()) {
        out.extend_from_slice(format!("Content-ID: <{cid}>\r\n").as_bytes());
    }
    match seven_bit {
        Some(m) => {
            out.extend_from_slice(b"Content-Transfer-Encoding: 7bit\r\n");
            out.extend_from_slice(cd.finish().as_bytes());
            out.extend_from_slice(b"\r\n");
            // Kept byte for byte: the CRLF the multipart adds before the boundary belongs to it.
            out.extend_from_slice(m);
        }
        None => {
            out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n");
            out.extend_from_slice(cd.finish().as_bytes());
            out.extend_from_slice(b"\r\n");
            push_base64_lines(&mut out, &a.data);
        }
    }
    out
}

fn multipart(subtype: &str, parts: &[Vec<u8>]) -> Vec<u8> {
    multipart_with(subtype, "", parts)
}

/// A multipart entity; `param` (e.g. `type="text/html"`) is added to its Content-Type.
fn multipart_with(subtype: &str, param: &str, parts: &[Vec<u8>]) -> Vec<u8> {
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    let boundary = make_boundary(&refs);
    let param = if param.is_empty() { String::new() } else { format!("\r\n {param};") };
    let mut out = format!("Content-Type: multipart/{subtype};{param}\r\n boundary=\"{boundary}\"\r\n\r\n")
        .into_bytes();
    out.reserve(parts.iter().map(|p| p.len() + boundary.len() + 6).sum::<usize>() + boundary.len() + 6);
    for p in parts {
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(p);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
    out
}

/// A boundary of random hex that does not occur in any of `contents`: 128 bits of system
/// randomness, or without it hex derived from `contents` and checked against them (see
/// [`make_boundary_by`]). The `=_` cannot occur in base64 or quoted-printable output.
pub(crate) fn make_boundary(contents: &[&[u8]]) -> String {
    make_boundary_by(
        |h| {
            for c in contents {
                h.update(c);
            }
        },
        |needle| contents.iter().any(|c| contains(c, needle)),
    )
}

/// A boundary of 128 bits of system randomness, None without it. Drawn after the content was
/// fixed, the content cannot hold it except by a chance of about its length in 2^-128, so it
/// is not searched for (a search of the whole entity was 7 % of signing 25 MB in Wasm).
pub(crate) fn random_boundary() -> Option<String> {
    let mut rnd = [0u8; 16];
    getrandom::fill(&mut rnd).ok()?;
    Some(format!("----=_cachet_{}", lower_hex(&rnd)))
}

fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// [`make_boundary`] of content given by two functions, both used only without system
/// randomness: `feed` hashes it, `occurs` says whether a candidate occurs in it.
pub(crate) fn make_boundary_by(feed: impl Fn(&mut Sha256), occurs: impl Fn(&[u8]) -> bool) -> String {
    if let Some(boundary) = random_boundary() {
        return boundary;
    }
    for attempt in 0u32..16 {
        // No system randomness: derived from the content, so the content is searched.
        let mut h = Sha256::new();
        feed(&mut h);
        h.update(attempt.to_be_bytes());
        let d = h.finalize();
        let candidate = format!("----=_cachet_{}", lower_hex(d.get(..16).unwrap_or_default()));
        if !occurs(candidate.as_bytes()) {
            return candidate;
        }
    }
    // Practically unreachable; make it unique against the content deterministically.
    let mut candidate = String::from("----=_cachet_");
    while occurs(candidate.as_bytes()) {
        candidate.push('x');
    }
    candidate
}

/// Does `hay` contain `needle` (a boundary candidate, `----=_cachet_...`)? Found from its
/// `=` (base64 has none but padding; `memmem` spent a tenth of signing 25 MB in Wasm on
/// candidates of its prefilter in base64 text), then compared: at most one compare of the
/// needle's length per `=` of `hay`.
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some(eq) = needle.iter().position(|&c| c == b'=') else {
        return memchr::memmem::find(hay, needle).is_some();
    };
    memchr::memchr_iter(b'=', hay).any(|i| i.checked_sub(eq).and_then(|s| hay.get(s..)).is_some_and(|r| r.starts_with(needle)))
}

/// Length of [`base64_lines`] output for `n` input bytes.
pub(crate) use cachet_bytes::base64_lines_len;

/// Base64 in lines of 76 characters joined by CRLF (no final line break).
pub fn base64_lines(data: &[u8]) -> String {
    let mut out = Vec::with_capacity(base64_lines_len(data.len()));
    push_base64_lines(&mut out, data);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`base64_lines`] of `data` to `out`, encoding in one pass.
pub(crate) use cachet_bytes::push_base64_lines;

/// Quoted-printable (RFC 2045 6.7) of UTF-8 text: every line break becomes CRLF;
/// output is 7-bit with lines of at most 76 characters; trailing white space, `=`,
/// a leading `From ` and a lone `.` are encoded, so the text survives transport.
pub fn quoted_printable(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    push_quoted_printable(&mut out, text.as_bytes());
    // Quoted-printable output is ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`quoted_printable`] of `text` to `out` (see the bytes crate).
pub(crate) use cachet_bytes::push_quoted_printable;
