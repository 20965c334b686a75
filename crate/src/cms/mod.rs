//! CMS (RFC 5652): sign, verify, encrypt, decrypt.
pub mod bulk;
pub mod decrypt;
pub mod envelope;
pub mod recipients;
pub mod sign;
pub mod signed;
pub mod verdict;
pub mod verify;

#[cfg(test)]
mod decrypt_tests;
