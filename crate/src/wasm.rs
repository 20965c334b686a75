//! The Wasm exports, thin over the core: with its submodules (`webcrypto`, `kdf`) the only
//! code that uses `wasm_bindgen`, besides the policy value `boundary` keeps as it came.
//! Options come in and reports go out as plain JavaScript values, converted by
//! `serde-wasm-bindgen` from and to the core's Rust types (the same fields the CLI prints
//! as JSON; their TypeScript types are generated, see `boundary`). Errors are thrown as
//! objects `{code, message, hint, detail?}`. Unlocked identities stay inside this Wasm
//! instance (in the add-in's worker) as handles of a [`Keyring`]; their key bytes reach
//! JavaScript only as the buffer handed to WebCrypto's `importKey` (non-extractable keys
//! for signing and RSA-OAEP unwrapping, the buffer cleared at once; see `webcrypto`).
//!
//! # Security
//! Every option object comes from the add-in's page and is decoded into the typed options
//! of `boundary` (a wrong shape is a usage error); times are checked by `boundary::at`.

mod kdf;
mod webcrypto;

use crate::boundary::{EncryptOptions, OpenOptions};
use crate::error::{Error, Result};
use crate::time::UnixTime;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use x509_cert::Certificate;

/// A core error as the object JavaScript catches.
fn js_err(e: Error) -> JsValue {
    to_js(&e).unwrap_or_else(|_| JsValue::from_str(&e.message))
}

/// A report as a plain JavaScript value: maps become objects and 64-bit integers numbers
/// (`json_compatible`), as the generated TypeScript types say.
fn to_js<T: Serialize + ?Sized>(v: &T) -> std::result::Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_err(Error::usage("Cannot encode the result.").with_detail(e)))
}

/// Options from JavaScript as the core's type; `undefined` and `null` are the defaults
/// (so a missing object reports its missing required field, such as the time).
fn from_js<T: DeserializeOwned + Default>(what: &str, v: JsValue) -> std::result::Result<T, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(T::default());
    }
    from_js_value(what, v)
}

/// A JavaScript value as the core's type (a wrong shape is a usage error naming `what`).
fn from_js_value<T: DeserializeOwned>(what: &str, v: JsValue) -> std::result::Result<T, JsValue> {
    serde_wasm_bindgen::from_value(defined(&v, 0)).map_err(|e| js_err(Error::usage(format!("Bad {what}.")).with_detail(e)))
}

/// How deep [`defined`] copies; options are a few levels deep (a contact's certificates).
const MAX_OPTION_DEPTH: usize = 8;

/// `v` with the properties whose value is `undefined` left out, in plain objects and arrays
/// (a copy; the caller's objects are not changed): a property set to `undefined` is absent,
/// as `JSON.stringify` treated it, rather than a value of the wrong type. Typed arrays,
/// strings and deeper levels are passed as they are.
fn defined(v: &JsValue, depth: usize) -> JsValue {
    if depth >= MAX_OPTION_DEPTH || !v.is_object() {
        return v.clone();
    }
    if js_sys::Array::is_array(v) {
        let a = js_sys::Array::from(v);
        return a.map(&mut |x, _, _| defined(&x, depth + 1)).into();
    }
    let o = js_sys::Object::from(v.clone());
    let plain = JsValue::from(js_sys::Object::get_prototype_of(&js_sys::Object::new()));
    if JsValue::from(js_sys::Object::get_prototype_of(&o)) != plain {
        return v.clone();
    }
    let out = js_sys::Object::new();
    for entry in js_sys::Object::entries(&o).iter() {
        let pair = js_sys::Array::from(&entry);
        let value = pair.get(1);
        if !value.is_undefined() {
            // Setting a property on a fresh plain object does not fail.
            let _ = js_sys::Reflect::set(&out, &pair.get(0), &defined(&value, depth + 1));
        }
    }
    out.into()
}

/// A JavaScript time (seconds since 1970, `Date.now() / 1000`), checked (`boundary::at`).
fn unix(at: f64) -> std::result::Result<UnixTime, JsValue> {
    crate::boundary::at(Some(at)).map_err(js_err)
}

// The generated TypeScript types (`boundary`) that the signatures below name.
#[wasm_bindgen(typescript_custom_section)]
const GENERATED_TYPES: &str = r#"import type { CertFacts, CertificateChange, CertificateChoice, Contact, Draft, EncryptionChoice, EncryptOptions, FoundCertificate, IdentityRecord, IdentityView, LearnedCapabilities, MessageView, OpenOptions, OpenReport, Policy, RecipientOptions, RecipientStatus, RequestCall, SmimeaLookup, SmimeaQuery } from "../src/core/generated";"#;

/// The core's version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

/// Summarise a certificate file (PEM or DER): an array of certificate facts.
#[wasm_bindgen(js_name = certSummary, unchecked_return_type = "CertFacts[]")]
pub fn cert_summary(bytes: &[u8]) -> std::result::Result<JsValue, JsValue> {
    to_js(&crate::cert::facts::summarize(bytes).map_err(js_err)?)
}

fn certs_from_base64(list: &[String]) -> Result<Vec<Certificate>> {
    let mut out = Vec::new();
    for b in list {
        let der = base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .map_err(|e| Error::usage("A stored certificate is not valid base64.").with_detail(e))?;
        out.extend(crate::cert::kept::parse_certificates_kept(&der)?);
    }
    Ok(out)
}

/// Recipients, options and signing time of `Keyring.encrypt` options.
fn encrypt_options(options: JsValue) -> std::result::Result<(Vec<Certificate>, crate::smime::EncryptOptions, UnixTime, crate::policy::Policy), JsValue> {
    let opts: EncryptOptions = from_js("options for encrypt", options)?;
    let at = crate::boundary::at(opts.at).map_err(js_err)?;
    let recipients = certs_from_base64(&opts.recipients).map_err(js_err)?;
    let cipher = match opts.cipher.as_deref() {
        Some(name) => Some(
            crate::crypto::ContentCipher::from_name(name)
                .filter(|c| matches!(c.name(), "aes256-cbc" | "aes128-gcm" | "aes256-gcm"))
                .ok_or_else(|| js_err(Error::usage(format!("Unknown cipher {name}: use aes256-cbc, aes128-gcm or aes256-gcm."))))?,
        ),
        None => None,
    };
    let options = crate::smime::EncryptOptions { cipher, oaep: opts.oaep, sign: opts.sign, capabilities: opts.capabilities, opaque: opts.opaque, triple_wrap: opts.triple_wrap };
    let policy = crate::boundary::policy(opts.policy.as_ref()).map_err(js_err)?;
    Ok((recipients, options, at, policy))
}

/// The result of opening a message as JavaScript sees it: `{report, content}`, the report
/// (SPEC section 8) and the innermost MIME entity (what was signed) or `undefined`.
fn opened_js(report: &crate::report::OpenReport, content: Option<&[u8]>) -> std::result::Result<JsValue, JsValue> {
    opened_js_with(report, content.map_or(JsValue::UNDEFINED, |c| js_sys::Uint8Array::from(c).into()))
}

/// [`opened_js`] with the content already a JavaScript value.
fn opened_js_with(report: &crate::report::OpenReport, content: JsValue) -> std::result::Result<JsValue, JsValue> {
    let out = js_sys::Object::new();
    js_sys::Reflect::set(&out, &JsValue::from_str("report"), &to_js(report)?)?;
    js_sys::Reflect::set(&out, &JsValue::from_str("content"), &content)?;
    Ok(out.into())
}

/// The certificates and time of `openMessage` options.
struct OpenCerts {
    roots: Vec<Certificate>,
    pins: Vec<Certificate>,
    known: Vec<Certificate>,
    passwords: Vec<String>,
    at: UnixTime,
    policy: crate::policy::Policy,
    /// The user's key history, for the "which key" diagnosis of a message that does not open.
    key_history: Vec<crate::identity::KnownKey>,
}

/// The key history of one `open`: the one passed, and the unlocked identities' certificates
/// as current keys (as the CLI counts its `--identity` files), each certificate once.
fn history_with(ids: &[&crate::pkcs12::Identity], passed: &[crate::identity::KnownKey]) -> Vec<crate::identity::KnownKey> {
    let mut out = passed.to_vec();
    for pair in ids.iter().flat_map(|i| i.key_pairs()) {
        let k = crate::identity::known_key(&crate::cert::facts::facts(&pair.certificate), crate::identity::KeyState::Current);
        if !out.iter().any(|o| o.serial == k.serial && o.issuer == k.issuer) {
            out.push(k);
        }
    }
    out
}

/// Roots, pins, known certificates and time of `openMessage` options.
fn open_options(options: JsValue) -> std::result::Result<OpenCerts, JsValue> {
    let opts: OpenOptions = from_js("options for opening a message", options)?;
    let at = crate::boundary::at(opts.at).map_err(js_err)?;
    Ok(OpenCerts {
        roots: certs_from_base64(&opts.trust).map_err(js_err)?,
        pins: certs_from_base64(&opts.pins).map_err(js_err)?,
        known: certs_from_base64(&opts.known).map_err(js_err)?,
        passwords: opts.password.into_iter().collect(),
        at,
        policy: {
            let mut policy = crate::boundary::policy(opts.policy.as_ref()).map_err(js_err)?;
            // RC2 and DES only when the user asked (SPEC section 4), then with the warning.
            policy.legacy_allowed |= opts.open_legacy;
            policy
        },
        key_history: opts.key_history,
    })
}

fn open_with(message: &[u8], options: JsValue, ids: &[&crate::pkcs12::Identity]) -> std::result::Result<JsValue, JsValue> {
    let c = open_options(options)?;
    let limits = crate::mime::Limits::default();
    let input = crate::smime::OpenInput { roots: &c.roots, pins: &c.pins, known: &c.known, identities: ids, passwords: &c.passwords, at: c.at, policy: &c.policy, limits: &limits };
    let mut opened = crate::smime::open(message, &input);
    crate::identity::explain_no_key(&mut opened.report, || history_with(ids, &c.key_history), c.at);
    opened_js(&opened.report, opened.content.as_deref())
}

/// `open_with` as a Promise of `{report, content}`, with WebCrypto for digests and AES.
/// The options are checked before the Promise (a usage error is thrown, not a rejection).
/// Content that is a part of the message as received (what a clear-signed message signs, an
/// unprotected message) is handed out as a view of `message` itself, the bytes the core read
/// (a copy of them in Wasm memory), rather than copied out of Wasm again: for 25 MB, a fresh
/// array of that size fewer.
fn open_async(message: js_sys::Uint8Array, options: JsValue, ids: Vec<Rc<crate::pkcs12::Identity>>, keys: Vec<webcrypto::OaepKey>) -> std::result::Result<js_sys::Promise, JsValue> {
    let c = open_options(options)?;
    let js_message = message;
    let limits = crate::mime::Limits::default();
    // An encrypted or opaque-signed message has its body decoded over its own copy here, so
    // that the base64 and the DER are never both in Wasm memory; the array passed in is the
    // message as received, read again only if the core must open it itself.
    let (message, top) = match crate::smime::decode_top_in_place(js_message.to_vec(), &limits) {
        crate::smime::TopDecode::Decoded(d) => (d.head, Some((d.body, d.line_breaks))),
        crate::smime::TopDecode::Unchanged(m) => (m, None),
        crate::smime::TopDecode::Spoiled => (js_message.to_vec(), None),
    };
    Ok(wasm_bindgen_futures::future_to_promise(async move {
        let refs: Vec<&crate::pkcs12::Identity> = ids.iter().map(|i| &**i).collect();
        let input = crate::smime::OpenInput { roots: &c.roots, pins: &c.pins, known: &c.known, identities: &refs, passwords: &c.passwords, at: c.at, policy: &c.policy, limits: &limits };
        let plaintexts = webcrypto::Plaintexts::default();
        let again = || js_message.to_vec();
        // Content borrowed from the message is a part of `js_message` only when `message` is
        // the message as received (a header section alone holds no content).
        let as_received = top.is_none();
        let received = match top {
            Some((body, line_breaks)) => webcrypto::Received::DecodedTop { head: &message, body, line_breaks, again: &again },
            None => webcrypto::Received::AsIs(&message),
        };
        let mut opened = webcrypto::open(received, &input, &keys, &plaintexts).await;
        crate::identity::explain_no_key(&mut opened.report, || history_with(&refs, &c.key_history), c.at);
        let content = match opened.content.as_deref().filter(|_| as_received).and_then(|c| place_in(&message, c)) {
            Some((from, to)) => js_message.subarray(from, to).into(),
            None => plaintexts.content_js(opened.content.as_deref()),
        };
        opened_js_with(&opened.report, content)
    }))
}

/// Where `part` lies in `whole` (the same memory, not equal bytes elsewhere), as array indexes.
fn place_in(whole: &[u8], part: &[u8]) -> Option<(u32, u32)> {
    let from = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let to = from.checked_add(part.len())?;
    (to <= whole.len()).then_some((u32::try_from(from).ok()?, u32::try_from(to).ok()?))
}

/// Open a message without any private key, as `openMessage`, with WebCrypto for the
/// digests: a Promise of `{report, content}`. The content may be a view of `message` (the
/// same buffer): the message must not be changed afterwards.
#[wasm_bindgen(js_name = openMessageAsync, unchecked_return_type = "Promise<{ report: OpenReport; content?: Uint8Array }>")]
pub fn open_message_async(message: js_sys::Uint8Array, #[wasm_bindgen(unchecked_param_type = "OpenOptions")] options: JsValue) -> std::result::Result<js_sys::Promise, JsValue> {
    open_async(message, options, Vec::new(), Vec::new())
}

/// Open a message without any private key: verify signatures (SPEC sections 1, 8).
/// `options`: `{at: seconds, trust?: [base64 DER], pins?: [base64 DER], known?: [base64 DER]}`:
/// `trust` are roots (they issue), `pins` pinned certificates; `at` is required.
#[wasm_bindgen(js_name = openMessage, unchecked_return_type = "{ report: OpenReport; content?: Uint8Array }")]
pub fn open_message(message: &[u8], #[wasm_bindgen(unchecked_param_type = "OpenOptions")] options: JsValue) -> std::result::Result<JsValue, JsValue> {
    open_with(message, options, &[])
}

/// An identity unlocked by [`unlock_async`] and not yet kept in a keyring (`Keyring.add`).
/// Its key stays in this Wasm instance; dropping it (`free()`) zeroizes the key.
#[wasm_bindgen]
pub struct PendingIdentity {
    identity: crate::pkcs12::Identity,
}

/// `Keyring.unlock` with WebCrypto's PBKDF2 for the password hashing of the PBES2 bags (the
/// MAC's, the legacy schemes' and HMAC-SHA-224's stay in the core; so does everything when
/// WebCrypto is missing or refuses): a Promise of the identity, for `Keyring.add`. The
/// errors are `unlock`'s.
#[wasm_bindgen(js_name = unlockAsync, unchecked_return_type = "Promise<PendingIdentity>")]
pub fn unlock_async(p12: &[u8], password: &str) -> js_sys::Promise {
    let (p12, password) = (p12.to_vec(), zeroize::Zeroizing::new(password.to_owned()));
    wasm_bindgen_futures::future_to_promise(async move {
        let identity = kdf::import(&p12, &password).await.map_err(js_err)?;
        Ok(PendingIdentity { identity }.into())
    })
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
/// for RSA, a Promise of its key imported into WebCrypto (non-extractable) or `null`, and its
/// RSA keys imported for RSA-OAEP decryption (`webcrypto::import_oaep_keys`).
struct Unlocked {
    handle: u32,
    identity: Rc<crate::pkcs12::Identity>,
    signing_key: Option<js_sys::Promise>,
    oaep_keys: Vec<webcrypto::OaepKey>,
}

impl Unlocked {
    fn new(handle: u32, id: crate::pkcs12::Identity) -> Unlocked {
        let signing_key = webcrypto::import_signing_key(&id);
        let oaep_keys = webcrypto::import_oaep_keys(&id);
        Unlocked { handle, identity: Rc::new(id), signing_key, oaep_keys }
    }
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
        self.ids.push(Unlocked::new(self.next, id));
        Ok(self.next)
    }

    /// Keep an identity unlocked by [`unlock_async`] in this keyring; returns its handle
    /// (the JavaScript object is used up).
    pub fn add(&mut self, identity: PendingIdentity) -> u32 {
        self.next = self.next.wrapping_add(1);
        self.ids.push(Unlocked::new(self.next, identity.identity));
        self.next
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

    /// Facts of an identity's certificate and chain, leaf first.
    #[wasm_bindgen(unchecked_return_type = "CertFacts[]")]
    pub fn certificates(&self, handle: u32) -> std::result::Result<JsValue, JsValue> {
        let id = self.get(handle)?;
        let facts: Vec<_> = std::iter::once(&id.certificate).chain(id.chain.iter()).map(crate::cert::facts::facts).collect();
        to_js(&facts)
    }

    /// Facts of the certificate mail to this identity is encrypted to, when it is a separate
    /// encryption certificate; `null` when the identity's certificate does both.
    #[wasm_bindgen(js_name = encryptionCertificate, unchecked_return_type = "CertFacts | null")]
    pub fn encryption_certificate(&self, handle: u32) -> std::result::Result<JsValue, JsValue> {
        let id = self.get(handle)?;
        to_js(&id.encryption.as_ref().map(|e| crate::cert::facts::facts(&e.certificate)))
    }

    /// Join two unlocked identities, one whose certificate only signs and one whose
    /// certificate can be encrypted to, for the same address, into one identity with a
    /// separate encryption certificate (either order). Returns its handle; the two handles
    /// are gone. `unusable-identity` when they do not make such a pair (both stay unlocked).
    #[wasm_bindgen(js_name = pairIdentities)]
    pub fn pair_identities(&mut self, first: u32, second: u32) -> std::result::Result<u32, JsValue> {
        let (a, b) = (self.get(first)?, self.get(second)?);
        if first == second || a.encryption.is_some() || b.encryption.is_some() || !crate::pkcs12::complementary(&a.certificate, &b.certificate) {
            return Err(js_err(Error::new(
                crate::error::Code::UnusableIdentity,
                "These two certificates are not a signing and an encryption certificate for the same address.",
                "Import them as separate identities.",
            )));
        }
        // Both identities must be free (no call running with them) to be moved into one.
        let busy = self.ids.iter().filter(|u| u.handle == first || u.handle == second).any(|u| Rc::strong_count(&u.identity) > 1);
        if busy {
            return Err(js_err(Error::new(crate::error::Code::Usage, "The identity is in use.", "Try again when the current operation has finished.")));
        }
        let mut taken = Vec::new();
        for h in [first, second] {
            if let Some(pos) = self.ids.iter().position(|u| u.handle == h) {
                let u = self.ids.remove(pos);
                if let Ok(id) = Rc::try_unwrap(u.identity) {
                    taken.push(id);
                }
            }
        }
        let id = crate::pkcs12::pair(taken).map_err(js_err)?;
        self.next = self.next.wrapping_add(1);
        self.ids.push(Unlocked::new(self.next, id));
        Ok(self.next)
    }

    /// Sign a message (RFC 5322 + MIME): multipart/signed, or opaque signed-data.
    /// `at` is the signing time in seconds since 1970; `policy` the algorithm policy
    /// (absent: the standard one).
    pub fn sign(&self, handle: u32, message: &[u8], opaque: bool, at: f64, #[wasm_bindgen(unchecked_param_type = "Partial<Policy> | undefined")] policy: JsValue) -> std::result::Result<Vec<u8>, JsValue> {
        let id = self.get(handle)?;
        let at = unix(at)?;
        let policy = crate::boundary::policy(Some(&crate::boundary::PolicyValue(defined(&policy, 0)))).map_err(js_err)?;
        crate::smime::sign_message(message, id, opaque, at, &crate::mime::Limits::default(), &policy).map_err(js_err)
    }

    /// Open a message with every unlocked identity available for decryption.
    #[wasm_bindgen(unchecked_return_type = "{ report: OpenReport; content?: Uint8Array }")]
    pub fn open(&self, message: &[u8], #[wasm_bindgen(unchecked_param_type = "OpenOptions")] options: JsValue) -> std::result::Result<JsValue, JsValue> {
        let all: Vec<&crate::pkcs12::Identity> = self.ids.iter().map(|u| &*u.identity).collect();
        open_with(message, options, &all)
    }

    /// `open` with WebCrypto for digests, AES and RSA-OAEP key unwrapping (RSA PKCS#1 v1.5
    /// key transport stays in the core): a Promise of `{report, content}`, the same report
    /// as `open`. The content may be a view of `message` (the same buffer): the message must
    /// not be changed afterwards.
    #[wasm_bindgen(js_name = openAsync, unchecked_return_type = "Promise<{ report: OpenReport; content?: Uint8Array }>")]
    pub fn open_async(&self, message: js_sys::Uint8Array, #[wasm_bindgen(unchecked_param_type = "OpenOptions")] options: JsValue) -> std::result::Result<js_sys::Promise, JsValue> {
        let keys = self.ids.iter().flat_map(|u| u.oaep_keys.iter().cloned()).collect();
        open_async(message, options, self.ids.iter().map(|u| u.identity.clone()).collect(), keys)
    }

    /// `sign` with WebCrypto for the digest and the RSA signature: a Promise of the message bytes.
    #[wasm_bindgen(js_name = signAsync, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn sign_async(&self, handle: u32, message: &js_sys::Uint8Array, opaque: bool, at: f64, #[wasm_bindgen(unchecked_param_type = "Partial<Policy> | undefined")] policy: JsValue) -> std::result::Result<js_sys::Promise, JsValue> {
        let u = self.unlocked(handle)?;
        let at = unix(at)?;
        let policy = crate::boundary::policy(Some(&crate::boundary::PolicyValue(defined(&policy, 0)))).map_err(js_err)?;
        let (id, key) = (u.identity.clone(), u.signing_key.clone());
        // The message copied in once, with room in front of it: a clear-signed 7-bit message is
        // signed in this buffer (its new header sections written in front of its body), so the
        // Wasm memory holds it once (`smime::prepare_signing_in_place`). The capacity includes
        // room for the signature part, appended later. Allocated zeroed and cut to length
        // (`resize` zero-filled byte by byte in this size-optimised build: 12 % of signing 1 MB).
        let len = webcrypto::SIGN_GAP + message.length() as usize;
        let mut buf = vec![0u8; len + webcrypto::SIGN_TAIL];
        buf.truncate(len);
        if let Some(room) = buf.get_mut(webcrypto::SIGN_GAP..) {
            message.copy_to(room);
        }
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let (signed, from) = webcrypto::sign_in_place(&id, key, buf, opaque, at, &policy).await.map_err(js_err)?;
            Ok(js_sys::Uint8Array::from(signed.get(from..).unwrap_or_default()).into())
        }))
    }

    /// `encrypt` with WebCrypto for the AES content encryption (and, with `sign: true`,
    /// the signing digest and RSA signature): a Promise of the message bytes.
    #[wasm_bindgen(js_name = encryptAsync, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn encrypt_async(&self, handle: Option<u32>, message: &js_sys::Uint8Array, #[wasm_bindgen(unchecked_param_type = "EncryptOptions")] options: JsValue) -> std::result::Result<js_sys::Promise, JsValue> {
        let (recipients, options, at, policy) = encrypt_options(options)?;
        let sender = match handle {
            Some(h) => {
                let u = self.unlocked(h)?;
                Some((u.identity.clone(), u.signing_key.clone()))
            }
            None => None,
        };
        // The message copied in with room after it: the entity to encrypt is made in this
        // buffer (`smime::prepare_encryption_owned`), and its new header section and legacy
        // display make it a little longer than the message. Allocated zeroed and cut to length,
        // as `sign_async` does.
        let len = message.length() as usize;
        let mut buf = vec![0u8; len + webcrypto::ENTITY_ROOM];
        buf.truncate(len);
        message.copy_to(&mut buf);
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let message = buf;
            let sender = sender.as_ref().map(|(id, key)| (&**id, key.clone()));
            let out = webcrypto::encrypt(message, &recipients, sender, options, at, &policy).await.map_err(js_err)?;
            Ok(out.to_js().map_err(js_err)?.into())
        }))
    }

    /// Encrypt a message (SPEC sections 3 and 8, like `cachet encrypt`). `handle`, when given,
    /// is the sender's identity: the message is also encrypted to its certificate, and signed
    /// first with `sign: true`. `options`: `EncryptOptions` (`{recipients: [base64 DER], sign?,
    /// cipher?: "aes256-cbc" | "aes128-gcm" | "aes256-gcm", oaep?, capabilities?, policy?, at: seconds}`).
    pub fn encrypt(&self, handle: Option<u32>, message: &[u8], #[wasm_bindgen(unchecked_param_type = "EncryptOptions")] options: JsValue) -> std::result::Result<Vec<u8>, JsValue> {
        let (recipients, options, at, policy) = encrypt_options(options)?;
        let sender = match handle {
            Some(h) => Some(self.get(h)?),
            None => None,
        };
        crate::smime::encrypt_message(message, &recipients, sender, options, at, &crate::mime::Limits::default(), &policy).map_err(js_err)
    }

    /// What `encrypt` with these options would choose (content cipher, and per recipient and
    /// for the sender's own copy the key transport or key agreement), with the reasons in
    /// words, for the compose pane. `handle`, when given, is the sender's identity.
    #[wasm_bindgen(js_name = encryptionChoice, unchecked_return_type = "EncryptionChoice")]
    pub fn encryption_choice(&self, handle: Option<u32>, #[wasm_bindgen(unchecked_param_type = "EncryptOptions")] options: JsValue) -> std::result::Result<JsValue, JsValue> {
        let (recipients, options, _, policy) = encrypt_options(options)?;
        // The sender's own copy goes to their encryption certificate, as `encrypt` sends it.
        let sender = match handle {
            Some(h) => Some(self.get(h)?.encryption_certificate()),
            None => None,
        };
        to_js(&crate::smime::encryption_choice(&recipients, sender, &options, &policy))
    }

    /// `exportBackup` with WebCrypto's PBKDF2 for the password hashing of the bags (the MAC's
    /// stays in the core): a Promise of the file's bytes.
    #[wasm_bindgen(js_name = exportBackupAsync, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn export_backup_async(&self, handle: u32, new_password: &str) -> std::result::Result<js_sys::Promise, JsValue> {
        let id = self.unlocked(handle)?.identity.clone();
        let password = zeroize::Zeroizing::new(new_password.to_owned());
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let out = kdf::export_backup(&id, &password, crate::pkcs12::DEFAULT_BACKUP_ITERATIONS).await.map_err(js_err)?;
            Ok(js_sys::Uint8Array::from(out.as_slice()).into())
        }))
    }

    /// An encrypted PKCS#12 backup of an identity under a new password.
    #[wasm_bindgen(js_name = exportBackup)]
    pub fn export_backup(&self, handle: u32, new_password: &str) -> std::result::Result<Vec<u8>, JsValue> {
        crate::pkcs12::export_backup(self.get(handle)?, new_password, crate::pkcs12::DEFAULT_BACKUP_ITERATIONS).map_err(js_err)
    }
}

/// Build an unsigned message from draft fields (see `compose::Draft`).
#[wasm_bindgen(js_name = composeMessage)]
pub fn compose_message(#[wasm_bindgen(unchecked_param_type = "Draft")] draft: JsValue) -> std::result::Result<Vec<u8>, JsValue> {
    let draft: crate::compose::Draft = from_js_value("draft fields", draft)?;
    crate::compose::compose(&draft).map_err(js_err)
}

/// The wrapper of an encrypted draft, to sign and encrypt to the sender (see `draft::draft_message`).
#[wasm_bindgen(js_name = draftMessage)]
pub fn draft_message(#[wasm_bindgen(unchecked_param_type = "Draft")] draft: JsValue) -> std::result::Result<Vec<u8>, JsValue> {
    let draft: crate::compose::Draft = from_js_value("draft fields", draft)?;
    crate::draft::draft_message(&draft).map_err(js_err)
}

/// The encrypted draft with only From, Date, Message-ID, the fixed Subject and the marker outside (see `draft::stored_form`).
#[wasm_bindgen(js_name = draftStored)]
pub fn draft_stored(encrypted: &[u8]) -> std::result::Result<Vec<u8>, JsValue> {
    crate::draft::stored_form(encrypted, &crate::mime::Limits::default()).map_err(js_err)
}

/// Whether a stored message is one of Cachet's encrypted drafts (see `draft::is_draft`).
#[wasm_bindgen(js_name = isDraft)]
pub fn is_draft(bytes: &[u8]) -> bool {
    crate::draft::is_draft(bytes, &crate::mime::Limits::default())
}

/// The fields of a draft from its decrypted content (see `draft::read_draft`).
#[wasm_bindgen(js_name = readDraft, unchecked_return_type = "Draft")]
pub fn read_draft(content: &[u8]) -> std::result::Result<JsValue, JsValue> {
    to_js(&crate::draft::read_draft(content, &crate::mime::Limits::default()).map_err(js_err)?)
}

/// What a reader sees of a message or entity: decoded headers and parts (see `view`).
#[wasm_bindgen(js_name = viewMessage, unchecked_return_type = "MessageView")]
pub fn view_message(bytes: &[u8]) -> std::result::Result<JsValue, JsValue> {
    to_js(&crate::view::view(bytes, &crate::mime::Limits::default()).map_err(js_err)?)
}

/// The header fields `viewMessage` gives for `message`, read from its header section alone
/// (see `view::view_headers`): only the message's first bytes are copied into Wasm memory and
/// its body is not parsed, unless they do not settle it.
#[wasm_bindgen(js_name = viewHeaders, unchecked_return_type = "MessageView['headers']")]
pub fn view_headers(message: &js_sys::Uint8Array) -> std::result::Result<JsValue, JsValue> {
    let limits = crate::mime::Limits::default();
    let len = message.length() as usize;
    let first = message.subarray(0, crate::view::header_bytes(&limits).min(len) as u32).to_vec();
    to_js(&crate::view::view_headers(&first, len, &limits, || message.to_vec()).map_err(js_err)?)
}

/// The decoded bytes of the leaf at `path` of a message (see `view::part_bytes`), to save an attachment.
#[wasm_bindgen(js_name = partBytes)]
pub fn part_bytes(bytes: &[u8], path: &str) -> std::result::Result<Vec<u8>, JsValue> {
    crate::view::part_bytes(bytes, path, &crate::mime::Limits::default()).map_err(js_err)
}

/// The DNS-over-HTTPS query for the SMIMEA records of an address (RFC 8162, RFC 8484): the
/// owner name and the wire-format query, base64url (see `smimea::query`).
#[wasm_bindgen(js_name = smimeaQuery, unchecked_return_type = "SmimeaQuery")]
pub fn smimea_query(address: &str) -> std::result::Result<JsValue, JsValue> {
    to_js(&crate::smimea::query(address).map_err(js_err)?)
}

/// Read a resolver's answer (`application/dns-message` bytes) to `smimeaQuery(address)` at
/// time `at` (seconds since 1970): the accepted certificates, the rejected records with
/// reasons, and whether the resolver validated DNSSEC (see `smimea::read_answer`).
#[wasm_bindgen(js_name = smimeaRead, unchecked_return_type = "SmimeaLookup")]
pub fn smimea_read(address: &str, response: &[u8], at: f64) -> std::result::Result<JsValue, JsValue> {
    to_js(&crate::smimea::read_answer(address, response, unix(at)?).map_err(js_err)?)
}

/// The certificates of a file (PEM or DER) as an array of `{facts, der_base64}`, ready to store.
#[wasm_bindgen(js_name = certImport, unchecked_return_type = "FoundCertificate[]")]
pub fn cert_import(bytes: &[u8]) -> std::result::Result<JsValue, JsValue> {
    use der::Encode;
    let mut out = Vec::new();
    for c in crate::cert::facts::parse_certificates(bytes).map_err(js_err)? {
        let der = c.to_der().map_err(|e| js_err(Error::usage("Cannot encode a certificate.").with_detail(e)))?;
        out.push(crate::report::FoundCertificate { facts: crate::cert::facts::facts(&c), der_base64: base64::engine::general_purpose::STANDARD.encode(der) });
    }
    to_js(&out)
}

// ---- Identities, contacts, recipients (SPEC sections 3, 5, 6) ----

/// `[IdentityRecord]` → `[IdentityView]`: facts, expiry (`valid`, `expiring-soon`,
/// `expired`, `not-yet-valid`) and role (`active`, `decrypt-only`) of each identity.
#[wasm_bindgen(js_name = describeIdentities, unchecked_return_type = "IdentityView[]")]
pub fn describe_identities(#[wasm_bindgen(unchecked_param_type = "IdentityRecord[]")] records: JsValue, at: f64) -> std::result::Result<JsValue, JsValue> {
    let records: Vec<crate::identity::IdentityRecord> = from_js_value("identities", records)?;
    to_js(&crate::identity::describe_identities(&records, unix(at)?).map_err(js_err)?)
}

/// `[IdentityRecord]` → the record to sign mail from `address` with, or `null`.
#[wasm_bindgen(js_name = activeIdentity, unchecked_return_type = "IdentityRecord | null")]
pub fn active_identity(#[wasm_bindgen(unchecked_param_type = "IdentityRecord[]")] records: JsValue, address: &str, at: f64) -> std::result::Result<JsValue, JsValue> {
    let records: Vec<crate::identity::IdentityRecord> = from_js_value("identities", records)?;
    to_js(&crate::identity::active_identity(&records, address, unix(at)?))
}

/// `[base64 DER]` → the best certificate for `address` (`{index, facts, state}`) or `null`.
#[wasm_bindgen(js_name = bestCertificate, unchecked_return_type = "CertificateChoice | null")]
pub fn best_certificate(#[wasm_bindgen(unchecked_param_type = "string[]")] certificates: JsValue, address: &str, at: f64) -> std::result::Result<JsValue, JsValue> {
    let certificates: Vec<String> = from_js_value("certificates", certificates)?;
    to_js(&crate::identity::best_certificate(&certificates, address, unix(at)?))
}

/// `Contact` + a new certificate (base64 DER) → `CertificateChange` or `null`.
#[wasm_bindgen(js_name = certificateChange, unchecked_return_type = "CertificateChange | null")]
pub fn certificate_change(#[wasm_bindgen(unchecked_param_type = "Contact")] contact: JsValue, candidate_base64: &str, at: f64) -> std::result::Result<JsValue, JsValue> {
    let contact: crate::identity::Contact = from_js_value("contact", contact)?;
    to_js(&crate::identity::certificate_change(&contact, candidate_base64, unix(at)?).map_err(js_err)?)
}

/// Stored `LearnedCapabilities` (or `null`) + newly learned ones → the ones to keep.
#[wasm_bindgen(js_name = learnCapabilities, unchecked_return_type = "LearnedCapabilities")]
pub fn learn_capabilities(
    #[wasm_bindgen(unchecked_param_type = "LearnedCapabilities | null")] current: JsValue,
    #[wasm_bindgen(unchecked_param_type = "LearnedCapabilities")] learned: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let current: Option<crate::identity::LearnedCapabilities> = from_js_value("capabilities", current)?;
    let learned: crate::identity::LearnedCapabilities = from_js_value("capabilities", learned)?;
    to_js(&crate::identity::learn_capabilities(current.as_ref(), learned))
}

/// `RecipientOptions` (`{recipients, contacts?, trust?, pins?, known?, at}`) → `[RecipientStatus]`
/// (`ready`, `missing`, `expired`, `address-mismatch`, `untrusted`); `trust` are roots, `pins`
/// pinned certificates (base64 DER).
#[wasm_bindgen(js_name = recipientStatus, unchecked_return_type = "RecipientStatus[]")]
pub fn recipient_status(#[wasm_bindgen(unchecked_param_type = "RecipientOptions")] options: JsValue) -> std::result::Result<JsValue, JsValue> {
    let options: crate::identity::calls::RecipientOptions = from_js_value("recipient options", options)?;
    to_js(&crate::identity::calls::recipient_statuses_of(&options).map_err(js_err)?)
}

#[wasm_bindgen]
impl Keyring {
    /// The signed key-exchange request mail (or, with `kind: "renewal"`, the renewal
    /// announcement). `options`: `RequestCall` (`{to, at, kind?, from?, senderName?,
    /// subject?, text?, date?, messageId?}`).
    pub fn request(&self, handle: u32, #[wasm_bindgen(unchecked_param_type = "RequestCall")] options: JsValue) -> std::result::Result<Vec<u8>, JsValue> {
        let call: crate::request::RequestCall = from_js_value("options for the request mail", options)?;
        crate::request::request_call(self.get(handle)?, &call).map_err(js_err)
    }
}
