// The certificate inspector: pick or drop a certificate file, see what the core says about it.
import type { CoreClient } from '../core/client';
import type { HostCapabilities } from '../hosts/host';
import { readLocalFile } from '../hosts/host';
import { certView } from './cert-view';
import { el, replace } from './dom';
import { errorView } from './error-view';

export function certInspector(core: CoreClient, caps: HostCapabilities): HTMLElement {
  const result = el('div', { id: 'cert-result', 'aria-live': 'polite' });
  const input = el('input', { type: 'file', id: 'cert-file', accept: '.pem,.cer,.crt,.der,.p7b,.p7c,application/x-x509-ca-cert,application/pkix-cert' });
  const zone = el(
    'div',
    { class: 'drop-zone', id: 'drop-zone' },
    el('label', { for: 'cert-file' }, 'Choose a certificate file (PEM or DER)'),
    input,
    caps.localFiles ? el('p', { class: 'muted' }, 'or drop it anywhere on this page.') : null,
  );

  async function inspect(file: File): Promise<void> {
    replace(result, el('p', { class: 'muted', role: 'status' }, `Reading ${file.name}…`));
    try {
      const { name, bytes } = await readLocalFile(file);
      const certs = await core.certSummary(bytes);
      replace(
        result,
        el('p', { class: 'muted', role: 'status' }, `${name}: ${certs.length} certificate${certs.length === 1 ? '' : 's'}`),
        ...certs.map((c, i) => certView(c, i, certs.length)),
      );
    } catch (e) {
      replace(result, el('p', { class: 'muted' }, file.name), errorView(e));
    }
  }

  input.addEventListener('change', () => {
    const f = input.files?.[0];
    if (f) void inspect(f);
  });
  // A file dropped anywhere on the page is inspected (and never opened by the browser instead).
  if (caps.localFiles) {
    document.addEventListener('dragover', (ev) => {
      ev.preventDefault();
      zone.classList.add('over');
    });
    document.addEventListener('dragleave', (ev) => {
      if (ev.relatedTarget === null) zone.classList.remove('over');
    });
    document.addEventListener('drop', (ev) => {
      ev.preventDefault();
      zone.classList.remove('over');
      const f = ev.dataTransfer?.files[0];
      if (f) void inspect(f);
    });
  }

  return el('section', { 'aria-labelledby': 'cert-heading' }, el('h2', { id: 'cert-heading' }, 'Inspect a certificate'), zone, result);
}
