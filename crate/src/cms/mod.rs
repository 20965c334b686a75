//! CMS (RFC 5652): sign, verify, encrypt, decrypt.
