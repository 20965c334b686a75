//! Signing interoperability, both directions, with real peers:
//! Cachet signs → `openssl cms -verify`, NSS `cmsutil -D`, `gpgsm --verify`, Python
//! `cryptography` (loads the certificates; it has no verifier); and each peer signs →
//! `cachet open` reports `valid`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;
use std::path::Path;

/// The CMS blob of a multipart/signed or opaque message as Cachet wrote it (not re-encoded
/// by `openssl cms -cmsout`, which sorts sets), and the signed content extracted by OpenSSL.
fn split(dir: &TempDir, signed: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let der = dir.write("sig.der", &cms_blob(&std::fs::read(signed).unwrap()));
    let content = dir.path("content.bin");
    run(tool("openssl").args(["cms", "-verify", "-noverify"]).arg("-in").arg(signed).arg("-out").arg(&content));
    (der, content)
}

fn openssl_verifies(signed: &Path, ca: &Path) {
    run(tool("openssl").args(["cms", "-verify", "-purpose", "smimesign"]).arg("-in").arg(signed).arg("-CAfile").arg(ca).arg("-out").arg("/dev/null"));
}

fn nss_db(dir: &TempDir, ca: &Path) -> std::path::PathBuf {
    let db = dir.path("nssdb");
    std::fs::create_dir_all(&db).unwrap();
    run(tool("certutil").arg("-N").arg("-d").arg(&db).arg("--empty-password"));
    run(tool("certutil").args(["-A", "-n", "ca", "-t", "C,C,C"]).arg("-d").arg(&db).arg("-i").arg(ca));
    db
}



#[test]
fn cachet_rsa_signatures_verify_in_every_peer() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let msg = message(&alice.email, "bob@example.net");
    // One NSS database and one gpgsm home (one gpg-agent) that trust the CA serve both
    // forms: each peer gets the same CA and checks each message on its own.
    let peers = TempDir::new("sign-rsa-peers");
    let db = nss_db(&peers, &pki.ca());
    let home = gpgsm_home(&peers, &pki.ca());
    let mut ders = Vec::new();
    for opaque in [false, true] {
        let dir = TempDir::new("sign-rsa-form");
        let signed = sign(&msg, alice.p12(), &alice.password, if opaque { &["--opaque"] } else { &[] });
        let text = String::from_utf8_lossy(&signed);
        if opaque {
            assert!(text.contains("application/pkcs7-mime; smime-type=signed-data"), "{text}");
        } else {
            assert!(text.contains("multipart/signed") && text.contains("protocol=\"application/pkcs7-signature\"") && text.contains("micalg=sha-256"), "{text}");
        }
        assert!(signed.iter().all(|b| *b < 0x80), "the signed message must be 7-bit");
        let path = dir.write("signed.eml", &signed);
        openssl_verifies(&path, &pki.ca());

        let (der, content) = split(&dir, &path);
        assert!(String::from_utf8_lossy(&std::fs::read(&content).unwrap()).contains("Bonjour, voil=C3=A0"), "text is quoted-printable inside the signature");

        // NSS (Thunderbird's engine).
        let mut nss = tool("cmsutil");
        nss.arg("-D").arg("-v").arg("-i").arg(&der).arg("-d").arg(&db);
        if !opaque {
            nss.arg("-c").arg(&content);
        }
        let out = run(&mut nss);
        assert!(String::from_utf8_lossy(&out.stderr).contains("GoodSignature") || String::from_utf8_lossy(&out.stdout).contains("GoodSignature") || out.status.success());

        // GnuPG.
        let mut g = tool("gpgsm");
        g.arg("--homedir").arg(&home).args(["--batch", "--disable-crl-checks", "--disable-dirmngr", "--verify"]).arg(&der);
        if !opaque {
            g.arg(&content);
        }
        let out = run(&mut g);
        assert!(String::from_utf8_lossy(&out.stderr).contains("Good signature"), "opaque {opaque}: {}", String::from_utf8_lossy(&out.stderr));

        // And Cachet itself.
        let (report, code) = open(&signed, &["--trust", pki.ca().to_str().unwrap()]);
        assert_eq!(status(&report), "valid", "{report:#}");
        assert_eq!(code, 0);
        // Kept for Python below (the folder goes at the end of this turn).
        ders.push(peers.write(&format!("signed-{opaque}.der"), &std::fs::read(&der).unwrap()));
    }
    gpgsm_cleanup(&home);

    // Python cryptography reads the structure of each form and finds Alice's certificate:
    // one interpreter for both, a line of subjects per file, "--" after each.
    let py = run(tool("python3").arg("-c").arg(
        "import sys\nfrom cryptography.hazmat.primitives.serialization import pkcs7\nfor f in sys.argv[1:]:\n    certs = pkcs7.load_der_pkcs7_certificates(open(f,'rb').read())\n    print('\\n'.join(c.subject.rfc4514_string() for c in certs))\n    print('--')",
    ).args(&ders));
    let text = String::from_utf8_lossy(&py.stdout);
    let per_file: Vec<&str> = text.split("--\n").filter(|s| !s.is_empty()).collect();
    assert_eq!(per_file.len(), 2, "{text}");
    for (opaque, subjects) in [false, true].iter().zip(&per_file) {
        assert!(subjects.contains("CN=alice"), "opaque {opaque}: {text}");
    }
}

#[test]
fn cachet_ec_pss_and_large_rsa_signatures_verify_in_openssl() {
    let pki = shared_pki();
    for (name, key, micalg) in [("ec256", Key::P256, "sha-256"), ("ec384", Key::P384, "sha-384"), ("pss", Key::RsaPss, "sha-256"), ("rsa3072", Key::Rsa3072, "sha-384")] {
        let leaf = pki.leaf(name, &format!("{name}@example.org"), key, None, 365);
        let msg = message(&leaf.email, "bob@example.net");
        let signed = sign(&msg, leaf.p12(), &leaf.password, &[]);
        assert!(String::from_utf8_lossy(&signed).contains(&format!("micalg={micalg}")), "{name}");
        let dir = TempDir::new("sign-algs-one");
        let path = dir.write("signed.eml", &signed);
        openssl_verifies(&path, &pki.ca());
        let (der, content) = split(&dir, &path);
        let db = nss_db(&dir, &pki.ca());
        if key != Key::RsaPss {
            // NSS 3.87 verifies RSA and ECDSA; PSS signer certificates are checked by OpenSSL.
            run(tool("cmsutil").arg("-D").arg("-i").arg(&der).arg("-c").arg(&content).arg("-d").arg(&db));
        }
        let (report, _) = open(&signed, &["--trust", pki.ca().to_str().unwrap()]);
        assert_eq!(status(&report), "valid", "{name}: {report:#}");
    }
}

/// Wrap a detached CMS signature and its content into multipart/signed.
fn multipart_signed(from: &str, content: &[u8], der: &[u8], micalg: &str) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let mut m = format!("From: <{from}>\r\nTo: <bob@example.net>\r\nSubject: peer\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg={micalg}; boundary=\"b0\"\r\n\r\n--b0\r\n").into_bytes();
    m.extend_from_slice(content);
    m.extend_from_slice(b"\r\n--b0\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    m.extend_from_slice(lines.join("\r\n").as_bytes());
    m.extend_from_slice(b"\r\n--b0--\r\n");
    m
}

fn opaque_message(from: &str, der: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("From: <{from}>\r\nTo: <bob@example.net>\r\nSubject: peer\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n", lines.join("\r\n")).into_bytes()
}

const CONTENT: &[u8] = b"Content-Type: text/plain; charset=us-ascii\r\n\r\nSigned by a peer.\r\n";

#[test]
fn openssl_signatures_are_valid_in_cachet() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let carol = pki.leaf("carol", "carol@example.org", Key::P256, None, 365);
    let dir = TempDir::new("peer-openssl-files");
    let content = dir.write("content.txt", CONTENT);
    let ca = pki.ca();
    let variants: Vec<(&str, Vec<&str>, &Leaf)> = vec![
        ("default", vec![], &alice),
        ("stream", vec!["-stream"], &alice),
        ("pss", vec!["-keyopt", "rsa_padding_mode:pss"], &alice),
        ("ecdsa", vec![], &carol),
        ("certfile", vec!["-certfile", ca.to_str().unwrap()], &alice),
        ("nodetach", vec!["-nodetach"], &alice),
        ("nodetach-stream", vec!["-nodetach", "-stream"], &alice),
        ("sha512", vec!["-md", "sha512"], &alice),
    ];
    for (name, extra, who) in variants {
        let out = dir.path(&format!("{name}.eml"));
        run(tool("openssl").args(["cms", "-sign", "-md", "sha256"]).arg("-in").arg(&content).arg("-signer").arg(&who.cert).arg("-inkey").arg(&who.key).args(&extra).arg("-out").arg(&out));
        let mut msg = format!("From: <{}>\r\nTo: <bob@example.net>\r\nSubject: {name}\r\n", who.email).into_bytes();
        msg.extend_from_slice(&std::fs::read(&out).unwrap());
        let (report, code) = open(&msg, &["--trust", ca.to_str().unwrap()]);
        assert_eq!(status(&report), "valid", "openssl {name}: {report:#}");
        assert_eq!(code, 0);
    }
    // -outform DER opaque, wrapped by hand.
    let der = dir.path("opaque.der");
    run(tool("openssl").args(["cms", "-sign", "-nodetach", "-outform", "DER", "-binary"]).arg("-in").arg(&content).arg("-signer").arg(&alice.cert).arg("-inkey").arg(&alice.key).arg("-out").arg(&der));
    let (report, _) = open(&opaque_message(&alice.email, &std::fs::read(&der).unwrap()), &["--trust", ca.to_str().unwrap()]);
    assert_eq!(status(&report), "valid", "{report:#}");
}

#[test]
fn nss_gpgsm_and_python_signatures_are_valid_in_cachet() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let dir = TempDir::new("peer-others-files");
    let content = dir.write("content.txt", CONTENT);
    let ca = pki.ca();
    let trust = ["--trust", ca.to_str().unwrap()];

    // NSS: import the identity, sign detached and opaque (BER, indefinite lengths).
    let db = nss_db(&dir, &ca);
    run(tool("pk12util").arg("-i").arg(alice.p12()).arg("-d").arg(&db).args(["-W", "test-password"]));
    let ns = dir.path("nss.der");
    run(tool("cmsutil").args(["-S", "-N", "alice", "-H", "SHA256", "-T"]).arg("-i").arg(&content).arg("-d").arg(&db).arg("-o").arg(&ns));
    let (report, _) = open(&multipart_signed(&alice.email, CONTENT, &std::fs::read(&ns).unwrap(), "sha-256"), &trust);
    assert_eq!(status(&report), "valid", "NSS detached: {report:#}");
    let nso = dir.path("nss-opaque.der");
    run(tool("cmsutil").args(["-S", "-N", "alice", "-H", "SHA256"]).arg("-i").arg(&content).arg("-d").arg(&db).arg("-o").arg(&nso));
    let nso = std::fs::read(&nso).unwrap();
    assert_eq!(&nso[..2], &[0x30, 0x80], "NSS writes BER with indefinite lengths");
    let (report, _) = open(&opaque_message(&alice.email, &nso), &trust);
    assert_eq!(status(&report), "valid", "NSS opaque: {report:#}");

    // gpgsm: import a legacy-format PKCS#12 (gpgsm 2.2 reads only those), sign detached.
    let home = gpgsm_home(&dir, &ca);
    gpgsm_import_legacy(&dir, &home, &alice.key, &alice.cert, &["-name", "alice"]);
    let gs = dir.path("gpgsm.der");
    let out = run_with_input(
        tool("gpgsm").arg("--homedir").arg(&home).args(["--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--disable-crl-checks", "--disable-dirmngr", "-u", "alice@example.org", "--include-certs", "-1", "--detach-sign", "-o"]).arg(&gs).arg(&content),
        b"pw\n",
    );
    assert!(out.status.success(), "gpgsm sign: {}", String::from_utf8_lossy(&out.stderr));
    gpgsm_cleanup(&home);
    let (report, _) = open(&multipart_signed(&alice.email, CONTENT, &std::fs::read(&gs).unwrap(), "sha-256"), &trust);
    assert_eq!(status(&report), "valid", "gpgsm: {report:#}");

    // Python cryptography: S/MIME detached and opaque DER.
    let script = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
cert = x509.load_pem_x509_certificate(open(sys.argv[1],'rb').read())
key = serialization.load_pem_private_key(open(sys.argv[2],'rb').read(), None)
data = open(sys.argv[3],'rb').read()
b = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(cert, key, hashes.SHA256())
open(sys.argv[4],'wb').write(b.sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]))
open(sys.argv[5],'wb').write(b.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
"#;
    let smime = dir.path("py.eml");
    let pder = dir.path("py.der");
    run(tool("python3").arg("-c").arg(script).arg(&alice.cert).arg(&alice.key).arg(&content).arg(&smime).arg(&pder));
    let mut msg = format!("From: <{}>\r\nTo: <bob@example.net>\r\nSubject: python\r\n", alice.email).into_bytes();
    msg.extend_from_slice(&std::fs::read(&smime).unwrap());
    let (report, _) = open(&msg, &trust);
    assert_eq!(status(&report), "valid", "python detached: {report:#}");
    let (report, _) = open(&opaque_message(&alice.email, &std::fs::read(&pder).unwrap()), &trust);
    assert_eq!(status(&report), "valid", "python opaque: {report:#}");
}

/// Every signature Cachet writes is strict DER: digestAlgorithms, certificates (the chain)
/// and signerInfos sorted SET OFs, the signed attributes a sorted SET OF. Python
/// `cryptography` loads each with its strict DER parser (a BER fallback is an error here),
/// and the DER rules are checked on the CMS blob as well.
#[test]
fn every_signature_is_strict_der() {
    let pki = shared_pki();
    let dir = TempDir::new("sign-der-files");
    let mut files = Vec::new();
    for (name, key) in [("rsa", Key::Rsa2048), ("pss", Key::RsaPss), ("p256", Key::P256), ("p384", Key::P384)] {
        let leaf = pki.leaf(name, &format!("{name}@example.org"), key, None, 365);
        let msg = message(&leaf.email, "bob@example.net");
        for opaque in [false, true] {
            let extra: &[&str] = if opaque { &["--opaque"] } else { &[] };
            let signed = sign(&msg, leaf.p12(), &leaf.password, extra);
            let path = dir.write(&format!("signed-{name}-{opaque}.eml"), &signed);
            // The blob as written (not through `openssl cms -cmsout`, which re-sorts sets).
            assert_strict_der(&cms_blob(&signed), &format!("{name} opaque={opaque}"));
            files.push((format!("{name} opaque={opaque}"), path));
        }
    }
    // Every message in one Python process (starting Python and loading `cryptography` costs
    // more than a check); each result follows its path, a failure names its file.
    let list: String = files.iter().map(|(_, path)| format!("{}\n", path.display())).collect();
    let out = run_with_input(tool("python3").arg("-c").arg(PY_STRICT).arg("signed-each"), list.as_bytes());
    assert!(out.status.success(), "Python: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results: Vec<&str> = stdout.split("file ").skip(1).collect();
    assert_eq!(results.len(), files.len(), "{stdout}");
    for ((what, path), result) in files.iter().zip(results) {
        assert!(result.starts_with(&format!("{}\n", path.display())), "{what}: {result}");
        assert!(result.contains("with 2 certificates"), "the chain is sent, {what}: {result}");
    }
}

#[test]
fn the_strict_der_check_refuses_unsorted_sets_and_long_lengths() {
    assert_strict_der(&[0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02], "sorted");
    for bad in [&[0x31, 0x06, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01][..], &[0x30, 0x81, 0x03, 0x02, 0x01, 0x01], &[0x30, 0x80, 0x00, 0x00]] {
        assert!(std::panic::catch_unwind(|| assert_strict_der(bad, "bad")).is_err(), "{bad:?}");
    }
}

/// A 3 MB message signed clear and opaque: the CLI writes it in pieces (1 MiB writes; the
/// opaque base64 in blocks of 4096 lines), and openssl verifies both and recovers the
/// signed entity, whose body is the message's body byte for byte.
#[test]
fn large_signed_messages_written_in_pieces_verify_in_openssl() {
    let pki = shared_pki();
    let leaf = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let mut msg = format!("From: <{}>\r\nTo: <bob@example.net>\r\nSubject: large\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", leaf.email).into_bytes();
    let head_len = msg.len();
    let mut n = 0u32;
    while msg.len() < 3 * 1024 * 1024 {
        msg.extend_from_slice(format!("line {n:08} of a large message, plain 7-bit text\r\n").as_bytes());
        n += 1;
    }
    let body = msg[head_len..].to_vec();
    for extra in [&[][..], &["--opaque"][..]] {
        let signed = sign(&msg, leaf.p12(), &leaf.password, extra);
        let dir = TempDir::new("sign-large-one");
        let path = dir.write("signed.eml", &signed);
        let content = dir.path("content.eml");
        run(tool("openssl").args(["cms", "-verify", "-purpose", "smimesign"]).arg("-in").arg(&path).arg("-CAfile").arg(pki.ca()).arg("-out").arg(&content));
        let got = std::fs::read(&content).unwrap();
        assert!(got.ends_with(&body), "{extra:?}: the signed entity ends with the message body");
        let (report, _) = open(&signed, &["--trust", pki.ca().to_str().unwrap()]);
        assert_eq!(status(&report), "valid", "{extra:?}: {report:#}");
    }
}

/// Large messages of each kind of body, signed by the CLI reading a file (the signed entity
/// refers to the message's bytes where it keeps them, and is hashed and written piece by
/// piece): canonical 7-bit (kept), LF-only (canonicalised first), 8-bit text (re-encoded
/// quoted-printable) and a binary attachment (re-encoded base64). openssl verifies each,
/// clear and opaque, and the entity it recovers is, byte for byte, the one the library's
/// one-buffer signing path (`prepare_signing`, the Wasm's) signs.
#[test]
fn large_messages_of_every_body_kind_signed_by_the_cli_verify_in_openssl() {
    let pki = shared_pki();
    let leaf = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let password = std::fs::read_to_string(&leaf.password).unwrap();
    let id = cachet::pkcs12::import(&std::fs::read(leaf.p12()).unwrap(), password.trim_end()).unwrap();
    let head = format!("From: <{}>\r\nTo: <bob@example.net>\r\nSubject: large\r\nMIME-Version: 1.0\r\n", leaf.email);
    let mut text = String::new();
    let mut n = 0u32;
    while text.len() < 1 << 20 {
        text.push_str(&format!("line {n:08} of a large message, plain 7-bit text\r\n"));
        n += 1;
    }
    // Not 7-bit, and no CR or LF (which canonicalisation of the whole message would change).
    let mut x = 0x1234_5678u32;
    let binary: Vec<u8> = (0..(1 << 20) + 7)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            match x as u8 {
                b'\r' | b'\n' => 0x80,
                b => b,
            }
        })
        .collect();
    let b64 = format!("{}\r\n", cachet::mime::base64_lines(&binary));
    let mixed = |attachment_cte: &str, attachment: &[u8]| {
        let mut m = format!("{head}Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{text}\r\n--mix\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\nContent-Transfer-Encoding: {attachment_cte}\r\nContent-Disposition: attachment; filename=\"data.bin\"\r\n\r\n").into_bytes();
        m.extend_from_slice(attachment);
        m.extend_from_slice(b"\r\n--mix--\r\n");
        m
    };
    let canonical = mixed("base64", b64.as_bytes());
    let lf_only: Vec<u8> = String::from_utf8(canonical.clone()).unwrap().replace("\r\n", "\n").into_bytes();
    let eight_bit = format!("{head}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}", text.replace("plain", "plaîn, grüße")).into_bytes();
    let with_binary = mixed("binary", &binary);
    // One signing time for both paths (the entity does not depend on it; the check of the
    // certificate's validity does): an hour from now, inside the test certificate's year.
    let when = cachet::time::UnixTime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600);
    let at = when.to_rfc3339();
    let dir = TempDir::new("sign-kinds-run");
    for (kind, msg) in [("canonical 7-bit", &canonical), ("LF only", &lf_only), ("8-bit text", &eight_bit), ("binary attachment", &with_binary)] {
        let plan = cachet::smime::prepare_signing(msg, &id, false, when, &cachet::mime::Limits::default(), &cachet::policy::Policy::standard()).unwrap();
        let entity = plan.content().to_vec();
        assert!(entity.iter().all(|&b| b != 0 && b < 0x80), "{kind}: the signed entity is 7-bit");
        // Signed in the message's own buffer (the Wasm's signAsync): the canonical 7-bit
        // message only (its body kept to the end); the others come back untouched.
        let gap = 4096;
        let framed = [vec![0u8; gap], msg.to_vec()].concat();
        match cachet::smime::prepare_signing_in_place(framed.clone(), gap, &id, false, when, &cachet::mime::Limits::default(), &cachet::policy::Policy::standard()).unwrap() {
            Ok(plan) => {
                assert_eq!(kind, "canonical 7-bit");
                assert!(plan.content() == entity, "{kind}: in place, the same entity");
                use cachet::smime::SigningPhases;
                let md = cachet::crypto::digest(plan.digest_algorithm(), plan.content()).unwrap();
                let attrs = plan.signed_attributes(&md).unwrap();
                let signature = plan.signature(&attrs, None).unwrap();
                let (buf, from) = plan.finish(attrs, signature).unwrap();
                assert!(from > 0, "{kind}: the header section fits in front");
                let signed = dir.write("in-place.eml", &buf[from..]);
                let content = dir.path("content.eml");
                run(tool("openssl").args(["cms", "-verify", "-purpose", "smimesign"]).arg("-in").arg(&signed).arg("-CAfile").arg(pki.ca()).arg("-out").arg(&content));
                assert!(std::fs::read(&content).unwrap() == entity, "{kind}: openssl recovers the entity signed in place");
            }
            Err(back) => {
                assert_ne!(kind, "canonical 7-bit", "the canonical 7-bit message is signed in place");
                assert!(back == framed, "{kind}: the buffer comes back untouched");
            }
        }
        let input = dir.write("in.eml", msg);
        for extra in [&[][..], &["--opaque"][..]] {
            let out = cachet().arg("sign").arg("--identity").arg(leaf.p12()).arg("--password-file").arg(&leaf.password).args(["--at", at.as_str()]).args(extra).stdin(std::fs::File::open(&input).unwrap()).output().unwrap();
            assert!(out.status.success(), "{kind} {extra:?}: {}", String::from_utf8_lossy(&out.stderr));
            let signed = dir.write("signed.eml", &out.stdout);
            let content = dir.path("content.eml");
            run(tool("openssl").args(["cms", "-verify", "-purpose", "smimesign"]).arg("-in").arg(&signed).arg("-CAfile").arg(pki.ca()).arg("-out").arg(&content));
            let got = std::fs::read(&content).unwrap();
            assert!(got == entity, "{kind} {extra:?}: openssl recovers the entity the one-buffer path signs ({} and {} bytes)", got.len(), entity.len());
            if kind == "binary attachment" {
                let e = cachet::mime::parse(&got, &cachet::mime::Limits::default()).unwrap();
                assert_eq!(e.children()[1].body_decoded().unwrap(), binary, "{kind}: the attachment survives");
            }
        }
    }
}

/// `open` reads received mail of a few megabytes (memory with huge pages asked for, on Linux)
/// from a file on standard input, from its start or from where its offset stands, as it reads
/// the same message from a pipe: the same verdict and the same content. The content file is
/// written over an existing longer one (not emptied first), and cut to the content's length.
#[test]
fn a_large_received_message_file_is_read_as_from_a_pipe() {
    use std::io::{Seek, SeekFrom};
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let small = message(&alice.email, "bob@example.net");
    // About 3 MB of text lines after the small message's own text.
    let mut msg = small.clone();
    for i in 0..50_000 {
        msg.extend_from_slice(format!("Line {i:06} of a long text, as long as a line of a long mail.\r\n").as_bytes());
    }
    assert!(msg.len() > 3 << 20);
    let signed = sign(&msg, alice.p12(), &alice.password, &[]);
    let prefix = b"Not-Part-Of-It: read by someone else first\r\n";
    let dir = TempDir::new("stdin-large");
    let whole = dir.write("whole.eml", &signed);
    let offset = dir.write("offset.eml", &[&prefix[..], &signed].concat());
    let ca = pki.ca();
    let trust = ["--trust", ca.to_str().unwrap()];
    let from_pipe = dir.path("pipe.content");
    let (report, code) = open(&signed, &[&trust[..], &["--content", from_pipe.to_str().unwrap()]].concat());
    assert_eq!((status(&report), code), ("valid", 0), "{report}");
    let want = std::fs::read(&from_pipe).unwrap();
    assert!(want.len() > 3 << 20 && want.ends_with(b"as long as a line of a long mail.\r\n"));
    let content = dir.path("file.content");
    std::fs::write(&content, [&want[..], b"Earlier content, longer than this one.\r\n"].concat()).unwrap();
    for (input, at) in [(&whole, 0), (&offset, prefix.len() as u64)] {
        let mut f = std::fs::File::open(input).unwrap();
        f.seek(SeekFrom::Start(at)).unwrap();
        let out = cachet().arg("open").args(trust).arg("--content").arg(&content).stdin(f).output().unwrap();
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!((status(&got), out.status.code()), ("valid", Some(0)), "at {at}: {got}");
        assert_eq!(got, report, "at {at}: the report a pipe gives");
        assert!(std::fs::read(&content).unwrap() == want, "at {at}: the content a pipe gives");
    }
}

/// Standard input as a file: read from where it stands, mapped or not. The CLI maps a file
/// read from its start (`sign`, `encrypt`); a file whose offset is past its start (shared
/// with a process that read some of it) is read from that offset, as a pipe would be; an
/// empty file (never mapped) is an empty message, as from a pipe.
#[test]
fn a_message_file_on_standard_input_is_read_from_where_it_stands() {
    use std::io::{Seek, SeekFrom};
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let msg = message(&alice.email, &bob.email);
    let prefix = b"Not-Part-Of-It: read by someone else first\r\n";
    let dir = TempDir::new("stdin-file");
    let whole = dir.write("whole.eml", &msg);
    let offset = dir.write("offset.eml", &[&prefix[..], &msg].concat());
    let stdin_at = |path: &Path, at: u64| {
        let mut f = std::fs::File::open(path).unwrap();
        f.seek(SeekFrom::Start(at)).unwrap();
        f
    };
    let commands: [(&str, Vec<&std::ffi::OsStr>); 2] = [
        ("sign", vec!["--identity".as_ref(), alice.p12().as_os_str(), "--password-file".as_ref(), alice.password.as_os_str()]),
        ("encrypt", vec!["--recipient".as_ref(), bob.cert.as_os_str()]),
    ];
    for (cmd, args) in &commands {
        let mut contents = Vec::new();
        for (input, at) in [(&whole, 0), (&offset, prefix.len() as u64)] {
            let out = cachet().arg(cmd).args(args).stdin(stdin_at(input, at)).output().unwrap();
            assert!(out.status.success(), "{cmd} at {at}: {}", String::from_utf8_lossy(&out.stderr));
            let made = dir.write("made.eml", &out.stdout);
            let content = dir.path("content.eml");
            if *cmd == "sign" {
                run(tool("openssl").args(["cms", "-verify", "-purpose", "smimesign"]).arg("-in").arg(&made).arg("-CAfile").arg(pki.ca()).arg("-out").arg(&content));
            } else {
                run(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&made).arg("-recip").arg(&bob.cert).arg("-inkey").arg(&bob.key).arg("-out").arg(&content));
            }
            let got = std::fs::read(&content).unwrap();
            assert!(!String::from_utf8_lossy(&got).contains("Not-Part-Of-It"), "{cmd} at {at}: only the bytes from the offset on");
            if *cmd == "sign" {
                // `open --content` writes the signed entity (a part of the message) as openssl recovers it.
                let ours = dir.path("ours.eml");
                let (report, code) = open(&out.stdout, &["--trust", pki.ca().to_str().unwrap(), "--content", ours.to_str().unwrap()]);
                assert_eq!((status(&report), code), ("valid", 0), "{report}");
                assert!(std::fs::read(&ours).unwrap() == got, "{cmd} at {at}: cachet open writes the entity openssl recovers");
            }
            contents.push(got);
        }
        assert!(contents[0].ends_with(b"Line two.\r\n") && contents[1].ends_with(b"Line two.\r\n"), "{cmd}: the message's text is in");
        if *cmd == "sign" {
            assert_eq!(contents[0], contents[1], "{cmd}: the same entity from either file");
        }
        // An empty file (never mapped) is what an empty pipe is.
        let empty = dir.write("empty.eml", b"");
        let from_file = cachet().arg(cmd).args(args).stdin(std::fs::File::open(&empty).unwrap()).output().unwrap();
        let from_pipe = run_with_input(cachet().arg(cmd).args(args), b"");
        assert_eq!(from_file.status.code(), from_pipe.status.code(), "{cmd}: an empty file as an empty pipe");
        assert!(from_file.status.success() && !from_file.stdout.is_empty(), "{cmd}: an empty message is protected: {}", String::from_utf8_lossy(&from_file.stderr));
    }
}
