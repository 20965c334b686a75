//! A minimal BER/DER TLV reader (X.690), used where the exact received bytes matter:
//! the signed attributes as signed (RFC 5652 5.4), signer infos and certificates in
//! message order, and eContent that streaming encoders split into chunks.
//!
//! # Security
//! Every read is bounds-checked; indefinite lengths are followed to at most
//! [`MAX_DEPTH`] levels; lengths beyond the input are errors, never panics.

/// Deepest nesting followed inside an indefinite-length element.
pub const MAX_DEPTH: usize = 64;

/// Why a TLV could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BerError(pub String);

impl std::fmt::Display for BerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(what: &str, at: usize) -> Result<T, BerError> {
    Err(BerError(format!("{what} at byte {at}")))
}

/// One element: its identifier octet(s), whether constructed, and where its content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The first identifier octet (class, constructed bit, tag number < 31).
    pub tag: u8,
    /// The whole element as received (identifier, length, content, end-of-contents).
    pub raw: &'a [u8],
    /// The content octets (without the end-of-contents of an indefinite form).
    pub content: &'a [u8],
    pub indefinite: bool,
}

impl<'a> Tlv<'a> {
    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// The child elements of a constructed element.
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, BerError> {
        if !self.constructed() {
            return err("expected a constructed element", 0);
        }
        let mut out = Vec::new();
        let mut rest = self.content;
        while !rest.is_empty() {
            let (t, r) = read(rest)?;
            out.push(t);
            rest = r;
        }
        Ok(out)
    }

    /// The bytes of an OCTET STRING, primitive or chunked (constructed), concatenated.
    pub fn octets(&self) -> Result<Vec<u8>, BerError> {
        let mut out = Vec::new();
        collect_octets(self, &mut out, 0)?;
        Ok(out)
    }
}

fn collect_octets(t: &Tlv<'_>, out: &mut Vec<u8>, depth: usize) -> Result<(), BerError> {
    if depth > MAX_DEPTH {
        return err(&format!("OCTET STRING nested too deeply (limit MAX_DEPTH = {MAX_DEPTH} exceeded)"), 0);
    }
    match t.tag {
        0x04 => {
            out.extend_from_slice(t.content);
            Ok(())
        }
        0x24 => {
            for c in t.children()? {
                collect_octets(&c, out, depth + 1)?;
            }
            Ok(())
        }
        other => err(&format!("expected OCTET STRING, found tag 0x{other:02x}"), 0),
    }
}

/// Read one element from the front of `input`; returns it and the rest.
pub fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), BerError> {
    read_depth(input, 0)
}

fn read_depth(input: &[u8], depth: usize) -> Result<(Tlv<'_>, &[u8]), BerError> {
    if depth > MAX_DEPTH {
        return err(&format!("elements nested too deeply (limit MAX_DEPTH = {MAX_DEPTH} exceeded)"), 0);
    }
    let tag = *input.first().ok_or_else(|| BerError("unexpected end of data".into()))?;
    let mut pos = 1usize;
    if tag & 0x1f == 0x1f {
        // High tag number form: skip the subsequent octets (bit 8 set means more follow).
        loop {
            let b = *input.get(pos).ok_or_else(|| BerError("truncated tag".into()))?;
            pos += 1;
            if b & 0x80 == 0 {
                break;
            }
            if pos > 6 {
                return err("tag number too large", 0);
            }
        }
    }
    let first = *input.get(pos).ok_or_else(|| BerError("truncated length".into()))?;
    pos += 1;
    if first == 0x80 {
        if tag & 0x20 == 0 {
            return err("indefinite length on a primitive element", pos);
        }
        let start = pos;
        let mut rest = input.get(pos..).unwrap_or(&[]);
        loop {
            if rest.len() >= 2 && rest.first() == Some(&0) && rest.get(1) == Some(&0) {
                let content_end = input.len() - rest.len();
                let end = content_end + 2;
                let raw = input.get(..end).ok_or_else(|| BerError("bad length".into()))?;
                let content = input.get(start..content_end).ok_or_else(|| BerError("bad length".into()))?;
                let remaining = input.get(end..).unwrap_or(&[]);
                return Ok((Tlv { tag, raw, content, indefinite: true }, remaining));
            }
            if rest.is_empty() {
                return err("missing end-of-contents", input.len());
            }
            let (_, r) = read_depth(rest, depth + 1)?;
            rest = r;
        }
    }
    let len = if first & 0x80 == 0 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n > 8 {
            return err("length field too long", pos);
        }
        let mut len: usize = 0;
        for _ in 0..n {
            let b = *input.get(pos).ok_or_else(|| BerError("truncated length".into()))?;
            pos += 1;
            len = len.checked_mul(256).and_then(|l| l.checked_add(usize::from(b))).ok_or_else(|| BerError("length overflows".into()))?;
        }
        len
    };
    let end = pos.checked_add(len).ok_or_else(|| BerError("length overflows".into()))?;
    if end > input.len() {
        return err(&format!("element of {len} bytes runs past the end of the data"), pos);
    }
    let raw = input.get(..end).unwrap_or(&[]);
    let content = input.get(pos..end).unwrap_or(&[]);
    Ok((Tlv { tag, raw, content, indefinite: false }, input.get(end..).unwrap_or(&[])))
}

/// Read exactly one element that spans all of `input` (trailing zero padding tolerated).
pub fn read_all(input: &[u8]) -> Result<Tlv<'_>, BerError> {
    let (t, rest) = read(input)?;
    if rest.iter().any(|b| *b != 0) {
        return err("unexpected data after the end", input.len() - rest.len());
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definite_and_indefinite() {
        // SEQUENCE { INTEGER 5, OCTET STRING "ab" }
        let der = [0x30, 0x07, 0x02, 0x01, 0x05, 0x04, 0x02, b'a', b'b'];
        let t = read_all(&der).unwrap();
        let c = t.children().unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].octets().unwrap(), b"ab");
        // Same with indefinite length and a chunked OCTET STRING.
        let ber = [0x30, 0x80, 0x02, 0x01, 0x05, 0x24, 0x80, 0x04, 0x01, b'a', 0x04, 0x01, b'b', 0, 0, 0, 0];
        let t = read_all(&ber).unwrap();
        assert!(t.indefinite);
        let c = t.children().unwrap();
        assert_eq!(c[1].octets().unwrap(), b"ab");
        assert_eq!(t.raw.len(), ber.len());
    }

    #[test]
    fn garbage_never_panics() {
        let samples: [&[u8]; 8] = [
            &[], &[0x30], &[0x30, 0x85, 1, 2, 3, 4, 5], &[0x30, 0x80], &[0x30, 0x80, 0x30, 0x80],
            &[0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], &[0x04, 0x80, 0, 0], &[0x30, 0x05, 0x01],
        ];
        for s in samples {
            assert!(read(s).is_err(), "{s:?}");
        }
        // Deep nesting is refused, not a stack overflow.
        let mut deep = Vec::new();
        for _ in 0..10_000 {
            deep.extend_from_slice(&[0x30, 0x80]);
        }
        assert!(read(&deep).unwrap_err().0.contains("MAX_DEPTH"), "the limit is named");
    }
}
