// Cachet's Wasm in a dedicated worker, called the way the add-in's worker calls it
// (addin/src/core/worker.ts): one Keyring with the signer and recipient 0 unlocked from their
// PKCS#12 files, Keyring.sign / encrypt / open. When the Keyring has the async, WebCrypto-backed
// methods (signAsync, encryptAsync, openAsync: same arguments, Promises) they are used instead.
import init from '../../addin/pkg/cachet.js';
import * as wasm from '../../addin/pkg/cachet.js';
import { floorLoad, floorOps, floorPrepare } from './floor.js';
import { pemBase64, serve } from './harness.js';

let exports = null;
let ring = null;
let signer = 0;
let at = 0;
let trust = [];
let recipients = [];
const paths = {};

/** Keyring method `name`, or its async twin when the build has one (recorded in `paths`). */
function call(name, ...args) {
  const fn = typeof ring[`${name}Async`] === 'function' ? `${name}Async` : name;
  paths[name] = fn;
  return ring[fn](...args);
}

async function open(bytes, options, want) {
  const { report, content } = await call('open', bytes, options);
  if (!want.includes(report.status)) throw new Error(`Cachet reports ${report.status}, not ${want.join(' or ')}: ${JSON.stringify(report).slice(0, 2000)}`);
  if (!(content instanceof Uint8Array)) throw new Error('Cachet gave no content back');
  return content;
}

const VERIFIED = ['valid'];
const DECRYPTED = ['unsigned', 'decrypted', 'valid'];

const encrypt = (handle, bytes, options) => call('encrypt', handle, bytes, { at, ...options });

serve({
  name: 'cachet',
  async load(files, { wasmUrl }) {
    exports = await init({ module_or_path: wasmUrl });
    ring = new wasm.Keyring();
    const pass = new TextDecoder().decode(files.pass).trim();
    // As the add-in's worker unlocks: PBKDF2 through WebCrypto (unlockAsync), the identity
    // then added to the Keyring; the synchronous unlock where the build has no async one.
    const unlock = async (p12) => (typeof wasm.unlockAsync === 'function' ? ring.add(await wasm.unlockAsync(p12, pass)) : ring.unlock(p12, pass));
    signer = await unlock(files.signerP12);
    await unlock(files.rcpt0P12);
    at = Math.floor(Date.now() / 1000);
    trust = [pemBase64(files.ca)];
    recipients = Object.keys(files).filter((k) => /^rcpt\d+$/.test(k)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))).map((k) => pemBase64(files[k]));
    if (recipients.length !== 10) throw new Error(`expected 10 recipient certificates, got ${recipients.length}`);
    if (files.signerKey && files.rcpt0Key) await floorLoad(files);
    return { version: wasm.version() };
  },
  ops: {
    sign: (i) => call('sign', signer, i.msg, false, at),
    verify: (i) => open(i.signed, { at, trust }, VERIFIED),
    'encrypt-1': (i) => encrypt(undefined, i.msg, { recipients: recipients.slice(0, 1) }),
    'encrypt-10': (i) => encrypt(undefined, i.msg, { recipients }),
    decrypt: (i) => open(i.enc, { at }, DECRYPTED),
    // As the add-in sends it: signed, and encrypted to the recipient and to the sender's own certificate.
    'sign+encrypt': (i) => encrypt(signer, i.msg, { recipients: recipients.slice(0, 1), sign: true }),
    'decrypt+verify': (i) => open(i.signenc, { at, trust }, VERIFIED),
    'gcm-encrypt': (i) => encrypt(undefined, i.msg, { recipients: recipients.slice(0, 1), cipher: 'aes256-gcm' }),
    'gcm-decrypt': (i) => open(i.gcm, { at }, DECRYPTED),
    // The RSA-OAEP (SHA-256) inputs PKI.js opens; the key unwrap goes through WebCrypto.
    'decrypt (RSA-OAEP)': (i) => open(i.encOaep, { at }, DECRYPTED),
    'gcm-decrypt (RSA-OAEP)': (i) => open(i.gcmOaep, { at }, DECRYPTED),
    // The WebCrypto floor of each cell (bench/page/floor.js), in this same worker.
    ...Object.fromEntries(Object.entries(floorOps).map(([op, fn]) => [`floor:${op}`, fn])),
  },
  async prepare(inputs) {
    if (inputs.floorEntity) await floorPrepare({ entity: inputs.floorEntity, signedMsg: inputs.signed });
  },
  memoryBytes: () => exports.memory.buffer.byteLength,
  /** Fetch (HTTP cache bypassed) and instantiate the module; only meaningful in a fresh worker. */
  async instantiate({ wasmUrl }) {
    const t0 = performance.now();
    await init({ module_or_path: fetch(wasmUrl, { cache: 'no-store' }) });
    return { ms: performance.now() - t0 };
  },
  info: () => ({ paths: { ...paths } }),
});
