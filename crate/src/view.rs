//! What a reader sees of a MIME entity: its main header fields decoded (RFC 5322
//! section 3.6, RFC 2047) and its leaves in order (RFC 2046 section 5.1), text
//! decoded to UTF-8 (RFC 2045 section 6, charsets), other parts as attachments by
//! name, type, size and Content-ID (RFC 2392, what an HTML part's `cid:` refers to).
//! The shell renders this data; it never parses MIME itself.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::mime::{canonicalize_crlf, parse, Entity, Limits};

/// Longest text shown per part; the rest is cut (and said to be cut).
pub const MAX_TEXT_SHOWN: usize = 2 * 1024 * 1024;

/// Longest Content-ID reported; a longer one is not reported (no HTML can refer to it).
pub const MAX_CONTENT_ID: usize = 512;

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, Serialize)]
pub struct Headers {
    pub from: Option<String>,
    pub to: Option<String>,
    pub cc: Option<String>,
    pub subject: Option<String>,
    pub date: Option<String>,
    pub message_id: Option<String>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct ViewPart {
    /// Position as in the open report's `covers`: "" for the top, "1.2" for the second child of the first child.
    pub path: String,
    /// `type/subtype`.
    pub content_type: String,
    /// Decoded text for text/plain and text/html leaves.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub text: Option<String>,
    /// The text was longer than [`MAX_TEXT_SHOWN`] and is cut.
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub filename: Option<String>,
    /// Size of the body as received, in bytes.
    pub size: usize,
    /// The part's Content-ID without angle brackets, when it has a usable one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub content_id: Option<String>,
}

/// The Content-ID of `e` without `<>` and white space: printable ASCII only, at most
/// [`MAX_CONTENT_ID`] characters, else none.
fn content_id(e: &Entity<'_>) -> Option<String> {
    let raw = e.header("Content-ID")?;
    let id = raw.trim().trim_start_matches('<').trim_end_matches('>').trim();
    (!id.is_empty() && id.len() <= MAX_CONTENT_ID && id.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')).then(|| id.to_string())
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub headers: Headers,
    pub parts: Vec<ViewPart>,
}

fn path_text(p: &[usize]) -> String {
    p.iter().map(|i| i.saturating_add(1).to_string()).collect::<Vec<_>>().join(".")
}

fn leaves<'a, 'b>(e: &'b Entity<'a>, out: &mut Vec<&'b Entity<'a>>) {
    if e.children().is_empty() {
        out.push(e);
    } else {
        for c in e.children() {
            leaves(c, out);
        }
    }
}

/// Read an entity (a whole message, or the content an `open` returned) for display.
/// S/MIME signatures (`application/pkcs7-signature`) are not listed as parts.
///
/// # Security
/// Parsing follows `limits` (size, depth, part count); errors are `Code::Malformed`
/// or `Code::LimitExceeded`. Each text is cut at [`MAX_TEXT_SHOWN`] bytes. HTML text is
/// returned as data: the caller must render it only in an isolated, script-less frame.
/// A Content-ID is the sender's text, reported only when it is printable ASCII without
/// `<`, `>` or white space and at most [`MAX_CONTENT_ID`] characters. In an encrypted
/// payload with protected header fields (`hp="cipher"`, RFC 9788) the legacy display at
/// the top of a text marked `hp-legacy-display="1"` is left out (see
/// [`crate::mime::protect::hide_legacy_display`]), since the reader shows those fields.
pub fn view(bytes: &[u8], limits: &Limits) -> Result<MessageView> {
    let canonical = canonicalize_crlf(bytes);
    let top = parse(&canonical, limits)?;
    let h = |name: &str| top.header(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let headers = Headers { from: h("From"), to: h("To"), cc: h("Cc"), subject: h("Subject"), date: h("Date"), message_id: h("Message-ID") };
    // An encrypted payload with protected header fields (RFC 9788): the reader shows them
    // itself, so the legacy display a sender put at the top of its texts is hidden.
    let hide_legacy = top.content_type().param(crate::mime::protect::HP_PARAM).is_some_and(|v| v.trim().eq_ignore_ascii_case("cipher"));
    let mut all = Vec::new();
    leaves(&top, &mut all);
    let mut parts = Vec::new();
    for e in all {
        let ct = e.content_type();
        let essence = ct.essence();
        if matches!(essence.as_str(), "application/pkcs7-signature" | "application/x-pkcs7-signature") {
            continue;
        }
        let is_attachment = e.content_disposition().map(|d| d.mime_type.eq_ignore_ascii_case("attachment")).unwrap_or(false);
        let shown_text = (essence == "text/plain" || essence == "text/html") && !is_attachment;
        let legacy = hide_legacy && ct.param(crate::mime::protect::LEGACY_DISPLAY_PARAM).is_some_and(|v| v.trim() == "1");
        let text = if shown_text { e.text() } else { None };
        let text = match text {
            Some(t) if legacy => Some(crate::mime::protect::hide_legacy_display(&t, essence == "text/html").unwrap_or(t)),
            other => other,
        };
        let (text, truncated) = match text {
            Some(mut t) => {
                let cut = t.len() > MAX_TEXT_SHOWN;
                if cut {
                    let mut end = MAX_TEXT_SHOWN;
                    while !t.is_char_boundary(end) {
                        end = end.saturating_sub(1);
                    }
                    t.truncate(end);
                }
                (Some(t), cut)
            }
            None => (None, false),
        };
        parts.push(ViewPart { path: path_text(e.path()), content_type: essence, text, truncated, filename: e.filename(), size: e.body_raw().len(), content_id: content_id(e) });
    }
    Ok(MessageView { headers, parts })
}

/// The decoded bytes (RFC 2045 section 6: base64, quoted-printable, or as is) of the
/// leaf at `path` (as in [`ViewPart::path`]), for saving an attachment.
///
/// # Security
/// Parsing follows `limits`; an unknown path or a part with children is `Code::Usage`,
/// a body that cannot be decoded `Code::Malformed`. The result is at most the size of
/// the input.
pub fn part_bytes(bytes: &[u8], path: &str, limits: &Limits) -> Result<Vec<u8>> {
    let canonical = canonicalize_crlf(bytes);
    let top = parse(&canonical, limits)?;
    let mut all = Vec::new();
    leaves(&top, &mut all);
    let leaf = all
        .into_iter()
        .find(|e| path_text(e.path()) == path)
        .ok_or_else(|| Error::usage("This part of the message does not exist.").with_detail(format!("no leaf at path {path:?}")))?;
    leaf.body_decoded()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\nTo: bob@example.net\nSubject: Hi\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"a.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERg==\n--b\nContent-Type: application/pkcs7-signature\n\nAAAA\n--b--\n";

    #[test]
    fn lists_text_and_attachments_with_paths() {
        let v = view(MSG, &Limits::default()).unwrap();
        assert_eq!(v.headers.from.as_deref(), Some("Jürgen <j@example.org>"));
        assert_eq!(v.headers.subject.as_deref(), Some("Hi"));
        assert_eq!(v.parts.len(), 2, "the signature part is not listed");
        assert_eq!(v.parts[0].path, "1");
        assert_eq!(v.parts[0].text.as_deref().map(str::trim_end), Some("Grüße"));
        assert_eq!(v.parts[1].path, "2");
        assert_eq!(v.parts[1].filename.as_deref(), Some("a.pdf"));
        assert!(v.parts[1].text.is_none());
    }

    #[test]
    fn garbage_is_an_error_or_a_plain_part_never_a_panic() {
        for input in [&b""[..], b"\xff\xfe\x00", b"Content-Type: multipart/mixed; boundary=x\n\n--x\n"] {
            let _ = view(input, &Limits::default());
        }
    }

    #[test]
    fn part_bytes_decodes_the_leaf_at_a_path() {
        assert_eq!(part_bytes(MSG, "2", &Limits::default()).unwrap(), b"%PDF");
        assert_eq!(part_bytes(MSG, "1", &Limits::default()).unwrap(), b"Gr\xfc\xdfe");
        assert_eq!(part_bytes(MSG, "4", &Limits::default()).unwrap_err().code, crate::error::Code::Usage);
        assert_eq!(part_bytes(MSG, "", &Limits::default()).unwrap_err().code, crate::error::Code::Usage, "the top has children");
    }

    #[test]
    fn reports_the_content_id_an_html_part_refers_to_and_only_a_clean_one() {
        let msg = b"Content-Type: multipart/related; type=\"text/html\"; boundary=r\n\n--r\nContent-Type: text/html\n\n<img src=\"cid:pic@x\">\n--r\nContent-Type: image/png\nContent-ID:  <pic@x> \nContent-Transfer-Encoding: base64\n\niVBORw==\n--r\nContent-Type: image/png\nContent-ID: <a b\">\n\nx\n--r\nContent-Type: image/png\n\nx\n--r--\n";
        let v = view(msg, &Limits::default()).unwrap();
        assert_eq!(v.parts.len(), 4);
        assert_eq!(v.parts[0].content_id, None);
        assert_eq!(v.parts[1].content_id.as_deref(), Some("pic@x"));
        assert_eq!(v.parts[2].content_id, None, "white space or quotes: not reported");
        assert_eq!(v.parts[3].content_id, None);
        let long = format!("Content-Type: image/png\nContent-ID: <{}>\n\nx\n", "a".repeat(MAX_CONTENT_ID + 1));
        assert_eq!(view(long.as_bytes(), &Limits::default()).unwrap().parts[0].content_id, None);
    }
}
