//! RC2 and DES mail (SPEC section 4): refused by default, opened only when the user asks
//! (`--open-legacy`), then decrypted with the weak-cipher warning. Messages made by openssl
//! with its legacy provider: RC2-40, RC2-128 and single DES.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;

#[test]
fn rc2_and_des_open_only_when_asked() {
    let pki = Pki::new("legacy");
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let d = TempDir::new("legacy-run");
    let body = d.write("body.txt", b"Content-Type: text/plain\r\n\r\nSent with an old mail program.\r\n");
    for (flag, name) in [("-rc2-40", "rc2-cbc"), ("-rc2", "rc2-cbc"), ("-des", "des-cbc")] {
        let out = d.path("legacy.eml");
        run(tool("openssl").args(["cms", "-encrypt", "-provider", "legacy", "-provider", "default", flag, "-from", "alice@example.org", "-to", "bob@example.net", "-subject", "old"]).arg("-in").arg(&body).arg("-out").arg(&out).arg(&bob.cert));
        let msg = d.read("legacy.eml");
        let id = ["--identity", bob.p12().to_str().unwrap(), "--password-file", bob.password.to_str().unwrap()];
        // Refused by default: weak-cipher, nothing decrypted, the reason in words.
        let content = d.path("content.txt");
        let _ = std::fs::remove_file(&content);
        let mut args = id.to_vec();
        args.extend(["--content", content.to_str().unwrap()]);
        let (r, code) = open(&msg, &args);
        assert_eq!((status(&r), code), ("weak-cipher", 3), "{flag}: {r}");
        assert_eq!(r["layers"][0]["encryption"]["content_cipher"], name, "{flag}");
        assert_eq!(r["error"]["code"], "unsupported-algorithm", "{flag}: {r}");
        assert!(r["error"]["message"].as_str().unwrap().contains("obsolete cipher"), "{flag}: {r}");
        assert!(!content.exists(), "{flag}: nothing is written when refused");
        // Asked for: decrypted, still weak-cipher, with the warning.
        args.push("--open-legacy");
        let (r, code) = open(&msg, &args);
        assert_eq!((status(&r), code), ("weak-cipher", 3), "{flag}: {r}");
        assert_eq!(r["layers"][0]["status"], "weak-cipher", "{flag}");
        assert!(r["layers"][0]["details"][0].as_str().unwrap().contains("old cipher; treat its secrecy as weak"), "{flag}: {r}");
        assert!(r.get("error").is_none() || r["error"].is_null(), "{flag}: {r}");
        assert!(String::from_utf8_lossy(&std::fs::read(&content).unwrap()).contains("Sent with an old mail program."), "{flag}");
    }
}
