//! Errors: failures to process input (not verdicts). Every error has a stable
//! `code` the shell translates, a sentence for the user, and a hint at the fix.

use serde::Serialize;
use std::fmt;

/// Stable error codes. The shell maps these to its own texts; never rename one.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// The input is not a certificate (PEM or DER X.509).
    BadCertificate,
    /// A MIME message could not be parsed.
    Malformed,
    /// A named limit (size, depth, count) was exceeded.
    LimitExceeded,
    /// The PKCS#12 password is wrong (MAC or decryption failed).
    WrongPassword,
    /// The PKCS#12 file is damaged or not PKCS#12.
    BadPkcs12,
    /// An algorithm we do not implement or refuse.
    UnsupportedAlgorithm,
    /// A PKCS#12 file without a private key.
    NoPrivateKey,
    /// The identity cannot be used for the operation (e.g. wrong key usage).
    UnusableIdentity,
    /// A recipient has no usable certificate.
    NoRecipientCertificate,
    /// Bad arguments or files (CLI), or a bad call (Wasm).
    Usage,
    /// A cryptographic operation failed unexpectedly.
    Crypto,
    /// A certificate to sign with or encrypt to is past its notAfter date.
    CertificateExpired,
    /// A certificate to sign with or encrypt to is before its notBefore date.
    CertificateNotYetValid,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadCertificate => "bad-certificate",
            Code::Malformed => "malformed",
            Code::LimitExceeded => "limit-exceeded",
            Code::WrongPassword => "wrong-password",
            Code::BadPkcs12 => "bad-pkcs12",
            Code::UnsupportedAlgorithm => "unsupported-algorithm",
            Code::NoPrivateKey => "no-private-key",
            Code::UnusableIdentity => "unusable-identity",
            Code::NoRecipientCertificate => "no-recipient-certificate",
            Code::Usage => "usage",
            Code::Crypto => "crypto",
            Code::CertificateExpired => "certificate-expired",
            Code::CertificateNotYetValid => "certificate-not-yet-valid",
        }
    }
}

/// An error with a user-facing message and a hint.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Error {
    pub code: Code,
    /// One sentence a user understands.
    pub message: String,
    /// What to do about it.
    pub hint: String,
    /// Technical detail (parser position, library message), for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub detail: Option<String>,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error { code, message: message.into(), hint: hint.into(), detail: None }
    }

    pub fn with_detail(mut self, detail: impl fmt::Display) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    /// `limit-exceeded` for received data past a named limit: the detail names the limit, its
    /// value and what was found (SPEC section 8).
    pub fn exceeded(name: &str, limit: usize, found: impl fmt::Display, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::new(Code::LimitExceeded, message, hint).with_detail(format!("limit {name} = {limit} exceeded ({found})"))
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(Code::Usage, message, "Check the arguments.")
    }

    /// The error as the JSON object `{code, message, hint, detail?}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            format!("{{\"code\":\"{}\",\"message\":\"error\",\"hint\":\"\"}}", self.code.as_str())
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.hint)?;
        if let Some(d) = &self.detail {
            write!(f, " [{d}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
