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

fn headers_of(top: &Entity<'_>) -> Headers {
    let h = |name: &str| top.header(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    Headers { from: h("From"), to: h("To"), cc: h("Cc"), subject: h("Subject"), date: h("Date"), message_id: h("Message-ID") }
}

/// How many of a message's first bytes [`view_headers`] is given: enough for any header
/// section [`parse`] accepts (the last field line that may start within `max_header_size`, the
/// blank line after it, and room for a line break cut in two).
pub fn header_bytes(limits: &Limits) -> usize {
    limits.max_header_size.saturating_add(limits.max_header_line).saturating_add(16)
}

/// A header section as `open` parses it (`crate::smime::parsed_form`): the first line break,
/// in the header section, decides whether its CRLF form is read.
fn form(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if crate::smime::stored_with_bare_line_breaks(bytes) {
        canonicalize_crlf(bytes)
    } else {
        std::borrow::Cow::Borrowed(bytes)
    }
}

/// The header fields [`view`] gives for a message of `len` bytes whose first bytes are `head`
/// (at least `min(len, header_bytes(limits))` of them), read from its header section alone:
/// the body is not parsed (for a 25 MB message, what the reader shows of an opened message's
/// outside). The fields `view` gives when it reads the message, and the error it gives when
/// the header section is refused; a body it would refuse is not read (a test compares them).
/// `whole` gives the whole message, asked for only when `head` is shorter and does not settle
/// it: the header section's last line runs to the end of `head` (whether it is a field can
/// depend on what follows), or `head` is refused (the whole message may be refused in other
/// words).
///
/// # Security
/// As [`view`]: the header block is bounded by `limits`, and a message above
/// `max_message_size` is refused.
pub fn view_headers(head: &[u8], len: usize, limits: &Limits, whole: impl FnOnce() -> Vec<u8>) -> Result<Headers> {
    if len > limits.max_message_size {
        return Err(crate::mime::too_large(len, limits));
    }
    if head.len() < len {
        let canonical = form(head);
        // The line that ended the header section (the blank line, or one that is not a field)
        // ends within `head`, so it is that line in the whole message too.
        if let Ok(e) = crate::mime::parse_head(&canonical, limits) {
            if canonical.get(e.header_end..).is_some_and(|rest| memchr::memchr(b'\n', rest).is_some()) {
                return Ok(headers_of(&e));
            }
        }
        let message = whole();
        return Ok(headers_of(&crate::mime::parse_head(&form(message.get(..len).unwrap_or(&message)), limits)?));
    }
    Ok(headers_of(&crate::mime::parse_head(&form(head.get(..len).unwrap_or(head)), limits)?))
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
    // The bytes `open` parses: the parts listed are the parts its verdict covers by path.
    let canonical = crate::smime::parsed_form(bytes, limits);
    let top = parse(&canonical, limits)?;
    let headers = headers_of(&top);
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
    let canonical = crate::smime::parsed_form(bytes, limits);
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
    fn a_lone_cr_is_no_line_break_in_a_message_open_reads_as_received() {
        // CRLF-framed, with a delimiter and a header field hidden behind lone CRs: no line
        // break for `open`, which reads such a message as received; the view reads it the same.
        let m = b"From: <mallory@evil.example>\r\nX-N: a\rFrom: Alice <alice@bank.example>\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: application/octet-stream; name=x.bin\r\n\r\njunk\r--B\rContent-Type: text/html\r\r<h1>Wire</h1>\r\n--B\r\nContent-Type: text/plain\r\n\r\ngenuine\r\n--B--\r\n";
        let limits = Limits::default();
        let v = view(m, &limits).unwrap();
        assert_eq!(v.parts.iter().map(|p| p.path.as_str()).collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(v.parts[1].text.as_deref().map(str::trim_end), Some("genuine"));
        let from = v.headers.from.clone().unwrap();
        assert!(from.contains("mallory") && !from.contains("alice"), "{from}");
        let h = view_headers(m, m.len(), &limits, || unreachable!()).unwrap();
        assert_eq!(h.from.as_deref(), Some(from.as_str()));
        // As `open` reads it: one From, Mallory's.
        let form = crate::smime::parsed_form(m, &limits);
        let top = crate::mime::parse(&form, &limits).unwrap();
        assert_eq!(top.originator().from.as_deref(), Some("mallory@evil.example"));
        assert_eq!(top.children().len(), 2);
        // Stored with bare line breaks (its first one a lone LF), both read its CRLF form alike.
        let lf = String::from_utf8_lossy(m).replace("\r\n", "\n");
        let v = view(lf.as_bytes(), &limits).unwrap();
        let form = crate::smime::parsed_form(lf.as_bytes(), &limits);
        let top = crate::mime::parse(&form, &limits).unwrap();
        let mut paths = Vec::new();
        fn leaves<'a>(e: &'a Entity<'a>, out: &mut Vec<String>) {
            if e.children().is_empty() {
                out.push(e.path().iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join("."));
            }
            for c in e.children() {
                leaves(c, out);
            }
        }
        leaves(&top, &mut paths);
        assert_eq!(v.parts.iter().map(|p| p.path.clone()).collect::<Vec<_>>(), paths);
    }

    /// [`view_headers`] of a message against reading its whole header section: the same fields
    /// or the same error, and `view`'s fields whenever `view` reads the message. Returns
    /// whether the bytes read first settled it, None when they were the whole message.
    fn same_headers(m: &[u8], limits: &Limits, name: &str) -> Option<bool> {
        // Given the bytes read first, then the whole message when they do not settle it.
        let first = m.get(..header_bytes(limits).min(m.len())).unwrap();
        let asked = std::cell::Cell::new(false);
        let got = view_headers(first, m.len(), limits, || {
            asked.set(true);
            m.to_vec()
        });
        assert!(!asked.get() || first.len() < m.len(), "{name}: the whole message asked for when it was given");
        let prefix = (first.len() < m.len()).then_some(!asked.get());
        let whole = crate::mime::parse_head(&form(m), limits).map(|e| headers_of(&e));
        match (&got, &whole) {
            (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{name}"),
            (Err(a), Err(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{name}"),
            _ => panic!("{name}: {got:?} against {whole:?}"),
        }
        if let Ok(v) = view(m, limits) {
            assert_eq!(format!("{:?}", got.unwrap()), format!("{:?}", v.headers), "{name}: view");
        }
        prefix
    }

    #[test]
    fn the_header_fields_alone_are_those_of_the_whole_message() {
        let mut n = 0;
        // The messages of the project's own test vectors (a vector file: its own header lines,
        // an empty line, then the data).
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
        let mut dirs = vec![root];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()) {
                let bytes = if e.is_dir() {
                    dirs.push(e);
                    continue;
                } else if e.extension().is_some_and(|x| x == "vec") {
                    std::fs::read(&e).unwrap()
                } else {
                    continue;
                };
                if bytes.starts_with(b"kind: message\n") {
                    let split = bytes.windows(2).position(|w| w == b"\n\n").unwrap();
                    let _ = same_headers(&bytes[split + 2..], &Limits::default(), &e.display().to_string());
                    n += 1;
                }
            }
        }
        assert!(n > 50, "{n} vectors");
        // Header sections around the limits (small ones here), cut anywhere by the bytes read:
        // fields, folded lines, long lines, LF, CRLF and lone CR, no blank line, no header
        // section, a line that is not a field; and changed at random.
        let limits = Limits { max_header_size: 300, max_header_line: 120, ..Limits::default() };
        let mut rng = cachet_testkit::XorShift(0x0dd_ba11);
        let mut ways = std::collections::BTreeMap::<Option<bool>, usize>::new();
        for round in 0..3000 {
            let eol: &[u8] = [&b"\r\n"[..], b"\n", b"\r"][(rng.next_u64() % 3) as usize];
            let mut m = Vec::new();
            for i in 0..rng.next_u64() % 12 {
                let long = rng.next_u64().is_multiple_of(5);
                let value = "v".repeat(if long { 60 + (rng.next_u64() % 100) as usize } else { 1 + (rng.next_u64() % 30) as usize });
                let name = ["From", "To", "Subject", "Cc", "Date", "Message-ID", "X-Long"][(i % 7) as usize];
                m.extend_from_slice(format!("{name}: {value}").as_bytes());
                if rng.next_u64().is_multiple_of(4) {
                    m.extend_from_slice(eol);
                    m.extend_from_slice(b" folded");
                }
                m.extend_from_slice(eol);
            }
            match rng.next_u64() % 4 {
                0 => {}
                1 => m.extend_from_slice(b"not a field\r\n"),
                _ => m.extend_from_slice(eol),
            }
            m.extend_from_slice(&vec![b'x'; (rng.next_u64() % 2000) as usize]);
            if round % 3 == 0 {
                for _ in 0..1 + rng.next_u64() % 4 {
                    let at = (rng.next_u64() % m.len().max(1) as u64) as usize;
                    if let Some(b) = m.get_mut(at) {
                        *b = [b'\n', b'\r', b' ', b':', b'A', 0][(rng.next_u64() % 6) as usize];
                    }
                }
            }
            *ways.entry(same_headers(&m, &limits, &format!("round {round}"))).or_insert(0) += 1;
        }
        // Whole messages, first bytes that settle it, and first bytes that do not.
        assert!(ways.values().all(|n| *n > 100) && ways.len() == 3, "{ways:?}");
        // Above the largest message: the whole message's refusal.
        let e = view_headers(b"From: a\r\n\r\n", 65 * 1024 * 1024, &Limits::default(), || unreachable!("not read")).unwrap_err();
        let want = crate::mime::too_large(65 * 1024 * 1024, &Limits::default());
        assert_eq!(format!("{e:?}"), format!("{want:?}"));
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
