//! Every object identifier the core names, written once (RFC 5652, RFC 8551, RFC 5280,
//! RFC 8017, RFC 5754, RFC 5480, RFC 3565, RFC 5084, RFC 5753, RFC 7292, RFC 8018), and the
//! short names SMIMECapabilities are reported under. Modules compare against these
//! constants; the display names of algorithms and name attributes live in `cert::names`.
//!
//! Only constants and pure lookups: this module sits at the bottom of the core's layers
//! (see `scripts/layers.mjs`) and uses nothing of the crate.

use const_oid::ObjectIdentifier as Oid;

const fn oid(s: &str) -> Oid {
    Oid::new_unwrap(s)
}

// Digests (RFC 5754, RFC 3279, RFC 1321).
pub const OID_MD5: Oid = oid("1.2.840.113549.2.5");
pub const OID_SHA1: Oid = oid("1.3.14.3.2.26");
pub const OID_SHA224: Oid = oid("2.16.840.1.101.3.4.2.4");
pub const OID_SHA256: Oid = oid("2.16.840.1.101.3.4.2.1");
pub const OID_SHA384: Oid = oid("2.16.840.1.101.3.4.2.2");
pub const OID_SHA512: Oid = oid("2.16.840.1.101.3.4.2.3");

// RSA (RFC 8017, RFC 4055).
pub const OID_RSA_ENCRYPTION: Oid = oid("1.2.840.113549.1.1.1");
pub const OID_MD5_RSA: Oid = oid("1.2.840.113549.1.1.4");
pub const OID_SHA1_RSA: Oid = oid("1.2.840.113549.1.1.5");
pub const OID_RSAES_OAEP: Oid = oid("1.2.840.113549.1.1.7");
pub const OID_MGF1: Oid = oid("1.2.840.113549.1.1.8");
pub const OID_PSPECIFIED: Oid = oid("1.2.840.113549.1.1.9");
pub const OID_RSASSA_PSS: Oid = oid("1.2.840.113549.1.1.10");
pub const OID_SHA256_RSA: Oid = oid("1.2.840.113549.1.1.11");
pub const OID_SHA384_RSA: Oid = oid("1.2.840.113549.1.1.12");
pub const OID_SHA512_RSA: Oid = oid("1.2.840.113549.1.1.13");
pub const OID_SHA224_RSA: Oid = oid("1.2.840.113549.1.1.14");

// Elliptic curves and ECDSA (RFC 5480, RFC 5758), EdDSA (RFC 8410), DSA (RFC 3279, RFC 5758).
pub const OID_EC_PUBLIC_KEY: Oid = oid("1.2.840.10045.2.1");
pub const OID_P256: Oid = oid("1.2.840.10045.3.1.7");
pub const OID_P384: Oid = oid("1.3.132.0.34");
pub const OID_P521: Oid = oid("1.3.132.0.35");
pub const OID_ECDSA_SHA1: Oid = oid("1.2.840.10045.4.1");
pub const OID_ECDSA_SHA224: Oid = oid("1.2.840.10045.4.3.1");
pub const OID_ECDSA_SHA256: Oid = oid("1.2.840.10045.4.3.2");
pub const OID_ECDSA_SHA384: Oid = oid("1.2.840.10045.4.3.3");
pub const OID_ECDSA_SHA512: Oid = oid("1.2.840.10045.4.3.4");
pub const OID_ED25519: Oid = oid("1.3.101.112");
pub const OID_ED448: Oid = oid("1.3.101.113");
pub const OID_DSA: Oid = oid("1.2.840.10040.4.1");
pub const OID_DSA_SHA1: Oid = oid("1.2.840.10040.4.3");
pub const OID_DSA_SHA224: Oid = oid("2.16.840.1.101.3.4.3.1");
pub const OID_DSA_SHA256: Oid = oid("2.16.840.1.101.3.4.3.2");

// ECDH key derivation schemes (RFC 5753 7.1.4: dhSinglePass-stdDH-*kdf-scheme).
pub const OID_STD_DH_SHA1KDF: Oid = oid("1.3.133.16.840.63.0.2");
pub const OID_STD_DH_SHA224KDF: Oid = oid("1.3.132.1.11.0");
pub const OID_STD_DH_SHA256KDF: Oid = oid("1.3.132.1.11.1");
pub const OID_STD_DH_SHA384KDF: Oid = oid("1.3.132.1.11.2");
pub const OID_STD_DH_SHA512KDF: Oid = oid("1.3.132.1.11.3");

// Content ciphers (RFC 3565, RFC 5084, RFC 8018, RFC 8103) and key wrap (RFC 3394).
pub const OID_AES128_CBC: Oid = oid("2.16.840.1.101.3.4.1.2");
pub const OID_AES192_CBC: Oid = oid("2.16.840.1.101.3.4.1.22");
pub const OID_AES256_CBC: Oid = oid("2.16.840.1.101.3.4.1.42");
pub const OID_AES128_GCM: Oid = oid("2.16.840.1.101.3.4.1.6");
pub const OID_AES192_GCM: Oid = oid("2.16.840.1.101.3.4.1.26");
pub const OID_AES256_GCM: Oid = oid("2.16.840.1.101.3.4.1.46");
pub const OID_AES128_WRAP: Oid = oid("2.16.840.1.101.3.4.1.5");
pub const OID_AES192_WRAP: Oid = oid("2.16.840.1.101.3.4.1.25");
pub const OID_AES256_WRAP: Oid = oid("2.16.840.1.101.3.4.1.45");
pub const OID_DES_EDE3_CBC: Oid = oid("1.2.840.113549.3.7");
pub const OID_DES_CBC: Oid = oid("1.3.14.3.2.7");
pub const OID_RC2_CBC: Oid = oid("1.2.840.113549.3.2");
pub const OID_CHACHA20_POLY1305: Oid = oid("1.2.840.113549.1.9.16.3.18");

// CMS content types (RFC 5652, RFC 5083, RFC 3274).
pub const OID_DATA: Oid = oid("1.2.840.113549.1.7.1");
pub const OID_SIGNED_DATA: Oid = oid("1.2.840.113549.1.7.2");
pub const OID_ENVELOPED_DATA: Oid = oid("1.2.840.113549.1.7.3");
pub const OID_ENCRYPTED_DATA: Oid = oid("1.2.840.113549.1.7.6");
pub const OID_AUTH_ENVELOPED_DATA: Oid = oid("1.2.840.113549.1.9.16.1.23");
pub const OID_COMPRESSED_DATA: Oid = oid("1.2.840.113549.1.9.16.1.9");
/// id-alg-zlibCompress (RFC 3274 2): the only compression algorithm CMS defines.
pub const OID_ZLIB_COMPRESS: Oid = oid("1.2.840.113549.1.9.16.3.8");
/// id-alg-PWRI-KEK (RFC 3211 2.3): the key wrap of PasswordRecipientInfo.
pub const OID_PWRI_KEK: Oid = oid("1.2.840.113549.1.9.16.3.9");

// PKCS#9 attributes (RFC 2985, RFC 5652 11, RFC 8551 2.5).
/// emailAddress in a subject name (the legacy S/MIME binding).
pub const OID_EMAIL_ADDRESS: Oid = oid("1.2.840.113549.1.9.1");
pub const OID_CONTENT_TYPE: Oid = oid("1.2.840.113549.1.9.3");
pub const OID_MESSAGE_DIGEST: Oid = oid("1.2.840.113549.1.9.4");
pub const OID_SIGNING_TIME: Oid = oid("1.2.840.113549.1.9.5");
/// smimeCapabilities, as a signed attribute (RFC 8551 2.5.2) or certificate extension (RFC 4262).
pub const OID_SMIME_CAPABILITIES: Oid = oid("1.2.840.113549.1.9.15");
pub const OID_PREFER_SIGNED_DATA: Oid = oid("1.2.840.113549.1.9.15.1");
pub const OID_CANNOT_DECRYPT_ANY: Oid = oid("1.2.840.113549.1.9.15.2");
pub const OID_SIG_TYPE: Oid = oid("1.2.840.113549.1.9.15.3");
pub const OID_ENCRYPTION_KEY_PREFERENCE: Oid = oid("1.2.840.113549.1.9.16.2.11");
pub const OID_FRIENDLY_NAME: Oid = oid("1.2.840.113549.1.9.20");
pub const OID_LOCAL_KEY_ID: Oid = oid("1.2.840.113549.1.9.21");
pub const OID_X509_CERTIFICATE: Oid = oid("1.2.840.113549.1.9.22.1");

// PKCS#12 and PKCS#5 (RFC 7292, RFC 8018, RFC 9579).
pub const OID_KEY_BAG: Oid = oid("1.2.840.113549.1.12.10.1.1");
pub const OID_SHROUDED_KEY_BAG: Oid = oid("1.2.840.113549.1.12.10.1.2");
pub const OID_CERT_BAG: Oid = oid("1.2.840.113549.1.12.10.1.3");
pub const OID_SAFE_CONTENTS_BAG: Oid = oid("1.2.840.113549.1.12.10.1.6");
pub const OID_PBE_SHA_RC4_128: Oid = oid("1.2.840.113549.1.12.1.1");
pub const OID_PBE_SHA_RC4_40: Oid = oid("1.2.840.113549.1.12.1.2");
pub const OID_PBE_SHA_3DES: Oid = oid("1.2.840.113549.1.12.1.3");
pub const OID_PBE_SHA_2DES: Oid = oid("1.2.840.113549.1.12.1.4");
pub const OID_PBE_SHA_RC2_128: Oid = oid("1.2.840.113549.1.12.1.5");
pub const OID_PBE_SHA_RC2_40: Oid = oid("1.2.840.113549.1.12.1.6");
pub const OID_PBES2: Oid = oid("1.2.840.113549.1.5.13");
pub const OID_PBMAC1: Oid = oid("1.2.840.113549.1.5.14");

// X.509 (RFC 5280).
pub const OID_COMMON_NAME: Oid = oid("2.5.4.3");
pub const OID_EXT_SUBJECT_KEY_ID: Oid = oid("2.5.29.14");
pub const OID_EXT_KEY_USAGE: Oid = oid("2.5.29.15");
pub const OID_EXT_SUBJECT_ALT_NAME: Oid = oid("2.5.29.17");
pub const OID_EXT_BASIC_CONSTRAINTS: Oid = oid("2.5.29.19");
pub const OID_EXT_CERTIFICATE_POLICIES: Oid = oid("2.5.29.32");
pub const OID_EXT_AUTHORITY_KEY_ID: Oid = oid("2.5.29.35");
pub const OID_EXT_EXTENDED_KEY_USAGE: Oid = oid("2.5.29.37");
pub const OID_EXT_INHIBIT_ANY_POLICY: Oid = oid("2.5.29.54");
pub const OID_EKU_SERVER_AUTH: Oid = oid("1.3.6.1.5.5.7.3.1");
pub const OID_EKU_CLIENT_AUTH: Oid = oid("1.3.6.1.5.5.7.3.2");
pub const OID_EKU_CODE_SIGNING: Oid = oid("1.3.6.1.5.5.7.3.3");
pub const OID_EKU_EMAIL_PROTECTION: Oid = oid("1.3.6.1.5.5.7.3.4");
pub const OID_EKU_TIME_STAMPING: Oid = oid("1.3.6.1.5.5.7.3.8");
pub const OID_EKU_OCSP_SIGNING: Oid = oid("1.3.6.1.5.5.7.3.9");
pub const OID_EKU_ANY: Oid = oid("2.5.29.37.0");

/// Short names of SMIMECapabilities entries, as the open report and `cachet cert` show them.
static CAPABILITY_NAMES: &[(Oid, &str)] = &[
    (OID_AES256_GCM, "aes256-gcm"),
    (OID_AES192_GCM, "aes192-gcm"),
    (OID_AES128_GCM, "aes128-gcm"),
    (OID_AES256_CBC, "aes256-cbc"),
    (OID_AES192_CBC, "aes192-cbc"),
    (OID_AES128_CBC, "aes128-cbc"),
    (OID_DES_EDE3_CBC, "des-ede3-cbc"),
    (OID_RC2_CBC, "rc2-cbc"),
    (OID_DES_CBC, "des-cbc"),
    (OID_RSAES_OAEP, "rsaes-oaep"),
    (OID_RSA_ENCRYPTION, "rsa-encryption"),
    (OID_CHACHA20_POLY1305, "chacha20-poly1305"),
    (OID_SHA256, "sha-256"),
    (OID_SHA384, "sha-384"),
    (OID_SHA512, "sha-512"),
    (OID_SHA1, "sha-1"),
    (OID_PREFER_SIGNED_DATA, "prefer-signed-data"),
    (OID_CANNOT_DECRYPT_ANY, "cannot-decrypt-any"),
    (OID_SIG_TYPE, "sig-type"),
];

/// Short name of an SMIMECapabilities algorithm (the dotted OID when unknown).
pub fn capability_name(oid: &Oid) -> String {
    CAPABILITY_NAMES.iter().find(|(o, _)| o == oid).map_or_else(|| oid.to_string(), |(_, n)| (*n).to_owned())
}

/// Names of extended key usages, as `cachet cert` shows them (the dotted OID when unknown).
static EKU_NAMES: &[(Oid, &str)] = &[
    (OID_EKU_SERVER_AUTH, "serverAuth"),
    (OID_EKU_CLIENT_AUTH, "clientAuth"),
    (OID_EKU_CODE_SIGNING, "codeSigning"),
    (OID_EKU_EMAIL_PROTECTION, "emailProtection"),
    (OID_EKU_TIME_STAMPING, "timeStamping"),
    (OID_EKU_OCSP_SIGNING, "OCSPSigning"),
    (OID_EKU_ANY, "anyExtendedKeyUsage"),
];

/// Name of an extended key usage (the dotted OID when unknown).
pub fn eku_name(oid: &Oid) -> String {
    EKU_NAMES.iter().find(|(o, _)| o == oid).map_or_else(|| oid.to_string(), |(_, n)| (*n).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_known_and_unknown_oids() {
        assert_eq!(capability_name(&OID_AES256_GCM), "aes256-gcm");
        assert_eq!(capability_name(&OID_SIG_TYPE), "sig-type");
        assert_eq!(capability_name(&oid("1.2.3.4")), "1.2.3.4");
        assert_eq!(eku_name(&OID_EKU_EMAIL_PROTECTION), "emailProtection");
        assert_eq!(eku_name(&oid("1.2.3.4")), "1.2.3.4");
    }
}
