// The footer line naming the core's version (proves the engine loaded).
import type { CoreClient } from '../core/client';
import { el, replace } from './dom';
import { errorView } from './error-view';

export function versionLine(core: CoreClient): HTMLElement {
  const out = el('p', { class: 'muted', id: 'core-version', role: 'status' }, 'Loading the S/MIME engine…');
  core.version().then(
    (v) => replace(out, `S/MIME engine version ${v}`),
    (e) => replace(out, errorView(e)),
  );
  return out;
}
