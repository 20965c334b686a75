//! Cryptographic primitives behind small interfaces: signature verification.
