//! Finding certificates: by IssuerAndSerialNumber or SubjectKeyIdentifier (RFC 5652 5.3
//! SignerIdentifier, 6.2 RecipientIdentifier), with one comparison of distinguished names
//! (`names_equal`) for every issuer match and for path building (`cert::chain`).
//!
//! # Security
//! Identifiers come from untrusted messages; a match only selects a candidate certificate,
//! whose signature, path and address are then checked separately. Never panics.

use crate::cert::facts::any_to_string;
use cms::cert::IssuerAndSerialNumber;
use cms::enveloped_data::RecipientIdentifier;
use cms::signed_data::SignerIdentifier;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::name::Name;
use x509_cert::Certificate;

/// Name equality after a simplified RFC 4518 preparation: string values compared
/// case-insensitively with whitespace collapsed; other values byte for byte.
pub fn names_equal(a: &Name, b: &Name) -> bool {
    if a == b {
        return true;
    }
    let ra: Vec<_> = a.iter_rdn().collect();
    let rb: Vec<_> = b.iter_rdn().collect();
    if ra.len() != rb.len() {
        return false;
    }
    ra.iter().zip(rb.iter()).all(|(x, y)| {
        x.len() == y.len()
            && x.iter().all(|ax| {
                y.iter().any(|by| {
                    ax.oid == by.oid
                        && match (any_to_string(&ax.value), any_to_string(&by.value)) {
                            (Some(s), Some(t)) => prep(&s) == prep(&t),
                            _ => ax.value == by.value,
                        }
                })
            })
    })
}

fn prep(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Does `cert` carry this subject key identifier?
pub fn has_ski(cert: &Certificate, key_id: &[u8]) -> bool {
    matches!(cert.tbs_certificate().get_extension::<SubjectKeyIdentifier>(), Ok(Some((_, ski))) if ski.0.as_bytes() == key_id)
}

/// Is `cert` the certificate this IssuerAndSerialNumber names (issuer by [`names_equal`])?
pub fn issuer_serial_matches(ias: &IssuerAndSerialNumber, cert: &Certificate) -> bool {
    names_equal(&ias.issuer, cert.tbs_certificate().issuer()) && ias.serial_number == *cert.tbs_certificate().serial_number()
}

/// Is `cert` the certificate a SignerIdentifier names?
pub fn signer_matches(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => issuer_serial_matches(ias, cert),
        SignerIdentifier::SubjectKeyIdentifier(ski) => has_ski(cert, ski.0.as_bytes()),
    }
}

/// Is `cert` the certificate a RecipientIdentifier names?
pub fn recipient_matches(rid: &RecipientIdentifier, cert: &Certificate) -> bool {
    match rid {
        RecipientIdentifier::IssuerAndSerialNumber(ias) => issuer_serial_matches(ias, cert),
        RecipientIdentifier::SubjectKeyIdentifier(ski) => has_ski(cert, ski.0.as_bytes()),
    }
}

/// The first certificate of `pools` (searched in order) a SignerIdentifier names.
pub fn find_certificate<'c>(sid: &SignerIdentifier, pools: &[&'c [Certificate]]) -> Option<&'c Certificate> {
    pools.iter().flat_map(|p| p.iter()).find(|c| signer_matches(sid, c))
}
