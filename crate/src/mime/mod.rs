//! MIME: parse (byte ranges, limits), canonical form (RFC 8551 3.1), build.
