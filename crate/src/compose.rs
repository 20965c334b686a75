//! Composing a plain outgoing message (RFC 5322 section 3.6 header fields, RFC 2045
//! MIME-Version) from the fields the user typed, ready to be signed or encrypted by
//! [`crate::smime`]. The add-in shell never writes MIME itself: it hands these fields
//! to the core. The body is built by [`crate::mime::build_body`] (RFC 8551 3.1 form).

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::mime::{build_body, encode_headers};

/// The longest body text accepted (the limit of one message the add-in handles).
pub const MAX_TEXT: usize = 25 * 1024 * 1024;

/// The fields of a draft. Addresses are `addr@example.org` or `Name <addr@example.org>`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Draft {
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    /// RFC 5322 date-time, as the caller's clock says (the core has none).
    pub date: String,
    /// `<unique@domain>`; optional.
    pub message_id: String,
    /// `<id@domain>` of the message this replies to; optional (RFC 5322 3.6.4).
    pub in_reply_to: String,
}

/// Build the unsigned message: header fields (From, To, Cc, Subject, Date,
/// Message-ID, In-Reply-To when given), `MIME-Version: 1.0`, then a UTF-8 text body.
///
/// # Security
/// Values are untrusted user text: CR and LF in them become spaces (no header
/// injection, see [`encode_headers`]). The text is limited to [`MAX_TEXT`] bytes and
/// there must be a sender and at least one recipient (`Code::Usage` otherwise).
pub fn compose(d: &Draft) -> Result<Vec<u8>> {
    if d.from.trim().is_empty() {
        return Err(Error::usage("The message has no sender.").with_detail("from is empty"));
    }
    if d.to.iter().chain(d.cc.iter()).all(|a| a.trim().is_empty()) {
        return Err(Error::usage("The message has no recipient.").with_detail("to and cc are empty"));
    }
    if d.text.len() > MAX_TEXT {
        return Err(Error::usage("The message text is too long.").with_detail(format!("{} bytes, limit {MAX_TEXT}", d.text.len())));
    }
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
    headers.push(("Subject".into(), d.subject.clone()));
    for (name, value) in [("Date", &d.date), ("Message-ID", &d.message_id), ("In-Reply-To", &d.in_reply_to)] {
        if !value.trim().is_empty() {
            headers.push((name.into(), value.clone()));
        }
    }
    headers.push(("MIME-Version".into(), "1.0".into()));
    let mut out = encode_headers(&headers);
    // The body entity starts with its Content-* fields: it continues the header block.
    out.extend_from_slice(&build_body(&d.text, None, &[]));
    Ok(out)
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
}
