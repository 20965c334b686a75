//! The ASN.1 structures of PKCS#12 (RFC 7292 section 4 and appendix D) on `der`:
//! PFX, MacData, ContentInfo (data / encryptedData), SafeBag and its bag types.
//!
//! Types whose content depends on an OID (ContentInfo, SafeBag, CertBag) decode by hand so
//! that BER input (indefinite lengths, chunked OCTET STRINGs, as written by Windows and NSS)
//! is reassembled by `der`'s BER reader instead of being kept as raw `Any` bytes.

use der::asn1::{Any, ContextSpecific, ContextSpecificRef, ObjectIdentifier, OctetString, SetOfVec};
use der::{
    Decode, DecodeValue, Encode, EncodeValue, Header, Length, Reader, Sequence, Tag, TagMode, TagNumber, ValueOrd,
    Writer,
};
use spki::AlgorithmIdentifierOwned;

use crate::oid::{OID_DATA, OID_ENCRYPTED_DATA};

use crate::oid::{OID_KEY_BAG, OID_SHROUDED_KEY_BAG, OID_CERT_BAG, OID_SAFE_CONTENTS_BAG};

use crate::oid::OID_X509_CERTIFICATE;

const TAG0: TagNumber = TagNumber(0);

fn explicit<T>(value: &T) -> ContextSpecificRef<'_, T> {
    ContextSpecificRef { tag_number: TAG0, tag_mode: TagMode::Explicit, value }
}

fn missing(tag: Tag) -> der::Error {
    tag.value_error().into()
}

/// `PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct Pfx {
    pub version: u8,
    pub auth_safe: ContentInfo,
    pub mac_data: Option<MacData>,
}

fn one() -> u32 {
    1
}

/// `MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }`
#[derive(Clone, Debug, Sequence)]
pub struct MacData {
    pub mac: DigestInfo,
    pub mac_salt: OctetString,
    #[asn1(default = "one")]
    pub iterations: u32,
}

/// `DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }`
#[derive(Clone, Debug, Sequence)]
pub struct DigestInfo {
    pub algorithm: AlgorithmIdentifierOwned,
    pub digest: OctetString,
}

/// The two content types PKCS#12 password privacy uses; anything else is kept by OID.
#[derive(Clone, Debug)]
pub enum Content {
    Data(OctetString),
    Encrypted(EncryptedData),
    Other(ObjectIdentifier, Option<Any>),
}

/// `ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY DEFINED BY contentType }`
#[derive(Clone, Debug)]
pub struct ContentInfo {
    pub content: Content,
}

impl ContentInfo {
    pub fn content_type(&self) -> ObjectIdentifier {
        match &self.content {
            Content::Data(_) => OID_DATA,
            Content::Encrypted(_) => OID_ENCRYPTED_DATA,
            Content::Other(oid, _) => *oid,
        }
    }
}

impl<'a> DecodeValue<'a> for ContentInfo {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, _header: Header) -> der::Result<Self> {
        let oid: ObjectIdentifier = reader.decode()?;
        let tag0 = Tag::ContextSpecific { constructed: true, number: TAG0 };
        let content = if oid == OID_DATA {
            let v = ContextSpecific::<OctetString>::decode_explicit(reader, TAG0)?.ok_or_else(|| missing(tag0))?;
            Content::Data(v.value)
        } else if oid == OID_ENCRYPTED_DATA {
            let v = ContextSpecific::<EncryptedData>::decode_explicit(reader, TAG0)?.ok_or_else(|| missing(tag0))?;
            Content::Encrypted(v.value)
        } else {
            Content::Other(oid, ContextSpecific::<Any>::decode_explicit(reader, TAG0)?.map(|v| v.value))
        };
        Ok(ContentInfo { content })
    }
}

impl EncodeValue for ContentInfo {
    fn value_len(&self) -> der::Result<Length> {
        let body = match &self.content {
            Content::Data(o) => explicit(o).encoded_len()?,
            Content::Encrypted(e) => explicit(e).encoded_len()?,
            Content::Other(_, Some(a)) => explicit(a).encoded_len()?,
            Content::Other(_, None) => Length::ZERO,
        };
        self.content_type().encoded_len()? + body
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.content_type().encode(writer)?;
        match &self.content {
            Content::Data(o) => explicit(o).encode(writer),
            Content::Encrypted(e) => explicit(e).encode(writer),
            Content::Other(_, Some(a)) => explicit(a).encode(writer),
            Content::Other(_, None) => Ok(()),
        }
    }
}

impl Sequence<'_> for ContentInfo {}

/// `EncryptedData ::= SEQUENCE { version INTEGER, encryptedContentInfo EncryptedContentInfo }`
/// (RFC 5652 section 8; unprotectedAttrs is not used by PKCS#12).
#[derive(Clone, Debug, Sequence)]
pub struct EncryptedData {
    pub version: u8,
    pub info: EncryptedContentInfo,
}

/// RFC 5652 section 6.1 `EncryptedContentInfo`.
#[derive(Clone, Debug, Sequence)]
pub struct EncryptedContentInfo {
    pub content_type: ObjectIdentifier,
    pub algorithm: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub encrypted_content: Option<OctetString>,
}

/// `EncryptedPrivateKeyInfo` (RFC 5958 section 3), the value of a pkcs8ShroudedKeyBag.
#[derive(Clone, Debug, Sequence)]
pub struct EncryptedPrivateKeyInfo {
    pub algorithm: AlgorithmIdentifierOwned,
    pub data: OctetString,
}

/// `PKCS12Attribute ::= SEQUENCE { attrId OID, attrValues SET OF ANY }`
#[derive(Clone, Debug, Eq, PartialEq, Sequence, ValueOrd)]
pub struct Attribute {
    pub oid: ObjectIdentifier,
    pub values: SetOfVec<Any>,
}

/// `CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT ANY DEFINED BY certId }`
#[derive(Clone, Debug)]
pub enum CertBag {
    X509(OctetString),
    Other(ObjectIdentifier),
}

impl<'a> DecodeValue<'a> for CertBag {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, _header: Header) -> der::Result<Self> {
        let oid: ObjectIdentifier = reader.decode()?;
        let tag0 = Tag::ContextSpecific { constructed: true, number: TAG0 };
        if oid == OID_X509_CERTIFICATE {
            let v = ContextSpecific::<OctetString>::decode_explicit(reader, TAG0)?.ok_or_else(|| missing(tag0))?;
            Ok(CertBag::X509(v.value))
        } else {
            let _ = ContextSpecific::<Any>::decode_explicit(reader, TAG0)?;
            Ok(CertBag::Other(oid))
        }
    }
}

impl EncodeValue for CertBag {
    fn value_len(&self) -> der::Result<Length> {
        match self {
            CertBag::X509(o) => OID_X509_CERTIFICATE.encoded_len()? + explicit(o).encoded_len()?,
            CertBag::Other(oid) => oid.encoded_len(),
        }
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        match self {
            CertBag::X509(o) => {
                OID_X509_CERTIFICATE.encode(writer)?;
                explicit(o).encode(writer)
            }
            CertBag::Other(oid) => oid.encode(writer),
        }
    }
}

impl Sequence<'_> for CertBag {}

/// The value of a SafeBag, by bag type.
#[derive(Clone, Debug)]
pub enum BagValue {
    /// keyBag: a plain PKCS#8 PrivateKeyInfo.
    Key(Any),
    Shrouded(EncryptedPrivateKeyInfo),
    Cert(CertBag),
    Nested(Vec<SafeBag>),
    /// crlBag, secretBag and unknown bags: skipped.
    Other(ObjectIdentifier, Any),
}

/// `SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT ANY, bagAttributes SET OF PKCS12Attribute OPTIONAL }`
#[derive(Clone, Debug)]
pub struct SafeBag {
    pub value: BagValue,
    pub attributes: Vec<Attribute>,
}

impl SafeBag {
    fn bag_id(&self) -> ObjectIdentifier {
        match &self.value {
            BagValue::Key(_) => OID_KEY_BAG,
            BagValue::Shrouded(_) => OID_SHROUDED_KEY_BAG,
            BagValue::Cert(_) => OID_CERT_BAG,
            BagValue::Nested(_) => OID_SAFE_CONTENTS_BAG,
            BagValue::Other(oid, _) => *oid,
        }
    }

    fn attribute_set(&self) -> der::Result<Option<SetOfVec<Attribute>>> {
        if self.attributes.is_empty() {
            return Ok(None);
        }
        // DER order of the whole encodings (X.690 11.6), not `der`'s field-wise order.
        crate::asn1::der_set::der_set_of(self.attributes.clone()).map(Some).map_err(|_| der::Error::from(der::ErrorKind::SetOrdering))
    }

    /// The first value of an attribute, if present.
    pub fn attribute(&self, oid: ObjectIdentifier) -> Option<&Any> {
        self.attributes.iter().find(|a| a.oid == oid).and_then(|a| a.values.iter().next())
    }
}

impl<'a> DecodeValue<'a> for SafeBag {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, _header: Header) -> der::Result<Self> {
        let oid: ObjectIdentifier = reader.decode()?;
        let tag0 = Tag::ContextSpecific { constructed: true, number: TAG0 };
        let value = if oid == OID_KEY_BAG {
            BagValue::Key(ContextSpecific::<Any>::decode_explicit(reader, TAG0)?.ok_or_else(|| missing(tag0))?.value)
        } else if oid == OID_SHROUDED_KEY_BAG {
            let v = ContextSpecific::<EncryptedPrivateKeyInfo>::decode_explicit(reader, TAG0)?;
            BagValue::Shrouded(v.ok_or_else(|| missing(tag0))?.value)
        } else if oid == OID_CERT_BAG {
            BagValue::Cert(ContextSpecific::<CertBag>::decode_explicit(reader, TAG0)?.ok_or_else(|| missing(tag0))?.value)
        } else if oid == OID_SAFE_CONTENTS_BAG {
            let v = ContextSpecific::<Vec<SafeBag>>::decode_explicit(reader, TAG0)?;
            BagValue::Nested(v.ok_or_else(|| missing(tag0))?.value)
        } else {
            let v = ContextSpecific::<Any>::decode_explicit(reader, TAG0)?;
            BagValue::Other(oid, v.ok_or_else(|| missing(tag0))?.value)
        };
        let attributes = if reader.is_finished() { Vec::new() } else { reader.decode::<SetOfVec<Attribute>>()?.into_vec() };
        Ok(SafeBag { value, attributes })
    }
}

impl EncodeValue for SafeBag {
    fn value_len(&self) -> der::Result<Length> {
        let body = match &self.value {
            BagValue::Key(a) | BagValue::Other(_, a) => explicit(a).encoded_len()?,
            BagValue::Shrouded(k) => explicit(k).encoded_len()?,
            BagValue::Cert(c) => explicit(c).encoded_len()?,
            BagValue::Nested(n) => explicit(n).encoded_len()?,
        };
        let attrs = match self.attribute_set()? {
            Some(s) => s.encoded_len()?,
            None => Length::ZERO,
        };
        (self.bag_id().encoded_len()? + body)? + attrs
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.bag_id().encode(writer)?;
        match &self.value {
            BagValue::Key(a) | BagValue::Other(_, a) => explicit(a).encode(writer)?,
            BagValue::Shrouded(k) => explicit(k).encode(writer)?,
            BagValue::Cert(c) => explicit(c).encode(writer)?,
            BagValue::Nested(n) => explicit(n).encode(writer)?,
        }
        if let Some(s) = self.attribute_set()? {
            s.encode(writer)?;
        }
        Ok(())
    }
}

impl Sequence<'_> for SafeBag {}

/// Decode strict DER first, then BER (indefinite lengths, chunked strings).
pub fn decode_der_or_ber<'a, T>(bytes: &'a [u8]) -> der::Result<T>
where
    T: Decode<'a, Error = der::Error>,
{
    match T::from_der(bytes) {
        Ok(v) => Ok(v),
        Err(_) => T::from_ber(bytes),
    }
}
