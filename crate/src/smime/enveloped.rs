//! Enveloped layers (SPEC section 2; RFC 8551 3.3, RFC 5083): decrypt with the user's
//! identities and report the layer, never more than its SPEC status on failure.

use crate::cms::bulk::Plaintext;
use crate::cms::decrypt::{self, Outcome};
use super::content::Content;
use crate::oid::OID_AUTH_ENVELOPED_DATA;
use crate::mime;
use crate::pkcs12::Identity;
use crate::report::{note_repair, Diagnosis, EncryptionInfo, Layer, LayerKind, OpenReport, Repair, SignerId, Status};

fn describe(id: &SignerId) -> String {
    match id {
        SignerId::IssuerAndSerial { issuer, serial } => format!("certificate {serial} issued by {issuer}"),
        SignerId::SubjectKeyIdentifier { key_id } => format!("key id {key_id}"),
    }
}

/// Decompress CompressedData (RFC 3274) met while peeling: `der` is a ContentInfo
/// (`bare` false) or a bare CompressedData (the eContent of a SignedData, or decrypted
/// content). The content goes on to be peeled; a failure (damaged data, or more than
/// [`crate::cms::compressed::MAX_DECOMPRESSED_SIZE`] once decompressed) adds a `malformed`
/// layer naming it.
pub(crate) fn decompressed(der: &[u8], bare: bool, covers: &str, report: &mut OpenReport) -> Option<Vec<u8>> {
    decompressed_from(inflate_cms(der, bare), covers, report)
}

/// [`decompressed`] of content already inflated (or not) by [`inflate_cms`].
pub(crate) fn decompressed_from(inflated: Result<Vec<u8>, crate::error::Error>, covers: &str, report: &mut OpenReport) -> Option<Vec<u8>> {
    match inflated {
        Ok(content) => {
            note_compressed(covers, report);
            Some(content)
        }
        Err(e) => {
            let mut layer = Layer::malformed(LayerKind::Signed, "compressed-data", covers, vec![e.message.clone()]);
            if e.code == crate::error::Code::LimitExceeded {
                let limit = e.detail.clone().unwrap_or_default();
                layer.details.push(limit.clone());
                report.diagnosis.push(crate::report::Diagnosis { id: "limit-exceeded".into(), message: format!("Cachet stopped decompressing this message at a safety limit: {limit}."), appended_text: None, original_verifies: None });
            }
            report.error.get_or_insert(e);
            report.layers.push(layer);
            None
        }
    }
}

/// The decompressed content of CompressedData (see [`decompressed`]), byte for byte: it
/// may be a signed entity whose content was signed as binary (AS2 compresses after
/// signing), so its line breaks are left as they are (the MIME parser reads LF and CRLF,
/// and a signed layer checks the CRLF form first).
pub(crate) fn inflate_cms(der: &[u8], bare: bool) -> Result<Vec<u8>, crate::error::Error> {
    use crate::cms::compressed::{decompress, decompress_content_info, MAX_DECOMPRESSED_SIZE};
    let (_, content) = if bare { decompress(der, MAX_DECOMPRESSED_SIZE)? } else { decompress_content_info(der, MAX_DECOMPRESSED_SIZE)? };
    Ok(content)
}

/// Report that compressed content was decompressed.
pub(crate) fn note_compressed(covers: &str, report: &mut OpenReport) {
    note_repair(&mut report.repairs, Repair::new("compressed", covers, "The content was compressed (CompressedData, RFC 3274, as AS2 products and some gateways send it); Cachet decompressed it."));
}

/// The layer kind an `smime-type` parameter announces (for reporting unreadable CMS).
pub fn layer_kind(smime_type: Option<&str>) -> LayerKind {
    match smime_type {
        Some(t) if t.eq_ignore_ascii_case("enveloped-data") || t.eq_ignore_ascii_case("authenveloped-data") => LayerKind::Encrypted,
        _ => LayerKind::Signed,
    }
}

/// Decrypt one enveloped layer (`der` is its CMS ContentInfo), push its report layer and
/// return the decrypted MIME entity to keep peeling, or None when it did not open.
///
/// # Security
/// `der` is untrusted; see [`decrypt::decrypt`] for its limits (an exceeded one is a
/// `malformed` layer with a `limit-exceeded` diagnosis naming it, and the listed
/// recipients are capped at `cms::recipients::MAX_RECIPIENTS`). Nothing of a layer that
/// failed is returned, and the report never says why beyond the SPEC section 2 status.
pub fn open_enveloped(der: &[u8], identities: &[&Identity], policy: &crate::policy::Policy, covers: &str, report: &mut OpenReport) -> Option<Vec<u8>> {
    open_enveloped_with(der, identities, &[], policy, covers, report, &crate::cms::bulk::Portable).map(Content::into_owned)
}

/// [`open_enveloped`] with key unwrapping and content decryption done by `bulk`, also
/// trying `passwords` on a password-encrypted message (RFC 3211).
pub fn open_enveloped_with(der: &[u8], identities: &[&Identity], passwords: &[&str], policy: &crate::policy::Policy, covers: &str, report: &mut OpenReport, bulk: &dyn crate::cms::bulk::Bulk) -> Option<Content<'static>> {
    open_enveloped_canonical(der, identities, passwords, policy, covers, report, bulk).map(|(content, _)| content)
}

/// [`open_enveloped_with`], and whether the content is known to be in canonical (CRLF) form:
/// decrypted content is checked, and put in that form when it is not, before it is handed on
/// (decompressed content is not checked here).
pub(super) fn open_enveloped_canonical(der: &[u8], identities: &[&Identity], passwords: &[&str], policy: &crate::policy::Policy, covers: &str, report: &mut OpenReport, bulk: &dyn crate::cms::bulk::Bulk) -> Option<(Content<'static>, bool)> {
    let format = match crate::cms::signed::content_info(der) {
        Ok((oid, _)) if oid == OID_AUTH_ENVELOPED_DATA => "authEnveloped-data",
        _ => "enveloped-data",
    };
    if report.layers.is_empty() && !covers.is_empty() {
        // Only a part of the message is encrypted: the other parts anyone could have added.
        for d in report.diagnosis.iter_mut().filter(|d| d.id == "appended-part" && d.original_verifies.is_none()) {
            d.id = "partially-encrypted".into();
            d.message = format!("Only part {covers} of this message is encrypted. The other parts were sent unencrypted, and anyone could have added them.");
        }
    }
    let mut layer = Layer::malformed(LayerKind::Encrypted, format, covers, Vec::new());
    let d = match decrypt::decrypt_with_passwords(der, identities, passwords, policy, bulk) {
        Ok(d) => d,
        Err(e) => {
            layer.details.push(e.message.clone());
            report.error.get_or_insert(e);
            report.layers.push(layer);
            return None;
        }
    };
    layer.encryption = Some(EncryptionInfo {
        content_cipher: d.info.cipher.clone(),
        integrity_protected: d.info.integrity_protected,
        recipients: d.info.recipients.clone(),
        key_management: d.info.key_management.clone(),
    });
    let result = match d.outcome {
        Outcome::Decrypted(pt) => {
            layer.status = if d.info.weak { Status::WeakCipher } else { Status::Decrypted };
            if d.info.weak {
                layer.details.push(format!("This message was encrypted with {}, an old cipher; treat its secrecy as weak.", d.info.cipher));
            }
            if let Some(n) = d.info.short_tag {
                note_repair(&mut report.repairs, Repair::new("gcm-tag-length", covers, format!("Tag length {n}: the GCM authentication tag has {n} bytes instead of the usual 16 (RFC 5084 allows 12 to 16; shorter tags protect a little less).")));
            }
            if d.info.opened_by_trial {
                layer.details.push("The message did not name your certificate; it opened with one of your keys by trial.".into());
            }
            if !d.info.integrity_protected {
                layer.details.push("The encryption (CBC) does not protect the content against changes; only a signature inside does.".into());
            }
            // The plaintext goes on to the caller either way: move it out rather than copy
            // it when it is already canonical.
            if d.info.compressed {
                report.layers.push(layer);
                return decompressed(&pt, true, covers, report).map(|c| (Content::Owned(c), false));
            }
            if mime::is_canonical(&pt) {
                Some((
                    match pt {
                        Plaintext::Owned(mut pt) => Content::Owned(std::mem::take(&mut *pt)),
                        // Written in place in the decoded body: handed on shared, not copied.
                        Plaintext::InBody(b) => Content::InBody(b),
                    },
                    true,
                ))
            } else {
                Some((Content::Owned(mime::canonicalize_crlf(&pt).into_owned()), true))
            }
        }
        Outcome::NoKey => {
            layer.status = Status::NoKey;
            let list: Vec<String> = d.info.recipients.iter().map(describe).collect();
            let message = format!(
                "This message was encrypted for {}; none of your {} identities holds that key.",
                if list.is_empty() { "no recipient".into() } else { list.join("; ") },
                identities.len()
            );
            layer.details.push(message.clone());
            report.diagnosis.push(Diagnosis {
                id: "no-key".into(),
                message: format!("{message} If it was for an older certificate of yours, restore that key from its backup and open the message again."),
                appended_text: None,
                original_verifies: None,
            });
            None
        }
        Outcome::NeedsPassword { tried, unsupported } => {
            layer.status = Status::NeedsPassword;
            let message = match (&unsupported, tried) {
                (Some(why), _) => format!("This message was encrypted with a password, but Cachet cannot use its password protection: {why}."),
                (None, true) => "This message was encrypted with a password, and the password given does not open it.".to_string(),
                (None, false) => "This message was encrypted with a password (not to a certificate): enter the password the sender gave you to open it.".to_string(),
            };
            layer.details.push(message.clone());
            report.diagnosis.push(Diagnosis { id: "needs-password".into(), message, appended_text: None, original_verifies: None });
            None
        }
        Outcome::IntegrityFailure => {
            layer.status = Status::IntegrityFailure;
            layer.details.push("The message names your key, but its encrypted content could not be decrypted intact: it was damaged or altered. Nothing of it is shown.".into());
            None
        }
        Outcome::LimitExceeded(e) => {
            // Never `no-key` or `integrity-failure`: the limit, not the keys, ended the work.
            layer.status = Status::Malformed;
            layer.details.push(format!("{} ({})", e.message, e.detail.as_deref().unwrap_or("limit exceeded")));
            report.diagnosis.push(Diagnosis {
                id: "limit-exceeded".into(),
                message: format!("Cachet stopped decrypting this message at a safety limit: {}.", e.detail.as_deref().unwrap_or("limit exceeded")),
                appended_text: None,
                original_verifies: None,
            });
            report.error.get_or_insert(e);
            None
        }
        Outcome::Refused(e) => {
            layer.status = if d.info.weak { Status::WeakCipher } else { Status::Malformed };
            layer.details.push(e.message.clone());
            report.error.get_or_insert(e);
            None
        }
    };
    report.layers.push(layer);
    result
}
