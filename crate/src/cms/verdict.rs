//! The verdict on one signer, as data (SPEC section 2): who signed (`SignerId`), is the
//! signature good (`SignatureCheck`), is the chain trusted (`ChainCheck`), does the address
//! match (`AddressCheck`), and the signer's overall `Status`. Produced by `cms::verify`,
//! shown unchanged in the `open` report (`report` re-exports these types).

use crate::cert::facts::CertFacts;
use crate::status::Status;
use crate::time::UnixTime;
use serde::Serialize;

/// How a signer was identified in the SignerInfo.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SignerId {
    IssuerAndSerial { issuer: String, serial: String },
    SubjectKeyIdentifier { key_id: String },
}

/// Answer 1: the signature value and the content digest.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureCheck {
    /// messageDigest matches and the signature verifies with the certificate's key.
    Good,
    /// The content digest does not match: changed after signing.
    DigestMismatch,
    /// The signature value does not verify.
    Bad,
    /// The signer's certificate is not in the message nor among the known certificates.
    NoCertificate,
    /// An algorithm we refuse or do not implement.
    Unsupported,
    /// The SignerInfo breaks RFC 5652 rules (e.g. missing messageDigest).
    Malformed,
}

/// Answer 2: the certificate path (leaf first, anchor last when trusted).
pub use crate::cert::chain::PathReport as ChainCheck;

/// Answer 3: the sender address.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct AddressCheck {
    /// The From address of the message, when there is one (the first, when there are several).
    pub from: Option<String>,
    pub matches: bool,
    pub certificate_emails: Vec<String>,
    /// Why the From header cannot bind the signer at all (several From headers or
    /// addresses, an address hidden in the display name), in words; then `matches` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub problem: Option<String>,
    /// The Sender address that matched the certificate, when it was the Sender (signing on
    /// behalf of the From address, RFC 8550 section 3) rather than the From address.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub sender: Option<String>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct SignerReport {
    pub status: Status,
    pub signer_id: SignerId,
    pub signature: SignatureCheck,
    pub chain: Option<ChainCheck>,
    pub address: Option<AddressCheck>,
    /// The signer's certificate: subject, e-mail addresses, issuer, serial, SHA-256 fingerprint, validity.
    pub certificate: Option<CertFacts>,
    /// The signer's own (unauthenticated) claim of when it signed.
    pub signing_time: Option<UnixTime>,
    /// Whether the signer's certificate was within its validity at the claimed signing time.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub valid_at_signing_time: Option<bool>,
    pub digest_algorithm: String,
    pub signature_algorithm: String,
    /// SMIMECapabilities the signer advertised (OIDs or names, strongest first as sent).
    pub smime_capabilities: Vec<String>,
    /// Certificate the signer prefers for encryption (SMIMEEncryptionKeyPreference), when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub encryption_key_preference: Option<SignerId>,
    pub details: Vec<String>,
}
