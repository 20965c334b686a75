//! Header protection (RFC 9788, "Header Protection for Cryptographically Protected
//! Email"), at the MIME level. Writing: the message's own header fields (Subject, From,
//! To, Cc, Date, Message-ID, Reply-To, In-Reply-To, References and any other
//! non-structural field) are copied into the header section of the cryptographic payload
//! (the innermost part under the signature or the encryption), whose Content-Type says so
//! with `hp="clear"` (signed only) or `hp="cipher"` (encrypted). For encrypted mail the
//! outer header section is reduced by the Header Confidentiality Policy ([`hcp_baseline`]:
//! the Subject becomes `[...]`) and every field left outside is recorded inside as an
//! `HP-Outer` field, so a reader can tell what was meant to be confidential. Reading:
//! [`protected_section`] gives the protected fields of a payload and its `HP-Outer`
//! record; [`hide_legacy_display`] takes a legacy display out of a text for a reader that
//! shows the protected fields itself.
//!
//! # Legacy display
//! RFC 9788 lets the composer decide whether to add a Legacy Display Element (a copy of
//! the obscured user-facing fields at the top of each main body part, marked
//! `hp-legacy-display="1"`), and asks for one whenever a recipient may read the message
//! with a client that does not show protected header fields. Cachet cannot know what its
//! recipients read with, and the clients most of them use do not show protected fields of
//! S/MIME mail (Outlook; Thunderbird 153, whose behaviour `tests/thunderbird` records):
//! without it they would see an encrypted message titled `[...]` and no subject anywhere.
//! So encrypted mail carries one, holding only what the policy hid (the Subject); signed
//! mail hides nothing and carries none. Readers that know RFC 9788, Cachet among them, hide
//! it again ([`hide_legacy_display`]).

use std::borrow::Cow;

use super::build::push_quoted_printable;
use super::entity::{ContentType, Entity};
use super::headers::{encode_headers, header_place, push_field, push_param, Folder, HeaderPlace};
use super::limits::Limits;
use super::pieces::EntityOut;
use super::parse::{parse, parse_head};
use crate::error::Result;

/// The Content-Type parameter that marks the cryptographic payload.
pub const HP_PARAM: &str = "hp";
/// The header field recording, inside an encrypted payload, a field left outside.
pub const HP_OUTER: &str = "HP-Outer";
/// The Content-Type parameter of a main body part that begins with a legacy display.
pub const LEGACY_DISPLAY_PARAM: &str = "hp-legacy-display";
/// The class of the HTML element that holds a legacy display.
pub const LEGACY_DISPLAY_CLASS: &str = "header-protection-legacy-display";
/// The Subject an encrypted message shows outside (RFC 9788's baseline policy).
pub const OBSCURED_SUBJECT: &str = "[...]";
/// Longest legacy display looked for at the top of a received text, in bytes: more is
/// not a legacy display (and the text is shown as it is).
pub const MAX_LEGACY_DISPLAY: usize = 16 * 1024;

/// The user-facing header fields (RFC 9788's term), in the order a legacy display lists them.
pub const USER_FACING: &[&str] = &["Subject", "From", "To", "Cc", "Date", "Reply-To", "Followup-To"];

/// Which kind of cryptographic payload: signed only, or encrypted (and maybe signed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// `hp="clear"`: signed, nothing hidden; the outer fields are the same as the inner ones.
    Clear,
    /// `hp="cipher"`: encrypted; the outer fields are reduced and recorded as `HP-Outer`.
    Cipher,
}

impl Protection {
    /// The `hp` parameter's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Protection::Clear => "clear",
            Protection::Cipher => "cipher",
        }
    }
}

/// The Header Confidentiality Policy Cachet applies to encrypted mail (RFC 9788's
/// baseline): what the outside shows of the field `name: value`, or None when the field
/// is left out. The Subject becomes [`OBSCURED_SUBJECT`]; Comments and Keywords are left
/// out; every other field (From, To, Cc, Date, Message-ID, threading) stays, since
/// delivery, threading and the sender's identity need them.
pub fn hcp_baseline(name: &str, value: &str) -> Option<String> {
    match name.to_ascii_lowercase().as_str() {
        "subject" => Some(OBSCURED_SUBJECT.to_string()),
        "comments" | "keywords" => None,
        _ => Some(value.to_string()),
    }
}

/// The outer fields of encrypted mail: `fields` under [`hcp_baseline`], in their order.
pub fn baseline_outer(fields: &[(String, String)]) -> Vec<(String, String)> {
    fields.iter().filter_map(|(n, v)| hcp_baseline(n, v).map(|o| (n.clone(), o))).collect()
}

/// A cryptographic payload ready to be signed or encrypted, and what goes outside.
#[derive(Debug, Clone)]
pub struct Protected {
    /// The payload entity: the protected header fields, its Content-* fields (Content-Type
    /// with `hp`), the `HP-Outer` fields, a blank line and the body.
    pub entity: Vec<u8>,
    /// The header fields of the outer message (as `encode_headers` takes them).
    pub outer: Vec<(String, String)>,
}

/// Make `entity` (a MIME entity: its Content-* fields and body, CRLF) the cryptographic
/// payload of a message whose header fields are `headers` (name and text, as
/// [`super::received_value`] gives them; structural fields and `HP-Outer` are ignored).
/// With [`Protection::Cipher`] the outer fields follow [`hcp_baseline`], and the main
/// body parts get a legacy display of what it hid (see the module documentation).
///
/// # Security
/// `headers` and `entity` are the user's own message, not received data, but may hold
/// anything: header values pass through [`encode_headers`] (no CR or LF survives in a
/// value), an `HP-Outer` or `hp` already present is dropped rather than kept (only this
/// function makes those claims), and parsing follows `limits`.
pub fn protect(headers: &[(String, String)], entity: &[u8], mode: Protection, limits: &Limits) -> Result<Protected> {
    protect_cow(headers, Cow::Borrowed(entity), mode, limits)
}

/// [`protect`] of an entity the caller gives up: the protected entity is made in its
/// buffer (the new header section put in place of the old one) instead of a copy.
///
/// # Security
/// As [`protect`].
pub fn protect_owned(headers: &[(String, String)], entity: Vec<u8>, mode: Protection, limits: &Limits) -> Result<Protected> {
    protect_cow(headers, Cow::Owned(entity), mode, limits)
}

/// What [`protect`] decides from the message's header fields alone.
struct Plan {
    /// The message's fields that are not structural (and no `HP-Outer`).
    fields: Vec<(String, String)>,
    /// The outer message's fields.
    outer: Vec<(String, String)>,
    /// The fields recorded inside as `HP-Outer`.
    record: Vec<(String, String)>,
    /// The user-facing fields the outside hides (for the legacy display).
    hidden: Vec<(String, String)>,
}

fn plan(headers: &[(String, String)], mode: Protection) -> Plan {
    let fields: Vec<(String, String)> =
        headers.iter().filter(|(n, _)| header_place(n) == HeaderPlace::Outer && !n.eq_ignore_ascii_case(HP_OUTER)).cloned().collect();
    match mode {
        Protection::Clear => Plan { outer: fields.clone(), fields, record: Vec::new(), hidden: Vec::new() },
        Protection::Cipher => {
            let outer = baseline_outer(&fields);
            let hidden: Vec<(String, String)> = USER_FACING
                .iter()
                .flat_map(|name| fields.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)))
                .filter(|(n, v)| hcp_baseline(n, v).as_deref() != Some(v.as_str()))
                .cloned()
                .collect();
            Plan { record: outer.clone(), outer, fields, hidden }
        }
    }
}

fn protect_cow(headers: &[(String, String)], entity: Cow<'_, [u8]>, mode: Protection, limits: &Limits) -> Result<Protected> {
    let Plan { fields, outer, record, hidden } = plan(headers, mode);
    let entity = if hidden.is_empty() { entity } else { Cow::Owned(add_legacy_display(&entity, &hidden, limits)?) };
    let head = parse_head(&entity, limits)?;
    let out = protected_head(&fields, &record, &head, mode);
    // The body follows the new header section: in the entity's own buffer when it is
    // owned (its old header section replaced, one move within memory already in use).
    // The body runs to the end of the entity.
    let body_len = head.body_raw().len();
    let entity = match entity {
        Cow::Owned(mut owned) => {
            let start = owned.len().saturating_sub(body_len);
            owned.splice(..start, out);
            owned
        }
        Cow::Borrowed(b) => {
            let mut out = out;
            out.reserve(body_len);
            out.extend_from_slice(b.get(b.len().saturating_sub(body_len)..).unwrap_or_default());
            out
        }
    };
    Ok(Protected { entity, outer })
}

/// Where [`protect_parts_into`] put the payload entity.
pub(crate) enum PartsProtected {
    /// Written to its `out`; the header fields of the outer message.
    Written(Vec<(String, String)>),
    /// Made in a buffer of its own (a single part whose own header section the legacy display
    /// changes); nothing written to `out`.
    Whole(Protected),
}

impl PartsProtected {
    /// The payload entity and outer fields, when the entity was written to `out`, one buffer.
    pub(crate) fn in_buffer(self, out: Vec<u8>) -> Protected {
        match self {
            PartsProtected::Written(outer) => Protected { entity: out, outer },
            PartsProtected::Whole(protected) => protected,
        }
    }
}

/// [`protect`] of the entity made of `head` (its Content-* fields and the blank line) and
/// the body of `top`, a message's parse, in one pass over the body, written to `out`: the
/// payload is written once, after its new header section, instead of the entity being put
/// together first, then (with a legacy display) parsed and written again and its header section
/// replaced. The same bytes as [`protect_owned`] of that entity (a test compares them). With a
/// [`super::PieceList`] as `out`, the parts kept as they are become ranges of the message (to
/// be put together in its own buffer, [`super::assemble_in_place`]).
///
/// # Security
/// As [`protect`].
pub(crate) fn protect_parts_into(headers: &[(String, String)], head: &[u8], top: &Entity<'_>, mode: Protection, limits: &Limits, out: &mut dyn EntityOut) -> Result<PartsProtected> {
    let Plan { fields, outer, record, hidden } = plan(headers, mode);
    let boundary = top.content_type().param("boundary").map(str::to_string);
    let multipart = !top.children().is_empty() && boundary.is_some();
    if !hidden.is_empty() && !multipart {
        // A single part's legacy display changes its own header section: the general way.
        let mut entity = Vec::with_capacity(head.len().saturating_add(top.body_raw().len()));
        entity.extend_from_slice(head);
        entity.extend_from_slice(top.body_raw());
        return protect_owned(headers, entity, mode, limits).map(PartsProtected::Whole);
    }
    let parsed = parse_head(head, limits)?;
    out.buf().extend_from_slice(&protected_head(&fields, &record, &parsed, mode));
    match boundary.filter(|_| !hidden.is_empty()) {
        // What the legacy display's rewrite writes after the multipart's header section.
        Some(boundary) => {
            // Room for the display and some growth of the rewritten text (quoted-printable)
            // without the buffer doubling (for a buffer of its own; pieces hold new bytes only).
            let body = top.body_raw().len();
            out.reserve(body.saturating_add(body / 16).saturating_add(4096));
            rewrite_parts(top, &boundary, true, &hidden, out);
        }
        None => out.keep(top.body_raw()),
    }
    Ok(PartsProtected::Written(outer))
}

/// The payload's header section: the protected fields, the Content-Type with `hp`, the
/// entity's other Content-* fields, the `HP-Outer` record and the blank line.
fn protected_head(fields: &[(String, String)], record: &[(String, String)], head: &Entity<'_>, mode: Protection) -> Vec<u8> {
    let mut out = Vec::with_capacity(2048);
    out.extend_from_slice(&encode_headers(fields));
    out.extend_from_slice(content_type_line(&head.content_type(), &[(HP_PARAM, mode.as_str())]).as_bytes());
    for (name, value) in head.headers() {
        if name.eq_ignore_ascii_case("content-type") || header_place(name) != HeaderPlace::Inner {
            continue;
        }
        push_field(&mut out, name, value);
    }
    for field in record {
        let line = encode_headers(std::slice::from_ref(field));
        if !line.is_empty() {
            out.extend_from_slice(HP_OUTER.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(&line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A Content-Type field for `ct` with `set` parameters replacing any of the same name.
fn content_type_line(ct: &ContentType, set: &[(&str, &str)]) -> String {
    let mut line = Folder::new("Content-Type");
    line.push(" ", &ct.essence());
    let kept = ct.params.iter().filter(|(n, _)| !set.iter().any(|(s, _)| s.eq_ignore_ascii_case(n)));
    for (name, value) in kept.map(|(n, v)| (n.as_str(), v.as_str())).chain(set.iter().copied()) {
        let printable = value.bytes().all(|b| (32..=126).contains(&b));
        if printable && value.len() <= 900 {
            // Written as it is, whatever its length: a boundary must not be re-encoded.
            let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
            line.push("; ", &format!("{name}=\"{escaped}\""));
        } else {
            push_param(&mut line, name, value, name != "name");
        }
    }
    line.finish()
}

/// `entity` with a legacy display of `hidden` at the top of each main body part (the
/// first part of each multipart, every alternative of a multipart/alternative; text
/// leaves that are not attachments).
fn add_legacy_display(entity: &[u8], hidden: &[(String, String)], limits: &Limits) -> Result<Vec<u8>> {
    let top = parse(entity, limits)?;
    let mut out = Vec::with_capacity(entity.len().saturating_add(1024));
    rewrite(&top, true, hidden, &mut out);
    Ok(out)
}

fn rewrite(e: &Entity<'_>, main: bool, hidden: &[(String, String)], out: &mut dyn EntityOut) {
    let ct = e.content_type();
    if let (false, Some(boundary)) = (e.children().is_empty(), ct.param("boundary")) {
        out.keep(e.header_block());
        out.buf().extend_from_slice(b"\r\n");
        rewrite_parts(e, boundary, main, hidden, out);
        return;
    }
    let attachment = e.content_disposition().is_some_and(|d| d.mime_type == "attachment");
    let html = ct.is("text/html");
    let eligible = main && !attachment && (html || ct.is("text/plain")) && ct.param(LEGACY_DISPLAY_PARAM).is_none();
    if eligible && !html && prepend_seven_bit(e, &ct, hidden, out) {
        return;
    }
    let Some(text) = eligible.then(|| e.text()).flatten() else {
        out.keep(e.raw());
        return;
    };
    let shown = if html { html_with_display(&text, hidden) } else { plain_with_display(&text, hidden) };
    let out = out.buf();
    push_display_part_head(e, &ct, out);
    // An 8-bit text (encrypted only, never signed: signing makes it 7-bit first) stays 8-bit;
    // any other becomes quoted-printable, which carries the display's characters in 7 bits.
    if matches!(e.transfer_encoding().as_str(), "8bit" | "binary") {
        out.extend_from_slice(b"Content-Transfer-Encoding: 8bit\r\n\r\n");
        out.extend_from_slice(shown.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "\r\n").as_bytes());
    } else {
        out.extend_from_slice(b"Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        push_quoted_printable(out, shown.as_bytes());
    }
}

/// A 7-bit plain text in ASCII or UTF-8 with a display of only printable ASCII: the display
/// lines put before its body as it is, which stays 7-bit (no decoding of the text and no
/// quoted-printable of all of it, which was most of the cost of encrypting a large text). False,
/// with nothing written, for any other text.
fn prepend_seven_bit(e: &Entity<'_>, ct: &ContentType, hidden: &[(String, String)], out: &mut dyn EntityOut) -> bool {
    let ascii_charset = ct.param("charset").is_none_or(|c| ["utf-8", "utf8", "us-ascii", "ascii"].iter().any(|a| c.trim().eq_ignore_ascii_case(a)));
    let lines = display_lines(hidden);
    let display_fits = lines.iter().all(|l| l.len() <= 998 && l.bytes().all(|b| (32..=126).contains(&b)));
    let body = e.body_raw();
    if !(ascii_charset && display_fits && matches!(e.transfer_encoding().as_str(), "7bit") && cachet_bytes::is_seven_bit(body)) {
        return false;
    }
    let new = out.buf();
    push_display_part_head(e, ct, new);
    new.extend_from_slice(b"Content-Transfer-Encoding: 7bit\r\n\r\n");
    for line in &lines {
        new.extend_from_slice(line.as_bytes());
        new.extend_from_slice(b"\r\n");
    }
    new.extend_from_slice(b"\r\n");
    out.keep(body);
    true
}

/// The header fields of text part `e` (of type `ct`) once it begins with a legacy display, but
/// its Content-Transfer-Encoding, which the caller writes: its Content-Type in UTF-8 and marked
/// [`LEGACY_DISPLAY_PARAM`], and its other fields as they were.
fn push_display_part_head(e: &Entity<'_>, ct: &ContentType, out: &mut Vec<u8>) {
    let utf8 = ContentType { params: ct.params.iter().filter(|(n, _)| n != "charset").cloned().collect(), ..ct.clone() };
    out.extend_from_slice(content_type_line(&utf8, &[("charset", "utf-8"), (LEGACY_DISPLAY_PARAM, "1")]).as_bytes());
    for (name, value) in e.headers() {
        if !name.eq_ignore_ascii_case("content-type") && !name.eq_ignore_ascii_case("content-transfer-encoding") {
            push_field(out, name, value);
        }
    }
}

/// The parts of the multipart `e` (its body after the header section), each rewritten.
fn rewrite_parts(e: &Entity<'_>, boundary: &str, main: bool, hidden: &[(String, String)], out: &mut dyn EntityOut) {
    let alternative = e.content_type().subtype == "alternative";
    for (i, c) in e.children().iter().enumerate() {
        let new = out.buf();
        new.extend_from_slice(b"--");
        new.extend_from_slice(boundary.as_bytes());
        new.extend_from_slice(b"\r\n");
        rewrite(c, main && (alternative || i == 0), hidden, out);
        out.buf().extend_from_slice(b"\r\n");
    }
    let new = out.buf();
    new.extend_from_slice(b"--");
    new.extend_from_slice(boundary.as_bytes());
    new.extend_from_slice(b"--\r\n");
}

/// One line per hidden field, `Name: value`, without line breaks inside a value.
fn display_lines(hidden: &[(String, String)]) -> Vec<String> {
    hidden.iter().map(|(n, v)| format!("{n}: {}", v.replace(['\r', '\n'], " ").trim())).collect()
}

fn plain_with_display(text: &str, hidden: &[(String, String)]) -> String {
    let mut out = display_lines(hidden).join("\n");
    out.push_str("\n\n");
    out.push_str(text);
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The HTML with the legacy display element as the first thing in its body.
fn html_with_display(html: &str, hidden: &[(String, String)]) -> String {
    let lines: Vec<String> = display_lines(hidden).iter().map(|l| html_escape(l)).collect();
    let element = format!("<div class=\"{LEGACY_DISPLAY_CLASS}\"><pre>{}</pre></div>", lines.join("<br>\n"));
    let lower = html.to_ascii_lowercase();
    let at = lower.find("<body").and_then(|b| lower.get(b..).and_then(|rest| rest.find('>')).map(|end| b + end + 1));
    match at.and_then(|i| Some((html.get(..i)?, html.get(i..)?))) {
        Some((head, rest)) => format!("{head}\n{element}\n{rest}"),
        None => format!("{element}\n{html}"),
    }
}

/// The header section of a cryptographic payload (RFC 9788 section 2): the protected
/// fields and, for an encrypted one, the record of what was left outside.
#[derive(Debug, Clone)]
pub struct ProtectedSection<'a> {
    pub mode: Protection,
    /// The protected header fields in order (name, raw value): every field of the
    /// section except the structural ones (Content-*, MIME-Version) and `HP-Outer`.
    pub fields: Vec<(&'a str, &'a [u8])>,
    /// What each `HP-Outer` field says was outside (name, raw value), in order.
    pub outer_record: Vec<(String, Vec<u8>)>,
}

/// The protected header section of `e`, when its Content-Type carries `hp="clear"` or
/// `hp="cipher"` (RFC 9788 section 2.1); None otherwise (an unknown `hp` value too).
/// The caller decides whether `e` is a cryptographic payload (the innermost content of
/// a signed or encrypted layer): the same fields on any other part protect nothing.
///
/// # Security
/// `e` is untrusted. The work is linear in its header section (bounded by the parser's
/// limits); an `HP-Outer` value that names no field is ignored.
pub fn protected_section<'a>(e: &Entity<'a>) -> Option<ProtectedSection<'a>> {
    let mode = match e.content_type().param(HP_PARAM)?.trim().to_ascii_lowercase().as_str() {
        "clear" => Protection::Clear,
        "cipher" => Protection::Cipher,
        _ => return None,
    };
    let mut fields = Vec::new();
    let mut outer_record = Vec::new();
    for (name, value) in e.headers() {
        if name.eq_ignore_ascii_case(HP_OUTER) {
            let Some(colon) = value.iter().position(|b| *b == b':') else { continue };
            let (n, v) = (value.get(..colon).unwrap_or_default(), value.get(colon + 1..).unwrap_or_default());
            let n = String::from_utf8_lossy(n).trim().to_string();
            if !n.is_empty() && n.bytes().all(|b| (33..=126).contains(&b)) {
                outer_record.push((n, v.to_vec()));
            }
        } else if header_place(name) == HeaderPlace::Outer {
            fields.push((name, value));
        }
    }
    Some(ProtectedSection { mode, fields, outer_record })
}

/// A header value as a reader compares and shows it: unfolded, RFC 2047 decoded, white
/// space runs made one space, trimmed.
pub fn field_text(raw: &[u8]) -> String {
    super::entity::decode_unstructured(raw).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` (a main body part) without the legacy display at its top: for plain text the
/// `Name: value` lines up to and including the first empty line, for HTML the first
/// element of class [`LEGACY_DISPLAY_CLASS`]. None when `text` does not start with one
/// (within [`MAX_LEGACY_DISPLAY`] bytes): then it is shown as it is. Only for a part
/// marked `hp-legacy-display="1"` inside an encrypted payload.
///
/// # Security
/// `text` is untrusted; the search is bounded by [`MAX_LEGACY_DISPLAY`] bytes of it and
/// never removes anything else than what it recognises.
pub fn hide_legacy_display(text: &str, html: bool) -> Option<String> {
    let window = text.get(..text.len().min(MAX_LEGACY_DISPLAY)).or_else(|| {
        let mut end = MAX_LEGACY_DISPLAY.min(text.len());
        while !text.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        text.get(..end)
    })?;
    if html {
        let lower = window.to_ascii_lowercase();
        let class_at = lower.find(LEGACY_DISPLAY_CLASS)?;
        let open = lower.get(..class_at)?.rfind("<div")?;
        if lower.get(open..class_at)?.contains('>') {
            return None;
        }
        let close = class_at + lower.get(class_at..)?.find("</div>")? + "</div>".len();
        let (before, after) = (text.get(..open)?, text.get(close..)?);
        return Some(format!("{before}{}", after.strip_prefix("\r\n").or_else(|| after.strip_prefix('\n')).unwrap_or(after)));
    }
    let mut pos = 0usize;
    let mut lines = 0usize;
    while pos < window.len() {
        let rest = window.get(pos..)?;
        let end = rest.find('\n')?;
        let line = rest.get(..end)?.trim_end_matches('\r');
        if line.is_empty() {
            return (lines > 0).then(|| text.get(pos + end + 1..).unwrap_or_default().to_string());
        }
        let header_like = line.split_once(':').is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| (33..=126).contains(&b)));
        if !header_like {
            return None;
        }
        lines += 1;
        pos += end + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> Vec<(String, String)> {
        vec![
            ("From".into(), "Alice <alice@example.org>".into()),
            ("To".into(), "bob@example.net".into()),
            ("Subject".into(), "Grüße, the plan".into()),
            ("Keywords".into(), "secret".into()),
            ("Date".into(), "Sun, 29 Nov 2026 16:00:00 +0000".into()),
            ("Message-ID".into(), "<1@example.org>".into()),
            ("HP-Outer".into(), "Subject: forged".into()),
            ("MIME-Version".into(), "1.0".into()),
        ]
    }

    const ALT: &[u8] = b"Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello Bob\r\n--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Hello</p></body></html>\r\n--a--\r\n\r\n--m\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"n.txt\"\r\n\r\nnotes\r\n--m--\r\n";

    #[test]
    fn clear_copies_every_field_inside_and_keeps_the_outside() {
        let p = protect(&headers(), b"Content-Type: text/plain; charset=utf-8\r\n\r\nHi\r\n", Protection::Clear, &Limits::default()).unwrap();
        let e = parse(&p.entity, &Limits::default()).unwrap();
        assert_eq!(e.content_type().param("hp"), Some("clear"));
        assert_eq!(e.content_type().param("charset"), Some("utf-8"));
        assert_eq!(e.header("Subject").as_deref(), Some("Grüße, the plan"));
        assert!(e.raw_header("HP-Outer").is_none(), "no record for signed-only, and a forged one is dropped");
        assert!(e.raw_header("MIME-Version").is_none());
        assert_eq!(e.text().as_deref(), Some("Hi\r\n"));
        assert_eq!(p.outer.iter().find(|(n, _)| n == "Subject").map(|(_, v)| v.as_str()), Some("Grüße, the plan"));
        let s = protected_section(&e).unwrap();
        assert_eq!(s.mode, Protection::Clear);
        assert_eq!(s.fields.len(), 6);
    }

    #[test]
    fn cipher_obscures_the_subject_records_the_outside_and_adds_a_legacy_display_to_main_parts_only() {
        let p = protect(&headers(), ALT, Protection::Cipher, &Limits::default()).unwrap();
        let outer: Vec<(&str, &str)> = p.outer.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert!(outer.contains(&("Subject", "[...]")));
        assert!(!outer.iter().any(|(n, _)| *n == "Keywords"), "Keywords is left out");
        assert!(outer.contains(&("Message-ID", "<1@example.org>")));
        assert!(p.entity.iter().all(|b| *b < 0x80), "7-bit");
        let e = parse(&p.entity, &Limits::default()).unwrap();
        assert_eq!(e.content_type().param("hp"), Some("cipher"));
        assert_eq!(e.content_type().param("boundary"), Some("m"));
        let s = protected_section(&e).unwrap();
        assert_eq!(s.mode, Protection::Cipher);
        let record: Vec<(String, String)> = s.outer_record.iter().map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).trim().to_string())).collect();
        assert!(record.contains(&("Subject".into(), "[...]".into())));
        assert!(!record.iter().any(|(n, v)| n == "Keywords" || v.contains("forged")));
        assert_eq!(record.len(), 5, "From, To, Subject, Date, Message-ID");
        let alt = &e.children()[0].children();
        assert_eq!(alt[0].content_type().param(LEGACY_DISPLAY_PARAM), Some("1"));
        let plain = alt[0].text().unwrap();
        assert!(plain.starts_with("Subject: Grüße, the plan\r\n\r\nHello Bob"), "{plain:?}");
        assert_eq!(hide_legacy_display(&plain, false).as_deref(), Some("Hello Bob"));
        let html = alt[1].text().unwrap().replace("\r\n", "\n");
        assert!(html.contains("<body>\n<div class=\"header-protection-legacy-display\"><pre>Subject: Grüße, the plan</pre></div>\n<p>Hello</p>"), "{html}");
        assert_eq!(hide_legacy_display(&html, true).as_deref(), Some("<html><body>\n<p>Hello</p></body></html>"));
        let file = &e.children()[1];
        assert_eq!(file.content_type().param(LEGACY_DISPLAY_PARAM), None, "attachments are left alone");
        assert_eq!(file.body_decoded().unwrap(), b"notes");
    }

    #[test]
    fn an_unknown_hp_value_or_a_nameless_record_is_no_protection() {
        let odd = parse(b"Content-Type: text/plain; hp=\"v2\"\r\nSubject: x\r\n\r\nhi", &Limits::default()).unwrap();
        assert!(protected_section(&odd).is_none());
        let e = parse(b"Content-Type: text/plain; hp=\"CIPHER\"\r\nSubject: x\r\nHP-Outer: no colon\r\nHP-Outer: : empty\r\nHP-Outer: Subject: [...]\r\n\r\nhi", &Limits::default()).unwrap();
        let s = protected_section(&e).unwrap();
        assert_eq!(s.mode, Protection::Cipher);
        assert_eq!(s.outer_record.len(), 1);
        assert_eq!(field_text(&s.outer_record[0].1), "[...]");
    }

    #[test]
    fn an_eight_bit_text_stays_eight_bit_and_a_seven_bit_one_becomes_quoted_printable() {
        let eight = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n";
        let p = protect(&headers(), eight.as_bytes(), Protection::Cipher, &Limits::default()).unwrap();
        let e = parse(&p.entity, &Limits::default()).unwrap();
        assert_eq!(e.transfer_encoding(), "8bit");
        assert!(String::from_utf8_lossy(e.body_raw()).starts_with("Subject: Grüße, the plan\r\n\r\nGrüße"));
        let seven = b"Content-Type: text/plain\r\n\r\nHello\r\n";
        let p = protect(&headers(), seven, Protection::Cipher, &Limits::default()).unwrap();
        let e = parse(&p.entity, &Limits::default()).unwrap();
        assert_eq!(e.transfer_encoding(), "quoted-printable");
        assert!(p.entity.iter().all(|b| *b < 0x80));
        assert_eq!(e.text().unwrap(), "Subject: Grüße, the plan\r\n\r\nHello\r\n");
    }

    #[test]
    fn a_seven_bit_ascii_text_keeps_its_body_after_an_ascii_display() {
        let ascii: Vec<(String, String)> = headers().into_iter().map(|(n, v)| if n == "Subject" { (n, "The plan".into()) } else { (n, v) }).collect();
        let body = "From the start: trailing space \r\n.\r\nline=2\r\n";
        let seven = format!("Content-Type: text/plain; charset=us-ascii; format=flowed\r\n\r\n{body}");
        let p = protect(&ascii, seven.as_bytes(), Protection::Cipher, &Limits::default()).unwrap();
        let e = parse(&p.entity, &Limits::default()).unwrap();
        assert_eq!(e.transfer_encoding(), "7bit");
        assert_eq!(e.content_type().param("charset"), Some("utf-8"));
        assert_eq!(e.content_type().param("format"), Some("flowed"));
        assert_eq!(e.content_type().param(LEGACY_DISPLAY_PARAM), Some("1"));
        assert_eq!(e.body_raw(), format!("Subject: The plan\r\n\r\n{body}").as_bytes(), "the body byte for byte after the display");
        assert_eq!(hide_legacy_display(&e.text().unwrap(), false).as_deref(), Some(body));
        // Otherwise quoted-printable, as before: an 8-bit byte in a text said to be 7-bit,
        // another charset, a line too long for 7 bits, and a display that is not ASCII.
        let long = format!("Content-Type: text/plain\r\n\r\n{}\r\n", "x".repeat(999));
        for (fields, entity) in [
            (&ascii, "Content-Type: text/plain\r\n\r\nGr\u{fc}\u{df}e\r\n".to_string()),
            (&ascii, "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nHello\r\n".to_string()),
            (&ascii, long),
            (&headers(), "Content-Type: text/plain\r\n\r\nHello\r\n".to_string()),
        ] {
            let p = protect(fields, entity.as_bytes(), Protection::Cipher, &Limits::default()).unwrap();
            let e = parse(&p.entity, &Limits::default()).unwrap();
            assert_eq!(e.transfer_encoding(), "quoted-printable", "{entity}");
            assert!(p.entity.iter().all(|b| *b < 0x80));
        }
    }

    #[test]
    fn hiding_recognises_only_a_legacy_display() {
        assert_eq!(hide_legacy_display("Hello\n\nBob", false), None, "not a header line");
        assert_eq!(hide_legacy_display("\nBob", false), None, "no line before the blank one");
        assert_eq!(hide_legacy_display("Subject: x", false), None, "no blank line");
        assert_eq!(hide_legacy_display("<p>x</p>", true), None);
        assert_eq!(hide_legacy_display("<p class=\"header-protection-legacy-display\">x</p>", true), None);
        let long = format!("Subject: {}\n\nBob", "x".repeat(MAX_LEGACY_DISPLAY));
        assert_eq!(hide_legacy_display(&long, false), None);
        let multi = format!("Subject: é{}\n\nBob", "é".repeat(MAX_LEGACY_DISPLAY));
        assert_eq!(hide_legacy_display(&multi, false), None, "a cut inside a character never panics");
    }
}
