//! DER `SET OF` ordering (X.690 11.6): the elements of a SET OF appear in ascending order of
//! their encodings, compared as octet strings. `der`'s `SetOfVec` sorts with each type's
//! `DerOrd`, which for derived SEQUENCE and CHOICE types compares field by field (or, for
//! `cms`'s RecipientInfo, the encodings re-encoded as a SEQUENCE OF INTEGER), not by the
//! whole encoding: two KeyTransRecipientInfos, signed attributes or certificates can then
//! come out in an order strict DER readers refuse (Python `cryptography`: "InvalidSetOrdering").
//! Every SET OF Cachet writes is built here instead.
//!
//! The set is built in the right order by decoding the sorted encodings with BER rules
//! (which, unlike DER decoding in `der`, keeps the order it reads); `SetOfVec` encodes its
//! elements in the order it holds them.

use crate::error::{Code, Error, Result};
use der::asn1::SetOfVec;
use der::{Decode, DerOrd, Encode};

fn encoding_err(what: impl std::fmt::Display) -> Error {
    Error::new(Code::Crypto, "The message could not be encoded.", "Try again; if it keeps failing, report it.").with_detail(what)
}

/// The DER encoding (tag 0x31) of a SET OF with these already encoded elements, sorted.
pub fn set_of_encodings(mut elements: Vec<Vec<u8>>) -> Vec<u8> {
    elements.sort_unstable();
    let content: Vec<u8> = elements.concat();
    let mut out = Vec::with_capacity(content.len() + 6);
    super::der::push_header(&mut out, 0x31, content.len());
    out.extend_from_slice(&content);
    out
}

/// A `SetOfVec` holding `items` in DER order (see the module documentation).
pub fn der_set_of<T>(items: impl IntoIterator<Item = T>) -> Result<SetOfVec<T>>
where
    T: Encode + for<'a> Decode<'a> + DerOrd,
{
    let mut items = items.into_iter();
    let first = items.next();
    let Some(second) = items.next() else {
        // Zero or one element: no order to keep, and no encoding to sort by.
        let mut set = SetOfVec::new();
        if let Some(item) = first {
            set.insert(item).map_err(encoding_err)?;
        }
        return Ok(set);
    };
    let mut encodings = Vec::new();
    for item in first.into_iter().chain([second]).chain(items) {
        encodings.push(item.to_der().map_err(encoding_err)?);
    }
    let der = set_of_encodings(encodings);
    let set = SetOfVec::<T>::from_ber(&der).map_err(encoding_err)?;
    // The set must encode exactly as sorted (it would not if `der` reordered it).
    if set.to_der().map_err(encoding_err)? != der {
        return Err(encoding_err("SET OF order not kept"));
    }
    Ok(set)
}

/// Are the elements of this SET OF encoding (any tag) in DER order? For tests and checks.
pub fn is_der_sorted(set: &[u8]) -> bool {
    let Ok(t) = super::ber::read_all(set) else { return false };
    let Ok(kids) = t.children() else { return false };
    kids.windows(2).all(|w| match w {
        [a, b] => a.raw <= b.raw,
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::asn1::{ObjectIdentifier, OctetString};

    #[test]
    fn sorts_by_whole_encoding_and_keeps_the_order() {
        // Field-wise order would put the short OID first; DER compares the lengths first.
        let a = (ObjectIdentifier::new_unwrap("1.2.3"), OctetString::new(vec![0u8; 40]).unwrap());
        let b = (ObjectIdentifier::new_unwrap("1.2.4"), OctetString::new(vec![0u8; 2]).unwrap());
        let enc = |x: &(ObjectIdentifier, OctetString)| {
            let mut body = x.0.to_der().unwrap();
            body.extend(x.1.to_der().unwrap());
            let mut out = vec![0x30, body.len() as u8];
            out.extend(body);
            out
        };
        let set = set_of_encodings(vec![enc(&a), enc(&b)]);
        assert!(is_der_sorted(&set));
        assert_eq!(&set[2..2 + enc(&b).len()], &enc(&b)[..], "the shorter SEQUENCE sorts first");
        let many: Vec<OctetString> = [vec![9u8; 200], vec![1], vec![5, 5], vec![0x80; 3]].into_iter().map(|v| OctetString::new(v).unwrap()).collect();
        let s = der_set_of(many).unwrap();
        assert!(is_der_sorted(&s.to_der().unwrap()));
        assert_eq!(s.len(), 4);
        // One element and none take the short way: the same encodings.
        let one = OctetString::new(vec![7u8; 3]).unwrap();
        assert_eq!(der_set_of([one.clone()]).unwrap().to_der().unwrap(), set_of_encodings(vec![one.to_der().unwrap()]));
        assert_eq!(der_set_of(Vec::<OctetString>::new()).unwrap().to_der().unwrap(), set_of_encodings(Vec::new()));
    }

    /// KeyTransRecipientInfos of the same length (same key size, names and serials of the
    /// same length) differ only in their bytes: `der`'s own `SetOfVec` ordering of
    /// RecipientInfo put them out of DER order most of the time.
    #[test]
    fn envelopes_for_same_shaped_recipients_are_in_der_order() {
        use crate::cms::envelope::encrypt;
        use crate::cms::recipients::KeyTransport;
        use crate::crypto::cipher::{ContentCipher, RustCrypto};
        let dir = cachet_testkit::TempDir::new("der-set-envelope");
        let mut certs = Vec::new();
        for i in 0..3 {
            let subj = format!("/CN=same-shape-{i}");
            cachet_testkit::Key::Rsa2048.pooled(&dir.path(&format!("k{i}.pem")));
            dir.openssl(&["req", "-x509", "-new", "-key", &format!("k{i}.pem"), "-subj", &subj, "-days", "30", "-set_serial", &format!("{}", 1000 + i), "-out", &format!("c{i}.pem")]);
            certs.push(crate::cert::facts::parse_certificates(&dir.read(&format!("c{i}.pem"))).unwrap().remove(0));
        }
        let list: Vec<_> = certs.iter().map(|c| (c, KeyTransport::Pkcs1v15)).collect();
        for round in 0..20 {
            let der = encrypt(b"x", &list, ContentCipher::Aes256Cbc, &RustCrypto).unwrap();
            // ContentInfo / [0] / EnvelopedData / recipientInfos
            let ci = crate::asn1::ber::read_all(&der).unwrap();
            let explicit = ci.children().unwrap().remove(1);
            let ed = explicit.children().unwrap().remove(0);
            let set = ed.children().unwrap().remove(1);
            assert_eq!(set.tag, 0x31);
            assert_eq!(set.children().unwrap().len(), 3);
            assert!(is_der_sorted(set.raw), "round {round}: recipientInfos out of DER order");
        }
    }
}
