//! The key-exchange request mail (SPEC section 6) and its renewal variant: an ordinary
//! clear-signed message (RFC 8551 3.5) with a short text asking the contact to reply
//! with signed mail, so both sides store each other's certificates. The message is
//! RFC 5322 (From, To, Subject, optional Date and Message-ID, MIME-Version) with a
//! text/plain body, signed with [`crate::smime::sign_message`].

use crate::cert::facts;
use crate::error::{Code, Error, Result};
use crate::pkcs12::Identity;
use crate::time::UnixTime;
use serde::{Deserialize, Serialize};

/// Which request to write.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestKind {
    /// First contact: "please reply with a signed mail".
    #[default]
    KeyExchange,
    /// The user's certificate was renewed: announce the new one to existing contacts.
    Renewal,
}

/// What the caller chooses; every text field has a default.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[cfg_attr(test, ts(optional_fields))]
pub struct RequestOptions {
    /// The contact's address (the To field); required.
    pub to: String,
    #[cfg_attr(test, ts(optional = nullable))]
    pub kind: RequestKind,
    /// Sender address; must be one of the certificate's. Default: its first address.
    pub from: Option<String>,
    /// Display name for From and the greeting. Default: the certificate's common name.
    pub sender_name: Option<String>,
    /// Default: [`default_subject`].
    pub subject: Option<String>,
    /// The body text in the user's own words. Default: [`default_text`].
    pub text: Option<String>,
    /// RFC 5322 Date field value (the core has no clock), e.g. from [`rfc5322_date`].
    pub date: Option<String>,
    /// Message-ID field value, with angle brackets.
    pub message_id: Option<String>,
}

/// The default subject line.
pub fn default_subject(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::KeyExchange => "Let's exchange certificates for encrypted e-mail",
        RequestKind::Renewal => "My e-mail certificate has been renewed",
    }
}

/// The default English text. `name` signs off the message; `not_after` and `sha256`
/// describe the (new) certificate in the renewal variant.
pub fn default_text(kind: RequestKind, name: &str, not_after: UnixTime, sha256: &str) -> String {
    let closing = if name.is_empty() { "Thank you!".to_string() } else { format!("Thank you,\n{name}") };
    match kind {
        RequestKind::KeyExchange => format!(
            "Hello,\n\n\
             I would like to send you encrypted e-mail. This message is signed with my\n\
             certificate, so your mail program can store it.\n\n\
             Please reply with a signed message (most mail programs have a \"Sign\" option\n\
             when you write). Then we both have each other's certificate and can write\n\
             to each other encrypted.\n\n{closing}\n"
        ),
        RequestKind::Renewal => format!(
            "Hello,\n\n\
             My e-mail certificate has been renewed. This message is signed with the new\n\
             certificate (valid until {}), so your mail program can store it\n\
             and use it for encrypted mail to me from now on.\n\n\
             If your mail program asks whether to accept the changed certificate, you can\n\
             check that it is mine: its SHA-256 fingerprint is\n{}\n\n\
             Please reply with a signed message if you also have a new certificate.\n\n{closing}\n",
            not_after.to_rfc3339().get(..10).unwrap_or(""),
            // 32 colon-separated pairs: two lines of 16 pairs keep the text 7-bit and short.
            match (sha256.get(..47), sha256.get(48..)) {
                (Some(a), Some(b)) => format!("{a}\n{b}"),
                _ => sha256.to_string(),
            }
        ),
    }
}

/// The unsigned request message (RFC 5322 + MIME, CRLF).
/// Errors: `Usage` when `to` is not an address; `UnusableIdentity` when the certificate
/// has no e-mail address or `from` is not one of its addresses.
pub fn build_request(identity: &Identity, options: &RequestOptions) -> Result<Vec<u8>> {
    let to = options.to.trim();
    if to.is_empty() || !to.contains('@') || to.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::usage(format!("'{to}' is not an e-mail address.")));
    }
    let f = facts::facts(&identity.certificate);
    let from = match options.from.as_deref().map(str::trim) {
        Some(addr) => f.emails.iter().find(|e| facts::addresses_equal(e, addr)).cloned().ok_or_else(|| {
            Error::new(
                Code::UnusableIdentity,
                format!("Your certificate is not for {addr}."),
                "Send the request from the address of your certificate.",
            )
        })?,
        None => f.emails.first().cloned().ok_or_else(|| {
            Error::new(Code::UnusableIdentity, "Your certificate has no e-mail address.", "Use a certificate issued for your e-mail address.")
        })?,
    };
    let name = options.sender_name.clone().or(f.common_name.clone()).unwrap_or_default();
    let name = name.trim();
    let from_field = if name.is_empty() || name.eq_ignore_ascii_case(&from) { from.clone() } else { format!("{} <{from}>", quote_name(name)) };
    let mut headers = vec![("From".to_string(), from_field), ("To".to_string(), to.to_string())];
    headers.push(("Subject".into(), options.subject.clone().unwrap_or_else(|| default_subject(options.kind).into())));
    if let Some(d) = &options.date {
        headers.push(("Date".into(), d.clone()));
    }
    if let Some(m) = &options.message_id {
        headers.push(("Message-ID".into(), m.clone()));
    }
    headers.push(("MIME-Version".into(), "1.0".into()));
    let text = match &options.text {
        Some(t) => t.clone(),
        None => default_text(options.kind, name, f.not_after, &f.sha256),
    };
    let mut out = crate::mime::encode_headers(&headers);
    out.extend_from_slice(&crate::mime::build_body(&text, None, &[]));
    Ok(out)
}

/// The signed request message: [`build_request`], clear-signed at `at` under `policy`.
/// Errors: those of [`build_request`] and of [`crate::smime::sign_message`].
pub fn request_mail(identity: &Identity, options: &RequestOptions, at: UnixTime, policy: &crate::policy::Policy) -> Result<Vec<u8>> {
    let message = build_request(identity, options)?;
    crate::smime::sign_message(&message, identity, false, at, &crate::mime::Limits::default(), policy)
}

/// A display name as an RFC 5322 quoted string when it has specials.
fn quote_name(name: &str) -> String {
    if name.chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '\'') {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// `at` as an RFC 5322 date (section 3.3) in UTC, e.g. `Sun, 29 Nov 2026 12:00:00 +0000`.
pub fn rfc5322_date(at: UnixTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let iso = at.to_rfc3339(); // YYYY-MM-DDTHH:MM:SSZ
    let part = |a: usize, b: usize| iso.get(a..b).unwrap_or("");
    let month = part(5, 7).parse::<usize>().ok().and_then(|m| m.checked_sub(1)).and_then(|m| MONTHS.get(m)).unwrap_or(&"Jan");
    let weekday = DAYS.get(((at.0 / 86_400) % 7) as usize).unwrap_or(&"Thu");
    let day = part(8, 10).trim_start_matches('0');
    format!("{weekday}, {day} {month} {} {} +0000", part(0, 4), part(11, 19))
}

/// Longest total text of a request mail's options taken from the add-in (1 MiB).
pub const MAX_REQUEST_TEXT: usize = 1024 * 1024;

/// [`request_mail`] for the options of `Keyring.request` (decoded by the Wasm export): the
/// time is checked as at every boundary (`time::at_time`) and the texts are bounded.
pub fn request_call(identity: &Identity, call: &RequestCall) -> Result<Vec<u8>> {
    let o = &call.options;
    let text_len: usize = [&o.sender_name, &o.subject, &o.text, &o.date, &o.message_id, &o.from].iter().filter_map(|t| t.as_ref()).map(String::len).sum::<usize>() + o.to.len();
    if text_len > MAX_REQUEST_TEXT {
        return Err(Error::new(Code::LimitExceeded, "The request text is too long.", "Write a shorter text."));
    }
    request_mail(identity, o, crate::time::at_time(call.at)?, &crate::policy::Policy::standard())
}

/// The options of `Keyring.request`: [`RequestOptions`] and the time (seconds since 1970 or
/// RFC 3339 text; required, checked as at every boundary).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Deserialize)]
pub struct RequestCall {
    #[cfg_attr(test, ts(type = "number"))]
    pub at: UnixTime,
    #[serde(flatten)]
    pub options: RequestOptions,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5322_dates() {
        assert_eq!(rfc5322_date(UnixTime(0)), "Thu, 1 Jan 1970 00:00:00 +0000");
        let t = UnixTime::parse_rfc3339("2026-11-29T12:34:56Z").unwrap();
        assert_eq!(rfc5322_date(t), "Sun, 29 Nov 2026 12:34:56 +0000");
        let t = UnixTime::parse_rfc3339("2028-02-29T23:59:59Z").unwrap();
        assert_eq!(rfc5322_date(t), "Tue, 29 Feb 2028 23:59:59 +0000");
    }

    #[test]
    fn default_texts() {
        let at = UnixTime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap();
        let fpr = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
        let ask = default_text(RequestKind::KeyExchange, "Alice", at, fpr);
        assert!(ask.contains("reply with a signed message") && ask.ends_with("Alice\n"), "{ask}");
        let renew = default_text(RequestKind::Renewal, "", at, fpr);
        assert!(renew.contains("valid until 2027-01-01") && renew.contains("Thank you!"), "{renew}");
        assert!(renew.contains("AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\nAA:BB"), "{renew}");
        assert!(renew.lines().chain(ask.lines()).all(|l| l.len() <= 76 && l.is_ascii()));
        assert_ne!(default_subject(RequestKind::KeyExchange), default_subject(RequestKind::Renewal));
    }
}
