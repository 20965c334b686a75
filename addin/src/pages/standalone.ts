// Entry of the standalone host page (index.html).
import '../ui/style.css';
import { CoreClient } from '../core/client';
import { StandaloneHost } from '../hosts/standalone';
import { certInspector } from '../ui/cert-inspector';
import { replace } from '../ui/dom';
import { versionLine } from '../ui/version';

const host = new StandaloneHost();
await host.ready();
const core = new CoreClient();
const main = document.getElementById('app');
if (main) replace(main, certInspector(core, host.capabilities), versionLine(core));
