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

/// Something Cachet had to forgive to read the message (issue 17): a deviation from the
/// standards that other readers (OpenSSL, Python, mail clients) accept too. A repair never
/// changes a verdict by itself: the signature is still checked over exactly the bytes that
/// were signed, and a repair that would change them is never applied.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Repair {
    /// Stable id: "signature-binary", "line-endings-mixed", "legacy-x-pkcs7-type",
    /// "content-type-attribute-missing", "gcm-tag-length", "compressed", ...
    pub code: String,
    /// One sentence for the user.
    pub message: String,
    /// The MIME part of the layer it concerns ("" the whole message), as `Layer::covers`.
    pub covers: String,
}

impl Repair {
    pub fn new(code: &str, covers: &str, message: impl Into<String>) -> Repair {
        Repair { code: code.into(), message: message.into(), covers: covers.into() }
    }
}

/// Add `r` to `list` unless the same code is already there for the same part.
pub fn note_repair(list: &mut Vec<Repair>, r: Repair) {
    if !list.iter().any(|x| x.code == r.code && x.covers == r.covers) {
        list.push(r);
    }
}

/// A certificate found in the message, ready to import.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct FoundCertificate {
    pub facts: CertFacts,
    /// DER, base64.
    pub der_base64: String,
}

/// The header fields a message carries inside its signature or encryption (header
/// protection, RFC 9788), which a reader shows in place of the outer ones. Values are
/// decoded text (RFC 2047), white space made single spaces.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProtectedHeaders {
    /// The payload's `hp` parameter: "clear" (signed only) or "cipher" (encrypted).
    pub mode: String,
    /// A signature covers them (see the signed layer's status for whether it is good).
    pub signed: bool,
    /// They came out of a decrypted layer: hidden from the servers on the way.
    pub encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub cc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub reply_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub in_reply_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub references: Option<String>,
    /// Fields the sender hid or obscured outside (encrypted mail: "Subject").
    pub confidential: Vec<String>,
    /// Signed fields whose outer version differs from what the signer wrote.
    pub mismatches: Vec<HeaderMismatch>,
}

/// A signed header field that differs outside the signature.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderMismatch {
    /// The field's name ("From", "Subject", ...).
    pub name: String,
    /// What the signer wrote (inside).
    pub inner: String,
    /// What the message shows outside; None when the field is missing there.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub outer: Option<String>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct OpenReport {
    pub status: Status,
    pub layers: Vec<Layer>,
    pub certificates: Vec<FoundCertificate>,
    pub diagnosis: Vec<Diagnosis>,
    /// The protected header fields (RFC 9788), when the innermost content carries them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub protected_headers: Option<ProtectedHeaders>,
    /// What Cachet had to forgive to read the message, in the order met (empty when the
    /// message followed the standards).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(optional = nullable))]
    pub repairs: Vec<Repair>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub error: Option<Error>,
}
