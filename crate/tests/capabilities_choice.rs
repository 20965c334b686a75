//! The per-message algorithm choice from what each recipient's mail program advertised
//! (SPEC section 4): SMIMECapabilities of real signed mail (OpenSSL's, Cachet's own, and
//! Thunderbird's and Outlook's from the shared corpus, read in place) and of a certificate's
//! extension choose AES-GCM or AES-CBC and RSA-OAEP or PKCS #1 v1.5; the reasons name what
//! was learned and when; OpenSSL and NSS decrypt what was chosen, and the read report says
//! what was used.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use cachet::smime::choice::{day, for_recipients, learned_from, EncryptionChoice};
use common::*;
use std::path::Path;

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// `cachet encrypt` with `--explain`: the message and the choice it printed.
fn encrypt_explained(dir: &TempDir, msg: &[u8], args: &[&str]) -> (Vec<u8>, EncryptionChoiceJson) {
    let explain = dir.path("choice.json");
    let out = run_with_input(cachet().arg("encrypt").args(args).arg("--explain").arg(&explain), msg);
    assert!(out.status.success(), "cachet encrypt {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (out.stdout, serde_json::from_slice(&std::fs::read(&explain).unwrap()).unwrap())
}

type EncryptionChoiceJson = serde_json::Value;

fn openssl_decrypts(dir: &TempDir, msg: &[u8], who: &Leaf) -> bool {
    let eml = dir.write("dec.eml", msg);
    let out = run_with_input(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&eml).arg("-recip").arg(&who.cert).arg("-inkey").arg(&who.key), b"");
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Bonjour")
}

/// The recipient entry of `choice` for `address`.
fn entry<'a>(choice: &'a EncryptionChoiceJson, address: &str) -> &'a serde_json::Value {
    choice["recipients"].as_array().unwrap().iter().find(|r| r["address"] == address).unwrap_or_else(|| panic!("{address} not in {choice:#}"))
}

#[test]
fn capabilities_of_real_signed_mail_choose_cipher_and_key_transport() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let carol = pki.leaf("carol", "carol@example.com", Key::Rsa2048, None, 365);
    let frank = pki.leaf("frank", "frank@example.com", Key::Rsa2048, None, 365);
    // Dana's certificate lists aes256-cbc and rsaes-oaep in an SMIMECapabilities extension.
    let dana_ext = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:dana@example.org\n1.2.840.113549.1.9.15 = DER:301A300B060960864801650304012A300B06092A864886F70D010107\n";
    let dana = pki.leaf("dana", "dana@example.org", Key::Rsa2048, Some(dana_ext), 365);
    let dir = TempDir::new("caps-choice-files");
    let today = day(cachet::time::UnixTime(now()));
    // Bob's signed mail, written by OpenSSL (its capabilities: AES-CBC, 3DES, RC2, no GCM).
    let content = dir.write("content.txt", b"Content-Type: text/plain\r\n\r\nHello from Bob.\r\n");
    let bob_signed = dir.path("bob-signed.eml");
    run(tool("openssl").args(["cms", "-sign", "-md", "sha256", "-in"]).arg(&content).arg("-signer").arg(&bob.cert).arg("-inkey").arg(&bob.key).arg("-out").arg(&bob_signed));
    let mut with_from = format!("From: <{}>\r\n", bob.email).into_bytes();
    with_from.extend_from_slice(&std::fs::read(&bob_signed).unwrap());
    std::fs::write(&bob_signed, with_from).unwrap();
    // Carol's signed mail, written by Cachet (AES-GCM, AES-CBC and RSA-OAEP).
    let carol_signed = dir.write("carol-signed.eml", &sign(&message(&carol.email, &alice.email), carol.p12(), &carol.password, &[]));
    let msg = message(&alice.email, &bob.email);
    let sender = ["--identity", p(alice.p12()), "--password-file", p(&alice.password)];

    // Carol alone (and Alice's own copy): AES-256-GCM with RSA-OAEP.
    let mut args = vec!["--recipient", p(&carol.cert), "--capabilities", p(&carol_signed)];
    args.extend(sender);
    let (enc, choice) = encrypt_explained(&dir, &msg, &args);
    assert_eq!(choice["content_cipher"], "aes256-gcm", "{choice:#}");
    assert!(String::from_utf8_lossy(&enc).contains("smime-type=authEnveloped-data"));
    let c = entry(&choice, &carol.email);
    assert_eq!(c["key_transport"], "rsa-oaep", "{choice:#}");
    assert_eq!(c["reason"].as_str().unwrap(), format!("advertised AES-GCM and RSA-OAEP in their signed mail of {today}; they read RSA-OAEP"));
    let own = entry(&choice, &alice.email);
    // The sender's own copy: GCM (Cachet reads it), PKCS #1 v1.5 (their other programs may hold the key).
    assert_eq!((own["own_copy"].as_bool(), own["key_transport"].as_str()), (Some(true), Some("rsa-pkcs1v15")), "{choice:#}");
    assert_eq!(own["reason"], "your own copy, read by Cachet (AES-GCM); PKCS #1 v1.5, which every S/MIME mail program reads");
    for who in [&carol, &alice] {
        assert!(openssl_decrypts(&dir, &enc, who), "openssl GCM+OAEP for {}", who.email);
    }
    // The reader sees what the sender used.
    let (report, _) = open(&enc, &["--identity", p(carol.p12()), "--password-file", p(&carol.password)]);
    let e = &report["layers"][0]["encryption"];
    assert_eq!(e["content_cipher"], "aes256-gcm", "{report:#}");
    let mut kinds: Vec<&str> = e["key_management"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["RSA PKCS #1 v1.5", "RSA-OAEP (SHA-256)"], "Carol's OAEP and Alice's own v1.5: {report:#}");

    // Bob and Carol: Bob did not advertise GCM, so AES-256-CBC for both; Bob gets v1.5, Carol OAEP.
    let args = ["--recipient", p(&bob.cert), "--recipient", p(&carol.cert), "--capabilities", p(&bob_signed), "--capabilities", p(&carol_signed)];
    let (enc, choice) = encrypt_explained(&dir, &msg, &args);
    assert_eq!(choice["content_cipher"], "aes256-cbc", "{choice:#}");
    assert_eq!(choice["reason"], "AES-256-CBC, which every S/MIME mail program reads: bob@example.net did not advertise AES-GCM.");
    let b = entry(&choice, &bob.email);
    assert_eq!(b["key_transport"], "rsa-pkcs1v15");
    assert_eq!(b["reads_gcm"], false);
    assert_eq!(b["reason"].as_str().unwrap(), format!("advertised AES-256-CBC but not AES-GCM in their signed mail of {today}; PKCS #1 v1.5, which every S/MIME mail program reads"));
    assert_eq!(entry(&choice, &carol.email)["key_transport"], "rsa-oaep");
    assert!(String::from_utf8_lossy(&enc).contains("smime-type=enveloped-data"));
    for who in [&bob, &carol] {
        assert!(openssl_decrypts(&dir, &enc, who), "openssl CBC for {}", who.email);
    }
    // NSS reads Bob's copy (CBC, PKCS #1 v1.5) of the message Cachet chose for him.
    let db = dir.path("nssdb");
    std::fs::create_dir_all(&db).unwrap();
    run(tool("certutil").arg("-N").arg("-d").arg(&db).arg("--empty-password"));
    run(tool("pk12util").arg("-i").arg(bob.p12()).arg("-d").arg(&db).args(["-W", "test-password"]));
    let bob_only = encrypt_explained(&dir, &msg, &["--recipient", p(&bob.cert), "--capabilities", p(&bob_signed)]).0;
    let der = dir.write("bob.der", &cms_blob(&bob_only));
    let nss = run_with_input(tool("cmsutil").arg("-D").arg("-i").arg(&der).arg("-d").arg(&db), b"");
    assert!(nss.status.success() && String::from_utf8_lossy(&nss.stdout).contains("Bonjour"), "NSS: {}", String::from_utf8_lossy(&nss.stderr));

    // Frank has no known capabilities: the interoperable default, and the reason says so.
    let (_, choice) = encrypt_explained(&dir, &msg, &["--recipient", p(&frank.cert), "--recipient", p(&carol.cert), "--capabilities", p(&carol_signed)]);
    assert_eq!(choice["content_cipher"], "aes256-cbc");
    assert_eq!(choice["reason"], "AES-256-CBC, which every S/MIME mail program reads: no capabilities are known yet for frank@example.com.");
    let f = entry(&choice, &frank.email);
    assert_eq!((f["key_transport"].as_str(), f["reason"].as_str()), (Some("rsa-pkcs1v15"), Some("no capabilities known yet; PKCS #1 v1.5, which every S/MIME mail program reads")));
    assert!(f.get("reads_gcm").is_none());

    // Dana's certificate asks for OAEP through its SMIMECapabilities extension.
    let (enc, choice) = encrypt_explained(&dir, &msg, &["--recipient", p(&dana.cert)]);
    let d = entry(&choice, &dana.email);
    assert_eq!((d["key_transport"].as_str(), d["reason"].as_str()), (Some("rsa-oaep"), Some("advertised AES-256-CBC but not AES-GCM and RSA-OAEP in their certificate; they read RSA-OAEP")), "{choice:#}");
    assert!(openssl_decrypts(&dir, &enc, &dana));

    // The user's explicit choice wins, and the reason says so.
    let (enc, choice) = encrypt_explained(&dir, &msg, &["--recipient", p(&bob.cert), "--capabilities", p(&bob_signed), "--cipher", "aes128-gcm", "--oaep"]);
    assert_eq!((choice["content_cipher"].as_str(), choice["reason"].as_str()), (Some("aes128-gcm"), Some("AES-128-GCM was chosen for this message.")));
    assert_eq!(entry(&choice, &bob.email)["key_transport"], "rsa-oaep");
    assert!(openssl_decrypts(&dir, &enc, &bob));
}

/// Capabilities as Thunderbird (NSS) and Outlook wrote them, from the shared corpus.
#[test]
fn capabilities_written_by_thunderbird_and_outlook() {
    let Some(corpus) = corpus("capabilities_written_by_thunderbird_and_outlook") else { return };
    let pki = shared_pki();
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let cert = cachet::cert::facts::parse_certificates(&std::fs::read(&bob.cert).unwrap()).unwrap().remove(0);
    let (policy, limits) = (cachet::policy::Policy::standard(), cachet::mime::Limits::default());
    let input = cachet::smime::OpenInput { roots: &[], pins: &[], known: &[], identities: &[], passwords: &[], at: cachet::time::UnixTime(now()), policy: &policy, limits: &limits };
    // (file, what its signer advertised, the cipher chosen, words of the reason)
    let cases = [
        ("thunderbird-comm-central/browser-smime-data/nested-sigs.eml", "aes256-cbc", "aes256-cbc", "advertised AES-256-CBC but not AES-GCM in their signed mail of 2 November 2021"),
        ("bouncycastle-mail/embeddedmulti.message", "des-ede3-cbc", "aes256-cbc", "advertised no AES cipher (it may not read this message) in their signed mail of 17 January 2007"),
        ("bouncycastle-mail/quotable.message", "des-ede3-cbc", "aes256-cbc", "advertised no AES cipher (it may not read this message) in their signed mail of 15 August 2006"),
    ];
    for (file, first, want, words) in cases {
        let report = cachet::smime::open(&std::fs::read(corpus.join(file)).unwrap(), &input).report;
        let learned = learned_from(&report);
        let signer = &report.layers[0].signers[0];
        let mut caps = if file.contains("nested-sigs") {
            // Thunderbird's outer signature does not verify (by design of that test message):
            // nothing is learned from it; its list is used as Thunderbird wrote it.
            assert_eq!(signer.signature, cachet::cms::verdict::SignatureCheck::DigestMismatch, "{file}");
            assert!(learned.is_empty(), "{file}: learned from a signature that does not verify");
            cachet::identity::LearnedCapabilities { algorithms: signer.smime_capabilities.clone(), signing_time: signer.signing_time, certificate_sha256: String::new() }
        } else {
            assert_eq!(learned.len(), 1, "{file}: {:?}", signer.signature);
            learned[0].clone()
        };
        assert_eq!(caps.algorithms[0], first, "{file}");
        // As the add-in stores them for Bob's address and certificate.
        caps.certificate_sha256 = cachet::cert::facts::facts(&cert).sha256;
        let options = cachet::smime::EncryptOptions { capabilities: for_recipients(std::slice::from_ref(&cert), &[caps]), ..Default::default() };
        let choice: EncryptionChoice = cachet::smime::encryption_choice(std::slice::from_ref(&cert), None, &options, &policy);
        assert_eq!(choice.content_cipher, want, "{file}");
        let r = &choice.recipients[0];
        assert!(r.reason.starts_with(words), "{file}: {}", r.reason);
        assert_eq!(r.reads_gcm, Some(false), "{file}");
    }
}

#[test]
fn capabilities_learned_with_another_certificate_do_not_decide_for_this_one() {
    let pki = shared_pki();
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let cert = cachet::cert::facts::parse_certificates(&std::fs::read(&bob.cert).unwrap()).unwrap().remove(0);
    let policy = cachet::policy::Policy::standard();
    let learned = |sha: String| cachet::identity::LearnedCapabilities { algorithms: vec!["aes256-gcm".into(), "rsaes-oaep".into()], signing_time: None, certificate_sha256: sha };
    let choose = |caps: cachet::identity::LearnedCapabilities| {
        let options = cachet::smime::EncryptOptions { capabilities: vec![Some(caps)], ..Default::default() };
        cachet::smime::encryption_choice(std::slice::from_ref(&cert), None, &options, &policy)
    };
    // Learned from mail signed with this certificate (or stored without saying which): used.
    let mine = cachet::cert::facts::facts(&cert).sha256;
    assert_eq!(choose(learned(mine)).content_cipher, "aes256-gcm");
    assert_eq!(choose(learned(String::new())).content_cipher, "aes256-gcm");
    // From mail signed with another certificate of theirs: not this one's mail program.
    let other = choose(learned("00:11".into()));
    assert_eq!(other.recipients[0].reads_gcm, None, "{:?}", other.recipients[0]);
    assert_eq!(other.content_cipher, "aes256-cbc");
}
