// The shell's base64 (addin/src/hosts/base64.ts): the browser's codec where it has one, else
// atob/btoa. Node 20 has no Uint8Array.fromBase64, so the fallback runs here as it is; the
// native path is checked by giving Uint8Array a codec that records its calls.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { importTs } from '../ts.mjs';

const { fromBase64, toBase64 } = await importTs('addin/src/hosts/base64.ts');

/** `b64` in lines of 76 characters ending in CRLF, as a MIME message carries it. */
const lines = (b64) => (b64.match(/.{1,76}/g) ?? []).join('\r\n');

test('without the browser codec: base64 both ways, line breaks and white space skipped, other characters refused', () => {
  assert.equal(typeof Uint8Array.fromBase64, 'undefined', 'this Node has no native codec');
  for (const n of [0, 1, 2, 3, 57, 58, 1000, 100_000]) {
    const bytes = new Uint8Array(crypto.randomBytes(n));
    const b64 = Buffer.from(bytes).toString('base64');
    assert.equal(toBase64(bytes), b64, `${n} bytes encoded`);
    assert.deepEqual(fromBase64(b64), bytes, `${n} bytes decoded`);
    assert.deepEqual(fromBase64(`${lines(b64)}\r\n`), bytes, `${n} bytes in lines`);
    assert.deepEqual(fromBase64(` ${lines(b64).replaceAll('\r\n', '\n\t')} `), bytes, `${n} bytes with other white space`);
  }
  assert.throws(() => fromBase64('QUJD*'));
});

test('with the browser codec: it is the one used, both ways', () => {
  const calls = [];
  Uint8Array.fromBase64 = function fromBase64Native(text) {
    calls.push('from');
    return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'));
  };
  Object.defineProperty(Uint8Array.prototype, 'toBase64', {
    configurable: true,
    value() {
      calls.push('to');
      return Buffer.from(this).toString('base64');
    },
  });
  try {
    const bytes = new Uint8Array(crypto.randomBytes(300));
    const b64 = Buffer.from(bytes).toString('base64');
    assert.equal(toBase64(bytes), b64);
    assert.deepEqual(fromBase64(lines(b64)), bytes);
    assert.deepEqual(calls, ['to', 'from']);
  } finally {
    delete Uint8Array.fromBase64;
    delete Uint8Array.prototype.toBase64;
  }
});
