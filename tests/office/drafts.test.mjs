// The Outlook adapter's Drafts folder for encrypted drafts (addin/src/hosts/drafts.ts through
// OfficeHost.drafts()) against the dev mailbox as Graph: a draft is uploaded as MIME
// (POST /me/messages), listed only when it has Cachet's outer Subject (Outlook's own plaintext
// drafts are left out), read back byte for byte, and deleted with permanentDelete, never a plain
// DELETE into Deleted Items. Without Graph there is no Drafts folder.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createDevServer, listen } from '../../scripts/serve.mjs';
import { devMailRoutes } from '../../scripts/devmail.mjs';
import { importTs } from '../ts.mjs';
import { composeOffice } from './fake-office.mjs';

let dir, server, base, graphMod, officeMod, draftsMod;
const requests = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-office-drafts-'));
  const routes = devMailRoutes({ root: dir }).map((r) => ({ ...r, handle: (req, res, m) => { requests.push(`${req.method} ${req.url}`); return r.handle(req, res, m); } }));
  server = createDevServer({ root: dir, routes });
  base = await listen(server, { port: 0 });
  graphMod = await importTs('addin/src/hosts/graph.ts');
  officeMod = await importTs('addin/src/hosts/office.ts');
  draftsMod = await importTs('addin/src/hosts/drafts.ts');
});

after(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('Outlook’s Drafts folder through Graph: upload, list only Cachet’s, read back, delete permanently', async () => {
  const graph = new graphMod.GraphClient({ baseUrl: base, token: async () => 'dev:alice@example.org' });
  const { office } = composeOffice({ user: { name: 'Alice', address: 'alice@example.org' } });
  const host = new officeMod.OfficeHost({ office, graph });
  await host.ready();
  const folder = host.drafts();
  assert.ok(folder);
  // Outlook's own autosaved draft (plaintext) is not Cachet's.
  const outlookDraft = await graph.createDraft(new TextEncoder().encode('From: alice@example.org\r\nSubject: Lunch\r\n\r\nnoon\r\n'));
  const bytes = new TextEncoder().encode(`From: alice@example.org\r\nSubject: ${draftsMod.DRAFT_SUBJECT}\r\nX-Cachet-Draft: encrypted; v=1\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQA=\r\n`);
  const id = await folder.save(bytes, { from: 'alice@example.org', messageId: '<d@example.org>' });
  assert.ok(requests.includes('POST /v1.0/me/messages'));
  const listed = await folder.list();
  assert.deepEqual(listed.map((d) => d.id), [id], 'only Cachet’s draft is listed');
  assert.deepEqual([...(await folder.get(id))], [...bytes], 'stored byte for byte');
  await folder.remove(id);
  assert.ok(requests.includes(`POST /v1.0/me/messages/${id}/permanentDelete`));
  assert.ok(!requests.some((r) => r.startsWith('DELETE ')), 'never into Deleted Items');
  assert.deepEqual(await folder.list(), []);
  assert.equal((await graph.list('drafts')).map((m) => m.id).includes(outlookDraft), true, 'Outlook’s own draft is left alone');
  // Without Graph, no Drafts folder.
  const noGraph = new officeMod.OfficeHost({ office, graph: null });
  await noGraph.ready();
  assert.equal(noGraph.drafts(), null);
});
