// The view's filters, kept in the URL hash so a colleague can open the same view.
// Only codes, ids, the sort, the page and the typed search term go in the URL: never data fetched from the API.

import { NEEDS, PLACEMENTS, RISK_LEVELS, SORTS } from './vocab.js';

export const PAGE_SIZE = 50;

/** A fresh, unfiltered view. */
export function emptyFilters() {
  return {
    risk: [], need: [], overdue: false, placement: [], dong: null, tract: null, round: '', q: '', sort: 'risk', page: 0, h: null,
  };
}

function positiveInt(text) {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n < 2 ** 31 ? n : null;
}

function codes(text, allowed) {
  if (!text) return [];
  return [...new Set(text.split(',').map((s) => s.trim()).filter((s) => allowed.includes(s)))];
}

/** A 발굴 차수 name (e.g. `2026-6차`): short printable text, else none. */
function roundName(text) {
  const name = String(text || '').trim();
  return name.length <= 30 && /^[\p{L}\p{N} ._()-]+$/u.test(name) ? name : '';
}

/** Filters read from a hash like `#risk=high&dong=3`; unknown or malformed values are dropped. */
export function parseHash(hash) {
  const f = emptyFilters();
  const usp = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  f.risk = codes(usp.get('risk'), RISK_LEVELS);
  f.need = codes(usp.get('need'), Object.keys(NEEDS));
  f.overdue = usp.get('overdue') === '1';
  f.placement = codes(usp.get('placement'), Object.keys(PLACEMENTS));
  f.dong = positiveInt(usp.get('dong'));
  f.tract = positiveInt(usp.get('tract'));
  f.round = roundName(usp.get('round'));
  f.q = (usp.get('q') || '').slice(0, 100);
  f.sort = Object.hasOwn(SORTS, usp.get('sort') || '') ? usp.get('sort') : 'risk';
  f.page = Math.max(0, (positiveInt(usp.get('page')) || 1) - 1);
  f.h = positiveInt(usp.get('h'));
  return f;
}

/** The hash for some filters (defaults left out; pages counted from 1 for people). */
export function toHash(f) {
  const usp = new URLSearchParams();
  if (f.risk.length) usp.set('risk', f.risk.join(','));
  if (f.need.length) usp.set('need', f.need.join(','));
  if (f.overdue) usp.set('overdue', '1');
  if (f.placement && f.placement.length) usp.set('placement', f.placement.join(','));
  if (f.dong) usp.set('dong', String(f.dong));
  if (f.tract) usp.set('tract', String(f.tract));
  if (f.round) usp.set('round', f.round);
  if (f.q) usp.set('q', f.q);
  if (f.sort !== 'risk') usp.set('sort', f.sort);
  if (f.page) usp.set('page', String(f.page + 1));
  if (f.h) usp.set('h', String(f.h));
  const s = usp.toString();
  return s ? `#${s}` : '';
}

/** Write the filters to the address bar without adding a history entry per keystroke. */
export function writeHash(f) {
  const hash = toHash(f);
  if (hash !== window.location.hash && !(hash === '' && window.location.hash === '')) {
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${hash}`);
  }
}

/** Query parameters of GET /households for some filters. */
export function listParams(f) {
  return {
    risk: f.risk, need: f.need, overdue: f.overdue ? 'true' : null, placement: f.placement, dong_id: f.dong,
    tract_id: f.tract, round: f.round || null, q: f.q.trim() || null, sort: f.sort, limit: PAGE_SIZE, offset: f.page * PAGE_SIZE,
  };
}

/** Query parameters of GET /layers/households (the layer has no free-text search). */
export function layerParams(f) {
  return {
    risk: f.risk, need: f.need, overdue: f.overdue ? 'true' : null, placement: f.placement, dong_id: f.dong,
    tract_id: f.tract, round: f.round || null,
  };
}
