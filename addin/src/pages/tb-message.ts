// Thunderbird: the read pane for one message, as the message header's Cachet popup (the
// displayed message) and as Cachet's viewer tab (`?message=ID`, opened by the toolbar button,
// for encrypted mail Thunderbird cannot show). The content is decrypted by the background's
// core and shown in sandboxed frames; it stays in this page's memory and goes with it.
import '../ui/style.css';
import { background, keepBackgroundAwake, displayedMessageId, ThunderbirdHost } from '../hosts/thunderbird';
import { messengerGlobal } from '../hosts/thunderbird-api';
import { CertPanel } from '../ui/cert-panel';
import { el, replace } from '../ui/dom';
import { errorView } from '../ui/error-view';
import { ReadPane } from '../ui/read-pane';
import { tabs } from '../ui/tabs';
import { versionLine } from '../ui/version';

const main = document.getElementById('app');
try {
  const messenger = messengerGlobal();
  keepBackgroundAwake(messenger);
  const { core, session, reader: bgReader } = await background(messenger);
  const param = new URLSearchParams(location.search).get('message');
  const id = param !== null && /^\d+$/.test(param) ? Number(param) : await displayedMessageId(messenger);
  const host = new ThunderbirdHost(messenger, id);
  for (const ev of ['keydown', 'pointerdown']) document.addEventListener(ev, () => session.touch(), { passive: true });

  const reader = new ReadPane(core, session);
  const certs = new CertPanel(core, session, host);
  // Trusting, pinning, accepting a changed certificate: the banners are worked out again.
  for (const ev of ['click', 'change']) document.addEventListener(ev, () => bgReader.invalidate());
  let fetched = false;
  const show = (): void => {
    if (!host.currentMessage) return;
    reader.opening();
    host.currentMessage().then(
      (mime) => {
        fetched = true;
        void reader.show(mime);
      },
      (e) => reader.failed(e),
    );
  };
  if (host.capabilities.readMessage) show();
  else reader.clear('Select a message in Thunderbird, then press the Cachet button.');

  // Unlocking (or importing) an identity may make an encrypted message readable: open it again.
  let unlocked = session.unlockedCount;
  const onChange = (): void => {
    if (session.unlockedCount > unlocked && fetched) show();
    unlocked = session.unlockedCount;
  };
  session.addEventListener('change', onChange);
  addEventListener('pagehide', () => session.removeEventListener('change', onChange));

  const ui = tabs([
    { id: 'read', label: 'Message', content: reader.element },
    { id: 'certs', label: 'Certificates', content: certs.element },
  ]);
  if (main) replace(main, ui.element, versionLine(core));
} catch (e) {
  if (main) replace(main, errorView(e));
}
