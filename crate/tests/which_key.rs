//! "Which key do I need" through the CLI (SPEC sections 2 and 7), with a key history of three
//! renewals made by openssl: Alice held four certificates in turn (2023, 2024, 2025, and the
//! current one). Messages encrypted by openssl to each older one (one naming the recipient by
//! subjectKeyIdentifier, `-keyid`) do not open with the current key alone; the report's
//! diagnosis names the certificate each was encrypted to (subject, serial, expiry) when the
//! older certificates are given with `--key-history`, and says when a message was encrypted to
//! none of them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;

fn serial(cert: &std::path::Path) -> String {
    let out = run(tool("openssl").args(["x509", "-noout", "-serial"]).arg("-in").arg(cert));
    String::from_utf8_lossy(&out.stdout).trim().trim_start_matches("serial=").to_uppercase()
}

fn not_after_day(cert: &std::path::Path) -> String {
    let out = run(tool("openssl").args(["x509", "-noout", "-enddate", "-dateopt", "iso_8601"]).arg("-in").arg(cert));
    String::from_utf8_lossy(&out.stdout).trim().trim_start_matches("notAfter=").get(..10).unwrap().to_string()
}

#[test]
fn a_message_for_an_older_key_names_the_certificate_it_needs() {
    let pki = Pki::new("which-key");
    // Four certificates for one address: the original and three renewals.
    let history: Vec<Leaf> = ["alice-2023", "alice-2024", "alice-2025", "alice-2026"].iter().enumerate().map(|(i, n)| pki.leaf(n, "alice@example.org", Key::Rsa2048, None, 400 + i as u32 * 100)).collect();
    let eve = pki.leaf("eve", "eve@example.org", Key::Rsa2048, None, 365);
    let current = &history[3];
    let d = TempDir::new("which-key-run");
    let body = d.write("body.txt", b"Content-Type: text/plain\r\n\r\nFor an older key.\r\n");
    let encrypt_to = |cert: &std::path::Path, keyid: bool, out: &str| -> Vec<u8> {
        let mut cmd = tool("openssl");
        cmd.args(["cms", "-encrypt", "-aes-256-cbc", "-from", "bob@example.net", "-to", "alice@example.org", "-subject", "old"]).arg("-in").arg(&body);
        if keyid {
            cmd.arg("-keyid");
        }
        cmd.arg("-out").arg(d.path(out)).arg(cert);
        run(&mut cmd);
        d.read(out)
    };
    let older: Vec<String> = history[..3].iter().map(|l| l.cert.to_str().unwrap().to_string()).collect();
    let open_args = |with_history: bool| -> Vec<String> {
        let mut a = vec!["--identity".into(), current.p12().to_str().unwrap().into(), "--password-file".into(), current.password.to_str().unwrap().into()];
        if with_history {
            for c in &older {
                a.extend(["--key-history".into(), c.clone()]);
            }
        }
        a
    };
    let diagnosis = |r: &serde_json::Value, id: &str| -> String {
        r["diagnosis"].as_array().unwrap().iter().find(|x| x["id"] == id).map(|x| x["message"].as_str().unwrap().to_string()).unwrap_or_else(|| panic!("no {id} diagnosis: {r}"))
    };

    for (i, keyid) in [(0, false), (1, true), (2, false)] {
        let leaf = &history[i];
        let msg = encrypt_to(&leaf.cert, keyid, &format!("to-{i}.eml"));
        let args = open_args(true);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (r, code) = open(&msg, &args);
        assert_eq!((status(&r), code), ("no-key", 3), "{r}");
        let m = diagnosis(&r, "which-key");
        let name = format!("alice-{}", 2023 + i);
        assert!(m.contains(&format!("CN={name}")) || m.contains(&name), "{name}: {m}");
        assert!(m.contains(&format!("serial {}", serial(&leaf.cert))), "{name}: {m}");
        assert!(m.contains(&format!("valid until {}", not_after_day(&leaf.cert))), "{name}: {m}");
        assert!(m.contains("Restore it from the backup"), "{name}: {m}");
        // Without the history: no certificate of hers is named.
        let args = open_args(false);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (r, _) = open(&msg, &args);
        let m = diagnosis(&r, "no-key-of-yours");
        assert!(m.contains("encrypted to none of your certificates"), "{m}");
        // The restored key opens it.
        let (r, code) = open(&msg, &["--identity", leaf.p12().to_str().unwrap(), "--password-file", leaf.password.to_str().unwrap()]);
        assert_eq!((status(&r), code), ("unsigned", 0), "{r}");
    }

    // Encrypted to someone else entirely: none of the four, and who it was for.
    let msg = encrypt_to(&eve.cert, false, "to-eve.eml");
    let args = open_args(true);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (r, code) = open(&msg, &args);
    assert_eq!((status(&r), code), ("no-key", 3), "{r}");
    let m = diagnosis(&r, "no-key-of-yours");
    assert!(m.contains("encrypted to none of your certificates") && m.contains("4 known here"), "{m}");
    assert!(m.contains(&format!("serial {}", serial(&eve.cert))), "{m}");
    assert!(!r["diagnosis"].as_array().unwrap().iter().any(|x| x["id"] == "which-key"), "{r}");
}
