//! DER identifier and definite-length octets (X.690 8.1.2, 8.1.3, 10.1): the one place the
//! core writes them by hand, for the few structures built around content that is not in
//! memory as a `der` type (the streamed EnvelopedData head, ECC-CMS-SharedInfo, SET OF
//! in DER order). Everything else is written by the `der` encoder.

/// The length octets of `len` content bytes: short form below 0x80, else long form with
/// the fewest octets (X.690 10.1).
pub fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let rest = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | rest.len() as u8);
        out.extend_from_slice(rest);
    }
}

/// A single-octet identifier `tag` and the length octets of `len` content bytes.
pub fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    push_length(out, len);
}

/// Size of a DER element with `len` content bytes (one identifier octet).
pub fn tlv_len(len: usize) -> usize {
    let len_octets = if len < 0x80 { 1 } else { 1 + (usize::BITS - len.leading_zeros()).div_ceil(8) as usize };
    1 + len_octets + len
}

/// The DER element with identifier `tag` and these content octets.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tlv_len(content.len()));
    push_header(&mut out, tag, content.len());
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    /// The hand-written lengths equal the `der` encoder's, at every boundary.
    #[test]
    fn lengths_match_the_der_encoder() {
        for len in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000, 0xff_ffff, 0x100_0000, 0xfff_ffff] {
            let mut ours = Vec::new();
            push_length(&mut ours, len);
            let theirs = der::Length::try_from(len).unwrap().to_der().unwrap();
            assert_eq!(ours, theirs, "length {len}");
            assert_eq!(tlv_len(len), 1 + theirs.len() + len, "length {len}");
        }
        let content = vec![7u8; 70_000];
        let os = der::asn1::OctetString::new(content.clone()).unwrap().to_der().unwrap();
        assert_eq!(tlv(0x04, &content), os);
    }
}
