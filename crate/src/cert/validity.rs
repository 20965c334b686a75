//! Validity dates before use (SPEC sections 3 and 5; RFC 5280 4.1.2.5): Cachet does not sign
//! with a certificate outside its validity period, and does not encrypt to one. The errors
//! name the certificate, the date, and what to do (renew, or ask the contact for their new
//! certificate). Reading is not affected: old mail is judged by the verdicts of section 1.
//!
//! # Security
//! The certificates come from the user's own store or from files; only their dates and
//! names are read here (no parsing beyond what `x509-cert` already did). The time is an input.

use crate::error::{Code, Error, Result};
use crate::time::UnixTime;
use x509_cert::Certificate;

/// Where a certificate stands against `at`: before, within (inclusive) or after its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    NotYetValid,
    Current,
    Expired,
}

/// The certificate's notBefore and notAfter.
pub fn dates(cert: &Certificate) -> (UnixTime, UnixTime) {
    let v = cert.tbs_certificate().validity();
    (UnixTime::from_der_time(&v.not_before), UnixTime::from_der_time(&v.not_after))
}

/// Where `cert` stands at `at` (valid from notBefore through notAfter inclusive).
pub fn period(cert: &Certificate, at: UnixTime) -> Period {
    let (nb, na) = dates(cert);
    if at < nb {
        Period::NotYetValid
    } else if at > na {
        Period::Expired
    } else {
        Period::Current
    }
}

/// A time as a date and time a user reads: `2026-03-01 12:00 UTC`.
pub fn when(t: UnixTime) -> String {
    let s = t.to_rfc3339();
    match (s.get(..10), s.get(11..16)) {
        (Some(day), Some(hm)) => format!("{day} {hm} UTC"),
        _ => s,
    }
}

/// The certificate as a user recognises it: its e-mail addresses, else its subject.
fn who(cert: &Certificate) -> String {
    let emails = crate::cert::facts::email_addresses(cert);
    if emails.is_empty() {
        cert.tbs_certificate().subject().to_string()
    } else {
        emails.join(", ")
    }
}

/// The detail every refusal carries: serial and validity period, for support.
fn detail(cert: &Certificate) -> String {
    let (nb, na) = dates(cert);
    let serial = crate::cert::facts::hex(cert.tbs_certificate().serial_number().as_bytes());
    format!("serial {serial}, valid {} to {}", when(nb), when(na))
}

/// Refuse to sign at `at` with a certificate outside its validity period:
/// `certificate-expired` (renew) or `certificate-not-yet-valid` (wait, or check the clock).
pub fn check_signing(cert: &Certificate, at: UnixTime) -> Result<()> {
    let (nb, na) = dates(cert);
    match period(cert, at) {
        Period::Current => Ok(()),
        Period::Expired => Err(Error::new(
            Code::CertificateExpired,
            format!("Your certificate for {} expired on {}: it can no longer sign mail.", who(cert), when(na)),
            "Renew your certificate with the authority that issued it, import the new one, then send signed mail to your contacts. Keep the old one: it still opens old mail.",
        )
        .with_detail(detail(cert))),
        Period::NotYetValid => Err(Error::new(
            Code::CertificateNotYetValid,
            format!("Your certificate for {} is valid only from {}: it cannot sign mail yet.", who(cert), when(nb)),
            "Wait until that date, or check this device's date and time.",
        )
        .with_detail(detail(cert))),
    }
}

/// Refuse to encrypt at `at` to a recipient's certificate outside its validity period:
/// `certificate-expired` or `certificate-not-yet-valid`, telling the user to ask the
/// recipient for their new certificate.
pub fn check_recipient(cert: &Certificate, at: UnixTime) -> Result<()> {
    let (nb, na) = dates(cert);
    let name = who(cert);
    match period(cert, at) {
        Period::Current => Ok(()),
        Period::Expired => Err(Error::new(
            Code::CertificateExpired,
            format!("The certificate of {name} expired on {}: Cachet does not encrypt to it.", when(na)),
            format!("Ask {name} for their new certificate (a signed mail from them brings it), or send without encryption."),
        )
        .with_detail(detail(cert))),
        Period::NotYetValid => Err(Error::new(
            Code::CertificateNotYetValid,
            format!("The certificate of {name} is valid only from {}: Cachet does not encrypt to it yet.", when(nb)),
            format!("Check this device's date and time, or ask {name} for the certificate they use now."),
        )
        .with_detail(detail(cert))),
    }
}

/// [`check_recipient`] for every recipient, in order: the first refusal.
pub fn check_recipients(recipients: &[Certificate], at: UnixTime) -> Result<()> {
    recipients.iter().try_for_each(|c| check_recipient(c, at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachet_testkit::{require_openssl, TempDir};

    /// A certificate for `email` made by openssl, valid for `days` from now.
    fn openssl_cert(d: &TempDir, email: &str, days: &str) -> Certificate {
        cachet_testkit::Key::Rsa2048.pooled(&d.path("k.pem"));
        d.openssl(&["req", "-x509", "-new", "-key", "k.pem", "-subj", "/CN=Dates/O=Cachet Tests", "-days", days, "-sha256", "-addext", &format!("subjectAltName=email:{email}"), "-out", "c.pem"]);
        crate::cert::facts::parse_certificates(&d.read("c.pem")).unwrap().remove(0)
    }

    #[test]
    fn validity_period_is_inclusive_and_refusals_say_the_date_and_what_to_do() {
        require_openssl();
        let d = TempDir::new("validity");
        let cert = openssl_cert(&d, "dora@example.org", "30");
        let (nb, na) = dates(&cert);
        assert!(na.0 > nb.0 + 29 * 86_400, "openssl made a 30-day certificate");
        assert_eq!(period(&cert, nb), Period::Current);
        assert_eq!(period(&cert, na), Period::Current);
        assert_eq!(period(&cert, UnixTime(na.0 + 1)), Period::Expired);
        assert_eq!(period(&cert, UnixTime(nb.0 - 1)), Period::NotYetValid);
        assert!(check_signing(&cert, na).is_ok() && check_recipient(&cert, nb).is_ok());

        let day = |t: UnixTime| t.to_rfc3339().get(..10).unwrap().to_string();
        let e = check_signing(&cert, UnixTime(na.0 + 86_400)).unwrap_err();
        assert_eq!(e.code, Code::CertificateExpired);
        assert_eq!(e.code.as_str(), "certificate-expired");
        assert!(e.message.contains("dora@example.org") && e.message.contains(&day(na)) && e.message.contains("expired"), "{}", e.message);
        assert!(e.hint.contains("Renew"), "{}", e.hint);
        assert!(e.detail.as_deref().unwrap_or("").contains("serial"), "{e:?}");

        let e = check_signing(&cert, UnixTime(nb.0 - 3600)).unwrap_err();
        assert_eq!(e.code, Code::CertificateNotYetValid);
        assert_eq!(e.code.as_str(), "certificate-not-yet-valid");
        assert!(e.message.contains(&day(nb)) && e.message.contains("valid only from"), "{}", e.message);
        assert!(e.hint.contains("date and time"), "{}", e.hint);

        let e = check_recipients(std::slice::from_ref(&cert), UnixTime(na.0 + 1)).unwrap_err();
        assert_eq!(e.code, Code::CertificateExpired);
        assert!(e.message.starts_with("The certificate of dora@example.org expired on"), "{}", e.message);
        assert!(e.hint.contains("Ask dora@example.org for their new certificate"), "{}", e.hint);
        let e = check_recipient(&cert, UnixTime(nb.0 - 1)).unwrap_err();
        assert_eq!(e.code, Code::CertificateNotYetValid);
        assert!(e.message.contains("valid only from"), "{}", e.message);
    }

    #[test]
    fn when_reads_as_a_utc_date_and_time() {
        assert_eq!(when(UnixTime(1_780_000_000)), "2026-05-28 20:26 UTC");
    }
}
