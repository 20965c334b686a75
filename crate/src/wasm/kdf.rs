//! The password hashing of PKCS#12 import (unlock, `.p12` import) and backup export with
//! WebCrypto: the PBKDF2 derivations of OID_PBES2 by `crypto.subtle.deriveBits`, through the
//! core's phased seam ([`crate::pkcs12::Deferred`]): a run of the import or export lists the
//! derivations it needs, they are computed here, and the next run uses them. The PKCS#12
//! MAC's key (RFC 7292 appendix B KDF, which WebCrypto does not have), the legacy PKCS#12
//! PBE schemes and PBKDF2 with a PRF WebCrypto lacks (HMAC-SHA-224) stay in the core; so
//! does every derivation WebCrypto refuses or when there is no `subtle`. The results are the
//! synchronous exports' exactly.
//!
//! # Security
//! The file's limits (`MAX_ITERATIONS`, `MAX_TOTAL_ITERATIONS`) are checked by the core
//! before a derivation is asked for, so WebCrypto never runs one a hostile file should not
//! get. The password bytes are handed to `importKey` in a JavaScript buffer that is cleared
//! as soon as the call has copied them (the CryptoKey is non-extractable); the derived bits
//! are copied into the Wasm memory and their JavaScript buffer cleared. A wrong password
//! fails at the MAC, in the core, before any PBKDF2 derivation.

use super::webcrypto::{object, subtle};
use crate::error::Result;
use crate::pkcs12::{BackupRandom, Deferred, Identity, Pbkdf2Request};
use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};
use zeroize::Zeroizing;

/// Most runs of an import or export against the deferred seam: an encrypted
/// SafeContents costs a run, a shrouded key inside it one more. Past it, the core
/// answers what is left.
const MAX_RUNS: usize = 4;

/// Start one PBKDF2 derivation in WebCrypto: the promise of its bits, or None when
/// WebCrypto refuses to start it.
async fn start(subtle: &SubtleCrypto, request: &Pbkdf2Request) -> Option<Promise> {
    let raw = Uint8Array::from(request.password.as_slice());
    let imported = subtle.import_key_with_object("raw", &raw, &object(&[("name", JsValue::from_str("PBKDF2"))]), false, &Array::of1(&JsValue::from_str("deriveBits")));
    // importKey copies the password synchronously: clear the JavaScript copy now.
    raw.fill(0, 0, raw.length());
    let key: CryptoKey = JsFuture::from(imported.ok()?).await.ok()?.dyn_into().ok()?;
    let params = object(&[
        ("name", JsValue::from_str("PBKDF2")),
        ("hash", JsValue::from_str(request.prf.hash_name())),
        ("salt", Uint8Array::from(request.salt.as_slice()).into()),
        ("iterations", JsValue::from_f64(f64::from(request.iterations))),
    ]);
    let bits = u32::try_from(request.key_len.checked_mul(8)?).ok()?;
    subtle.derive_bits_with_object(&params, &key, bits).ok()
}

/// The bits of a started derivation, their JavaScript buffer cleared.
async fn finish(promise: Promise) -> Option<Zeroizing<Vec<u8>>> {
    let out = JsFuture::from(promise).await.ok()?;
    let view = Uint8Array::new(&out);
    let key = Zeroizing::new(view.to_vec());
    view.fill(0, 0, view.length());
    Some(key)
}

/// Answer every pending derivation of `deferred`: WebCrypto's bits (all started before any
/// is awaited, so they run side by side where the platform can), else the core's.
async fn answer(subtle: Option<&SubtleCrypto>, deferred: &Deferred) {
    let pending = deferred.take_pending();
    let mut started = Vec::with_capacity(pending.len());
    for request in pending {
        let promise = match subtle {
            Some(s) => start(s, &request).await,
            None => None,
        };
        started.push((request, promise));
    }
    for (request, promise) in started {
        let key = match promise {
            Some(p) => finish(p).await,
            None => None,
        };
        // Refused (or a wrong length, which `answer` rejects): the core derives it.
        let key = key.unwrap_or_else(|| request.compute());
        deferred.answer(request, key);
    }
}

/// Import the identity of a PKCS#12 file (`pkcs12::import`), with WebCrypto's PBKDF2.
pub(crate) async fn import(p12: &[u8], password: &str) -> Result<Identity> {
    let subtle = subtle();
    let deferred = Deferred::new();
    for run in 0..=MAX_RUNS {
        if let Some(identity) = crate::pkcs12::import_with(p12, password, &deferred)? {
            return Ok(identity);
        }
        answer(subtle.as_ref().filter(|_| run < MAX_RUNS), &deferred).await;
    }
    crate::pkcs12::import(p12, password)
}

/// An encrypted backup of `identity` (`pkcs12::export_backup`), with WebCrypto's PBKDF2.
pub(crate) async fn export_backup(identity: &Identity, password: &str, iterations: u32) -> Result<Vec<u8>> {
    let subtle = subtle();
    let deferred = Deferred::new();
    let mut random = BackupRandom::new();
    for run in 0..=MAX_RUNS {
        if let Some(bytes) = crate::pkcs12::export_backup_with(identity, password, iterations, &mut random, &deferred)? {
            return Ok(bytes);
        }
        answer(subtle.as_ref().filter(|_| run < MAX_RUNS), &deferred).await;
    }
    crate::pkcs12::export_backup(identity, password, iterations)
}
