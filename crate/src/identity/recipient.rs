//! The per-recipient compose status of SPEC section 3 (`ready`, `missing`, `expired`,
//! `address-mismatch`, `untrusted`), from the contact's stored certificates, the trusted
//! roots and the pinned certificates, with RFC 5280 path validation for encryption
//! (`cert::chain`: roots issue; a pin makes only itself `ready`, only for the addresses
//! it names, and never anything it issued).

use super::contact::{CertificateSummary, Contact};
use super::{expiry, ExpiryState};
use crate::cert::chain::{validate, PathStatus, Purpose, ValidationInput, DEFAULT_MAX_DEPTH};
use crate::cert::facts::addresses_equal;
use crate::policy::Policy;
use crate::time::UnixTime;
use serde::Serialize;
use x509_cert::Certificate;

/// What the trust decision rests on.
pub struct Trust<'a> {
    /// The user's trusted roots, plus the organisation's: the only issuers.
    pub roots: &'a [Certificate],
    /// The user's pinned certificates: each trusted only as itself, for its addresses.
    pub pins: &'a [Certificate],
    /// Other known certificates (intermediates); untrusted, used to build paths.
    pub intermediates: &'a [Certificate],
    pub policy: &'a Policy,
    pub at: UnixTime,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecipientState {
    /// A trusted certificate for the address, usable for encryption, valid now.
    Ready,
    /// No certificate usable for encryption: offer the key-exchange request mail.
    Missing,
    /// The address's certificates have all expired (or are not valid yet).
    Expired,
    /// Certificates are stored for the contact, but none names this address.
    AddressMismatch,
    /// A current certificate exists but does not lead to a trust anchor (or its path fails).
    Untrusted,
}

/// The compose pane's line for one recipient.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipientStatus {
    pub address: String,
    pub status: RecipientState,
    /// The certificate the status is about (the one to encrypt to when `ready`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub certificate: Option<CertificateSummary>,
    /// Position of that certificate in the stored list.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub index: Option<usize>,
    /// Why, in words (empty when `ready`).
    pub reason: String,
}

/// The status of `address` given the certificates stored for it (base64 DER).
///
/// Order of checks: no readable certificate → `missing`; none naming the address →
/// `address-mismatch`; none usable for encryption → `missing`; none within its validity
/// period → `expired`; a current one with a trusted path for encryption (newest first)
/// → `ready`; otherwise `untrusted` with the path's problem.
///
/// # Security
/// Stored certificates are untrusted (skipped when unreadable, at most
/// [`super::MAX_STORED_CERTIFICATES`]); path building is bounded as in `cert::chain`.
pub fn recipient_status(address: &str, certificates: &[String], trust: &Trust<'_>) -> RecipientStatus {
    let status = |status, certificate: Option<CertificateSummary>, index, reason: &str| RecipientStatus {
        address: address.to_string(),
        status,
        certificate,
        index,
        reason: reason.to_string(),
    };
    let mut all: Vec<(usize, super::Stored)> = stored_list_indexed(certificates);
    if all.is_empty() {
        return status(RecipientState::Missing, None, None, "no certificate is known for this address");
    }
    all.retain(|(_, s)| s.facts.emails.iter().any(|e| addresses_equal(e, address)));
    // Newest first, so that the first match below is the preferred one.
    all.sort_by_key(|(_, s)| std::cmp::Reverse((s.facts.not_before, s.facts.not_after)));
    let Some((first_i, first)) = all.first() else {
        return status(RecipientState::AddressMismatch, None, None, "the stored certificates are for other e-mail addresses");
    };
    let (first_i, first_summary) = (*first_i, CertificateSummary::of(&first.facts));
    all.retain(|(_, s)| s.facts.usable_for.encrypt);
    let Some((enc_i, enc)) = all.first() else {
        return status(RecipientState::Missing, Some(first_summary), Some(first_i), "the certificate for this address cannot be used for encryption");
    };
    let (enc_i, enc_summary) = (*enc_i, CertificateSummary::of(&enc.facts));
    all.retain(|(_, s)| expiry(s.facts.not_before, s.facts.not_after, trust.at).state.is_current());
    if all.is_empty() {
        let state = expiry(enc_summary.not_before, enc_summary.not_after, trust.at).state;
        let reason = if state == ExpiryState::NotYetValid { "the certificate is not valid yet" } else { "the certificate has expired" };
        return status(RecipientState::Expired, Some(enc_summary), Some(enc_i), reason);
    }
    let mut first_problem: Option<(usize, CertificateSummary, String)> = None;
    for (i, s) in &all {
        let report = validate(&ValidationInput {
            leaf: &s.parsed.certificate,
            intermediates: trust.intermediates,
            roots: trust.roots,
            pins: trust.pins,
            address: Some(address),
            at: trust.at,
            purpose: Purpose::Encrypt,
            policy: trust.policy,
            max_depth: DEFAULT_MAX_DEPTH,
        });
        if report.status == PathStatus::Trusted {
            return status(RecipientState::Ready, Some(CertificateSummary::of(&s.facts)), Some(*i), "");
        }
        if first_problem.is_none() {
            let why = report.details.first().cloned().unwrap_or_else(|| path_reason(&report.status));
            first_problem = Some((*i, CertificateSummary::of(&s.facts), why));
        }
    }
    match first_problem {
        Some((i, summary, why)) => status(RecipientState::Untrusted, Some(summary), Some(i), &why),
        None => status(RecipientState::Untrusted, None, None, "no trusted certificate"),
    }
}

fn path_reason(p: &PathStatus) -> String {
    match p {
        PathStatus::Trusted => String::new(),
        PathStatus::UnknownCa => "the certificate was not issued by an authority you trust".into(),
        PathStatus::Expired { subject, .. } => format!("the certificate of {subject} in its chain has expired"),
        PathStatus::NotYetValid { subject, .. } => format!("the certificate of {subject} in its chain is not valid yet"),
        PathStatus::WrongUsage { reason } | PathStatus::BadSignature { reason } | PathStatus::Invalid { reason } => reason.clone(),
        PathStatus::WeakAlgorithm { algorithm } => format!("its chain uses a weak algorithm ({algorithm})"),
    }
}

fn stored_list_indexed(list: &[String]) -> Vec<(usize, super::Stored)> {
    list.iter()
        .take(super::MAX_STORED_CERTIFICATES)
        .enumerate()
        .filter_map(|(i, b)| super::stored(b).ok().map(|s| (i, s)))
        .collect()
}

/// The status of every recipient: each address is looked up among `contacts`
/// (addresses compared as in certificates); an unknown address is `missing`.
pub fn recipient_statuses(addresses: &[String], contacts: &[Contact], trust: &Trust<'_>) -> Vec<RecipientStatus> {
    addresses
        .iter()
        .map(|a| {
            let certs = contacts.iter().find(|c| addresses_equal(&c.address, a)).map(|c| c.certificates.as_slice()).unwrap_or(&[]);
            recipient_status(a, certs, trust)
        })
        .collect()
}
