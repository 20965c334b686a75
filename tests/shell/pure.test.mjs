// Pure parts of the shell (issue 12): the name a saved attachment gets, the time budget of a
// core call, the Message-IDs of a reply's In-Reply-To/References, and the markup of plain text
// in its frame.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importTs } from '../ts.mjs';

const names = await importTs('addin/src/ui/file-name.ts');
const client = await importTs('addin/src/core/client.ts');
const store = await importTs('addin/src/keyring/store.ts');

test('saved attachment names lose bidi overrides and isolates, controls, separators, leading dots', () => {
  const { safeFileName } = names;
  // "invoice‮fdp.exe" shows as "invoiceexe.pdf".
  assert.equal(safeFileName('invoice\u202Efdp.exe'), 'invoicefdp.exe');
  for (let c = 0x202a; c <= 0x202e; c++) assert.equal(safeFileName(`a${String.fromCodePoint(c)}b.txt`), 'ab.txt');
  for (let c = 0x2066; c <= 0x2069; c++) assert.equal(safeFileName(`a${String.fromCodePoint(c)}b.txt`), 'ab.txt');
  assert.equal(safeFileName('a\u0000b\r\nc\u007f.txt'), 'abc.txt');
  assert.equal(safeFileName('../../etc/passwd'), '_.._etc_passwd');
  assert.equal(safeFileName('..\\..\\boot.ini'), '_.._boot.ini');
  assert.equal(safeFileName('.bashrc'), 'bashrc');
  assert.equal(safeFileName('...hidden'), 'hidden');
  assert.equal(safeFileName('report.pdf. . '), 'report.pdf');
  assert.equal(safeFileName('C:evil.txt'), 'C_evil.txt');
  assert.equal(safeFileName('résumé.pdf'), 'résumé.pdf');
  assert.equal(safeFileName('報告書.pdf'), '報告書.pdf');
});

test('a name with nothing left, or too long, gets the fallback or is shortened keeping its extension', () => {
  const { safeFileName, MAX_SAVED_NAME } = names;
  for (const empty of ['', '...', ' ', '\u202E', '\u0000\u0001', '.\u2066.']) assert.equal(safeFileName(empty), 'attachment', JSON.stringify(empty));
  const long = safeFileName(`${'x'.repeat(5000)}.pdf`);
  assert.equal([...long].length, MAX_SAVED_NAME);
  assert.ok(long.endsWith('.pdf'));
});

test('every core call has a finite budget: longer for password hashing, and growing with the input size', () => {
  const { budgetFor, CALL_BUDGET_MS, KEY_CALL_BUDGET_MS, BUDGET_MS_PER_MIB } = client;
  assert.equal(budgetFor('version', {}), CALL_BUDGET_MS);
  assert.equal(budgetFor('unlock', { p12: new Uint8Array(1024 * 1024), password: '' }), KEY_CALL_BUDGET_MS + BUDGET_MS_PER_MIB);
  const mib = 1024 * 1024;
  assert.equal(budgetFor('open', { mime: new Uint8Array(25 * mib), options: { at: 0, trust: [], known: [] } }), CALL_BUDGET_MS + 25 * BUDGET_MS_PER_MIB);
  // Attachments travel as base64 inside the draft: counted too.
  const draft = { from: 'a@b', to: [], subject: '', text: '', date: '', attachments: [{ filename: 'f', contentType: 'x', dataBase64: 'A'.repeat(4 * mib) }] };
  assert.ok(budgetFor('composeMessage', { draft }) >= CALL_BUDGET_MS + 4 * BUDGET_MS_PER_MIB);
  // Only the test hooks may ask for their own budget.
  assert.equal(budgetFor('debugHang', { budgetMs: 1500 }), 1500);
  assert.ok(budgetFor('open', { mime: new Uint8Array(1), budgetMs: 1 }) >= CALL_BUDGET_MS);
});

test('the Message-IDs of In-Reply-To and References are found', () => {
  assert.deepEqual(store.messageIds('<a@x> <b@y>\r\n <c@z>'), ['<a@x>', '<b@y>', '<c@z>']);
  assert.deepEqual(store.messageIds(null), []);
  assert.deepEqual(store.messageIds('no id'), []);
});

test('plain text in its frame is one div per line, escaped as the HTML serializer escapes text, so it is never markup', async () => {
  const { plainTextBody } = await importTs('addin/src/ui/content-frame.ts');
  assert.equal(plainTextBody('a\r\n\r\nb'), '<div>a</div><div><br></div><div>b</div>');
  assert.equal(plainTextBody('<script>alert(1)</script> & "q" \'s\'\u00a0x'), '<div>&lt;script&gt;alert(1)&lt;/script&gt; &amp; "q" \'s\'&nbsp;x</div>');
  assert.equal(plainTextBody('&amp;lt;'), '<div>&amp;amp;lt;</div>', 'entities in the text stay text');
  // Random texts over the characters that matter: no tag but the three it writes, and the
  // lines come back exactly.
  const alphabet = ['&', '<', '>', '\u00a0', '"', "'", '\r', '\n', '\r\n', '\u0000', 'a', ' ', '/', ';', '#', 'é', '😀', '<div>', '</div>', '<br>', '&lt;'];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let round = 0; round < 2000; round++) {
    const text = Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length]).join('');
    const body = plainTextBody(text);
    const lines = body === '' ? [] : body.slice('<div>'.length, -'</div>'.length).split('</div><div>');
    // Between the divs: the br of an empty line, or text without < or >.
    assert.ok(lines.every((l) => l === '<br>' || !/[<>]/.test(l)), JSON.stringify(text));
    const unescape = (l) => (l === '<br>' ? '' : l.replace(/&(amp|lt|gt|nbsp);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', nbsp: '\u00a0' })[e]));
    assert.deepEqual(lines.map(unescape), text.replace(/\r\n/g, '\n').split('\n'), JSON.stringify(text));
  }
});
