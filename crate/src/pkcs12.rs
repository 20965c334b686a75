//! PKCS#12 (RFC 7292): import and encrypted backup export.
