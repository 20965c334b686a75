//! The options the Wasm exports take from JavaScript, and the checks made on them before
//! the core sees them. They live outside `wasm` so the native tests cover them and the
//! TypeScript types of the add-in are generated from them (with every report type; see
//! the test at the end of this file, which keeps `addin/src/core/generated.ts` current).
//!
//! # Security
//! Everything here comes from the add-in's page; the Wasm exports decode it with
//! `serde-wasm-bindgen` into these types (unknown fields are ignored, wrong types are a
//! usage error) and then check what serde cannot: the validation time.

use crate::error::Result;
use serde::Deserialize;

pub use crate::time::{at, at_time, MAX_AT};

/// The policy object a caller passed, as it came: in the Wasm build the JavaScript value
/// itself (kept by `serde-wasm-bindgen`), natively a JSON value. Not decoded straight into
/// `Policy` with the options: the Wasm decoder reads only the fields a struct names, so a
/// misspelt field would pass unseen; [`policy`] refuses it.
#[derive(Debug, Clone, Default)]
pub struct PolicyValue(
    #[cfg(target_arch = "wasm32")] pub wasm_bindgen::JsValue,
    #[cfg(not(target_arch = "wasm32"))] pub serde_json::Value,
);

impl<'de> Deserialize<'de> for PolicyValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<PolicyValue, D::Error> {
        #[cfg(target_arch = "wasm32")]
        return serde_wasm_bindgen::preserve::deserialize(d).map(PolicyValue);
        #[cfg(not(target_arch = "wasm32"))]
        return serde_json::Value::deserialize(d).map(PolicyValue);
    }
}

/// The policy a caller passed (fields left out keep their SPEC section 4 value; an unknown
/// field or a wrong value is a usage error naming it, as [`crate::policy::Policy::from_json`]
/// says); absent or null: the standard policy. In the Wasm build the object is read without
/// a JSON library (which the module would otherwise carry for this alone): its keys checked
/// against [`crate::policy::Policy::FIELDS`], then decoded by `serde-wasm-bindgen`.
pub fn policy(value: Option<&PolicyValue>) -> Result<crate::policy::Policy> {
    let Some(PolicyValue(v)) = value else { return Ok(crate::policy::Policy::standard()) };
    #[cfg(target_arch = "wasm32")]
    {
        if v.is_undefined() || v.is_null() {
            return Ok(crate::policy::Policy::standard());
        }
        let object = wasm_bindgen::JsCast::dyn_ref::<js_sys::Object>(v).filter(|_| !js_sys::Array::is_array(v));
        let Some(object) = object else { return Err(crate::policy::bad_policy(&"the policy is not a JSON object")) };
        for key in js_sys::Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !crate::policy::Policy::FIELDS.contains(&key.as_str()) {
                return Err(crate::policy::bad_policy(&format!("unknown field `{key}`, expected one of {}", crate::policy::Policy::FIELDS.map(|f| format!("`{f}`")).join(", "))));
            }
        }
        serde_wasm_bindgen::from_value(v.clone()).map_err(|e| crate::policy::bad_policy(&e))
    }
    #[cfg(not(target_arch = "wasm32"))]
    match v {
        serde_json::Value::Null => Ok(crate::policy::Policy::standard()),
        v => crate::policy::Policy::from_value(v.clone()),
    }
}

/// Options of `openMessage`, `openMessageAsync`, `Keyring.open` and `Keyring.openAsync`.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OpenOptions {
    /// Validation time, seconds since 1970 (JavaScript passes `Date.now() / 1000`); required.
    #[cfg_attr(test, ts(type = "number"))]
    pub at: Option<f64>,
    /// Trusted roots (they issue certificates), base64 DER.
    #[cfg_attr(test, ts(optional = nullable))]
    pub trust: Vec<String>,
    /// Pinned certificates (each trusted only as itself, for the addresses it names; never an
    /// issuer), base64 DER.
    #[cfg_attr(test, ts(optional = nullable))]
    pub pins: Vec<String>,
    /// Other known certificates (contacts, intermediates), base64 DER.
    #[cfg_attr(test, ts(optional = nullable))]
    pub known: Vec<String>,
    /// The password of a password-encrypted message (RFC 3211), as the user typed it; the
    /// report says `needs-password` when it is missing or does not open the message.
    #[cfg_attr(test, ts(optional = nullable))]
    pub password: Option<String>,
    /// The algorithm policy (SPEC section 4); absent: the standard policy. Fields left out
    /// keep their standard values.
    #[cfg_attr(test, ts(optional, type = "Partial<Policy>"))]
    pub policy: Option<PolicyValue>,
    /// Every certificate the user ever had a key for (current, retired, backed up, deleted):
    /// a message that cannot be decrypted says which of them it needs.
    #[cfg_attr(test, ts(optional = nullable))]
    pub key_history: Vec<crate::identity::KnownKey>,
    /// The user explicitly asked to open RC2 or DES mail (SPEC section 4): decrypted with the
    /// weak-cipher warning instead of refused.
    #[cfg_attr(test, ts(optional = nullable))]
    pub open_legacy: bool,
}

/// Options of `Keyring.encrypt` and `Keyring.encryptAsync`.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EncryptOptions {
    /// Recipient certificates, base64 DER.
    pub recipients: Vec<String>,
    /// Sign (with the sender's identity) before encrypting.
    #[cfg_attr(test, ts(optional = nullable))]
    pub sign: bool,
    /// `aes256-cbc`, `aes128-gcm` or `aes256-gcm`; default: the policy's choice.
    #[cfg_attr(test, ts(optional))]
    pub cipher: Option<String>,
    /// RSAES-OAEP key transport instead of PKCS #1 v1.5.
    #[cfg_attr(test, ts(optional = nullable))]
    pub oaep: bool,
    /// Opaque signatures (signed-data) instead of clear-signed multipart/signed.
    #[cfg_attr(test, ts(optional = nullable))]
    pub opaque: bool,
    /// Triple wrapping: sign, encrypt, sign again (implies `sign`).
    #[cfg_attr(test, ts(optional = nullable))]
    pub triple_wrap: bool,
    /// What each recipient's mail program advertised (the contact's stored
    /// `LearnedCapabilities`, `null` when none are known), in the order of `recipients`: they
    /// choose the content cipher and key transport (see `EncryptionChoice`).
    #[cfg_attr(test, ts(optional = nullable))]
    pub capabilities: Vec<Option<crate::identity::LearnedCapabilities>>,
    /// Signing time, seconds since 1970; required.
    #[cfg_attr(test, ts(type = "number"))]
    pub at: Option<f64>,
    /// The algorithm policy (SPEC section 4); absent: the standard policy.
    #[cfg_attr(test, ts(optional, type = "Partial<Policy>"))]
    pub policy: Option<PolicyValue>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ts_rs::TS;
    use crate::time::UnixTime;

    #[test]
    fn at_is_required_and_checked() {
        assert_eq!(at(Some(1_700_000_000.5)).unwrap(), UnixTime(1_700_000_000));
        assert_eq!(at(Some(MAX_AT as f64)).unwrap(), UnixTime(MAX_AT));
        for bad in [None, Some(0.0), Some(-1.0), Some(f64::NAN), Some(f64::INFINITY), Some(MAX_AT as f64 + 1.0)] {
            let e = at(bad).unwrap_err();
            assert_eq!(e.code, crate::error::Code::Usage, "{bad:?}");
            assert!(e.message.starts_with("The time of the check"), "{bad:?}: {}", e.message);
            assert!(e.hint.contains("Date.now()"));
        }
    }

    /// Where the generated TypeScript lives, relative to the crate.
    const GENERATED: &str = "../addin/src/core/generated.ts";

    /// Every type that crosses the Wasm boundary, as TypeScript.
    fn generated() -> String {
        let cfg = ts_rs::Config::new().with_large_int("number");
        let mut out = String::from(
            "// Generated from the core's Rust types (crate/src/boundary.rs, test `typescript_is_current`);\n\
             // do not edit. Regenerate: CACHET_WRITE_TS=1 cargo test -p cachet --lib typescript_is_current\n\n",
        );
        macro_rules! decl {
            ($($t:ty),* $(,)?) => {$(
                out.push_str("export ");
                out.push_str(&<$t as TS>::decl(&cfg));
                out.push_str("\n\n");
            )*};
        }
        decl!(
            crate::time::UnixTime,
            crate::status::Status,
            crate::error::Code,
            crate::error::Error,
            crate::crypto::key::KeyInfo,
            crate::cert::facts::Usability,
            crate::cert::facts::CertFacts,
            crate::cert::chain::AnchorKind,
            crate::cert::chain::CertRef,
            crate::cert::chain::PathStatus,
            crate::cert::chain::PathReport,
            crate::cms::verdict::SignerId,
            crate::cms::verdict::SignatureCheck,
            crate::cms::verdict::AddressCheck,
            crate::cms::verdict::SignerReport,
            crate::report::LayerKind,
            crate::report::EncryptionInfo,
            crate::report::Layer,
            crate::report::Diagnosis,
            crate::report::Repair,
            crate::report::FoundCertificate,
            crate::report::HeaderMismatch,
            crate::report::ProtectedHeaders,
            crate::report::OpenReport,
            crate::view::Headers,
            crate::view::ViewPart,
            crate::view::MessageView,
            crate::compose::DraftAttachment,
            crate::compose::Draft,
            crate::request::RequestKind,
            crate::request::RequestOptions,
            crate::request::RequestCall,
            crate::identity::KeyState,
            crate::identity::KnownKey,
            crate::identity::ExpiryState,
            crate::identity::Expiry,
            crate::identity::IdentityRecord,
            crate::identity::IdentityRole,
            crate::identity::CertificateState,
            crate::identity::IdentityView,
            crate::identity::LearnedCapabilities,
            crate::identity::Contact,
            crate::identity::CertificateChoice,
            crate::identity::CertificateSummary,
            crate::identity::CertificateChange,
            crate::identity::RecipientState,
            crate::identity::RecipientStatus,
            crate::identity::calls::RecipientOptions,
            crate::smimea::SmimeaQuery,
            crate::smimea::SmimeaTrust,
            crate::smimea::SmimeaOutcome,
            crate::smimea::SmimeaCertificate,
            crate::smimea::SmimeaRejected,
            crate::smimea::SmimeaLookup,
            crate::smime::choice::RecipientChoice,
            crate::smime::choice::EncryptionChoice,
            crate::crypto::DigestAlg,
            crate::crypto::ContentCipher,
            crate::policy::Verdict,
            crate::policy::DigestRule,
            crate::policy::CipherRule,
            crate::policy::KeyTransport,
            crate::policy::Policy,
            OpenOptions,
            EncryptOptions,
        );
        format!("{}\n", out.trim_end())
    }

    /// The committed TypeScript matches the Rust types (so `npm test`, which runs this, and
    /// `tsc` catch any drift between the core and the add-in).
    #[test]
    fn typescript_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GENERATED);
        let want = generated();
        if std::env::var_os("CACHET_WRITE_TS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(have == want, "addin/src/core/generated.ts is stale: run CACHET_WRITE_TS=1 cargo test -p cachet --lib typescript_is_current");
    }
}
