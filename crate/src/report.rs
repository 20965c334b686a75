//! The `open` report (SPEC sections 1, 2 and 8): one headline status, one entry per
//! layer, every signer with its three separate answers (is the signature good, is the
//! chain trusted, does the address match), certificates found, diagnoses in words.
//! Verdicts are data; only unreadable input becomes an `error` object.

use crate::cert::facts::CertFacts;
use crate::error::Error;
use serde::Serialize;

pub use crate::cms::verdict::{AddressCheck, ChainCheck, SignatureCheck, SignerId, SignerReport};
pub use crate::status::Status;

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LayerKind {
    Signed,
    Encrypted,
}

#[cfg_attr(test, derive(ts_rs::TS))]
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
    #[cfg_attr(test, ts(optional = nullable))]
    pub signers: Vec<SignerReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub encryption: Option<EncryptionInfo>,
    pub details: Vec<String>,
}

impl Layer {
    /// A layer that could not be read (or not yet judged): `malformed`, no signers, no
    /// encryption facts, these details. Every failed layer of `open` is made here.
    pub fn malformed(kind: LayerKind, format: &str, covers: &str, details: Vec<String>) -> Layer {
        Layer { kind, status: Status::Malformed, format: format.into(), covers: covers.into(), signers: Vec::new(), encryption: None, details }
    }
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct EncryptionInfo {
    pub content_cipher: String,
    pub integrity_protected: bool,
    pub recipients: Vec<SignerId>,
    /// How the content key was sent, each kind once in RecipientInfo order ("RSA PKCS #1
    /// v1.5", "RSA-OAEP (SHA-256)", "ECDH (X9.63 KDF with SHA-256, AES-256 key wrap)", ...).
    pub key_management: Vec<String>,
}

/// One finding explained in words, with data for the UI.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// Stable id: "appended-text", "appended-part", "partially-signed", "date-differs", ...
    pub id: String,
    pub message: String,
    /// Text a server added after signing, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub appended_text: Option<String>,
    /// Whether the original content still verifies once the addition is removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub original_verifies: Option<bool>,
}

/// A certificate found in the message, ready to import.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct FoundCertificate {
    pub facts: CertFacts,
    /// DER, base64.
    pub der_base64: String,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct OpenReport {
    pub status: Status,
    pub layers: Vec<Layer>,
    pub certificates: Vec<FoundCertificate>,
    pub diagnosis: Vec<Diagnosis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub error: Option<Error>,
}
