// PKI.js in a dedicated worker doing the jobs a developer would do with it for S/MIME: detached
// SignedData over the MIME entity with signed attributes (contentType, signingTime,
// messageDigest), RSA PKCS#1 v1.5 SHA-256 through WebCrypto, wrapped as multipart/signed;
// verification against the trusted CA; EnvelopedData to 1 or 10 recipients (AES-256-CBC, or
// AES-256-GCM content encryption: PKI.js has no AuthEnvelopedData) with RSA-OAEP key transport
// (WebCrypto has no RSAES-PKCS1-v1_5 encryption); decryption with the recipient's key imported
// once from its PKCS#8 PEM. The MIME glue is bench/page/mime.js.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { pemDer, serve } from './harness.js';
import { multipartSigned, parsePkcs7Mime, parseSigned, pkcs7Mime, splitMessage } from './mime.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
};
const CBC = { name: 'AES-CBC', length: 256 };
const GCM = { name: 'AES-GCM', length: 256 };
const OAEP_HASH = 'SHA-256';

pkijs.setEngine('worker', new pkijs.CryptoEngine({ name: 'worker', crypto: self.crypto }));
const subtle = self.crypto.subtle;

let signerCert;
let signKey;
let caCert;
let recipients = [];
let rcpt0;
let rcpt0Key;

/** An ArrayBuffer holding exactly the bytes of `u8` (PKI.js takes ArrayBuffers). */
const arrayBuffer = (u8) => (u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? u8.buffer : u8.slice().buffer);
const certificate = (pem) => pkijs.Certificate.fromBER(pemDer(pem));

/**
 * Parse a CMS ContentInfo. asn1js (3.1) stops a parse at 10,000 nodes and 16 MB of content by
 * default, which an EnvelopedData of 8 MB or more (PKI.js writes its content in 1 KB chunks) or a
 * 25 MB message exceeds, so the limits are raised here; the input is not copied first.
 */
function contentInfo(der) {
  const asn1 = asn1js.fromBER(der, { maxNodes: 1 << 24, maxContentLength: 1 << 30, copyInput: false });
  if (asn1.offset === -1) throw new Error(`cannot parse the CMS structure: ${asn1.result.error}`);
  return new pkijs.ContentInfo({ schema: asn1.result });
}

async function signDetached(entity) {
  const digest = await subtle.digest('SHA-256', entity);
  const signed = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    signerInfos: [new pkijs.SignerInfo({
      version: 1,
      sid: new pkijs.IssuerAndSerialNumber({ issuer: signerCert.issuer, serialNumber: signerCert.serialNumber }),
      // In DER order (SET OF sorts by encoding): OpenSSL re-encodes the attributes to check the signature.
      signedAttrs: new pkijs.SignedAndUnsignedAttributes({
        type: 0,
        attributes: [
          new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
          new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
          new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: digest })] }),
        ],
      }),
    })],
    certificates: [signerCert],
  });
  await signed.sign(signKey, 0, 'SHA-256');
  return new Uint8Array(new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) }).toSchema().toBER(false));
}

async function verifyDetached(content, signature) {
  const info = contentInfo(signature);
  if (info.contentType !== OID.signedData) throw new Error(`the signature is ${info.contentType}, not SignedData`);
  const signed = new pkijs.SignedData({ schema: info.content });
  const result = await signed.verify({ signer: 0, data: arrayBuffer(content), trustedCerts: [caCert], checkChain: true, extendedMode: true });
  if (!result.signatureVerified) throw new Error(`PKI.js did not verify the signature: ${result.message ?? result.code}`);
}

async function envelope(entity, to, cipher) {
  const enveloped = new pkijs.EnvelopedData();
  for (const cert of to) enveloped.addRecipientByCertificate(cert, { oaepHashAlgorithm: OAEP_HASH });
  await enveloped.encrypt(cipher, arrayBuffer(entity));
  return new Uint8Array(new pkijs.ContentInfo({ contentType: OID.envelopedData, content: enveloped.toSchema() }).toSchema().toBER(false));
}

async function decrypt(der) {
  const info = contentInfo(der);
  if (info.contentType !== OID.envelopedData) throw new Error(`the message is ${info.contentType}, not EnvelopedData`);
  const enveloped = new pkijs.EnvelopedData({ schema: info.content });
  const index = enveloped.recipientInfos.findIndex((ri) => ri.variant === 1 && ri.value.rid instanceof pkijs.IssuerAndSerialNumber
    && ri.value.rid.serialNumber.isEqual(rcpt0.serialNumber) && ri.value.rid.issuer.isEqual(rcpt0.issuer));
  if (index === -1) throw new Error('the message is not encrypted to recipient 0');
  return new Uint8Array(await enveloped.decrypt(index, { recipientCertificate: rcpt0, recipientPrivateKey: rcpt0Key }));
}

const ops = {
  async sign(i) {
    const { outer, entity } = splitMessage(i.msg);
    return multipartSigned(outer, entity, await signDetached(entity));
  },
  async verify(i) {
    const { content, signature } = parseSigned(i.signed);
    await verifyDetached(content, signature);
    return content;
  },
  async 'encrypt-1'(i) {
    const { outer, entity } = splitMessage(i.msg);
    return pkcs7Mime(outer, await envelope(entity, recipients.slice(0, 1), CBC));
  },
  async 'encrypt-10'(i) {
    const { outer, entity } = splitMessage(i.msg);
    return pkcs7Mime(outer, await envelope(entity, recipients, CBC));
  },
  decrypt: (i) => decrypt(parsePkcs7Mime(i.encOaep)),
  // Like Cachet's: signed, then encrypted to the recipient and to the sender's own certificate.
  async 'sign+encrypt'(i) {
    const { outer, entity } = splitMessage(i.msg);
    const signed = multipartSigned('', entity, await signDetached(entity));
    return pkcs7Mime(outer, await envelope(signed, [recipients[0], signerCert], CBC));
  },
  async 'decrypt+verify'(i) {
    const inner = await decrypt(parsePkcs7Mime(i.signencOaep));
    const { content, signature } = parseSigned(inner);
    await verifyDetached(content, signature);
    return content;
  },
  async 'gcm-encrypt'(i) {
    const { outer, entity } = splitMessage(i.msg);
    return pkcs7Mime(outer, await envelope(entity, recipients.slice(0, 1), GCM));
  },
  'gcm-decrypt': (i) => decrypt(parsePkcs7Mime(i.gcmPkijs)),
  // The rows Cachet opens RSA-OAEP inputs in: the same work as decrypt and gcm-decrypt.
  'decrypt (RSA-OAEP)': (i) => decrypt(parsePkcs7Mime(i.encOaep)),
  'gcm-decrypt (RSA-OAEP)': (i) => decrypt(parsePkcs7Mime(i.gcmPkijs)),
};

serve({
  name: 'pkijs',
  async load(files) {
    signerCert = certificate(files.signer);
    caCert = certificate(files.ca);
    recipients = Object.keys(files).filter((k) => /^rcpt\d+$/.test(k)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))).map((k) => certificate(files[k]));
    if (recipients.length !== 10) throw new Error(`expected 10 recipient certificates, got ${recipients.length}`);
    rcpt0 = recipients[0];
    signKey = await subtle.importKey('pkcs8', pemDer(files.signerKey), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    rcpt0Key = await subtle.importKey('pkcs8', pemDer(files.rcpt0Key), { name: 'RSA-OAEP', hash: OAEP_HASH }, false, ['decrypt']);
    return {};
  },
  /** PKI.js cannot read AuthEnvelopedData: its GCM input is its own EnvelopedData with AES-GCM (made here, untimed, unless `keep` leaves it out). */
  async prepare(inputs, keep) {
    if (keep && !keep.includes('gcmPkijs')) return;
    inputs.gcmPkijs = await ops['gcm-encrypt'](inputs);
  },
  ops,
});
