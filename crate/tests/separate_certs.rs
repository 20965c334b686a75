//! Separate signing and encryption certificates (RFC 8551 2.5.3, RFC 8550 4.4.2) through the
//! CLI, with identities made by openssl: a signing-only certificate (keyUsage
//! digitalSignature, nonRepudiation) and an encryption-only one (keyEncipherment) for the
//! same address, given as two .p12 files (either order) or as one .p12 holding both key
//! pairs (the two openssl files' contents joined, with a SHA-256 MAC, by a small script
//! below). Signing uses the signing key and names the encryption certificate in
//! EncryptionKeyPreference (and carries it); the sender's own copy is encrypted to the
//! encryption certificate; openssl checks each; a backup keeps both keys (openssl, NSS).
//! A sender whose only certificate cannot be encrypted to is warned that their copy will
//! not be readable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;
use std::path::{Path, PathBuf};

/// Joins the AuthenticatedSafe contents of several PKCS#12 files (same password) into one
/// file with a new SHA-256 MAC (RFC 7292 appendix B key derivation), as a file holding
/// several key pairs looks.
const JOIN_P12: &str = r#"
import sys, hashlib, hmac, os
def tlv(b, i):
    tag = b[i]; i += 1; l = b[i]; i += 1
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i:i+n], 'big'); i += n
    return tag, i, i + l
def der(tag, body):
    n = len(body)
    if n < 0x80: ln = bytes([n])
    else:
        s = n.to_bytes((n.bit_length() + 7) // 8, 'big'); ln = bytes([0x80 | len(s)]) + s
    return bytes([tag]) + ln + body
def children(b, start, end):
    out = []; i = start
    while i < end:
        t, s, e = tlv(b, i); out.append((t, s, e)); i = e
    return out
def auth_safe_infos(p12):
    # PFX { version, authSafe ContentInfo { data, [0] { OCTET STRING (SEQUENCE OF ContentInfo) } }, macData }
    _, s, e = tlv(p12, 0)
    authsafe = children(p12, s, e)[1]
    expl = children(p12, authsafe[1], authsafe[2])[1]
    _, os_s, os_e = tlv(p12, expl[1])
    octets = p12[os_s:os_e]
    _, ss, se = tlv(octets, 0)
    out = []; i = ss
    while i < se:
        _, _, ce = tlv(octets, i); out.append(octets[i:ce]); i = ce
    return out
def kdf(pw, salt, idb, it, n):
    v, u = 64, 32
    D = bytes([idb]) * v
    def fill(x):
        if not x: return b''
        L = v * ((len(x) + v - 1) // v)
        return (x * (L // len(x) + 1))[:L]
    I = bytearray(fill(salt) + fill(pw)); A = b''
    while len(A) < n:
        a = hashlib.sha256(D + bytes(I)).digest()
        for _ in range(it - 1): a = hashlib.sha256(a).digest()
        A += a
        B = int.from_bytes((a * (v // u + 1))[:v], 'big')
        for j in range(0, len(I), v):
            x = (int.from_bytes(I[j:j+v], 'big') + B + 1) % (1 << (v * 8))
            I[j:j+v] = x.to_bytes(v, 'big')
    return A[:n]
out, pw = sys.argv[1], sys.argv[2]
infos = []
for f in sys.argv[3:]:
    infos += auth_safe_infos(open(f, 'rb').read())
auth = der(0x30, b''.join(infos))
salt = os.urandom(16); it = 2048
bmp = pw.encode('utf-16-be') + b'\0\0'
mac = hmac.new(kdf(bmp, salt, 3, it, 32), auth, hashlib.sha256).digest()
sha256_alg = der(0x30, der(0x06, bytes.fromhex('608648016503040201')) + b'\x05\x00')
mac_data = der(0x30, der(0x30, sha256_alg + der(0x04, mac)) + der(0x04, salt) + der(0x02, it.to_bytes(2, 'big')))
data_oid = der(0x06, bytes.fromhex('2a864886f70d010701'))
content = der(0x30, data_oid + der(0xa0, der(0x04, auth)))
open(out, 'wb').write(der(0x30, der(0x02, b'\x03') + content + mac_data))
"#;

fn join_p12(dir: &TempDir, out: &str, password: &str, files: &[&Path]) -> PathBuf {
    let script = dir.write("join_p12.py", JOIN_P12.as_bytes());
    let out = dir.path(out);
    run(tool("python3").arg(&script).arg(&out).arg(password).args(files));
    out
}

/// Upper-case hex serial of a certificate, as `cachet` reports it.
fn serial(cert: &Path) -> String {
    let out = run(tool("openssl").args(["x509", "-noout", "-serial"]).arg("-in").arg(cert));
    String::from_utf8_lossy(&out.stdout).trim().trim_start_matches("serial=").to_uppercase()
}

const SIGN_EXT: &str = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\nsubjectAltName=email:alice@example.org\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
const ENC_EXT: &str = "basicConstraints=CA:FALSE\nkeyUsage=critical,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:alice@example.org\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

#[test]
fn separate_signing_and_encryption_certificates_from_one_or_two_files() {
    let pki = Pki::new("separate-certs");
    let ca = pki.ca();
    let ca = ca.to_str().unwrap();
    let sign = pki.leaf("alice-sign", "alice@example.org", Key::Rsa2048, Some(SIGN_EXT), 365);
    let enc = pki.leaf("alice-enc", "alice@example.org", Key::Rsa2048, Some(ENC_EXT), 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let d = TempDir::new("separate-certs-run");
    let both = join_p12(&d, "alice-both.p12", "test-password", &[sign.p12(), enc.p12()]);
    let info = run(tool("openssl").args(["pkcs12", "-info", "-noout", "-passin", "pass:test-password"]).arg("-in").arg(&both));
    assert_eq!(String::from_utf8_lossy(&info.stderr).matches("Shrouded Keybag").count(), 2, "openssl reads two keys in the joined file");
    let (sign_serial, enc_serial) = (serial(&sign.cert), serial(&enc.cert));
    let pw = &sign.password;
    let msg = message("alice@example.org", "bob@example.net");

    let ways: [(&str, Vec<&Path>); 3] = [("two files", vec![sign.p12(), enc.p12()]), ("two files, encryption first", vec![enc.p12(), sign.p12()]), ("one file with both", vec![&both])];
    for (way, files) in ways {
        let ids: Vec<String> = files.iter().flat_map(|f| ["--identity".to_string(), f.to_str().unwrap().to_string(), "--password-file".to_string(), pw.to_str().unwrap().to_string()]).collect();

        // Signed with the signing key; openssl verifies and names the signing certificate.
        let out = run_with_input(cachet().arg("sign").args(&ids), &msg);
        assert!(out.status.success(), "{way}: {}", String::from_utf8_lossy(&out.stderr));
        let signed = d.write("signed.eml", &out.stdout);
        run(tool("openssl").args(["cms", "-verify", "-CAfile"]).arg(pki.ca()).arg("-in").arg(&signed).arg("-signer").arg(d.path("signer.pem")).arg("-out").arg(d.path("content.txt")));
        assert_eq!(serial(&d.path("signer.pem")), sign_serial, "{way}: signed with the signing certificate");
        // EncryptionKeyPreference names the encryption certificate, which the message carries.
        let (report, code) = open(&out.stdout, &["--trust", ca]);
        assert_eq!((status(&report), code), ("valid", 0), "{way}: {report}");
        let signer = &report["layers"][0]["signers"][0];
        assert_eq!(signer["certificate"]["serial"], sign_serial.as_str(), "{way}");
        assert_eq!(signer["encryption_key_preference"]["issuer_and_serial"]["serial"], enc_serial.as_str(), "{way}: {signer}");
        assert!(report["certificates"].as_array().unwrap().iter().any(|c| c["facts"]["serial"] == enc_serial.as_str()), "{way}: the encryption certificate travels in the message");

        // Encrypted (signed first) to Bob and to Alice's encryption certificate, never to her signing one.
        let out = run_with_input(cachet().arg("encrypt").arg("--recipient").arg(&bob.cert).args(&ids).arg("--sign"), &msg);
        assert!(out.status.success(), "{way}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"), "{way}: no warning with an encryption certificate");
        let enc_msg = d.write("enc.eml", &out.stdout);
        let printed = String::from_utf8_lossy(&run(tool("openssl").args(["cms", "-cmsout", "-print"]).arg("-in").arg(&enc_msg)).stdout).to_string();
        let serial_dec = |hex: &str| u128::from_str_radix(hex, 16).unwrap().to_string();
        assert!(printed.contains(&format!("serialNumber: {}", serial_dec(&enc_serial))), "{way}: a RecipientInfo for the encryption certificate:\n{printed}");
        assert!(!printed.contains(&format!("serialNumber: {}", serial_dec(&sign_serial))), "{way}: none for the signing certificate");
        // Alice's own copy opens with her encryption key in openssl, and the inner signature is hers.
        run(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&enc_msg).arg("-recip").arg(&enc.cert).arg("-inkey").arg(&enc.key).arg("-out").arg(d.path("own.eml")));
        let v = run(tool("openssl").args(["cms", "-verify", "-CAfile"]).arg(pki.ca()).arg("-in").arg(d.path("own.eml")));
        assert!(String::from_utf8_lossy(&v.stdout).contains("Bonjour"), "{way}");
        // And in Cachet with the same identity files.
        let mut args: Vec<&str> = ids.iter().map(String::as_str).collect();
        args.extend(["--trust", ca]);
        let (report, code) = open(&out.stdout, &args);
        assert_eq!((status(&report), code), ("valid", 0), "{way}: {report}");
    }

    // A backup of the joined identity keeps both key pairs: openssl and NSS read two keys,
    // and Cachet pairs them again.
    let new_pw = d.write("new-pw", b"backup passphrase\n");
    let out = run(cachet().arg("backup").args(["--identity"]).arg(sign.p12()).arg("--identity").arg(enc.p12()).arg("--password-file").arg(pw).arg("--new-password-file").arg(&new_pw));
    let backup = d.write("backup.p12", &out.stdout);
    let info = run(tool("openssl").args(["pkcs12", "-info", "-noout", "-passin"]).arg(format!("file:{}", new_pw.display())).arg("-in").arg(&backup));
    assert_eq!(String::from_utf8_lossy(&info.stderr).matches("Shrouded Keybag").count(), 2);
    let db = d.path("nssdb");
    std::fs::create_dir_all(&db).unwrap();
    run(tool("certutil").arg("-N").arg("-d").arg(&db).arg("--empty-password"));
    run(tool("pk12util").arg("-i").arg(&backup).arg("-d").arg(&db).arg("-w").arg(&new_pw).args(["-K", ""]));
    let keys = String::from_utf8_lossy(&run(tool("certutil").arg("-K").arg("-d").arg(&db)).stdout).to_string();
    assert_eq!(keys.matches("rsa").count(), 2, "NSS holds both keys: {keys}");
    let facts: serde_json::Value = serde_json::from_slice(&run(cachet().arg("cert").arg(&backup).arg("--password-file").arg(&new_pw)).stdout).unwrap();
    let serials: Vec<&str> = facts.as_array().unwrap().iter().map(|f| f["serial"].as_str().unwrap()).collect();
    assert_eq!(serials.first().copied(), Some(sign_serial.as_str()), "the signing certificate first: {serials:?}");
    assert!(serials.contains(&enc_serial.as_str()), "{serials:?}");

    // Only a signing certificate: encrypting works for Bob, with a warning that the
    // sender's own copy will not be readable.
    let out = run_with_input(cachet().arg("encrypt").arg("--recipient").arg(&bob.cert).arg("--identity").arg(sign.p12()).arg("--password-file").arg(pw), &msg);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("your own copy of this message will not be readable"), "{err}");
    assert!(err.contains("key encipherment"), "{err}");
}
