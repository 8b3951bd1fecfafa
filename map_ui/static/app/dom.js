// DOM building without HTML strings: every text from data goes in as a text node.

/**
 * Create an element. `props`: class, text, dataset, attrs, on (event → handler), and plain properties.
 * Children: nodes, or strings/numbers (inserted as text nodes), null/false skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) { if (v !== null && v !== false) el.setAttribute(a, v === true ? '' : String(v)); }
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else el[key] = value;
  }
  append(el, children);
  return el;
}

/** Append children (nodes or text) to an element. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Remove every child, then append the given ones. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Show or hide an element with the `hidden` attribute. */
export function show(el, visible) {
  el.hidden = !visible;
}

const dateTimeFormat = new Intl.DateTimeFormat('ko-KR', {
  timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  hour12: false,
});

/** `2025-11-03T05:20:00Z` → `2025. 11. 03. 14:20` (서울 시각); empty text for nothing. */
export function formatDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : dateTimeFormat.format(d);
}

/** `2025-11-03` → `2025. 11. 3.`; other text unchanged. */
export function formatDate(iso) {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso).slice(0, 10));
  return m ? `${m[1]}. ${Number(m[2])}. ${Number(m[3])}.` : String(iso);
}

/** Integer with Korean digit grouping. */
export function formatCount(n) {
  return Number(n || 0).toLocaleString('ko-KR');
}

/** `1234.5` metres → `1.2km`, `350m`. */
export function formatDistance(m) {
  if (m === null || m === undefined) return '';
  return m >= 1000 ? `${(m / 1000).toFixed(1)}km` : `${Math.round(m)}m`;
}
