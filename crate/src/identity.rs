//! Identities and contacts as pure functions over what the shell stores (SPEC sections
//! 3 and 5): expiry states of certificates, the user's own identities (separate signing
//! and encryption certificates, key history), contacts' certificates and learned
//! SMIMECapabilities (RFC 8551 2.5.2), certificate changes, and the per-recipient compose
//! status. No storage and no clock: the shell passes its lists and the time in.
//!
//! Certificates are stored by the shell as base64 DER strings; fingerprints are over
//! those exact bytes (RFC 5280 4.1: the certificate as received).

pub mod calls;
mod contact;
mod recipient;
#[cfg(test)]
mod tests;
pub mod which_key;

pub use contact::{best_certificate, certificate_change, learn_capabilities, CertificateChange, CertificateChoice, CertificateSummary, Contact, LearnedCapabilities};
pub use recipient::{recipient_status, recipient_statuses, RecipientState, RecipientStatus, Trust};
pub use which_key::{explain as explain_no_key, known_key, which_key, KeyState, KnownKey, MAX_KEY_HISTORY};

use crate::cert::facts::{addresses_equal, CertFacts, ParsedCertificate};
use crate::error::{Code, Error, Result};
use crate::time::UnixTime;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// A certificate is `expiring-soon` when it ends within this many seconds (30 days).
pub const EXPIRING_SOON_SECS: u64 = 30 * 86_400;

/// Most certificates looked at in one stored list (bounds the work on a damaged store).
pub const MAX_STORED_CERTIFICATES: usize = 256;

/// Where a certificate stands in its validity period at a given time.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpiryState {
    NotYetValid,
    Valid,
    /// Valid, and `notAfter` is at most [`EXPIRING_SOON_SECS`] away.
    ExpiringSoon,
    Expired,
}

impl ExpiryState {
    /// Can the certificate be used at that time?
    pub fn is_current(self) -> bool {
        matches!(self, ExpiryState::Valid | ExpiryState::ExpiringSoon)
    }

    /// Lower is worse.
    fn rank(self) -> u8 {
        match self {
            ExpiryState::Expired => 0,
            ExpiryState::NotYetValid => 1,
            ExpiryState::ExpiringSoon => 2,
            ExpiryState::Valid => 3,
        }
    }
}

/// Expiry state with the dates it was computed from.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Expiry {
    pub state: ExpiryState,
    pub not_before: UnixTime,
    pub not_after: UnixTime,
    /// Whole days left until `not_after` (0 once expired or on the last day).
    pub days_left: u64,
}

/// The expiry state at `at`. A certificate is valid from `not_before` through `not_after`
/// inclusive (RFC 5280 4.1.2.5); `expiring-soon` when `not_after - at <= 30 days`.
pub fn expiry(not_before: UnixTime, not_after: UnixTime, at: UnixTime) -> Expiry {
    let left = not_after.0.saturating_sub(at.0);
    let state = if at < not_before {
        ExpiryState::NotYetValid
    } else if at > not_after {
        ExpiryState::Expired
    } else if left <= EXPIRING_SOON_SECS {
        ExpiryState::ExpiringSoon
    } else {
        ExpiryState::Valid
    };
    Expiry { state, not_before, not_after, days_left: left / 86_400 }
}

/// A certificate read from the shell's store, with its facts.
pub(crate) struct Stored {
    pub parsed: ParsedCertificate,
    pub facts: CertFacts,
}

/// Decode one stored certificate (base64 DER, surrounding white space ignored).
///
/// # Security
/// `b64` is untrusted: base64 then strict DER; never panics.
pub(crate) fn stored(b64: &str) -> Result<Stored> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| Error::new(Code::BadCertificate, "A stored certificate is damaged.", "Import the certificate again.").with_detail(e))?;
    let parsed = ParsedCertificate::from_der(&der)?;
    let facts = parsed.facts();
    Ok(Stored { parsed, facts })
}

/// The readable certificates of a stored list, at most [`MAX_STORED_CERTIFICATES`];
/// unreadable entries are skipped (one damaged entry must not hide the others).
pub(crate) fn stored_list(list: &[String]) -> Vec<Stored> {
    list.iter().take(MAX_STORED_CERTIFICATES).filter_map(|b| stored(b).ok()).collect()
}

/// One of the user's identities as the shell stores it. The private keys stay with the
/// shell (encrypted); only certificates are needed here.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// The shell's name for the identity (e.g. the signing certificate's fingerprint).
    pub id: String,
    /// Base64 DER of the signing certificate.
    pub signing_certificate: String,
    /// Base64 DER of a separate encryption certificate; None when one certificate does both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub encryption_certificate: Option<String>,
    /// Replaced by a newer identity: kept only to read old mail (key history).
    #[serde(default)]
    pub retired: bool,
}

/// What an identity is used for now.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityRole {
    /// Signs and receives encrypted mail.
    Active,
    /// Retired, expired or not yet valid: kept so old mail still opens.
    DecryptOnly,
}

/// One certificate of an identity: its facts and expiry.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct CertificateState {
    #[serde(flatten)]
    pub facts: CertFacts,
    pub expiry: Expiry,
}

/// An identity as the certificate panel shows it.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct IdentityView {
    pub id: String,
    /// E-mail addresses of the signing certificate.
    pub addresses: Vec<String>,
    pub role: IdentityRole,
    /// The worse expiry state of the signing and encryption certificates.
    pub state: ExpiryState,
    pub signing: CertificateState,
    /// The encryption certificate (the signing one again when there is no separate one).
    pub encryption: CertificateState,
    pub separate_encryption_certificate: bool,
}

fn certificate_state(b64: &str, at: UnixTime) -> Result<CertificateState> {
    let s = stored(b64)?;
    let e = expiry(s.facts.not_before, s.facts.not_after, at);
    Ok(CertificateState { facts: s.facts, expiry: e })
}

/// Describe one identity at `at`: facts and expiry of both certificates and its role.
/// Errors: `BadCertificate` when a stored certificate cannot be read.
///
/// # Security
/// The stored certificates are untrusted input (see [`IdentityRecord`]); never panics.
pub fn describe_identity(record: &IdentityRecord, at: UnixTime) -> Result<IdentityView> {
    let signing = certificate_state(&record.signing_certificate, at)?;
    let encryption = match &record.encryption_certificate {
        Some(b) => certificate_state(b, at)?,
        None => signing.clone(),
    };
    let state = if signing.expiry.state.rank() <= encryption.expiry.state.rank() { signing.expiry.state } else { encryption.expiry.state };
    let role = if record.retired || !signing.expiry.state.is_current() { IdentityRole::DecryptOnly } else { IdentityRole::Active };
    Ok(IdentityView {
        id: record.id.clone(),
        addresses: signing.facts.emails.clone(),
        role,
        state,
        signing,
        encryption,
        separate_encryption_certificate: record.encryption_certificate.is_some(),
    })
}

/// Describe every identity, in the given order (old ones included: key history).
///
/// # Security
/// As [`describe_identity`]; at most [`MAX_STORED_CERTIFICATES`] records are described.
pub fn describe_identities(records: &[IdentityRecord], at: UnixTime) -> Result<Vec<IdentityView>> {
    records.iter().take(MAX_STORED_CERTIFICATES).map(|r| describe_identity(r, at)).collect()
}

/// The identity to sign mail from `address` with at `at`: not retired, its signing
/// certificate for that address, usable for signing and within its validity period;
/// the one with the newest `notBefore` (then the latest `notAfter`) wins. None when no
/// identity qualifies. Unreadable records are skipped.
pub fn active_identity<'a>(records: &'a [IdentityRecord], address: &str, at: UnixTime) -> Option<&'a IdentityRecord> {
    records
        .iter()
        .take(MAX_STORED_CERTIFICATES)
        .filter(|r| !r.retired)
        .filter_map(|r| stored(&r.signing_certificate).ok().map(|s| (r, s.facts)))
        .filter(|(_, f)| f.usable_for.sign && f.emails.iter().any(|e| addresses_equal(e, address)))
        .filter(|(_, f)| expiry(f.not_before, f.not_after, at).state.is_current())
        .max_by_key(|(_, f)| (f.not_before, f.not_after))
        .map(|(r, _)| r)
}
