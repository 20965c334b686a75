//! CMS (RFC 5652): sign, verify, encrypt, decrypt.
pub mod ber;
pub mod sign;
pub mod signed;
pub mod verify;
