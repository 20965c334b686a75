// Thunderbird: the extension's options page, the certificate panel and the certificate
// inspector over the background's core and session (the same keyring the reader uses).
import '../ui/style.css';
import { background, keepBackgroundAwake, ThunderbirdHost } from '../hosts/thunderbird';
import { messengerGlobal } from '../hosts/thunderbird-api';
import { certInspector } from '../ui/cert-inspector';
import { CertPanel } from '../ui/cert-panel';
import { replace } from '../ui/dom';
import { errorView } from '../ui/error-view';
import { tabs } from '../ui/tabs';
import { Troubleshooter } from '../ui/troubleshooter';
import { UpkeepPanel } from '../ui/upkeep-panel';
import { versionLine } from '../ui/version';

const main = document.getElementById('app');
try {
  const messenger = messengerGlobal();
  keepBackgroundAwake(messenger);
  const { core, session, reader } = await background(messenger);
  const host = new ThunderbirdHost(messenger, null);
  const panel = new CertPanel(core, session, host);
  // Trusting a root, pinning or deleting a certificate changes what a message's status is:
  // the reader opens displayed messages again after anything done in the panel.
  for (const ev of ['click', 'change']) panel.element.addEventListener(ev, () => reader.invalidate());
  for (const ev of ['keydown', 'pointerdown']) document.addEventListener(ev, () => session.touch(), { passive: true });
  const upkeep = new UpkeepPanel(core, session, host);
  const help = new Troubleshooter(core, session, host);
  const ui = tabs([
    { id: 'certs', label: 'Certificates', content: panel.element },
    { id: 'upkeep', label: 'Upkeep', content: upkeep.element },
    { id: 'help', label: 'Troubleshoot', content: help.element },
    { id: 'inspect', label: 'Inspect', content: certInspector(core, host.capabilities) },
  ]);
  upkeep.onShow = () => ui.select('upkeep');
  help.onRenew = (address) => {
    void upkeep.openGuide(address);
    ui.select('upkeep');
  };
  if (main) replace(main, upkeep.banner, ui.element, versionLine(core));
} catch (e) {
  if (main) replace(main, errorView(e));
}
