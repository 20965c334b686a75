//! SMIMECapabilities (RFC 8551 2.5.2; RFC 4262 as a certificate extension):
//! `SEQUENCE OF SEQUENCE { capabilityID OID, parameters ANY OPTIONAL }`, read and written
//! through `der` derives. The names reported are those of `oid::capability_name`.
//!
//! # Security
//! [`names`] reads untrusted bytes (a signed attribute or a certificate extension) as
//! strict DER; an entry that is not a capability is skipped, anything else unreadable
//! gives an empty list. Never panics.

use crate::oid::capability_name;
use const_oid::ObjectIdentifier;
use der::{Any, Decode, Encode, Sequence};

/// One SMIMECapability: an algorithm and its optional parameters.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SmimeCapability {
    pub capability_id: ObjectIdentifier,
    pub parameters: Option<Any>,
}

/// The capabilities' names in the order the sender listed them; empty when the value is
/// not a SEQUENCE OF (entries that are not a capability are left out).
pub fn names(der_bytes: &[u8]) -> Vec<String> {
    let Ok(entries) = Vec::<Any>::from_der(der_bytes) else { return Vec::new() };
    entries
        .iter()
        .filter_map(|e| e.decode_as::<SmimeCapability>().ok())
        .map(|c| capability_name(&c.capability_id))
        .collect()
}

/// The DER of an SMIMECapabilities value listing `oids` without parameters, in order.
pub fn encode(oids: &[ObjectIdentifier]) -> der::Result<Vec<u8>> {
    oids.iter().map(|o| SmimeCapability { capability_id: *o, parameters: None }).collect::<Vec<_>>().to_der()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oid::{OID_AES128_CBC, OID_AES256_GCM, OID_RC2_CBC};

    #[test]
    fn round_trip_and_junk() {
        let der = encode(&[OID_AES256_GCM, OID_AES128_CBC]).unwrap();
        assert_eq!(der.first(), Some(&0x30));
        assert_eq!(names(&der), vec!["aes256-gcm".to_string(), "aes128-cbc".to_string()]);
        // An entry with parameters, one that is not a capability (skipped).
        let cap = SmimeCapability { capability_id: OID_RC2_CBC, parameters: Some(Any::new(der::Tag::Null, Vec::new()).unwrap()) };
        let junk = Any::new(der::Tag::Integer, vec![5]).unwrap();
        let v = vec![Any::from_der(&cap.to_der().unwrap()).unwrap(), junk].to_der().unwrap();
        assert_eq!(names(&v), vec!["rc2-cbc".to_string()]);
        assert!(names(&[0x04, 0x00]).is_empty());
        assert!(names(&[]).is_empty());
    }
}
