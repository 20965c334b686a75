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
import { dohResolverOf, graphNotice, loadConfig, officeGraph } from '../hosts/office-graph';
import { Session } from '../keyring/session';
import { certInspector } from '../ui/cert-inspector';
import { CertPanel } from '../ui/cert-panel';
import { ComposePane } from '../ui/compose-pane';
import { el, replace } from '../ui/dom';
import { ConfidentialMode } from '../ui/drafts';
import { errorView } from '../ui/error-view';
import { progress } from '../ui/progress';
import { ReadPane } from '../ui/read-pane';
import { type Tab, tabs } from '../ui/tabs';
import { registerFinders } from '../ui/finders';
import { Troubleshooter } from '../ui/troubleshooter';
import { UpkeepPanel } from '../ui/upkeep-panel';
import { followTheme } from '../ui/theme';
import { versionLine } from '../ui/version';

const config = await loadConfig(location.href);
const graph = officeGraph(globalThis.Office, config.config, location.search);
const graphState = graphNotice(config, graph);
const host = new OfficeHost({ graph, graphNotice: graphState.text, dohResolver: dohResolverOf(config.config, location.search) });
await host.ready();
// Outlook's light or dark theme (Office.js is ready now), else the system's.
followTheme(globalThis.Office);
const core = new CoreClient();
const session = new Session(core);
await session.loadSettings();
for (const ev of ['keydown', 'pointerdown']) document.addEventListener(ev, () => session.touch(), { passive: true });

const caps = host.capabilities;
const certs = new CertPanel(core, session, host);
const first: Tab[] = [];
let reopen: (() => void) | null = null;

if (caps.composeMessage) {
  const compose = new ComposePane(core, session, host);
  // Confidential mode: the pane's own editor, drafts only encrypted in the Drafts folder (Graph).
  if (host.drafts?.()) compose.mount(new ConfidentialMode(core, session, host, compose).element);
  first.push({ id: 'compose', label: 'Send securely', content: compose.element });
} else {
  const reader = new ReadPane(core, session);
  const fetching = el('div', { class: 'fetching' });
  const fallback = el('div', { class: 'eml-open' });
  // Shows run one after the other, and only the newest selection's message is shown: moving
  // quickly from message to message never leaves an older message on screen.
  let generation = 0;
  let showing: Promise<void> = Promise.resolve();
  const show = (mime: Uint8Array, gen = generation): void => {
    showing = showing.then(async () => {
      if (gen !== generation) return;
      await reader.show(mime);
    });
  };
  // Unlocking (or importing) an identity may make an encrypted message readable: open it again.
  reopen = () => {
    const shown = reader.message;
    if (shown) show(shown);
  };
  const file = el('input', { type: 'file', id: 'eml-file', accept: '.eml,message/rfc822' });
  const picker = el('div', { class: 'field' }, el('label', { for: 'eml-file' }, 'Open a saved message (.eml)'), file);
  const open = (f: File | undefined): void => {
    if (!f) return;
    const gen = ++generation;
    void readLocalFile(f).then((l) => {
      replace(fallback, picker);
      show(l.bytes, gen);
    }, (e) => replace(fallback, errorView(e), picker));
  };
  file.addEventListener('change', () => open(file.files?.[0]));
  if (caps.localFiles) {
    // The file may also be dropped anywhere on the pane.
    document.addEventListener('dragover', (ev) => ev.preventDefault());
    document.addEventListener('drop', (ev) => {
      ev.preventDefault();
      open(ev.dataTransfer?.files[0]);
    });
  }
  const offerFile = (why: HTMLElement | null): void => replace(fallback, why, caps.localFiles ? picker : null);
  /** Show the message selected in Outlook now (on opening, and each time a pinned pane follows the selection). */
  const load = (): void => {
    const gen = ++generation;
    reader.forget();
    replace(fallback);
    if (caps.readMessage && host.currentMessage) {
      reader.clear('');
      // Outlook may take a while to give a large message: say so while it does.
      const done = progress(fetching, 'Getting the message from Outlook…');
      host.currentMessage().then((mime) => {
        if (gen !== generation) return;
        done();
        show(mime, gen);
      }, (e) => {
        if (gen !== generation) return;
        done();
        reader.clear('The message could not be read from Outlook.');
        offerFile(errorView(e));
      });
    } else {
      reader.clear('Open a message in Outlook to check its signature or decrypt it.');
      offerFile(null);
    }
  };
  load();
  // Pinned (manifest SupportsPinning), the pane stays open as the user moves from message to message.
  void host.onMessageChanged?.(load);
  first.push({ id: 'read', label: 'Message', content: el('div', {}, fetching, reader.element, fallback) });
}

let unlocked = session.unlockedCount;
session.addEventListener('change', () => {
  if (session.unlockedCount > unlocked) reopen?.();
  unlocked = session.unlockedCount;
});

const upkeep = new UpkeepPanel(core, session, host);
registerFinders(core, session, host);
const help = new Troubleshooter(core, session, host);
const ui = tabs([...first, { id: 'certs', label: 'Certificates', content: certs.element }, { id: 'upkeep', label: 'Upkeep', content: upkeep.element }, { id: 'help', label: 'Troubleshoot', content: help.element }, { id: 'inspect', label: 'Inspect', content: certInspector(core, caps) }]);
// Expiry reminders: in the item's notification bar (once each) and on top of the pane.
upkeep.onShow = () => ui.select('upkeep');
help.onRenew = (address) => {
  void upkeep.openGuide(address);
  ui.select('upkeep');
};
const main = document.getElementById('app');
// Inside Outlook, a missing Graph configuration is said at the top of every screen.
const missing = globalThis.Office && !graphState.configured ? el('p', { class: 'notice', role: 'note', 'data-field': 'graph-missing' }, graphState.text) : null;
if (main) replace(main, missing, upkeep.banner, ui.element, versionLine(core));
