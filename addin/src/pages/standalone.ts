// Entry of the standalone host page (index.html): the dev mailbox with the read pane, the
// compose pane, the certificate panel and the certificate inspector, as tabs.
import '../ui/style.css';
import { CoreClient } from '../core/client';
import { StandaloneHost } from '../hosts/standalone';
import { Session } from '../keyring/session';
import { certInspector } from '../ui/cert-inspector';
import { CertPanel } from '../ui/cert-panel';
import { ComposePane } from '../ui/compose-pane';
import { el, replace } from '../ui/dom';
import { ConfidentialMode } from '../ui/drafts';
import { MailboxView } from '../ui/mailbox';
import { ReadPane } from '../ui/read-pane';
import { tabs } from '../ui/tabs';
import { registerFinders } from '../ui/finders';
import { Troubleshooter } from '../ui/troubleshooter';
import { UpkeepPanel } from '../ui/upkeep-panel';
import { followTheme } from '../ui/theme';
import { versionLine } from '../ui/version';

followTheme(undefined);
const host = new StandaloneHost();
await host.ready();
const core = new CoreClient();
const session = new Session(core);
await session.loadSettings();
for (const ev of ['keydown', 'pointerdown']) document.addEventListener(ev, () => session.touch(), { passive: true });

const reader = new ReadPane(core, session);
const compose = new ComposePane(core, session, host);
const confidential = new ConfidentialMode(core, session, host, compose);
compose.mount(confidential.element);
const certs = new CertPanel(core, session, host);
const upkeep = new UpkeepPanel(core, session, host);
registerFinders(core, session, host);
const help = new Troubleshooter(core, session, host);
const who = el('p', { class: 'muted', id: 'who' }, 'No mailbox chosen.');
const mailbox = new MailboxView(host, reader, (address) => {
  who.textContent = `Signed in to the dev mailbox as ${address}.`;
  void compose.refreshIdentities();
  // Another mailbox: its own encrypted drafts.
  if (confidential.active) void confidential.refresh();
});
// Locking takes decrypted text off the screen: the read pane clears itself, the list its protected Subjects.
session.addEventListener('locked', () => mailbox.forgetProtectedSubjects());
const ui = tabs([
  { id: 'mail', label: 'Mail', content: el('div', { class: 'mail-layout' }, mailbox.element, reader.element) },
  { id: 'compose', label: 'Compose', content: compose.element },
  { id: 'certs', label: 'Certificates', content: certs.element },
  { id: 'upkeep', label: 'Upkeep', content: upkeep.element },
  { id: 'help', label: 'Troubleshoot', content: help.element },
  { id: 'inspect', label: 'Inspect', content: certInspector(core, host.capabilities) },
]);
// Expiry reminders: a banner on top of every tab (this page has no notification surface of its own).
upkeep.onShow = () => ui.select('upkeep');
help.onRenew = (address) => {
  void upkeep.openGuide(address);
  ui.select('upkeep');
};
reader.onReply = (seed) => {
  compose.reply(seed);
  ui.select('compose');
};
const main = document.getElementById('app');
if (main) replace(main, who, upkeep.banner, ui.element, versionLine(core));
