// Entry of the Outlook task pane (taskpane.html). Read mode: the read pane for the current
// item (raw MIME from the host; if the host cannot give it, a saved .eml the user picks).
// Compose mode: the compose pane bound to the host's compose window. Both with the
// certificate panel (which shows the host's notices: each Outlook keeps its own identities)
// and the certificate inspector, as tabs. The page asks capabilities, never which host it is.
// Microsoft Graph comes from the deployment's configuration (cachet-config.json beside the
// page, read at run time); without it the pane says what is missing and what works anyway.
import '../ui/style.css';
import { CoreClient } from '../core/client';
import { readLocalFile } from '../hosts/host';
import { OfficeHost } from '../hosts/office';
import { graphNotice, loadConfig, officeGraph } from '../hosts/office-graph';
import { Session } from '../keyring/session';
import { certInspector } from '../ui/cert-inspector';
import { CertPanel } from '../ui/cert-panel';
import { ComposePane } from '../ui/compose-pane';
import { el, replace } from '../ui/dom';
import { errorView } from '../ui/error-view';
import { ReadPane } from '../ui/read-pane';
import { type Tab, tabs } from '../ui/tabs';
import { versionLine } from '../ui/version';

const config = await loadConfig(location.href);
const graph = officeGraph(globalThis.Office, config.config, location.search);
const graphState = graphNotice(config, graph);
const host = new OfficeHost({ graph, graphNotice: graphState.text });
await host.ready();
const core = new CoreClient();
const session = new Session(core);
await session.loadSettings();
for (const ev of ['keydown', 'pointerdown']) document.addEventListener(ev, () => session.touch(), { passive: true });

const caps = host.capabilities;
const certs = new CertPanel(core, session, host);
const first: Tab[] = [];
let reopen: (() => void) | null = null;

if (caps.composeMessage) {
  first.push({ id: 'compose', label: 'Send securely', content: new ComposePane(core, session, host).element });
} else {
  const reader = new ReadPane(core, session);
  const fallback = el('div', { class: 'eml-open' });
  let current: Uint8Array | null = null;
  const show = (mime: Uint8Array): void => {
    current = mime;
    void reader.show(mime);
  };
  // Unlocking (or importing) an identity may make an encrypted message readable: open it again.
  reopen = () => {
    if (current) show(current);
  };
  const offerFile = (why: HTMLElement | null): void => {
    if (!caps.localFiles) return replace(fallback, why);
    const file = el('input', { type: 'file', id: 'eml-file', accept: '.eml,message/rfc822' });
    const picker = el('div', { class: 'field' }, el('label', { for: 'eml-file' }, 'Open a saved message (.eml)'), file);
    const open = (f: File | undefined): void => {
      if (f) void readLocalFile(f).then((l) => {
        why?.remove();
        show(l.bytes);
      }, (e) => replace(fallback, errorView(e), picker));
    };
    file.addEventListener('change', () => open(file.files?.[0]));
    // The file may also be dropped anywhere on the pane.
    document.addEventListener('dragover', (ev) => ev.preventDefault());
    document.addEventListener('drop', (ev) => {
      ev.preventDefault();
      open(ev.dataTransfer?.files[0]);
    });
    replace(fallback, why, picker);
  };
  if (caps.readMessage && host.currentMessage) {
    reader.clear('Opening the message…');
    host.currentMessage().then(show, (e) => {
      reader.clear('The message could not be read from Outlook.');
      offerFile(errorView(e));
    });
  } else {
    reader.clear('Open a message in Outlook to check its signature or decrypt it.');
    offerFile(null);
  }
  first.push({ id: 'read', label: 'Message', content: el('div', {}, reader.element, fallback) });
}

let unlocked = session.unlockedCount;
session.addEventListener('change', () => {
  if (session.unlockedCount > unlocked) reopen?.();
  unlocked = session.unlockedCount;
});

const ui = tabs([...first, { id: 'certs', label: 'Certificates', content: certs.element }, { id: 'inspect', label: 'Inspect', content: certInspector(core, caps) }]);
const main = document.getElementById('app');
// Inside Outlook, a missing Graph configuration is said at the top of every screen.
const missing = globalThis.Office && !graphState.configured ? el('p', { class: 'notice', role: 'note', 'data-field': 'graph-missing' }, graphState.text) : null;
if (main) replace(main, missing, ui.element, versionLine(core));
