//! Reading SignedData (RFC 5652 section 5) exactly as received.
//!
//! The structure is walked with the TLV reader so that the bytes that were signed
//! (the `[0]` signed attributes, RFC 5652 5.4) and certificates are kept as received,
//! SignerInfos keep their order, and chunked eContent (BER, as OpenSSL `-stream`,
//! NSS and gpgsm write it) is reassembled. Typed values come from `cms`/`x509-cert`.
//!
//! # Security
//! Input is untrusted: every element is bounds-checked by [`crate::asn1::ber`]; a certificate
//! that fails to parse is skipped and reported, never trusted.

use crate::asn1::ber::{self, Tlv};
use crate::error::{Code, Error, Result};
use cms::signed_data::SignerInfo;
use const_oid::ObjectIdentifier;
use der::Decode;
use x509_cert::Certificate;

use crate::oid::OID_SIGNED_DATA;

/// Largest number of certificates one SignedData may carry; more is `limit-exceeded` (the
/// signer's own certificate may be among those past the limit: ignoring them could change
/// the verdict).
pub const MAX_CERTIFICATES: usize = 64;
/// Largest number of signers (SignerInfos) one SignedData may have; more is `limit-exceeded`.
pub const MAX_SIGNERS: usize = 16;

/// The error of SignedData past [`MAX_CERTIFICATES`] or [`MAX_SIGNERS`].
fn too_many(name: &str, limit: usize, found: usize, what: &str) -> Error {
    Error::exceeded(name, limit, format!("{found} {what}"), format!("The signature data in this message has too many {what} to be processed safely."), "Ask the sender to send the message again; if it keeps happening, report the sender's mail program.")
}

/// A SignerInfo with the bytes its signature covers.
pub struct ParsedSigner {
    pub info: SignerInfo,
    /// The signed attributes as received, re-tagged as SET OF (0x31): what the
    /// signature is over. None when the SignerInfo has no signed attributes.
    pub signed_attrs_der: Option<Vec<u8>>,
}

pub struct ParsedSignedData {
    pub econtent_type: ObjectIdentifier,
    /// The encapsulated content (opaque signing), chunks joined; None when detached.
    pub econtent: Option<Vec<u8>>,
    pub certificates: Vec<Certificate>,
    pub signers: Vec<ParsedSigner>,
    /// Problems that did not stop parsing (a certificate that could not be read, ...).
    pub notes: Vec<String>,
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::new(
        Code::Malformed,
        "The signature data in this message is damaged or not in a form Cachet understands.",
        "Ask the sender to send the message again; if it keeps happening, report the sender's mail program.",
    )
    .with_detail(what)
}

fn oid_of(t: &Tlv<'_>) -> Result<ObjectIdentifier> {
    if t.tag != 0x06 {
        return Err(malformed(format!("expected an OBJECT IDENTIFIER, found tag 0x{:02x}", t.tag)));
    }
    ObjectIdentifier::from_der(t.raw).map_err(|e| malformed(format!("bad OBJECT IDENTIFIER: {e}")))
}

fn ber_err(e: ber::BerError) -> Error {
    malformed(e)
}

/// The content type of a CMS ContentInfo and its `[0]` content element.
pub fn content_info(bytes: &[u8]) -> Result<(ObjectIdentifier, Tlv<'_>)> {
    let top = ber::read_all(bytes).map_err(ber_err)?;
    if top.tag != 0x30 {
        return Err(malformed("a CMS ContentInfo must be a SEQUENCE"));
    }
    let kids = top.children().map_err(ber_err)?;
    let oid = oid_of(kids.first().ok_or_else(|| malformed("empty ContentInfo"))?)?;
    let explicit = kids.get(1).ok_or_else(|| malformed("ContentInfo without content"))?;
    if explicit.tag != 0xa0 {
        return Err(malformed("ContentInfo content is not [0]"));
    }
    let inner = explicit.children().map_err(ber_err)?;
    let content = inner.into_iter().next().ok_or_else(|| malformed("empty ContentInfo content"))?;
    Ok((oid, content))
}

/// Parse a ContentInfo holding SignedData.
pub fn parse_signed_data(bytes: &[u8]) -> Result<ParsedSignedData> {
    let (oid, sd) = content_info(bytes)?;
    if oid != OID_SIGNED_DATA {
        return Err(malformed(format!("expected SignedData, found content type {oid}")));
    }
    if sd.tag != 0x30 {
        return Err(malformed("SignedData must be a SEQUENCE"));
    }
    let mut kids = sd.children().map_err(ber_err)?.into_iter();
    let _version = kids.next().filter(|t| t.tag == 0x02).ok_or_else(|| malformed("SignedData version missing"))?;
    let _digests = kids.next().filter(|t| t.tag == 0x31).ok_or_else(|| malformed("SignedData digestAlgorithms missing"))?;
    let eci = kids.next().filter(|t| t.tag == 0x30).ok_or_else(|| malformed("SignedData encapContentInfo missing"))?;
    let eci_kids = eci.children().map_err(ber_err)?;
    let econtent_type = oid_of(eci_kids.first().ok_or_else(|| malformed("empty encapContentInfo"))?)?;
    let econtent = match eci_kids.get(1) {
        None => None,
        Some(t) if t.tag == 0xa0 => {
            let inner = t.children().map_err(ber_err)?;
            let os = inner.first().ok_or_else(|| malformed("empty eContent"))?;
            Some(os.octets().map_err(ber_err)?)
        }
        Some(t) => return Err(malformed(format!("unexpected tag 0x{:02x} in encapContentInfo", t.tag))),
    };

    let mut certificates = Vec::new();
    let mut notes = Vec::new();
    let mut signer_set = None;
    for t in kids {
        match t.tag {
            0xa0 => {
                let certs = t.children().map_err(ber_err)?;
                if certs.len() > MAX_CERTIFICATES {
                    return Err(too_many("MAX_CERTIFICATES", MAX_CERTIFICATES, certs.len(), "certificates"));
                }
                for (i, c) in certs.iter().enumerate() {
                    if c.tag != 0x30 {
                        notes.push(format!("certificate {} is not an X.509 certificate and was ignored", i + 1));
                        continue;
                    }
                    match Certificate::from_der(c.raw) {
                        Ok(cert) => certificates.push(cert),
                        Err(e) => notes.push(format!("certificate {} could not be read ({e}) and was ignored", i + 1)),
                    }
                }
            }
            0xa1 => {} // CRLs: not used for validation here.
            0x31 => signer_set = Some(t),
            other => return Err(malformed(format!("unexpected tag 0x{other:02x} in SignedData"))),
        }
    }
    let signer_set = signer_set.ok_or_else(|| malformed("SignedData signerInfos missing"))?;
    let infos = signer_set.children().map_err(ber_err)?;
    if infos.len() > MAX_SIGNERS {
        return Err(too_many("MAX_SIGNERS", MAX_SIGNERS, infos.len(), "signers"));
    }
    let signers = infos.iter().map(parse_signer).collect::<Result<Vec<_>>>()?;
    Ok(ParsedSignedData { econtent_type, econtent, certificates, signers, notes })
}

fn parse_signer(t: &Tlv<'_>) -> Result<ParsedSigner> {
    if t.tag != 0x30 {
        return Err(malformed("a SignerInfo must be a SEQUENCE"));
    }
    let info = SignerInfo::from_der(t.raw)
        .or_else(|_| SignerInfo::from_ber(t.raw))
        .map_err(|e| malformed(format!("SignerInfo: {e}")))?;
    // version, sid, digestAlgorithm, then [0] signedAttrs when present.
    let kids = t.children().map_err(ber_err)?;
    let signed_attrs_der = match kids.get(3) {
        Some(a) if a.tag == 0xa0 => {
            let mut bytes = a.raw.to_vec();
            if a.indefinite {
                // Not DER, so not what was signed; use the canonical re-encoding.
                use der::Encode;
                bytes = info.signed_attrs.as_ref().map(|s| s.to_der()).transpose().map_err(|e| malformed(format!("signed attributes: {e}")))?.unwrap_or_default();
            } else if let Some(first) = bytes.first_mut() {
                *first = 0x31;
            }
            Some(bytes)
        }
        _ => None,
    };
    Ok(ParsedSigner { info, signed_attrs_der })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_malformed_not_panic() {
        for input in [&b""[..], b"\x30\x03\x06\x01\x00", b"\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0\x80\x30\x80\x00\x00\x00\x00\x00\x00"] {
            let e = parse_signed_data(input).err().unwrap();
            assert_eq!(e.code, Code::Malformed);
        }
    }
}
