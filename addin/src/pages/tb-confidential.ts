// Thunderbird: Cachet's confidential compose tab. The message is written here (Cachet's compose
// pane), not in Thunderbird's compose window: its drafts are saved only encrypted to the sender
// in the identity's Drafts folder (ui/drafts.ts, hosts/thunderbird-drafts.ts), listed, reopened
// and sent encrypted through the Experiment. The text stays in this page's memory.
import '../ui/style.css';
import { background, keepBackgroundAwake, ThunderbirdHost } from '../hosts/thunderbird';
import { messengerGlobal } from '../hosts/thunderbird-api';
import { ThunderbirdDraftsHost } from '../hosts/thunderbird-drafts';
import { CertPanel } from '../ui/cert-panel';
import { ComposePane } from '../ui/compose-pane';
import { replace } from '../ui/dom';
import { ConfidentialMode } from '../ui/drafts';
import { errorView } from '../ui/error-view';
import { tabs } from '../ui/tabs';
import { versionLine } from '../ui/version';

const main = document.getElementById('app');
try {
  const messenger = messengerGlobal();
  keepBackgroundAwake(messenger);
  const { core, session } = await background(messenger);
  const host = new ThunderbirdDraftsHost(messenger);
  await host.ready();
  for (const ev of ['keydown', 'pointerdown']) document.addEventListener(ev, () => session.touch(), { passive: true });
  const compose = new ComposePane(core, session, host);
  const mode = new ConfidentialMode(core, session, host, compose);
  compose.mount(mode.element);
  await mode.setMode(true);
  const certs = new CertPanel(core, session, new ThunderbirdHost(messenger, null));
  const ui = tabs([
    { id: 'compose', label: 'Confidential message', content: compose.element },
    { id: 'certs', label: 'Certificates', content: certs.element },
  ]);
  if (main) replace(main, ui.element, versionLine(core));
} catch (e) {
  if (main) replace(main, errorView(e));
}
