//! Identity, contact and recipient-status tests over a PKI made with `openssl ca` at test time.

use super::*;
use crate::cert::facts::{parse_certificates_der, sha256_fingerprint, summarize};
use cachet_testkit::{corpus, CaDir};
use crate::policy::Policy;
use sha2::{Digest, Sha256};
use std::process::Command;

const DAY: u64 = 86_400;

fn t(s: &str) -> UnixTime {
    UnixTime::parse_rfc3339(s).unwrap()
}

fn need_openssl() {
    let ok = Command::new("openssl").arg("version").output().map(|o| o.status.success()).unwrap_or(false);
    assert!(ok, "these tests need the openssl command: install the Debian package `openssl`");
}

const CA_EXT: &str = "basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n";

/// A CA directory ([`CaDir`]); certificates come back as base64 DER, exactly as `openssl` wrote them.
struct Pki(CaDir);

impl Pki {
    fn new(tag: &str) -> Pki {
        need_openssl();
        Pki(CaDir::new(tag))
    }

    /// Issue `name` (subject CN=`name`) with the RSA-2048 key `key` by `issuer` (None:
    /// self-signed), extensions `ext`, dates as YYYYMMDDHHMMSSZ.
    fn issue(&self, name: &str, key: &str, issuer: Option<&str>, ext: &str, from: &str, to: &str) -> String {
        self.0.key(key, "rsa:2048");
        let (_, der) = der::pem::decode_vec(&self.0.issue(name, name, key, issuer.map(|i| (i, i)), ext, (from, to), &[])).unwrap();
        base64::engine::general_purpose::STANDARD.encode(der)
    }
}

fn leaf_ext(email: &str, ku: &str) -> String {
    format!("basicConstraints = CA:FALSE\nkeyUsage = critical,{ku}\nextendedKeyUsage = emailProtection\nsubjectAltName = email:{email}\n")
}

fn sha(b64: &str) -> String {
    stored(b64).unwrap().facts.sha256
}

/// Alice's certificates over the years, Bob's, and one from an unknown CA.
struct World {
    root: String,
    old: String,
    cur: String,
    newer: String,
    sign_only: String,
    bob: String,
    stranger: String,
    /// The self-signed CA (cA=TRUE, no address) that issued `stranger`.
    other_root: String,
}

/// The world, made once per test process and shared: the tests only read it (the PKI's
/// folder goes when it is made; the certificates are kept as base64).
fn world() -> &'static World {
    static WORLD: std::sync::OnceLock<World> = std::sync::OnceLock::new();
    WORLD.get_or_init(|| make_world("ident-world"))
}

fn make_world(tag: &str) -> World {
    let p = Pki::new(tag);
    let root = p.issue("root", "root", None, CA_EXT, "20200101000000Z", "20400101000000Z");
    let enc = leaf_ext("alice@example.org", "digitalSignature,keyEncipherment");
    let old = p.issue("old", "alice1", Some("root"), &enc, "20230101000000Z", "20251231000000Z");
    let cur = p.issue("cur", "alice2", Some("root"), &enc, "20250101000000Z", "20270101000000Z");
    let newer = p.issue("newer", "alice2", Some("root"), &enc, "20260101000000Z", "20280101000000Z");
    let sign_only = p.issue("signonly", "alice3", Some("root"), &leaf_ext("alice@example.org", "digitalSignature"), "20260301000000Z", "20290101000000Z");
    let bob = p.issue("bob", "bob", Some("root"), &leaf_ext("bob@example.org", "digitalSignature,keyEncipherment"), "20250101000000Z", "20290101000000Z");
    let other = p.issue("otherroot", "otherroot", None, CA_EXT, "20200101000000Z", "20400101000000Z");
    let stranger = p.issue("stranger", "alice4", Some("otherroot"), &enc, "20260201000000Z", "20290101000000Z");
    World { root, old, cur, newer, sign_only, bob, stranger, other_root: other }
}

#[test]
fn expiry_boundaries() {
    let (nb, na) = (t("2026-01-01T00:00:00Z"), t("2027-01-01T00:00:00Z"));
    let st = |at: u64| expiry(nb, na, UnixTime(at)).state;
    assert_eq!(st(nb.0 - 1), ExpiryState::NotYetValid);
    assert_eq!(st(nb.0), ExpiryState::Valid);
    assert_eq!(st(na.0 - 30 * DAY - 1), ExpiryState::Valid);
    assert_eq!(st(na.0 - 30 * DAY), ExpiryState::ExpiringSoon);
    assert_eq!(st(na.0), ExpiryState::ExpiringSoon, "notAfter itself is still valid (RFC 5280)");
    assert_eq!(st(na.0 + 1), ExpiryState::Expired);
    let e = expiry(nb, na, UnixTime(na.0 - 30 * DAY));
    assert_eq!((e.days_left, e.not_before, e.not_after), (30, nb, na));
    assert_eq!(expiry(nb, na, UnixTime(na.0 - DAY + 1)).days_left, 0);
    assert_eq!(expiry(nb, na, UnixTime(na.0 + 5 * DAY)).days_left, 0);
    // A certificate shorter than 30 days is expiring-soon from its first second.
    assert_eq!(expiry(nb, UnixTime(nb.0 + 10 * DAY), nb).state, ExpiryState::ExpiringSoon);
    let json = serde_json::to_value(e).unwrap();
    assert_eq!(json["state"], "expiring-soon");
    assert_eq!(json["not_after"], "2027-01-01T00:00:00Z");
}

#[test]
fn best_certificate_choice() {
    let w = world();
    let all = vec![w.old.clone(), w.cur.clone(), w.newer.clone(), w.sign_only.clone(), w.bob.clone(), "not base64!".into()];
    // Mid 2026: newest valid encryption certificate; the sign-only one is newer but unusable.
    let c = best_certificate(&all, "alice@example.org", t("2026-06-01T00:00:00Z")).unwrap();
    assert_eq!((c.index, c.facts.sha256.clone(), c.state), (2, sha(&w.newer), ExpiryState::Valid));
    // Addresses compare without regard to ASCII case.
    assert_eq!(best_certificate(&all, "ALICE@Example.ORG", t("2026-06-01T00:00:00Z")).unwrap().index, 2);
    // Mid 2025: `newer` is not valid yet, `old` and `cur` are; `cur` is newer.
    assert_eq!(best_certificate(&all, "alice@example.org", t("2025-06-01T00:00:00Z")).unwrap().index, 1);
    // Late 2027: only `newer` remains, expiring soon.
    let c = best_certificate(&all, "alice@example.org", t("2027-12-15T00:00:00Z")).unwrap();
    assert_eq!((c.index, c.state), (2, ExpiryState::ExpiringSoon));
    // 2029: nothing valid; unknown address: nothing.
    assert!(best_certificate(&all, "alice@example.org", t("2029-06-01T00:00:00Z")).is_none());
    assert!(best_certificate(&all, "carol@example.org", t("2026-06-01T00:00:00Z")).is_none());
    assert_eq!(best_certificate(&all, "bob@example.org", t("2026-06-01T00:00:00Z")).unwrap().index, 4);
}

#[test]
fn changed_certificate_is_reported() {
    let w = world();
    let at = t("2026-06-01T00:00:00Z");
    let contact = Contact { address: "alice@example.org".into(), certificates: vec![w.old.clone(), w.cur.clone()], capabilities: None };
    let ch = certificate_change(&contact, &w.newer, at).unwrap().expect("a change");
    assert_eq!(ch.address, "alice@example.org");
    assert_eq!(ch.old.sha256, sha(&w.cur));
    assert_eq!(ch.new.sha256, sha(&w.newer));
    assert_eq!(ch.old.not_after, t("2027-01-01T00:00:00Z"));
    assert_eq!(ch.new.not_before, t("2026-01-01T00:00:00Z"));
    assert!(ch.new.issuer.contains("CN=root"), "{}", ch.new.issuer);
    assert!(ch.same_issuer && ch.same_key && ch.newer, "{ch:?}");
    // A certificate from another CA with another key.
    let ch = certificate_change(&contact, &w.stranger, at).unwrap().expect("a change");
    assert!(!ch.same_issuer && !ch.same_key && ch.newer, "{ch:?}");
    // Already stored, another address, or a first certificate: no change to report.
    assert!(certificate_change(&contact, &w.cur, at).unwrap().is_none());
    assert!(certificate_change(&contact, &w.bob, at).unwrap().is_none());
    let empty = Contact { address: "alice@example.org".into(), certificates: vec![], capabilities: None };
    assert!(certificate_change(&empty, &w.newer, at).unwrap().is_none());
    // When nothing stored is valid any more, the newest stored one is the old one.
    let expired_only = Contact { address: "alice@example.org".into(), certificates: vec![w.old.clone()], capabilities: None };
    let ch = certificate_change(&expired_only, &w.newer, at).unwrap().unwrap();
    assert_eq!(ch.old.sha256, sha(&w.old));
    assert!(!ch.same_key);
    // A damaged candidate is an error, not a panic.
    assert_eq!(certificate_change(&contact, "AAAA", at).unwrap_err().code, crate::error::Code::BadCertificate);
    assert_eq!(certificate_change(&contact, "%%%", at).unwrap_err().code, crate::error::Code::BadCertificate);
}

#[test]
fn recipient_statuses_per_spec() {
    let w = world();
    let anchors = parse_certificates_der(&base64::engine::general_purpose::STANDARD.decode(&w.root).unwrap()).unwrap();
    let anchors: Vec<_> = anchors.into_iter().map(|p| p.certificate).collect();
    let policy = Policy::standard();
    let trust = Trust { roots: &anchors, pins: &[], intermediates: &[], policy: &policy, at: t("2026-06-01T00:00:00Z") };
    let alice = "alice@example.org";
    let st = |certs: &[&String]| {
        let v: Vec<String> = certs.iter().map(|s| s.to_string()).collect();
        recipient_status(alice, &v, &trust)
    };
    assert_eq!(st(&[]).status, RecipientState::Missing);
    assert_eq!(recipient_status(alice, &["garbage".into()], &trust).status, RecipientState::Missing);
    let r = st(&[&w.bob]);
    assert_eq!((r.status, r.certificate.clone()), (RecipientState::AddressMismatch, None));
    let r = st(&[&w.sign_only]);
    assert_eq!(r.status, RecipientState::Missing);
    assert!(r.reason.contains("encryption"), "{}", r.reason);
    let r = st(&[&w.old]);
    assert_eq!(r.status, RecipientState::Expired);
    assert_eq!(r.certificate.unwrap().not_after, t("2025-12-31T00:00:00Z"));
    let r = st(&[&w.stranger]);
    assert_eq!(r.status, RecipientState::Untrusted);
    assert!(!r.reason.is_empty());
    let r = st(&[&w.old, &w.cur, &w.newer]);
    assert_eq!((r.status, r.index), (RecipientState::Ready, Some(2)));
    assert_eq!(r.certificate.unwrap().sha256, sha(&w.newer));
    assert!(r.reason.is_empty());
    // The newest certificate is untrusted: the trusted older one is used.
    let r = st(&[&w.stranger, &w.cur]);
    assert_eq!((r.status, r.index), (RecipientState::Ready, Some(1)));
    // Without anchors nothing is ready.
    let none = Trust { roots: &[], pins: &[], intermediates: &[], policy: &policy, at: trust.at };
    assert_eq!(recipient_status(alice, std::slice::from_ref(&w.cur), &none).status, RecipientState::Untrusted);
    // Pinning the certificate itself makes it trusted.
    let pinned: Vec<_> = parse_certificates_der(&base64::engine::general_purpose::STANDARD.decode(&w.stranger).unwrap()).unwrap().into_iter().map(|p| p.certificate).collect();
    let pin = Trust { roots: &[], pins: &pinned, intermediates: &[], policy: &policy, at: trust.at };
    assert_eq!(recipient_status(alice, std::slice::from_ref(&w.stranger), &pin).status, RecipientState::Ready);
    // ... only that certificate: a pin never issues. Pinning the stranger's self-signed CA
    // leaves what it issued untrusted (it is ready only with that CA as a root).
    let other: Vec<_> = parse_certificates_der(&base64::engine::general_purpose::STANDARD.decode(&w.other_root).unwrap()).unwrap().into_iter().map(|p| p.certificate).collect();
    let pinned_ca = Trust { roots: &[], pins: &other, intermediates: &[], policy: &policy, at: trust.at };
    let r = recipient_status(alice, std::slice::from_ref(&w.stranger), &pinned_ca);
    assert_eq!(r.status, RecipientState::Untrusted, "{}", r.reason);
    let as_root = Trust { roots: &other, pins: &[], intermediates: &[], policy: &policy, at: trust.at };
    assert_eq!(recipient_status(alice, std::slice::from_ref(&w.stranger), &as_root).status, RecipientState::Ready);
    // A pin counts only for the addresses the pinned certificate names.
    assert_eq!(recipient_status("mallory@example.org", std::slice::from_ref(&w.stranger), &pin).status, RecipientState::AddressMismatch);
    let r = crate::cert::chain::validate(&crate::cert::chain::ValidationInput {
        leaf: &pinned[0],
        intermediates: &[],
        roots: &[],
        pins: &pinned,
        address: Some("mallory@example.org"),
        at: trust.at,
        purpose: crate::cert::chain::Purpose::Encrypt,
        policy: &policy,
        max_depth: crate::cert::chain::DEFAULT_MAX_DEPTH,
    });
    assert_eq!(r.status, crate::cert::chain::PathStatus::UnknownCa);
    assert!(r.details.iter().any(|d| d.contains("not for mallory@example.org")), "{:?}", r.details);
    // Several recipients through the JSON call, as the Wasm export does it.
    let contacts = vec![
        Contact { address: "Alice@Example.org".into(), certificates: vec![w.cur.clone()], capabilities: None },
        Contact { address: "bob@example.org".into(), certificates: vec![w.bob.clone()], capabilities: None },
    ];
    let call = serde_json::json!({
        "recipients": ["alice@example.org", "bob@example.org", "carol@example.org"],
        "contacts": contacts, "trust": [w.root], "known": [], "at": trust.at.0,
    });
    let out: serde_json::Value = serde_json::from_str(&calls::recipient_statuses(&call.to_string()).unwrap()).unwrap();
    let statuses: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["ready", "ready", "missing"]);
    // Through JSON: the stranger's CA passed as a pin does not make its issue ready; as a
    // root (`trust`) it does; the stranger's own certificate as a pin is ready.
    let strangers = vec![Contact { address: "alice@example.org".into(), certificates: vec![w.stranger.clone()], capabilities: None }];
    let status_of = |extra: serde_json::Value| {
        let mut call = serde_json::json!({ "recipients": ["alice@example.org"], "contacts": strangers, "known": [], "at": trust.at.0 });
        for (k, v) in extra.as_object().unwrap() {
            call[k] = v.clone();
        }
        let out: serde_json::Value = serde_json::from_str(&calls::recipient_statuses(&call.to_string()).unwrap()).unwrap();
        out[0]["status"].as_str().unwrap().to_string()
    };
    assert_eq!(status_of(serde_json::json!({ "pins": [w.other_root] })), "untrusted");
    assert_eq!(status_of(serde_json::json!({ "trust": [w.other_root] })), "ready");
    assert_eq!(status_of(serde_json::json!({ "pins": [w.stranger] })), "ready");
    // Mid 2027 (time as RFC 3339 text) Alice's only stored certificate has expired.
    let call = serde_json::json!({ "recipients": ["alice@example.org"], "contacts": contacts, "trust": [w.root], "at": "2027-06-01T00:00:00Z" });
    let out: serde_json::Value = serde_json::from_str(&calls::recipient_statuses(&call.to_string()).unwrap()).unwrap();
    assert_eq!(out[0]["status"], "expired");
    assert_eq!(calls::recipient_statuses("{").unwrap_err().code, crate::error::Code::Usage);
}

#[test]
fn own_identities_and_key_history() {
    let w = world();
    let records = vec![
        IdentityRecord { id: "2023".into(), signing_certificate: w.old.clone(), encryption_certificate: None, retired: true },
        IdentityRecord { id: "2025".into(), signing_certificate: w.sign_only.clone(), encryption_certificate: Some(w.cur.clone()), retired: false },
    ];
    let at = t("2026-12-10T00:00:00Z");
    let views = describe_identities(&records, at).unwrap();
    assert_eq!(views.len(), 2);
    assert_eq!((views[0].role, views[0].state), (IdentityRole::DecryptOnly, ExpiryState::Expired));
    assert!(!views[0].separate_encryption_certificate);
    let v = &views[1];
    assert_eq!(v.role, IdentityRole::Active);
    assert!(v.separate_encryption_certificate);
    assert_eq!(v.signing.expiry.state, ExpiryState::Valid);
    assert_eq!(v.encryption.expiry.state, ExpiryState::ExpiringSoon, "cur ends 2027-01-01");
    assert_eq!(v.state, ExpiryState::ExpiringSoon, "the worse of the two");
    assert_eq!(v.encryption.facts.sha256, sha(&w.cur));
    assert_eq!(v.addresses, ["alice@example.org"]);
    let json = serde_json::to_value(v).unwrap();
    assert_eq!((json["role"].as_str(), json["state"].as_str()), (Some("active"), Some("expiring-soon")));
    assert_eq!(json["encryption"]["expiry"]["days_left"], 22);
    // Records round-trip through JSON as the shell stores them.
    let stored_json = serde_json::to_string(&records).unwrap();
    assert_eq!(serde_json::from_str::<Vec<IdentityRecord>>(&stored_json).unwrap(), records);
    // Signing identity: the active one; not the retired one even while it was valid.
    assert_eq!(active_identity(&records, "alice@example.org", at).unwrap().id, "2025");
    assert!(active_identity(&records, "alice@example.org", t("2025-06-01T00:00:00Z")).is_none());
    let mut unretired = records.clone();
    unretired[0].retired = false;
    assert_eq!(active_identity(&unretired, "alice@example.org", t("2025-06-01T00:00:00Z")).unwrap().id, "2023");
    assert!(active_identity(&records, "bob@example.org", at).is_none());
    // A damaged record is an error for the panel.
    let bad = vec![IdentityRecord { id: "x".into(), signing_certificate: "AAAA".into(), encryption_certificate: None, retired: false }];
    assert!(describe_identities(&bad, at).is_err());
    assert!(calls::describe_identities("[{\"id\":1}]", at).is_err());
}

#[test]
fn capabilities_keep_the_most_recent() {
    let caps = |algs: &[&str], time: Option<&str>| LearnedCapabilities {
        algorithms: algs.iter().map(|s| s.to_string()).collect(),
        signing_time: time.map(t),
        certificate_sha256: "AA".into(),
    };
    let old = caps(&["aes256-cbc"], Some("2026-01-01T00:00:00Z"));
    let new = caps(&["aes256-gcm", "aes256-cbc"], Some("2026-02-01T00:00:00Z"));
    assert_eq!(learn_capabilities(None, old.clone()), old);
    assert_eq!(learn_capabilities(Some(&old), new.clone()), new);
    assert_eq!(learn_capabilities(Some(&new), old.clone()), new, "an older message does not win");
    assert_eq!(learn_capabilities(Some(&new), caps(&["des-ede3-cbc"], None)), new);
    let untimed = caps(&["aes128-cbc"], None);
    assert_eq!(learn_capabilities(Some(&untimed), old.clone()), old);
    // The JSON call, with the time as the report prints it.
    let kept = calls::learn_capabilities(
        "null",
        r#"{"algorithms":["aes256-gcm"],"signing_time":"2026-03-01T10:00:00Z","certificate_sha256":"AB"}"#,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&kept).unwrap();
    assert_eq!(v["signing_time"], "2026-03-01T10:00:00Z");
    assert_eq!(v["algorithms"][0], "aes256-gcm");
}

#[test]
fn certificate_smime_capabilities_extension() {
    let p = Pki::new("ident-caps");
    // SEQUENCE { SEQUENCE { aes256-cbc }, SEQUENCE { rsaes-oaep } }
    let caps = "1.2.840.113549.1.9.15 = DER:301A300B060960864801650304012A300B06092A864886F70D010107\n";
    let ext = format!("{}{caps}", leaf_ext("dana@example.org", "keyEncipherment"));
    p.issue("root", "root", None, CA_EXT, "20200101000000Z", "20400101000000Z");
    let with = stored(&p.issue("with", "k", Some("root"), &ext, "20250101000000Z", "20300101000000Z")).unwrap();
    assert_eq!(with.facts.smime_capabilities, Some(vec!["aes256-cbc".to_string(), "rsaes-oaep".to_string()]));
    let without = stored(&p.issue("without", "k", Some("root"), &leaf_ext("dana@example.org", "keyEncipherment"), "20250101000000Z", "20300101000000Z")).unwrap();
    assert_eq!(without.facts.smime_capabilities, None);
    assert!(serde_json::to_value(&without.facts).unwrap().get("smime_capabilities").is_none());
    // A certificate written by Windows (.NET) with the extension.
    let Some(dir) = corpus("certificate_smime_capabilities_extension") else { return };
    let f = summarize(&std::fs::read(dir.join("bouncycastle-mail/dotnet_enc_cert.pem")).unwrap()).unwrap();
    let names = f[0].smime_capabilities.clone().expect("the extension is present");
    assert!(names.iter().any(|n| n == "des-ede3-cbc" || n == "rc2-cbc"), "{names:?}");
}

/// Fingerprints are over the bytes as received, even when re-encoding would change them:
/// a notBefore written as GeneralizedTime before 2050 is re-encoded by x509-cert as UTCTime.
#[test]
fn fingerprint_over_original_der() {
    // The shared world's root: self-signed, notBefore 2020-01-01 (UTCTime, as openssl writes it).
    let der = base64::engine::general_purpose::STANDARD.decode(&world().root).unwrap();
    // Rewrite notBefore UTCTime "200101000000Z" as GeneralizedTime "20200101000000Z",
    // growing Validity, TBSCertificate and Certificate by two bytes (all long-form except Validity).
    let utc = b"\x17\x0d200101000000Z";
    let pos = der.windows(utc.len()).position(|w| w == utc).expect("UTCTime notBefore");
    assert_eq!((der[0], der[1], der[4], der[5], der[pos - 2], der[pos - 1]), (0x30, 0x82, 0x30, 0x82, 0x30, 0x1e));
    let mut odd = der[..pos - 1].to_vec();
    odd.push(0x20);
    odd.extend_from_slice(b"\x18\x0f20200101000000Z");
    odd.extend_from_slice(&der[pos + utc.len()..]);
    for at in [2usize, 6] {
        let n = u16::from_be_bytes([odd[at], odd[at + 1]]) + 2;
        odd[at..at + 2].copy_from_slice(&n.to_be_bytes());
    }
    let parsed = crate::cert::facts::ParsedCertificate::from_der(&odd).unwrap();
    let want = crate::cert::facts::colon_hex(&Sha256::digest(&odd));
    assert_eq!(parsed.sha256(), want);
    assert_ne!(sha256_fingerprint(&parsed.certificate), want, "x509-cert re-encodes the time");
    assert_eq!(summarize(&odd).unwrap()[0].sha256, want);
    assert_eq!(stored(&base64::engine::general_purpose::STANDARD.encode(&odd)).unwrap().facts.sha256, want);
    assert_eq!(parsed.facts().not_before, t("2020-01-01T00:00:00Z"));
}
