//! MIME: parse (exact byte ranges, named limits), canonical form (RFC 8551 3.1),
//! build outgoing S/MIME messages.
//!
//! - `parse.rs`: structure and byte ranges (RFC 5322 2.2, RFC 2045 3, RFC 2046 5.1.1).
//! - `entity.rs`: reading an entity (RFC 2047, RFC 2231, RFC 2045 6, RFC 8551 3.2).
//! - `canon.rs`: CRLF canonicalisation (RFC 8551 3.1.1).
//! - `build.rs` / `headers.rs`: canonical 7-bit output (RFC 8551 3.1, 3.4, 3.5;
//!   RFC 2047 / RFC 2231 encoding; RFC 5322 folding).
//! - `protect.rs`: header protection (RFC 9788): the protected header section of the
//!   cryptographic payload, the outer fields of encrypted mail, the legacy display.
//! - `pieces.rs`: an outgoing entity in pieces that refer to the message it was made
//!   from instead of copying its kept bodies (the CLI signs 25 MB without a second copy).
//! - `limits.rs`: the named resource limits.

mod build;
mod canon;
mod entity;
mod headers;
mod limits;
mod parse;
mod pieces;
pub mod protect;

#[cfg(test)]
mod tests;

pub use build::{base64_lines, quoted_printable, build_body, build_body_with_inline, build_multipart_signed, build_multipart_signed_owned, build_pkcs7_mime, Attachment, DerPiece, MultipartSigned, Pkcs7Mime, InlinePart};
pub(crate) use build::{contains, push_base64_lines, random_boundary, signed_frame, signed_head, signed_tail_of};
pub use canon::{canonicalize_crlf, is_canonical, LineBreaks};
pub use entity::{ContentType, Entity, HeaderField, Originator, SmimeKind};
pub(crate) use entity::{decode_base64, decode_base64_in_place};
pub use headers::{encode_headers, header_place, push_field, received_value, HeaderPlace};
pub use limits::Limits;
pub(crate) use limits::exceeded;
pub use parse::{parse, parse_head};
pub(crate) use parse::too_large;
pub use pieces::{MultipartSignedPieces, Pieces};
pub(crate) use pieces::{assemble_in_place, EntityOut, Piece, PieceList};
