//! Encrypted drafts (confidential compose mode): the draft the user is writing, kept on
//! the mail server (Drafts folder) only encrypted to the user's own certificate, never
//! in plaintext.
//!
//! A draft is the whole message the user is writing (From, To, Cc, Bcc, Subject, the
//! threading fields, text, HTML and attachments, as [`crate::compose`] builds it, with a
//! recipient or not) carried as the `message/rfc822` body of a small wrapper message.
//! The wrapper shows outside only what a mail server needs to file it: From, Date, a
//! Message-ID, the fixed Subject [`OUTER_SUBJECT`] and the marker field [`MARKER`] by
//! which Cachet recognises its drafts. The caller signs and encrypts the wrapper to the
//! sender alone (`smime::encrypt_message` with no other recipient), so the subject,
//! recipients, text and attachments exist on the server only inside the EnvelopedData.
//! The marker is repeated inside, and a draft is read back only when the inner message
//! carries it too.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use mail_parser::parsers::MessageStream;
use mail_parser::{Address, HeaderValue};

use crate::compose::{compose_draft, Draft, DraftAttachment};
use crate::error::{Code, Error, Result};
use crate::mime::{canonicalize_crlf, encode_headers, header_place, parse, received_value, Entity, HeaderPlace, Limits, SmimeKind};

/// The header field that marks a Cachet draft (outside, and again inside the encrypted part).
pub const MARKER: &str = "X-Cachet-Draft";
/// The value of [`MARKER`]: encrypted drafts, format 1.
pub const MARKER_VALUE: &str = "encrypted; v=1";
/// The only Subject a mail server sees of a draft (the real one is inside).
pub const OUTER_SUBJECT: &str = "Encrypted draft (Cachet)";

/// The wrapper message to sign and encrypt to the sender: outer fields From, Subject
/// [`OUTER_SUBJECT`], Date, Message-ID (when given) and [`MARKER`]; the body is the
/// draft as a `message/rfc822` entity that carries [`MARKER`] too. A draft needs a
/// sender, not a recipient.
///
/// # Security
/// The fields are the user's own text, limited and escaped as in
/// [`crate::compose::compose`] (no header injection; text, HTML and attachments within
/// `compose::MAX_TEXT`, `MAX_TOTAL`, `MAX_ATTACHMENTS`).
pub fn draft_message(d: &Draft) -> Result<Vec<u8>> {
    let inner = compose_draft(d, &[(MARKER.to_string(), MARKER_VALUE.to_string())])?;
    let mut outer: Vec<(String, String)> = vec![("From".into(), d.from.clone()), ("Subject".into(), OUTER_SUBJECT.into())];
    for (name, value) in [("Date", &d.date), ("Message-ID", &d.message_id)] {
        if !value.trim().is_empty() {
            outer.push((name.into(), value.clone()));
        }
    }
    outer.push((MARKER.into(), MARKER_VALUE.into()));
    outer.push(("MIME-Version".into(), "1.0".into()));
    outer.push(("Content-Type".into(), "message/rfc822".into()));
    let mut out = encode_headers(&outer);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&inner);
    Ok(out)
}

/// The form in which an encrypted draft is stored: the encrypted wrapper (from
/// [`draft_message`] through `smime::encrypt_message`) with its outer header fields reduced
/// to From, Date and Message-ID as they are, the Subject [`OUTER_SUBJECT`] and [`MARKER`]:
/// whatever the encryption step leaves outside (its header policy may change), nothing else
/// of the draft reaches the server. The Content-* fields and the body are kept byte for byte.
///
/// # Security
/// `encrypted` is parsed within `limits`; anything but an `application/(x-)pkcs7-mime`
/// enveloped-data or authEnveloped-data message is refused (`Code::Usage`): a draft is never
/// stored unencrypted.
pub fn stored_form(encrypted: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    let canonical = canonicalize_crlf(encrypted);
    let top = parse(&canonical, limits)?;
    let enveloped = matches!(top.smime_kind(), Some(SmimeKind::Pkcs7Mime { smime_type: Some(t), .. }) if t == "enveloped-data" || t == "authenveloped-data");
    if !enveloped || !top.content_type().essence().ends_with("pkcs7-mime") {
        return Err(Error::usage("A draft is stored only encrypted.").with_detail("stored_form needs an enveloped-data or authEnveloped-data message"));
    }
    let mut outer: Vec<(String, String)> = Vec::new();
    for name in ["From", "Date", "Message-ID"] {
        if let Some(v) = top.raw_header(name) {
            outer.push((name.to_string(), received_value(name, v)));
        }
    }
    outer.push(("Subject".into(), OUTER_SUBJECT.into()));
    outer.push((MARKER.into(), MARKER_VALUE.into()));
    outer.push(("MIME-Version".into(), "1.0".into()));
    let mut out = encode_headers(&outer);
    for (name, value) in top.headers() {
        if header_place(name) == HeaderPlace::Inner {
            crate::mime::push_field(&mut out, name, value);
        }
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(top.body_raw());
    Ok(out)
}

/// Whether a stored message (as the server gives it) is one of Cachet's drafts: its
/// header block has the [`MARKER`] field. Says nothing about whether it decrypts.
///
/// # Security
/// Reads only the header block, within `limits` (a message that does not parse is not a draft).
pub fn is_draft(message: &[u8], limits: &Limits) -> bool {
    let canonical = canonicalize_crlf(message);
    parse(&canonical, limits).map(|top| has_marker(&top)).unwrap_or(false)
}

fn has_marker(e: &Entity<'_>) -> bool {
    e.header(MARKER).is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("encrypted"))
}

fn not_a_draft(detail: &str) -> Error {
    Error::new(Code::Malformed, "This is not an encrypted draft made by Cachet.", "Open it as a message instead.").with_detail(detail.to_string())
}

/// The draft's fields from the decrypted content of a stored draft (the innermost
/// content `open` gives: the `message/rfc822` entity of [`draft_message`]), ready to
/// fill the compose pane again. Addresses come back as `Name <addr>` or `addr`;
/// attachments with their decoded bytes (base64), inline pictures of the HTML with
/// their Content-ID.
///
/// # Security
/// `content` is what decrypted with the user's key, but the server could have replaced
/// the whole stored draft: it is parsed within `limits`, must carry [`MARKER`] inside,
/// and every field is returned as data (text for the compose pane's inputs, HTML never
/// rendered from here). Attachment bytes are at most the size of `content`.
pub fn read_draft(content: &[u8], limits: &Limits) -> Result<Draft> {
    let canonical = canonicalize_crlf(content);
    let top = parse(&canonical, limits)?;
    if !top.content_type().is("message/rfc822") {
        return Err(not_a_draft("the decrypted content is not message/rfc822"));
    }
    let inner_bytes = top.body_decoded()?;
    let inner_canonical = canonicalize_crlf(&inner_bytes);
    let msg = parse(&inner_canonical, limits)?;
    if !has_marker(&msg) {
        return Err(not_a_draft("the inner message has no X-Cachet-Draft field"));
    }
    let text_of = |name: &str| msg.header(name).unwrap_or_default();
    let mut d = Draft {
        from: text_of("From"),
        to: address_list(msg.raw_header("To")),
        cc: address_list(msg.raw_header("Cc")),
        bcc: address_list(msg.raw_header("Bcc")),
        subject: text_of("Subject"),
        date: text_of("Date"),
        message_id: text_of("Message-ID"),
        in_reply_to: text_of("In-Reply-To"),
        references: text_of("References"),
        ..Draft::default()
    };
    let mut leaves = Vec::new();
    collect_leaves(&msg, false, &mut leaves);
    for (e, in_related) in leaves {
        let ct = e.content_type();
        let essence = ct.essence();
        let attached = e.content_disposition().is_some_and(|c| c.mime_type.eq_ignore_ascii_case("attachment"));
        if !attached && essence == "text/plain" && d.text.is_empty() {
            d.text = e.text().unwrap_or_default().replace("\r\n", "\n");
        } else if !attached && essence == "text/html" && d.html.is_empty() {
            d.html = e.text().unwrap_or_default();
        } else {
            let data = e.body_decoded()?;
            let content_id = if in_related {
                e.header("Content-ID").map(|v| v.trim().trim_start_matches('<').trim_end_matches('>').to_string()).unwrap_or_default()
            } else {
                String::new()
            };
            d.attachments.push(DraftAttachment { filename: e.filename().unwrap_or_else(|| "attachment".into()), content_type: essence, data_base64: STANDARD.encode(data), content_id });
        }
    }
    Ok(d)
}

/// Leaves in order, each with whether it sits in a multipart/related (an inline picture).
fn collect_leaves<'a, 'b>(e: &'b Entity<'a>, in_related: bool, out: &mut Vec<(&'b Entity<'a>, bool)>) {
    if e.children().is_empty() {
        out.push((e, in_related));
    } else {
        let related = in_related || e.content_type().is("multipart/related");
        for c in e.children() {
            collect_leaves(c, related, out);
        }
    }
}

/// The mailboxes of an address field as `Name <addr>` (or `addr`), groups flattened.
fn address_list(raw: Option<&[u8]>) -> Vec<String> {
    let Some(raw) = raw else { return Vec::new() };
    let mut buf: Vec<u8> = raw.iter().copied().filter(|&c| c != b'\r' && c != b'\n').collect();
    buf.push(b'\n');
    let list: Vec<mail_parser::Addr<'_>> = match MessageStream::new(&buf).parse_address() {
        HeaderValue::Address(Address::List(list)) => list,
        HeaderValue::Address(Address::Group(groups)) => groups.into_iter().flat_map(|g| g.addresses).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .filter_map(|a| {
            let address = a.address?.trim().to_string();
            if !address.contains('@') {
                return None;
            }
            Some(match a.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()) {
                Some(name) if !name.eq_ignore_ascii_case(&address) => format!("{name} <{address}>"),
                _ => address,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            from: "Alice <alice@example.org>".into(),
            to: vec!["Bob Example <bob@example.net>".into(), "carol@example.com".into()],
            bcc: vec!["dave@example.com".into()],
            subject: "Quarterly numbers — confidential".into(),
            text: "Hello Bob,\nthe secret is 42.\n".into(),
            html: "<p>the secret is <b>42</b></p>".into(),
            date: "Sat, 05 Dec 2026 22:00:00 +0000".into(),
            message_id: "<d1@example.org>".into(),
            in_reply_to: "<x@example.net>".into(),
            attachments: vec![DraftAttachment { filename: "plan.bin".into(), content_type: "application/octet-stream".into(), data_base64: STANDARD.encode([0u8, 1, 2, 255]), content_id: String::new() }],
            ..Draft::default()
        }
    }

    #[test]
    fn the_wrapper_shows_only_the_sender_and_the_marker_outside() {
        let bytes = draft_message(&draft()).unwrap();
        let top = parse(&bytes, &Limits::default()).unwrap();
        assert_eq!(top.header("Subject").as_deref(), Some(OUTER_SUBJECT));
        assert!(top.header("To").is_none() && top.header("Bcc").is_none());
        assert!(top.content_type().is("message/rfc822"));
        assert!(is_draft(&bytes, &Limits::default()));
        let plain = compose_draft(&draft(), &[]).unwrap();
        assert!(!is_draft(&plain, &Limits::default()), "a plain message is not a draft");
    }

    #[test]
    fn a_draft_reads_back_field_for_field() {
        let bytes = draft_message(&draft()).unwrap();
        // What `open` gives after decrypting: the Content-* fields and the body.
        let at = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let content = [b"Content-Type: message/rfc822\r\n\r\n".as_slice(), &bytes[at + 4..]].concat();
        let d = read_draft(&content, &Limits::default()).unwrap();
        assert_eq!(d.to, vec!["Bob Example <bob@example.net>".to_string(), "carol@example.com".into()]);
        assert_eq!(d.bcc, vec!["dave@example.com".to_string()]);
        assert_eq!(d.subject, "Quarterly numbers — confidential");
        assert_eq!(d.text, "Hello Bob,\nthe secret is 42.\n");
        assert_eq!(d.html, "<p>the secret is <b>42</b></p>");
        assert_eq!(d.in_reply_to, "<x@example.net>");
        assert_eq!(d.attachments.len(), 1);
        assert_eq!(STANDARD.decode(&d.attachments[0].data_base64).unwrap(), vec![0u8, 1, 2, 255]);
        assert_eq!(d.attachments[0].filename, "plan.bin");
    }

    #[test]
    fn the_stored_form_keeps_only_the_sender_date_and_marker_outside_and_refuses_plaintext() {
        let encrypted = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Secret plans\r\nDate: Sat, 05 Dec 2026 22:00:00 +0000\r\nMessage-ID: <m@example.org>\r\nX-Other: leak\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQA=\r\n";
        let stored = stored_form(encrypted, &Limits::default()).unwrap();
        let top = parse(&stored, &Limits::default()).unwrap();
        let names: Vec<String> = top.headers().map(|(n, _)| n.to_ascii_lowercase()).collect();
        assert_eq!(names, ["from", "date", "message-id", "subject", "x-cachet-draft", "mime-version", "content-type", "content-transfer-encoding"]);
        assert_eq!(top.header("Subject").as_deref(), Some(OUTER_SUBJECT));
        assert!(stored.ends_with(b"\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQA=\r\n"), "the body is kept byte for byte");
        assert!(is_draft(&stored, &Limits::default()));
        let plain = compose_draft(&draft(), &[]).unwrap();
        assert_eq!(stored_form(&plain, &Limits::default()).unwrap_err().code, Code::Usage);
        let signed_only = b"From: a@example.org\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\n\r\nMIAG\r\n";
        assert_eq!(stored_form(signed_only, &Limits::default()).unwrap_err().code, Code::Usage);
    }

    #[test]
    fn a_draft_without_recipient_is_fine_but_needs_a_sender() {
        let mut d = draft();
        d.to.clear();
        d.bcc.clear();
        assert!(draft_message(&d).is_ok());
        d.from.clear();
        assert_eq!(draft_message(&d).unwrap_err().code, Code::Usage);
    }

    #[test]
    fn content_without_the_inner_marker_is_refused() {
        let plain = compose_draft(&draft(), &[]).unwrap();
        let content = [b"Content-Type: message/rfc822\r\n\r\n".as_slice(), &plain].concat();
        assert_eq!(read_draft(&content, &Limits::default()).unwrap_err().code, Code::Malformed);
        assert_eq!(read_draft(b"Content-Type: text/plain\r\n\r\nhello", &Limits::default()).unwrap_err().code, Code::Malformed);
        // Hostile: deep nesting stays within the parser's limits.
        let deep = "Content-Type: message/rfc822\r\n\r\n".repeat(10_000);
        assert!(read_draft(deep.as_bytes(), &Limits::default()).is_err());
    }
}
