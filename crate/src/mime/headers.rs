//! Outgoing header fields: RFC 5322 syntax with folding (section 2.2.3), non-ASCII
//! text as RFC 2047 encoded words (B encoding, UTF-8), address display names
//! quoted or encoded (RFC 2047 section 5), parameters with RFC 2231 (section 3, 4).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mail_parser::parsers::MessageStream;
use mail_parser::{Address, HeaderValue};

/// Preferred line length (RFC 5322 2.1.1).
const FOLD_AT: usize = 78;
/// Longest encoded word (RFC 2047 section 2).
const MAX_WORD_BYTES: usize = 45; // 45 bytes -> 60 base64 chars -> 72-char word

const ADDRESS_FIELDS: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "sender",
    "resent-from",
    "resent-to",
    "resent-cc",
];

/// Append one received header field as it came: `name`, a colon, the raw `value` (folding
/// kept) and the line break, unless the value already ends with one.
pub fn push_field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    out.extend_from_slice(value);
    if !value.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
}

/// Encodes RFC 5322 header fields from (name, value) pairs: 7-bit, CRLF, folded
/// near 78 characters. Non-ASCII text becomes RFC 2047 encoded words; in address
/// fields (From, To, Cc, ...) only display names are encoded. CR and LF in values
/// become spaces (no header injection). Fields with an invalid name are skipped.
/// Values are used as given: pass `Date` and `Message-ID` only if you have them.
pub fn encode_headers(headers: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in headers {
        if name.is_empty() || !name.bytes().all(|c| (33..=126).contains(&c) && c != b':') {
            continue;
        }
        let value: String = value
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        let value = value.trim();
        let mut line = Folder::new(name);
        let lname = name.to_ascii_lowercase();
        if ADDRESS_FIELDS.contains(&lname.as_str()) && encode_addresses(&mut line, value) {
            // done
        } else {
            encode_unstructured(&mut line, value);
        }
        out.extend_from_slice(line.finish().as_bytes());
    }
    out
}

/// The text of a received header field as [`encode_headers`] expects it, for copying
/// fields of a parsed message into a new one (signing, encrypting): unstructured and
/// other non-address fields are RFC 2047 decoded, so they are encoded once, not twice;
/// address fields stay as received (their encoded display names are decoded by the
/// address parser, and decoding first could turn a quoted comma into a separator).
///
/// # Security
/// `raw` is untrusted; decoding never fails (undecodable words stay as they are) and
/// the result is at most a few times the input.
pub fn received_value(name: &str, raw: &[u8]) -> String {
    if ADDRESS_FIELDS.contains(&name.to_ascii_lowercase().as_str()) || !raw.windows(2).any(|w| w == b"=?") {
        return String::from_utf8_lossy(raw).trim().to_string();
    }
    super::entity::decode_unstructured(raw)
}

/// Builds one folded field.
pub(crate) struct Folder {
    out: String,
    line_len: usize,
    tokens: usize,
}

impl Folder {
    pub(crate) fn new(name: &str) -> Self {
        let out = format!("{name}:");
        let line_len = out.len();
        Folder {
            out,
            line_len,
            tokens: 0,
        }
    }
    /// Appends `sep` + `token`, folding before the token if the line would get long.
    /// `sep` is " " or ", " / "; " (its trailing space is replaced by the fold).
    pub(crate) fn push(&mut self, sep: &str, token: &str) {
        let sep = if self.tokens == 0 { " " } else { sep };
        if self.tokens > 0 && !token.is_empty() && self.line_len + sep.len() + token.len() > FOLD_AT
        {
            self.out.push_str(sep.trim_end());
            self.out.push_str("\r\n ");
            self.line_len = 1;
        } else {
            self.out.push_str(sep);
            self.line_len += sep.len();
        }
        self.out.push_str(token);
        self.line_len += token.len();
        self.tokens += 1;
    }
    pub(crate) fn finish(mut self) -> String {
        self.out.push_str("\r\n");
        self.out
    }
}

fn is_plain_ascii(s: &str) -> bool {
    s.bytes().all(|c| (32..=126).contains(&c) || c == b'\t') && !s.contains("=?")
}

/// RFC 2047 B-encoded words for `s`, each at most 75 characters, split on
/// character boundaries.
pub(crate) fn encoded_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > MAX_WORD_BYTES {
            words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
    }
    words
}

fn encode_unstructured(line: &mut Folder, value: &str) {
    let long_word = value.split(' ').any(|w| w.len() > 900);
    if is_plain_ascii(value) && !long_word {
        for word in value.split(' ') {
            line.push(" ", word);
        }
    } else {
        for word in encoded_words(value) {
            line.push(" ", &word);
        }
    }
}

/// Encodes an address list; false if it is not a plain list we can rebuild.
fn encode_addresses(line: &mut Folder, value: &str) -> bool {
    let mut buf = value.as_bytes().to_vec();
    buf.extend_from_slice(b"\r\n");
    let list = match MessageStream::new(&buf).parse_address() {
        HeaderValue::Address(Address::List(list)) => list,
        _ => return false,
    };
    let mut items = Vec::new();
    for addr in &list {
        let Some(spec) = addr
            .address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        else {
            return false;
        };
        if !spec.bytes().all(|c| (33..=126).contains(&c)) || spec.contains(['<', '>', ',', '"']) {
            return false;
        }
        let mut tokens = Vec::new();
        if let Some(name) = addr
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty() && *n != spec)
        {
            if name.is_ascii() && !name.contains("=?") {
                if name
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b" !#$%&'*+-/=?^_`{|}~".contains(&c))
                {
                    tokens.extend(
                        name.split(' ')
                            .filter(|w| !w.is_empty())
                            .map(str::to_string),
                    );
                } else {
                    let escaped: String = name
                        .chars()
                        .filter(|c| !c.is_ascii_control())
                        .flat_map(|c| {
                            if c == '"' || c == '\\' {
                                vec!['\\', c]
                            } else {
                                vec![c]
                            }
                        })
                        .collect();
                    tokens.push(format!("\"{escaped}\""));
                }
            } else {
                tokens.extend(encoded_words(name));
            }
            tokens.push(format!("<{spec}>"));
        } else {
            tokens.push(spec.to_string());
        }
        items.push(tokens);
    }
    if items.is_empty() {
        return false;
    }
    for (i, tokens) in items.iter().enumerate() {
        for (j, t) in tokens.iter().enumerate() {
            let sep = if j == 0 && i > 0 { ", " } else { " " };
            line.push(sep, t);
        }
    }
    true
}

/// A `; name="value"` parameter for Content-Type / Content-Disposition. ASCII values
/// are quoted; others use RFC 2231 `name*0*=utf-8''...` continuations (`rfc2231`)
/// or an RFC 2047 encoded word in quotes (not `rfc2231`, for the Content-Type
/// `name` parameter that older clients read).
pub(crate) fn push_param(line: &mut Folder, name: &str, value: &str, rfc2231: bool) {
    let value: String = value.chars().filter(|c| !c.is_control()).collect();
    if value.bytes().all(|c| (32..=126).contains(&c)) && value.len() <= 60 {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        line.push("; ", &format!("{name}=\"{escaped}\""));
    } else if rfc2231 || value.len() > 150 {
        let mut pct = String::new();
        for b in value.bytes() {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                pct.push(char::from(b));
            } else {
                pct.push_str(&format!("%{b:02X}"));
            }
        }
        let mut chunks: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut rest = pct.as_str();
        while !rest.is_empty() {
            // Never split inside a %XX escape.
            let take = if rest.starts_with('%') { 3 } else { 1 };
            let (head, tail) = rest.split_at(take.min(rest.len()));
            if cur.len() + head.len() > 50 {
                chunks.push(std::mem::take(&mut cur));
            }
            cur.push_str(head);
            rest = tail;
        }
        chunks.push(cur);
        for (i, c) in chunks.iter().enumerate() {
            let charset = if i == 0 { "utf-8''" } else { "" };
            line.push("; ", &format!("{name}*{i}*={charset}{c}"));
        }
    } else {
        let words = encoded_words(&value).join(" ");
        line.push("; ", &format!("{name}=\"{words}\""));
    }
}

/// Where a header field of a message goes when the message is wrapped in an S/MIME entity
/// (RFC 8551 3.1, 3.4): Content-* fields describe the entity and go inside it,
/// MIME-Version is written anew, every other field (From, To, Subject, ...) stays outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderPlace {
    /// An RFC 5322 header field of the outer message.
    Outer,
    /// A Content-* field of the wrapped entity.
    Inner,
    /// MIME-Version: written again by whoever builds the outer message.
    Dropped,
}

/// The place of a header field named `name` (case-insensitive); the one split of outer
/// and Content-* header fields for building, signing and encrypting.
pub fn header_place(name: &str) -> HeaderPlace {
    let n = name.to_ascii_lowercase();
    if n.starts_with("content-") {
        HeaderPlace::Inner
    } else if n == "mime-version" {
        HeaderPlace::Dropped
    } else {
        HeaderPlace::Outer
    }
}
