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

/// Most attribute values in one RDN that [`names_equal`] compares loosely, and the most
/// attribute values of a whole name: beyond either, names are equal only byte for byte
/// (each value of an RDN is looked for among the other's, so the loose comparison costs
/// the product of their counts; real names have one value per RDN and a handful of RDNs).
pub const MAX_LOOSE_NAME_VALUES: usize = 64;

/// Name equality after a simplified RFC 4518 preparation: string values compared
/// case-insensitively with whitespace collapsed; other values byte for byte. Names with
/// more than [`MAX_LOOSE_NAME_VALUES`] values (in one RDN or in all) only byte for byte.
pub fn names_equal(a: &Name, b: &Name) -> bool {
    if a == b {
        return true;
    }
    let ra: Vec<_> = a.iter_rdn().collect();
    let rb: Vec<_> = b.iter_rdn().collect();
    if ra.len() != rb.len() {
        return false;
    }
    let values: usize = ra.iter().map(|r| r.len()).sum();
    if values > MAX_LOOSE_NAME_VALUES {
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
    // The serial first: it is cheap, and rules out almost every certificate.
    ias.serial_number == *cert.tbs_certificate().serial_number() && names_equal(&ias.issuer, cert.tbs_certificate().issuer())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn names_compare_loosely_only_up_to_the_limit_of_values() {
        let name = |s: &str| Name::from_str(s).unwrap();
        assert!(names_equal(&name("CN=Alice  Example,O=Example"), &name("CN=alice example,O=EXAMPLE")), "case and white space");
        assert!(!names_equal(&name("CN=Alice,O=Example"), &name("CN=Bob,O=Example")));
        // One RDN of many values, differing only in case: compared byte for byte past the
        // limit (each value is looked for among the other's: the loose comparison is quadratic).
        let many = |upper: bool, n: usize| (0..n).map(|i| format!("CN={}{i:04}", if upper { "V" } else { "v" })).collect::<Vec<_>>().join("+");
        let at = MAX_LOOSE_NAME_VALUES;
        assert!(names_equal(&name(&many(true, at)), &name(&many(false, at))), "at the limit: loosely");
        assert!(!names_equal(&name(&many(true, at + 1)), &name(&many(false, at + 1))), "past it: byte for byte");
        assert!(names_equal(&name(&many(true, at + 1)), &name(&many(true, at + 1))), "the same bytes are equal");
    }
}
