//! The status vocabulary of every verdict (SPEC sections 1 and 2): the ids the `open`
//! report, the signer verdicts of `cms` and the shell share, with their severity order.
//! Plain data, below everything that judges a message.

use serde::Serialize;

/// Status ids of SPEC sections 1 and 2. Never rename one: the shell and scripts key on them.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Valid,
    ValidUnknownCa,
    Tampered,
    BadSignature,
    AddressMismatch,
    Expired,
    NotYetValid,
    WrongUsage,
    WeakAlgorithm,
    PartiallySigned,
    NoSigner,
    Unsigned,
    Malformed,
    NoKey,
    IntegrityFailure,
    WeakCipher,
    /// Encrypted with a password (RFC 3211) that was not given, or did not open it.
    NeedsPassword,
    /// An encrypted layer that opened fine (layer status only; the headline is never this).
    Decrypted,
}

impl Status {
    /// Severity for choosing the headline: higher is worse.
    pub fn severity(self) -> u8 {
        match self {
            Status::Valid | Status::Decrypted => 0,
            Status::Unsigned => 1,
            Status::ValidUnknownCa => 2,
            Status::PartiallySigned => 3,
            Status::WeakCipher => 4,
            Status::WeakAlgorithm => 5,
            Status::NotYetValid => 6,
            Status::Expired => 7,
            Status::WrongUsage => 8,
            Status::AddressMismatch => 9,
            Status::NoSigner => 10,
            Status::BadSignature => 11,
            Status::Tampered => 12,
            Status::NoKey | Status::NeedsPassword => 13,
            Status::IntegrityFailure => 14,
            Status::Malformed => 15,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::ValidUnknownCa => "valid-unknown-ca",
            Status::Tampered => "tampered",
            Status::BadSignature => "bad-signature",
            Status::AddressMismatch => "address-mismatch",
            Status::Expired => "expired",
            Status::NotYetValid => "not-yet-valid",
            Status::WrongUsage => "wrong-usage",
            Status::WeakAlgorithm => "weak-algorithm",
            Status::PartiallySigned => "partially-signed",
            Status::NoSigner => "no-signer",
            Status::Unsigned => "unsigned",
            Status::Malformed => "malformed",
            Status::NoKey => "no-key",
            Status::IntegrityFailure => "integrity-failure",
            Status::WeakCipher => "weak-cipher",
            Status::NeedsPassword => "needs-password",
            Status::Decrypted => "decrypted",
        }
    }

    /// The worse of two statuses.
    pub fn worst(self, other: Status) -> Status {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// Good for the exit status: `valid`, or `unsigned` after a successful decryption.
    pub fn is_good(self) -> bool {
        matches!(self, Status::Valid | Status::Decrypted)
    }
}
