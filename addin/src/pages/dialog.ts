// Entry of the dialog page (dialog.html), opened with Office's displayDialogAsync for prompts
// that need more room than the task pane (e.g. a passphrase). Nothing uses it yet.
import '../ui/style.css';
import { OfficeHost } from '../hosts/office';
import { el, replace } from '../ui/dom';
import { followTheme } from '../ui/theme';

await new OfficeHost().ready();
followTheme(globalThis.Office);
const main = document.getElementById('app');
if (main) replace(main, el('p', { class: 'muted' }, 'No dialog is open.'));
