//! Shared test harness: temporary folders, running real peers, a test PKI made with
//! `openssl` at test time, and the corpus location. Peers are required, not optional:
//! a missing tool fails the test with the package to install (the project's setup
//! script installs them all).
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub use cachet_testkit::{corpus, peer_limitation, run, run_with_input, tool, Key, Leaf, Pki, TempDir};

/// The test PKI shared by the tests of this process (see `Pki::for_process`): its CA, and
/// each leaf issued once for every test that asks for it by the same name and parameters.
/// For tests that need no CA of their own; the PKI's files are only read.
pub fn shared_pki() -> &'static Pki {
    static PKI: std::sync::OnceLock<Pki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| Pki::for_process("shared"))
}

pub fn cachet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cachet"))
}

/// `cachet open` a message; returns the JSON report and the exit code.
pub fn open(msg: &[u8], args: &[&str]) -> (serde_json::Value, i32) {
    let out = run_with_input(cachet().arg("open").args(args), msg);
    let code = out.status.code().unwrap_or(-1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("cachet open printed no JSON ({e}); exit {code}; stderr: {}", String::from_utf8_lossy(&out.stderr)));
    (v, code)
}

/// `cachet sign`; panics on failure.
pub fn sign(msg: &[u8], p12: &Path, pw: &Path, extra: &[&str]) -> Vec<u8> {
    let out = run_with_input(cachet().arg("sign").arg("--identity").arg(p12).arg("--password-file").arg(pw).args(extra), msg);
    assert!(out.status.success(), "cachet sign failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A small RFC 5322 message with non-ASCII text.
pub fn message(from: &str, to: &str) -> Vec<u8> {
    format!(
        "From: Test Sender <{from}>\r\nTo: <{to}>\r\nSubject: =?UTF-8?B?w4ljaGFuZ2UgZGUgY2zDqXM=?=\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\nMessage-ID: <test-1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBonjour, voilà mon certificat.\r\nLine two.\r\n"
    )
    .into_bytes()
}

pub fn status(v: &serde_json::Value) -> &str {
    v["status"].as_str().unwrap_or("?")
}

/// Base64 in 76-character lines joined by CRLF.
fn base64_lines(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    b64.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\r\n")
}

/// A bare detached CMS signature and the bytes it signs, wrapped into a minimal
/// multipart/signed message from `from`. The content is the first part verbatim
/// (headers included when it has any).
pub fn wrap_detached(from: &str, content: &[u8], der: &[u8], micalg: &str) -> Vec<u8> {
    let mut m = format!("From: <{from}>\r\nTo: <bob@example.net>\r\nSubject: corpus\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg={micalg}; boundary=\"b0\"\r\n\r\n--b0\r\n").into_bytes();
    m.extend_from_slice(content);
    m.extend_from_slice(b"\r\n--b0\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    m.extend_from_slice(base64_lines(der).as_bytes());
    m.extend_from_slice(b"\r\n--b0--\r\n");
    m
}

/// A bare CMS blob (DER or BER ContentInfo) wrapped into a minimal
/// application/pkcs7-mime message from `from`.
pub fn wrap_opaque(from: &str, der: &[u8], smime_type: &str) -> Vec<u8> {
    format!("From: <{from}>\r\nTo: <bob@example.net>\r\nSubject: corpus\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type={smime_type}; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n", base64_lines(der)).into_bytes()
}

/// A GnuPG home for gpgsm that trusts `ca` (no CRL checks, no dirmngr, loopback pinentry).
pub fn gpgsm_home(dir: &TempDir, ca: &Path) -> PathBuf {
    let home = dir.path("gnupg");
    std::fs::create_dir_all(&home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    std::fs::write(home.join("gpgsm.conf"), "disable-crl-checks\ndisable-dirmngr\n").unwrap();
    // `s2k-count`: the agent's own passphrase protection of the keys it stores in this
    // throw-away home, fixed at its minimum. Left to itself the agent calibrates that count to
    // 100 ms of hashing first (about a second of CPU per agent, most of what gpgsm cost these
    // tests) and then spends it on every import and use of a key; no test reads that store.
    std::fs::write(home.join("gpg-agent.conf"), "allow-loopback-pinentry\ns2k-count 65536\n").unwrap();
    run(tool("gpgsm").arg("--homedir").arg(&home).arg("--batch").arg("--import").arg(ca));
    let fp = run(tool("openssl").args(["x509", "-noout", "-fingerprint", "-sha1"]).arg("-in").arg(ca));
    let fp = String::from_utf8_lossy(&fp.stdout).trim().split('=').nth(1).unwrap().to_string();
    std::fs::write(home.join("trustlist.txt"), format!("{fp} S relax\n")).unwrap();
    home
}

/// Import `key` and `cert` into the gpgsm home as a legacy-format PKCS#12 (gpgsm 2.2 reads only
/// those) made by openssl with the password "pw" and `export_args` (e.g. `-name`). gpgsm
/// starts its gpg-agent on first use, and on a busy machine the first import can fail before
/// the agent answers; gpgsm also fails to decrypt about one in fifty of openssl's legacy files
/// for the same key and password, depending on the export's random salt (seen here: two of 103
/// pooled keys failed once and imported from a second export). So it tries three times, with
/// a new export each time.
pub fn gpgsm_import_legacy(dir: &TempDir, home: &Path, key: &Path, cert: &Path, export_args: &[&str]) {
    let legacy = dir.path("legacy.p12");
    let mut errors = Vec::new();
    for _ in 0..3 {
        run(tool("openssl").args(["pkcs12", "-export", "-legacy", "-passout", "pass:pw"]).args(export_args).arg("-inkey").arg(key).arg("-in").arg(cert).arg("-out").arg(&legacy));
        let out = run_with_input(tool("gpgsm").arg("--homedir").arg(home).args(["--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--import"]).arg(&legacy), b"pw\n");
        if out.status.success() {
            return;
        }
        errors.push(String::from_utf8_lossy(&out.stderr).into_owned());
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    panic!("gpgsm import failed three times: {}", errors.join("\n---\n"));
}

/// Stop the gpg-agent a gpgsm home started.
pub fn gpgsm_cleanup(home: &Path) {
    let _ = Command::new("gpgconf").arg("--homedir").arg(home).args(["--kill", "gpg-agent"]).output();
}

/// Check that `der` is DER as far as a strict reader looks at it: definite, minimal
/// lengths everywhere, and the elements of every SET OF (tag 0x31, and the implicitly
/// tagged SET OFs `in_sets` names by their path of child indexes) in ascending order of
/// their encodings (X.690 10.1, 11.6). Panics with the path of the first violation.
pub fn assert_strict_der(der: &[u8], what: &str) {
    fn header(b: &[u8], at: usize) -> Result<(u8, usize, usize), String> {
        let tag = *b.get(at).ok_or("truncated tag")?;
        if tag & 0x1f == 0x1f {
            return Err("high tag number".into());
        }
        let first = *b.get(at + 1).ok_or("truncated length")? as usize;
        if first < 0x80 {
            return Ok((tag, at + 2, first));
        }
        let n = first & 0x7f;
        if n == 0 {
            return Err("indefinite length".into());
        }
        let bytes = b.get(at + 2..at + 2 + n).ok_or("truncated length")?;
        if bytes[0] == 0 || (n == 1 && bytes[0] < 0x80) {
            return Err("length not minimal".into());
        }
        let len = bytes.iter().fold(0usize, |a, x| (a << 8) | *x as usize);
        Ok((tag, at + 2 + n, len))
    }
    fn walk(b: &[u8], start: usize, end: usize, path: &mut Vec<usize>, what: &str) {
        let mut at = start;
        let mut index = 0;
        while at < end {
            let (tag, body, len) = header(b, at).unwrap_or_else(|e| panic!("{what}: not DER at {path:?}/{index}: {e}"));
            let stop = body + len;
            assert!(stop <= end, "{what}: element overruns its parent at {path:?}/{index}");
            path.push(index);
            if tag & 0x20 != 0 {
                if tag == 0x31 {
                    let mut kids: Vec<&[u8]> = Vec::new();
                    let mut k = body;
                    while k < stop {
                        let (_, kb, kl) = header(b, k).unwrap_or_else(|e| panic!("{what}: not DER in the SET at {path:?}: {e}"));
                        kids.push(&b[k..kb + kl]);
                        k = kb + kl;
                    }
                    assert!(kids.windows(2).all(|w| w[0] <= w[1]), "{what}: SET OF not in DER order at {path:?}");
                }
                walk(b, body, stop, path, what);
            }
            path.pop();
            at = stop;
            index += 1;
        }
    }
    walk(der, 0, der.len(), &mut Vec::new(), what);
}

/// Python `cryptography` reading Cachet's output with its strict DER parser (warnings are
/// errors: without that, `load_der_pkcs7_certificates` falls back to BER with a warning).
/// `argv`: mode (`signed` for a message, `decrypt` for an envelope DER with cert and key),
/// then the files. Prints what it read.
pub const PY_STRICT: &str = r#"
import sys, warnings, email, pathlib
warnings.simplefilter('error')
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
def check_message(raw):
    found = 0
    for part in email.message_from_bytes(raw).walk():
        ct = part.get_content_type()
        smime = (part.get_param('smime-type') or '').lower()
        if ct in ('application/pkcs7-signature', 'application/x-pkcs7-signature') or (ct in ('application/pkcs7-mime', 'application/x-pkcs7-mime') and smime == 'signed-data'):
            certs = pkcs7.load_der_pkcs7_certificates(part.get_payload(decode=True))
            print('signed-data with', len(certs), 'certificates')
            found += 1
    return found
# Each recipient's key is loaded once a process, however many envelopes it decrypts (loading
# an RSA key checks its primes: about as much CPU as a decryption, for a test key openssl made).
keys = {}
def decrypt(envelope, cert_path, key_path, inner):
    cert = x509.load_pem_x509_certificate(pathlib.Path(cert_path).read_bytes())
    if key_path not in keys:
        keys[key_path] = serialization.load_pem_private_key(pathlib.Path(key_path).read_bytes(), None)
    key = keys[key_path]
    plain = pkcs7.pkcs7_decrypt_der(pathlib.Path(envelope).read_bytes(), cert, key, [])
    print('decrypted', len(plain), 'bytes')
    if inner == 'inner-signed' and check_message(plain) == 0:
        sys.exit('no inner signature found')
if sys.argv[1] == 'signed-each':
    # One process for many signed messages (one path a line); each result is printed after
    # its path, and every failure is named.
    failed = []
    for path in sys.stdin.read().splitlines():
        print('file', path)
        try:
            if check_message(pathlib.Path(path).read_bytes()) == 0:
                failed.append(f'{path}: no signature found')
        except BaseException as e:
            failed.append(f'{path}: {e!r}')
    if failed:
        sys.exit('\n'.join(failed))
elif sys.argv[1] == 'decrypt-each':
    # One process for many decryptions (each line: envelope, certificate, key, inner-signed or
    # -, tab-separated); every failure is named.
    failed = []
    for line in sys.stdin.read().splitlines():
        try:
            decrypt(*line.split('\t'))
        except BaseException as e:
            failed.append(f'{line}: {e!r}')
    if failed:
        sys.exit('\n'.join(failed))
else:
    decrypt(*sys.argv[2:5], sys.argv[5] if len(sys.argv) > 5 else '-')
"#;

/// The CMS blob of a signed or enveloped message exactly as Cachet wrote it (the body of the
/// first `application/pkcs7-mime` or `pkcs7-signature` part, transfer-decoded). Not through
/// `openssl cms -cmsout`: OpenSSL re-encodes what it read, which sorts every SET OF and would
/// hide an ordering bug.
pub fn cms_blob(msg: &[u8]) -> Vec<u8> {
    fn find(e: &cachet::mime::Entity<'_>) -> Option<Vec<u8>> {
        let essence = e.content_type().essence();
        if essence.ends_with("pkcs7-mime") || essence.ends_with("pkcs7-signature") {
            return e.body_decoded().ok();
        }
        e.children().iter().find_map(find)
    }
    let top = cachet::mime::parse(msg, &cachet::mime::Limits::default()).unwrap();
    find(&top).expect("no CMS part in the message")
}
