//! Cryptographic primitives behind small interfaces: message digests, signature
//! verification, what a public key is, and content encryption (RFC 5754, RFC 8017,
//! RFC 4055, RFC 5480, RFC 3565, RFC 5084). Policy decisions live in `policy`; the seam
//! through which a host computes the bulk steps of `open` is `cms::bulk`. Nothing here
//! uses certificates, CMS or PKCS#12.
pub mod cipher;
pub mod key;
pub mod digest;
pub mod rsa_private;
pub mod rsa_public;
pub mod sig;

pub use self::cipher::{ContentCipher, RustCrypto, Symmetric};
pub use self::digest::{digest, DigestAlg, Hasher};
pub use self::sig::{verify_certificate_signature, verify_certificate_signature_der, verify_signature, Curve, SigFailure, SigInfo, SigScheme};

