//! Certificate path validation (RFC 5280) for S/MIME (RFC 8550).
