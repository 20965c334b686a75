//! PKCS#12 (RFC 7292): import of `.p12`/`.pfx` identities and encrypted backup export.
//!
//! Implements RFC 7292 sections 4 (PFX, AuthenticatedSafe, SafeBag types keyBag,
//! pkcs8ShroudedKeyBag, certBag/x509Certificate, safeContentsBag; attributes friendlyName
//! and localKeyId), 5.1 (password integrity MAC, HMAC-SHA-1/SHA-224/SHA-256/SHA-384/SHA-512),
//! appendix B (key derivation) and appendix C (legacy PBE: 3DES, 2-key 3DES, RC2-128, RC2-40),
//! plus OID_PBES2 (RFC 8018) for modern files. Input may be DER or BER (Windows and NSS write BER).
//! Not supported: public-key privacy/integrity modes, PBMAC1 (RFC 9579), RC4, scrypt.
//!
//! No function returns an unencrypted private key: the key stays inside [`Identity`].

mod asn1;
mod derive;
mod export;
mod import;
mod kdf;
mod key;
mod pair;
mod pbe;
#[cfg(test)]
mod tests;

pub use derive::{Core, Deferred, Derivations, Pbkdf2Request, Prf};
pub use key::PrivateKey;
pub use pair::{can_receive_encrypted, complementary, pair};

use crate::error::{Code, Error, Result};
use x509_cert::Certificate;

/// Largest PKCS#12 file accepted (identities with long chains are far below this).
pub const MAX_PKCS12_SIZE: usize = 4 * 1024 * 1024;
/// Most iterations accepted for any one password hashing in a file (about 2-3 s in Wasm).
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// Most iterations of password hashing for a whole file: the sum of the iteration counts of
/// every derivation made while importing it (the MAC, once per password form tried, and
/// each encrypted bag: PBKDF2 once, the legacy schemes twice, for the key and the IV).
/// Three derivations at [`MAX_ITERATIONS`] fit (MAC, certificates, key); a file that asks
/// for more (many bags, each with a high count) is refused with `LimitExceeded` before the
/// derivation that would exceed it runs.
pub const MAX_TOTAL_ITERATIONS: u64 = 30_000_000;
/// Most bags in one file.
pub const MAX_BAGS: usize = 1000;
/// Most levels of nested safeContentsBag.
pub const MAX_NESTING: usize = 8;
/// PBKDF2-HMAC-SHA256 rounds for backups (see `export_backup`).
pub const DEFAULT_BACKUP_ITERATIONS: u32 = 600_000;

/// A private key with its certificate and the other certificates of its file.
#[derive(Debug)]
pub struct Identity {
    /// The certificate whose public key matches `key`.
    pub certificate: Certificate,
    /// The other certificates: the leaf's issuer first, then its issuer, and so on; then the rest.
    pub chain: Vec<Certificate>,
    pub key: PrivateKey,
    pub friendly_name: Option<String>,
    /// A separate encryption key and certificate (corporate CAs often issue one certificate
    /// for signing and another for encryption); None when `certificate` does both. See [`pair`].
    pub encryption: Option<Box<Identity>>,
}

/// Identities for tests about what an identity does (envelopes, signatures), not about
/// PKCS#12 files.
#[cfg(test)]
impl Identity {
    /// The identity of an unencrypted PKCS#8 key and its certificate, PEM files as openssl
    /// writes them: what importing a PKCS#12 file of just the two gives (the same key reader,
    /// no chain, no friendly name), without writing that file. PKCS#12 files made by openssl
    /// have tests of their own (`pkcs12::tests`).
    pub(crate) fn from_pem_files(key: &std::path::Path, cert: &std::path::Path) -> Identity {
        let pem = std::fs::read(key).unwrap();
        let (label, der) = der::pem::decode_vec(&pem).unwrap();
        assert_eq!(label, "PRIVATE KEY", "{}: an unencrypted PKCS#8 key", key.display());
        let certificate = crate::cert::facts::parse_certificates(&std::fs::read(cert).unwrap()).unwrap().remove(0);
        Identity { certificate, chain: Vec::new(), key: PrivateKey::from_pkcs8_der(&der).unwrap(), friendly_name: None, encryption: None }
    }
}

impl Identity {
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The key and certificate mail to this identity is encrypted to (the sender's own copy,
    /// EncryptionKeyPreference): the separate encryption one when there is one.
    pub fn encryption_identity(&self) -> &Identity {
        self.encryption.as_deref().unwrap_or(self)
    }

    /// The certificate of [`Identity::encryption_identity`].
    pub fn encryption_certificate(&self) -> &Certificate {
        &self.encryption_identity().certificate
    }

    /// Every key pair of the identity, the signing one first: what decryption tries.
    pub fn key_pairs(&self) -> impl Iterator<Item = &Identity> {
        std::iter::once(self).chain(self.encryption.as_deref())
    }
}

/// Import the identity (private key + matching certificate) of a PKCS#12 file.
///
/// Errors: `WrongPassword` (MAC mismatch or decryption failed), `BadPkcs12` (not PKCS#12 or
/// damaged; the detail says where), `UnsupportedAlgorithm` (named), `NoPrivateKey`,
/// `LimitExceeded` (size, iteration count of one derivation or of the whole file).
///
/// # Security
/// `bytes` is untrusted: at most [`MAX_PKCS12_SIZE`] bytes, [`MAX_BAGS`] bags, [`MAX_NESTING`]
/// nesting levels, [`MAX_ITERATIONS`] hashing rounds per derivation and
/// [`MAX_TOTAL_ITERATIONS`] for the whole file; never panics on bad input.
/// A file with a signing and a separate encryption key pair for the same address gives one
/// identity with both (see [`pair`]).
pub fn import(bytes: &[u8], password: &str) -> Result<Identity> {
    pair(import_all(bytes, password)?)
}

/// [`import`] with the PBKDF2 derivations of OID_PBES2 asked of `derive` (see [`Deferred`]):
/// None when some were deferred; run again with the same `derive` once they are answered
/// (the MAC check is not repeated). The result is exactly [`import`]'s.
///
/// # Security
/// As [`import`]: every limit is checked, and each derivation's iterations spent from the
/// file's budget, before the derivation is asked for.
pub fn import_with(bytes: &[u8], password: &str, derive: &dyn Derivations) -> Result<Option<Identity>> {
    match import::read_with(bytes, password, &kdf::IterationBudget::new(), derive)? {
        Some(contents) => pair(import::identities(contents)?).map(Some),
        None => Ok(None),
    }
}

/// Import every identity of a PKCS#12 file (one per private key with a matching certificate).
///
/// # Security
/// As [`import`].
pub fn import_all(bytes: &[u8], password: &str) -> Result<Vec<Identity>> {
    import::identities(import::read(bytes, password)?)
}

/// All certificates of a PKCS#12 file (keys are decrypted and dropped; files without a key work).
///
/// # Security
/// As [`import`].
pub fn certificates_in(bytes: &[u8], password: &str) -> Result<Vec<Certificate>> {
    Ok(import::read(bytes, password)?.certs.into_iter().map(|(c, _)| c).collect())
}

/// Write an encrypted backup of `identity`: OID_PBES2 (PBKDF2-HMAC-SHA256 with `iterations`,
/// AES-256-CBC) for the key bag and the certificate bags, SHA-256 MAC with the same
/// iteration count (a weaker MAC would be a cheap password oracle), friendlyName and
/// localKeyId (SHA-1 of the certificate) set. One salt for all bags and an IV per bag, from the
/// system's RNG (see `export::build`).
///
/// Use [`DEFAULT_BACKUP_ITERATIONS`] unless there is a reason not to. Errors: `Usage` for an
/// empty password or an iteration count outside 1..=[`MAX_ITERATIONS`].
pub fn export_backup(identity: &Identity, password: &str, iterations: u32) -> Result<Vec<u8>> {
    export::build(identity, password, iterations, &mut system_random, &Core::new())?.ok_or_else(derive::incomplete)
}

fn system_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::new(Code::Crypto, "No random numbers are available.", "Try again.").with_detail(e))
}

/// The random bytes of one backup export, drawn once and replayed in every run of it, so
/// that a run with the deferred keys answered writes the file the first run asked keys for.
#[derive(Default)]
pub struct BackupRandom {
    tape: zeroize::Zeroizing<Vec<u8>>,
}

impl BackupRandom {
    pub fn new() -> BackupRandom {
        BackupRandom::default()
    }
}

/// [`export_backup`] with the PBKDF2 derivations asked of `derive` (see [`Deferred`]) and the
/// salts and IVs from `random` (system random bytes drawn in the first run, the same ones in
/// later runs): None when some derivations were deferred; run again with the same `random`
/// and `derive` once they are answered. The result is what [`export_backup`] writes with
/// those random bytes.
pub fn export_backup_with(identity: &Identity, password: &str, iterations: u32, random: &mut BackupRandom, derive: &dyn Derivations) -> Result<Option<Vec<u8>>> {
    let mut used = 0usize;
    let tape = &mut random.tape;
    export::build(identity, password, iterations, &mut |buf| {
        let end = used.saturating_add(buf.len());
        if tape.len() < end {
            let mut more = zeroize::Zeroizing::new(vec![0u8; end - tape.len()]);
            system_random(&mut more)?;
            tape.extend_from_slice(&more);
        }
        let recorded = tape.get(used..end).ok_or_else(derive::incomplete)?;
        buf.copy_from_slice(recorded);
        used = end;
        Ok(())
    }, derive)
}

/// As [`export_backup`], with random bytes from `rng`.
pub fn export_backup_with_rng<R: rand_core::TryCryptoRng + ?Sized>(identity: &Identity, password: &str, iterations: u32, rng: &mut R) -> Result<Vec<u8>> {
    export::build(identity, password, iterations, &mut |buf| {
        rng.try_fill_bytes(buf)
            .map_err(|_| Error::new(Code::Crypto, "No random numbers are available.", "Try again."))
    }, &Core::new())?
    .ok_or_else(derive::incomplete)
}
