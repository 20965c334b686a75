//! PEM (RFC 7468) as files really are: any line length (RFC 7468's strict form has 64),
//! CRLF or LF, white space around lines, and RFC 1421 header lines (`Proc-Type: ...`)
//! before the base64. Used by certificate and PKCS#12 import.
//!
//! # Security
//! Input is untrusted text; the output is at most three quarters of its size. Labels are
//! returned as written; the caller decides which it reads. Never panics.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

/// One PEM block: its label (`CERTIFICATE`, `PKCS7`, ...) and the decoded bytes.
pub struct Block {
    pub label: String,
    pub der: Vec<u8>,
}

/// Does `bytes` hold a PEM block (a `-----BEGIN ` line)?
pub fn is_pem(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"-----BEGIN ").is_some()
}

/// Every PEM block of `text`, in order. `Err` names the first block that cannot be read
/// (no END line, or base64 that does not decode).
pub fn blocks(text: &str) -> Result<Vec<Block>, String> {
    let engine = GeneralPurpose::new(&base64::alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent));
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after_begin = rest.get(start + 11..).unwrap_or("");
        let Some(label_end) = after_begin.find("-----") else { return Err("a BEGIN line without its closing dashes".into()) };
        let label = after_begin.get(..label_end).unwrap_or("").trim().to_string();
        let body_and_rest = after_begin.get(label_end + 5..).unwrap_or("");
        let end_marker = format!("-----END {label}-----");
        let Some(end) = body_and_rest.find(&end_marker) else { return Err(format!("the {label} block has no END line")) };
        let body = body_and_rest.get(..end).unwrap_or("");
        rest = body_and_rest.get(end + end_marker.len()..).unwrap_or("");
        // RFC 1421 header lines ("Name: value") come before an empty line; skip them.
        let b64: String = body.lines().filter(|l| !l.contains(':')).flat_map(|l| l.chars().filter(|c| !c.is_ascii_whitespace())).collect();
        let der = engine.decode(b64.as_bytes()).map_err(|e| format!("the {label} block is not base64 ({e})"))?;
        out.push(Block { label, der });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_line_length_and_line_ending() {
        let der: Vec<u8> = (0u8..=200).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        for width in [76, 64, 40, 1000] {
            let lines: Vec<String> = b64.as_bytes().chunks(width).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
            for eol in ["\n", "\r\n"] {
                let pem = format!("junk\n-----BEGIN CERTIFICATE-----{eol}{}{eol}-----END CERTIFICATE-----{eol}", lines.join(eol));
                let b = blocks(&pem).unwrap();
                assert_eq!((b.len(), b[0].label.as_str(), &b[0].der), (1, "CERTIFICATE", &der));
            }
        }
        assert!(blocks("-----BEGIN X-----\nAAAA\n").is_err());
        assert!(blocks("-----BEGIN X-----\n!!!!\n-----END X-----\n").is_err());
        assert!(blocks("no pem").unwrap().is_empty());
    }
}
