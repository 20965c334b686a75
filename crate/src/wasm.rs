//! The only module that knows about `wasm_bindgen`: thin exports over the core.
//! Every export returns the same JSON the CLI prints; errors are thrown as a JSON
//! string `{code, message, hint, detail?}` that the worker turns into an object.
//! Unlocked identities stay inside this Wasm instance (in the add-in's worker) as
//! [`UnlockedIdentity`] handles; their key bytes never cross to JavaScript.

mod webcrypto;

use crate::error::{Error, Result};
use crate::time::UnixTime;
use base64::Engine;
use serde::Deserialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use x509_cert::Certificate;

fn js_err(e: Error) -> JsValue {
    JsValue::from_str(&e.to_json())
}

fn json<T: serde::Serialize>(v: &T) -> std::result::Result<String, JsValue> {
    serde_json::to_string(v).map_err(|e| js_err(Error::usage("Cannot encode the result.").with_detail(e)))
}

/// The core's version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

/// Summarise a certificate file (PEM or DER): a JSON array of certificate facts.
#[wasm_bindgen(js_name = certSummary)]
pub fn cert_summary(bytes: &[u8]) -> std::result::Result<String, JsValue> {
    json(&crate::cert::facts::summarize(bytes).map_err(js_err)?)
}

/// Options of `openMessage`, as JSON.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct OpenOptions {
    /// Validation time, seconds since 1970 (JavaScript passes `Date.now() / 1000`).
    at: u64,
    /// Trusted roots (they issue), base64 DER.
    trust: Vec<String>,
    /// Pinned certificates (each trusted only as itself, for its own addresses; never an
    /// issuer), base64 DER.
    pins: Vec<String>,
    /// Other known certificates (contacts, intermediates), base64 DER.
    known: Vec<String>,
}

fn certs_from_base64(list: &[String]) -> Result<Vec<Certificate>> {
    let mut out = Vec::new();
    for b in list {
        let der = base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .map_err(|e| Error::usage("A stored certificate is not valid base64.").with_detail(e))?;
        out.extend(crate::cert::facts::parse_certificates(&der)?);
    }
    Ok(out)
}

/// Options of `Keyring.encrypt`, as JSON.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct EncryptOptionsJson {
    /// Recipient certificates, base64 DER.
    recipients: Vec<String>,
    sign: bool,
    cipher: Option<String>,
    oaep: bool,
    /// Every recipient advertised AES-GCM in SMIMECapabilities: AES-256-GCM by default.
    all_recipients_gcm: bool,
    /// Signing time, seconds since 1970.
    at: f64,
}

/// Recipients, options and signing time of `Keyring.encrypt` options.
fn encrypt_options(options_json: &str) -> std::result::Result<(Vec<Certificate>, crate::smime::EncryptOptions, UnixTime), JsValue> {
    let opts: EncryptOptionsJson = serde_json::from_str(options_json).map_err(|e| js_err(Error::usage("Bad options for encrypt.").with_detail(e)))?;
    let recipients = certs_from_base64(&opts.recipients).map_err(js_err)?;
    let cipher = match opts.cipher.as_deref() {
        Some(name) => Some(
            crate::crypto::ContentCipher::from_name(name)
                .filter(|c| matches!(c.name(), "aes256-cbc" | "aes128-gcm" | "aes256-gcm"))
                .ok_or_else(|| js_err(Error::usage(format!("Unknown cipher {name}: use aes256-cbc, aes128-gcm or aes256-gcm."))))?,
        ),
        None => None,
    };
    let options = crate::smime::EncryptOptions { cipher, oaep: opts.oaep, sign: opts.sign, all_recipients_advertise_gcm: opts.all_recipients_gcm };
    Ok((recipients, options, unix(opts.at)))
}

/// The result of opening a message: the JSON report and the innermost content.
#[wasm_bindgen]
pub struct OpenResult {
    report: String,
    content: Option<Vec<u8>>,
}

#[wasm_bindgen]
impl OpenResult {
    /// The report (SPEC section 8) as JSON.
    #[wasm_bindgen(getter)]
    pub fn report(&self) -> String {
        self.report.clone()
    }
    /// The innermost MIME entity (what was signed), when there is one.
    #[wasm_bindgen(getter)]
    pub fn content(&self) -> Option<Vec<u8>> {
        self.content.clone()
    }
}

/// The certificates and time of `openMessage` options.
struct OpenCerts {
    roots: Vec<Certificate>,
    pins: Vec<Certificate>,
    known: Vec<Certificate>,
    at: UnixTime,
}

/// Roots, pins, known certificates and time of `openMessage` options.
fn open_options(options_json: &str) -> std::result::Result<OpenCerts, JsValue> {
    let opts: OpenOptions = if options_json.trim().is_empty() {
        OpenOptions::default()
    } else {
        serde_json::from_str(options_json).map_err(|e| js_err(Error::usage("Bad options for openMessage.").with_detail(e)))?
    };
    Ok(OpenCerts {
        roots: certs_from_base64(&opts.trust).map_err(js_err)?,
        pins: certs_from_base64(&opts.pins).map_err(js_err)?,
        known: certs_from_base64(&opts.known).map_err(js_err)?,
        at: UnixTime(opts.at),
    })
}

fn open_with(message: &[u8], options_json: &str, ids: &[&crate::pkcs12::Identity]) -> std::result::Result<OpenResult, JsValue> {
    let c = open_options(options_json)?;
    let policy = crate::policy::Policy::standard();
    let limits = crate::mime::Limits::default();
    let input = crate::smime::OpenInput { roots: &c.roots, pins: &c.pins, known: &c.known, identities: ids, at: c.at, policy: &policy, limits: &limits };
    let opened = crate::smime::open(message, &input);
    Ok(OpenResult { report: json(&opened.report)?, content: opened.content })
}

/// `open_with` as a Promise of an `OpenResult`, with WebCrypto for digests and AES.
fn open_async(message: Vec<u8>, options_json: String, ids: Vec<Rc<crate::pkcs12::Identity>>) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let c = open_options(&options_json)?;
        let refs: Vec<&crate::pkcs12::Identity> = ids.iter().map(|i| &**i).collect();
        let policy = crate::policy::Policy::standard();
        let limits = crate::mime::Limits::default();
        let input = crate::smime::OpenInput { roots: &c.roots, pins: &c.pins, known: &c.known, identities: &refs, at: c.at, policy: &policy, limits: &limits };
        let opened = webcrypto::open(&message, &input).await;
        Ok(OpenResult { report: json(&opened.report)?, content: opened.content }.into())
    })
}

/// Open a message without any private key, as `openMessage`, with WebCrypto for the
/// digests: a Promise of an `OpenResult`.
#[wasm_bindgen(js_name = openMessageAsync, unchecked_return_type = "Promise<OpenResult>")]
pub fn open_message_async(message: &[u8], options_json: &str) -> js_sys::Promise {
    open_async(message.to_vec(), options_json.to_string(), Vec::new())
}

/// Open a message without any private key: verify signatures (SPEC sections 1, 8).
/// `options_json`: `{"at": seconds, "trust": [base64 DER], "pins": [base64 DER],
/// "known": [base64 DER]}`: `trust` are roots (they issue), `pins` pinned certificates.
#[wasm_bindgen(js_name = openMessage)]
pub fn open_message(message: &[u8], options_json: &str) -> std::result::Result<OpenResult, JsValue> {
    open_with(message, options_json, &[])
}

/// The unlocked identities of one session, held inside this Wasm instance (in the
/// add-in's worker). JavaScript only ever sees numeric handles; `lock` and dropping
/// the keyring (`free()`) zeroize the keys.
#[wasm_bindgen]
#[derive(Default)]
pub struct Keyring {
    next: u32,
    ids: Vec<Unlocked>,
}

/// One unlocked identity: its handle, the identity (shared with running async calls) and,
/// for RSA, a Promise of its key imported into WebCrypto (non-extractable) or `null`.
struct Unlocked {
    handle: u32,
    identity: Rc<crate::pkcs12::Identity>,
    signing_key: Option<js_sys::Promise>,
}

#[wasm_bindgen]
impl Keyring {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Keyring {
        Keyring::default()
    }

    fn get(&self, handle: u32) -> std::result::Result<&crate::pkcs12::Identity, JsValue> {
        self.unlocked(handle).map(|u| &*u.identity)
    }

    fn unlocked(&self, handle: u32) -> std::result::Result<&Unlocked, JsValue> {
        self.ids.iter().find(|u| u.handle == handle).ok_or_else(|| {
            js_err(Error::new(crate::error::Code::Usage, "This identity is locked.", "Unlock it again with its passphrase."))
        })
    }

    /// Unlock a PKCS#12 file with its password; returns a handle.
    pub fn unlock(&mut self, p12: &[u8], password: &str) -> std::result::Result<u32, JsValue> {
        let id = crate::pkcs12::import(p12, password).map_err(js_err)?;
        self.next = self.next.wrapping_add(1);
        let signing_key = webcrypto::import_signing_key(&id);
        self.ids.push(Unlocked { handle: self.next, identity: Rc::new(id), signing_key });
        Ok(self.next)
    }

    /// Forget (and zeroize) an unlocked identity.
    pub fn lock(&mut self, handle: u32) {
        self.ids.retain(|u| u.handle != handle);
    }

    /// Forget every unlocked identity (idle timeout).
    #[wasm_bindgen(js_name = lockAll)]
    pub fn lock_all(&mut self) {
        self.ids.clear();
    }

    /// Facts of an identity's certificate and chain, as a JSON array (leaf first).
    pub fn certificates(&self, handle: u32) -> std::result::Result<String, JsValue> {
        let id = self.get(handle)?;
        let facts: Vec<_> = std::iter::once(&id.certificate).chain(id.chain.iter()).map(crate::cert::facts::facts).collect();
        json(&facts)
    }

    /// Sign a message (RFC 5322 + MIME): multipart/signed, or opaque signed-data.
    /// `at` is the signing time in seconds since 1970.
    pub fn sign(&self, handle: u32, message: &[u8], opaque: bool, at: f64) -> std::result::Result<Vec<u8>, JsValue> {
        let id = self.get(handle)?;
        let at = if at.is_finite() && at > 0.0 { UnixTime(at as u64) } else { UnixTime(0) };
        crate::smime::sign_message(message, id, opaque, at, &crate::mime::Limits::default()).map_err(js_err)
    }

    /// Open a message with every unlocked identity available for decryption.
    pub fn open(&self, message: &[u8], options_json: &str) -> std::result::Result<OpenResult, JsValue> {
        let all: Vec<&crate::pkcs12::Identity> = self.ids.iter().map(|u| &*u.identity).collect();
        open_with(message, options_json, &all)
    }

    /// `open` with WebCrypto for digests and AES (RSA key transport stays in the core):
    /// a Promise of an `OpenResult`, the same report as `open`.
    #[wasm_bindgen(js_name = openAsync, unchecked_return_type = "Promise<OpenResult>")]
    pub fn open_async(&self, message: &[u8], options_json: &str) -> js_sys::Promise {
        open_async(message.to_vec(), options_json.to_string(), self.ids.iter().map(|u| u.identity.clone()).collect())
    }

    /// `sign` with WebCrypto for the digest and the RSA signature: a Promise of the message bytes.
    #[wasm_bindgen(js_name = signAsync, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn sign_async(&self, handle: u32, message: &[u8], opaque: bool, at: f64) -> std::result::Result<js_sys::Promise, JsValue> {
        let u = self.unlocked(handle)?;
        let (id, key, message) = (u.identity.clone(), u.signing_key.clone(), message.to_vec());
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let signed = webcrypto::sign(&id, key, &message, opaque, unix(at)).await.map_err(js_err)?;
            Ok(js_sys::Uint8Array::from(signed.as_slice()).into())
        }))
    }

    /// `encrypt` with WebCrypto for the AES content encryption (and, with `"sign": true`,
    /// the signing digest and RSA signature): a Promise of the message bytes.
    #[wasm_bindgen(js_name = encryptAsync, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn encrypt_async(&self, handle: Option<u32>, message: &[u8], options_json: &str) -> std::result::Result<js_sys::Promise, JsValue> {
        let (recipients, options, at) = encrypt_options(options_json)?;
        let sender = match handle {
            Some(h) => {
                let u = self.unlocked(h)?;
                Some((u.identity.clone(), u.signing_key.clone()))
            }
            None => None,
        };
        let message = message.to_vec();
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let sender = sender.as_ref().map(|(id, key)| (&**id, key.clone()));
            let out = webcrypto::encrypt(&message, &recipients, sender, options, at).await.map_err(js_err)?;
            Ok(js_sys::Uint8Array::from(out.as_slice()).into())
        }))
    }

    /// Encrypt a message (SPEC sections 3 and 8, like `cachet encrypt`). `handle`, when given,
    /// is the sender's identity: the message is also encrypted to its certificate, and signed
    /// first with `"sign": true`. `options_json`: `{"recipients": [base64 DER], "sign": bool,
    /// "cipher": "aes256-cbc" | "aes128-gcm" | "aes256-gcm", "oaep": bool, "allRecipientsGcm": bool,
    /// "at": seconds}`.
    pub fn encrypt(&self, handle: Option<u32>, message: &[u8], options_json: &str) -> std::result::Result<Vec<u8>, JsValue> {
        let (recipients, options, at) = encrypt_options(options_json)?;
        let sender = match handle {
            Some(h) => Some(self.get(h)?),
            None => None,
        };
        crate::smime::encrypt_message(message, &recipients, sender, options, at, &crate::mime::Limits::default()).map_err(js_err)
    }

    /// An encrypted PKCS#12 backup of an identity under a new password.
    #[wasm_bindgen(js_name = exportBackup)]
    pub fn export_backup(&self, handle: u32, new_password: &str) -> std::result::Result<Vec<u8>, JsValue> {
        crate::pkcs12::export_backup(self.get(handle)?, new_password, crate::pkcs12::DEFAULT_BACKUP_ITERATIONS).map_err(js_err)
    }
}

/// Build an unsigned message from draft fields (JSON, see `compose::Draft`).
#[wasm_bindgen(js_name = composeMessage)]
pub fn compose_message(draft_json: &str) -> std::result::Result<Vec<u8>, JsValue> {
    let draft: crate::compose::Draft =
        serde_json::from_str(draft_json).map_err(|e| js_err(Error::usage("Bad draft fields.").with_detail(e)))?;
    crate::compose::compose(&draft).map_err(js_err)
}

/// What a reader sees of a message or entity: decoded headers and parts (JSON, see `view`).
#[wasm_bindgen(js_name = viewMessage)]
pub fn view_message(bytes: &[u8]) -> std::result::Result<String, JsValue> {
    json(&crate::view::view(bytes, &crate::mime::Limits::default()).map_err(js_err)?)
}

/// The decoded bytes of the leaf at `path` of a message (see `view::part_bytes`), to save an attachment.
#[wasm_bindgen(js_name = partBytes)]
pub fn part_bytes(bytes: &[u8], path: &str) -> std::result::Result<Vec<u8>, JsValue> {
    crate::view::part_bytes(bytes, path, &crate::mime::Limits::default()).map_err(js_err)
}

/// The certificates of a file (PEM or DER) as a JSON array of `{facts, der_base64}`, ready to store.
#[wasm_bindgen(js_name = certImport)]
pub fn cert_import(bytes: &[u8]) -> std::result::Result<String, JsValue> {
    use der::Encode;
    let mut out = Vec::new();
    for c in crate::cert::facts::parse_certificates(bytes).map_err(js_err)? {
        let der = c.to_der().map_err(|e| js_err(Error::usage("Cannot encode a certificate.").with_detail(e)))?;
        out.push(crate::report::FoundCertificate { facts: crate::cert::facts::facts(&c), der_base64: base64::engine::general_purpose::STANDARD.encode(der) });
    }
    json(&out)
}

// ---- Identities, contacts, recipients (SPEC sections 3, 5, 6) ----

/// A JavaScript time (seconds since 1970, `Date.now() / 1000`) as `UnixTime`.
fn unix(at: f64) -> UnixTime {
    if at.is_finite() && at > 0.0 { UnixTime(at as u64) } else { UnixTime(0) }
}

/// `[IdentityRecord]` → `[IdentityView]`: facts, expiry (`valid`, `expiring-soon`,
/// `expired`, `not-yet-valid`) and role (`active`, `decrypt-only`) of each identity.
#[wasm_bindgen(js_name = describeIdentities)]
pub fn describe_identities(records_json: &str, at: f64) -> std::result::Result<String, JsValue> {
    crate::identity::calls::describe_identities(records_json, unix(at)).map_err(js_err)
}

/// `[IdentityRecord]` → the record to sign mail from `address` with, or `null`.
#[wasm_bindgen(js_name = activeIdentity)]
pub fn active_identity(records_json: &str, address: &str, at: f64) -> std::result::Result<String, JsValue> {
    crate::identity::calls::active_identity(records_json, address, unix(at)).map_err(js_err)
}

/// `[base64 DER]` → the best certificate for `address` (`{index, facts, state}`) or `null`.
#[wasm_bindgen(js_name = bestCertificate)]
pub fn best_certificate(certificates_json: &str, address: &str, at: f64) -> std::result::Result<String, JsValue> {
    crate::identity::calls::best_certificate(certificates_json, address, unix(at)).map_err(js_err)
}

/// `Contact` + a new certificate (base64 DER) → `CertificateChange` or `null`.
#[wasm_bindgen(js_name = certificateChange)]
pub fn certificate_change(contact_json: &str, candidate_base64: &str, at: f64) -> std::result::Result<String, JsValue> {
    crate::identity::calls::certificate_change(contact_json, candidate_base64, unix(at)).map_err(js_err)
}

/// Stored `LearnedCapabilities` (or `null`) + newly learned ones → the ones to keep.
#[wasm_bindgen(js_name = learnCapabilities)]
pub fn learn_capabilities(current_json: &str, learned_json: &str) -> std::result::Result<String, JsValue> {
    crate::identity::calls::learn_capabilities(current_json, learned_json).map_err(js_err)
}

/// `{recipients, contacts, trust, pins, known, at}` → `[RecipientStatus]` (`ready`,
/// `missing`, `expired`, `address-mismatch`, `untrusted`); `trust` are roots, `pins`
/// pinned certificates (base64 DER).
#[wasm_bindgen(js_name = recipientStatus)]
pub fn recipient_status(options_json: &str) -> std::result::Result<String, JsValue> {
    crate::identity::calls::recipient_statuses(options_json).map_err(js_err)
}

#[wasm_bindgen]
impl Keyring {
    /// The signed key-exchange request mail (or, with `"kind": "renewal"`, the renewal
    /// announcement). `options_json`: `{"to", "at", "kind"?, "from"?, "senderName"?,
    /// "subject"?, "text"?, "date"?, "messageId"?}`.
    pub fn request(&self, handle: u32, options_json: &str) -> std::result::Result<Vec<u8>, JsValue> {
        crate::request::request_mail_json(self.get(handle)?, options_json).map_err(js_err)
    }
}
