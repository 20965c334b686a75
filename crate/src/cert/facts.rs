//! Certificate facts: what a user (and the rest of the core) needs to know about
//! one X.509 certificate. RFC 5280 (profile), RFC 8550 (S/MIME certificates).
//!
//! # Security
//! Parsing is strict DER through `x509-cert`; nothing here decides trust.

use crate::error::{Code, Error, Result};
use crate::time::UnixTime;
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::Certificate;

pub use crate::crypto::key::{key_info, KeyInfo};
use crate::oid::{OID_EMAIL_ADDRESS, OID_SMIME_CAPABILITIES, OID_COMMON_NAME, OID_EKU_EMAIL_PROTECTION, OID_EKU_ANY, OID_EC_PUBLIC_KEY};

/// Largest certificate file we look at (a PEM bundle of a long chain is far below this).
pub const MAX_CERT_FILE: usize = 1024 * 1024;

/// Everything shown about a certificate (SPEC section 5, `cachet cert`).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct CertFacts {
    pub subject: String,
    pub common_name: Option<String>,
    pub emails: Vec<String>,
    pub issuer: String,
    /// Serial number in upper-case hex, as OpenSSL and Outlook show it.
    pub serial: String,
    pub not_before: UnixTime,
    pub not_after: UnixTime,
    pub key: KeyInfo,
    pub key_usage: Option<Vec<String>>,
    pub extended_key_usage: Option<Vec<String>>,
    pub is_ca: bool,
    pub self_signed: bool,
    pub signature_algorithm: String,
    /// SHA-256 fingerprint, upper-case hex pairs separated by colons.
    pub sha256: String,
    pub sha1: String,
    /// What Cachet may use this certificate for.
    pub usable_for: Usability,
    /// Algorithms from the certificate's smimeCapabilities extension (RFC 4262), in the
    /// issuer's order; None when the certificate has no such extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub smime_capabilities: Option<Vec<String>>,
    /// The subjectKeyIdentifier extension in upper-case hex (how recipients and signers
    /// may name the certificate); None when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub subject_key_id: Option<String>,
}

/// A certificate together with the exact DER bytes it was read from. Fingerprints
/// and stored copies use `der`: re-encoding a parsed certificate can change it
/// (x509-cert writes a GeneralizedTime before 2050 back as UTCTime).
#[derive(Debug, Clone)]
pub struct ParsedCertificate {
    pub certificate: Certificate,
    pub der: Vec<u8>,
}

impl ParsedCertificate {
    /// Parse one DER certificate, keeping its bytes.
    ///
    /// # Security
    /// `der` is untrusted; strict DER parsing, never panics.
    pub fn from_der(der: &[u8]) -> Result<ParsedCertificate> {
        let certificate = Certificate::from_der(der).map_err(|e| {
            Error::new(
                Code::BadCertificate,
                "This is not a certificate Cachet can read.",
                "Use an X.509 certificate in PEM or DER form (.cer, .crt, .pem).",
            )
            .with_detail(format!("DER: {e}"))
        })?;
        Ok(ParsedCertificate { certificate, der: der.to_vec() })
    }

    /// SHA-256 fingerprint of the original bytes.
    pub fn sha256(&self) -> String {
        colon_hex(&Sha256::digest(&self.der))
    }

    /// Facts, with fingerprints over the original bytes.
    pub fn facts(&self) -> CertFacts {
        facts_der(&self.certificate, &self.der)
    }
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Usability {
    pub sign: bool,
    pub encrypt: bool,
    /// "sign", "encrypt", "both" or "neither".
    pub summary: String,
    /// Why a use is not possible, in words; empty when both are.
    pub reasons: Vec<String>,
}

/// Read one or more certificates from PEM (any number of CERTIFICATE or PKCS7 blocks, any
/// line length) or DER (a certificate, or a certs-only PKCS#7 bundle, .p7b/.p7c).
///
/// # Security
/// `bytes` is untrusted: at most [`MAX_CERT_FILE`] bytes and [`MAX_BUNDLE_CERTIFICATES`]
/// certificates, strict DER for each certificate; never panics.
pub fn parse_certificates(bytes: &[u8]) -> Result<Vec<Certificate>> {
    Ok(parse_certificates_der(bytes)?.into_iter().map(|p| p.certificate).collect())
}

/// As [`parse_certificates`], keeping each certificate's original DER bytes.
///
/// # Security
/// As [`parse_certificates`].
pub fn parse_certificates_der(bytes: &[u8]) -> Result<Vec<ParsedCertificate>> {
    if bytes.len() > MAX_CERT_FILE {
        return Err(Error::new(
            Code::LimitExceeded,
            "This file is too large to be a certificate.",
            "Choose a certificate file (.cer, .crt or .pem) of at most 1 MB.",
        ));
    }
    let not_a_cert = |detail: String| {
        Error::new(
            Code::BadCertificate,
            "This file is not a certificate Cachet can read.",
            "Choose an X.509 certificate in PEM or DER form (.cer, .crt, .pem) or a certificate bundle (.p7b, .p7c); for a key file use Import identity (.p12/.pfx).",
        )
        .with_detail(detail)
    };
    // PEM of any line length (RFC 7468's strict form has 64): CERTIFICATE blocks, and
    // PKCS7 blocks holding a certificate bundle (.p7b/.p7c).
    if crate::asn1::pem::is_pem(bytes) {
        let text = std::str::from_utf8(bytes).map_err(|e| not_a_cert(e.to_string()))?;
        let mut out = Vec::new();
        for block in crate::asn1::pem::blocks(text).map_err(|e| not_a_cert(format!("PEM: {e}")))? {
            match block.label.as_str() {
                "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => match Certificate::from_der(&block.der) {
                    Ok(certificate) => out.push(ParsedCertificate { certificate, der: block.der }),
                    // Some exporters label a bundle CERTIFICATE.
                    Err(e) => out.extend(certificate_bundle(&block.der).ok_or_else(|| not_a_cert(format!("DER: {e}")))?),
                },
                "PKCS7" | "PKCS #7 SIGNED DATA" | "CMS" => out.extend(certificate_bundle(&block.der).ok_or_else(|| not_a_cert("the PKCS7 block is not a certificate bundle".into()))?),
                _ => {}
            }
            if out.len() > MAX_BUNDLE_CERTIFICATES {
                return Err(bundle_too_large());
            }
        }
        if out.is_empty() {
            return Err(not_a_cert("no CERTIFICATE or PKCS7 block in the PEM file".into()));
        }
        return Ok(out);
    }
    match Certificate::from_der(bytes) {
        Ok(certificate) => Ok(vec![ParsedCertificate { certificate, der: bytes.to_vec() }]),
        Err(e) => match certificate_bundle(bytes) {
            Some(v) if v.len() > MAX_BUNDLE_CERTIFICATES => Err(bundle_too_large()),
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(not_a_cert(format!("DER: {e}"))),
        },
    }
}

/// Most certificates read from one bundle file (a .p7b/.p7c or a PEM file with many).
pub const MAX_BUNDLE_CERTIFICATES: usize = 256;

fn bundle_too_large() -> Error {
    Error::new(Code::LimitExceeded, format!("This file holds more than {MAX_BUNDLE_CERTIFICATES} certificates, the most Cachet reads from one file."), "Import the certificates you need one by one.")
        .with_detail(format!("limit MAX_BUNDLE_CERTIFICATES = {MAX_BUNDLE_CERTIFICATES} exceeded"))
}

/// The certificates of a certs-only PKCS#7/CMS SignedData (a .p7b/.p7c bundle, RFC 8551
/// 3.6), DER or BER; None when `der` is not a SignedData. Elements that are not X.509
/// certificates are skipped. At most one more than [`MAX_BUNDLE_CERTIFICATES`] are read.
fn certificate_bundle(der: &[u8]) -> Option<Vec<ParsedCertificate>> {
    use crate::asn1::ber;
    let top = ber::read_all(der).ok()?;
    let kids = top.children().ok()?;
    let oid = kids.first().filter(|t| t.tag == 0x06)?;
    if const_oid::ObjectIdentifier::from_der(oid.raw).ok()? != crate::oid::OID_SIGNED_DATA {
        return None;
    }
    let sd = kids.get(1).filter(|t| t.tag == 0xa0)?.children().ok()?.into_iter().next().filter(|t| t.tag == 0x30)?;
    let mut out = Vec::new();
    for field in sd.children().ok()? {
        if field.tag != 0xa0 {
            continue;
        }
        for c in field.children().ok()? {
            if out.len() > MAX_BUNDLE_CERTIFICATES {
                return Some(out);
            }
            if let Ok(certificate) = Certificate::from_der(c.raw) {
                out.push(ParsedCertificate { certificate, der: c.raw.to_vec() });
            }
        }
    }
    Some(out)
}

/// Upper-case hex pairs separated by colons.
pub fn colon_hex(bytes: &[u8]) -> String {
    let hex = hex(bytes);
    let pairs: Vec<&str> = hex.as_bytes().chunks(2).filter_map(|p| std::str::from_utf8(p).ok()).collect();
    pairs.join(":")
}

/// Upper-case hex, no separators.
pub fn hex(bytes: &[u8]) -> String {
    base16ct::upper::encode_string(bytes)
}

pub fn sha256_fingerprint(cert: &Certificate) -> String {
    colon_hex(&Sha256::digest(cert.to_der().unwrap_or_default()))
}

/// The value of the first attribute of type `oid` in a name, as text.
fn name_attribute(name: &x509_cert::name::Name, oid: ObjectIdentifier) -> Vec<String> {
    let mut out = Vec::new();
    for atv in name.iter() {
        if atv.oid == oid {
            if let Some(s) = any_to_string(&atv.value) {
                out.push(s);
            }
        }
    }
    out
}

pub(crate) fn any_to_string(any: &der::Any) -> Option<String> {
    use der::asn1::{BmpString, Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
    if let Ok(s) = any.decode_as::<Utf8StringRef<'_>>() {
        return Some(s.to_string());
    }
    if let Ok(s) = any.decode_as::<PrintableStringRef<'_>>() {
        return Some(s.to_string());
    }
    if let Ok(s) = any.decode_as::<Ia5StringRef<'_>>() {
        return Some(s.to_string());
    }
    if let Ok(s) = any.decode_as::<TeletexStringRef<'_>>() {
        return Some(s.to_string());
    }
    if let Ok(s) = any.decode_as::<BmpString>() {
        return Some(s.to_string());
    }
    None
}

/// E-mail addresses bound to the certificate: the SAN rfc822Names; only when the
/// certificate has none, the legacy emailAddress attribute of the subject (RFC 8550
/// section 3). When the SAN lists addresses, a different subject emailAddress is not
/// bound to the certificate (a CA checks the SAN; the subject's copy may be stale or
/// unchecked), so it is neither listed nor matched.
pub fn email_addresses(cert: &Certificate) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Ok(Some((_, san))) = cert.tbs_certificate().get_extension::<SubjectAltName>() {
        for gn in san.0.iter() {
            if let GeneralName::Rfc822Name(s) = gn {
                out.push(s.to_string());
            }
        }
    }
    if !out.is_empty() {
        return out;
    }
    for e in name_attribute(cert.tbs_certificate().subject(), OID_EMAIL_ADDRESS) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&e)) {
            out.push(e);
        }
    }
    out
}

/// Does `address` belong to the certificate? Local part compared exactly except
/// for ASCII case (as every deployed client does), domain case-insensitively.
pub fn matches_address(cert: &Certificate, address: &str) -> bool {
    let want = address.trim();
    email_addresses(cert).iter().any(|have| addresses_equal(have, want))
}

pub fn addresses_equal(a: &str, b: &str) -> bool {
    let a = a.trim();
    let b = b.trim();
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => la.eq_ignore_ascii_case(lb) && da.eq_ignore_ascii_case(db),
        _ => false,
    }
}

/// Key usage bits present, or None when the extension is absent; one that is there twice or
/// cannot be read allows nothing (never taken as absent, which allows every use).
pub fn key_usage(cert: &Certificate) -> Option<KeyUsage> {
    match cert.tbs_certificate().get_extension::<KeyUsage>() {
        Ok(found) => found.map(|(_, ku)| ku),
        Err(_) => Some(KeyUsage(Default::default())),
    }
}

/// The extended key usage; one that is there twice or cannot be read allows nothing.
pub fn extended_key_usage(cert: &Certificate) -> Option<Vec<ObjectIdentifier>> {
    match cert.tbs_certificate().get_extension::<ExtendedKeyUsage>() {
        Ok(found) => found.map(|(_, e)| e.0),
        Err(_) => Some(Vec::new()),
    }
}

pub fn basic_constraints(cert: &Certificate) -> Option<BasicConstraints> {
    cert.tbs_certificate().get_extension::<BasicConstraints>().ok().flatten().map(|(_, b)| b)
}

/// EKU absent, or containing emailProtection or anyExtendedKeyUsage (RFC 8550 4.4.4).
pub fn eku_allows_email(cert: &Certificate) -> bool {
    match extended_key_usage(cert) {
        None => true,
        Some(ekus) => ekus.iter().any(|o| *o == OID_EKU_EMAIL_PROTECTION || *o == OID_EKU_ANY),
    }
}

/// keyUsage absent or with digitalSignature or nonRepudiation.
pub fn ku_allows_signing(cert: &Certificate) -> bool {
    match key_usage(cert) {
        None => true,
        Some(ku) => ku.0.contains(KeyUsages::DigitalSignature) || ku.0.contains(KeyUsages::NonRepudiation),
    }
}

/// keyUsage absent or with keyEncipherment (RSA) / keyAgreement (EC).
pub fn ku_allows_encryption(cert: &Certificate) -> bool {
    let ec = cert.tbs_certificate().subject_public_key_info().algorithm.oid == OID_EC_PUBLIC_KEY;
    match key_usage(cert) {
        None => true,
        Some(ku) if ec => ku.0.contains(KeyUsages::KeyAgreement),
        Some(ku) => ku.0.contains(KeyUsages::KeyEncipherment),
    }
}

fn key_usage_names(ku: &KeyUsage) -> Vec<String> {
    let all = [
        (KeyUsages::DigitalSignature, "digitalSignature"),
        (KeyUsages::NonRepudiation, "nonRepudiation"),
        (KeyUsages::KeyEncipherment, "keyEncipherment"),
        (KeyUsages::DataEncipherment, "dataEncipherment"),
        (KeyUsages::KeyAgreement, "keyAgreement"),
        (KeyUsages::KeyCertSign, "keyCertSign"),
        (KeyUsages::CRLSign, "cRLSign"),
        (KeyUsages::EncipherOnly, "encipherOnly"),
        (KeyUsages::DecipherOnly, "decipherOnly"),
    ];
    all.iter().filter(|(f, _)| ku.0.contains(*f)).map(|(_, n)| n.to_string()).collect()
}

fn algorithm_name(oid: &ObjectIdentifier) -> String {
    crate::cert::names::algorithm_name(oid)
}

/// Is the certificate usable by Cachet for signing and for encryption, and if not, why.
pub fn usability(cert: &Certificate) -> Usability {
    let mut reasons = Vec::new();
    let key = key_info(cert.tbs_certificate().subject_public_key_info());
    let supported_key = match key.algorithm.as_str() {
        "RSA" | "RSASSA-PSS" => true,
        "EC" => matches!(key.curve.as_deref(), Some("P-256") | Some("P-384")),
        _ => false,
    };
    if !supported_key {
        reasons.push(format!(
            "its key type ({}{}) is not supported by Cachet",
            key.algorithm,
            key.curve.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
        ));
    }
    let is_ca = basic_constraints(cert).map(|b| b.ca).unwrap_or(false);
    if is_ca {
        reasons.push("it is a certificate authority's certificate, not a personal one".into());
    }
    let eku_ok = eku_allows_email(cert);
    if !eku_ok {
        reasons.push("its extended key usage does not include e-mail protection".into());
    }
    let base = supported_key && !is_ca && eku_ok;
    let sign = base && ku_allows_signing(cert);
    if base && !sign {
        reasons.push("its key usage does not allow digital signatures".into());
    }
    let pss_only = key.algorithm == "RSASSA-PSS";
    if base && pss_only {
        reasons.push("its key is restricted to RSASSA-PSS signatures (RFC 4055), so no one can encrypt to it".into());
    }
    let encrypt = base && !pss_only && ku_allows_encryption(cert);
    if base && !pss_only && !encrypt {
        reasons.push(if key.algorithm == "EC" {
            "its key usage does not allow key agreement, so no one can encrypt to it".into()
        } else {
            "its key usage does not allow key encipherment, so no one can encrypt to it".into()
        });
    }
    let summary = match (sign, encrypt) {
        (true, true) => "both",
        (true, false) => "sign",
        (false, true) => "encrypt",
        (false, false) => "neither",
    };
    Usability { sign, encrypt, summary: summary.into(), reasons }
}

/// Summarise a certificate. Fingerprints are over its re-encoding; prefer [`facts_der`]
/// (or [`ParsedCertificate::facts`]) when the original bytes are at hand.
pub fn facts(cert: &Certificate) -> CertFacts {
    facts_der(cert, &cert.to_der().unwrap_or_default())
}

/// Summarise a certificate whose original DER bytes are `der_bytes` (fingerprints over them).
pub fn facts_der(cert: &Certificate, der_bytes: &[u8]) -> CertFacts {
    let tbs = cert.tbs_certificate();
    let ku = key_usage(cert);
    CertFacts {
        subject: crate::cert::names::name_string(tbs.subject()),
        common_name: name_attribute(tbs.subject(), OID_COMMON_NAME).into_iter().next(),
        emails: email_addresses(cert),
        issuer: crate::cert::names::name_string(tbs.issuer()),
        serial: hex(tbs.serial_number().as_bytes()),
        not_before: UnixTime::from_der_time(&tbs.validity().not_before),
        not_after: UnixTime::from_der_time(&tbs.validity().not_after),
        key: key_info(tbs.subject_public_key_info()),
        key_usage: ku.as_ref().map(key_usage_names),
        extended_key_usage: extended_key_usage(cert).map(|v| v.iter().map(crate::oid::eku_name).collect()),
        is_ca: basic_constraints(cert).map(|b| b.ca).unwrap_or(false),
        self_signed: tbs.subject() == tbs.issuer(),
        signature_algorithm: algorithm_name(&cert.signature_algorithm().oid),
        sha256: colon_hex(&Sha256::digest(der_bytes)),
        sha1: colon_hex(&Sha1::digest(der_bytes)),
        usable_for: usability(cert),
        smime_capabilities: smime_capabilities(cert),
        subject_key_id: match tbs.get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>() {
            Ok(Some((_, ski))) => Some(hex(ski.0.as_bytes())),
            _ => None,
        },
    }
}

/// The algorithms of the certificate's smimeCapabilities extension (RFC 4262), named as
/// in the open report; None when the extension is absent, empty list when it is unreadable.
pub fn smime_capabilities(cert: &Certificate) -> Option<Vec<String>> {
    let ext = cert.tbs_certificate().extensions()?.iter().find(|e| e.extn_id == OID_SMIME_CAPABILITIES)?;
    Some(crate::cert::capabilities::names(ext.extn_value.as_bytes()))
}

/// Parse a certificate file and summarise every certificate in it (fingerprints over
/// the bytes of the file).
///
/// # Security
/// As [`parse_certificates`].
pub fn summarize(bytes: &[u8]) -> Result<Vec<CertFacts>> {
    Ok(parse_certificates_der(bytes)?.iter().map(ParsedCertificate::facts).collect())
}

