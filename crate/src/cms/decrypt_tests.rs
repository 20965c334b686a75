//! Unit tests of the envelope code with keys made by `openssl` at test time: round trips,
//! damaged input at every length, and the ECDH key agreement opening only for the
//! recipient's key.
use super::decrypt::{decrypt, Outcome};
use super::envelope::encrypt;
use super::recipients::KeyTransport;
use crate::crypto::cipher::{ContentCipher, RustCrypto};
use cachet_testkit::TempDir;
use crate::pkcs12::Identity;

/// A key and self-signed certificate made by openssl (`newkey` like "rsa:2048" or "ec"), as
/// an identity (see `Identity::from_pem_files`).
fn identity(dir: &TempDir, name: &str, newkey: &[&str]) -> Identity {
    let key = format!("{name}.key");
    let pem = format!("{name}.pem");
    // The key is a kept one (cachet_testkit::pooled_key): "-newkey rsa:BITS" or "-newkey ec
    // -pkeyopt ec_paramgen_curve:CURVE" as genpkey arguments; what follows goes to `req`.
    let (genpkey, rest): (Vec<String>, &[&str]) = match newkey {
        ["-newkey", rsa, rest @ ..] if rsa.starts_with("rsa:") => (vec!["-algorithm".into(), "RSA".into(), "-pkeyopt".into(), format!("rsa_keygen_bits:{}", &rsa[4..])], rest),
        ["-newkey", "ec", "-pkeyopt", curve, rest @ ..] => (vec!["-algorithm".into(), "EC".into(), "-pkeyopt".into(), (*curve).to_string()], rest),
        _ => panic!("identity(): unexpected key arguments {newkey:?}"),
    };
    cachet_testkit::pooled_key(&genpkey.iter().map(String::as_str).collect::<Vec<_>>(), &dir.path(&key));
    let subj = format!("/CN={name}");
    let mut args = vec!["req", "-x509", "-new", "-nodes", "-days", "30", "-subj", &subj, "-key", &key, "-out", &pem];
    args.extend_from_slice(rest);
    dir.openssl(&args);
    Identity::from_pem_files(&dir.path(&key), &dir.path(&pem))
}

fn plaintext(d: &super::decrypt::Decryption) -> Option<Vec<u8>> {
    match &d.outcome {
        Outcome::Decrypted(p) => Some(p.to_vec()),
        _ => None,
    }
}

#[test]
fn round_trip_and_damage_never_panics() {
    let dir = TempDir::new("envelope-unit");
    let bob = identity(&dir, "bob", &["-newkey", "rsa:2048"]);
    let eve = identity(&dir, "eve", &["-newkey", "rsa:2048"]);
    let content = b"Content-Type: text/plain\r\n\r\nsecret text that spans a few AES blocks.\r\n";
    for (cipher, transport) in [
        (ContentCipher::Aes256Cbc, KeyTransport::Pkcs1v15),
        (ContentCipher::Aes128Gcm, KeyTransport::OaepSha256),
        (ContentCipher::Aes256Gcm, KeyTransport::Pkcs1v15),
    ] {
        let der = encrypt(content, &[(&bob.certificate, transport)], cipher, &RustCrypto).unwrap();
        let d = decrypt(&der, &[&eve, &bob], &crate::policy::Policy::standard(), &RustCrypto).unwrap();
        assert_eq!(plaintext(&d).as_deref(), Some(&content[..]), "{cipher:?}");
        assert_eq!(d.info.integrity_protected, cipher.is_aead());
        assert!(matches!(decrypt(&der, &[&eve], &crate::policy::Policy::standard(), &RustCrypto).unwrap().outcome, Outcome::NoKey));
        // Eve holding Bob's certificate but her own key: the envelope never opens.
        let mut fake = Identity::from_pem_files(&dir.path("eve.key"), &dir.path("eve.pem"));
        fake.certificate = bob.certificate.clone();
        assert!(matches!(decrypt(&der, &[&fake], &crate::policy::Policy::standard(), &RustCrypto).unwrap().outcome, Outcome::IntegrityFailure), "{cipher:?}");
        // Every truncation and many single-byte changes: an error or a failure outcome, never a panic,
        // and never wrong plaintext from GCM.
        for n in 0..der.len() {
            let _ = decrypt(&der[..n], &[&bob], &crate::policy::Policy::standard(), &RustCrypto);
        }
        for i in (0..der.len()).step_by(3) {
            let mut bad = der.clone();
            bad[i] ^= 0x5a;
            if let Ok(d) = decrypt(&bad, &[&bob], &crate::policy::Policy::standard(), &RustCrypto) {
                if let Some(p) = plaintext(&d) {
                    assert!(!cipher.is_aead() || p == content, "GCM never yields altered plaintext");
                }
            }
        }
    }
}

#[test]
fn ecdh_key_agreement_opens_only_for_the_recipient_key() {
    let dir = TempDir::new("kari-unit");
    for curve in ["P-256", "P-384"] {
        let curve_arg = format!("ec_paramgen_curve:{curve}");
        let fran = identity(&dir, "fran", &["-newkey", "ec", "-pkeyopt", &curve_arg]);
        let mallory = identity(&dir, "mallory", &["-newkey", "ec", "-pkeyopt", &curve_arg]);
        dir.write("msg.txt", b"Content-Type: text/plain\r\n\r\nfor Fran only\r\n");
        for (wrap, kdf) in [("-aes128-wrap", "sha256"), ("-aes256-wrap", "sha384")] {
            dir.openssl(&["cms", "-encrypt", "-binary", "-aes256", "-outform", "DER", "-in", "msg.txt", "-out", "kari.der", "-recip", "fran.pem", "-keyopt", &format!("ecdh_kdf_md:{kdf}"), "-wrap", wrap.trim_start_matches('-')]);
            let der = dir.read("kari.der");
            let d = decrypt(&der, &[&fran], &crate::policy::Policy::standard(), &RustCrypto).unwrap();
            assert_eq!(plaintext(&d).as_deref(), Some(&b"Content-Type: text/plain\r\n\r\nfor Fran only\r\n"[..]), "{curve} {wrap}");
            // Mallory's key presented with Fran's certificate does not open it.
            let mut fake = Identity::from_pem_files(&dir.path("mallory.key"), &dir.path("mallory.pem"));
            fake.certificate = fran.certificate.clone();
            assert!(matches!(decrypt(&der, &[&fake], &crate::policy::Policy::standard(), &RustCrypto).unwrap().outcome, Outcome::IntegrityFailure), "{curve} {wrap}");
            assert!(matches!(decrypt(&der, &[&mallory], &crate::policy::Policy::standard(), &RustCrypto).unwrap().outcome, Outcome::NoKey));
        }
    }
}

#[test]
fn encrypt_message_chooses_gcm_when_every_recipient_advertises_it_and_includes_the_sender() {
    use crate::smime::{encrypt_message, open, EncryptOptions, OpenInput};
    let dir = TempDir::new("encrypt-message-unit");
    // End-entity certificates that allow key encipherment (openssl's -x509 default is a CA).
    let ee = ["-newkey", "rsa:2048", "-addext", "basicConstraints=CA:FALSE", "-addext", "keyUsage=digitalSignature,keyEncipherment"];
    let bob = identity(&dir, "bob", &ee);
    let alice = identity(&dir, "alice", &ee);
    let msg = b"From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nhi\r\n";
    let limits = crate::mime::Limits::default();
    let policy = crate::policy::Policy::standard();
    for (gcm, want) in [(true, "authEnveloped-data"), (false, "enveloped-data")] {
        let names: Vec<String> = if gcm { vec!["aes256-gcm".into(), "aes256-cbc".into()] } else { vec!["aes256-cbc".into()] };
        let caps = crate::identity::LearnedCapabilities { algorithms: names, signing_time: None, certificate_sha256: String::new() };
        let options = EncryptOptions { capabilities: vec![Some(caps)], ..EncryptOptions::default() };
        let out = encrypt_message(msg, std::slice::from_ref(&bob.certificate), Some(&alice), options, crate::cert::validity::dates(&alice.certificate).0, &limits, &crate::policy::Policy::standard()).unwrap();
        assert!(String::from_utf8_lossy(&out).contains(&format!("smime-type={want}")));
        for reader in [&bob, &alice] {
            let ids = [reader];
            let input = OpenInput { roots: &[], pins: &[], known: &[], identities: &ids, passwords: &[], at: crate::time::UnixTime(0), policy: &policy, limits: &limits };
            let opened = open(&out, &input);
            assert_eq!(opened.report.status, crate::report::Status::Unsigned, "{:?}", opened.report);
            assert!(opened.content.unwrap().ends_with(b"\r\n\r\nhi\r\n"));
        }
    }
}

/// Open with the deferred bulk seam, answering every request with `answer`; returns the
/// result of the first complete run and the number of runs.
fn open_deferred(msg: &[u8], input: &crate::smime::OpenInput<'_>, answer: impl Fn(&crate::cms::bulk::Request) -> crate::cms::bulk::Answer) -> (crate::smime::Opened, usize) {
    use crate::cms::bulk::{Bulk, Deferred};
    let d = Deferred::for_message(msg);
    for run in 1..20 {
        d.begin_run();
        let opened = crate::smime::open_with(msg, input, &d);
        let mut again = d.incomplete();
        for (seq, r) in d.take_requests() {
            let a = answer(&r);
            again |= !d.answer(seq, &r, a);
        }
        if !again {
            return (opened, run);
        }
    }
    panic!("the deferred open did not converge");
}

#[test]
fn deferred_bulk_open_gives_the_portable_report_and_wrong_answers_are_caught() {
    use crate::cms::bulk::{compute_portable, Answer, Request};
    use crate::report::Status;
    use crate::smime::{encrypt_message, open, EncryptOptions, OpenInput};
    let dir = TempDir::new("deferred-open");
    let ee = ["-newkey", "rsa:2048", "-addext", "basicConstraints=CA:FALSE", "-addext", "keyUsage=digitalSignature,keyEncipherment", "-addext", "subjectAltName=email:alice@example.org"];
    let alice = identity(&dir, "alice", &ee);
    let msg = b"From: <alice@example.org>\r\nTo: <alice@example.org>\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nhello deferred\r\n";
    let (limits, policy) = (crate::mime::Limits::default(), crate::policy::Policy::standard());
    let anchors = [alice.certificate.clone()];
    let ids = [&alice];
    let input = OpenInput { roots: &[], pins: &anchors, known: &[], identities: &ids, passwords: &[], at: crate::time::UnixTime(0), policy: &policy, limits: &limits };
    let json = |o: &crate::smime::Opened| serde_json::to_string(&o.report).unwrap();
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes256Gcm] {
        let options = EncryptOptions { cipher: Some(cipher), sign: true, ..EncryptOptions::default() };
        let out = encrypt_message(msg, &[], Some(&alice), options, crate::cert::validity::dates(&alice.certificate).0, &limits, &crate::policy::Policy::standard()).unwrap();
        let portable = open(&out, &input);
        assert_eq!(portable.report.layers.len(), 2, "{}", json(&portable));
        let (deferred, runs) = open_deferred(&out, &input, |r| compute_portable(r).unwrap());
        // Decrypt; then the signed layer's digest match, assumed and confirmed.
        assert_eq!(runs, 2);
        assert_eq!(json(&deferred), json(&portable));
        assert_eq!(deferred.content, portable.content);
        // Wrong digests (of other data) leave the signed layer tampered.
        let (wrong, wrong_runs) = open_deferred(&out, &input, |r| match r {
            Request::Digest { alg, .. } => Answer::Digest(crate::crypto::digest(*alg, b"other content").unwrap()),
            other => compute_portable(other).unwrap(),
        });
        assert_eq!(wrong.report.layers.get(1).map(|l| l.status), Some(Status::Tampered), "{}", json(&wrong));
        // The contradicted assumption costs a run, and that run decrypts again (the plaintext
        // was handed to the run before, not kept).
        assert_eq!(wrong_runs, 4, "the contradicted assumption costs two runs");
        // A refused decryption is an integrity failure, with nothing shown.
        let (failed, _) = open_deferred(&out, &input, |_| Answer::Failed);
        assert_eq!(failed.report.layers.first().map(|l| l.status), Some(Status::IntegrityFailure));
        assert!(failed.content.is_none());
    }
}

#[test]
fn deferred_open_of_a_message_with_mixed_line_breaks_reports_them_in_every_run() {
    use crate::cms::bulk::compute_portable;
    use crate::smime::{encrypt_message, open, EncryptOptions, OpenInput};
    let dir = TempDir::new("deferred-mixed");
    let ee = ["-newkey", "rsa:2048", "-addext", "basicConstraints=CA:FALSE", "-addext", "keyUsage=digitalSignature,keyEncipherment", "-addext", "subjectAltName=email:alice@example.org"];
    let alice = identity(&dir, "alice", &ee);
    let msg = b"From: <alice@example.org>\r\nTo: <alice@example.org>\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nmixed\r\n";
    let (limits, policy) = (crate::mime::Limits::default(), crate::policy::Policy::standard());
    let anchors = [alice.certificate.clone()];
    let ids = [&alice];
    let input = OpenInput { roots: &[], pins: &anchors, known: &[], identities: &ids, passwords: &[], at: crate::time::UnixTime(0), policy: &policy, limits: &limits };
    let json = |o: &crate::smime::Opened| serde_json::to_string(&o.report).unwrap();
    let options = EncryptOptions { cipher: Some(ContentCipher::Aes256Cbc), sign: true, ..EncryptOptions::default() };
    let out = encrypt_message(msg, &[], Some(&alice), options, crate::cert::validity::dates(&alice.certificate).0, &limits, &crate::policy::Policy::standard()).unwrap();
    // The second header line ends in a bare LF: the first run finds the mix, the later runs
    // (which keep its verdict) report it too.
    let first = out.windows(2).position(|w| w == b"\r\n").unwrap();
    let second = first + 2 + out[first + 2..].windows(2).position(|w| w == b"\r\n").unwrap();
    let mut mixed = out.clone();
    mixed.remove(second);
    let portable = open(&mixed, &input);
    assert!(portable.report.repairs.iter().any(|r| r.code == "line-endings-mixed"), "{}", json(&portable));
    let (deferred, runs) = open_deferred(&mixed, &input, |r| compute_portable(r).unwrap());
    assert_eq!(runs, 2);
    assert_eq!(json(&deferred), json(&portable));
    assert_eq!(deferred.content, portable.content);
    // And the message in CRLF form has no such repair through the same seam.
    let (clean, _) = open_deferred(&out, &input, |r| compute_portable(r).unwrap());
    assert!(clean.report.repairs.iter().all(|r| r.code != "line-endings-mixed"), "{}", json(&clean));
}

#[test]
fn signing_and_encrypting_in_phases_with_supplied_results_round_trip() {
    use crate::crypto::cipher::Symmetric;
    use crate::report::Status;
    use crate::smime::{open, prepare_signing, EncryptOptions, OpenInput, SigningPhases};
    let dir = TempDir::new("phases");
    let ee = ["-newkey", "rsa:2048", "-addext", "basicConstraints=CA:FALSE", "-addext", "keyUsage=digitalSignature,keyEncipherment", "-addext", "subjectAltName=email:alice@example.org"];
    let alice = identity(&dir, "alice", &ee);
    let msg = b"From: <alice@example.org>\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nphases\r\n";
    let (limits, policy) = (crate::mime::Limits::default(), crate::policy::Policy::standard());
    let at = crate::time::UnixTime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs());
    let plan = prepare_signing(msg, &alice, false, at, &limits, &crate::policy::Policy::standard()).unwrap();
    let md = crate::crypto::digest(plan.digest_algorithm(), plan.content()).unwrap();
    assert!(plan.signed_attributes(&md[1..]).is_err(), "a digest of the wrong length is refused");
    let attrs = plan.signed_attributes(&md).unwrap();
    let (algorithm, value) = crate::cms::sign::sign_attributes(&alice, &attrs).unwrap();
    assert_eq!(Some(&algorithm), plan.external_signature_algorithm().unwrap().as_ref());
    let mut bad = value.clone();
    bad[0] ^= 1;
    let refused = prepare_signing(msg, &alice, false, at, &limits, &crate::policy::Policy::standard()).unwrap();
    let refused_attrs = refused.signed_attributes(&md).unwrap();
    assert!(refused.finish(refused_attrs, Some((algorithm.clone(), bad))).is_err(), "a signature that does not verify is refused");
    let signed = plan.finish(attrs, Some((algorithm, value))).unwrap();
    let plan = crate::smime::prepare_encryption(&signed, &[], Some(&alice), EncryptOptions { cipher: Some(ContentCipher::Aes256Gcm), ..EncryptOptions::default() }, &limits, &crate::policy::Policy::standard()).unwrap();
    let sealed = RustCrypto.encrypt(plan.cipher(), plan.key(), plan.iv(), b"", plan.content()).unwrap();
    let short = crate::crypto::cipher::Sealed { ciphertext: sealed.ciphertext[1..].to_vec(), tag: sealed.tag.clone() };
    let plan2 = crate::smime::prepare_encryption(&signed, &[], Some(&alice), EncryptOptions::default(), &limits, &crate::policy::Policy::standard()).unwrap();
    assert!(plan2.finish(short).is_err(), "a ciphertext of the wrong length is refused");
    let out = plan.finish(sealed).unwrap();
    let anchors = [alice.certificate.clone()];
    let ids = [&alice];
    let input = OpenInput { roots: &[], pins: &anchors, known: &[], identities: &ids, passwords: &[], at, policy: &policy, limits: &limits };
    let r = open(&out, &input).report;
    assert_eq!(r.layers.iter().map(|l| l.status).collect::<Vec<_>>(), vec![Status::Decrypted, Status::Valid], "{:?}", r);
}

// ---- Limits: many RecipientInfos, key-agreement keys, candidate keys (SPEC section 8) ----

/// A DER TLV with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The envelope `der` with its recipientInfos replaced by `infos` (encoded RecipientInfos,
/// written in this order, unsorted on purpose: readers must not depend on the order).
fn with_recipient_infos(der: &[u8], infos: &[Vec<u8>]) -> Vec<u8> {
    use cms::authenveloped_data::AuthEnvelopedData;
    use cms::content_info::ContentInfo;
    use cms::enveloped_data::EnvelopedData;
    use der::{Decode, Encode};
    let ci = ContentInfo::from_der(der).unwrap();
    let set = tlv(0x31, &infos.concat());
    let body = if ci.content_type == crate::oid::OID_ENVELOPED_DATA {
        let ed: EnvelopedData = ci.content.decode_as().unwrap();
        [ed.version.to_der().unwrap(), set, ed.encrypted_content.to_der().unwrap()].concat()
    } else {
        let ad: AuthEnvelopedData = ci.content.decode_as().unwrap();
        [ad.version.to_der().unwrap(), set, ad.auth_encrypted_content_info.to_der().unwrap(), ad.mac.to_der().unwrap()].concat()
    };
    tlv(0x30, &[ci.content_type.to_der().unwrap(), tlv(0xa0, &tlv(0x30, &body))].concat())
}

/// The encoded RecipientInfos of an envelope.
fn recipient_infos(der: &[u8]) -> Vec<cms::enveloped_data::RecipientInfo> {
    use cms::content_info::ContentInfo;
    use der::Decode;
    let ci = ContentInfo::from_der(der).unwrap();
    if ci.content_type == crate::oid::OID_ENVELOPED_DATA {
        ci.content.decode_as::<cms::enveloped_data::EnvelopedData>().unwrap().recip_infos.0.into_vec()
    } else {
        ci.content.decode_as::<cms::authenveloped_data::AuthEnvelopedData>().unwrap().recip_infos.0.into_vec()
    }
}

/// `ri` (a KTRI) re-addressed to a subject key identifier no certificate has.
fn unknown_ski(ri: &cms::enveloped_data::RecipientInfo, n: u32) -> Vec<u8> {
    use cms::enveloped_data::{RecipientIdentifier, RecipientInfo};
    use der::Encode;
    let RecipientInfo::Ktri(k) = ri else { panic!("not a KTRI") };
    let mut k = k.clone();
    let mut id = vec![0xee; 20];
    id[..4].copy_from_slice(&n.to_be_bytes());
    k.version = cms::content_info::CmsVersion::V2;
    k.rid = RecipientIdentifier::SubjectKeyIdentifier(x509_cert::ext::pkix::SubjectKeyIdentifier(der::asn1::OctetString::new(id).unwrap()));
    RecipientInfo::Ktri(k).to_der().unwrap()
}

/// Counts the content decryptions a run asks for (and the bytes handed to them).
struct Counting {
    decryptions: std::cell::Cell<usize>,
}

impl crate::cms::bulk::Bulk for Counting {
    fn digest(&self, alg: crate::crypto::DigestAlg, data: &[u8]) -> crate::error::Result<Vec<u8>> {
        crate::crypto::digest(alg, data)
    }
    fn decrypt(&self, c: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], data: &[u8], tag: Option<&[u8]>) -> Result<cachet_bytes::Wiped, crate::crypto::cipher::Failed> {
        use crate::crypto::cipher::Symmetric;
        self.decryptions.set(self.decryptions.get() + 1);
        RustCrypto.decrypt(c, key, iv, aad, data, tag)
    }
}

fn decrypt_counting(der: &[u8], ids: &[&Identity]) -> (super::decrypt::Decryption, usize) {
    let counter = Counting { decryptions: std::cell::Cell::new(0) };
    let d = super::decrypt::decrypt_with(der, ids, &crate::policy::Policy::standard(), &counter).unwrap();
    (d, counter.decryptions.get())
}

fn limit_detail(o: &Outcome) -> String {
    match o {
        Outcome::LimitExceeded(e) => {
            assert_eq!(e.code, crate::error::Code::LimitExceeded);
            e.detail.clone().unwrap_or_default()
        }
        Outcome::Decrypted(_) => "decrypted".into(),
        Outcome::NoKey => "no-key".into(),
        Outcome::IntegrityFailure => "integrity-failure".into(),
        Outcome::Refused(e) => format!("refused {e}"),
        Outcome::NeedsPassword { .. } => "needs-password".into(),
    }
}

#[test]
fn many_unknown_recipient_infos_cost_one_content_decryption() {
    use super::decrypt::MAX_CONTENT_DECRYPTIONS;
    use super::recipients::MAX_KEY_UNWRAPS;
    let dir = TempDir::new("many-ris");
    let bob = identity(&dir, "bob", &["-newkey", "rsa:2048"]);
    let carol = identity(&dir, "carol", &["-newkey", "rsa:2048"]);
    // 256 KB of content: every extra pass over it would show in the count.
    let mut content = b"Content-Type: text/plain\r\n\r\n".to_vec();
    content.extend(std::iter::repeat_n(b'x', 256 * 1024));
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes256Gcm] {
        let real = encrypt(&content, &[(&bob.certificate, KeyTransport::Pkcs1v15)], cipher, &RustCrypto).unwrap();
        let real_ri = recipient_infos(&real).remove(0);
        // Entries for other people (Carol's wrapped keys) under key ids nobody has: Bob's
        // key is tried on each by trial, and each gives a synthetic key.
        let others = encrypt(b"x", &[(&carol.certificate, KeyTransport::Pkcs1v15)], cipher, &RustCrypto).unwrap();
        let other_ri = recipient_infos(&others).remove(0);
        // (1) 20 unknown entries, then Bob's own under an unknown key id: opened by trial,
        // with one content decryption for CBC and at most the bound for GCM.
        let mut infos: Vec<Vec<u8>> = (0..20).map(|n| unknown_ski(&other_ri, n)).collect();
        infos.push(unknown_ski(&real_ri, 999));
        let der = with_recipient_infos(&real, &infos);
        let (d, n) = decrypt_counting(&der, &[&bob]);
        assert_eq!(plaintext(&d).as_deref(), Some(&content[..]), "{cipher:?}: {}", limit_detail(&d.outcome));
        assert!(d.info.opened_by_trial);
        if cipher.is_aead() {
            assert!(n <= MAX_CONTENT_DECRYPTIONS, "{cipher:?}: {n} decryptions");
        } else {
            assert_eq!(n, 1, "CBC: only the key whose padding checks out decrypts the content");
        }
        // (2) 255 unknown entries before Bob's: the unwrap budget ends the trial; the answer
        // names the limit (not no-key: Bob's entry was never reached).
        let mut infos: Vec<Vec<u8>> = (0..255).map(|n| unknown_ski(&other_ri, n)).collect();
        infos.push(unknown_ski(&real_ri, 999));
        let der = with_recipient_infos(&real, &infos);
        let (d, n) = decrypt_counting(&der, &[&bob, &carol]);
        let detail = limit_detail(&d.outcome);
        // (Decoding sorts the entries, so Bob's may or may not be within the budget.)
        assert!(detail.contains("MAX_KEY_UNWRAPS") || detail == "decrypted", "{cipher:?}: {detail}");
        assert!(n <= MAX_CONTENT_DECRYPTIONS, "{cipher:?}: {n} decryptions");
        let _ = MAX_KEY_UNWRAPS;
    }
}

#[test]
fn hostile_candidate_keys_are_bounded_and_never_a_wrong_verdict() {
    use super::decrypt::MAX_CONTENT_DECRYPTIONS;
    use super::recipients::build_ktri;
    use der::Encode;
    let dir = TempDir::new("hostile-keys");
    let bob = identity(&dir, "bob", &["-newkey", "rsa:2048"]);
    let mut content = b"Content-Type: text/plain\r\n\r\n".to_vec();
    content.extend(std::iter::repeat_n(b'y', 64 * 1024));
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes256Gcm] {
        let real = encrypt(&content, &[(&bob.certificate, KeyTransport::Pkcs1v15)], cipher, &RustCrypto).unwrap();
        // 20 entries naming Bob, each a valid wrapping of another 32-byte key: every one
        // unwraps to a key of the right length.
        let mut infos: Vec<Vec<u8>> = (0..20u8).map(|n| build_ktri(&bob.certificate, &[n; 32], KeyTransport::Pkcs1v15).unwrap().to_der().unwrap()).collect();
        infos.extend(recipient_infos(&real).iter().map(|ri| ri.to_der().unwrap()));
        let der = with_recipient_infos(&real, &infos);
        let (d, n) = decrypt_counting(&der, &[&bob]);
        assert!(n <= MAX_CONTENT_DECRYPTIONS, "{cipher:?}: {n} decryptions");
        if cipher.is_aead() {
            // Either the right key was among the first tried, or the limit is named.
            let detail = limit_detail(&d.outcome);
            assert!(detail == "decrypted" || detail.contains("MAX_CONTENT_DECRYPTIONS"), "{detail}");
            if detail == "decrypted" {
                assert_eq!(plaintext(&d).as_deref(), Some(&content[..]));
            }
        } else {
            // CBC: a wrong key passes the last block's padding check about once in 256; its
            // noise is not taken for the content while the right key is among the candidates.
            assert_eq!(plaintext(&d).as_deref(), Some(&content[..]), "{}", limit_detail(&d.outcome));
            assert!(n <= MAX_CONTENT_DECRYPTIONS, "CBC: {n} decryptions");
        }
        // Only wrong keys: integrity failure (every candidate tried). With CBC a wrong key
        // passes the padding check about once in 256 (here three tries, about one run in 85),
        // and when no candidate gives a MIME entity that noise is the fallback `decrypt`
        // returns (a single candidate's result, as ever): never the content.
        let wrong: Vec<Vec<u8>> = infos[..3].to_vec();
        let (d, n) = decrypt_counting(&with_recipient_infos(&real, &wrong), &[&bob]);
        assert!(n <= 3);
        match &d.outcome {
            Outcome::IntegrityFailure => {}
            Outcome::Decrypted(pt) if !cipher.is_aead() => {
                assert_ne!(&pt[..], &content[..]);
                assert!(!super::decrypt::looks_like_mime_for_tests(pt), "noise that looks like MIME");
            }
            other => panic!("{cipher:?}: {}", limit_detail(other)),
        }
    }
}

#[test]
fn too_many_recipients_is_malformed_naming_the_limit_with_a_capped_list() {
    use super::recipients::MAX_RECIPIENTS;
    use crate::report::Status;
    use crate::smime::{open, OpenInput};
    let dir = TempDir::new("too-many-ris");
    let bob = identity(&dir, "bob", &["-newkey", "rsa:2048"]);
    let real = encrypt(b"Content-Type: text/plain\r\n\r\nhi\r\n", &[(&bob.certificate, KeyTransport::Pkcs1v15)], ContentCipher::Aes256Cbc, &RustCrypto).unwrap();
    let real_ri = recipient_infos(&real).remove(0);
    use der::Encode;
    let bob_ri = real_ri.to_der().unwrap();
    // Small hostile entries (a KEK RecipientInfo is a few dozen bytes): 5,000 of them.
    let kek = |n: u32| tlv(0xa2, &[tlv(0x02, &[4]), tlv(0x30, &tlv(0x04, &n.to_be_bytes())), tlv(0x30, &tlv(0x06, &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2d])), tlv(0x04, &[0; 40])].concat());
    let (limits, policy) = (crate::mime::Limits::default(), crate::policy::Policy::standard());
    let ids = [&bob];
    let input = OpenInput { roots: &[], pins: &[], known: &[], identities: &ids, passwords: &[], at: crate::time::UnixTime(0), policy: &policy, limits: &limits };
    for (count, bob_first) in [(MAX_RECIPIENTS - 1, false), (MAX_RECIPIENTS, false), (MAX_RECIPIENTS, true), (5000, false)] {
        let mut infos: Vec<Vec<u8>> = (0..count as u32).map(kek).collect();
        if bob_first {
            infos.insert(0, bob_ri.clone());
        } else {
            infos.push(bob_ri.clone());
        }
        let der = with_recipient_infos(&real, &infos);
        let msg = crate::mime::build_pkcs7_mime(&[("From".into(), "<a@example.org>".into())], "enveloped-data", &der);
        let opened = open(&msg, &input);
        let total = count + 1;
        let layer = &opened.report.layers[0];
        if total <= MAX_RECIPIENTS {
            assert_eq!(layer.status, Status::Decrypted, "{total}");
            assert_eq!(layer.encryption.as_ref().unwrap().recipients.len(), total);
        } else {
            assert_eq!(opened.report.status, Status::Malformed, "{total}: {:?}", opened.report.status);
            assert_eq!(layer.status, Status::Malformed);
            let e = opened.report.error.as_ref().unwrap();
            assert_eq!(e.code, crate::error::Code::LimitExceeded);
            assert!(e.detail.as_deref().unwrap().contains("MAX_RECIPIENTS = 256"), "{e:?}");
            assert!(opened.report.diagnosis.iter().any(|d| d.id == "limit-exceeded" && d.message.contains("MAX_RECIPIENTS")));
            assert_eq!(layer.encryption.as_ref().unwrap().recipients.len(), MAX_RECIPIENTS, "the listed recipients are capped");
            assert!(serde_json::to_string(&opened.report).unwrap().len() < 100_000, "the report stays small");
        }
    }
}

#[test]
fn every_key_agreement_recipient_key_counts_against_the_limit() {
    use super::recipients::MAX_RECIPIENTS;
    use cms::enveloped_data::RecipientInfo;
    use der::Encode;
    let dir = TempDir::new("kari-many");
    let fran = identity(&dir, "fran", &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    dir.write("msg.txt", b"Content-Type: text/plain\r\n\r\nfor Fran\r\n");
    dir.openssl(&["cms", "-encrypt", "-binary", "-aes256", "-outform", "DER", "-in", "msg.txt", "-out", "kari.der", "-recip", "fran.pem"]);
    let der = dir.read("kari.der");
    let RecipientInfo::Kari(kari) = recipient_infos(&der).remove(0) else { panic!("no KARI") };
    for (keys, opens) in [(MAX_RECIPIENTS, true), (MAX_RECIPIENTS + 1, false), (20_000, false)] {
        let mut k = kari.clone();
        let one = k.recipient_enc_keys[0].clone();
        k.recipient_enc_keys = vec![one; keys];
        let hostile = with_recipient_infos(&der, &[RecipientInfo::Kari(k).to_der().unwrap()]);
        let d = decrypt(&hostile, &[&fran], &crate::policy::Policy::standard(), &RustCrypto).unwrap();
        assert!(d.info.recipients.len() <= MAX_RECIPIENTS);
        if opens {
            assert!(plaintext(&d).is_some(), "{keys}: {}", limit_detail(&d.outcome));
        } else {
            // The refusal is an outcome of its own, not a failed key agreement: `decrypt`
            // counts the keys before it tries any (no wall-clock check: speed is measured in
            // benchmarks, and a loaded machine made a time limit here fail).
            assert!(matches!(d.outcome, Outcome::LimitExceeded(_)), "{keys}");
            assert!(limit_detail(&d.outcome).contains("MAX_RECIPIENTS"), "{keys}: {}", limit_detail(&d.outcome));
        }
    }
}

#[test]
fn deferred_seam_asks_for_one_decryption_per_run_and_agrees_with_the_core() {
    use crate::cms::bulk::{compute_portable, Bulk, Deferred, Request};
    use crate::smime::{open, OpenInput};
    use der::Encode;
    let dir = TempDir::new("deferred-many");
    let bob = identity(&dir, "bob", &["-newkey", "rsa:2048"]);
    let mut content = b"Content-Type: text/plain\r\n\r\n".to_vec();
    content.extend(std::iter::repeat_n(b'z', 128 * 1024));
    let (limits, policy) = (crate::mime::Limits::default(), crate::policy::Policy::standard());
    let ids = [&bob];
    let input = OpenInput { roots: &[], pins: &[], known: &[], identities: &ids, passwords: &[], at: crate::time::UnixTime(0), policy: &policy, limits: &limits };
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes256Gcm] {
        let real = encrypt(&content, &[(&bob.certificate, KeyTransport::Pkcs1v15)], cipher, &RustCrypto).unwrap();
        let mut infos: Vec<Vec<u8>> = (0..6u8).map(|n| super::recipients::build_ktri(&bob.certificate, &[n; 32], KeyTransport::Pkcs1v15).unwrap().to_der().unwrap()).collect();
        infos.extend(recipient_infos(&real).iter().map(|ri| ri.to_der().unwrap()));
        let der = with_recipient_infos(&real, &infos);
        let smime_type = if cipher.is_aead() { "authEnveloped-data" } else { "enveloped-data" };
        let msg = crate::mime::build_pkcs7_mime(&[("From".into(), "<a@example.org>".into())], smime_type, &der);
        let portable = open(&msg, &input);
        let d = Deferred::new();
        let mut result = None;
        for _ in 0..20 {
            d.begin_run();
            let opened = crate::smime::open_with(&msg, &input, &d);
            let requests = d.take_requests();
            let decrypts = requests.iter().filter(|(_, r)| matches!(r, Request::Decrypt { .. })).count();
            assert!(decrypts <= 1, "{cipher:?}: {decrypts} decryption requests (copies of the content) in one run");
            let mut again = d.incomplete();
            for (seq, r) in requests {
                again |= !d.answer(seq, &r, compute_portable(&r).unwrap());
            }
            if !again {
                result = Some(opened);
                break;
            }
        }
        let deferred = result.expect("the deferred open converges");
        assert_eq!(serde_json::to_string(&deferred.report).unwrap(), serde_json::to_string(&portable.report).unwrap(), "{cipher:?}");
        assert_eq!(deferred.content, portable.content);
    }
}

thread_local! {
    /// Key, nonce and ciphertext with tag of the last [`gcm_with_nonce`] envelope.
    static LAST_SEALED: std::cell::RefCell<(Vec<u8>, Vec<u8>, Vec<u8>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new(), Vec::new())) };
}

fn gcm_last_sealed() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    LAST_SEALED.with(|l| l.borrow().clone())
}

/// An AuthEnvelopedData for Bob with AES-256-GCM under a nonce of `nonce_len` bytes.
fn gcm_with_nonce(bob: &Identity, content: &[u8], nonce_len: usize) -> Vec<u8> {
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use cms::authenveloped_data::AuthEnvelopedData;
    use cms::content_info::ContentInfo;
    use der::{Decode, Encode};
    let plan = super::envelope::prepare(content.len(), &[(&bob.certificate, KeyTransport::Pkcs1v15)], ContentCipher::Aes256Gcm).unwrap();
    let nonce: Vec<u8> = (0..nonce_len as u8).map(|i| i.wrapping_mul(37).wrapping_add(5)).collect();
    let mut buf = content.to_vec();
    let tag = match nonce_len {
        12 => aes_gcm::AesGcm::<aes::Aes256, cipher::consts::U12>::new_from_slice(plan.key()).unwrap().encrypt_inout_detached(nonce.as_slice().try_into().unwrap(), b"", buf.as_mut_slice().into()).unwrap().to_vec(),
        16 => aes_gcm::AesGcm::<aes::Aes256, cipher::consts::U16>::new_from_slice(plan.key()).unwrap().encrypt_inout_detached(nonce.as_slice().try_into().unwrap(), b"", buf.as_mut_slice().into()).unwrap().to_vec(),
        8 => aes_gcm::AesGcm::<aes::Aes256, cipher::consts::U8>::new_from_slice(plan.key()).unwrap().encrypt_inout_detached(nonce.as_slice().try_into().unwrap(), b"", buf.as_mut_slice().into()).unwrap().to_vec(),
        _ => unreachable!(),
    };
    LAST_SEALED.with(|l| *l.borrow_mut() = (plan.key().to_vec(), nonce.clone(), [buf.clone(), tag.clone()].concat()));
    let der = plan.assemble(crate::crypto::cipher::Sealed { ciphertext: vec![0; content.len()], tag: Some(vec![0; 16]) }).unwrap();
    let ci = ContentInfo::from_der(&der).unwrap();
    let mut ad: AuthEnvelopedData = ci.content.decode_as().unwrap();
    let params = tlv(0x30, &[tlv(0x04, &nonce), vec![0x02, 0x01, 16]].concat());
    ad.auth_encrypted_content_info.content_enc_alg.parameters = Some(der::Any::from_der(&params).unwrap());
    ad.auth_encrypted_content_info.encrypted_content = Some(der::asn1::OctetString::new(buf).unwrap());
    ad.mac = der::asn1::OctetString::new(tag).unwrap();
    ContentInfo { content_type: ci.content_type, content: der::Any::encode_from(&ad).unwrap() }.to_der().unwrap()
}

#[test]
fn gcm_nonce_lengths_have_one_answer_on_every_path() {
    use crate::cms::bulk::{compute_portable, Bulk, Deferred};
    let dir = TempDir::new("gcm-nonce");
    let bob = identity(&dir, "bob", &["-newkey", "rsa:2048"]);
    let content = b"Content-Type: text/plain\r\n\r\nnonce lengths\r\n";
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut sealed_by_len = Vec::new();
    for (len, opens) in [(12usize, true), (16, true), (8, false)] {
        let der = gcm_with_nonce(&bob, content, len);
        let d = decrypt(&der, &[&bob], &crate::policy::Policy::standard(), &RustCrypto).unwrap();
        match (&d.outcome, opens) {
            (Outcome::Decrypted(p), true) => assert_eq!(&p[..], &content[..]),
            (Outcome::Refused(e), false) => {
                assert_eq!(e.code, crate::error::Code::UnsupportedAlgorithm);
                assert!(e.message.contains(&format!("GCM nonce of {len} bytes")), "{e}");
            }
            _ => panic!("nonce of {len} bytes: {}", limit_detail(&d.outcome)),
        }
        // The deferred seam (what the Wasm async path drives with WebCrypto) gives the same
        // answer, and is never asked to decrypt a nonce length the core refuses.
        let deferred = Deferred::new();
        let mut outcome = None;
        for _ in 0..4 {
            deferred.begin_run();
            let d = super::decrypt::decrypt_with(&der, &[&bob], &crate::policy::Policy::standard(), &deferred).unwrap();
            let requests = deferred.take_requests();
            assert!(opens || requests.is_empty(), "a refused nonce reaches no backend");
            let mut again = deferred.incomplete();
            for (seq, r) in requests {
                again |= !deferred.answer(seq, &r, compute_portable(&r).unwrap());
            }
            if !again {
                outcome = Some(d.outcome);
                break;
            }
        }
        assert_eq!(matches!(outcome, Some(Outcome::Decrypted(_))), opens, "deferred, nonce of {len} bytes");
        // Python `cryptography` (OpenSSL's GCM with the IV length set) computes the same
        // ciphertext and tag for this nonce: RustCrypto's long-nonce GCM is the standard one
        // (SP 800-38D: a nonce other than 12 bytes is hashed into the first counter block).
        // (`openssl cms` 3.0 itself misreads nonces other than 12 bytes.) One python3 run
        // checks every length, after the loop.
        let (key, nonce, sealed) = gcm_last_sealed();
        sealed_by_len.push((len, [hex(&key), hex(&nonce), hex(content)], hex(&sealed)));
    }
    let py = cachet_testkit::python3()
        .arg("-c")
        .arg("import sys\nfrom cryptography.hazmat.primitives.ciphers.aead import AESGCM\na=sys.argv[1:]\nfor i in range(0,len(a),3):\n    k,n,m=(bytes.fromhex(x) for x in a[i:i+3])\n    print(AESGCM(k).encrypt(n,m,None).hex())")
        .args(sealed_by_len.iter().flat_map(|(_, args, _)| args))
        .output();
    match py {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), sealed_by_len.len(), "{text}");
            for ((len, _, sealed), line) in sealed_by_len.iter().zip(lines) {
                assert_eq!(line.trim(), sealed, "nonce of {len} bytes");
            }
        }
        other => eprintln!("SKIPPED: Python cryptography cross-check of the GCM nonces: {other:?}"),
    }
}

#[test]
fn cbc_noise_from_a_wrong_key_is_not_taken_for_the_content() {
    use super::decrypt::looks_like_mime_for_tests as looks;
    assert!(looks(b"Content-Type: text/plain\r\n\r\nhi"));
    assert!(looks(b"\r\nbody without headers"));
    assert!(looks(b"Subject: caf\xc3\xa9\n\nhi"));
    assert!(!looks(b"\x82\xad\xaf\x04 random noise: \xe1\xbc\r\n"));
    assert!(!looks(b"no colon on this line\r\n"));
    assert!(!looks(b"Content-Type: text/plain"), "no line break");
    assert!(!looks(&[b'a'; 2000]));
}

/// Run `decrypt_with` against a deferred seam that also defers RSA-OAEP, answering with the
/// core (what the Wasm host does when WebCrypto refuses): the outcome and the key transports
/// asked for.
fn decrypt_deferring_oaep(der: &[u8], ids: &[&Identity]) -> (Outcome, Vec<crate::crypto::DigestAlg>) {
    use crate::cms::bulk::{compute_portable_with, Bulk, Deferred, Request};
    let deferred = Deferred::new().with_key_transport();
    let mut asked = Vec::new();
    for _ in 0..6 {
        deferred.begin_run();
        let d = super::decrypt::decrypt_with(der, ids, &crate::policy::Policy::standard(), &deferred).unwrap();
        let mut again = deferred.incomplete();
        for (seq, r) in deferred.take_requests() {
            if let Request::KeyTransport { hash, .. } = &r {
                asked.push(*hash);
            }
            again |= !deferred.answer(seq, &r, compute_portable_with(&r, ids).unwrap());
        }
        if !again {
            return (d.outcome, asked);
        }
    }
    panic!("the deferred seam did not settle");
}

fn outcome_name(o: &Outcome) -> String {
    match o {
        Outcome::Decrypted(p) => format!("decrypted {} bytes", p.len()),
        Outcome::IntegrityFailure => "integrity-failure".into(),
        Outcome::NoKey => "no-key".into(),
        other => format!("other: {}", limit_detail(other)),
    }
}

#[test]
fn deferred_oaep_key_transport_gives_the_core_answers() {
    let dir = TempDir::new("deferred-oaep");
    let bob = identity(&dir, "bob", &["-newkey", "rsa:2048"]);
    let eve = identity(&dir, "eve", &["-newkey", "rsa:2048"]);
    let content = b"Content-Type: text/plain\r\n\r\ndeferred OAEP\r\n";
    dir.write("msg.txt", content);
    // openssl-made: default OAEP parameters (SHA-1), SHA-256, SHA-512, and two WebCrypto
    // cannot compute (SHA-256 with MGF1-SHA-1; a label), plus PKCS#1 v1.5.
    let cases: [(&str, &[&str], Option<crate::crypto::DigestAlg>); 6] = [
        ("sha1", &["-keyopt", "rsa_padding_mode:oaep"], Some(crate::crypto::DigestAlg::Sha1)),
        ("sha256", &["-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"], Some(crate::crypto::DigestAlg::Sha256)),
        ("sha512", &["-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha512"], Some(crate::crypto::DigestAlg::Sha512)),
        ("mgf1", &["-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha1"], None),
        ("label", &["-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_label:0011223344"], None),
        ("v15", &[], None),
    ];
    for (name, keyopts, deferred_hash) in cases {
        let out = format!("{name}.der");
        let mut args = vec!["cms", "-encrypt", "-binary", "-aes-256-cbc", "-outform", "DER", "-in", "msg.txt", "-out", &out, "-recip", "bob.pem"];
        args.extend_from_slice(keyopts);
        dir.openssl(&args);
        let der = dir.read(&out);
        let core = decrypt(&der, &[&eve, &bob], &crate::policy::Policy::standard(), &RustCrypto).unwrap();
        assert_eq!(plaintext(&core).as_deref(), Some(&content[..]), "{name}: the core opens it");
        let (outcome, asked) = decrypt_deferring_oaep(&der, &[&eve, &bob]);
        assert_eq!(outcome_name(&outcome), outcome_name(&core.outcome), "{name}");
        assert_eq!(asked, deferred_hash.into_iter().collect::<Vec<_>>(), "{name}: key transports deferred");
        // Eve alone with Bob's certificate: the unwrap fails on both paths alike.
        let mut fake = Identity::from_pem_files(&dir.path("eve.key"), &dir.path("eve.pem"));
        fake.certificate = bob.certificate.clone();
        let core = decrypt(&der, &[&fake], &crate::policy::Policy::standard(), &RustCrypto).unwrap();
        assert_eq!(outcome_name(&decrypt_deferring_oaep(&der, &[&fake]).0), outcome_name(&core.outcome), "{name}: wrong key");
        assert!(matches!(core.outcome, Outcome::IntegrityFailure), "{name}");
    }
}

/// Bob (a fresh RSA key in `dir`), `content` encrypted to him with `cipher` as a DER
/// ContentInfo, and that ContentInfo decoded: what the borrowing tests below read.
fn encrypted_to_bob(dir: &TempDir, content: &[u8], cipher: ContentCipher) -> (Identity, Vec<u8>, cms::content_info::ContentInfo) {
    use der::Decode;
    let bob = identity(dir, "bob", &["-newkey", "rsa:2048"]);
    let der = encrypt(content, &[(&bob.certificate, KeyTransport::Pkcs1v15)], cipher, &RustCrypto).unwrap();
    let ci = cms::content_info::ContentInfo::from_der(&der).unwrap();
    (bob, der, ci)
}

#[test]
fn der_envelope_content_is_borrowed_and_ber_content_still_reads() {
    use super::decrypt::enveloped_content_for_tests as enveloped;
    use der::Encode;
    let dir = TempDir::new("envelope-borrow");
    let content = b"Content-Type: text/plain\r\n\r\nborrowed, not copied: several AES blocks of text.\r\n".repeat(40);
    let (bob, der, ci) = encrypted_to_bob(&dir, &content, ContentCipher::Aes256Cbc);
    let raw = ci.content.to_der().unwrap();
    let inner = crate::asn1::ber::read_all(&raw).unwrap();
    let owned: cms::enveloped_data::EnvelopedData = ci.content.decode_as().unwrap();
    let want = owned.encrypted_content.encrypted_content.as_ref().unwrap().as_bytes().to_vec();
    let (infos, ciphertext, borrowed) = enveloped(inner.raw);
    assert_eq!(infos, owned.recip_infos.0.clone().into_vec());
    assert_eq!(ciphertext, want);
    assert!(borrowed, "DER: the ciphertext is a slice of the input");
    // The same envelope in BER: encryptedContent as a constructed [0] of two OCTET STRING
    // segments with indefinite lengths (as streaming encoders write it). Read by the cms crate.
    let eci = &owned.encrypted_content;
    let (a, b) = want.split_at(want.len() / 2);
    let segments = [vec![0xa0, 0x80], tlv(0x04, a), tlv(0x04, b), vec![0, 0]].concat();
    let eci_ber = [vec![0x30, 0x80], eci.content_type.to_der().unwrap(), eci.content_enc_alg.to_der().unwrap(), segments, vec![0, 0]].concat();
    let ed_ber = [vec![0x30, 0x80], owned.version.to_der().unwrap(), owned.recip_infos.to_der().unwrap(), eci_ber, vec![0, 0]].concat();
    let (infos_ber, ciphertext_ber, borrowed_ber) = enveloped(&ed_ber);
    assert_eq!(infos_ber, infos);
    assert_eq!(ciphertext_ber, want);
    assert!(!borrowed_ber);
    let ber = [vec![0x30, 0x80], ci.content_type.to_der().unwrap(), vec![0xa0, 0x80], ed_ber, vec![0, 0, 0, 0]].concat();
    for input in [&der, &ber] {
        let d = decrypt(input, &[&bob], &crate::policy::Policy::standard(), &RustCrypto).unwrap();
        assert_eq!(plaintext(&d).as_deref(), Some(&content[..]));
    }
}

#[test]
fn der_auth_envelope_content_is_borrowed() {
    use super::decrypt::auth_enveloped_content_for_tests as auth_enveloped;
    use der::Encode;
    let dir = TempDir::new("auth-envelope-borrow");
    let content = b"Content-Type: text/plain\r\n\r\nborrowed, not copied: GCM this time.\r\n".repeat(40);
    let (bob, der, ci) = encrypted_to_bob(&dir, &content, ContentCipher::Aes256Gcm);
    let raw = ci.content.to_der().unwrap();
    let inner = crate::asn1::ber::read_all(&raw).unwrap();
    let owned: cms::authenveloped_data::AuthEnvelopedData = ci.content.decode_as().unwrap();
    let (ciphertext, mac, borrowed) = auth_enveloped(inner.raw);
    assert_eq!(ciphertext, owned.auth_encrypted_content_info.encrypted_content.as_ref().unwrap().as_bytes());
    assert_eq!(mac, owned.mac.as_bytes());
    assert!(borrowed, "DER: the ciphertext is a slice of the input");
    let d = decrypt(&der, &[&bob], &crate::policy::Policy::standard(), &RustCrypto).unwrap();
    assert_eq!(plaintext(&d).as_deref(), Some(&content[..]));
}
