//! Issue 12: trust and signer binding, through `cachet open` on messages signed by OpenSSL.
//! Roots (`--trust`) issue; a pinned certificate (`--pin`) is trusted only as itself, for
//! the addresses it names, and never issues (SPEC sections 1, 5, 9). The signer rules: a
//! CA certificate is not a mail signer, the subject's legacy emailAddress counts only
//! without SAN addresses, the From binding is strict, and multipart/signed keeps the
//! RFC 1847 structure. Assertions are on status ids and report fields.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;
use std::path::PathBuf;

/// A certificate and its key, made by openssl in `dir`.
struct Signer {
    cert: PathBuf,
    key: PathBuf,
}

/// A self-signed certificate made the way anyone makes one (`openssl req -x509`), with
/// cA=TRUE spelled out (OpenSSL's default configuration adds it too).
fn self_signed(dir: &TempDir, name: &str, email: &str, ca: bool) -> Signer {
    let (cert, key) = (dir.path(&format!("{name}.pem")), dir.path(&format!("{name}.key")));
    let bc = if ca { "basicConstraints=critical,CA:TRUE" } else { "basicConstraints=CA:FALSE" };
    Key::Rsa2048.pooled(&key);
    run(tool("openssl")
        .args(["req", "-x509", "-new", "-sha256", "-days", "365", "-subj", &format!("/CN={name}")])
        .arg("-key")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-addext", &format!("subjectAltName=email:{email}"), "-addext", bc]));
    Signer { cert, key }
}

/// A leaf certificate issued by `issuer` with the extension text `ext` and subject `subj`.
fn issued(dir: &TempDir, name: &str, subj: &str, issuer: &Signer, ext: &str) -> Signer {
    let (cert, key, csr, extf) = (dir.path(&format!("{name}.pem")), dir.path(&format!("{name}.key")), dir.path(&format!("{name}.csr")), dir.write(&format!("{name}.ext"), ext.as_bytes()));
    Key::Rsa2048.pooled(&key);
    run(tool("openssl").args(["req", "-new", "-subj", subj]).arg("-key").arg(&key).arg("-out").arg(&csr));
    run(tool("openssl")
        .args(["x509", "-req", "-sha256", "-days", "365", "-set_serial", "4242"])
        .arg("-in")
        .arg(&csr)
        .arg("-CA")
        .arg(&issuer.cert)
        .arg("-CAkey")
        .arg(&issuer.key)
        .arg("-extfile")
        .arg(&extf)
        .arg("-out")
        .arg(&cert));
    Signer { cert, key }
}

fn leaf_ext(email: &str) -> String {
    format!("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:{email}\n")
}

/// A clear-signed message (OpenSSL's multipart/signed) with `headers` put in front.
fn signed(dir: &TempDir, by: &Signer, headers: &str, certfile: Option<&Signer>) -> Vec<u8> {
    let content = dir.write("content.txt", b"Content-Type: text/plain\r\n\r\nPlease pay the invoice to the new account.\r\n");
    let out = dir.path("signed.eml");
    let mut cmd = tool("openssl");
    cmd.args(["cms", "-sign", "-md", "sha256"]).arg("-in").arg(&content).arg("-signer").arg(&by.cert).arg("-inkey").arg(&by.key).arg("-out").arg(&out);
    if let Some(c) = certfile {
        cmd.arg("-certfile").arg(&c.cert);
    }
    run(&mut cmd);
    // OpenSSL writes LF line breaks; a transport delivers CRLF (what was signed is CRLF).
    let body = String::from_utf8(std::fs::read(&out).unwrap()).unwrap().replace("\r\n", "\n");
    (headers.to_string() + &body).replace('\n', "\r\n").into_bytes()
}

fn path_str(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn first_signer(r: &serde_json::Value) -> &serde_json::Value {
    &r["layers"][0]["signers"][0]
}

fn details(r: &serde_json::Value) -> String {
    let mut all = Vec::new();
    for l in r["layers"].as_array().into_iter().flatten() {
        all.extend(l["details"].as_array().into_iter().flatten().filter_map(|d| d.as_str()).map(str::to_string));
        for s in l["signers"].as_array().into_iter().flatten() {
            all.extend(s["details"].as_array().into_iter().flatten().filter_map(|d| d.as_str()).map(str::to_string));
            all.extend(s["chain"]["details"].as_array().into_iter().flatten().filter_map(|d| d.as_str()).map(str::to_string));
        }
    }
    all.join(" | ")
}

const VICTIM: &str = "From: Bank <victim@bank.example>\nTo: <bob@example.net>\nSubject: new account\n";

/// The review's attack: the user pinned a stranger's self-signed (cA=TRUE) certificate; the
/// stranger issues a certificate for victim@bank.example and signs mail with it.
#[test]
fn pinned_stranger_does_not_vouch_for_what_it_issues() {
    let d = TempDir::new("trust-pin-stranger");
    let stranger = self_signed(&d, "stranger", "stranger@evil.example", true);
    let forged = issued(&d, "forged", "/CN=Victim Bank", &stranger, &leaf_ext("victim@bank.example"));
    let msg = signed(&d, &forged, VICTIM, Some(&stranger));

    // Pinned: not valid. The signature is intact, the issuer is not trusted.
    let (r, code) = open(&msg, &["--pin", path_str(&stranger.cert)]);
    assert_eq!(status(&r), "valid-unknown-ca", "{r:#}");
    assert_eq!(code, 3);
    assert_eq!(first_signer(&r)["chain"]["status"], "unknown-ca");
    assert!(first_signer(&r)["chain"].get("trusted_by").is_none(), "{r:#}");
    // Also when the stranger's certificate is not in the message, only pinned.
    let bare = signed(&d, &forged, VICTIM, None);
    let (r, _) = open(&bare, &["--pin", path_str(&stranger.cert)]);
    assert_eq!(status(&r), "valid-unknown-ca", "{r:#}");

    // As a root (--trust) it does issue: valid, and the report says the trust is a root's.
    let (r, code) = open(&msg, &["--trust", path_str(&stranger.cert)]);
    assert_eq!((status(&r), code), ("valid", 0), "{r:#}");
    assert_eq!(first_signer(&r)["chain"]["trusted_by"], "root");
    let path = first_signer(&r)["chain"]["path"].as_array().unwrap();
    assert_eq!((path.len(), &path[1]["trusted_as"], path[1]["anchor"].as_bool()), (2, &serde_json::json!("root"), Some(true)));

    // The forged leaf itself pinned: valid for its own address, as a pin.
    let (r, code) = open(&msg, &["--pin", path_str(&forged.cert)]);
    assert_eq!((status(&r), code), ("valid", 0), "{r:#}");
    assert_eq!(first_signer(&r)["chain"]["trusted_by"], "pin");
    assert_eq!(first_signer(&r)["chain"]["path"].as_array().unwrap().len(), 1);
    // ... and only for that address: a message From another address is not valid.
    let other = String::from_utf8(msg.clone()).unwrap().replacen("victim@bank.example", "ceo@bank.example", 1);
    let (r, _) = open(other.as_bytes(), &["--pin", path_str(&forged.cert)]);
    assert_eq!(status(&r), "address-mismatch", "{r:#}");
    assert_eq!(first_signer(&r)["chain"]["status"], "unknown-ca", "the pin does not count for ceo@: {r:#}");
    assert!(details(&r).contains("not for ceo@bank.example"), "{}", details(&r));
}

/// A CA certificate (cA=TRUE) is not a mail signer (SPEC section 1), pinned or a root.
#[test]
fn ca_certificate_signing_mail_is_wrong_usage() {
    let d = TempDir::new("trust-ca-signer");
    let stranger = self_signed(&d, "stranger", "stranger@evil.example", true);
    let msg = signed(&d, &stranger, "From: <stranger@evil.example>\nTo: <bob@example.net>\nSubject: hi\n", None);
    for flag in ["--pin", "--trust"] {
        let (r, code) = open(&msg, &[flag, path_str(&stranger.cert)]);
        assert_eq!((status(&r), code), ("wrong-usage", 3), "{flag}: {r:#}");
        assert!(details(&r).contains("certificate authority"), "{flag}: {}", details(&r));
    }
    // The same stranger with cA=FALSE, pinned: its own mail is valid.
    let plain = self_signed(&d, "plain", "plain@evil.example", false);
    let msg = signed(&d, &plain, "From: <plain@evil.example>\nTo: <bob@example.net>\nSubject: hi\n", None);
    let (r, code) = open(&msg, &["--pin", path_str(&plain.cert)]);
    assert_eq!((status(&r), code), ("valid", 0), "{r:#}");
    assert_eq!(first_signer(&r)["chain"]["trusted_by"], "pin");
    // Unpinned it is intact but unknown.
    assert_eq!(status(&open(&msg, &[]).0), "valid-unknown-ca");
}

#[test]
fn pin_flag_usage_errors() {
    let out = run_with_input(cachet().args(["open", "--pin"]), b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pin"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run_with_input(cachet().args(["open", "--pin", "/nonexistent/cert.pem"]), b"From: a@b\r\n\r\nx\r\n");
    assert_eq!(out.status.code(), Some(2));
    let out = run_with_input(cachet().arg("--help"), b"");
    let usage = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(usage.contains("--pin CERT"), "{usage}");
}

/// A root CA and leaves under it, for the signer-binding rules.
struct Ca {
    d: TempDir,
    root: Signer,
}

fn ca(tag: &str) -> Ca {
    let d = TempDir::new(tag);
    let root = self_signed(&d, "root", "ca@example.org", true);
    Ca { d, root }
}

impl Ca {
    fn open(&self, msg: &[u8]) -> (serde_json::Value, i32) {
        open(msg, &["--trust", path_str(&self.root.cert)])
    }
}

/// The subject's legacy emailAddress binds only when the certificate has no SAN address.
#[test]
fn legacy_email_address_counts_only_without_san() {
    let c = ca("trust-legacy-email");
    let base = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\n";
    let both = issued(&c.d, "both", "/CN=Alice/emailAddress=alice@example.org", &c.root, &format!("{base}subjectAltName=email:alice.other@example.org\n"));
    let msg = signed(&c.d, &both, "From: <alice@example.org>\nTo: <bob@example.net>\nSubject: hi\n", None);
    let (r, _) = c.open(&msg);
    assert_eq!(status(&r), "address-mismatch", "{r:#}");
    assert_eq!(first_signer(&r)["certificate"]["emails"], serde_json::json!(["alice.other@example.org"]));
    // From the SAN address it is valid.
    let msg = signed(&c.d, &both, "From: <alice.other@example.org>\nTo: <bob@example.net>\nSubject: hi\n", None);
    assert_eq!(status(&c.open(&msg).0), "valid");
    // Without a SAN address, the subject's emailAddress binds.
    let legacy = issued(&c.d, "legacy", "/CN=Alice/emailAddress=alice@example.org", &c.root, base);
    let msg = signed(&c.d, &legacy, "From: <alice@example.org>\nTo: <bob@example.net>\nSubject: hi\n", None);
    let (r, _) = c.open(&msg);
    assert_eq!(status(&r), "valid", "{r:#}");
}

/// Exactly one From header with exactly one address, shown plainly; a Sender naming the
/// signer also binds (RFC 8550 section 3), and the details say so.
#[test]
fn from_binding_is_strict() {
    let c = ca("trust-from");
    let alice = issued(&c.d, "alice", "/CN=Alice", &c.root, &leaf_ext("alice@example.org"));
    let with = |headers: &str| {
        let msg = signed(&c.d, &alice, headers, None);
        c.open(&msg).0
    };
    let r = with("From: Alice <alice@example.org>\nTo: <bob@example.net>\nSubject: hi\n");
    assert_eq!(status(&r), "valid", "{r:#}");
    for (headers, why) in [
        ("From: <alice@example.org>\nFrom: <mallory@evil.example>\nTo: <bob@example.net>\n", "2 From headers"),
        ("From: <mallory@evil.example>\nFrom: <alice@example.org>\nTo: <bob@example.net>\n", "2 From headers"),
        ("From: <alice@example.org>, <mallory@evil.example>\nTo: <bob@example.net>\n", "names 2 addresses"),
        ("From: \"bob@bank.example\" <alice@example.org>\nTo: <bob@example.net>\n", "display name shows the address bob@bank.example"),
        ("From: bob@bank.example <alice@example.org>\nTo: <bob@example.net>\n", "display name shows the address bob@bank.example"),
        ("From: alice@example.org (bob@bank.example)\nTo: <bob@example.net>\n", "bob@bank.example"),
    ] {
        let r = with(headers);
        assert_eq!(status(&r), "address-mismatch", "{headers}: {r:#}");
        assert!(details(&r).contains(why), "{headers}: {}", details(&r));
        assert_eq!(first_signer(&r)["address"]["matches"], false);
        assert!(first_signer(&r)["address"]["problem"].as_str().unwrap_or("").contains(why), "{headers}: {r:#}");
    }
    // Several From addresses are not rescued by a Sender header.
    let r = with("From: <alice@example.org>, <carol@example.org>\nSender: <alice@example.org>\nTo: <bob@example.net>\n");
    assert_eq!(status(&r), "address-mismatch", "{r:#}");
    // The display name repeating the real address is fine.
    assert_eq!(status(&with("From: \"alice@example.org\" <alice@example.org>\nTo: <bob@example.net>\n")), "valid");
    // A Sender naming the signer on behalf of another From address.
    let r = with("From: <boss@example.org>\nSender: Alice <alice@example.org>\nTo: <bob@example.net>\n");
    assert_eq!(status(&r), "valid", "{r:#}");
    assert!(details(&r).contains("on behalf of"), "{}", details(&r));
    assert_eq!((&first_signer(&r)["address"]["sender"], &first_signer(&r)["address"]["from"]), (&serde_json::json!("alice@example.org"), &serde_json::json!("boss@example.org")));
    // The plain case names no problem and no sender.
    let r = with("From: Alice <alice@example.org>\nTo: <bob@example.net>\n");
    assert!(first_signer(&r)["address"].get("problem").is_none() && first_signer(&r)["address"].get("sender").is_none(), "{r:#}");
    // A Sender that is not the signer does not help.
    let r = with("From: <boss@example.org>\nSender: <carol@example.org>\nTo: <bob@example.net>\n");
    assert_eq!(status(&r), "address-mismatch", "{r:#}");
}

/// RFC 1847 / RFC 8551: exactly two body parts, the second an application/(x-)pkcs7-signature,
/// a protocol parameter naming it. Anything else is malformed, never valid.
#[test]
fn multipart_signed_structure() {
    let c = ca("trust-structure");
    let alice = issued(&c.d, "alice", "/CN=Alice", &c.root, &leaf_ext("alice@example.org"));
    let msg = String::from_utf8(signed(&c.d, &alice, "From: <alice@example.org>\nTo: <bob@example.net>\nSubject: hi\n", None)).unwrap();
    assert_eq!(status(&c.open(msg.as_bytes()).0), "valid");
    let boundary = msg.split("boundary=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let end = format!("--{boundary}--");
    let check = |m: &str, want: &str, why: &str| {
        let (r, code) = c.open(m.as_bytes());
        assert_eq!((status(&r), code), (want, 3), "{why}: {r:#}");
        assert_eq!(r["layers"][0]["status"], want, "{why}");
        if want == "malformed" {
            assert!(details(&r).contains(why), "{why}: {}", details(&r));
        }
    };
    // A third part after the signature.
    let third = msg.replacen(&end, &format!("--{boundary}\r\nContent-Type: text/plain\r\n\r\nPay to account 666.\r\n{end}"), 1);
    check(&third, "malformed", "has 3 body parts");
    // A third part between content and signature.
    let first_delim = format!("--{boundary}\r\n");
    let second_start = msg.match_indices(&first_delim).nth(1).unwrap().0;
    let mut middle = msg.clone();
    middle.insert_str(second_start, &format!("--{boundary}\r\nContent-Type: text/plain\r\n\r\nPay to account 666.\r\n\r\n"));
    check(&middle, "malformed", "has 3 body parts");
    // The second part is not a signature type.
    let sig_type = if msg.contains("Content-Type: application/x-pkcs7-signature") { "application/x-pkcs7-signature" } else { "application/pkcs7-signature" };
    let wrong = msg.replacen(&format!("Content-Type: {sig_type}"), "Content-Type: application/octet-stream", 1);
    check(&wrong, "malformed", "not application/pkcs7-signature");
    // No protocol parameter.
    let proto = msg.split("protocol=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let no_proto = msg.replacen(&format!("protocol=\"{proto}\";"), "", 1);
    assert_ne!(no_proto, msg);
    check(&no_proto, "malformed", "no protocol parameter");
    // The x- and plain spellings are the same type: still valid.
    let other_spelling = if proto.contains("/x-") { "application/pkcs7-signature" } else { "application/x-pkcs7-signature" };
    let respelled = msg.replacen(&format!("protocol=\"{proto}\""), &format!("protocol=\"{other_spelling}\""), 1);
    assert_eq!(status(&c.open(respelled.as_bytes()).0), "valid");
    // A protocol that is not a signature type: not S/MIME at all, so nothing green.
    let pgp = msg.replacen(&format!("protocol=\"{proto}\""), "protocol=\"application/pgp-signature\"", 1);
    assert_eq!(status(&c.open(pgp.as_bytes()).0), "unsigned");
    // A mismatched micalg stays a note: valid, with the detail.
    let micalg = msg.replacen("micalg=\"sha-256\"", "micalg=\"sha-512\"", 1);
    assert_ne!(micalg, msg, "OpenSSL writes micalg=\"sha-256\"");
    let (r, _) = c.open(micalg.as_bytes());
    assert_eq!(status(&r), "valid", "{r:#}");
    assert!(details(&r).contains("micalg"), "{}", details(&r));
}
