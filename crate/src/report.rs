//! The `open` report (SPEC sections 1, 2 and 8): one headline status, one entry per
//! layer, every signer with its three separate answers (is the signature good, is the
//! chain trusted, does the address match), certificates found, diagnoses in words.
//! Verdicts are data; only unreadable input becomes an `error` object.

use crate::cert::facts::CertFacts;
use crate::error::Error;
use crate::time::UnixTime;
use serde::Serialize;

/// Status ids of SPEC sections 1 and 2. Never rename one: the shell and scripts key on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Valid,
    ValidUnknownCa,
    Tampered,
    BadSignature,
    AddressMismatch,
    Expired,
    NotYetValid,
    WrongUsage,
    WeakAlgorithm,
    PartiallySigned,
    NoSigner,
    Unsigned,
    Malformed,
    NoKey,
    IntegrityFailure,
    WeakCipher,
    /// An encrypted layer that opened fine (layer status only; the headline is never this).
    Decrypted,
}

impl Status {
    /// Severity for choosing the headline: higher is worse.
    pub fn severity(self) -> u8 {
        match self {
            Status::Valid | Status::Decrypted => 0,
            Status::Unsigned => 1,
            Status::ValidUnknownCa => 2,
            Status::PartiallySigned => 3,
            Status::WeakCipher => 4,
            Status::WeakAlgorithm => 5,
            Status::NotYetValid => 6,
            Status::Expired => 7,
            Status::WrongUsage => 8,
            Status::AddressMismatch => 9,
            Status::NoSigner => 10,
            Status::BadSignature => 11,
            Status::Tampered => 12,
            Status::NoKey => 13,
            Status::IntegrityFailure => 14,
            Status::Malformed => 15,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::ValidUnknownCa => "valid-unknown-ca",
            Status::Tampered => "tampered",
            Status::BadSignature => "bad-signature",
            Status::AddressMismatch => "address-mismatch",
            Status::Expired => "expired",
            Status::NotYetValid => "not-yet-valid",
            Status::WrongUsage => "wrong-usage",
            Status::WeakAlgorithm => "weak-algorithm",
            Status::PartiallySigned => "partially-signed",
            Status::NoSigner => "no-signer",
            Status::Unsigned => "unsigned",
            Status::Malformed => "malformed",
            Status::NoKey => "no-key",
            Status::IntegrityFailure => "integrity-failure",
            Status::WeakCipher => "weak-cipher",
            Status::Decrypted => "decrypted",
        }
    }

    /// The worse of two statuses.
    pub fn worst(self, other: Status) -> Status {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// Good for the exit status: `valid`, or `unsigned` after a successful decryption.
    pub fn is_good(self) -> bool {
        matches!(self, Status::Valid | Status::Decrypted)
    }
}

/// How a signer was identified in the SignerInfo.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SignerId {
    IssuerAndSerial { issuer: String, serial: String },
    SubjectKeyIdentifier { key_id: String },
}

/// Answer 1: the signature value and the content digest.
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
#[derive(Debug, Clone, Serialize)]
pub struct AddressCheck {
    /// The From address of the message, when there is one (the first, when there are several).
    pub from: Option<String>,
    pub matches: bool,
    pub certificate_emails: Vec<String>,
    /// Why the From header cannot bind the signer at all (several From headers or
    /// addresses, an address hidden in the display name), in words; then `matches` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The Sender address that matched the certificate, when it was the Sender (signing on
    /// behalf of the From address, RFC 8550 section 3) rather than the From address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
}

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
    pub valid_at_signing_time: Option<bool>,
    pub digest_algorithm: String,
    pub signature_algorithm: String,
    /// SMIMECapabilities the signer advertised (OIDs or names, strongest first as sent).
    pub smime_capabilities: Vec<String>,
    /// Certificate the signer prefers for encryption (SMIMEEncryptionKeyPreference), when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_key_preference: Option<SignerId>,
    pub details: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LayerKind {
    Signed,
    Encrypted,
}

#[derive(Debug, Clone, Serialize)]
pub struct Layer {
    pub kind: LayerKind,
    pub status: Status,
    /// "multipart/signed", "application/pkcs7-mime" (opaque) or the encryption format.
    pub format: String,
    /// Which MIME part the layer covers: "" for the whole message, "1.2" for the
    /// second child of the first child, and so on.
    pub covers: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signers: Vec<SignerReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionInfo>,
    pub details: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EncryptionInfo {
    pub content_cipher: String,
    pub integrity_protected: bool,
    pub recipients: Vec<SignerId>,
}

/// One finding explained in words, with data for the UI.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// Stable id: "appended-text", "appended-part", "partially-signed", "date-differs", ...
    pub id: String,
    pub message: String,
    /// Text a server added after signing, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appended_text: Option<String>,
    /// Whether the original content still verifies once the addition is removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_verifies: Option<bool>,
}

/// A certificate found in the message, ready to import.
#[derive(Debug, Clone, Serialize)]
pub struct FoundCertificate {
    pub facts: CertFacts,
    /// DER, base64.
    pub der_base64: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpenReport {
    pub status: Status,
    pub layers: Vec<Layer>,
    pub certificates: Vec<FoundCertificate>,
    pub diagnosis: Vec<Diagnosis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}
