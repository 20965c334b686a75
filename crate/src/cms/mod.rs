//! CMS (RFC 5652): sign, verify, encrypt, decrypt. `verdict` holds the per-signer
//! verdicts as data (the `open` report shows them unchanged); `bulk` is the seam through
//! which a host may compute digests, decryptions and key unwrapping for `open`.
pub mod bulk;
pub mod compressed;
pub mod password;
pub mod decrypt;
pub mod envelope;
pub mod kari;
pub mod recipients;
pub mod sign;
pub mod signed;
pub mod verdict;
pub mod verify;

#[cfg(test)]
mod decrypt_tests;
