// The WebCrypto floor of each Chromium cell: what WebCrypto alone takes, in Cachet's worker,
// for the digests, ciphers and RSA operations of that cell over the same bytes, with no CMS,
// MIME, base64 or copying work at all. Cachet (which does its bulk crypto through WebCrypto in
// the browser) cannot be faster than this; the target is at most twice it at 10 and 25 MB.
//
// What each floor does (FLOOR_NOTE says it in the report):
// - the content: the message's MIME entity (sign, encrypt), or the openssl-made signed message
//   (what is encrypted in sign+encrypt and decrypted in decrypt+verify: the signed entity, within
//   a few hundred bytes of the outer headers it has in addition);
// - sign: SHA-256 of the entity, SHA-256 of a 100-byte signed-attributes stand-in, one
//   RSASSA-PKCS1-v1_5 SHA-256 signature;
// - verify: the same two digests and two RSASSA verifications (the signature and the signer's
//   certificate; the certificate's signature is modelled by a second verification);
// - encrypt-1 / encrypt-10 / gcm-encrypt: AES-256-CBC (GCM) encryption of the entity and one
//   (ten) RSA-OAEP SHA-256 encryptions of a 32-byte key (WebCrypto has no RSAES-PKCS1-v1_5,
//   which Cachet uses; the public-key operation costs the same);
// - sign+encrypt: the sign floor, then AES-256-CBC encryption of the signed message and two
//   RSA-OAEP encryptions (recipient and sender);
// - decrypt / gcm-decrypt: one RSA-OAEP decryption of a 32-byte key (the private-key operation
//   Cachet does in Wasm with PKCS#1 v1.5 padding) and AES-256-CBC (GCM) decryption of a
//   ciphertext of the entity made untimed beforehand by WebCrypto;
// - decrypt+verify: the decrypt floor over the encrypted signed message, then the verify floor.
// Keys: the signer's and recipient 0's RSA-2048 keys from their PEM files (recipient 0's public
// half stands in for every recipient).
import { pemDer } from './harness.js';

export const FLOOR_NOTE = 'WebCrypto floor: in Cachet\'s worker, WebCrypto alone doing the cell\'s digests, ciphers and RSA operations over the same bytes (no CMS, MIME, base64 or copies): '
  + 'sign = SHA-256 of the entity + SHA-256 of 100 bytes (the signed attributes) + one RSASSA-PKCS1-v1_5 signature; verify = the same two digests + two RSASSA verifications (signature and certificate); '
  + 'encrypt-1/encrypt-10/gcm-encrypt = AES-256-CBC/GCM encryption of the entity + 1/10/1 RSA-OAEP (SHA-256) encryptions of a 32-byte key (WebCrypto has no RSAES-PKCS1-v1_5; the public-key operation costs the same); '
  + 'sign+encrypt = the sign floor + AES-256-CBC encryption of the signed message + 2 RSA-OAEP encryptions; decrypt/gcm-decrypt = one RSA-OAEP decryption (standing in for the PKCS#1 v1.5 private-key operation Cachet does in Wasm) + AES-256-CBC/GCM decryption of the entity\'s ciphertext (made untimed beforehand); '
  + 'decrypt+verify = the decrypt floor over the encrypted signed message + the verify floor. Inputs already in the worker; timed like the other cells, in the same rounds.';

const subtle = globalThis.crypto?.subtle;
const CBC = 'AES-CBC';
const GCM = 'AES-GCM';

let keys = null;
let data = null;

/** Import the keys (untimed, once per worker). `files`: signerKey, rcpt0Key (PKCS#8 PEM). */
export async function floorLoad(files) {
  const rsa = async (pem, name, hash, usages) => {
    const priv = await subtle.importKey('pkcs8', pemDer(pem), { name, hash }, true, [usages[0]]);
    const jwk = await subtle.exportKey('jwk', priv);
    const pub = await subtle.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e, alg: jwk.alg, ext: true }, { name, hash }, false, [usages[1]]);
    return { priv, pub };
  };
  const sig = await rsa(files.signerKey, 'RSASSA-PKCS1-v1_5', 'SHA-256', ['sign', 'verify']);
  const oaep = await rsa(files.rcpt0Key, 'RSA-OAEP', 'SHA-256', ['decrypt', 'encrypt']);
  const aes = {};
  for (const name of [CBC, GCM]) aes[name] = await subtle.importKey('raw', globalThis.crypto.getRandomValues(new Uint8Array(32)), { name }, false, ['encrypt', 'decrypt']);
  keys = { sig, oaep, aes };
}

const params = (name) => ({ name, iv: new Uint8Array(name === GCM ? 12 : 16) });

/** Make the untimed inputs of one size: `entity` and `signedMsg` bytes. */
export async function floorPrepare({ entity, signedMsg }) {
  if (!keys) throw new Error('floorLoad first');
  const attrs = new Uint8Array(100).fill(0x31);
  const wrapped = new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, keys.oaep.pub, new Uint8Array(32)));
  const enc = async (name, bytes) => new Uint8Array(await subtle.encrypt(params(name), keys.aes[name], bytes));
  const signature = new Uint8Array(await subtle.sign('RSASSA-PKCS1-v1_5', keys.sig.priv, attrs));
  data = {
    entity, signedMsg, attrs, wrapped, signature,
    cbc: await enc(CBC, entity), gcm: await enc(GCM, entity), signedCbc: await enc(CBC, signedMsg),
  };
}

const digest = async (bytes) => new Uint8Array(await subtle.digest('SHA-256', bytes));

async function signFloor(content) {
  await digest(content);
  await digest(data.attrs);
  return new Uint8Array(await subtle.sign('RSASSA-PKCS1-v1_5', keys.sig.priv, data.attrs));
}

async function verifyFloor(content) {
  await digest(content);
  await digest(data.attrs);
  let ok = true;
  for (let i = 0; i < 2; i++) ok &&= await subtle.verify('RSASSA-PKCS1-v1_5', keys.sig.pub, data.signature, data.attrs);
  if (!ok) throw new Error('the floor signature does not verify');
  return new Uint8Array([1]);
}

async function encryptFloor(name, content, wraps) {
  const out = new Uint8Array(await subtle.encrypt(params(name), keys.aes[name], content));
  for (let i = 0; i < wraps; i++) await subtle.encrypt({ name: 'RSA-OAEP' }, keys.oaep.pub, new Uint8Array(32));
  return out;
}

async function decryptFloor(name, ciphertext) {
  await subtle.decrypt({ name: 'RSA-OAEP' }, keys.oaep.priv, data.wrapped);
  return new Uint8Array(await subtle.decrypt(params(name), keys.aes[name], ciphertext));
}

/** The floor of each operation (names as in bench/common.mjs OPS); each returns some bytes. */
export const floorOps = {
  sign: () => signFloor(data.entity),
  verify: () => verifyFloor(data.entity),
  'encrypt-1': () => encryptFloor(CBC, data.entity, 1),
  'encrypt-10': () => encryptFloor(CBC, data.entity, 10),
  decrypt: () => decryptFloor(CBC, data.cbc),
  'sign+encrypt': async () => {
    await signFloor(data.entity);
    return encryptFloor(CBC, data.signedMsg, 2);
  },
  'decrypt+verify': async () => {
    const plain = await decryptFloor(CBC, data.signedCbc);
    await verifyFloor(data.entity);
    return plain;
  },
  'gcm-encrypt': () => encryptFloor(GCM, data.entity, 1),
  'gcm-decrypt': () => decryptFloor(GCM, data.gcm),
};
