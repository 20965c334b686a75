//! The seam for the PBKDF2 derivations of OID_PBES2 (RFC 8018 section 5.2) in PKCS#12
//! import and backup export, so that a caller with a faster PBKDF2 (the platform's WebCrypto
//! `deriveBits`) can supply the derived keys.
//!
//! Import and export ask a [`Derivations`] for each PBKDF2 key they need, after the
//! iteration limits (`MAX_ITERATIONS` per derivation, the file's `MAX_TOTAL_ITERATIONS`
//! budget) have been checked and spent. [`Core`] derives at once (the synchronous path);
//! [`Deferred`] records what is asked, answers what it was given, and lets the caller run
//! the import or export again with the answers (the same phased style as the bulk seam of
//! `cms::bulk`). Only PBKDF2 with a PRF WebCrypto has (HMAC-SHA-1/256/384/512) for
//! AES-CBC is deferred: PBKDF2-HMAC-SHA-224, scrypt, the other PBES2 ciphers, the legacy
//! PKCS#12 PBE schemes and the PKCS#12 MAC key (appendix B KDF, which WebCrypto does not
//! have) are always computed by the core. The MAC check is remembered between runs of one
//! [`Deferred`], so the second run does not compute it again.
//!
//! # Security
//! Requests carry the password bytes (UTF-8, as PBES2 takes them) in `Zeroizing` buffers; the
//! answers are zeroized when the [`Deferred`] drops. A derivation is only ever asked for after
//! its iteration count passed the limits, so a hostile file is refused before any derivation
//! that would exceed them, whoever computes it.

use crate::error::{Code, Error};
use std::cell::{Cell, RefCell};
use zeroize::Zeroizing;

/// The PBKDF2 pseudo-random functions a deferred derivation may use (the ones WebCrypto has).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prf {
    HmacSha1,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl Prf {
    /// The WebCrypto name of the PRF's hash.
    pub fn hash_name(self) -> &'static str {
        match self {
            Prf::HmacSha1 => "SHA-1",
            Prf::HmacSha256 => "SHA-256",
            Prf::HmacSha384 => "SHA-384",
            Prf::HmacSha512 => "SHA-512",
        }
    }

    /// The PRF of PBES2 parameters, when it is one of these.
    pub(super) fn of(prf: pkcs5::pbes2::Pbkdf2Prf) -> Option<Prf> {
        use pkcs5::pbes2::Pbkdf2Prf as P;
        match prf {
            P::HmacWithSha1 => Some(Prf::HmacSha1),
            P::HmacWithSha256 => Some(Prf::HmacSha256),
            P::HmacWithSha384 => Some(Prf::HmacSha384),
            P::HmacWithSha512 => Some(Prf::HmacSha512),
            _ => None,
        }
    }
}

/// One PBKDF2 derivation: `key_len` bytes from `password` (UTF-8 bytes, RFC 8018 / what
/// OpenSSL, NSS and Windows feed PBKDF2 in PKCS#12), `salt` and `iterations` with `prf`.
#[derive(Clone, PartialEq, Eq)]
pub struct Pbkdf2Request {
    pub password: Zeroizing<Vec<u8>>,
    pub salt: Vec<u8>,
    pub iterations: u32,
    pub prf: Prf,
    pub key_len: usize,
}

impl std::fmt::Debug for Pbkdf2Request {
    // Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pbkdf2Request").field("salt", &self.salt).field("iterations", &self.iterations).field("prf", &self.prf).field("key_len", &self.key_len).finish_non_exhaustive()
    }
}

impl Pbkdf2Request {
    /// The derivation computed by the core (RustCrypto `pbkdf2`).
    pub fn compute(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(vec![0u8; self.key_len]);
        let (p, s, n) = (self.password.as_slice(), self.salt.as_slice(), self.iterations);
        match self.prf {
            Prf::HmacSha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(p, s, n, &mut out),
            Prf::HmacSha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(p, s, n, &mut out),
            Prf::HmacSha384 => pbkdf2::pbkdf2_hmac::<sha2::Sha384>(p, s, n, &mut out),
            Prf::HmacSha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(p, s, n, &mut out),
        }
        out
    }
}

/// Who computes the PBKDF2 derivations of an import or export.
pub trait Derivations {
    /// The derived key, or None when it will be supplied in a later run.
    fn pbkdf2(&self, request: &Pbkdf2Request) -> Option<Zeroizing<Vec<u8>>>;
    /// Which password form's MAC check succeeded in an earlier run, if one did.
    fn mac_verified(&self) -> Option<usize> {
        None
    }
    /// Remember that the MAC check succeeded with password form `i`.
    fn remember_mac(&self, _i: usize) {}
}

/// Every derivation computed at once by the core, each distinct one once: the bags of a
/// backup share their salt, so one run asks for the same key more than once. Use a fresh
/// `Core` per import or export (the keys are zeroized when it drops).
#[derive(Default)]
pub struct Core {
    done: RefCell<Vec<(Pbkdf2Request, Zeroizing<Vec<u8>>)>>,
}

impl Core {
    pub fn new() -> Core {
        Core::default()
    }
}

impl Derivations for Core {
    fn pbkdf2(&self, request: &Pbkdf2Request) -> Option<Zeroizing<Vec<u8>>> {
        if let Some((_, key)) = self.done.borrow().iter().find(|(r, _)| r == request) {
            return Some(key.clone());
        }
        let key = request.compute();
        self.done.borrow_mut().push((request.clone(), key.clone()));
        Some(key)
    }
}

/// Records the derivations asked for and answers those it was given.
#[derive(Default)]
pub struct Deferred {
    pending: RefCell<Vec<Pbkdf2Request>>,
    answers: RefCell<Vec<(Pbkdf2Request, Zeroizing<Vec<u8>>)>>,
    mac: Cell<Option<usize>>,
}

impl Deferred {
    pub fn new() -> Deferred {
        Deferred::default()
    }

    /// The derivations asked for and not answered since the last call (each once).
    pub fn take_pending(&self) -> Vec<Pbkdf2Request> {
        std::mem::take(&mut *self.pending.borrow_mut())
    }

    /// Supply the key of `request`; a key of the wrong length is not taken (the core
    /// derives that one in the next run instead).
    pub fn answer(&self, request: Pbkdf2Request, key: Zeroizing<Vec<u8>>) {
        let key = if key.len() == request.key_len { key } else { request.compute() };
        self.answers.borrow_mut().push((request, key));
    }
}

impl Derivations for Deferred {
    fn pbkdf2(&self, request: &Pbkdf2Request) -> Option<Zeroizing<Vec<u8>>> {
        if let Some((_, key)) = self.answers.borrow().iter().find(|(r, _)| r == request) {
            return Some(key.clone());
        }
        let mut pending = self.pending.borrow_mut();
        if !pending.contains(request) {
            pending.push(request.clone());
        }
        None
    }

    fn mac_verified(&self) -> Option<usize> {
        self.mac.get()
    }

    fn remember_mac(&self, i: usize) {
        self.mac.set(Some(i));
    }
}

/// The error of a run that still waits for derivations, when a caller that cannot supply
/// them (the synchronous API with [`Core`]) somehow gets one.
pub(super) fn incomplete() -> Error {
    Error::new(Code::Crypto, "The password hashing did not finish.", "Try again.")
}
