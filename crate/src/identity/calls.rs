//! The identity, contact and recipient calls, JSON in and JSON out (the form the native
//! tests drive them in), and the recipient options the Wasm export decodes from a
//! JavaScript object into [`RecipientOptions`] and runs through [`recipient_statuses_of`].
//! Times are seconds since 1970 (number) or RFC 3339 text.

use super::{Contact, IdentityRecord, LearnedCapabilities, Trust};
use crate::error::{Error, Result};
use crate::time::UnixTime;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use x509_cert::Certificate;

/// Largest JSON document accepted by these calls (a store of hundreds of certificates).
pub const MAX_JSON: usize = 8 * 1024 * 1024;

fn parse<T: DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    if json.len() > MAX_JSON {
        return Err(Error::new(crate::error::Code::LimitExceeded, format!("The {what} are too large."), "Remove old entries."));
    }
    serde_json::from_str(json).map_err(|e| Error::usage(format!("Bad {what}.")).with_detail(e))
}

fn out<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::usage("Cannot encode the result.").with_detail(e))
}

/// `records_json`: `[IdentityRecord]` → `[IdentityView]`.
pub fn describe_identities(records_json: &str, at: UnixTime) -> Result<String> {
    let records: Vec<IdentityRecord> = parse("identities", records_json)?;
    out(&super::describe_identities(&records, at)?)
}

/// `records_json`: `[IdentityRecord]` → the record to sign with, or `null`.
pub fn active_identity(records_json: &str, address: &str, at: UnixTime) -> Result<String> {
    let records: Vec<IdentityRecord> = parse("identities", records_json)?;
    out(&super::active_identity(&records, address, at))
}

/// `certificates_json`: `[base64 DER]` → `CertificateChoice` or `null`.
pub fn best_certificate(certificates_json: &str, address: &str, at: UnixTime) -> Result<String> {
    let certs: Vec<String> = parse("certificates", certificates_json)?;
    out(&super::best_certificate(&certs, address, at))
}

/// `contact_json`: `Contact`; `candidate`: base64 DER → `CertificateChange` or `null`.
pub fn certificate_change(contact_json: &str, candidate: &str, at: UnixTime) -> Result<String> {
    let contact: Contact = parse("contact", contact_json)?;
    out(&super::certificate_change(&contact, candidate, at)?)
}

/// `current_json`: `LearnedCapabilities` or `null`; `learned_json`: `LearnedCapabilities`
/// → the capabilities to keep.
pub fn learn_capabilities(current_json: &str, learned_json: &str) -> Result<String> {
    let current: Option<LearnedCapabilities> = parse("capabilities", current_json)?;
    let learned: LearnedCapabilities = parse("capabilities", learned_json)?;
    out(&super::learn_capabilities(current.as_ref(), learned))
}

/// Options of [`recipient_statuses`].
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientOptions {
    pub recipients: Vec<String>,
    /// Stored certificates per address.
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub contacts: Vec<Contact>,
    /// Trusted roots (they issue), base64 DER.
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub trust: Vec<String>,
    /// Pinned certificates (each trusted only as itself, never an issuer), base64 DER.
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub pins: Vec<String>,
    /// Other known certificates (intermediates), base64 DER.
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub known: Vec<String>,
    /// Validation time, seconds since 1970 (or RFC 3339 text); required.
    #[cfg_attr(test, ts(type = "number"))]
    pub at: UnixTime,
}

fn certs(list: &[String]) -> Result<Vec<Certificate>> {
    let mut v = Vec::new();
    for b in list.iter().take(super::MAX_STORED_CERTIFICATES) {
        let der = base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .map_err(|e| Error::usage("A trusted certificate is not valid base64.").with_detail(e))?;
        v.extend(crate::cert::facts::parse_certificates(&der)?);
    }
    Ok(v)
}

/// `{"recipients": [address], "contacts": [Contact], "trust": [base64 DER],
/// "pins": [base64 DER], "known": [base64 DER], "at": seconds}` → `[RecipientStatus]`
/// (standard policy). `trust` are roots, `pins` pinned certificates.
pub fn recipient_statuses(options_json: &str) -> Result<String> {
    let call: RecipientOptions = parse("recipient options", options_json)?;
    out(&recipient_statuses_of(&call)?)
}

/// [`recipient_statuses`] on decoded options (the Wasm export's form); the time is checked
/// as at every boundary (`time::at_time`).
pub fn recipient_statuses_of(call: &RecipientOptions) -> Result<Vec<super::RecipientStatus>> {
    let at = crate::time::at_time(call.at)?;
    let roots = certs(&call.trust)?;
    let pins = certs(&call.pins)?;
    let known = certs(&call.known)?;
    let policy = crate::policy::Policy::standard();
    let trust = Trust { roots: &roots, pins: &pins, intermediates: &known, policy: &policy, at };
    Ok(super::recipient_statuses(&call.recipients, &call.contacts, &trust))
}
