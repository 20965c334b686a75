//! Composing a plain outgoing message (RFC 5322 section 3.6 header fields, RFC 2045
//! MIME-Version) from the fields the user typed, ready to be signed or encrypted by
//! [`crate::smime`]. The add-in shell never writes MIME itself: it hands these fields
//! to the core. The body is built by [`crate::mime::build_body_with_inline`] (RFC 8551
//! 3.1 form): text alone or text and HTML as multipart/alternative (RFC 2046 5.1.4), the
//! HTML with its inline images as multipart/related (RFC 2387), in multipart/mixed with
//! attachments (RFC 2046 5.1.3, RFC 2183); attached messages as message/rfc822.
//!
//! The identity's signed footer (legal text, contact details) is written here, into the
//! text and the HTML body, so it lies inside what [`crate::smime`] then signs: an
//! organisation needs no gateway disclaimer appended after signing (which breaks the
//! signature, see [`crate::smime::diagnose`]).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};
use crate::mime::{build_body_with_inline, encode_headers, Attachment, InlinePart};

/// The longest body text accepted (the limit of one message the add-in handles).
pub const MAX_TEXT: usize = 25 * 1024 * 1024;

/// The most bytes of text, HTML and decoded attachments together in one draft.
pub const MAX_TOTAL: usize = 25 * 1024 * 1024;

/// The most attachments in one draft.
pub const MAX_ATTACHMENTS: usize = 100;

/// The longest signed footer of an identity (16 KiB: a legal notice and contact details).
pub const MAX_FOOTER: usize = 16 * 1024;

/// The line between the text and the footer: the usage separator of RFC 3676 4.3, so
/// mail programs recognise the footer and leave it out when quoting a reply.
pub const FOOTER_SEPARATOR: &str = "-- ";

/// A file attached to a draft, its bytes in standard base64 (the form JSON can carry).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DraftAttachment {
    pub filename: String,
    /// `type/subtype`; anything else becomes `application/octet-stream`.
    pub content_type: String,
    pub data_base64: String,
    /// Not empty: the part is shown in the HTML body, which refers to it as
    /// `cid:<contentId>` (inline, in the multipart/related); without HTML it is attached.
    #[cfg_attr(test, ts(optional = nullable))]
    pub content_id: String,
}

/// The fields of a draft. Addresses are `addr@example.org` or `Name <addr@example.org>`.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Draft {
    pub from: String,
    pub to: Vec<String>,
    #[cfg_attr(test, ts(optional = nullable))]
    pub cc: Vec<String>,
    /// Blind copies. The add-in sends one message per Bcc recipient (each naming only
    /// that recipient), so this is empty or one address; it becomes a `Bcc` field
    /// (RFC 5322 3.6.3, the copy for the blind recipient names them).
    #[cfg_attr(test, ts(optional = nullable))]
    pub bcc: Vec<String>,
    pub subject: String,
    pub text: String,
    /// The HTML version of the text (empty: none); sent as the second alternative.
    #[cfg_attr(test, ts(optional = nullable))]
    pub html: String,
    /// RFC 5322 date-time, as the caller's clock says (the core has none).
    pub date: String,
    /// `<unique@domain>`; optional.
    #[cfg_attr(test, ts(optional = nullable))]
    pub message_id: String,
    /// `<id@domain>` of the message this replies to; optional (RFC 5322 3.6.4).
    #[cfg_attr(test, ts(optional = nullable))]
    pub in_reply_to: String,
    /// The References field of a reply (message ids separated by white space); optional.
    #[cfg_attr(test, ts(optional = nullable))]
    pub references: String,
    #[cfg_attr(test, ts(optional = nullable))]
    pub attachments: Vec<DraftAttachment>,
    /// The sender identity's footer (plain text, empty: none), added at the end of the
    /// text and of the HTML, inside what is signed. The add-in passes it when signing.
    #[cfg_attr(test, ts(optional = nullable))]
    pub footer: String,
}

/// Build the unsigned message: header fields (From, To, Cc, Bcc, Subject, Date,
/// Message-ID, In-Reply-To and References when given), `MIME-Version: 1.0`, then a
/// UTF-8 text body (with its HTML alternative and inline parts when given), in
/// multipart/mixed with the attachments when there are any.
///
/// # Security
/// Values are untrusted user text: CR and LF in them become spaces (no header
/// injection, see [`encode_headers`]; file names are quoted by the builder). The text
/// and the HTML are each limited to [`MAX_TEXT`] bytes, all of them and the decoded
/// attachments together to
/// [`MAX_TOTAL`] bytes, attachments to [`MAX_ATTACHMENTS`], the footer to [`MAX_FOOTER`]
/// (`Code::LimitExceeded`); invalid base64 and a draft without sender or recipient give
/// `Code::Usage`. The footer is escaped for the HTML body (it is text, never markup).
pub fn compose(d: &Draft) -> Result<Vec<u8>> {
    if d.from.trim().is_empty() {
        return Err(Error::usage("The message has no sender.").with_detail("from is empty"));
    }
    if d.to.iter().chain(d.cc.iter()).chain(d.bcc.iter()).all(|a| a.trim().is_empty()) {
        return Err(Error::usage("The message has no recipient.").with_detail("to, cc and bcc are empty"));
    }
    compose_draft(d, &[])
}

/// [`compose`] for a draft being written (`crate::draft`): a recipient is not needed
/// yet, and `extra` header fields are written after the others. Same limits and escaping.
pub fn compose_draft(d: &Draft, extra: &[(String, String)]) -> Result<Vec<u8>> {
    if d.from.trim().is_empty() {
        return Err(Error::usage("The message has no sender.").with_detail("from is empty"));
    }
    for t in [&d.text, &d.html] {
        if t.len() > MAX_TEXT {
            return Err(Error::new(Code::LimitExceeded, "The message text is too long.", "Shorten the text, or send the long part as an attachment.").with_detail(format!("{} bytes, limit {MAX_TEXT}", t.len())));
        }
    }
    if d.footer.len() > MAX_FOOTER {
        return Err(Error::new(Code::LimitExceeded, "The footer is too long.", "Shorten the signed footer of your address (Upkeep tab).")
            .with_detail(format!("{} bytes, limit {MAX_FOOTER}", d.footer.len())));
    }
    let (inline, attachments) = decode_attachments(d)?;
    let list = |v: &[String]| v.iter().map(|a| a.trim()).filter(|a| !a.is_empty()).collect::<Vec<_>>().join(", ");
    let mut headers: Vec<(String, String)> = vec![("From".into(), d.from.clone())];
    let to = list(&d.to);
    if !to.is_empty() {
        headers.push(("To".into(), to));
    }
    let cc = list(&d.cc);
    if !cc.is_empty() {
        headers.push(("Cc".into(), cc));
    }
    let bcc = list(&d.bcc);
    if !bcc.is_empty() {
        headers.push(("Bcc".into(), bcc));
    }
    headers.push(("Subject".into(), d.subject.clone()));
    for (name, value) in [("Date", &d.date), ("Message-ID", &d.message_id), ("In-Reply-To", &d.in_reply_to), ("References", &d.references)] {
        if !value.trim().is_empty() {
            headers.push((name.into(), value.clone()));
        }
    }
    headers.extend(extra.iter().cloned());
    headers.push(("MIME-Version".into(), "1.0".into()));
    let mut out = encode_headers(&headers);
    // The body entity starts with its Content-* fields: it continues the header block.
    let html = Some(d.html.as_str()).filter(|h| !h.trim().is_empty());
    let (text, html) = match footer_lines(&d.footer) {
        Some(footer) => (text_with_footer(&d.text, &footer), html.map(|h| html_with_footer(h, &footer))),
        None => (d.text.clone(), html.map(str::to_string)),
    };
    out.extend_from_slice(&build_body_with_inline(&text, html.as_deref(), &inline, &attachments));
    Ok(out)
}

/// The footer's lines (line breaks normalised, trailing white space and blank edges
/// removed), or None when there is nothing to add.
fn footer_lines(footer: &str) -> Option<Vec<String>> {
    let lines: Vec<String> = footer.replace("\r\n", "\n").replace('\r', "\n").split('\n').map(|l| l.trim_end().to_string()).collect();
    let first = lines.iter().position(|l| !l.is_empty())?;
    let last = lines.iter().rposition(|l| !l.is_empty())?;
    lines.get(first..=last).map(<[String]>::to_vec)
}

/// The text, then the separator line and the footer.
fn text_with_footer(text: &str, footer: &[String]) -> String {
    let mut out = text.trim_end_matches(['\r', '\n']).to_string();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(FOOTER_SEPARATOR);
    for line in footer {
        out.push('\n');
        out.push_str(line);
    }
    out.push('\n');
    out
}

/// The HTML with the footer (escaped text, one `<br>` per line) as a last block of the
/// body: before `</body>` when there is one, else at the end.
fn html_with_footer(html: &str, footer: &[String]) -> String {
    let escaped: Vec<String> = footer.iter().map(|l| escape_html(l)).collect();
    let block = format!("<div class=\"cachet-footer\" style=\"margin-top:1em\">{FOOTER_SEPARATOR}<br>\r\n{}</div>\r\n", escaped.join("<br>\r\n"));
    match html.to_ascii_lowercase().rfind("</body") {
        Some(at) => match (html.get(..at), html.get(at..)) {
            (Some(head), Some(tail)) => format!("{head}{block}{tail}"),
            _ => format!("{html}{block}"),
        },
        None => format!("{html}{block}"),
    }
}

/// Text as HTML character data.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Decode the draft's attachments within the limits of [`compose`]: the inline parts
/// (those with a Content-ID) and the attached files.
fn decode_attachments(d: &Draft) -> Result<(Vec<InlinePart>, Vec<Attachment>)> {
    let too_big = |total: usize| {
        Error::new(
            Code::LimitExceeded,
            "The message with its attachments is too large.",
            "Send large files another way, or split them over several messages.",
        )
        .with_detail(format!("{total} bytes or more, limit {MAX_TOTAL}"))
    };
    if d.attachments.len() > MAX_ATTACHMENTS {
        return Err(Error::new(Code::LimitExceeded, "The message has too many attachments.", "Attach fewer files, or put them in one archive.")
            .with_detail(format!("{} attachments, limit {MAX_ATTACHMENTS}", d.attachments.len())));
    }
    let mut total = d.text.len().saturating_add(d.html.len());
    if total > MAX_TOTAL {
        return Err(too_big(total));
    }
    let mut inline = Vec::new();
    let mut out = Vec::with_capacity(d.attachments.len());
    for a in &d.attachments {
        // Three bytes per four characters: refuse before decoding what cannot fit.
        let estimate = total.checked_add(a.data_base64.len() / 4 * 3).ok_or_else(|| too_big(usize::MAX))?;
        if estimate > MAX_TOTAL.saturating_add(3) {
            return Err(too_big(estimate));
        }
        let data = STANDARD.decode(a.data_base64.trim()).map_err(|e| {
            Error::usage("An attachment could not be read.").with_detail(format!("{}: invalid base64: {e}", a.filename))
        })?;
        total = total.checked_add(data.len()).ok_or_else(|| too_big(usize::MAX))?;
        if total > MAX_TOTAL {
            return Err(too_big(total));
        }
        let file = Attachment { filename: a.filename.clone(), content_type: a.content_type.clone(), data };
        if a.content_id.trim().is_empty() {
            out.push(file);
        } else {
            inline.push(InlinePart { content_id: a.content_id.trim().to_string(), attachment: file });
        }
    }
    Ok((inline, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::{parse, Limits};

    fn draft() -> Draft {
        Draft {
            from: "Alice <alice@example.org>".into(),
            to: vec!["bob@example.net".into(), " ".into()],
            subject: "Grüße\r\nBcc: eve@example.com".into(),
            text: "Hello Bob,\nline two é\n".into(),
            date: "Sun, 29 Nov 2026 16:00:00 +0000".into(),
            message_id: "<1@example.org>".into(),
            ..Draft::default()
        }
    }

    #[test]
    fn builds_a_message_the_parser_reads_back() {
        let bytes = compose(&draft()).unwrap();
        let top = parse(&bytes, &Limits::default()).unwrap();
        assert_eq!(top.from_address().as_deref(), Some("alice@example.org"));
        assert_eq!(top.header("To").as_deref().map(str::trim), Some("bob@example.net"));
        assert!(top.header("Bcc").is_none(), "no header injection through the subject");
        assert!(top.header("Subject").unwrap().contains("Grüße"));
        assert_eq!(top.header("Message-ID").as_deref().map(str::trim), Some("<1@example.org>"));
        assert!(top.content_type().is("text/plain"));
        assert_eq!(top.text().unwrap().replace("\r\n", "\n"), "Hello Bob,\nline two é\n");
        assert!(bytes.iter().all(|b| *b < 0x80), "7-bit output");
    }

    #[test]
    fn refuses_a_draft_without_sender_or_recipient() {
        let mut d = draft();
        d.to.clear();
        assert_eq!(compose(&d).unwrap_err().code, crate::error::Code::Usage);
        let mut d = draft();
        d.from = " ".into();
        assert_eq!(compose(&d).unwrap_err().code, crate::error::Code::Usage);
    }

    #[test]
    fn attachments_come_back_byte_for_byte_and_bcc_names_only_the_blind_recipient() {
        let bytes_in: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let mut d = draft();
        d.bcc = vec!["carol@example.com".into()];
        d.attachments = vec![DraftAttachment {
            filename: "data \"1\".bin".into(),
            content_type: "application/octet-stream; x=1".into(),
            data_base64: STANDARD.encode(&bytes_in),
            ..DraftAttachment::default()
        }];
        let bytes = compose(&d).unwrap();
        let top = parse(&bytes, &Limits::default()).unwrap();
        assert!(top.content_type().is("multipart/mixed"));
        assert_eq!(top.header("Bcc").as_deref().map(str::trim), Some("carol@example.com"));
        let kids = top.children();
        assert_eq!(kids.len(), 2);
        assert_eq!(kids[0].text().unwrap().replace("\r\n", "\n"), "Hello Bob,\nline two é\n");
        assert_eq!(kids[1].filename().as_deref(), Some("data \"1\".bin"));
        assert_eq!(kids[1].body_decoded().unwrap(), bytes_in);
        // Without Bcc there is no Bcc field at all; Bcc alone is a recipient.
        d.bcc.clear();
        assert!(parse(&compose(&d).unwrap(), &Limits::default()).unwrap().header("Bcc").is_none());
        d.to.clear();
        d.bcc = vec!["carol@example.com".into()];
        assert!(compose(&d).is_ok());
    }

    #[test]
    fn html_alternative_with_attachment_and_references() {
        let mut d = draft();
        d.html = "<p>Hello <b>Bob</b></p>".into();
        d.in_reply_to = "<a@example.net>".into();
        d.references = "<z@example.net> <a@example.net>".into();
        d.attachments = vec![DraftAttachment { filename: "n.txt".into(), content_type: "text/plain".into(), data_base64: STANDARD.encode(b"notes"), content_id: String::new() }];
        let bytes = compose(&d).unwrap();
        let top = parse(&bytes, &Limits::default()).unwrap();
        assert_eq!(top.header("In-Reply-To").as_deref().map(str::trim), Some("<a@example.net>"));
        assert_eq!(top.header("References").as_deref().map(str::trim), Some("<z@example.net> <a@example.net>"));
        assert!(top.content_type().is("multipart/mixed"));
        let kids = top.children();
        assert_eq!(kids.len(), 2);
        assert!(kids[0].content_type().is("multipart/alternative"));
        let alt = kids[0].children();
        assert!(alt[0].content_type().is("text/plain"));
        assert!(alt[1].content_type().is("text/html"));
        assert_eq!(alt[1].text().unwrap().replace("\r\n", "\n"), "<p>Hello <b>Bob</b></p>");
        assert_eq!(kids[1].body_decoded().unwrap(), b"notes");
        // Whitespace-only HTML is no HTML; text and HTML count together against the limit.
        d.html = " ".into();
        d.attachments.clear();
        assert!(parse(&compose(&d).unwrap(), &Limits::default()).unwrap().content_type().is("text/plain"));
        d.html = "x".repeat(MAX_TEXT + 1);
        assert_eq!(compose(&d).unwrap_err().code, Code::LimitExceeded);
        d.html = "x".repeat(MAX_TOTAL - d.text.len());
        d.attachments = vec![DraftAttachment { filename: "n".into(), content_type: "text/plain".into(), data_base64: STANDARD.encode(b"1234"), content_id: String::new() }];
        assert_eq!(compose(&d).unwrap_err().code, Code::LimitExceeded);
    }

    #[test]
    fn refuses_bad_base64_and_oversized_attachments() {
        let mut d = draft();
        d.attachments = vec![DraftAttachment { filename: "x".into(), content_type: "text/plain".into(), data_base64: "not base64!".into(), ..DraftAttachment::default() }];
        assert_eq!(compose(&d).unwrap_err().code, Code::Usage);
        let big = STANDARD.encode(vec![0u8; MAX_TOTAL / 2 + 1]);
        let a = DraftAttachment { filename: "big".into(), content_type: "application/zip".into(), data_base64: big, ..DraftAttachment::default() };
        d.attachments = vec![a.clone(), a];
        assert_eq!(compose(&d).unwrap_err().code, Code::LimitExceeded);
        d.attachments = vec![DraftAttachment::default(); MAX_ATTACHMENTS + 1];
        assert_eq!(compose(&d).unwrap_err().code, Code::LimitExceeded);
    }

    #[test]
    fn html_with_inline_images_files_and_an_attached_message_and_threading() {
        let png: Vec<u8> = [&b"\x89PNG\r\n\x1a\n"[..], &[0u8, 1, 2, 255][..]].concat();
        let eml = "From: carol@example.com\nSubject: Earlier\n\nThe earlier message.\n";
        let mut d = draft();
        d.html = "<p>Hello <b>Bob</b></p><img src=\"cid:logo@cachet\">".into();
        d.in_reply_to = "<orig@example.net>".into();
        d.references = "<root@example.net> <orig@example.net>".into();
        d.attachments = vec![
            DraftAttachment { filename: "logo.png".into(), content_type: "image/png".into(), data_base64: STANDARD.encode(&png), content_id: " logo@cachet ".into() },
            DraftAttachment { filename: "a.pdf".into(), content_type: "application/pdf".into(), data_base64: STANDARD.encode(b"%PDF-1.4"), ..DraftAttachment::default() },
            DraftAttachment { filename: "Earlier.eml".into(), content_type: "message/rfc822".into(), data_base64: STANDARD.encode(eml), ..DraftAttachment::default() },
            DraftAttachment { filename: "8bit.eml".into(), content_type: "message/rfc822".into(), data_base64: STANDARD.encode("Subject: é\r\n\r\nGrüße\r\n"), ..DraftAttachment::default() },
        ];
        let bytes = compose(&d).unwrap();
        assert!(bytes.iter().all(|b| *b < 0x80), "7-bit output");
        let top = parse(&bytes, &Limits::default()).unwrap();
        assert_eq!(top.header("In-Reply-To").as_deref().map(str::trim), Some("<orig@example.net>"));
        assert_eq!(top.header("References").as_deref().map(str::trim), Some("<root@example.net> <orig@example.net>"));
        assert!(top.content_type().is("multipart/mixed"));
        let kids = top.children();
        assert_eq!(kids.len(), 4, "the body and three files; the inline image is not a file");
        let alt = &kids[0];
        assert!(alt.content_type().is("multipart/alternative"));
        assert_eq!(alt.children()[0].text().unwrap().replace("\r\n", "\n"), "Hello Bob,\nline two é\n");
        let related = &alt.children()[1];
        assert!(related.content_type().is("multipart/related"));
        assert_eq!(related.content_type().param("type"), Some("text/html"));
        assert_eq!(related.children()[0].text().as_deref(), Some(d.html.as_str()));
        let img = &related.children()[1];
        assert_eq!(img.header("Content-ID").as_deref().map(str::trim), Some("<logo@cachet>"));
        assert!(img.raw_header("Content-Disposition").is_some_and(|v| String::from_utf8_lossy(v).trim_start().starts_with("inline")));
        assert_eq!(img.body_decoded().unwrap(), png);
        assert_eq!(kids[1].body_decoded().unwrap(), b"%PDF-1.4");
        // A 7-bit message is carried as message/rfc822, byte for byte with CRLF; an 8-bit one as message/global.
        assert!(kids[2].content_type().is("message/rfc822"));
        assert_eq!(kids[2].header("Content-Transfer-Encoding").as_deref().map(str::trim), Some("7bit"));
        assert_eq!(kids[2].body_decoded().unwrap(), eml.replace('\n', "\r\n").as_bytes());
        assert!(kids[3].content_type().is("message/global"));
        assert_eq!(kids[3].body_decoded().unwrap(), "Subject: é\r\n\r\nGrüße\r\n".as_bytes());
        // Without HTML the inline image is attached, not lost.
        d.html.clear();
        let plain = compose(&d).unwrap();
        let top = parse(&plain, &Limits::default()).unwrap();
        assert!(top.children()[0].content_type().is("text/plain"));
        assert_eq!(top.children()[1].filename().as_deref(), Some("logo.png"));
        assert_eq!(top.children()[1].body_decoded().unwrap(), png);
    }

    #[test]
    fn html_counts_towards_the_limits() {
        let mut d = draft();
        d.html = "x".repeat(MAX_TEXT + 1);
        assert_eq!(compose(&d).unwrap_err().code, Code::LimitExceeded);
        d.html = "x".repeat(MAX_TOTAL / 2 + 1);
        d.text = "y".repeat(MAX_TOTAL / 2 + 1);
        assert_eq!(compose(&d).unwrap_err().code, Code::LimitExceeded);
    }

    #[test]
    fn the_footer_ends_the_text_and_the_html() {
        let mut d = draft();
        d.footer = "\r\nExample GmbH · Registered in Berlin HRB 1\r\n<b>Phone</b> +49 30 1234   \n\n".into();
        let bytes1 = compose(&d).unwrap();
        let top = parse(&bytes1, &Limits::default()).unwrap();
        assert_eq!(top.text().unwrap().replace("\r\n", "\n"), "Hello Bob,\nline two é\n\n-- \nExample GmbH · Registered in Berlin HRB 1\n<b>Phone</b> +49 30 1234\n");
        d.html = "<html><body><p>Hello</p></BODY></html>".into();
        let bytes2 = compose(&d).unwrap();
        let top = parse(&bytes2, &Limits::default()).unwrap();
        let alt = top.children();
        assert!(alt[0].text().unwrap().ends_with("+49 30 1234\r\n"));
        let html = alt[1].text().unwrap();
        let footer_at = html.find("cachet-footer").unwrap();
        assert!(footer_at > html.find("<p>Hello</p>").unwrap() && footer_at < html.find("</BODY>").unwrap(), "{html}");
        assert!(html.contains("&lt;b&gt;Phone&lt;/b&gt; +49 30 1234</div>"), "the footer is text, never markup: {html}");
        // Without a body element the footer comes last.
        d.html = "<p>Hi</p>".into();
        let bytes3 = compose(&d).unwrap();
        let top = parse(&bytes3, &Limits::default()).unwrap();
        assert!(top.children()[1].text().unwrap().trim_end().ends_with("</div>"));
    }

    #[test]
    fn an_empty_footer_adds_nothing_and_a_huge_one_is_refused() {
        let mut d = draft();
        let plain = compose(&d).unwrap();
        d.footer = " \n \r\n".into();
        assert_eq!(compose(&d).unwrap(), plain);
        d.footer = "x".repeat(MAX_FOOTER + 1);
        let e = compose(&d).unwrap_err();
        assert_eq!(e.code, Code::LimitExceeded);
        assert!(e.detail.unwrap_or_default().contains("limit 16384"));
    }
}
