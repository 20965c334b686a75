//! The per-message algorithm choice (SPEC section 4) with its reasons: from the
//! SMIMECapabilities each recipient's mail program advertised in their signed mail (RFC 8551
//! 2.5.2, stored by the shell as [`LearnedCapabilities`]) and the sender's own copy (Cachet
//! reads everything it writes), the content cipher for everyone and the key management per
//! recipient, each with a sentence the compose pane shows ("advertised AES-GCM in their
//! signed mail of 3 March 2026", "no capabilities known yet"). The decisions are the
//! policy's ([`Policy::choose_content_cipher`], [`Policy::choose_key_transport`]); this module
//! gathers their inputs and explains them. Encrypting uses the same function, so what the
//! pane shows is what is written.
//!
//! # Security
//! Capabilities are what a contact's signed mail claimed; they only choose among algorithms
//! the policy accepts, never anything weaker than AES (an old client that lists only 3DES
//! still gets AES-256-CBC). Certificates are the caller's; nothing here parses untrusted bytes
//! beyond reading a certificate's key type.

use crate::cms::kari::{describe as describe_ecdh, ec_curve};
use crate::crypto::cipher::ContentCipher;
use crate::identity::LearnedCapabilities;
use crate::policy::{Advertised, KeyTransport, Policy};
use crate::time::UnixTime;
use serde::Serialize;
use x509_cert::Certificate;

/// One party a message is encrypted for.
pub struct Party<'a> {
    pub certificate: &'a Certificate,
    /// What their mail program advertised, when known.
    pub capabilities: Option<&'a LearnedCapabilities>,
    /// The sender's own copy (Sent Items): read by Cachet, which reads every cipher it writes.
    pub own_copy: bool,
}

/// What the message will be encrypted with, and why.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncryptionChoice {
    /// `aes256-gcm`, `aes128-gcm`, `aes256-cbc` or `aes128-cbc`.
    pub content_cipher: String,
    /// AES-GCM AuthEnvelopedData (changes to the message are detected).
    pub integrity_protected: bool,
    /// Why this cipher, in words.
    pub reason: String,
    /// One entry per recipient certificate, then the sender's own copy.
    pub recipients: Vec<RecipientChoice>,
}

/// How one recipient's copy of the content key is protected, and why.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipientChoice {
    /// The certificate's first e-mail address (its subject when it names none).
    pub address: String,
    pub certificate_sha256: String,
    /// The sender's own copy.
    pub own_copy: bool,
    /// RSA key transport; absent for an EC certificate (ECDH key agreement).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub key_transport: Option<KeyTransport>,
    /// The key transport or key agreement in words ("RSA PKCS #1 v1.5", "ECDH P-256 (...)").
    pub key_management: String,
    /// Their mail program advertised AES-GCM; absent when nothing is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub reads_gcm: Option<bool>,
    /// Why, in words, starting with what is known of their mail program.
    pub reason: String,
}

/// What the sender's own copy is chosen for: the ciphers Cachet reads (those of its own
/// signed mail), but not RSA-OAEP: the same key may also open the Sent folder in another
/// mail program, and not every one reads OAEP (NSS 3.87, for one, reads PKCS #1 v1.5 only).
fn own_capabilities() -> Advertised {
    let names: Vec<String> = crate::cms::sign::CAPABILITIES.iter().map(crate::oid::capability_name).collect();
    Advertised { rsa_oaep: false, ..Advertised::from_names(&names) }
}

/// Where a party's capabilities come from.
enum Known<'a> {
    OwnCopy,
    /// Their signed mail (stored by the shell, or given to the CLI).
    Mail(&'a LearnedCapabilities),
    /// The SMIMECapabilities extension of their certificate (RFC 4262).
    Certificate,
    Nothing,
}

fn known<'a>(p: &Party<'a>) -> (Known<'a>, Option<Advertised>) {
    if p.own_copy {
        return (Known::OwnCopy, Some(own_capabilities()));
    }
    // Learned from mail signed with this very certificate (or of unknown provenance, as stored
    // before the certificate was recorded): another certificate's mail program says nothing
    // of what reads this one.
    let this_certificate = |c: &LearnedCapabilities| c.certificate_sha256.is_empty() || c.certificate_sha256.eq_ignore_ascii_case(&crate::cert::facts::sha256_fingerprint(p.certificate));
    if let Some(c) = p.capabilities.filter(|c| this_certificate(c)) {
        return (Known::Mail(c), Some(Advertised::from_names(&c.algorithms)));
    }
    match crate::cert::facts::smime_capabilities(p.certificate) {
        Some(names) if !names.is_empty() => (Known::Certificate, Some(Advertised::from_names(&names))),
        _ => (Known::Nothing, None),
    }
}

const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// "3 March 2026" (UTC).
pub fn day(t: UnixTime) -> String {
    match t.to_der_datetime() {
        Some(d) => format!("{} {} {}", d.day(), MONTHS.get(usize::from(d.month()).saturating_sub(1)).copied().unwrap_or("?"), d.year()),
        None => t.to_rfc3339(),
    }
}

/// "in their signed mail of 3 March 2026" (or without the date when the mail had none).
fn source(c: &LearnedCapabilities) -> String {
    match c.signing_time {
        Some(t) => format!("in their signed mail of {}", day(t)),
        None => "in their signed mail".into(),
    }
}

fn who(f: &crate::cert::facts::CertFacts) -> String {
    f.emails.first().cloned().unwrap_or_else(|| f.subject.clone())
}

fn cipher_words(c: ContentCipher) -> &'static str {
    match c {
        ContentCipher::Aes128Cbc => "AES-128-CBC",
        ContentCipher::Aes192Cbc => "AES-192-CBC",
        ContentCipher::Aes256Cbc => "AES-256-CBC",
        ContentCipher::Aes128Gcm => "AES-128-GCM",
        ContentCipher::Aes192Gcm => "AES-192-GCM",
        ContentCipher::Aes256Gcm => "AES-256-GCM",
        ContentCipher::DesEde3Cbc => "3DES",
        ContentCipher::DesCbc => "DES",
        ContentCipher::Rc2Cbc => "RC2",
    }
}

/// The English list "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Choose the algorithms for `parties` under `policy`. `cipher` (when given) and
/// `force_oaep` are the user's explicit choices for this message (`--cipher`, `--oaep`); they
/// win and the reasons say so.
pub fn choose(parties: &[Party<'_>], policy: &Policy, cipher: Option<ContentCipher>, force_oaep: bool) -> EncryptionChoice {
    let knowns: Vec<(Known<'_>, Option<Advertised>)> = parties.iter().map(known).collect();
    let advertised: Vec<Option<Advertised>> = knowns.iter().map(|(_, a)| *a).collect();
    let content = cipher.unwrap_or_else(|| policy.choose_content_cipher(&advertised));
    let name = cipher_words(content);
    // Each certificate's facts once (they hash and re-encode it).
    let facts: Vec<crate::cert::facts::CertFacts> = parties.iter().map(|p| crate::cert::kept::facts_kept(p.certificate)).collect();
    let others: Vec<(&crate::cert::facts::CertFacts, &Option<Advertised>)> =
        parties.iter().zip(facts.iter()).zip(advertised.iter()).filter(|((p, _), _)| !p.own_copy).map(|((_, f), a)| (f, a)).collect();
    let unknown: Vec<String> = others.iter().filter(|(_, a)| a.is_none()).map(|(f, _)| who(f)).collect();
    let no_gcm: Vec<String> = others.iter().filter(|(_, a)| a.is_some_and(|a| !a.gcm())).map(|(f, _)| who(f)).collect();
    let only_128: Vec<String> = others.iter().filter(|(_, a)| a.is_some_and(|a| a.only_aes128_cbc())).map(|(f, _)| who(f)).collect();
    let reason = if cipher.is_some() {
        format!("{name} was chosen for this message.")
    } else if content.is_aead() {
        format!("{name}: every recipient's mail program advertised AES-GCM, which also detects any change to the message.")
    } else if content == ContentCipher::Aes128Cbc {
        format!("{name}: {} advertised AES-128 but not AES-256.", and_list(&only_128))
    } else if !unknown.is_empty() {
        format!("{name}, which every S/MIME mail program reads: no capabilities are known yet for {}.", and_list(&unknown))
    } else if !no_gcm.is_empty() {
        format!("{name}, which every S/MIME mail program reads: {} did not advertise AES-GCM.", and_list(&no_gcm))
    } else {
        format!("{name}: the algorithm policy does not allow AES-GCM here.")
    };
    let recipients = parties
        .iter()
        .zip(knowns.iter())
        .zip(facts)
        .map(|((p, (k, a)), facts)| recipient_choice(p, facts, k, a.as_ref(), policy, content, force_oaep))
        .collect();
    EncryptionChoice { content_cipher: content.name().to_string(), integrity_protected: content.is_aead(), reason, recipients }
}

fn recipient_choice(p: &Party<'_>, facts: crate::cert::facts::CertFacts, source_of: &Known<'_>, adv: Option<&Advertised>, policy: &Policy, content: ContentCipher, force_oaep: bool) -> RecipientChoice {
    let address = facts.emails.first().cloned().unwrap_or_else(|| facts.subject.clone());
    // What is known of their mail program.
    let known = if p.own_copy {
        "your own copy, read by Cachet (AES-GCM)".to_string()
    } else {
        let from = match source_of {
            Known::Mail(c) => Some(source(c)),
            Known::Certificate => Some("in their certificate".to_string()),
            Known::OwnCopy | Known::Nothing => None,
        };
        match (from, adv) {
            (Some(from), Some(a)) => {
                let mut listed = Vec::new();
                if a.gcm() {
                    listed.push("AES-GCM".to_string());
                } else if a.aes256_cbc {
                    listed.push("AES-256-CBC but not AES-GCM".to_string());
                } else if a.aes128_cbc {
                    listed.push("AES-128-CBC but not AES-256 or AES-GCM".to_string());
                } else {
                    listed.push("no AES cipher (it may not read this message)".to_string());
                }
                if a.rsa_oaep {
                    listed.push("RSA-OAEP".into());
                }
                format!("advertised {} {from}", and_list(&listed))
            }
            _ => "no capabilities known yet".to_string(),
        }
    };
    let (key_transport, key_management, why_key) = match ec_curve(p.certificate) {
        Some(curve) => (None, describe_ecdh(curve, content.key_len()), format!("their certificate has an EC key ({})", curve.name())),
        None => {
            let oaep_key = p.certificate.tbs_certificate().subject_public_key_info().algorithm.oid == crate::oid::OID_RSAES_OAEP;
            let advertised_oaep = adv.is_some_and(|a| a.rsa_oaep);
            let kt = policy.choose_key_transport(force_oaep || oaep_key || advertised_oaep);
            let why = if oaep_key {
                "their certificate's key is for RSA-OAEP only".to_string()
            } else if force_oaep {
                "RSA-OAEP was chosen for this message".to_string()
            } else if advertised_oaep {
                "they read RSA-OAEP".to_string()
            } else if kt == KeyTransport::OaepSha256 {
                "the algorithm policy asks for RSA-OAEP".to_string()
            } else {
                "PKCS #1 v1.5, which every S/MIME mail program reads".to_string()
            };
            (Some(kt), kt.name().to_string(), why)
        }
    };
    RecipientChoice {
        address,
        certificate_sha256: facts.sha256,
        own_copy: p.own_copy,
        key_transport,
        key_management,
        reads_gcm: adv.map(|a| a.gcm()),
        reason: format!("{known}; {why_key}"),
    }
}

/// The capabilities each signer of an opened message advertised, for a signer whose
/// signature verified (`Good`, whatever the trust in its certificate: capabilities only
/// choose among accepted algorithms), with its signing time and certificate fingerprint.
pub fn learned_from(report: &crate::report::OpenReport) -> Vec<LearnedCapabilities> {
    report
        .layers
        .iter()
        .flat_map(|l| l.signers.iter())
        .filter(|s| s.signature == crate::cms::verdict::SignatureCheck::Good && !s.smime_capabilities.is_empty())
        .filter_map(|s| {
            let cert = s.certificate.as_ref()?;
            Some(LearnedCapabilities { algorithms: s.smime_capabilities.clone(), signing_time: s.signing_time, certificate_sha256: cert.sha256.clone() })
        })
        .collect()
}

/// For each recipient certificate, the newest of `learned` that came with that certificate
/// (by SHA-256 fingerprint), if any.
pub fn for_recipients(recipients: &[Certificate], learned: &[LearnedCapabilities]) -> Vec<Option<LearnedCapabilities>> {
    recipients
        .iter()
        .map(|c| {
            let sha = crate::cert::facts::facts(c).sha256;
            learned.iter().filter(|l| l.certificate_sha256.eq_ignore_ascii_case(&sha)).fold(None, |cur, l| Some(crate::identity::learn_capabilities(cur.as_ref(), l.clone())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_lists_read_as_english() {
        assert_eq!(day(UnixTime::parse_rfc3339("2026-03-03T10:00:00Z").unwrap()), "3 March 2026");
        assert_eq!(day(UnixTime::parse_rfc3339("2025-12-31T23:59:59Z").unwrap()), "31 December 2025");
        assert_eq!(and_list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
        assert_eq!(and_list(&["a".into()]), "a");
        let own = own_capabilities();
        assert!(own.aes256_gcm && own.aes128_gcm && own.aes256_cbc && !own.rsa_oaep);
    }
}
