//! Algorithm policy: SPEC section 4 as data. One `Policy` value, passed to every
//! operation, decides whether a digest, signature key, content cipher or key transport
//! is accepted, flagged as weak, or refused, and which algorithms we produce.
//! RFC 8551 section 2 (S/MIME 4.0 algorithm requirements), RFC 8550 section 4.2 (key sizes).
//!
//! Admins tighten the standard policy by editing the public tables (e.g. refuse SHA-1:
//! [`Policy::with_digest`]); the value serialises to and from JSON for configuration
//! ([`Policy::from_json`]: fields left out keep their SPEC section 4 value, an unknown field
//! is an error). The same value is passed to signing (which digest, which keys), encrypting
//! (which cipher and key transport, see [`Policy::choose_content_cipher`] and
//! [`Policy::choose_key_transport`]) and opening (what is accepted, flagged or refused):
//! natively, through the Wasm exports and through the CLI's `--policy FILE`.

use crate::crypto::{DigestAlg, SigInfo, SigScheme};
use crate::error::{Code, Error, Result};
use const_oid::ObjectIdentifier;
use serde::{Deserialize, Serialize};

/// A policy decision. The strings name the algorithm (e.g. "SHA-1", "RSA 1024 bits").
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "algorithm", rename_all = "kebab-case")]
pub enum Verdict {
    Accept,
    /// Usable, but reported as weak (status `weak-algorithm` / `weak-cipher`).
    Flag(String),
    Refuse(String),
}

impl Verdict {
    fn rank(&self) -> u8 {
        match self {
            Verdict::Accept => 0,
            Verdict::Flag(_) => 1,
            Verdict::Refuse(_) => 2,
        }
    }

    /// The worse of two verdicts (the first on a tie).
    pub fn worst(self, other: Verdict) -> Verdict {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    pub fn is_accept(&self) -> bool {
        matches!(self, Verdict::Accept)
    }

    pub fn is_refused(&self) -> bool {
        matches!(self, Verdict::Refuse(_))
    }
}

/// What to do with one digest algorithm.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestRule {
    pub alg: DigestAlg,
    /// Verdict when verifying (consuming) a signature that uses it.
    pub consume: Verdict,
    /// May we sign with it?
    pub produce: bool,
}

/// Content-encryption algorithms (RFC 8551 section 2.7 and older ones found in mail): the
/// same type the symmetric backend uses, so the policy and the ciphers never disagree.
pub use crate::crypto::cipher::ContentCipher;

/// One content cipher's treatment when decrypting.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CipherRule {
    pub cipher: ContentCipher,
    pub verdict: Verdict,
    /// Refused unless `Policy::legacy_allowed`, then flagged.
    pub legacy: bool,
}

/// RSA key transport schemes (RFC 8551 section 2.3): the one type the policy, the
/// per-message choice and the KeyTransRecipientInfo writer (`cms::recipients`) share.
/// Decryption accepts OAEP with any hash; Cachet writes OAEP with SHA-256 and MGF1-SHA-256.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyTransport {
    /// RSAES-PKCS1-v1_5 (widest compatibility; Outlook's default).
    #[serde(rename = "rsa-pkcs1v15")]
    Pkcs1v15,
    /// RSAES-OAEP (written with SHA-256 and MGF1-SHA-256).
    #[serde(rename = "rsa-oaep")]
    OaepSha256,
}

impl KeyTransport {
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            KeyTransport::Pkcs1v15 => crate::oid::OID_RSA_ENCRYPTION,
            KeyTransport::OaepSha256 => crate::oid::OID_RSAES_OAEP,
        }
    }

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<KeyTransport> {
        [KeyTransport::Pkcs1v15, KeyTransport::OaepSha256].into_iter().find(|k| k.oid() == *oid)
    }

    /// The name the compose and read panes show.
    pub fn name(self) -> &'static str {
        match self {
            KeyTransport::Pkcs1v15 => "RSA PKCS #1 v1.5",
            KeyTransport::OaepSha256 => "RSA-OAEP (SHA-256)",
        }
    }
}

/// What one party's mail program said it can decrypt (its SMIMECapabilities, RFC 8551
/// 2.5.2), as far as the content cipher and key transport choices need it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Advertised {
    pub aes256_gcm: bool,
    pub aes128_gcm: bool,
    pub aes256_cbc: bool,
    pub aes128_cbc: bool,
    pub rsa_oaep: bool,
}

impl Advertised {
    /// From capability names as the open report gives them (`aes256-gcm`, `rsaes-oaep`, ...).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Advertised {
        let has = |n: &str| names.iter().any(|x| x.as_ref().eq_ignore_ascii_case(n));
        Advertised { aes256_gcm: has("aes256-gcm"), aes128_gcm: has("aes128-gcm"), aes256_cbc: has("aes256-cbc"), aes128_cbc: has("aes128-cbc"), rsa_oaep: has("rsaes-oaep") }
    }

    /// AES-GCM of some key size.
    pub fn gcm(&self) -> bool {
        self.aes256_gcm || self.aes128_gcm
    }

    /// AES-128-CBC listed, AES-256 in neither mode.
    pub fn only_aes128_cbc(&self) -> bool {
        self.aes128_cbc && !self.aes256_cbc && !self.aes256_gcm
    }
}

/// The algorithm policy. `Policy::standard()` is SPEC section 4.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// RSA keys below this many bits are flagged (2048).
    pub min_rsa_bits: u32,
    /// RSA keys below this many bits are refused (1024).
    pub refuse_rsa_below: u32,
    /// Digest table; a digest not listed is refused.
    pub digests: Vec<DigestRule>,
    /// The digest we sign with.
    pub signing_digest: DigestAlg,
    /// Content ciphers accepted for decryption; a cipher not listed is refused.
    pub ciphers: Vec<CipherRule>,
    /// Key transports accepted for decryption; one not listed is refused.
    pub key_transports: Vec<(KeyTransport, Verdict)>,
    /// The user explicitly opens legacy mail: RC2 and DES are then decrypted with a warning.
    pub legacy_allowed: bool,
    /// Key transport for an RSA recipient who neither advertised RSAES-OAEP nor has an
    /// RSAES-OAEP key (PKCS#1 v1.5; an administrator may require OAEP for everyone).
    pub default_key_transport: KeyTransport,
}

pub(crate) fn bad_policy(e: &dyn std::fmt::Display) -> Error {
    Error::usage("The algorithm policy cannot be read.").with_detail(e.to_string())
}

impl Default for Policy {
    fn default() -> Self {
        Policy::standard()
    }
}

impl Policy {
    /// The names of the fields, as a policy object spells them (the Wasm build checks a
    /// caller's keys against them: `boundary::policy`).
    pub const FIELDS: [&'static str; 8] = ["min_rsa_bits", "refuse_rsa_below", "digests", "signing_digest", "ciphers", "key_transports", "legacy_allowed", "default_key_transport"];

    /// SPEC section 4.
    pub fn standard() -> Policy {
        let d = |alg: DigestAlg, consume: Verdict, produce: bool| DigestRule { alg, consume, produce };
        let c = |cipher: ContentCipher, verdict: Verdict, legacy: bool| CipherRule { cipher, verdict, legacy };
        Policy {
            min_rsa_bits: 2048,
            refuse_rsa_below: 1024,
            digests: vec![
                d(DigestAlg::Sha256, Verdict::Accept, true),
                d(DigestAlg::Sha384, Verdict::Accept, true),
                d(DigestAlg::Sha512, Verdict::Accept, true),
                d(DigestAlg::Sha224, Verdict::Accept, false),
                d(DigestAlg::Sha1, Verdict::Flag("SHA-1".into()), false),
                d(DigestAlg::Md5, Verdict::Refuse("MD5".into()), false),
            ],
            signing_digest: DigestAlg::Sha256,
            ciphers: vec![
                c(ContentCipher::Aes128Cbc, Verdict::Accept, false),
                c(ContentCipher::Aes192Cbc, Verdict::Accept, false),
                c(ContentCipher::Aes256Cbc, Verdict::Accept, false),
                c(ContentCipher::Aes128Gcm, Verdict::Accept, false),
                c(ContentCipher::Aes192Gcm, Verdict::Accept, false),
                c(ContentCipher::Aes256Gcm, Verdict::Accept, false),
                c(ContentCipher::DesEde3Cbc, Verdict::Flag("3DES-CBC".into()), false),
                c(ContentCipher::Rc2Cbc, Verdict::Refuse("RC2-CBC".into()), true),
                c(ContentCipher::DesCbc, Verdict::Refuse("DES-CBC".into()), true),
            ],
            key_transports: vec![(KeyTransport::Pkcs1v15, Verdict::Accept), (KeyTransport::OaepSha256, Verdict::Accept)],
            legacy_allowed: false,
            default_key_transport: KeyTransport::Pkcs1v15,
        }
    }

    /// A policy from JSON (a configuration file, the CLI's `--policy`, the add-in's
    /// options): fields left out keep their [`Policy::standard`] value; an unknown field or
    /// a wrong value is a usage error naming it.
    pub fn from_json(json: &[u8]) -> Result<Policy> {
        let value: serde_json::Value = serde_json::from_slice(json).map_err(|e| bad_policy(&e))?;
        Policy::from_value(value)
    }

    /// [`Policy::from_json`] for a value already parsed (the Wasm exports pass the
    /// JavaScript object this way, so that an unknown field is refused there too).
    pub fn from_value(value: serde_json::Value) -> Result<Policy> {
        // serde would also fill the struct from an array, field by field: only an object is a policy.
        if !value.is_object() {
            return Err(bad_policy(&"the policy is not a JSON object"));
        }
        serde_json::from_value(value).map_err(|e| bad_policy(&e))
    }

    /// The digest to sign with, given the one the key suggests (`natural`: SHA-256, or a
    /// stronger hash for a larger key): `natural` when the policy produces it, else the
    /// policy's signing digest. Errors when the policy produces neither.
    pub fn signing_digest_for(&self, natural: DigestAlg) -> Result<DigestAlg> {
        if self.may_produce_digest(natural) {
            return Ok(natural);
        }
        if self.may_produce_digest(self.signing_digest) {
            return Ok(self.signing_digest);
        }
        Err(Error::new(
            Code::UnsupportedAlgorithm,
            format!("The algorithm policy does not allow signing with {}.", self.signing_digest.name()),
            "Ask your administrator to allow SHA-256 for signing.",
        ))
    }

    /// Refuse to sign with a key the policy refuses (RSA below `refuse_rsa_below`).
    pub fn check_signing_key(&self, rsa_bits: Option<u32>) -> Result<()> {
        match rsa_bits.map(|b| self.check_rsa_bits(b)) {
            Some(Verdict::Refuse(what)) => Err(Error::new(
                Code::UnusableIdentity,
                format!("Your key ({what}) is too weak to sign with under the algorithm policy."),
                "Get a new certificate with an RSA key of 2048 bits or more, or an EC key.",
            )),
            _ => Ok(()),
        }
    }

    /// The same policy with `alg`'s verdict for verification replaced (admins tightening it).
    pub fn with_digest(mut self, alg: DigestAlg, consume: Verdict, produce: bool) -> Policy {
        self.digests.retain(|r| r.alg != alg);
        self.digests.push(DigestRule { alg, consume, produce });
        self
    }

    /// Verdict on a digest used in something we verify.
    pub fn check_digest(&self, alg: DigestAlg) -> Verdict {
        self.digests
            .iter()
            .find(|r| r.alg == alg)
            .map(|r| r.consume.clone())
            .unwrap_or_else(|| Verdict::Refuse(alg.name().to_string()))
    }

    /// May we sign with `alg`?
    pub fn may_produce_digest(&self, alg: DigestAlg) -> bool {
        self.digests.iter().any(|r| r.alg == alg && r.produce)
    }

    /// Verdict on an RSA modulus size.
    pub fn check_rsa_bits(&self, bits: u32) -> Verdict {
        if bits < self.refuse_rsa_below {
            Verdict::Refuse(format!("RSA {bits} bits"))
        } else if bits < self.min_rsa_bits {
            Verdict::Flag(format!("RSA {bits} bits"))
        } else {
            Verdict::Accept
        }
    }

    /// Verdict on a verified signature: the worst of its digest and key size.
    /// ECDSA on P-256/P-384 and RSA PKCS#1 v1.5/PSS are accepted schemes (SPEC 4).
    pub fn check_signature(&self, sig: &SigInfo) -> Verdict {
        let digest = self.check_digest(sig.digest);
        match sig.scheme {
            SigScheme::RsaPkcs1v15 | SigScheme::RsaPss { .. } => digest.worst(self.check_rsa_bits(sig.key_bits)),
            SigScheme::Ecdsa { .. } => digest,
        }
    }

    /// Verdict on a content-encryption algorithm (by OID) when decrypting.
    pub fn check_content_cipher(&self, oid: &ObjectIdentifier) -> Verdict {
        let Some(cipher) = ContentCipher::from_oid(oid) else {
            return Verdict::Refuse(format!("content cipher {oid}"));
        };
        match self.ciphers.iter().find(|r| r.cipher == cipher) {
            None => Verdict::Refuse(cipher.name().to_string()),
            // A legacy cipher the user chose to open: flagged under the name its rule gives.
            Some(r) if r.legacy && self.legacy_allowed => Verdict::Flag(match &r.verdict {
                Verdict::Flag(n) | Verdict::Refuse(n) => n.clone(),
                Verdict::Accept => cipher.name().to_string(),
            }),
            Some(r) => r.verdict.clone(),
        }
    }

    /// Verdict on a key-transport algorithm (by OID) when decrypting.
    pub fn check_key_transport(&self, oid: &ObjectIdentifier) -> Verdict {
        let Some(kt) = KeyTransport::from_oid(oid) else {
            return Verdict::Refuse(format!("key transport {oid}"));
        };
        self.key_transports
            .iter()
            .find(|(k, _)| *k == kt)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| Verdict::Refuse(format!("{kt:?}")))
    }

    /// The content cipher for a new message from what each party (every recipient and the
    /// sender's own copy) advertised, `None` for a party whose capabilities are not known:
    /// AES-GCM AuthEnvelopedData when every party advertised it (AES-256-GCM, or AES-128-GCM
    /// when one advertised only that), otherwise AES-256-CBC, or AES-128-CBC when a party
    /// advertised AES-128-CBC but not AES-256. No party, or one with unknown capabilities,
    /// gives the interoperable default (AES-256-CBC, what Outlook reads) unless another
    /// needs AES-128. A choice this policy does not accept falls back to AES-256-CBC.
    pub fn choose_content_cipher(&self, parties: &[Option<Advertised>]) -> ContentCipher {
        let known: Vec<&Advertised> = parties.iter().flatten().collect();
        let all_known = !parties.is_empty() && known.len() == parties.len();
        let choice = if all_known && known.iter().all(|a| a.aes256_gcm || a.aes128_gcm) {
            if known.iter().all(|a| a.aes256_gcm) {
                ContentCipher::Aes256Gcm
            } else {
                ContentCipher::Aes128Gcm
            }
        } else if known.iter().any(|a| a.only_aes128_cbc()) {
            ContentCipher::Aes128Cbc
        } else {
            ContentCipher::Aes256Cbc
        };
        if self.check_content_cipher(&choice.oid()).is_accept() {
            return choice;
        }
        // The policy refuses it: the first cipher it accepts, AES-256-CBC (read by every S/MIME
        // program) first; none accepted, AES-256-CBC (the encryption then refuses it).
        [ContentCipher::Aes256Cbc, ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm, ContentCipher::Aes128Cbc]
            .into_iter()
            .find(|c| self.check_content_cipher(&c.oid()).is_accept())
            .unwrap_or(ContentCipher::Aes256Cbc)
    }

    /// Key transport for one RSA recipient: OAEP when the certificate or capabilities ask
    /// for it, else the policy's default (PKCS#1 v1.5); the other one when the policy refuses
    /// the one chosen and accepts the other.
    pub fn choose_key_transport(&self, recipient_asks_oaep: bool) -> KeyTransport {
        let choice = if recipient_asks_oaep { KeyTransport::OaepSha256 } else { self.default_key_transport };
        if self.check_key_transport(&choice.oid()).is_accept() {
            return choice;
        }
        let other = if choice == KeyTransport::OaepSha256 { KeyTransport::Pkcs1v15 } else { KeyTransport::OaepSha256 };
        if self.check_key_transport(&other.oid()).is_accept() { other } else { choice }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Curve;

    fn sig(digest: DigestAlg, scheme: SigScheme, key_bits: u32) -> SigInfo {
        SigInfo { digest, scheme, key_bits }
    }

    // SPEC 4 "Digest: SHA-256 default"
    #[test]
    fn digest_sha256_is_default_and_accepted() {
        let p = Policy::standard();
        assert_eq!(p.signing_digest, DigestAlg::Sha256);
        assert!(p.may_produce_digest(DigestAlg::Sha256));
        assert_eq!(p.check_digest(DigestAlg::Sha256), Verdict::Accept);
    }

    // "SHA-384/512 accepted"
    #[test]
    fn digest_sha384_sha512_accepted() {
        let p = Policy::standard();
        assert_eq!(p.check_digest(DigestAlg::Sha384), Verdict::Accept);
        assert_eq!(p.check_digest(DigestAlg::Sha512), Verdict::Accept);
    }

    // "SHA-1 accepted for verification with weak-algorithm"
    #[test]
    fn digest_sha1_flagged_and_never_produced() {
        let p = Policy::standard();
        assert_eq!(p.check_digest(DigestAlg::Sha1), Verdict::Flag("SHA-1".into()));
        assert!(!p.may_produce_digest(DigestAlg::Sha1));
        let v = p.check_signature(&sig(DigestAlg::Sha1, SigScheme::RsaPkcs1v15, 2048));
        assert_eq!(v, Verdict::Flag("SHA-1".into()));
    }

    // "MD5 refused"
    #[test]
    fn digest_md5_refused() {
        let p = Policy::standard();
        assert_eq!(p.check_digest(DigestAlg::Md5), Verdict::Refuse("MD5".into()));
        assert!(!p.may_produce_digest(DigestAlg::Md5));
        assert!(p.check_signature(&sig(DigestAlg::Md5, SigScheme::RsaPkcs1v15, 4096)).is_refused());
    }

    // "Signature: RSA PKCS#1 v1.5 (default) and RSASSA-PSS; ECDSA P-256/P-384 verified"
    #[test]
    fn signature_schemes_accepted() {
        let p = Policy::standard();
        for s in [
            sig(DigestAlg::Sha256, SigScheme::RsaPkcs1v15, 2048),
            sig(DigestAlg::Sha256, SigScheme::RsaPss { salt_len: 222 }, 3072),
            sig(DigestAlg::Sha256, SigScheme::Ecdsa { curve: Curve::P256 }, 256),
            sig(DigestAlg::Sha384, SigScheme::Ecdsa { curve: Curve::P384 }, 384),
        ] {
            assert_eq!(p.check_signature(&s), Verdict::Accept, "{s:?}");
        }
    }

    // "RSA below 2048 bits flagged" (and below 1024 refused: the rsa crate cannot even load them)
    #[test]
    fn rsa_below_2048_flagged_below_1024_refused() {
        let p = Policy::standard();
        assert_eq!(p.check_rsa_bits(2048), Verdict::Accept);
        assert_eq!(p.check_rsa_bits(4096), Verdict::Accept);
        assert_eq!(p.check_rsa_bits(2047), Verdict::Flag("RSA 2047 bits".into()));
        assert_eq!(p.check_rsa_bits(1024), Verdict::Flag("RSA 1024 bits".into()));
        assert!(p.check_rsa_bits(512).is_refused());
        assert_eq!(p.check_signature(&sig(DigestAlg::Sha256, SigScheme::RsaPss { salt_len: 32 }, 1024)), Verdict::Flag("RSA 1024 bits".into()));
        // The worse problem wins: MD5 refusal over a small key flag.
        assert!(p.check_signature(&sig(DigestAlg::Md5, SigScheme::RsaPkcs1v15, 1024)).is_refused());
        // EC key sizes are not subject to the RSA rule.
        assert_eq!(p.check_signature(&sig(DigestAlg::Sha256, SigScheme::Ecdsa { curve: Curve::P256 }, 256)), Verdict::Accept);
    }

    // "AES-256-GCM when every recipient has advertised GCM, otherwise AES-256-CBC"
    #[test]
    fn content_cipher_choice() {
        let p = Policy::standard();
        let adv = |names: &[&str]| Some(Advertised::from_names(names));
        let cachet = adv(&["aes256-gcm", "aes128-gcm", "aes256-cbc", "aes192-cbc", "aes128-cbc"]);
        let thunderbird = adv(&["aes256-cbc", "aes128-cbc", "des-ede3-cbc", "rc2-cbc"]);
        let old_outlook = adv(&["des-ede3-cbc", "rc2-cbc", "des-cbc"]);
        assert_eq!(p.choose_content_cipher(&[cachet, cachet]), ContentCipher::Aes256Gcm);
        assert_eq!(p.choose_content_cipher(&[cachet, adv(&["aes128-gcm", "aes128-cbc"])]), ContentCipher::Aes128Gcm);
        assert_eq!(p.choose_content_cipher(&[cachet, thunderbird]), ContentCipher::Aes256Cbc);
        assert_eq!(p.choose_content_cipher(&[cachet, None]), ContentCipher::Aes256Cbc, "unknown: the interoperable default");
        assert_eq!(p.choose_content_cipher(&[]), ContentCipher::Aes256Cbc);
        assert_eq!(p.choose_content_cipher(&[cachet, adv(&["aes128-cbc", "des-ede3-cbc"])]), ContentCipher::Aes128Cbc);
        assert_eq!(p.choose_content_cipher(&[None, adv(&["aes128-cbc"])]), ContentCipher::Aes128Cbc);
        // Nothing weaker than AES is ever written, whatever a party lists.
        assert_eq!(p.choose_content_cipher(&[old_outlook]), ContentCipher::Aes256Cbc);
        // A policy without GCM never writes it.
        let mut no_gcm = Policy::standard();
        no_gcm.ciphers.retain(|c| !c.cipher.is_aead());
        assert_eq!(no_gcm.choose_content_cipher(&[cachet]), ContentCipher::Aes256Cbc);
        // A policy without CBC never writes it, not even as the fallback.
        let mut gcm_only = Policy::standard();
        gcm_only.ciphers.retain(|c| c.cipher.is_aead());
        assert_eq!(gcm_only.choose_content_cipher(&[cachet, thunderbird]), ContentCipher::Aes256Gcm);
        assert_eq!(gcm_only.choose_content_cipher(&[None]), ContentCipher::Aes256Gcm);
        // A policy refusing PKCS #1 v1.5 writes RSA-OAEP for every RSA recipient.
        let mut oaep_only = Policy::standard();
        oaep_only.key_transports.retain(|(k, _)| *k == KeyTransport::OaepSha256);
        assert_eq!(oaep_only.choose_key_transport(false), KeyTransport::OaepSha256);
        assert_eq!(Policy::standard().choose_key_transport(false), KeyTransport::Pkcs1v15);
    }

    // "Decrypt AES-128/192/256 in CBC and GCM"
    #[test]
    fn aes_cbc_and_gcm_accepted() {
        let p = Policy::standard();
        for oid in ["2.16.840.1.101.3.4.1.2", "2.16.840.1.101.3.4.1.22", "2.16.840.1.101.3.4.1.42", "2.16.840.1.101.3.4.1.6", "2.16.840.1.101.3.4.1.26", "2.16.840.1.101.3.4.1.46"] {
            assert_eq!(p.check_content_cipher(&ObjectIdentifier::new_unwrap(oid)), Verdict::Accept, "{oid}");
        }
    }

    // "3DES with a warning; RC2 and DES refused unless the user explicitly opens legacy mail"
    #[test]
    fn legacy_ciphers() {
        let mut p = Policy::standard();
        let des3 = ObjectIdentifier::new_unwrap("1.2.840.113549.3.7");
        let rc2 = ObjectIdentifier::new_unwrap("1.2.840.113549.3.2");
        let des = ObjectIdentifier::new_unwrap("1.3.14.3.2.7");
        assert_eq!(p.check_content_cipher(&des3), Verdict::Flag("3DES-CBC".into()));
        assert_eq!(p.check_content_cipher(&rc2), Verdict::Refuse("RC2-CBC".into()));
        assert_eq!(p.check_content_cipher(&des), Verdict::Refuse("DES-CBC".into()));
        p.legacy_allowed = true;
        assert_eq!(p.check_content_cipher(&des3), Verdict::Flag("3DES-CBC".into()));
        assert_eq!(p.check_content_cipher(&rc2), Verdict::Flag("RC2-CBC".into()));
        assert_eq!(p.check_content_cipher(&des), Verdict::Flag("DES-CBC".into()));
        // Unknown ciphers are refused, named by OID.
        assert_eq!(p.check_content_cipher(&ObjectIdentifier::new_unwrap("1.2.3.4")), Verdict::Refuse("content cipher 1.2.3.4".into()));
    }

    // "Key transport: RSA PKCS#1 v1.5 by default; RSAES-OAEP when asked; decrypt both"
    #[test]
    fn key_transport() {
        let p = Policy::standard();
        assert_eq!(p.choose_key_transport(false), KeyTransport::Pkcs1v15);
        assert_eq!(p.choose_key_transport(true), KeyTransport::OaepSha256);
        assert_eq!(p.check_key_transport(&KeyTransport::Pkcs1v15.oid()), Verdict::Accept);
        assert_eq!(p.check_key_transport(&KeyTransport::OaepSha256.oid()), Verdict::Accept);
        assert!(p.check_key_transport(&ObjectIdentifier::new_unwrap("1.2.840.10045.2.1")).is_refused());
    }

    // Admins tighten: refuse SHA-1, raise the RSA minimum, drop 3DES.
    #[test]
    fn admin_can_tighten() {
        let mut p = Policy::standard().with_digest(DigestAlg::Sha1, Verdict::Refuse("SHA-1".into()), false);
        assert_eq!(p.check_digest(DigestAlg::Sha1), Verdict::Refuse("SHA-1".into()));
        assert!(p.check_signature(&sig(DigestAlg::Sha1, SigScheme::Ecdsa { curve: Curve::P256 }, 256)).is_refused());
        assert_eq!(p.check_digest(DigestAlg::Sha256), Verdict::Accept);
        p.min_rsa_bits = 3072;
        assert_eq!(p.check_rsa_bits(2048), Verdict::Flag("RSA 2048 bits".into()));
        p.ciphers.retain(|c| c.cipher != ContentCipher::DesEde3Cbc);
        assert!(p.check_content_cipher(&ContentCipher::DesEde3Cbc.oid()).is_refused());
        // A digest missing from the table is refused.
        p.digests.retain(|d| d.alg != DigestAlg::Sha224);
        assert_eq!(p.check_digest(DigestAlg::Sha224), Verdict::Refuse("SHA-224".into()));
    }

    /// The names the Wasm build checks a policy object's keys against are the fields serde
    /// reads and writes.
    #[test]
    fn the_field_names_are_the_serialized_ones() {
        let value = serde_json::to_value(Policy::standard()).unwrap();
        let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        let mut fields = Policy::FIELDS.to_vec();
        keys.sort_unstable();
        fields.sort_unstable();
        assert_eq!(keys, fields);
    }

    #[test]
    fn policy_json_round_trip() {
        let p = Policy::standard().with_digest(DigestAlg::Sha1, Verdict::Refuse("SHA-1".into()), false);
        let json = serde_json::to_string(&p).unwrap();
        let back: Policy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        assert!(json.contains("\"refuse\""));
    }

    // One value for every operation, from JSON: left-out fields keep SPEC 4, typos are refused.
    #[test]
    fn policy_from_partial_json_and_what_signing_takes_from_it() {
        let p = Policy::from_json(br#"{"min_rsa_bits": 3072, "default_key_transport": "rsa-oaep"}"#).unwrap();
        assert_eq!(p.min_rsa_bits, 3072);
        assert_eq!(p.default_key_transport, KeyTransport::OaepSha256);
        assert_eq!(p.choose_key_transport(false), KeyTransport::OaepSha256);
        assert_eq!(Policy { min_rsa_bits: 2048, default_key_transport: KeyTransport::Pkcs1v15, ..p }, Policy::standard());
        assert_eq!(Policy::from_json(b"{}").unwrap(), Policy::standard());
        for bad in [&br#"{"min_rsa_bit": 3072}"#[..], br#"{"default_key_transport": "rsa-oaep-sha1"}"#, b"[1]", b"not json"] {
            let e = Policy::from_json(bad).unwrap_err();
            assert_eq!(e.code, Code::Usage, "{}", String::from_utf8_lossy(bad));
            assert!(e.message.contains("policy"));
        }
        // Signing: the key's natural digest when produced, else the policy's digest.
        let p = Policy::standard();
        assert_eq!(p.signing_digest_for(DigestAlg::Sha384).unwrap(), DigestAlg::Sha384);
        let only_512 = Policy::from_json(br#"{"signing_digest": "sha512", "digests": [{"alg": "sha512", "consume": {"verdict": "accept"}, "produce": true}]}"#).unwrap();
        assert_eq!(only_512.signing_digest_for(DigestAlg::Sha256).unwrap(), DigestAlg::Sha512);
        let none = Policy::from_json(br#"{"digests": []}"#).unwrap();
        assert_eq!(none.signing_digest_for(DigestAlg::Sha256).unwrap_err().code, Code::UnsupportedAlgorithm);
        assert!(p.check_signing_key(Some(2048)).is_ok() && p.check_signing_key(None).is_ok());
        assert_eq!(p.check_signing_key(Some(768)).unwrap_err().code, Code::UnusableIdentity);
    }

    #[test]
    fn oids_round_trip() {
        for c in ContentCipher::ALL {
            assert_eq!(ContentCipher::from_oid(&c.oid()), Some(c));
        }
    }
}
