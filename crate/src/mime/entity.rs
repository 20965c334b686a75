//! A parsed MIME entity and what can be read from it: header values (RFC 2047
//! encoded words, RFC 2231 parameters), content type, S/MIME kind (RFC 8551 3.2,
//! 3.5, 3.9), transfer decoding (RFC 2045 section 6) and charset conversion.
//! Decoding uses the `mail-parser` crate; byte ranges come from `parse.rs`.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use mail_parser::parsers::MessageStream;
use mail_parser::{Address, HeaderValue};

use crate::error::{Code, Error, Result};

/// A header field as received: its name and the byte range of its value in the
/// input (after the colon, folding kept, final line break excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderField<'a> {
    pub name: &'a str,
    pub(crate) value: (usize, usize),
}

/// A parsed entity (a whole message or a MIME part), borrowing the input.
#[derive(Debug, Clone)]
pub struct Entity<'a> {
    pub(crate) src: &'a [u8],
    pub(crate) start: usize,
    pub(crate) header_end: usize,
    pub(crate) body_start: usize,
    pub(crate) end: usize,
    pub(crate) depth: usize,
    pub(crate) path: Vec<usize>,
    pub(crate) headers: Vec<HeaderField<'a>>,
    pub(crate) children: Vec<Entity<'a>>,
    pub(crate) complete: bool,
}

/// A Content-Type (or Content-Disposition) value: lower-case type and subtype,
/// parameters with lower-case names and RFC 2231 / RFC 2047 decoded values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    pub mime_type: String,
    pub subtype: String,
    pub params: Vec<(String, String)>,
}

impl ContentType {
    /// `type/subtype`.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.mime_type, self.subtype)
    }
    /// True if the essence equals `essence` (case-insensitive).
    pub fn is(&self, essence: &str) -> bool {
        self.essence().eq_ignore_ascii_case(essence)
    }
    /// A parameter value by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn default_text() -> Self {
        ContentType {
            mime_type: "text".into(),
            subtype: "plain".into(),
            params: vec![("charset".into(), "us-ascii".into())],
        }
    }
}

/// What an entity is in S/MIME terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmimeKind {
    /// `multipart/signed` whose protocol is (x-)pkcs7-signature, or has no protocol but
    /// a pkcs7-signature second part. Values lower-cased.
    MultipartSigned {
        protocol: Option<String>,
        micalg: Option<String>,
    },
    /// `application/(x-)pkcs7-mime`, or `application/octet-stream` named `*.p7m` / `*.p7c`.
    /// `smime_type` lower-cased (`*.p7c` gives `certs-only`).
    Pkcs7Mime {
        smime_type: Option<String>,
        name: Option<String>,
    },
    /// `application/(x-)pkcs7-signature`, or `application/octet-stream` named `*.p7s`.
    Pkcs7Signature,
}

fn malformed(msg: &str) -> Error {
    Error::new(
        Code::Malformed,
        "The message is damaged and cannot be read.",
        "Ask the sender to send it again.",
    )
    .with_detail(msg)
}

/// Value bytes with a final line break, as mail-parser's field parsers expect.
fn with_newline(value: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(value.len() + 2);
    v.extend_from_slice(value);
    v.extend_from_slice(b"\r\n");
    v
}

/// The originator fields of a message (see [`Entity::originator`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Originator {
    /// The first From address (what the user is shown).
    pub from: Option<String>,
    /// Why the From header cannot bind a single address, in words.
    pub problem: Option<String>,
    /// The address of the single Sender header, when it has exactly one, plainly shown.
    pub sender: Option<String>,
}

/// The mailboxes (display name, addr-spec) of an address header value.
fn mailboxes(value: &[u8]) -> Vec<(Option<String>, String)> {
    let buf = with_newline(value);
    let list: Vec<mail_parser::Addr<'_>> = match MessageStream::new(&buf).parse_address() {
        HeaderValue::Address(Address::List(list)) => list,
        HeaderValue::Address(Address::Group(groups)) => groups.into_iter().flat_map(|g| g.addresses.into_iter()).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .filter_map(|a| {
            let addr = a.address.map(|s| s.trim().to_string()).filter(|s| s.contains('@'))?;
            Some((a.name.map(|n| n.into_owned()), addr))
        })
        .collect()
}

/// An address-like word in a display name other than the real address (e.g.
/// `"alice@bank.example" <mallory@evil.example>`), which the user would read as the sender.
fn hidden_address(name: Option<&str>, address: &str) -> Option<String> {
    let same = |a: &str, b: &str| match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => la.eq_ignore_ascii_case(lb) && da.eq_ignore_ascii_case(db),
        _ => false,
    };
    name?
        .split(|c: char| c.is_whitespace() || "\"'<>()[],;:".contains(c))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '\''))
        .find(|w| matches!(w.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty()) && !same(w, address))
        .map(str::to_string)
}

/// Parses a Content-Type / Content-Disposition value. `None` if unparseable.
pub(crate) fn parse_content_type(value: &[u8]) -> Option<ContentType> {
    let buf = with_newline(value);
    let ct = MessageStream::new(&buf)
        .parse_content_type()
        .into_content_type()?;
    let mime_type = ct.c_type.trim().to_ascii_lowercase();
    if mime_type.is_empty() {
        return None;
    }
    let subtype = ct
        .c_subtype
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let params = ct
        .attributes
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.name.to_ascii_lowercase(), a.value.into_owned()))
        .collect();
    Some(ContentType {
        mime_type,
        subtype,
        params,
    })
}

/// Removes line breaks followed by white space (RFC 5322 2.2.3); other CR / LF
/// become spaces.
pub(crate) fn unfold(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for &c in value {
        if c != b'\r' && c != b'\n' {
            out.push(c);
        }
    }
    out
}

/// Unstructured header text: unfolded, RFC 2047 decoded, trimmed.
pub(crate) fn decode_unstructured(value: &[u8]) -> String {
    let buf = with_newline(&unfold(value));
    match MessageStream::new(&buf).parse_unstructured() {
        HeaderValue::Text(t) => t.trim().to_string(),
        _ => String::new(),
    }
}

impl<'a> Entity<'a> {
    /// Exact bytes of this entity (header and body) as received.
    pub fn raw(&self) -> &'a [u8] {
        self.src.get(self.start..self.end).unwrap_or_default()
    }
    /// Byte range of this entity in the input given to `parse`.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
    /// Body bytes as received (after the blank line; transfer encoding kept).
    pub fn body_raw(&self) -> &'a [u8] {
        self.src.get(self.body_start..self.end).unwrap_or_default()
    }
    /// Header block bytes as received, the last field's line break included and
    /// the blank separator line excluded.
    pub fn header_block(&self) -> &'a [u8] {
        self.src
            .get(self.start..self.header_end)
            .unwrap_or_default()
    }
    /// Number of multipart ancestors (0 for the top-level entity).
    pub fn depth(&self) -> usize {
        self.depth
    }
    /// Child indexes from the top-level entity down to this one (empty for the top).
    pub fn path(&self) -> &[usize] {
        &self.path
    }
    /// Multipart children in order (empty for leaves).
    pub fn children(&self) -> &[Entity<'a>] {
        &self.children
    }
    /// False for a multipart whose close delimiter is missing (truncated message).
    pub fn is_complete(&self) -> bool {
        self.complete && self.children.iter().all(|c| c.is_complete())
    }
    /// All header fields in order: name and raw value bytes.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + '_ {
        self.headers.iter().map(|h| {
            (
                h.name,
                self.src.get(h.value.0..h.value.1).unwrap_or_default(),
            )
        })
    }
    /// The raw value of the first field called `name` (case-insensitive): bytes after
    /// the colon, folding kept, final line break excluded.
    pub fn raw_header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| self.src.get(h.value.0..h.value.1).unwrap_or_default())
    }
    /// The first field called `name`, unfolded and RFC 2047 decoded, trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        self.raw_header(name).map(decode_unstructured)
    }
    /// Content-Type; `text/plain; charset=us-ascii` if absent or unparseable (RFC 2045 5.2).
    pub fn content_type(&self) -> ContentType {
        self.raw_header("content-type")
            .and_then(parse_content_type)
            .unwrap_or_else(ContentType::default_text)
    }
    /// Content-Disposition, if present and parseable.
    pub fn content_disposition(&self) -> Option<ContentType> {
        self.raw_header("content-disposition")
            .and_then(parse_content_type)
    }
    /// Content-Transfer-Encoding, lower-cased; `7bit` if absent.
    pub fn transfer_encoding(&self) -> String {
        self.header("content-transfer-encoding")
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "7bit".into())
    }
    /// Attachment file name: Content-Disposition `filename`, else Content-Type `name`.
    pub fn filename(&self) -> Option<String> {
        self.content_disposition()
            .and_then(|d| d.param("filename").map(str::to_string))
            .or_else(|| self.content_type().param("name").map(str::to_string))
            .filter(|n| !n.is_empty())
    }
    /// The addr-spec of the first From address (top-level entity only).
    pub fn from_address(&self) -> Option<String> {
        if self.depth != 0 {
            return None;
        }
        let buf = with_newline(self.raw_header("from")?);
        let addr = match MessageStream::new(&buf).parse_address() {
            HeaderValue::Address(Address::List(list)) => list
                .into_iter()
                .find_map(|a| a.address.map(|s| s.into_owned())),
            HeaderValue::Address(Address::Group(groups)) => groups
                .into_iter()
                .flat_map(|g| g.addresses.into_iter())
                .find_map(|a| a.address.map(|s| s.into_owned())),
            _ => None,
        }?;
        let addr = addr.trim().to_string();
        (addr.contains('@')).then_some(addr)
    }
    /// Who the message claims to come from, as the signer binding needs it (SPEC section
    /// 1, RFC 8550 section 3): exactly one From header with exactly one address, whose
    /// display name shows no other address; and the one Sender address, if any.
    /// Top-level entity only (parts have no originator).
    ///
    /// # Security
    /// Header values are untrusted: at most the entity's own header fields are read (the
    /// parser's header limits bound them), and anything ambiguous is a `problem`, in words.
    pub fn originator(&self) -> Originator {
        if self.depth != 0 {
            return Originator::default();
        }
        self.section_originator()
    }
    /// [`Entity::originator`] of this entity's own header section whatever its depth: for a
    /// part that carries protected header fields (RFC 9788), whose From is the signed one.
    pub fn section_originator(&self) -> Originator {
        let mut out = Originator::default();
        let froms: Vec<&[u8]> = self.header_values("from").collect();
        let mut addresses: Vec<(Option<String>, String)> = Vec::new();
        for v in &froms {
            addresses.extend(mailboxes(v));
        }
        out.from = addresses.first().map(|(_, a)| a.clone());
        out.problem = if froms.len() > 1 {
            Some(format!("the message has {} From headers; a signed message must have exactly one", froms.len()))
        } else if addresses.len() > 1 {
            let list: Vec<&str> = addresses.iter().map(|(_, a)| a.as_str()).collect();
            Some(format!("the From header names {} addresses ({}); only a single address can be checked against a signature", addresses.len(), list.join(", ")))
        } else if let Some((_, odd)) = addresses.first().filter(|(_, a)| a.matches('@').count() != 1) {
            Some(format!("the From address ({odd}) is not one well-formed address"))
        } else {
            addresses.first().and_then(|(name, addr)| hidden_address(name.as_deref(), addr)).map(|shown| {
                format!("the From header's display name shows the address {shown}, but the actual sender address is {}", out.from.as_deref().unwrap_or_default())
            })
        };
        let senders: Vec<&[u8]> = self.header_values("sender").collect();
        if let [one] = senders.as_slice() {
            if let [(name, addr)] = mailboxes(one).as_slice() {
                if hidden_address(name.as_deref(), addr).is_none() && addr.matches('@').count() == 1 {
                    out.sender = Some(addr.clone());
                }
            }
        }
        out
    }
    /// The raw values of every field called `name` (case-insensitive), in order.
    fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| self.src.get(h.value.0..h.value.1).unwrap_or_default())
    }
    /// The S/MIME kind of this entity, if any.
    pub fn smime_kind(&self) -> Option<SmimeKind> {
        let ct = self.content_type();
        let lower = |s: Option<&str>| s.map(|v| v.trim().to_ascii_lowercase());
        let is_sig =
            |e: &str| e == "application/pkcs7-signature" || e == "application/x-pkcs7-signature";
        let essence = ct.essence();
        match essence.as_str() {
            "multipart/signed" => {
                let protocol = lower(ct.param("protocol"));
                let micalg = lower(ct.param("micalg"));
                let ok = match protocol.as_deref() {
                    Some(p) => is_sig(p),
                    None => matches!(
                        self.children.get(1).and_then(|c| c.smime_kind()),
                        Some(SmimeKind::Pkcs7Signature)
                    ),
                };
                ok.then_some(SmimeKind::MultipartSigned { protocol, micalg })
            }
            "application/pkcs7-mime" | "application/x-pkcs7-mime" => Some(SmimeKind::Pkcs7Mime {
                smime_type: lower(ct.param("smime-type")),
                name: self.filename(),
            }),
            e if is_sig(e) => Some(SmimeKind::Pkcs7Signature),
            "application/octet-stream" => {
                let name = self.filename()?;
                let lname = name.to_ascii_lowercase();
                if lname.ends_with(".p7s") {
                    Some(SmimeKind::Pkcs7Signature)
                } else if lname.ends_with(".p7m") {
                    Some(SmimeKind::Pkcs7Mime {
                        smime_type: lower(ct.param("smime-type")),
                        name: Some(name),
                    })
                } else if lname.ends_with(".p7c") {
                    Some(SmimeKind::Pkcs7Mime {
                        smime_type: Some("certs-only".into()),
                        name: Some(name),
                    })
                } else {
                    None
                }
            }
            _ => None,
        }
    }
    /// For `multipart/signed`: the exact received bytes of the signed (first) part.
    /// Canonicalise with [`crate::mime::canonicalize_crlf`] before hashing.
    pub fn signed_content(&self) -> Option<&'a [u8]> {
        if !self.content_type().is("multipart/signed") {
            return None;
        }
        self.children.first().map(|c| c.raw())
    }
    /// The body with its Content-Transfer-Encoding removed.
    ///
    /// # Security
    /// Output is at most the size of the body. Unknown encodings and undecodable
    /// base64 / quoted-printable give `Code::Malformed`.
    pub fn body_decoded(&self) -> Result<Vec<u8>> {
        decode_transfer(&self.transfer_encoding(), self.body_raw())
    }
    /// For `text/*` leaves: the decoded body converted from its charset to UTF-8
    /// (unknown charsets are read as UTF-8, invalid bytes replaced).
    pub fn text(&self) -> Option<String> {
        let ct = self.content_type();
        if ct.mime_type != "text" {
            return None;
        }
        let bytes = self.body_decoded().ok()?;
        let charset = ct
            .param("charset")
            .unwrap_or("us-ascii")
            .trim()
            .to_ascii_lowercase();
        Some(decode_charset(&charset, &bytes))
    }
}

/// Converts `bytes` in `charset` to UTF-8.
pub(crate) fn decode_charset(charset: &str, bytes: &[u8]) -> String {
    match charset {
        // Valid text checked by `from_utf8` (a word at a time over ASCII) before the lossy
        // conversion, whose chunk iterator reads byte by byte (4 % of encrypting 25 MB).
        "utf-8" | "utf8" | "us-ascii" | "ascii" | "" => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        },
        other => match mail_parser::decoders::charsets::map::charset_decoder(other.as_bytes()) {
            Some(decoder) => decoder(bytes),
            None => String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}

/// Removes a transfer encoding (RFC 2045 section 6).
pub(crate) fn decode_transfer(encoding: &str, body: &[u8]) -> Result<Vec<u8>> {
    match encoding {
        "7bit" | "8bit" | "binary" => Ok(body.to_vec()),
        "base64" => decode_base64(body),
        "quoted-printable" => Ok(decode_qp(body)),
        other => Err(malformed(&format!(
            "unknown Content-Transfer-Encoding {other:?}"
        ))),
    }
}

/// Quoted-printable (RFC 2045 6.7): trailing white space on each line is dropped,
/// `=` at the end of a line is a soft break, `=XY` is a byte, and any other `=` is
/// kept literally (note (2) of 6.7). Line endings are kept as received.
/// (`mail-parser`'s decoder silently drops an `=` with one hex digit before a line end.)
fn decode_qp(body: &[u8]) -> Vec<u8> {
    let hex = |c: Option<&u8>| c.and_then(|&c| char::from(c).to_digit(16));
    let mut out = Vec::with_capacity(body.len());
    for line in body.split_inclusive(|&c| c == b'\n') {
        let (content, ending): (&[u8], &[u8]) = match line.strip_suffix(b"\r\n") {
            Some(c) => (c, b"\r\n"),
            None => match line.strip_suffix(b"\n") {
                Some(c) => (c, b"\n"),
                None => (line, b""),
            },
        };
        let keep = content
            .iter()
            .rposition(|&c| c != b' ' && c != b'\t')
            .map_or(0, |i| i + 1);
        let content = content.get(..keep).unwrap_or_default();
        let (content, soft) = match content.strip_suffix(b"=") {
            Some(c) => (c, true),
            None => (content, false),
        };
        let mut i = 0usize;
        while let Some(&c) = content.get(i) {
            if c == b'=' {
                if let (Some(h), Some(l)) = (hex(content.get(i + 1)), hex(content.get(i + 2))) {
                    out.push(((h << 4) | l) as u8);
                    i += 3;
                    continue;
                }
            }
            out.push(c);
            i += 1;
        }
        if !soft {
            out.extend_from_slice(ending);
        }
    }
    out
}

/// Lenient base64: whitespace ignored, padding optional, trailing bits allowed.
pub(crate) fn decode_base64(body: &[u8]) -> Result<Vec<u8>> {
    let engine = lenient_base64();
    if let Some(out) = cachet_bytes::decode_base64_lines(body, |block, out| engine.decode_slice(block, out).ok()) {
        return Ok(out);
    }
    let clean: Vec<u8> = body
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    engine
        .decode(&clean)
        .map_err(|e| malformed("invalid base64 body").with_detail(e))
}

/// [`decode_base64`] of `buf[from..]` written over the start of `buf`, which is cut to the
/// decoded bytes; their number. Only the common shape is decoded this way
/// ([`cachet_bytes::decode_base64_lines_in_place`]); for any other `None`, and `buf` then
/// holds part of the body decoded over its start: the caller reads the message again from its
/// source and decodes the general way ([`decode_base64`]), which gives the same bytes or error.
/// With the number comes how the body's lines ended.
pub(crate) fn decode_base64_in_place(buf: &mut Vec<u8>, from: usize) -> Option<(usize, cachet_bytes::BodyBreaks)> {
    let engine = lenient_base64();
    cachet_bytes::decode_base64_lines_in_place(buf, from, |block, out| engine.decode_slice(block, out).ok())
}

fn lenient_base64() -> GeneralPurpose {
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    GeneralPurpose::new(&base64::alphabet::STANDARD, config)
}

