// Generated from the core's Rust types (crate/src/boundary.rs, test `typescript_is_current`);
// do not edit. Regenerate: CACHET_WRITE_TS=1 cargo test -p cachet --lib typescript_is_current

export type UnixTime = string;

export type Status = "valid" | "valid-unknown-ca" | "tampered" | "bad-signature" | "address-mismatch" | "expired" | "not-yet-valid" | "wrong-usage" | "weak-algorithm" | "partially-signed" | "no-signer" | "unsigned" | "malformed" | "no-key" | "integrity-failure" | "weak-cipher" | "needs-password" | "decrypted";

export type Code = "bad-certificate" | "malformed" | "limit-exceeded" | "wrong-password" | "bad-pkcs12" | "unsupported-algorithm" | "no-private-key" | "unusable-identity" | "no-recipient-certificate" | "usage" | "crypto" | "certificate-expired" | "certificate-not-yet-valid";

export type Error = { code: Code, 
/**
 * One sentence a user understands.
 */
message: string, 
/**
 * What to do about it.
 */
hint: string, 
/**
 * Technical detail (parser position, library message), for support.
 */
detail?: string, };

export type KeyInfo = { 
/**
 * "RSA", "RSASSA-PSS", "EC", "Ed25519" or the OID.
 */
algorithm: string, 
/**
 * Modulus bits for RSA, field bits for EC.
 */
bits: number | null, 
/**
 * Curve name for EC keys ("P-256", "P-384", "P-521").
 */
curve?: string, };

export type Usability = { sign: boolean, encrypt: boolean, 
/**
 * "sign", "encrypt", "both" or "neither".
 */
summary: string, 
/**
 * Why a use is not possible, in words; empty when both are.
 */
reasons: Array<string>, };

export type CertFacts = { subject: string, common_name: string | null, emails: Array<string>, issuer: string, 
/**
 * Serial number in upper-case hex, as OpenSSL and Outlook show it.
 */
serial: string, not_before: UnixTime, not_after: UnixTime, key: KeyInfo, key_usage: Array<string> | null, extended_key_usage: Array<string> | null, is_ca: boolean, self_signed: boolean, signature_algorithm: string, 
/**
 * SHA-256 fingerprint, upper-case hex pairs separated by colons.
 */
sha256: string, sha1: string, 
/**
 * What Cachet may use this certificate for.
 */
usable_for: Usability, 
/**
 * Algorithms from the certificate's smimeCapabilities extension (RFC 4262), in the
 * issuer's order; None when the certificate has no such extension.
 */
smime_capabilities?: Array<string>, 
/**
 * The subjectKeyIdentifier extension in upper-case hex (how recipients and signers
 * may name the certificate); None when absent.
 */
subject_key_id?: string, };

export type AnchorKind = "root" | "pin";

export type CertRef = { subject: string, issuer: string, 
/**
 * Upper-case hex.
 */
serial: string, 
/**
 * SHA-256 fingerprint, colon-separated upper-case hex.
 */
sha256: string, not_before: UnixTime, not_after: UnixTime, 
/**
 * This certificate is where the trust comes from (a root, or the pinned leaf).
 */
anchor: boolean, 
/**
 * For the anchor: `root` (it issued the path) or `pin` (trusted as itself).
 */
trusted_as?: AnchorKind, };

export type PathStatus = { "status": "trusted" } | { "status": "unknown-ca" } | { "status": "expired", subject: string, not_after: UnixTime, } | { "status": "not-yet-valid", subject: string, not_before: UnixTime, } | { "status": "wrong-usage", reason: string, } | { "status": "bad-signature", reason: string, } | { "status": "weak-algorithm", algorithm: string, } | { "status": "invalid", reason: string, };

export type PathReport = { 
/**
 * Leaf first; the last one is the anchor when `status` is not `UnknownCa`.
 */
path: Array<CertRef>, 
/**
 * Where the path's trust comes from, when it ends at one: `root` ("issued by a root
 * you trust") or `pin` ("pinned by you"). Absent when no anchor was reached.
 */
trusted_by?: AnchorKind, 
/**
 * Every problem found on the reported path, in words, worst first.
 */
details: Array<string>, } & ({ "status": "trusted" } | { "status": "unknown-ca" } | { "status": "expired", subject: string, not_after: UnixTime, } | { "status": "not-yet-valid", subject: string, not_before: UnixTime, } | { "status": "wrong-usage", reason: string, } | { "status": "bad-signature", reason: string, } | { "status": "weak-algorithm", algorithm: string, } | { "status": "invalid", reason: string, });

export type SignerId = { "issuer_and_serial": { issuer: string, serial: string, } } | { "subject_key_identifier": { key_id: string, } };

export type SignatureCheck = "good" | "digest-mismatch" | "bad" | "no-certificate" | "unsupported" | "malformed";

export type AddressCheck = { 
/**
 * The From address of the message, when there is one (the first, when there are several).
 */
from: string | null, matches: boolean, certificate_emails: Array<string>, 
/**
 * Why the From header cannot bind the signer at all (several From headers or
 * addresses, an address hidden in the display name), in words; then `matches` is false.
 */
problem?: string, 
/**
 * The Sender address that matched the certificate, when it was the Sender (signing on
 * behalf of the From address, RFC 8550 section 3) rather than the From address.
 */
sender?: string, };

export type SignerReport = { status: Status, signer_id: SignerId, signature: SignatureCheck, chain: PathReport | null, address: AddressCheck | null, 
/**
 * The signer's certificate: subject, e-mail addresses, issuer, serial, SHA-256 fingerprint, validity.
 */
certificate: CertFacts | null, 
/**
 * The signer's own (unauthenticated) claim of when it signed.
 */
signing_time: UnixTime | null, 
/**
 * Whether the signer's certificate was within its validity at the claimed signing time.
 */
valid_at_signing_time?: boolean, digest_algorithm: string, signature_algorithm: string, 
/**
 * SMIMECapabilities the signer advertised (OIDs or names, strongest first as sent).
 */
smime_capabilities: Array<string>, 
/**
 * Certificate the signer prefers for encryption (SMIMEEncryptionKeyPreference), when sent.
 */
encryption_key_preference?: SignerId, details: Array<string>, };

export type LayerKind = "signed" | "encrypted";

export type EncryptionInfo = { content_cipher: string, integrity_protected: boolean, recipients: Array<SignerId>, 
/**
 * How the content key was sent, each kind once in RecipientInfo order ("RSA PKCS #1
 * v1.5", "RSA-OAEP (SHA-256)", "ECDH (X9.63 KDF with SHA-256, AES-256 key wrap)", ...).
 */
key_management: Array<string>, };

export type Layer = { kind: LayerKind, status: Status, 
/**
 * "multipart/signed", "application/pkcs7-mime" (opaque) or the encryption format.
 */
format: string, 
/**
 * Which MIME part the layer covers: "" for the whole message, "1.2" for the
 * second child of the first child, and so on.
 */
covers: string, signers?: Array<SignerReport>, encryption?: EncryptionInfo, details: Array<string>, };

export type Diagnosis = { 
/**
 * Stable id: "appended-text", "appended-part", "partially-signed", "date-differs", ...
 */
id: string, message: string, 
/**
 * Text a server added after signing, when known.
 */
appended_text?: string, 
/**
 * Whether the original content still verifies once the addition is removed.
 */
original_verifies?: boolean, };

export type Repair = { 
/**
 * Stable id: "signature-binary", "line-endings-mixed", "legacy-x-pkcs7-type",
 * "content-type-attribute-missing", "gcm-tag-length", "compressed", ...
 */
code: string, 
/**
 * One sentence for the user.
 */
message: string, 
/**
 * The MIME part of the layer it concerns ("" the whole message), as `Layer::covers`.
 */
covers: string, };

export type FoundCertificate = { facts: CertFacts, 
/**
 * DER, base64.
 */
der_base64: string, };

export type HeaderMismatch = { 
/**
 * The field's name ("From", "Subject", ...).
 */
name: string, 
/**
 * What the signer wrote (inside).
 */
inner: string, 
/**
 * What the message shows outside; None when the field is missing there.
 */
outer?: string, };

export type ProtectedHeaders = { 
/**
 * The payload's `hp` parameter: "clear" (signed only) or "cipher" (encrypted).
 */
mode: string, 
/**
 * A signature covers them (see the signed layer's status for whether it is good).
 */
signed: boolean, 
/**
 * They came out of a decrypted layer: hidden from the servers on the way.
 */
encrypted: boolean, subject?: string, from?: string, to?: string, cc?: string, date?: string, reply_to?: string, message_id?: string, in_reply_to?: string, references?: string, 
/**
 * Fields the sender hid or obscured outside (encrypted mail: "Subject").
 */
confidential: Array<string>, 
/**
 * Signed fields whose outer version differs from what the signer wrote.
 */
mismatches: Array<HeaderMismatch>, };

export type OpenReport = { status: Status, layers: Array<Layer>, certificates: Array<FoundCertificate>, diagnosis: Array<Diagnosis>, 
/**
 * The protected header fields (RFC 9788), when the innermost content carries them.
 */
protected_headers?: ProtectedHeaders, 
/**
 * What Cachet had to forgive to read the message, in the order met (empty when the
 * message followed the standards).
 */
repairs?: Array<Repair>, error?: Error, };

export type Headers = { from: string | null, to: string | null, cc: string | null, subject: string | null, date: string | null, message_id: string | null, };

export type ViewPart = { 
/**
 * Position as in the open report's `covers`: "" for the top, "1.2" for the second child of the first child.
 */
path: string, 
/**
 * `type/subtype`.
 */
content_type: string, 
/**
 * Decoded text for text/plain and text/html leaves.
 */
text?: string, 
/**
 * The text was longer than [`MAX_TEXT_SHOWN`] and is cut.
 */
truncated: boolean, filename?: string, 
/**
 * Size of the body as received, in bytes.
 */
size: number, 
/**
 * The part's Content-ID without angle brackets, when it has a usable one.
 */
content_id?: string, };

export type MessageView = { headers: Headers, parts: Array<ViewPart>, };

export type DraftAttachment = { filename: string, 
/**
 * `type/subtype`; anything else becomes `application/octet-stream`.
 */
contentType: string, dataBase64: string, 
/**
 * Not empty: the part is shown in the HTML body, which refers to it as
 * `cid:<contentId>` (inline, in the multipart/related); without HTML it is attached.
 */
contentId?: string, };

export type Draft = { from: string, to: Array<string>, cc?: Array<string>, 
/**
 * Blind copies. The add-in sends one message per Bcc recipient (each naming only
 * that recipient), so this is empty or one address; it becomes a `Bcc` field
 * (RFC 5322 3.6.3, the copy for the blind recipient names them).
 */
bcc?: Array<string>, subject: string, text: string, 
/**
 * The HTML version of the text (empty: none); sent as the second alternative.
 */
html?: string, 
/**
 * RFC 5322 date-time, as the caller's clock says (the core has none).
 */
date: string, 
/**
 * `<unique@domain>`; optional.
 */
messageId?: string, 
/**
 * `<id@domain>` of the message this replies to; optional (RFC 5322 3.6.4).
 */
inReplyTo?: string, 
/**
 * The References field of a reply (message ids separated by white space); optional.
 */
references?: string, attachments?: Array<DraftAttachment>, 
/**
 * The sender identity's footer (plain text, empty: none), added at the end of the
 * text and of the HTML, inside what is signed. The add-in passes it when signing.
 */
footer?: string, };

export type RequestKind = "key-exchange" | "renewal";

export type RequestOptions = { 
/**
 * The contact's address (the To field); required.
 */
to: string, kind?: RequestKind, 
/**
 * Sender address; must be one of the certificate's. Default: its first address.
 */
from?: string, 
/**
 * Display name for From and the greeting. Default: the certificate's common name.
 */
senderName?: string, 
/**
 * Default: [`default_subject`].
 */
subject?: string, 
/**
 * The body text in the user's own words. Default: [`default_text`].
 */
text?: string, 
/**
 * RFC 5322 Date field value (the core has no clock), e.g. from [`rfc5322_date`].
 */
date?: string, 
/**
 * Message-ID field value, with angle brackets.
 */
messageId?: string, };

export type RequestCall = { at: number, 
/**
 * The contact's address (the To field); required.
 */
to: string, kind?: RequestKind, 
/**
 * Sender address; must be one of the certificate's. Default: its first address.
 */
from?: string, 
/**
 * Display name for From and the greeting. Default: the certificate's common name.
 */
senderName?: string, 
/**
 * Default: [`default_subject`].
 */
subject?: string, 
/**
 * The body text in the user's own words. Default: [`default_text`].
 */
text?: string, 
/**
 * RFC 5322 Date field value (the core has no clock), e.g. from [`rfc5322_date`].
 */
date?: string, 
/**
 * Message-ID field value, with angle brackets.
 */
messageId?: string, };

export type KeyState = "current" | "retired" | "backup" | "deleted";

export type KnownKey = { subject: string, issuer: string, 
/**
 * Upper-case hex, as in the certificate facts.
 */
serial: string, 
/**
 * The subjectKeyIdentifier in upper-case hex, when the certificate has one.
 */
subject_key_id?: string, 
/**
 * RFC 3339 (as the facts give it) or seconds since 1970.
 */
not_after: string, state: KeyState, };

export type ExpiryState = "not-yet-valid" | "valid" | "expiring-soon" | "expired";

export type Expiry = { state: ExpiryState, not_before: UnixTime, not_after: UnixTime, 
/**
 * Whole days left until `not_after` (0 once expired or on the last day).
 */
days_left: number, };

export type IdentityRecord = { 
/**
 * The shell's name for the identity (e.g. the signing certificate's fingerprint).
 */
id: string, 
/**
 * Base64 DER of the signing certificate.
 */
signing_certificate: string, 
/**
 * Base64 DER of a separate encryption certificate; None when one certificate does both.
 */
encryption_certificate?: string, 
/**
 * Replaced by a newer identity: kept only to read old mail (key history).
 */
retired: boolean, };

export type IdentityRole = "active" | "decrypt-only";

export type CertificateState = { expiry: Expiry, subject: string, common_name: string | null, emails: Array<string>, issuer: string, 
/**
 * Serial number in upper-case hex, as OpenSSL and Outlook show it.
 */
serial: string, not_before: UnixTime, not_after: UnixTime, key: KeyInfo, key_usage: Array<string> | null, extended_key_usage: Array<string> | null, is_ca: boolean, self_signed: boolean, signature_algorithm: string, 
/**
 * SHA-256 fingerprint, upper-case hex pairs separated by colons.
 */
sha256: string, sha1: string, 
/**
 * What Cachet may use this certificate for.
 */
usable_for: Usability, 
/**
 * Algorithms from the certificate's smimeCapabilities extension (RFC 4262), in the
 * issuer's order; None when the certificate has no such extension.
 */
smime_capabilities?: Array<string>, 
/**
 * The subjectKeyIdentifier extension in upper-case hex (how recipients and signers
 * may name the certificate); None when absent.
 */
subject_key_id?: string, };

export type IdentityView = { id: string, 
/**
 * E-mail addresses of the signing certificate.
 */
addresses: Array<string>, role: IdentityRole, 
/**
 * The worse expiry state of the signing and encryption certificates.
 */
state: ExpiryState, signing: CertificateState, 
/**
 * The encryption certificate (the signing one again when there is no separate one).
 */
encryption: CertificateState, separate_encryption_certificate: boolean, };

export type LearnedCapabilities = { algorithms: Array<string>, 
/**
 * signingTime of the message they came from, when it had one.
 */
signing_time?: UnixTime, 
/**
 * SHA-256 fingerprint of the certificate that signed that message.
 */
certificate_sha256: string, };

export type Contact = { address: string, 
/**
 * Every certificate seen for this address (base64 DER), old ones included.
 */
certificates: Array<string>, 
/**
 * What the contact's latest signed mail said it can decrypt.
 */
capabilities?: LearnedCapabilities, };

export type CertificateChoice = { 
/**
 * Position in the stored list.
 */
index: number, facts: CertFacts, state: ExpiryState, };

export type CertificateSummary = { sha256: string, subject: string, issuer: string, serial: string, not_before: UnixTime, not_after: UnixTime, };

export type CertificateChange = { address: string, old: CertificateSummary, new: CertificateSummary, same_issuer: boolean, 
/**
 * The new certificate carries the same public key (a re-issue rather than a new key).
 */
same_key: boolean, 
/**
 * The new certificate starts later than the old one (a renewal rather than a step back).
 */
newer: boolean, };

export type RecipientState = "ready" | "missing" | "expired" | "address-mismatch" | "untrusted";

export type RecipientStatus = { address: string, status: RecipientState, 
/**
 * The certificate the status is about (the one to encrypt to when `ready`).
 */
certificate?: CertificateSummary, 
/**
 * Position of that certificate in the stored list.
 */
index?: number, 
/**
 * Why, in words (empty when `ready`).
 */
reason: string, };

export type RecipientOptions = { recipients: Array<string>, 
/**
 * Stored certificates per address.
 */
contacts?: Array<Contact>, 
/**
 * Trusted roots (they issue), base64 DER.
 */
trust?: Array<string>, 
/**
 * Pinned certificates (each trusted only as itself, never an issuer), base64 DER.
 */
pins?: Array<string>, 
/**
 * Other known certificates (intermediates), base64 DER.
 */
known?: Array<string>, 
/**
 * Validation time, seconds since 1970 (or RFC 3339 text); required.
 */
at: number, };

export type SmimeaQuery = { 
/**
 * The owner name looked up: `<hex of SHA2-256(local part), 28 octets>._smimecert.<domain>`.
 */
name: string, 
/**
 * The DNS query in wire format (RFC 1035), for a POST body or, base64url without
 * padding, the `dns` parameter of a GET (RFC 8484 section 4.1).
 */
query_base64url: string, };

export type SmimeaTrust = "dnssec-validated" | "found-in-dns";

export type SmimeaOutcome = "found" | "no-usable-record" | "not-found" | "resolver-failed";

export type SmimeaCertificate = { facts: CertFacts, 
/**
 * DER, base64 (standard alphabet), as stored for contacts.
 */
der_base64: string, expiry: Expiry, };

export type SmimeaRejected = { usage: number, selector: number, matching_type: number, 
/**
 * One sentence for the user.
 */
reason: string, };

export type SmimeaLookup = { address: string, name: string, outcome: SmimeaOutcome, 
/**
 * The resolver set the AD bit.
 */
dnssec_validated: boolean, trust: SmimeaTrust, certificates: Array<SmimeaCertificate>, rejected: Array<SmimeaRejected>, 
/**
 * The DNS response code (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ...).
 */
rcode: number, };

export type RecipientChoice = { 
/**
 * The certificate's first e-mail address (its subject when it names none).
 */
address: string, certificate_sha256: string, 
/**
 * The sender's own copy.
 */
own_copy: boolean, 
/**
 * RSA key transport; absent for an EC certificate (ECDH key agreement).
 */
key_transport?: KeyTransport, 
/**
 * The key transport or key agreement in words ("RSA PKCS #1 v1.5", "ECDH P-256 (...)").
 */
key_management: string, 
/**
 * Their mail program advertised AES-GCM; absent when nothing is known.
 */
reads_gcm?: boolean, 
/**
 * Why, in words, starting with what is known of their mail program.
 */
reason: string, };

export type EncryptionChoice = { 
/**
 * `aes256-gcm`, `aes128-gcm`, `aes256-cbc` or `aes128-cbc`.
 */
content_cipher: string, 
/**
 * AES-GCM AuthEnvelopedData (changes to the message are detected).
 */
integrity_protected: boolean, 
/**
 * Why this cipher, in words.
 */
reason: string, 
/**
 * One entry per recipient certificate, then the sender's own copy.
 */
recipients: Array<RecipientChoice>, };

export type DigestAlg = "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

export type ContentCipher = "aes128-cbc" | "aes192-cbc" | "aes256-cbc" | "aes128-gcm" | "aes192-gcm" | "aes256-gcm" | "des-ede3-cbc" | "des-cbc" | "rc2-cbc";

export type Verdict = { "verdict": "accept" } | { "verdict": "flag", "algorithm": string } | { "verdict": "refuse", "algorithm": string };

export type DigestRule = { alg: DigestAlg, 
/**
 * Verdict when verifying (consuming) a signature that uses it.
 */
consume: Verdict, 
/**
 * May we sign with it?
 */
produce: boolean, };

export type CipherRule = { cipher: ContentCipher, verdict: Verdict, 
/**
 * Refused unless `Policy::legacy_allowed`, then flagged.
 */
legacy: boolean, };

export type KeyTransport = "rsa-pkcs1v15" | "rsa-oaep";

export type Policy = { 
/**
 * RSA keys below this many bits are flagged (2048).
 */
min_rsa_bits: number, 
/**
 * RSA keys below this many bits are refused (1024).
 */
refuse_rsa_below: number, 
/**
 * Digest table; a digest not listed is refused.
 */
digests: Array<DigestRule>, 
/**
 * The digest we sign with.
 */
signing_digest: DigestAlg, 
/**
 * Content ciphers accepted for decryption; a cipher not listed is refused.
 */
ciphers: Array<CipherRule>, 
/**
 * Key transports accepted for decryption; one not listed is refused.
 */
key_transports: Array<[KeyTransport, Verdict]>, 
/**
 * The user explicitly opens legacy mail: RC2 and DES are then decrypted with a warning.
 */
legacy_allowed: boolean, 
/**
 * Key transport for an RSA recipient who neither advertised RSAES-OAEP nor has an
 * RSAES-OAEP key (PKCS#1 v1.5; an administrator may require OAEP for everyone).
 */
default_key_transport: KeyTransport, };

export type OpenOptions = { 
/**
 * Validation time, seconds since 1970 (JavaScript passes `Date.now() / 1000`); required.
 */
at: number, 
/**
 * Trusted roots (they issue certificates), base64 DER.
 */
trust?: Array<string>, 
/**
 * Pinned certificates (each trusted only as itself, for the addresses it names; never an
 * issuer), base64 DER.
 */
pins?: Array<string>, 
/**
 * Other known certificates (contacts, intermediates), base64 DER.
 */
known?: Array<string>, 
/**
 * The password of a password-encrypted message (RFC 3211), as the user typed it; the
 * report says `needs-password` when it is missing or does not open the message.
 */
password?: string | null, 
/**
 * The algorithm policy (SPEC section 4); absent: the standard policy. Fields left out
 * keep their standard values.
 */
policy?: Partial<Policy>, 
/**
 * Every certificate the user ever had a key for (current, retired, backed up, deleted):
 * a message that cannot be decrypted says which of them it needs.
 */
keyHistory?: Array<KnownKey>, 
/**
 * The user explicitly asked to open RC2 or DES mail (SPEC section 4): decrypted with the
 * weak-cipher warning instead of refused.
 */
openLegacy?: boolean, };

export type EncryptOptions = { 
/**
 * Recipient certificates, base64 DER.
 */
recipients: Array<string>, 
/**
 * Sign (with the sender's identity) before encrypting.
 */
sign?: boolean, 
/**
 * `aes256-cbc`, `aes128-gcm` or `aes256-gcm`; default: the policy's choice.
 */
cipher?: string, 
/**
 * RSAES-OAEP key transport instead of PKCS #1 v1.5.
 */
oaep?: boolean, 
/**
 * Opaque signatures (signed-data) instead of clear-signed multipart/signed.
 */
opaque?: boolean, 
/**
 * Triple wrapping: sign, encrypt, sign again (implies `sign`).
 */
tripleWrap?: boolean, 
/**
 * What each recipient's mail program advertised (the contact's stored
 * `LearnedCapabilities`, `null` when none are known), in the order of `recipients`: they
 * choose the content cipher and key transport (see `EncryptionChoice`).
 */
capabilities?: Array<LearnedCapabilities | null>, 
/**
 * Signing time, seconds since 1970; required.
 */
at: number, 
/**
 * The algorithm policy (SPEC section 4); absent: the standard policy.
 */
policy?: Partial<Policy>, };
