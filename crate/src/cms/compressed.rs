//! CompressedData (RFC 3274): zlib-compressed content, as AS2 products and some gateways
//! send it inside signed or encrypted mail, or as an `application/pkcs7-mime;
//! smime-type=compressed-data` part. Decompressed with `miniz_oxide` (pure Rust, builds
//! for wasm32).
//!
//! # Security
//! Input is untrusted, and compression multiplies it: a few kilobytes can inflate to
//! gigabytes (a compression bomb). The output is bounded by [`MAX_DECOMPRESSED_SIZE`] while
//! it is produced; past it the result is a `limit-exceeded` error naming the limit (the
//! layer is `malformed`), never an out-of-memory. Parsing is bounds-checked by
//! [`crate::asn1::ber`].

use crate::asn1::ber::{self, Tlv};
use crate::error::{Code, Error, Result};
use crate::oid::{OID_COMPRESSED_DATA, OID_ZLIB_COMPRESS};
use const_oid::ObjectIdentifier;
use der::Decode;

/// Most bytes one CompressedData may inflate to (the default largest message Cachet
/// opens, `mime::Limits::max_message_size`): a larger result is `limit-exceeded`.
pub const MAX_DECOMPRESSED_SIZE: usize = 64 * 1024 * 1024;

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::new(
        Code::Malformed,
        "The compressed part of this message is damaged or not in a form Cachet understands.",
        "Ask the sender to send the message again.",
    )
    .with_detail(what)
}

fn oid_of(t: &Tlv<'_>) -> Result<ObjectIdentifier> {
    if t.tag != 0x06 {
        return Err(malformed("expected an OBJECT IDENTIFIER"));
    }
    ObjectIdentifier::from_der(t.raw).map_err(|e| malformed(format!("bad OBJECT IDENTIFIER: {e}")))
}

/// Decompress a ContentInfo holding CompressedData. Returns the inner content type and
/// the decompressed content.
///
/// # Security
/// See the module documentation: at most `limit` bytes (callers pass
/// [`MAX_DECOMPRESSED_SIZE`]) are produced.
pub fn decompress_content_info(der: &[u8], limit: usize) -> Result<(ObjectIdentifier, Vec<u8>)> {
    let (oid, content) = super::signed::content_info(der)?;
    if oid != OID_COMPRESSED_DATA {
        return Err(malformed(format!("expected CompressedData, found {oid}")));
    }
    decompress_tlv(&content, limit)
}

/// Decompress a bare CompressedData (the eContent of a SignedData, or the decrypted
/// content of an envelope whose content type is id-ct-compressedData).
pub fn decompress(der: &[u8], limit: usize) -> Result<(ObjectIdentifier, Vec<u8>)> {
    let t = ber::read_all(der).map_err(malformed)?;
    decompress_tlv(&t, limit)
}

fn decompress_tlv(t: &Tlv<'_>, limit: usize) -> Result<(ObjectIdentifier, Vec<u8>)> {
    if t.tag != 0x30 {
        return Err(malformed("CompressedData must be a SEQUENCE"));
    }
    let kids = t.children().map_err(malformed)?;
    let (Some(version), Some(alg), Some(eci)) = (kids.first(), kids.get(1), kids.get(2)) else {
        return Err(malformed("CompressedData needs a version, an algorithm and the content"));
    };
    if version.tag != 0x02 || alg.tag != 0x30 || eci.tag != 0x30 {
        return Err(malformed("CompressedData is not version, algorithm, content"));
    }
    let alg_oid = oid_of(alg.children().map_err(malformed)?.first().ok_or_else(|| malformed("empty compression algorithm"))?)?;
    if alg_oid != OID_ZLIB_COMPRESS {
        return Err(Error::new(Code::UnsupportedAlgorithm, format!("This message is compressed with an algorithm Cachet does not know ({alg_oid})."), "Ask the sender to send it uncompressed, or compressed with zlib (RFC 3274)."));
    }
    let eci_kids = eci.children().map_err(malformed)?;
    let inner_type = oid_of(eci_kids.first().ok_or_else(|| malformed("empty encapContentInfo"))?)?;
    let explicit = eci_kids.get(1).filter(|e| e.tag == 0xa0).ok_or_else(|| malformed("CompressedData without its content (detached compressed content is not supported)"))?;
    let os = explicit.children().map_err(malformed)?.into_iter().next().ok_or_else(|| malformed("empty compressed content"))?;
    let compressed = os.octets().map_err(malformed)?;
    Ok((inner_type, inflate(&compressed, limit)?))
}

/// zlib (RFC 1950) inflate, at most `limit` bytes out.
fn inflate(compressed: &[u8], limit: usize) -> Result<Vec<u8>> {
    use miniz_oxide::inflate::{decompress_to_vec_zlib_with_limit, TINFLStatus};
    decompress_to_vec_zlib_with_limit(compressed, limit).map_err(|e| match e.status {
        TINFLStatus::HasMoreOutput => Error::new(
            Code::LimitExceeded,
            format!("The compressed content of this message is larger than {} MB once decompressed, the most Cachet opens.", limit / (1024 * 1024)),
            "Save the message and open it with a desktop mail program.",
        )
        .with_detail(format!("limit MAX_DECOMPRESSED_SIZE = {limit} exceeded")),
        other => malformed(format!("zlib data does not decompress: {other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asn1::der::tlv;

    /// A CompressedData ContentInfo of `zlib` bytes, built here.
    fn content_info(zlib: &[u8]) -> Vec<u8> {
        let alg = tlv(0x30, &tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x03, 0x08]));
        let eci = tlv(0x30, &[tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]), tlv(0xa0, &tlv(0x04, zlib))].concat());
        let cd = tlv(0x30, &[tlv(0x02, &[0]), alg, eci].concat());
        tlv(0x30, &[tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x09]), tlv(0xa0, &cd)].concat())
    }

    #[test]
    fn round_trip_and_a_bomb_is_a_named_limit_not_memory() {
        let text = b"Content-Type: text/plain\r\n\r\nHello.\r\n".repeat(100);
        let z = miniz_oxide::deflate::compress_to_vec_zlib(&text, 6);
        let (t, out) = decompress_content_info(&content_info(&z), MAX_DECOMPRESSED_SIZE).unwrap();
        assert_eq!(t, crate::oid::OID_DATA);
        assert_eq!(out, text);
        // 1 GiB of zeros would come out of about 1 MB; a smaller bomb against a small limit
        // shows the behaviour without the time: the limit, named, and no output.
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; 8 * 1024 * 1024], 10);
        assert!(bomb.len() < 64 * 1024);
        let e = decompress_content_info(&content_info(&bomb), 1024 * 1024).unwrap_err();
        assert_eq!(e.code, Code::LimitExceeded);
        assert!(e.detail.unwrap().contains("MAX_DECOMPRESSED_SIZE"));
        // Damaged zlib data is malformed, never a panic.
        let mut bad = z.clone();
        bad.truncate(z.len() / 2);
        assert_eq!(decompress_content_info(&content_info(&bad), MAX_DECOMPRESSED_SIZE).unwrap_err().code, Code::Malformed);
        assert_eq!(decompress_content_info(b"\x30\x00", 10).unwrap_err().code, Code::Malformed);
    }
}
