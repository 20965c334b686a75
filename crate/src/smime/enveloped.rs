//! Enveloped layers (SPEC section 2; RFC 8551 3.3, RFC 5083): decrypt with the user's
//! identities and report the layer, never more than its SPEC status on failure.

use crate::cms::decrypt::{self, Outcome};
use crate::oid::OID_AUTH_ENVELOPED_DATA;
use crate::mime;
use crate::pkcs12::Identity;
use crate::report::{Diagnosis, EncryptionInfo, Layer, LayerKind, OpenReport, SignerId, Status};

fn describe(id: &SignerId) -> String {
    match id {
        SignerId::IssuerAndSerial { issuer, serial } => format!("certificate {serial} issued by {issuer}"),
        SignerId::SubjectKeyIdentifier { key_id } => format!("key id {key_id}"),
    }
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
    open_enveloped_with(der, identities, policy, covers, report, &crate::cms::bulk::Portable)
}

/// [`open_enveloped`] with key unwrapping and content decryption done by `bulk`.
pub fn open_enveloped_with(der: &[u8], identities: &[&Identity], policy: &crate::policy::Policy, covers: &str, report: &mut OpenReport, bulk: &dyn crate::cms::bulk::Bulk) -> Option<Vec<u8>> {
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
    let d = match decrypt::decrypt_with(der, identities, policy, bulk) {
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
        Outcome::Decrypted(mut pt) => {
            layer.status = if d.info.weak { Status::WeakCipher } else { Status::Decrypted };
            if d.info.weak {
                layer.details.push(format!("This message was encrypted with {}, an old cipher; treat its secrecy as weak.", d.info.cipher));
            }
            if d.info.opened_by_trial {
                layer.details.push("The message did not name your certificate; it opened with one of your keys by trial.".into());
            }
            if !d.info.integrity_protected {
                layer.details.push("The encryption (CBC) does not protect the content against changes; only a signature inside does.".into());
            }
            // The plaintext goes on to the caller either way: move it out rather than copy
            // it when it is already canonical.
            if mime::is_canonical(&pt) {
                Some(std::mem::take(&mut *pt))
            } else {
                Some(mime::canonicalize_crlf(&pt).into_owned())
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
