// Accessible tabs (WAI-ARIA tabs pattern): arrow keys move between tabs, one panel shown.
import { el } from './dom';

export interface Tab {
  id: string;
  label: string;
  content: HTMLElement;
}

export function tabs(list: Tab[]): { element: HTMLElement; select: (id: string) => void } {
  const bar = el('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Cachet' });
  const panels: HTMLElement[] = [];
  const buttons: HTMLButtonElement[] = [];
  function select(id: string, focus = false): void {
    list.forEach((t, i) => {
      const on = t.id === id;
      const b = buttons[i];
      const p = panels[i];
      if (!b || !p) return;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      p.hidden = !on;
      if (on && focus) b.focus();
    });
  }
  list.forEach((t, i) => {
    const b = el('button', { type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': `panel-${t.id}` }, t.label);
    b.addEventListener('click', () => select(t.id));
    b.addEventListener('keydown', (ev) => {
      const d = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
      if (d === 0) return;
      const next = list[(i + d + list.length) % list.length];
      if (next) select(next.id, true);
    });
    buttons.push(b);
    bar.append(b);
    panels.push(el('div', { role: 'tabpanel', id: `panel-${t.id}`, 'aria-labelledby': `tab-${t.id}` }, t.content));
  });
  const first = list[0];
  if (first) select(first.id);
  return { element: el('div', {}, bar, ...panels), select: (id) => select(id) };
}
