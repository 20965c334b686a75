// Entry of the Outlook task pane (taskpane.html), read and compose mode.
import '../ui/style.css';
import { CoreClient } from '../core/client';
import { OfficeHost } from '../hosts/office';
import { officeGraph } from '../hosts/office-graph';
import { certInspector } from '../ui/cert-inspector';
import { el, replace } from '../ui/dom';
import { versionLine } from '../ui/version';

const env = import.meta.env as Record<string, string | undefined>;
const host = new OfficeHost({ graph: officeGraph(globalThis.Office, { graph: env.VITE_CACHET_GRAPH, clientId: env.VITE_CACHET_CLIENT_ID }, location.search) });
await host.ready();
const core = new CoreClient();
const main = document.getElementById('app');
if (main) {
  replace(
    main,
    host.capabilities.readMessage ? null : el('p', { class: 'notice' }, 'Checking signatures, decrypting, signing and encrypting are not available yet in this version.'),
    certInspector(core, host.capabilities),
    versionLine(core),
  );
}
