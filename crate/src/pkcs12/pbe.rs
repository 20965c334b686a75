//! Password-based encryption of PKCS#12 bags: OID_PBES2 (RFC 8018 section 6.2, via `pkcs5`,
//! PBKDF2 with HMAC-SHA-1/SHA-2, AES-CBC, DES-EDE3-CBC) and the legacy PKCS#12 schemes of
//! RFC 7292 appendix C (pbeWithSHAAnd3-KeyTripleDES-CBC, ...2-KeyTripleDES-CBC,
//! ...128BitRC2-CBC, ...40BitRC2-CBC), keyed by the appendix B KDF.
//!
//! # Security
//! Parameters come from the file. Iteration counts above `MAX_ITERATIONS` (or beyond the
//! file's `MAX_TOTAL_ITERATIONS` budget, spent before each derivation) and scrypt (whose
//! memory cost a file could set to gigabytes) are refused; IV and salt sizes are checked
//! before they reach the cipher code. A padding failure is reported as a wrong password.

use super::derive::{Derivations, Pbkdf2Request, Prf};
use super::kdf::{self, MacHash, Purpose};
use super::MAX_ITERATIONS;
use crate::error::{Code, Error, Result};
use cipher::block_padding::Pkcs7;
use cipher::{BlockCipherDecrypt, BlockModeDecrypt, InnerIvInit, KeyInit};
use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, OctetString, OctetStringRef};
use der::{Decode, Encode, Sequence};
use spki::{AlgorithmIdentifierOwned, AlgorithmIdentifierRef};
use zeroize::Zeroizing;

use crate::oid::OID_PBES2;
use crate::oid::{OID_PBE_SHA_RC4_128, OID_PBE_SHA_RC4_40, OID_PBE_SHA_3DES, OID_PBE_SHA_2DES, OID_PBE_SHA_RC2_128, OID_PBE_SHA_RC2_40, OID_DES_EDE3_CBC};

/// The password in the two forms PKCS#12 uses.
pub struct Password {
    /// Appendix B.1 BMPString form (or empty, the "absent password" convention), for the
    /// legacy schemes and the MAC.
    pub bmp: Zeroizing<Vec<u8>>,
    /// UTF-8 bytes, for OID_PBES2 (what OpenSSL, NSS and Windows feed PBKDF2).
    pub utf8: Zeroizing<Vec<u8>>,
}

/// `pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }`
#[derive(Sequence)]
struct Pkcs12PbeParams {
    salt: OctetString,
    iterations: u32,
}

/// `OID_PBES2-params` read loosely, to check parameters before `pkcs5` sees them.
#[derive(Sequence)]
struct Pbes2Outline<'a> {
    kdf: AlgorithmIdentifierRef<'a>,
    enc: AlgorithmIdentifierRef<'a>,
}

fn damaged(what: &str, err: impl std::fmt::Display) -> Error {
    Error::new(Code::BadPkcs12, "The PKCS#12 file is damaged.", "Export the certificate and key again.")
        .with_detail(format!("{what}: {err}"))
}

pub fn wrong_password() -> Error {
    Error::new(
        Code::WrongPassword,
        "The password for the PKCS#12 file is wrong.",
        "Type the password that was set when the file was exported.",
    )
}

/// Name of a PBE algorithm for messages.
pub fn name(oid: ObjectIdentifier) -> String {
    match oid {
        OID_PBE_SHA_RC4_128 => "pbeWithSHAAnd128BitRC4".into(),
        OID_PBE_SHA_RC4_40 => "pbeWithSHAAnd40BitRC4".into(),
        OID_PBE_SHA_3DES => "pbeWithSHAAnd3-KeyTripleDES-CBC".into(),
        OID_PBE_SHA_2DES => "pbeWithSHAAnd2-KeyTripleDES-CBC".into(),
        OID_PBE_SHA_RC2_128 => "pbeWithSHAAnd128BitRC2-CBC".into(),
        OID_PBE_SHA_RC2_40 => "pbeWithSHAAnd40BitRC2-CBC".into(),
        OID_PBES2 => "PBES2".into(),
        other => crate::cert::names::algorithm_name(&other),
    }
}

/// Decrypt `data` that was encrypted with `alg` under `password`.
/// Every derivation's iterations are spent from `budget` before it runs; PBES2's PBKDF2 keys
/// come from `derive`. None: `derive` will supply a key in a later run.
pub fn decrypt(alg: &AlgorithmIdentifierOwned, password: &Password, data: &[u8], budget: &kdf::IterationBudget, derive: &dyn Derivations) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let params = alg.parameters.as_ref().map(AnyRef::from);
    match alg.oid {
        OID_PBES2 => decrypt_pbes2(params.ok_or_else(|| damaged("PBES2", "no parameters"))?, password, data, budget, derive),
        OID_PBE_SHA_3DES => legacy::<des::TdesEde3>(params, password, data, 24, None, budget).map(Some),
        OID_PBE_SHA_2DES => legacy::<des::TdesEde2>(params, password, data, 16, None, budget).map(Some),
        OID_PBE_SHA_RC2_128 => legacy::<rc2::Rc2>(params, password, data, 16, Some(128), budget).map(Some),
        OID_PBE_SHA_RC2_40 => legacy::<rc2::Rc2>(params, password, data, 5, Some(40), budget).map(Some),
        other => Err(kdf::unsupported(&name(other))),
    }
}

fn legacy<C: BlockCipherDecrypt + KeyInit + LegacyCipher>(
    params: Option<AnyRef<'_>>,
    password: &Password,
    data: &[u8],
    key_len: usize,
    rc2_bits: Option<usize>,
    budget: &kdf::IterationBudget,
) -> Result<Zeroizing<Vec<u8>>> {
    let params: Pkcs12PbeParams = params
        .ok_or_else(|| damaged("PBE parameters", "missing"))?
        .decode_as()
        .map_err(|e| damaged("PBE parameters", e))?;
    if params.iterations > MAX_ITERATIONS {
        return Err(kdf::too_many_iterations(params.iterations));
    }
    // Two derivations: the key and the IV.
    budget.spend(params.iterations)?;
    budget.spend(params.iterations)?;
    let salt = params.salt.as_bytes();
    let key = kdf::derive(MacHash::Sha1, Purpose::Key, &password.bmp, salt, params.iterations, key_len)?;
    let iv = kdf::derive(MacHash::Sha1, Purpose::Iv, &password.bmp, salt, params.iterations, 8)?;
    let cipher = C::make(&key, rc2_bits).ok_or_else(wrong_password)?;
    let dec = cbc::Decryptor::<C>::inner_iv_slice_init(cipher, &iv).map_err(|e| damaged("PBE IV", e))?;
    dec.decrypt_padded_vec::<Pkcs7>(data).map(Zeroizing::new).map_err(|_| wrong_password())
}

/// Building a legacy cipher: RC2 needs its effective key length, DES keys go through `KeyInit`.
trait LegacyCipher: Sized {
    fn make(key: &[u8], rc2_bits: Option<usize>) -> Option<Self>;
}

impl LegacyCipher for des::TdesEde3 {
    fn make(key: &[u8], _: Option<usize>) -> Option<Self> {
        <Self as KeyInit>::new_from_slice(key).ok()
    }
}

impl LegacyCipher for des::TdesEde2 {
    fn make(key: &[u8], _: Option<usize>) -> Option<Self> {
        <Self as KeyInit>::new_from_slice(key).ok()
    }
}

impl LegacyCipher for rc2::Rc2 {
    fn make(key: &[u8], rc2_bits: Option<usize>) -> Option<Self> {
        // rc2 indexes a 128-byte buffer with the key length; ours are 5 or 16 bytes.
        if key.is_empty() || key.len() > 128 {
            return None;
        }
        Some(rc2::Rc2::new_with_eff_key_len(key, rc2_bits.unwrap_or(key.len() * 8)))
    }
}

fn decrypt_pbes2(params: AnyRef<'_>, password: &Password, data: &[u8], budget: &kdf::IterationBudget, derive: &dyn Derivations) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let outline: Pbes2Outline<'_> = params.decode_as().map_err(|e| damaged("PBES2 parameters", e))?;
    if outline.kdf.oid != pkcs5::pbes2::PBKDF2_OID {
        return Err(kdf::unsupported(&format!("the key derivation {}", name(outline.kdf.oid))));
    }
    // pkcs5 slices the DES-EDE3 IV without a length check: check it here.
    if outline.enc.oid == OID_DES_EDE3_CBC {
        let iv = outline.enc.parameters.and_then(|p| p.decode_as::<&OctetStringRef>().ok());
        if iv.map(|iv| iv.as_bytes().len()) != Some(8) {
            return Err(damaged("PBES2 parameters", "DES-EDE3-CBC IV is not 8 bytes"));
        }
    }
    let scheme = pkcs5::pbes2::Parameters::try_from(params).map_err(|e| match e.kind() {
        der::ErrorKind::OidUnknown { oid } => kdf::unsupported(&name(oid)),
        _ => damaged("PBES2 parameters", e),
    })?;
    if let pkcs5::pbes2::Kdf::Pbkdf2(p) = &scheme.kdf {
        if p.iteration_count > MAX_ITERATIONS {
            return Err(kdf::too_many_iterations(p.iteration_count));
        }
        budget.spend(p.iteration_count)?;
        // AES-CBC with a PRF the seam handles: the key from `derive`, the decryption here
        // (what pkcs5 does after its own derivation, with the same errors).
        let aes = match scheme.encryption {
            pkcs5::pbes2::EncryptionScheme::Aes128Cbc { iv } => Some((16, iv)),
            pkcs5::pbes2::EncryptionScheme::Aes192Cbc { iv } => Some((24, iv)),
            pkcs5::pbes2::EncryptionScheme::Aes256Cbc { iv } => Some((32, iv)),
            _ => None,
        };
        let length_ok = |n: usize| p.key_length.is_none_or(|l| usize::from(l) == n);
        if let (Some((key_len, iv)), Some(prf)) = (aes.filter(|(n, _)| length_ok(*n)), Prf::of(p.prf)) {
            let request = Pbkdf2Request { password: password.utf8.clone(), salt: p.salt.as_ref().to_vec(), iterations: p.iteration_count, prf, key_len };
            let Some(key) = derive.pbkdf2(&request) else { return Ok(None) };
            return aes_cbc_decrypt(&key, &iv, data).map(Some);
        }
    }
    let mut buf = Zeroizing::new(data.to_vec());
    let len = match scheme.decrypt_in_place(password.utf8.as_slice(), &mut buf) {
        Ok(pt) => pt.len(),
        Err(pkcs5::Error::DecryptFailed) => return Err(wrong_password()),
        Err(pkcs5::Error::UnsupportedAlgorithm { oid }) => return Err(kdf::unsupported(&name(oid))),
        Err(e) => return Err(damaged("PBES2", e)),
    };
    buf.truncate(len);
    Ok(Some(buf))
}

/// AES-CBC decryption with PKCS#7 padding by key length; a padding failure is a wrong password.
fn aes_cbc_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    use cipher::KeyIvInit;
    fn run<C: BlockCipherDecrypt + KeyInit>(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|e| damaged("PBES2", e))?;
        dec.decrypt_padded_vec::<Pkcs7>(data).map(Zeroizing::new).map_err(|_| wrong_password())
    }
    match key.len() {
        16 => run::<aes::Aes128Dec>(key, iv, data),
        24 => run::<aes::Aes192Dec>(key, iv, data),
        _ => run::<aes::Aes256Dec>(key, iv, data),
    }
}

/// Encrypt with OID_PBES2: PBKDF2-HMAC-SHA256 (`iterations`, 16-byte `salt`, the key from
/// `derive`) and AES-256-CBC (`iv`). Returns the AlgorithmIdentifier and the ciphertext, or
/// None when `derive` will supply the key in a later run.
pub fn encrypt_pbes2(password: &str, plaintext: &[u8], iterations: u32, salt: &[u8; 16], iv: [u8; 16], derive: &dyn Derivations) -> Result<Option<(AlgorithmIdentifierOwned, Vec<u8>)>> {
    use cipher::{BlockModeEncrypt, KeyIvInit};
    let crypto = |e: &dyn std::fmt::Display| {
        Error::new(Code::Crypto, "The backup could not be encrypted.", "Try again.").with_detail(e.to_string())
    };
    let scheme = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(iterations, salt, iv).map_err(|e| crypto(&e))?;
    let request = Pbkdf2Request { password: Zeroizing::new(password.as_bytes().to_vec()), salt: salt.to_vec(), iterations, prf: Prf::HmacSha256, key_len: 32 };
    let Some(key) = derive.pbkdf2(&request) else { return Ok(None) };
    let enc = cbc::Encryptor::<aes::Aes256Enc>::new_from_slices(&key, &iv).map_err(|e| crypto(&e))?;
    let ciphertext = enc.encrypt_padded_vec::<Pkcs7>(plaintext);
    let params = der::asn1::Any::from_der(&scheme.to_der().map_err(|e| crypto(&e))?).map_err(|e| crypto(&e))?;
    Ok(Some((AlgorithmIdentifierOwned { oid: OID_PBES2, parameters: Some(params) }, ciphertext)))
}
