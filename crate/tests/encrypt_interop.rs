//! Encryption interoperability, both directions, with real peers, and every outcome of
//! SPEC section 2 from a real message: Cachet encrypts → `openssl cms -decrypt`, NSS
//! `cmsutil -D`, `gpgsm --decrypt`, Python `pkcs7_decrypt_der`; each peer encrypts →
//! `cachet open` decrypts; the shared corpus's encrypted messages open as its README says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;
use std::path::{Path, PathBuf};

const SECRET: &str = "Bonjour, voil";

fn encrypt(msg: &[u8], args: &[&str]) -> Vec<u8> {
    let out = run_with_input(cachet().arg("encrypt").args(args), msg);
    assert!(out.status.success(), "cachet encrypt {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn ident(l: &Leaf) -> [&str; 4] {
    ["--identity", p(l.p12()), "--password-file", p(&l.password)]
}

/// A message whose body is a CMS blob, as a mail program would send it.
fn pkcs7_message(der: &[u8], smime_type: &str) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut m = format!("From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: enc\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type={smime_type}; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n").into_bytes();
    for chunk in b64.as_bytes().chunks(76) {
        m.extend_from_slice(chunk);
        m.extend_from_slice(b"\r\n");
    }
    m
}


fn layers(v: &serde_json::Value) -> Vec<(&str, &str)> {
    v["layers"].as_array().unwrap().iter().map(|l| (l["kind"].as_str().unwrap(), l["status"].as_str().unwrap())).collect()
}

fn nss_db(dir: &TempDir, p12: &Path) -> PathBuf {
    let db = dir.path("nssdb");
    std::fs::create_dir_all(&db).unwrap();
    run(tool("certutil").arg("-N").arg("-d").arg(&db).arg("--empty-password"));
    run(tool("pk12util").arg("-i").arg(p12).arg("-d").arg(&db).args(["-W", "test-password"]));
    db
}

fn gpgsm_home_with_key(dir: &TempDir, leaf: &Leaf, ca: &Path) -> PathBuf {
    let home = gpgsm_home(dir, ca);
    gpgsm_import_legacy(dir, &home, &leaf.key, &leaf.cert, &[]);
    home
}


/// Bob's decryption of each envelope named after his certificate and key: one line a file,
/// `ok` and the content in hex, or `error` and what Python raised.
const PY_DECRYPT: &str = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
cert = x509.load_pem_x509_certificate(open(sys.argv[1],'rb').read())
key = serialization.load_pem_private_key(open(sys.argv[2],'rb').read(), None)
for path in sys.argv[3:]:
    try:
        print('ok', pkcs7.pkcs7_decrypt_der(open(path,'rb').read(), cert, key, []).hex())
    except Exception as e:
        print('error', repr(e).replace('\n', ' '))
"#;

#[test]
fn cachet_encryption_decrypts_in_every_peer() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let msg = message(&alice.email, &bob.email);
    let dir = TempDir::new("enc-out-peers");
    let db = nss_db(&dir, bob.p12());
    let home = gpgsm_home_with_key(&dir, &bob, &pki.ca());
    // (cipher, OAEP, NSS and Python read it, gpgsm 2.2 reads it)
    let matrix: [(&str, bool, bool, bool); 5] = [
        ("aes256-cbc", false, true, true),
        ("aes256-cbc", true, false, false),
        ("aes128-gcm", false, false, false),
        ("aes256-gcm", false, false, false),
        ("aes256-gcm", true, false, false),
    ];
    let mut for_python = Vec::new();
    for (cipher, oaep, nss_py, gpg) in matrix {
        let mut args = vec!["--recipient", p(&bob.cert), "--cipher", cipher];
        args.extend(ident(&alice));
        if oaep {
            args.push("--oaep");
        }
        let enc = encrypt(&msg, &args);
        let text = String::from_utf8_lossy(&enc);
        let want_type = if cipher.ends_with("gcm") { "smime-type=authEnveloped-data" } else { "smime-type=enveloped-data" };
        assert!(text.contains(want_type) && text.contains("smime.p7m"), "{text}");
        assert!(text.contains("Subject:") && !text.contains(SECRET), "outer headers kept, body hidden");
        let eml = dir.write("out.eml", &enc);
        // OpenSSL: Bob, and Alice (the sender's own copy).
        for who in [&bob, &alice] {
            let out = run(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&eml).arg("-recip").arg(&who.cert).arg("-inkey").arg(&who.key));
            assert!(String::from_utf8_lossy(&out.stdout).contains(SECRET), "openssl {cipher} oaep={oaep}");
        }
        // The blob as Cachet wrote it (`openssl cms -cmsout` would re-encode and sort it).
        let der = dir.write(&format!("enc-{cipher}-{oaep}.der"), &cms_blob(&enc));
        let nss = run_with_input(tool("cmsutil").arg("-D").arg("-i").arg(&der).arg("-d").arg(&db), b"");
        let nss_ok = nss.status.success() && String::from_utf8_lossy(&nss.stdout).contains(SECRET);
        assert_eq!(nss_ok, nss_py, "NSS {cipher} oaep={oaep}: {}", String::from_utf8_lossy(&nss.stderr));
        // Python: after the loop, one process for every envelope.
        for_python.push((cipher, oaep, nss_py, der));
        // gpgsm 2.2 exits with an error when it holds no key for the first RecipientInfo,
        // even after decrypting with a later one: give it a message for Bob alone.
        let mut bob_only = vec!["--recipient", p(&bob.cert), "--cipher", cipher];
        if oaep {
            bob_only.push("--oaep");
        }
        let der = dir.write("bob-only.der", &cms_blob(&encrypt(&msg, &bob_only)));
        let g = run_with_input(tool("gpgsm").arg("--homedir").arg(&home).args(["--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--decrypt"]).arg(&der), b"pw\n");
        let g_ok = g.status.success() && String::from_utf8_lossy(&g.stdout).contains(SECRET);
        assert_eq!(g_ok, gpg, "gpgsm {cipher} oaep={oaep}: {:?} {}\n{}", g.status, String::from_utf8_lossy(&g.stdout), String::from_utf8_lossy(&g.stderr));
    }
    gpgsm_cleanup(&home);
    let py = run(tool("python3").arg("-c").arg(PY_DECRYPT).arg(&bob.cert).arg(&bob.key).args(for_python.iter().map(|(_, _, _, der)| der)));
    let stdout = String::from_utf8_lossy(&py.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), for_python.len(), "one line an envelope: {stdout}");
    for ((cipher, oaep, nss_py, _), line) in for_python.iter().zip(lines) {
        let py_ok = line.strip_prefix("ok ").is_some_and(|hex| String::from_utf8_lossy(&base16ct::lower::decode_vec(hex.trim()).unwrap()).contains(SECRET));
        assert_eq!(py_ok, *nss_py, "Python {cipher} oaep={oaep}: {line}");
    }
}

#[test]
fn every_peers_encryption_opens_in_cachet() {
    let pki = shared_pki();
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let dir = TempDir::new("enc-in-peers");
    let content = dir.write("content.txt", b"Content-Type: text/plain\r\n\r\nBonjour, voila le secret.\r\n");
    let open_der = |der: &[u8], what: &str, want: &str| {
        let smime_type = if der.windows(11).any(|w| w == [0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17].get(..11).unwrap()) { "authEnveloped-data" } else { "enveloped-data" };
        let cpath = dir.path(&format!("{what}.out"));
        let mut args = ident(&bob).to_vec();
        args.extend(["--content", p(&cpath)]);
        let (report, code) = open(&pkcs7_message(der, smime_type), &args);
        assert_eq!(status(&report), want, "{what}: {report:#}");
        assert_eq!(code == 0, want == "unsigned", "{what}: exit {code}");
        assert!(String::from_utf8_lossy(&std::fs::read(&cpath).unwrap()).contains("voila le secret"), "{what}");
        report
    };
    // OpenSSL, DER and BER (-stream), every cipher and key transport.
    for (what, extra) in [
        ("aes256", vec!["-aes256"]),
        ("aes128", vec!["-aes128"]),
        ("aes192", vec!["-aes192"]),
        ("aes256-stream", vec!["-aes256", "-stream"]),
        ("gcm256", vec!["-aes-256-gcm"]),
        ("gcm128-stream", vec!["-aes-128-gcm", "-stream"]),
        ("oaep-sha256", vec!["-aes256", "-recip", "RECIP", "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"]),
        ("oaep-sha1-gcm", vec!["-aes-256-gcm", "-recip", "RECIP", "-keyopt", "rsa_padding_mode:oaep"]),
        ("des3", vec!["-des3"]),
    ] {
        let out = dir.path(&format!("{what}.der"));
        let mut cmd = tool("openssl");
        cmd.args(["cms", "-encrypt", "-binary", "-outform", "DER"]).args(extra.iter().map(|a| if *a == "RECIP" { p(&bob.cert) } else { a })).arg("-in").arg(&content).arg("-out").arg(&out);
        if !extra.contains(&"RECIP") {
            cmd.arg(&bob.cert);
        }
        run(&mut cmd);
        let der = std::fs::read(&out).unwrap();
        if what.ends_with("stream") {
            assert_eq!(&der[..2], &[0x30, 0x80], "{what} is BER");
        }
        let report = open_der(&der, what, if what == "des3" { "weak-cipher" } else { "unsigned" });
        let enc = &report["layers"][0]["encryption"];
        assert_eq!(enc["integrity_protected"].as_bool(), Some(what.contains("gcm")), "{what}: {report:#}");
    }
    // NSS cmsutil -E (BER, indefinite lengths).
    let db = nss_db(&dir, bob.p12());
    let nss = dir.path("nss.der");
    run(tool("cmsutil").args(["-E", "-r", "bob@example.net"]).arg("-i").arg(&content).arg("-d").arg(&db).arg("-o").arg(&nss));
    open_der(&std::fs::read(&nss).unwrap(), "nss", "unsigned");
    // gpgsm --encrypt.
    let home = gpgsm_home_with_key(&dir, &bob, &pki.ca());
    let gs = dir.path("gpgsm.der");
    let g = run_with_input(tool("gpgsm").arg("--homedir").arg(&home).args(["--batch", "-r", "bob@example.net", "--encrypt", "-o"]).arg(&gs).arg(&content), b"");
    assert!(g.status.success(), "gpgsm encrypt: {}", String::from_utf8_lossy(&g.stderr));
    gpgsm_cleanup(&home);
    open_der(&std::fs::read(&gs).unwrap(), "gpgsm", "unsigned");
    // Python cryptography PKCS7EnvelopeBuilder, AES-128 and AES-256.
    let script = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7
cert = x509.load_pem_x509_certificate(open(sys.argv[1],'rb').read())
data = open(sys.argv[2],'rb').read()
for alg, out in ((algorithms.AES128, sys.argv[3]), (algorithms.AES256, sys.argv[4])):
    b = pkcs7.PKCS7EnvelopeBuilder().set_data(data).add_recipient(cert).set_content_encryption_algorithm(alg)
    open(out,'wb').write(b.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
"#;
    let (p1, p2) = (dir.path("py128.der"), dir.path("py256.der"));
    run(tool("python3").arg("-c").arg(script).arg(&bob.cert).arg(&content).arg(&p1).arg(&p2));
    open_der(&std::fs::read(&p1).unwrap(), "python-aes128", "unsigned");
    open_der(&std::fs::read(&p2).unwrap(), "python-aes256", "unsigned");
}

fn openssl_encrypt(dir: &TempDir, name: &str, content: &Path, cert: &Path, extra: &[&str]) -> Vec<u8> {
    let out = dir.path(&format!("{name}.der"));
    run(tool("openssl").args(["cms", "-encrypt", "-binary", "-outform", "DER"]).args(extra).arg("-in").arg(content).arg("-out").arg(&out).arg(cert));
    std::fs::read(&out).unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).expect("pattern in DER")
}

/// SPEC section 2, one real message per outcome.
#[test]
fn every_decryption_outcome_from_a_real_message() {
    let pki = shared_pki();
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let bob_old = pki.leaf("bob-old", "bob@example.net", Key::Rsa2048, None, 365);
    let carol = pki.leaf("carol", "carol@example.com", Key::Rsa2048, None, 365);
    let dir = TempDir::new("enc-outcomes-files");
    let content = dir.write("content.txt", b"Content-Type: text/plain\r\n\r\nThe launch code is 0000, and this line makes it longer than two blocks.\r\n");
    let cfile = dir.path("content.out");
    let with = |ids: &[&Leaf]| {
        let mut a: Vec<String> = Vec::new();
        for l in ids {
            a.extend(ident(l).iter().map(|s| s.to_string()));
        }
        a.extend(["--content".to_string(), p(&cfile).to_string()]);
        a
    };
    let open_as = |der: &[u8], ids: &[&Leaf], smime_type: &str| {
        let _ = std::fs::remove_file(&cfile);
        let args = with(ids);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        open(&pkcs7_message(der, smime_type), &refs)
    };

    // decrypted: headline `unsigned`, exit 0; an older key kept after renewal opens old mail.
    let cbc = openssl_encrypt(&dir, "cbc", &content, &bob_old.cert, &["-aes256"]);
    let (r, code) = open_as(&cbc, &[&bob, &bob_old], "enveloped-data");
    assert_eq!((status(&r), code), ("unsigned", 0), "{r:#}");
    assert_eq!(layers(&r), vec![("encrypted", "decrypted")]);
    assert_eq!(r["layers"][0]["encryption"]["content_cipher"], "aes256-cbc");
    assert!(std::fs::read_to_string(&cfile).unwrap().contains("launch code"));

    // no-key: the recipient is listed (issuer + serial) so the user knows which certificate.
    let (r, code) = open_as(&cbc, &[&carol], "enveloped-data");
    assert_eq!((status(&r), code), ("no-key", 3), "{r:#}");
    let rec = &r["layers"][0]["encryption"]["recipients"][0]["issuer_and_serial"];
    assert!(rec["issuer"].as_str().unwrap().contains("Cachet Test Root"), "{r:#}");
    let serial = String::from_utf8_lossy(&run(tool("openssl").args(["x509", "-noout", "-serial"]).arg("-in").arg(&bob_old.cert)).stdout).trim().trim_start_matches("serial=").to_string();
    assert_eq!(rec["serial"].as_str().unwrap().trim_start_matches('0'), serial.trim_start_matches('0'));
    assert!(r["diagnosis"].as_array().unwrap().iter().any(|d| d["id"] == "no-key" && d["message"].as_str().unwrap().contains("backup")), "{r:#}");
    assert!(!cfile.exists(), "no content for no-key");

    // integrity-failure: CBC padding broken (the penultimate block's last byte flips every pad byte value).
    let mut bad = cbc.clone();
    let at = bad.len() - 17;
    bad[at] ^= 0xff;
    let (r, code) = open_as(&bad, &[&bob_old], "enveloped-data");
    assert_eq!((status(&r), code), ("integrity-failure", 3), "{r:#}");
    assert!(!cfile.exists(), "never any partial plaintext");

    // integrity-failure: GCM tag mismatch after one ciphertext bit flips.
    let gcm = openssl_encrypt(&dir, "gcm", &content, &bob.cert, &["-aes-256-gcm"]);
    let mut bad = gcm.clone();
    let at = bad.len() - 30;
    bad[at] ^= 0x01;
    let (r, _) = open_as(&bad, &[&bob], "authEnveloped-data");
    assert_eq!(status(&r), "integrity-failure", "{r:#}");
    assert_eq!(r["layers"][0]["encryption"]["integrity_protected"], true);
    assert!(!cfile.exists());
    let (r, _) = open_as(&gcm, &[&bob], "authEnveloped-data");
    assert_eq!(status(&r), "unsigned", "{r:#}");

    // integrity-failure, not a distinct error, when the PKCS#1 v1.5 key block is damaged
    // (implicit rejection gives a synthetic key: same answer as a content failure, RFC 3218).
    let mut bad = cbc.clone();
    let at = find(&bad, &[0x04, 0x82, 0x01, 0x00]) + 40;
    bad[at] ^= 0x01;
    let (r, _) = open_as(&bad, &[&bob_old], "enveloped-data");
    assert_eq!(status(&r), "integrity-failure", "{r:#}");
    assert!(r.get("error").is_none(), "no error object that could tell padding from content: {r:#}");

    // weak-cipher: 3DES decrypts with a warning; DES and RC2 are refused with a clear message.
    let des3 = openssl_encrypt(&dir, "des3", &content, &bob.cert, &["-des3"]);
    let (r, code) = open_as(&des3, &[&bob], "enveloped-data");
    assert_eq!((status(&r), code), ("weak-cipher", 3), "{r:#}");
    assert!(std::fs::read_to_string(&cfile).unwrap().contains("launch code"));
    for (name, flag, word) in [("des", "-des", "DES"), ("rc2", "-rc2-40", "RC2")] {
        let der = openssl_encrypt(&dir, name, &content, &bob.cert, &["-provider", "legacy", "-provider", "default", flag]);
        let (r, code) = open_as(&der, &[&bob], "enveloped-data");
        assert_eq!((status(&r), code), ("weak-cipher", 3), "{name}: {r:#}");
        assert!(r["error"]["message"].as_str().unwrap().contains(word), "{r:#}");
        assert!(!cfile.exists(), "{name} is refused, not opened");
    }

    // Only part of the message encrypted, next to a part anyone could have added.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&gcm);
    let mixed = format!("From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: mixed\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b\r\nContent-Type: text/plain\r\n\r\nClick here to confirm.\r\n--b--\r\n");
    let args = with(&[&bob]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (r, _) = open(mixed.as_bytes(), &refs);
    assert_eq!(layers(&r), vec![("encrypted", "decrypted")], "{r:#}");
    let d = r["diagnosis"].as_array().unwrap().iter().find(|d| d["id"] == "partially-encrypted").unwrap_or_else(|| panic!("{r:#}"));
    assert!(d["appended_text"].as_str().unwrap().contains("Click here"), "{r:#}");

    // malformed: a truncated envelope.
    let (r, code) = open_as(&cbc[..cbc.len() - 40], &[&bob_old], "enveloped-data");
    assert_eq!((status(&r), code), ("malformed", 3), "{r:#}");
    assert_eq!(layers(&r), vec![("encrypted", "malformed")]);
}

#[test]
fn sign_then_encrypt_and_triple_wrapping() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let msg = message(&alice.email, &bob.email);
    let ca = pki.ca();
    let mut args = vec!["--recipient", p(&bob.cert), "--sign"];
    args.extend(ident(&alice));
    let enc = encrypt(&msg, &args);
    let dir = TempDir::new("enc-nested-files");
    // OpenSSL: decrypt, then verify the signed entity inside.
    let eml = dir.write("enc.eml", &enc);
    let inner = dir.path("inner.eml");
    run(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&eml).arg("-recip").arg(&bob.cert).arg("-inkey").arg(&bob.key).arg("-out").arg(&inner));
    run(tool("openssl").args(["cms", "-verify", "-purpose", "smimesign"]).arg("-in").arg(&inner).arg("-CAfile").arg(&ca).arg("-out").arg(dir.path("plain.txt")));
    assert!(String::from_utf8_lossy(&dir.read("plain.txt")).contains("Bonjour"));
    // Cachet: each layer in order.
    let mut open_args = ident(&bob).to_vec();
    open_args.extend(["--trust", p(&ca)]);
    let (r, code) = open(&enc, &open_args);
    assert_eq!((status(&r), code), ("valid", 0), "{r:#}");
    assert_eq!(layers(&r), vec![("encrypted", "decrypted"), ("signed", "valid")]);
    // Triple wrapping: signed, encrypted, signed.
    let triple = sign(&enc, alice.p12(), &alice.password, &[]);
    let (r, _) = open(&triple, &open_args);
    assert_eq!(layers(&r), vec![("signed", "valid"), ("encrypted", "decrypted"), ("signed", "valid")], "{r:#}");
    assert_eq!(status(&r), "valid");
    // Without Bob's key: the outer signature is still checked, the inner layer is no-key.
    let (r, _) = open(&triple, &["--trust", p(&ca)]);
    assert_eq!(layers(&r), vec![("signed", "valid"), ("encrypted", "no-key")], "{r:#}");
}

#[test]
fn refuses_certificates_that_cannot_receive_encrypted_mail() {
    let pki = shared_pki();
    let ext = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\nsubjectAltName=email:sign-only@example.net\n";
    let signer = pki.leaf("signonly", "sign-only@example.net", Key::Rsa2048, Some(ext), 365);
    let out = run_with_input(cachet().arg("encrypt").arg("--recipient").arg(&signer.cert), &message("a@example.org", "sign-only@example.net"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sign-only@example.net") && err.contains("key encipherment"), "{err}");
    let pss = pki.leaf("pss", "pss@example.net", Key::RsaPss, None, 365);
    let out = run_with_input(cachet().arg("encrypt").arg("--recipient").arg(&pss.cert), &message("a@example.org", "pss@example.net"));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn sizes_round_trip() {
    let pki = shared_pki();
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    for (size, cipher) in [(2 * 1024, "aes256-cbc"), (1024 * 1024, "aes256-gcm"), (25 * 1024 * 1024, "aes256-cbc")] {
        let mut msg = b"From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n".to_vec();
        let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
        while msg.len() < size {
            msg.extend_from_slice(line);
        }
        let enc = encrypt(&msg, &["--recipient", p(&bob.cert), "--cipher", cipher]);
        let dir = TempDir::new("enc-size");
        let out = dir.path("content.out");
        let mut args = ident(&bob).to_vec();
        args.extend(["--content", p(&out)]);
        let (r, code) = open(&enc, &args);
        assert_eq!((status(&r), code), ("unsigned", 0), "{size}: {r:#}");
        let got = std::fs::read(&out).unwrap();
        let body = &msg[msg.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
        assert!(got.ends_with(body), "{size} bytes come back intact");
        // The CLI writes the base64 block by block: openssl reads the same content.
        let enc_file = dir.path("enc.eml");
        std::fs::write(&enc_file, &enc).unwrap();
        let peer_out = dir.path("openssl.out");
        run(tool("openssl").args(["cms", "-decrypt", "-binary", "-recip"]).arg(&bob.cert).arg("-inkey").arg(&bob.key).arg("-in").arg(&enc_file).arg("-out").arg(&peer_out));
        assert_eq!(std::fs::read(&peer_out).unwrap(), got, "{size}: openssl decrypts what Cachet opens");
    }
}

/// Every encrypted message of the shared corpus opens (or fails) as its README says.
#[test]
fn corpus_encrypted_messages() {
    let Some(corpus) = corpus("corpus_encrypted_messages") else { return };
    let tb = corpus.join("thunderbird-comm-central");
    let dir = TempDir::new("enc-corpus");
    let pw = dir.write("pw", b"nss");
    let (bob_p12, test_ca, alice_p12) = (tb.join("smime/Bob.p12"), tb.join("smime/TestCA.pem"), tb.join("smime/Alice.p12"));
    let bob_args = ["--identity", p(&bob_p12), "--password-file", p(&pw), "--trust", p(&test_ca), "--at", "2026-11-29T12:00:00Z"];
    let mut count = 0;
    for entry in std::fs::read_dir(tb.join("smime")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".eml") || !name.contains(".env") {
            continue;
        }
        count += 1;
        let (r, _) = open(&std::fs::read(&path).unwrap(), &bob_args);
        let l = layers(&r);
        assert!(l.contains(&("encrypted", "decrypted")), "{name}: {r:#}");
        // Layers read left to right from the inside out in the file name; the report lists them outside in.
        let enc_pos = l.iter().position(|x| x.0 == "encrypted").unwrap();
        let inside_env = name.split(".env").next().unwrap().contains("sig");
        assert_eq!(l.len() > enc_pos + 1, inside_env, "{name}: {l:?}");
        // Signatures made before encryption verify (SHA-1 is flagged, never accepted as valid).
        if inside_env && !name.contains(".env.") {
            let want = if name.contains("SHA1") { "weak-algorithm" } else { "valid" };
            assert_eq!(status(&r), want, "{name}: {r:#}");
        }
        if name == "alice.env.eml" {
            assert_eq!(status(&r), "unsigned");
        }
    }
    assert!(count >= 20, "expected the Thunderbird enveloped messages, found {count}");
    // A message encrypted to Bob does not open with Alice's key.
    let alice_args = ["--identity", p(&alice_p12), "--password-file", p(&pw)];
    let (r, _) = open(&std::fs::read(tb.join("smime/alice.env.eml")).unwrap(), &alice_args);
    assert_eq!(status(&r), "no-key", "{r:#}");
    // smime-interop: OpenSSL's OAEP variants (label, SHA-256, MGF1-SHA-256) and ECDH KARI.
    for entry in std::fs::read_dir(tb.join("smime-interop")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".env") {
            continue;
        }
        let p12 = tb.join(if name.contains("-ec_") { "smime-interop/Fran-ec.p12" } else { "smime-interop/Fran.p12" });
        let out = dir.path("fran.out");
        let (r, _) = open(&std::fs::read(&path).unwrap(), &["--identity", p(&p12), "--password-file", p(&pw), "--content", p(&out)]);
        let cipher = r["layers"][0]["encryption"]["content_cipher"].as_str().unwrap_or("").to_string();
        let want = if cipher == "des-ede3-cbc" { "weak-cipher" } else { "unsigned" };
        assert_eq!(status(&r), want, "{name}: {r:#}");
        assert!(std::fs::read_to_string(&out).unwrap().contains("This is a test message to Fran."), "{name}");
        // Only Fran's key opens it: Bob's gives no-key.
        let (r, _) = open(&std::fs::read(&path).unwrap(), &bob_args);
        assert_eq!(status(&r), "no-key", "{name}: {r:#}");
    }
    // smime-manual: encrypted parts inside signatures.
    for (name, want) in [
        ("alice.dsig.SHA256.multipart.env.dsig.eml", vec![("signed", "tampered"), ("encrypted", "decrypted"), ("signed", "valid")]),
        ("outer-smime-bad-sig-inner-smime-enc.eml", vec![("signed", "tampered"), ("encrypted", "decrypted")]),
    ] {
        let (r, _) = open(&std::fs::read(tb.join("smime-manual").join(name)).unwrap(), &bob_args);
        assert_eq!(layers(&r), want, "{name}: {r:#}");
    }
}

/// A PKCS#12 (password "pw") from a corpus key (PEM or DER PKCS#8) and certificate, made by openssl.
fn p12_from(dir: &TempDir, name: &str, key: &Path, key_der: bool, cert: &Path, cert_der: bool) -> PathBuf {
    let kpem = dir.path(&format!("{name}.key.pem"));
    let cpem = dir.path(&format!("{name}.cert.pem"));
    run(tool("openssl").arg("pkey").args(["-inform", if key_der { "DER" } else { "PEM" }]).arg("-in").arg(key).arg("-out").arg(&kpem));
    run(tool("openssl").arg("x509").args(["-inform", if cert_der { "DER" } else { "PEM" }]).arg("-in").arg(cert).arg("-out").arg(&cpem));
    let p12 = dir.path(&format!("{name}.p12"));
    run(tool("openssl").args(["pkcs12", "-export", "-passout", "pass:pw"]).arg("-inkey").arg(&kpem).arg("-in").arg(&cpem).arg("-out").arg(&p12));
    p12
}

fn pem_to_der(pem: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let text = String::from_utf8_lossy(pem);
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(b64.trim()).unwrap()
}

/// The other sources of the corpus: RFC 4134, draft-ireland-examples-cms (RFC 9216 keys),
/// Bouncy Castle's mail tests (Outlook 2010, third-party AES), python-cryptography vectors.
#[test]
fn corpus_encrypted_objects_from_other_producers() {
    let Some(corpus) = corpus("corpus_encrypted_objects_from_other_producers") else { return };
    let dir = TempDir::new("enc-corpus-other");
    let pw = dir.write("pw", b"pw");
    let empty = dir.write("empty", b"");
    let opened = |msg: &[u8], p12: &Path, pwf: &Path, want: &str, text: Option<&str>| {
        let out = dir.path("content.out");
        let _ = std::fs::remove_file(&out);
        let (r, _) = open(msg, &["--identity", p(p12), "--password-file", p(pwf), "--content", p(&out)]);
        assert_eq!(status(&r), want, "{r:#}");
        if let Some(t) = text {
            assert!(String::from_utf8_lossy(&std::fs::read(&out).unwrap()).contains(t), "{t}: {r:#}");
        }
        r
    };
    // RFC 4134: 3DES (weak-cipher, opens), RC2 (refused), the S/MIME message.
    let r4134 = corpus.join("rfc4134-examples");
    let bob4134 = p12_from(&dir, "bob4134", &r4134.join("BobPrivRSAEncrypt.pri"), true, &r4134.join("BobRSASignByCarl.cer"), true);
    let sample = "This is some sample content.";
    opened(&pkcs7_message(&std::fs::read(r4134.join("5.1.bin")).unwrap(), "enveloped-data"), &bob4134, &pw, "weak-cipher", Some(sample));
    let r = opened(&pkcs7_message(&std::fs::read(r4134.join("5.2.bin")).unwrap(), "enveloped-data"), &bob4134, &pw, "weak-cipher", None);
    assert!(r["error"]["message"].as_str().unwrap().contains("RC2"), "{r:#}");
    let r = opened(&std::fs::read(r4134.join("5.3.eml")).unwrap(), &bob4134, &pw, "weak-cipher", Some(sample));
    assert_eq!(r["layers"][0]["encryption"]["content_cipher"], "des-ede3-cbc");

    // draft-ireland-examples-cms on RFC 9216 keys: OAEP-SHA256, a mixed OAEP + X25519 envelope.
    let lamps = corpus.join("rfc9216-lamps-samples");
    let bob9216 = p12_from(&dir, "bob9216", &lamps.join("keys/lamps-bob.decrypt.p8.pem"), false, &lamps.join("certs/bob@smime.example.enc.pem"), false);
    let ire = corpus.join("ireland-examples-cms");
    let ire_msg = |f: &str, t: &str| pkcs7_message(&std::fs::read(ire.join(f)).unwrap(), t);
    opened(&ire_msg("encryptedForBobRSAOaep.p7m", "enveloped-data"), &bob9216, &pw, "unsigned", Some(sample));
    let r = opened(&ire_msg("encryptedForBobAndDana.p7m", "enveloped-data"), &bob9216, &pw, "unsigned", Some(sample));
    assert_eq!(r["layers"][0]["encryption"]["recipients"].as_array().unwrap().len(), 2, "Bob and Dana listed: {r:#}");
    // ChaCha20-Poly1305 (RFC 8103) is not implemented: malformed with a named algorithm, nothing shown.
    let r = opened(&ire_msg("authEnvelopedForBobChaCha20Poly1305.p7m", "authEnveloped-data"), &bob9216, &pw, "malformed", None);
    assert_eq!(r["error"]["code"], "unsupported-algorithm", "{r:#}");
    // For Dana's X25519 key and a KEK: Bob has no key for them.
    opened(&ire_msg("authEnvelopedForDanaX25519HKDF.p7m", "authEnveloped-data"), &bob9216, &pw, "no-key", None);
    opened(&ire_msg("encryptedKekri.p7m", "enveloped-data"), &bob9216, &pw, "no-key", None);

    // Bouncy Castle mail tests: Outlook 2010 (3DES), AES-192, and the malformed AES-128/256 key lengths.
    let bc = corpus.join("bouncycastle-mail");
    opened(&std::fs::read(bc.join("outlook_2010_beta_sime_msg.eml")).unwrap(), &bc.join("johndoe.p12"), &empty, "weak-cipher", Some("Created with Outlook 2010 Beta"));
    let tiani = p12_from(&dir, "tiani", &bc.join("key.pem"), false, &bc.join("cert.pem"), false);
    opened(&std::fs::read(bc.join("test192.message")).unwrap(), &tiani, &pw, "unsigned", None);
    for f in ["test128.message", "test256.message"] {
        // A 24-byte key under an AES-128/256 OID: the same answer as any other failure after key transport.
        opened(&std::fs::read(bc.join(f)).unwrap(), &tiani, &pw, "integrity-failure", None);
    }
    // .NET EnvelopedCms mislabelled as signed-data: read by its content type, recipient listed.
    let r = opened(&std::fs::read(bc.join("dotnet_encrypted_mail.eml")).unwrap(), &tiani, &pw, "no-key", None);
    assert_eq!(layers(&r), vec![("encrypted", "no-key")], "{r:#}");

    // python-cryptography vectors.
    let py = corpus.join("pyca-cryptography-vectors");
    let ca = p12_from(&dir, "pyca", &py.join("x509-custom-ca/rsa_key.pem"), false, &py.join("x509-custom-ca/rsa_ca.pem"), false);
    let pk = |f: &str| pkcs7_message(&pem_to_der(&std::fs::read(py.join("pkcs7").join(f)).unwrap()), "enveloped-data");
    opened(&pk("enveloped-rsa-oaep.pem"), &ca, &pw, "unsigned", Some("Hello, world!"));
    opened(&pk("enveloped-triple-des.pem"), &ca, &pw, "weak-cipher", Some("Hello, World!"));
    let r = opened(&pkcs7_message(&std::fs::read(py.join("pkcs7/enveloped-no-content.der")).unwrap(), "enveloped-data"), &ca, &pw, "malformed", None);
    assert_eq!(layers(&r), vec![("encrypted", "malformed")]);
}

/// Every envelope Cachet writes is strict DER (recipientInfos a sorted SET OF): 1, 2, 3 and
/// 10 recipients, most of one shape, some with keys and names of other sizes, CBC and GCM,
/// signed+encrypted with
/// a chain. Python `cryptography` (strict DER, "InvalidSetOrdering" otherwise) decrypts the
/// CBC ones for every recipient; the DER rules are also checked here for every output.
#[test]
fn every_envelope_is_strict_der_for_every_recipient_count() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    // Same-shaped recipients (RSA-2048, names and serials of one length: their
    // RecipientInfos differ only in their bytes, where `der`'s own SET OF ordering went
    // wrong), and two of other sizes among the ten.
    let key = |i: usize| if i == 4 { Key::Rsa3072 } else { Key::Rsa2048 };
    let people: Vec<Leaf> = (0..10).map(|i| pki.leaf(&format!("r{i}{}", if i == 7 { "-longer-name" } else { "" }), &format!("r{i}@example.net"), key(i), None, 365)).collect();
    let dir = TempDir::new("enc-der-files");
    let msg = message(&alice.email, "r0@example.net");
    // The peer must be strict: the same envelope with its two RecipientInfos swapped (out of
    // DER order) is refused. (Python cryptography 48 and later; the set-up installs it.)
    {
        let enc = encrypt(&msg, &["--cipher", "aes256-cbc", "--recipient", p(&people[0].cert), "--recipient", p(&people[1].cert)]);
        let der = cms_blob(&enc);
        let swapped = swap_first_two_recipients(&der);
        let bad = dir.write("unsorted.der", &swapped);
        let out = run_with_input(tool("python3").arg("-c").arg(PY_STRICT).arg("decrypt").arg(&bad).arg(&people[0].cert).arg(&people[0].key), b"");
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("InvalidSetOrdering"), "Python cryptography does not check DER SET OF order (48 or later needed): {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut decryptions = Vec::new();
    let mut expected = 0;
    for count in [1usize, 2, 3, 10] {
        for cipher in ["aes256-cbc", "aes256-gcm"] {
            for sign in [false, true] {
                let mut args = vec!["--cipher", cipher];
                for r in &people[..count] {
                    args.extend(["--recipient", p(&r.cert)]);
                }
                if sign {
                    args.extend(ident(&alice));
                    args.push("--sign");
                }
                let enc = encrypt(&msg, &args);
                // The blob as written (never re-encoded by OpenSSL, which would sort it).
                let der = cms_blob(&enc);
                let der_path = dir.write(&format!("envelope-{count}-{cipher}-{sign}.der"), &der);
                assert_strict_der(&der, &format!("{count} recipients, {cipher}, sign={sign}"));
                if cipher != "aes256-cbc" {
                    continue; // Python's pkcs7_decrypt_der reads AES-CBC only.
                }
                for r in people[..count].iter().chain(sign.then_some(&alice)) {
                    let inner = if sign { "inner-signed" } else { "-" };
                    decryptions.push(format!("{}\t{}\t{}\t{inner}\n", der_path.display(), p(&r.cert), p(&r.key)));
                    expected += 1;
                }
            }
        }
    }
    // Every recipient's decryption in one Python process (starting Python and loading
    // `cryptography` costs more than a decryption); a failure names its envelope and recipient.
    let out = run_with_input(tool("python3").arg("-c").arg(PY_STRICT).arg("decrypt-each"), decryptions.concat().as_bytes());
    assert!(out.status.success(), "Python: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).matches("decrypted").count(), expected, "one decryption per recipient and envelope");
}

/// `der` (an EnvelopedData ContentInfo with two RecipientInfos) with them swapped.
fn swap_first_two_recipients(der: &[u8]) -> Vec<u8> {
    // (header length, content length) of the element at `at`.
    fn header(b: &[u8], at: usize) -> (usize, usize) {
        let first = b[at + 1] as usize;
        if first < 0x80 {
            return (2, first);
        }
        let n = first & 0x7f;
        (2 + n, b[at + 2..at + 2 + n].iter().fold(0usize, |a, x| (a << 8) | *x as usize))
    }
    fn kids(b: &[u8], at: usize) -> Vec<(usize, usize)> {
        let (h, len) = header(b, at);
        let mut out = Vec::new();
        let mut k = at + h;
        while k < at + h + len {
            let (kh, kl) = header(b, k);
            out.push((k, k + kh + kl));
            k += kh + kl;
        }
        out
    }
    let explicit = kids(der, 0)[1].0;
    let ed = kids(der, explicit)[0].0;
    let set = kids(der, ed)[1].0;
    let ris = kids(der, set);
    assert_eq!(ris.len(), 2);
    let (a, b) = (ris[0], ris[1]);
    [&der[..a.0], &der[b.0..b.1], &der[a.0..a.1], &der[b.1..]].concat()
}

/// A message of a few megabytes (many pieces of the CLI's two-thread AES-CBC encryption, the
/// last one short, a length not a multiple of the block) encrypted by `cachet encrypt`,
/// plain and signed: openssl decrypts it to the entity Cachet itself opens, which holds the
/// whole text.
#[test]
fn large_messages_encrypted_in_pieces_by_the_cli_decrypt_in_openssl() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let mut msg = format!("From: <{}>\r\nTo: <{}>\r\nSubject: large\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", alice.email, bob.email).into_bytes();
    let mut text = Vec::new();
    let mut n = 0u32;
    while text.len() < (3 << 20) + 5 {
        text.extend_from_slice(format!("line {n:08} of a large encrypted message\r\n").as_bytes());
        n += 1;
    }
    text.extend_from_slice(b"the end\r\n");
    msg.extend_from_slice(&text);
    let dir = TempDir::new("enc-large-pieces");
    for (name, extra) in [("plain", vec![]), ("signed", vec!["--sign"])] {
        let mut args = vec!["--recipient", p(&bob.cert)];
        args.extend(ident(&alice));
        args.extend(extra);
        let enc = encrypt(&msg, &args);
        let eml = dir.write(&format!("large-{name}.eml"), &enc);
        let out = run(tool("openssl").args(["cms", "-decrypt", "-binary"]).arg("-in").arg(&eml).arg("-recip").arg(&bob.cert).arg("-inkey").arg(&bob.key));
        let content = dir.path(&format!("large-{name}.content"));
        let (report, code) = open(&enc, &["--identity", p(bob.p12()), "--password-file", p(&bob.password), "--trust", p(&pki.ca()), "--content", p(&content)]);
        assert_eq!(code, 0, "{name}: {report}");
        let ours = std::fs::read(&content).unwrap();
        let holds_text = |b: &[u8]| b.windows(text.len()).any(|w| w == text.as_slice());
        assert!(holds_text(&ours) && holds_text(&out.stdout), "{name}: the whole text is inside");
        if name == "plain" {
            assert!(out.stdout == ours, "{name}: openssl and Cachet decrypt the same entity");
        } else {
            // Signed inside: openssl verifies what it decrypted, and gets Cachet's content.
            let inner = dir.write("large-signed-inner.eml", &out.stdout);
            let verified = run(tool("openssl").args(["cms", "-verify", "-purpose", "smimesign"]).arg("-CAfile").arg(pki.ca()).arg("-in").arg(&inner));
            assert!(verified.stdout == ours, "{name}: openssl verifies the signed entity inside and gets Cachet's content");
        }
    }
}

/// An encrypted or opaque-signed message in a file on standard input is decoded and decrypted
/// in the buffer it is read into (`open_decoded`); it opens exactly as from a pipe, from the
/// file's start or from where its offset stands: messages by Cachet (signed and encrypted, CBC)
/// and openssl (GCM), one whose base64 lines are of an unusual shape (the file is read again),
/// and a certificate bundle (nothing peeled: the content is the message, read again from the
/// offset).
#[test]
fn an_encrypted_message_file_on_standard_input_opens_as_from_a_pipe() {
    use std::io::{Seek, SeekFrom};
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let dir = TempDir::new("enc-stdin-file");
    let mut msg = message(&alice.email, &bob.email);
    for i in 0..4000 {
        msg.extend_from_slice(format!("Line {i:05} of a longer text, so that the content is decrypted in place.\r\n").as_bytes());
    }
    let mut args = vec!["--recipient", p(&bob.cert), "--sign"];
    args.extend(ident(&alice));
    let cachet_made = encrypt(&msg, &args);
    let plain = dir.write("plain.eml", &msg);
    let gcm = dir.path("gcm.eml");
    run(tool("openssl").args(["cms", "-encrypt", "-aes-256-gcm", "-in"]).arg(&plain).arg("-out").arg(&gcm).arg(&bob.cert));
    let text = String::from_utf8(cachet_made.clone()).unwrap();
    let body = text.find("\r\n\r\n").unwrap() + 4;
    let odd_lines = format!("{}{}\r\n{}", &text[..body], &text[body..body + 6], &text[body + 6..]).into_bytes();
    let certs = dir.path("certs.p7c");
    run(tool("openssl").args(["crl2pkcs7", "-nocrl", "-outform", "DER", "-certfile"]).arg(&alice.cert).arg("-out").arg(&certs));
    let bundle = pkcs7_message(&std::fs::read(&certs).unwrap(), "certs-only");
    let ca = pki.ca();
    let mut open_args = ident(&bob).to_vec();
    open_args.extend(["--trust", p(&ca)]);
    let prefix = b"Not-Part-Of-It: read by someone else first\r\n";
    let cases = [("signed and encrypted by Cachet", cachet_made, "valid"), ("GCM by openssl", std::fs::read(&gcm).unwrap(), "unsigned"), ("unusual base64 lines", odd_lines, "valid"), ("certificate bundle", bundle.clone(), "unsigned")];
    for (name, made, want_status) in cases {
        let from_pipe = dir.path("pipe.content");
        let mut pipe_args = open_args.clone();
        pipe_args.extend(["--content", p(&from_pipe)]);
        let (report, code) = open(&made, &pipe_args);
        assert_eq!(status(&report), want_status, "{name}: {report:#}");
        let want = std::fs::read(&from_pipe).unwrap();
        if name == "certificate bundle" {
            assert_eq!(want, bundle, "{name}: the message itself");
        } else {
            assert!(want.ends_with(b"so that the content is decrypted in place.\r\n"), "{name}: the text");
        }
        let whole = dir.write("whole.eml", &made);
        let offset = dir.write("offset.eml", &[&prefix[..], &made].concat());
        for (input, at) in [(&whole, 0), (&offset, prefix.len() as u64)] {
            let mut f = std::fs::File::open(input).unwrap();
            f.seek(SeekFrom::Start(at)).unwrap();
            let content = dir.path("file.content");
            let out = cachet().arg("open").args(&open_args).arg("--content").arg(&content).stdin(f).output().unwrap();
            let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!((&got, out.status.code()), (&report, Some(code)), "{name} at {at}: the report a pipe gives");
            assert!(std::fs::read(&content).unwrap() == want, "{name} at {at}: the content a pipe gives");
        }
    }
}
