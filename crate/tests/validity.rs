//! Validity periods before use, through the CLI: `cachet sign` refuses an identity
//! certificate that has expired or is not yet valid at `--at`, and `cachet encrypt` refuses
//! a recipient certificate outside its period; each says the date and what to do, exits 2
//! and writes nothing. Within the period both work and openssl reads the result.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;

/// The certificate's notAfter and notBefore dates (YYYY-MM-DD) as openssl prints them.
fn openssl_dates(cert: &std::path::Path) -> (String, String) {
    let out = run(tool("openssl").args(["x509", "-noout", "-startdate", "-enddate", "-dateopt", "iso_8601"]).arg("-in").arg(cert));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).unwrap().get(..10).unwrap().to_string();
    (field("notBefore="), field("notAfter="))
}

#[test]
fn sign_and_encrypt_refuse_certificates_outside_their_validity_period() {
    let pki = Pki::new("validity-cli");
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let (alice_from, alice_until) = openssl_dates(&alice.cert);
    let (bob_from, bob_until) = openssl_dates(&bob.cert);
    let msg = message("alice@example.org", "bob@example.net");
    let fail = |out: std::process::Output| {
        assert_eq!(out.status.code(), Some(2), "stdout: {}", String::from_utf8_lossy(&out.stdout));
        assert!(out.stdout.is_empty(), "nothing is written on a refusal");
        String::from_utf8_lossy(&out.stderr).to_string()
    };

    // Signing with an expired identity: the date, and renew.
    let sign_at = |at: &str| run_with_input(cachet().arg("sign").arg("--identity").arg(alice.p12()).arg("--password-file").arg(&alice.password).args(["--at", at]), &msg);
    let err = fail(sign_at("2099-01-01T00:00:00Z"));
    assert!(err.contains(&format!("Your certificate for alice@example.org expired on {alice_until}")), "{err}");
    assert!(err.contains("hint: Renew your certificate"), "{err}");
    // Not yet valid: the first day, and check the clock.
    let err = fail(sign_at("2001-01-01T00:00:00Z"));
    assert!(err.contains(&format!("is valid only from {alice_from}")), "{err}");
    assert!(err.contains("date and time"), "{err}");
    // Encrypt with --sign goes through the same refusal.
    let err = fail(run_with_input(
        cachet().arg("encrypt").arg("--recipient").arg(&bob.cert).arg("--identity").arg(alice.p12()).arg("--password-file").arg(&alice.password).args(["--sign", "--at", "2099-01-01T00:00:00Z"]),
        &msg,
    ));
    assert!(err.contains("expired on"), "{err}");

    // Encrypting to an expired recipient certificate: the date, and ask for the new one.
    let encrypt_at = |at: &str| run_with_input(cachet().arg("encrypt").arg("--recipient").arg(&bob.cert).args(["--at", at]), &msg);
    let err = fail(encrypt_at("2099-01-01T00:00:00Z"));
    assert!(err.contains(&format!("The certificate of bob@example.net expired on {bob_until}")), "{err}");
    assert!(err.contains("hint: Ask bob@example.net for their new certificate"), "{err}");
    let err = fail(encrypt_at("2001-01-01T00:00:00Z"));
    assert!(err.contains(&format!("The certificate of bob@example.net is valid only from {bob_from}")), "{err}");

    // Within the period (now): signed and encrypted, and openssl decrypts and verifies it.
    let out = run_with_input(cachet().arg("encrypt").arg("--recipient").arg(&bob.cert).arg("--identity").arg(alice.p12()).arg("--password-file").arg(&alice.password).arg("--sign"), &msg);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let d = TempDir::new("validity-cli-peer");
    let enc = d.write("enc.eml", &out.stdout);
    run(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&enc).arg("-recip").arg(&bob.cert).arg("-inkey").arg(&bob.key).arg("-out").arg(d.path("signed.eml")));
    let verified = run(tool("openssl").args(["cms", "-verify"]).arg("-in").arg(d.path("signed.eml")).arg("-CAfile").arg(pki.ca()));
    assert!(String::from_utf8_lossy(&verified.stdout).contains("Bonjour"));
}
