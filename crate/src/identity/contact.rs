//! Contacts: the best certificate for an address, SMIMECapabilities learned from a
//! contact's signed mail (RFC 8551 2.5.2), and reporting a changed certificate instead of
//! silently replacing it.

use super::{expiry, stored, stored_list, ExpiryState, Stored};
use crate::cert::facts::{addresses_equal, CertFacts};
use crate::error::Result;
use crate::time::UnixTime;
use serde::{Deserialize, Serialize};

/// A contact as the shell stores it.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub address: String,
    /// Every certificate seen for this address (base64 DER), old ones included.
    #[serde(default)]
    pub certificates: Vec<String>,
    /// What the contact's latest signed mail said it can decrypt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub capabilities: Option<LearnedCapabilities>,
}

/// SMIMECapabilities from one of the contact's signed messages (names as in the open
/// report's `smime_capabilities`, e.g. `aes256-gcm`, `aes256-cbc`, `rsaes-oaep`).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnedCapabilities {
    pub algorithms: Vec<String>,
    /// signingTime of the message they came from, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub signing_time: Option<UnixTime>,
    /// SHA-256 fingerprint of the certificate that signed that message.
    pub certificate_sha256: String,
}

/// Keep the most recent capabilities (RFC 8551 2.5.2): `learned` replaces `current`
/// unless `current` came from a later message. A message without signingTime does not
/// replace capabilities that have one.
pub fn learn_capabilities(current: Option<&LearnedCapabilities>, learned: LearnedCapabilities) -> LearnedCapabilities {
    match current {
        Some(c) => match (c.signing_time, learned.signing_time) {
            (Some(old), Some(new)) if new < old => c.clone(),
            (Some(_), None) => c.clone(),
            _ => learned,
        },
        None => learned,
    }
}

/// The certificate chosen for an address.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct CertificateChoice {
    /// Position in the stored list.
    pub index: usize,
    pub facts: CertFacts,
    pub state: ExpiryState,
}

/// Certificates of `list` for `address`, readable, usable for encryption and valid at `at`,
/// with their positions.
pub(crate) fn usable_for(list: &[String], address: &str, at: UnixTime) -> Vec<(usize, Stored)> {
    list.iter()
        .take(super::MAX_STORED_CERTIFICATES)
        .enumerate()
        .filter_map(|(i, b)| stored(b).ok().map(|s| (i, s)))
        .filter(|(_, s)| s.facts.usable_for.encrypt && s.facts.emails.iter().any(|e| addresses_equal(e, address)))
        .filter(|(_, s)| expiry(s.facts.not_before, s.facts.not_after, at).state.is_current())
        .collect()
}

/// The best certificate for `address` among `certificates` (base64 DER): one that names
/// the address, is usable for encryption and is within its validity period at `at`; the
/// newest (latest `notBefore`, then latest `notAfter`) wins. None when none qualifies.
///
/// # Security
/// Stored certificates are untrusted input; unreadable entries are skipped, at most
/// [`super::MAX_STORED_CERTIFICATES`] are examined. Nothing here decides trust: see
/// [`super::recipient_status`].
pub fn best_certificate(certificates: &[String], address: &str, at: UnixTime) -> Option<CertificateChoice> {
    usable_for(certificates, address, at)
        .into_iter()
        .max_by_key(|(_, s)| (s.facts.not_before, s.facts.not_after))
        .map(|(index, s)| {
            let state = expiry(s.facts.not_before, s.facts.not_after, at).state;
            CertificateChoice { index, facts: s.facts, state }
        })
}

/// A certificate in a change report.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: UnixTime,
    pub not_after: UnixTime,
}

impl CertificateSummary {
    pub(crate) fn of(f: &CertFacts) -> CertificateSummary {
        CertificateSummary {
            sha256: f.sha256.clone(),
            subject: f.subject.clone(),
            issuer: f.issuer.clone(),
            serial: f.serial.clone(),
            not_before: f.not_before,
            not_after: f.not_after,
        }
    }
}

/// A contact's certificate is about to change: the shell shows this and asks before
/// using the new certificate.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateChange {
    pub address: String,
    pub old: CertificateSummary,
    pub new: CertificateSummary,
    pub same_issuer: bool,
    /// The new certificate carries the same public key (a re-issue rather than a new key).
    pub same_key: bool,
    /// The new certificate starts later than the old one (a renewal rather than a step back).
    pub newer: bool,
}

/// Would storing `candidate` (base64 DER) change the certificate used for `contact`?
/// Compares it with the current best certificate of the contact (or, when none is
/// valid at `at`, the newest stored one for the address). None when the candidate is
/// already stored, does not name the contact's address, or the contact has no
/// certificate yet (a first certificate is not a change).
/// Errors: `BadCertificate` when `candidate` cannot be read.
///
/// # Security
/// `candidate` and the stored certificates are untrusted; never panics.
pub fn certificate_change(contact: &Contact, candidate: &str, at: UnixTime) -> Result<Option<CertificateChange>> {
    let new = stored(candidate)?;
    if !new.facts.emails.iter().any(|e| addresses_equal(e, &contact.address)) {
        return Ok(None);
    }
    let all = stored_list(&contact.certificates);
    if all.iter().any(|s| s.parsed.der == new.parsed.der) {
        return Ok(None);
    }
    let old = match best_certificate(&contact.certificates, &contact.address, at) {
        Some(choice) => Some(choice.facts),
        None => all
            .into_iter()
            .filter(|s| s.facts.emails.iter().any(|e| addresses_equal(e, &contact.address)))
            .max_by_key(|s| (s.facts.not_before, s.facts.not_after))
            .map(|s| s.facts),
    };
    let Some(old) = old else { return Ok(None) };
    let old_key = stored_key(&contact.certificates, &old.sha256);
    let new_key = new.parsed.certificate.tbs_certificate().subject_public_key_info().subject_public_key.raw_bytes().to_vec();
    Ok(Some(CertificateChange {
        address: contact.address.clone(),
        same_issuer: old.issuer == new.facts.issuer,
        same_key: old_key.as_deref() == Some(new_key.as_slice()),
        newer: new.facts.not_before > old.not_before,
        old: CertificateSummary::of(&old),
        new: CertificateSummary::of(&new.facts),
    }))
}

/// Public key bits of the stored certificate with fingerprint `sha256`.
fn stored_key(list: &[String], sha256: &str) -> Option<Vec<u8>> {
    stored_list(list)
        .into_iter()
        .find(|s| s.facts.sha256 == sha256)
        .map(|s| s.parsed.certificate.tbs_certificate().subject_public_key_info().subject_public_key.raw_bytes().to_vec())
}
