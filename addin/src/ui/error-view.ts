// Shows a core failure as the user should read it: the message, then what to do.
import type { CoreError } from '../core/protocol';
import { CoreFailure } from '../core/client';
import { el } from './dom';

export function asCoreError(e: unknown): CoreError {
  if (e instanceof CoreFailure) return e;
  // A CoreFailure made in another window of the same extension (Thunderbird's pages use the
  // background page's core) fails instanceof: recognise it by its shape.
  if (typeof e === 'object' && e !== null && (e as Error).name === 'CoreFailure' && typeof (e as CoreFailure).code === 'string') {
    const f = e as CoreFailure;
    return { code: f.code, message: f.message, hint: f.hint ?? '', ...(f.detail !== undefined ? { detail: f.detail } : {}) };
  }
  // Host failures (e.g. the mail server refused the message) carry a readable message and a code.
  if (e instanceof Error && e.name === 'GraphError') {
    return { code: (e as Error & { code?: string }).code ?? 'host-error', message: e.message, hint: 'Check the connection and try again; your draft is kept.' };
  }
  // Hosts and panes throw plain errors with a sentence for the user (e.g. the host could not give the message).
  if (e instanceof Error && ['Error', 'ReadUnavailable', 'OfficeCallError', 'DohError'].includes(e.name) && e.message) {
    return { code: 'host-error', message: e.message, hint: '' };
  }
  return { code: 'internal', message: 'Something went wrong.', hint: 'Reload the page and try again.', detail: String(e) };
}

export function errorView(e: unknown): HTMLElement {
  const err = asCoreError(e);
  return el(
    'div',
    { class: 'error', role: 'alert', 'data-code': err.code },
    el('p', { class: 'error-message' }, err.message),
    err.hint ? el('p', { class: 'error-hint' }, err.hint) : null,
    err.detail ? el('details', {}, el('summary', {}, 'Technical detail'), el('code', {}, `${err.code}: ${err.detail}`)) : null,
  );
}
