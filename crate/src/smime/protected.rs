//! Reading protected header fields (RFC 9788): which From a signer is bound to when the
//! signed content carries its own header section, and what the report says of the
//! protected fields (shown in place of the outer ones, what was confidential, which signed
//! field differs outside the signature).
//!
//! # Security
//! The From binding. When the signed content carries protected header fields (`hp`), the
//! signer is bound to the From the signature covers, not to the outer From, which anyone
//! on the way can rewrite: a replayed message keeps its signed sender whatever envelope it
//! is put in. But the mail program lists the message under its outer From, beside
//! Cachet's badge, so an inner From whose address differs from the outer one is never
//! `valid`: the address check fails (`address-mismatch`) and the problem names both
//! addresses. Display names and the other fields may differ without changing any verdict
//! (servers re-encode them); each difference is reported as a `header-mismatch`
//! diagnosis with both values, and the reader shows the signed value.
//!
//! Protected fields count only in the innermost content of the layers `open` peeled (the
//! cryptographic payload): `hp` on any other part protects nothing and is ignored. In
//! encrypted mail without a signature they are shown (whoever could write them could as
//! well write the outer ones) but never compared or bound to anyone.

use crate::mime::protect::{field_text, protected_section, Protection, ProtectedSection};
use crate::mime::{self, Entity, Limits, Originator};
use crate::report::{Diagnosis, HeaderMismatch, LayerKind, OpenReport, ProtectedHeaders};

/// The fields compared between the signed section and the outer message.
const COMPARED: &[&str] = &["From", "Sender", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References"];

/// The originator a signer of `content` is bound to, when `content` carries protected
/// header fields with a From: its own From and Sender, and a `problem` when its From is
/// ambiguous or its address is not the outer From address (`outer_from`). None: bind to
/// the outer message as without header protection.
///
/// # Security
/// `content` is untrusted; only its header section is read, within `limits`.
pub(super) fn signed_originator(content: &[u8], outer_from: Option<&str>, limits: &Limits) -> Option<Originator> {
    let head = mime::parse_head(content, limits).ok()?;
    let section = protected_section(&head)?;
    if !section.fields.iter().any(|(n, _)| n.eq_ignore_ascii_case("from")) {
        return None;
    }
    let mut inner = head.section_originator();
    if inner.problem.is_none() {
        if let (Some(signed), Some(shown)) = (inner.from.as_deref(), outer_from) {
            if !signed.eq_ignore_ascii_case(shown) {
                inner.problem = Some(format!(
                    "the signed From address is {signed}, but the message shows {shown} as its sender outside the signature"
                ));
            }
        }
    }
    Some(inner)
}

/// The values of every field called `name`, as [`field_text`] gives them.
fn values<'a>(fields: impl Iterator<Item = (&'a str, &'a [u8])>, name: &str) -> Vec<String> {
    fields.filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| field_text(v)).collect()
}

/// Put the protected header fields of `content` (the innermost content `open` peeled)
/// into `report`: what a reader shows, what was confidential, and, when a signature
/// covers them, each field that differs from `top`'s (the outer message), also as a
/// `header-mismatch` diagnosis. Nothing when `content` carries none.
///
/// # Security
/// `content` and `top` are untrusted; only their header sections are read (bounded by
/// `limits`), with work linear in them. The fields are signed only when `bound`: `content`
/// is the content of the last layer peeled, a signed one, whose signer was bound to its
/// protected From ([`signed_originator`]). Content decompressed or decrypted below a
/// signature was not bound to anyone: its fields are shown as encrypted ones when it was
/// decrypted, and ignored when it was only decompressed (nothing protects them).
pub(super) fn report_protected_headers(content: &[u8], top: &Entity<'_>, bound: bool, report: &mut OpenReport, limits: &Limits) {
    let Ok(head) = mime::parse_head(content, limits) else { return };
    let Some(section) = protected_section(&head) else { return };
    let signed = bound;
    let encrypted = report.layers.iter().any(|l| l.kind == LayerKind::Encrypted);
    if !signed && !encrypted {
        return;
    }
    let inner = |name: &str| values(section.fields.iter().copied(), name);
    let first = |name: &str| inner(name).into_iter().next();
    let outer = |name: &str| values(top.headers(), name);
    let recorded = |name: &str| -> Vec<String> {
        section.outer_record.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| field_text(v)).collect()
    };
    // What the sender meant the outside to show: the HP-Outer record of encrypted mail,
    // the fields themselves otherwise (an encrypted payload without a record: the same,
    // but for its Subject, which such senders obscure without saying so).
    let expected = |name: &str| -> Option<Vec<String>> {
        match section.mode {
            Protection::Cipher if !section.outer_record.is_empty() => Some(recorded(name)),
            Protection::Cipher if name.eq_ignore_ascii_case("subject") => None,
            _ => Some(inner(name)),
        }
    };
    let mut out = ProtectedHeaders {
        mode: section.mode.as_str().into(),
        signed,
        encrypted,
        subject: first("Subject"),
        from: first("From"),
        to: inner("To").into_iter().reduce(|a, b| format!("{a}, {b}")),
        cc: inner("Cc").into_iter().reduce(|a, b| format!("{a}, {b}")),
        date: first("Date"),
        reply_to: first("Reply-To"),
        message_id: first("Message-ID"),
        in_reply_to: first("In-Reply-To"),
        references: first("References"),
        confidential: Vec::new(),
        mismatches: Vec::new(),
    };
    if section.mode == Protection::Cipher {
        out.confidential = confidential(&section, top);
    }
    if signed {
        for name in COMPARED {
            let signed_values = inner(name);
            if signed_values.is_empty() {
                continue;
            }
            let shown = outer(name);
            if expected(name).is_some_and(|want| want != shown) {
                let mismatch = HeaderMismatch { name: (*name).to_string(), inner: signed_values.join(", "), outer: (!shown.is_empty()).then(|| shown.join(", ")) };
                report.diagnosis.push(mismatch_diagnosis(&mismatch));
                out.mismatches.push(mismatch);
            }
        }
    }
    report.protected_headers = Some(out);
}

/// The user-facing fields of an encrypted payload that the outside does not show as they are.
fn confidential(section: &ProtectedSection<'_>, top: &Entity<'_>) -> Vec<String> {
    let mut names = Vec::new();
    for name in crate::mime::protect::USER_FACING {
        let inner = values(section.fields.iter().copied(), name);
        if inner.is_empty() {
            continue;
        }
        let outside: Vec<String> = if section.outer_record.is_empty() {
            values(top.headers(), name)
        } else {
            section.outer_record.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| field_text(v)).collect()
        };
        if outside != inner {
            names.push((*name).to_string());
        }
    }
    names
}

fn mismatch_diagnosis(m: &HeaderMismatch) -> Diagnosis {
    let message = match &m.outer {
        Some(outer) => format!(
            "The signed {} is \u{201c}{}\u{201d}, but outside the signature the message shows \u{201c}{outer}\u{201d}. Cachet shows the signed value; the other was changed on the way or written by someone other than the signer.",
            m.name, m.inner
        ),
        None => format!(
            "The signed {} is \u{201c}{}\u{201d}, but the message has no {} outside the signature. Cachet shows the signed value.",
            m.name, m.inner, m.name
        ),
    };
    Diagnosis { id: "header-mismatch".into(), message, appended_text: None, original_verifies: None }
}

#[cfg(test)]
#[path = "protected_tests.rs"]
pub(super) mod tests;
