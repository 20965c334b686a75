// Visible progress for work that may take longer than 300 ms: a status line with a spinner,
// shown only after 300 ms so quick operations do not flicker. Returns a function that ends it.
import { el, replace } from './dom';

/** The status line with a spinner, for work already under way. */
export function progressLine(text: string): HTMLElement {
  return el('p', { class: 'progress', role: 'status', 'aria-busy': 'true' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

export function progress(target: Element, text: string, delayMs = 300): () => void {
  let shown = false;
  const timer = setTimeout(() => {
    shown = true;
    replace(target, progressLine(text));
  }, delayMs);
  return () => {
    clearTimeout(timer);
    if (shown) replace(target);
  };
}
