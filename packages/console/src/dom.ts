/** Small DOM builders: elements with attributes and children, semantic tables, time formatting. No innerHTML. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** `document.createElement(tag)` with attributes (`on*` functions become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/**
 * A semantic table built in one fragment (a thousand rows paint at once): caption, header cells with scope, one row
 * per item.
 */
export function table<T>(
  caption: string,
  columns: { label: string; cell: (row: T) => Child }[],
  rows: readonly T[],
  attrs: Attrs = {},
): HTMLTableElement {
  const body = document.createElement('tbody');
  const fragment = document.createDocumentFragment();
  for (const row of rows) {
    const tr = document.createElement('tr');
    for (const c of columns) {
      const td = document.createElement('td');
      append(td, [c.cell(row)]);
      tr.appendChild(td);
    }
    fragment.appendChild(tr);
  }
  body.appendChild(fragment);
  return h(
    'table',
    attrs,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    body,
  );
}

/** A labelled input (the label wraps nothing; it points at the input by id). */
export function field(label: string, id: string, attrs: Attrs = {}): { wrap: HTMLDivElement; input: HTMLInputElement } {
  const input = h('input', { id, name: id, ...attrs });
  return { wrap: h('div', { class: 'field' }, h('label', { for: id }, label), input), input };
}

/** Epoch ms → ISO-like local text; null → an em dash. */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** A status line for messages and errors, announced to screen readers. */
export function statusLine(id = 'status'): HTMLParagraphElement {
  return h('p', { id, role: 'status', 'aria-live': 'polite', class: 'status' });
}

/** Shows an error (ApiError code and message) in a status line. */
export function showError(line: HTMLElement, err: unknown): void {
  const e = err as { code?: string; message?: string };
  line.textContent = e.code ? `${e.code}: ${e.message ?? ''}` : String(e.message ?? err);
  line.classList.add('error');
}
