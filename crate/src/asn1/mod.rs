//! ASN.1 helpers below every format module (X.690): a bounded BER reader for the
//! structures `der` will not read as they come (indefinite lengths, constructed strings,
//! the original bytes of each element), SET OF in DER order, and the one writer of DER
//! length octets. CMS and PKCS#12 both build on these.
pub mod ber;
pub mod der;
pub mod der_set;
pub mod pem;
