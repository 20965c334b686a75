//! Message digests: the algorithm identifiers S/MIME uses and one hashing entry point.
//! RFC 5754 (SHA-2 in CMS), RFC 3370 section 2 (SHA-1, MD5), RFC 8551 section 3.5.3 (micalg names).
//!
//! MD5 is recognised (so it can be named in a report) but never computed: SPEC section 4 refuses it.

use crate::error::{Code, Error, Result};
use const_oid::ObjectIdentifier;
use digest::{Digest, DynDigest};
use serde::{Deserialize, Serialize};

use crate::oid::{OID_MD5, OID_SHA1, OID_SHA224, OID_SHA256, OID_SHA384, OID_SHA512};

/// A digest algorithm as named in CMS `digestAlgorithm` or a `micalg` parameter.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DigestAlg {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlg {
    pub const ALL: [DigestAlg; 6] =
        [DigestAlg::Md5, DigestAlg::Sha1, DigestAlg::Sha224, DigestAlg::Sha256, DigestAlg::Sha384, DigestAlg::Sha512];

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<DigestAlg> {
        DigestAlg::ALL.into_iter().find(|a| a.oid() == *oid)
    }

    pub fn oid(self) -> ObjectIdentifier {
        match self {
            DigestAlg::Md5 => OID_MD5,
            DigestAlg::Sha1 => OID_SHA1,
            DigestAlg::Sha224 => OID_SHA224,
            DigestAlg::Sha256 => OID_SHA256,
            DigestAlg::Sha384 => OID_SHA384,
            DigestAlg::Sha512 => OID_SHA512,
        }
    }

    /// Display name, e.g. "SHA-256".
    pub fn name(self) -> &'static str {
        match self {
            DigestAlg::Md5 => "MD5",
            DigestAlg::Sha1 => "SHA-1",
            DigestAlg::Sha224 => "SHA-224",
            DigestAlg::Sha256 => "SHA-256",
            DigestAlg::Sha384 => "SHA-384",
            DigestAlg::Sha512 => "SHA-512",
        }
    }

    /// The `micalg` parameter value of RFC 8551 section 3.5.3, e.g. "sha-256".
    pub fn micalg(self) -> &'static str {
        match self {
            DigestAlg::Md5 => "md5",
            DigestAlg::Sha1 => "sha-1",
            DigestAlg::Sha224 => "sha-224",
            DigestAlg::Sha256 => "sha-256",
            DigestAlg::Sha384 => "sha-384",
            DigestAlg::Sha512 => "sha-512",
        }
    }

    /// Parse a micalg or display name, case-insensitively. Also accepts the
    /// pre-RFC 5751 forms without a hyphen ("sha1", "sha256") that old clients write.
    pub fn from_name(name: &str) -> Option<DigestAlg> {
        let n: String = name.trim().chars().filter(|c| *c != '-' && *c != '_').collect::<String>().to_ascii_lowercase();
        match n.as_str() {
            "md5" => Some(DigestAlg::Md5),
            "sha1" => Some(DigestAlg::Sha1),
            "sha224" => Some(DigestAlg::Sha224),
            "sha256" => Some(DigestAlg::Sha256),
            "sha384" => Some(DigestAlg::Sha384),
            "sha512" => Some(DigestAlg::Sha512),
            _ => None,
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlg::Md5 => 16,
            DigestAlg::Sha1 => 20,
            DigestAlg::Sha224 => 28,
            DigestAlg::Sha256 => 32,
            DigestAlg::Sha384 => 48,
            DigestAlg::Sha512 => 64,
        }
    }
}

fn md5_refused() -> Error {
    Error::new(
        Code::UnsupportedAlgorithm,
        "This message uses the MD5 digest, which is broken and not accepted.",
        "Ask the sender to use a current e-mail program (SHA-256).",
    )
}

/// Hash `data` in one call. MD5 is refused with `UnsupportedAlgorithm`.
pub fn digest(alg: DigestAlg, data: &[u8]) -> Result<Vec<u8>> {
    let mut h = Hasher::new(alg)?;
    h.update(data);
    Ok(h.finalize())
}

/// Incremental hashing, for large content.
pub struct Hasher {
    alg: DigestAlg,
    inner: Box<dyn DynDigest>,
}

impl Hasher {
    pub fn new(alg: DigestAlg) -> Result<Hasher> {
        let inner: Box<dyn DynDigest> = match alg {
            DigestAlg::Md5 => return Err(md5_refused()),
            DigestAlg::Sha1 => Box::new(sha1::Sha1::new()),
            DigestAlg::Sha224 => Box::new(sha2::Sha224::new()),
            DigestAlg::Sha256 => Box::new(sha2::Sha256::new()),
            DigestAlg::Sha384 => Box::new(sha2::Sha384::new()),
            DigestAlg::Sha512 => Box::new(sha2::Sha512::new()),
        };
        Ok(Hasher { alg, inner })
    }

    pub fn alg(&self) -> DigestAlg {
        self.alg
    }

    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    pub fn finalize(self) -> Vec<u8> {
        self.inner.finalize().into_vec()
    }
}

impl Clone for Hasher {
    fn clone(&self) -> Hasher {
        Hasher { alg: self.alg, inner: self.inner.box_clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hexs(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn known_answers_abc() {
        // FIPS 180-4 example "abc".
        assert_eq!(hexs(&digest(DigestAlg::Sha1, b"abc").unwrap()), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            hexs(&digest(DigestAlg::Sha256, b"abc").unwrap()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(digest(DigestAlg::Sha224, b"abc").unwrap().len(), 28);
        assert_eq!(digest(DigestAlg::Sha384, b"abc").unwrap().len(), 48);
        assert_eq!(digest(DigestAlg::Sha512, b"abc").unwrap().len(), 64);
        for a in DigestAlg::ALL.into_iter().filter(|a| *a != DigestAlg::Md5) {
            assert_eq!(digest(a, b"x").unwrap().len(), a.output_len());
        }
    }

    #[test]
    fn md5_refused_not_computed() {
        let e = digest(DigestAlg::Md5, b"abc").unwrap_err();
        assert_eq!(e.code, Code::UnsupportedAlgorithm);
    }

    #[test]
    fn incremental_equals_one_shot() {
        let mut h = Hasher::new(DigestAlg::Sha384).unwrap();
        h.update(b"hello ");
        h.update(b"world");
        assert_eq!(h.finalize(), digest(DigestAlg::Sha384, b"hello world").unwrap());
    }

    #[test]
    fn names_and_oids_round_trip() {
        for a in DigestAlg::ALL {
            assert_eq!(DigestAlg::from_oid(&a.oid()), Some(a));
            assert_eq!(DigestAlg::from_name(a.micalg()), Some(a));
            assert_eq!(DigestAlg::from_name(a.name()), Some(a));
        }
        assert_eq!(DigestAlg::from_name("SHA256"), Some(DigestAlg::Sha256));
        assert_eq!(DigestAlg::from_name("sha-3"), None);
        assert_eq!(DigestAlg::from_oid(&OID_P256_FOR_TEST), None);
    }
    const OID_P256_FOR_TEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
}
