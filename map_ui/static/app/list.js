// The filter form and the household list (GET /households), synced with the map through callbacks.

import { api } from './api.js';
import { formatCount, formatDate, formatDateTime, h, replace } from './dom.js';
import { PAGE_SIZE, listParams } from './state.js';
import { NEEDS, OVERDUE_LABEL, RISK_COLORS, RISK_LABELS, RISK_LEVELS, SORTS, label } from './vocab.js';

/** One list row for a household (all data as text nodes). */
export function householdRow(hh, { pinned = false, note = '지도에서 선택한 가구 (현재 페이지 밖)' } = {}) {
  const swatch = h('span', {
    class: `swatch swatch-${hh.risk_level}`, style: { background: hh.color || RISK_COLORS[hh.risk_level] },
    attrs: { 'aria-hidden': 'true' },
  });
  const badges = h('span', { class: 'row-badges' },
    h('span', { class: `badge badge-${hh.risk_level}`, text: RISK_LABELS[hh.risk_level] || hh.risk_level }),
    hh.overdue ? h('span', { class: 'badge badge-overdue', text: OVERDUE_LABEL }) : null);
  const visit = hh.last_visit_at ? `최근 방문 ${formatDateTime(hh.last_visit_at).slice(0, 13)}` : '방문 기록 없음';
  const due = hh.next_visit_due ? `다음 방문 ${formatDate(hh.next_visit_due)}` : '';
  const needs = (hh.needs || []).map((n) => h('span', { class: 'chip', text: label(NEEDS, n) }));
  return h('li', {
    class: `hh-row${pinned ? ' pinned' : ''}`, dataset: { id: String(hh.id), level: hh.risk_level },
    attrs: { tabindex: '0', role: 'button', 'aria-label': `가구 ${hh.id} 열기` },
  },
  pinned ? h('div', { class: 'pinned-note', text: note }) : null,
  h('div', { class: 'row-top' }, swatch, h('span', { class: 'row-name', text: hh.head_name || '' }), badges),
  h('div', { class: 'row-address', text: hh.address || '' }),
  h('div', { class: 'row-meta', text: [visit, due].filter(Boolean).join(' · ') }),
  needs.length ? h('div', { class: 'row-needs' }, needs) : null);
}

export class HouseholdList {
  constructor(root, { onChange, onOpen }) {
    this.root = root;
    this.onChange = onChange; // filters changed by the user
    this.onOpen = onOpen; // a row was chosen
    this.el = {
      form: root.querySelector('#filters'),
      q: root.querySelector('#f-q'),
      dong: root.querySelector('#f-dong'),
      tract: root.querySelector('#f-tract'),
      round: root.querySelector('#f-round'),
      roundRow: root.querySelector('#f-round-row'),
      risks: root.querySelector('#f-risks'),
      overdue: root.querySelector('#f-overdue'),
      approximate: root.querySelector('#f-approx'),
      needs: root.querySelector('#f-needs'),
      needsSummary: root.querySelector('#f-needs-summary'),
      reset: root.querySelector('#f-reset'),
      sort: root.querySelector('#f-sort'),
      count: root.querySelector('#list-count'),
      list: root.querySelector('#household-list'),
      status: root.querySelector('#list-status'),
      prev: root.querySelector('#page-prev'),
      next: root.querySelector('#page-next'),
      pageLabel: root.querySelector('#page-label'),
    };
    this.items = [];
    this.total = 0;
    this.pinned = null;
    this.fresh = []; // households just made from reports, on top of the list until the filters change
    this.selectedId = null;
    this.controller = null;
    this._buildStatic();
    this._wire();
  }

  _buildStatic() {
    replace(this.el.risks, ...RISK_LEVELS.map((level) => h('label', { class: `risk-chip risk-${level}` },
      h('input', { type: 'checkbox', name: 'risk', value: level }),
      RISK_LABELS[level])));
    replace(this.el.needs, ...Object.entries(NEEDS).map(([code, text]) => h('label', { class: 'need-option' },
      h('input', { type: 'checkbox', name: 'need', value: code }), text)));
    replace(this.el.sort, ...Object.entries(SORTS).map(([code, text]) => h('option', { value: code, text })));
  }

  _wire() {
    let timer = null;
    this.el.form.addEventListener('submit', (e) => { e.preventDefault(); this._changed(); });
    this.el.q.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => this._changed(), 350);
    });
    for (const input of [this.el.risks, this.el.overdue, this.el.approximate, this.el.needs, this.el.sort, this.el.round]) {
      input.addEventListener('change', () => this._changed());
    }
    this.el.dong.addEventListener('change', () => {
      this.el.tract.value = '';
      this._changed({ refit: true, tractsChanged: true });
    });
    this.el.tract.addEventListener('change', () => this._changed({ refit: true }));
    this.el.reset.addEventListener('click', () => {
      this.el.form.reset();
      this.el.sort.value = 'risk';
      this._changed({ refit: true, tractsChanged: true, clearDong: true });
    });
    this.el.prev.addEventListener('click', () => this.onChange({ pageDelta: -1 }));
    this.el.next.addEventListener('click', () => this.onChange({ pageDelta: 1 }));
    this.el.list.addEventListener('click', (e) => this._rowEvent(e));
    this.el.list.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this._rowEvent(e); }
    });
  }

  _rowEvent(e) {
    const row = e.target.closest('.hh-row');
    if (!row) return;
    const id = Number(row.dataset.id);
    const hh = (this.pinned && this.pinned.id === id) ? this.pinned
      : this.items.find((i) => i.id === id) || this.fresh.find((i) => i.id === id);
    if (hh) this.onOpen(hh, { fromList: true });
  }

  _changed(extra = {}) {
    this.fresh = [];
    this.onChange({ filters: this.read(), ...extra });
  }

  /** The filters as the form shows them (page and selection are the caller's). */
  read() {
    const checked = (box, name) => [...box.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
    const dong = Number(this.el.dong.value) || null;
    return {
      q: this.el.q.value.trim().slice(0, 100),
      risk: checked(this.el.risks, 'risk'),
      need: checked(this.el.needs, 'need'),
      overdue: this.el.overdue.checked,
      placement: this.el.approximate.checked ? ['approximate'] : [],
      dong,
      tract: dong ? (Number(this.el.tract.value) || null) : null,
      round: this.el.round.value || '',
      sort: this.el.sort.value || 'risk',
    };
  }

  /** Put filters into the form (from the URL). */
  write(f) {
    this.el.q.value = f.q || '';
    for (const input of this.el.risks.querySelectorAll('input')) input.checked = f.risk.includes(input.value);
    for (const input of this.el.needs.querySelectorAll('input')) input.checked = f.need.includes(input.value);
    this.el.overdue.checked = !!f.overdue;
    this.el.approximate.checked = (f.placement || []).includes('approximate');
    this.el.dong.value = f.dong ? String(f.dong) : '';
    this.el.tract.value = f.tract ? String(f.tract) : '';
    this._roundOption(f.round);
    this.el.round.value = f.round || '';
    this.el.sort.value = f.sort || 'risk';
    this._needsSummary(f.need);
  }

  _needsSummary(need) {
    this.el.needsSummary.textContent = need.length ? `욕구 (${need.length}개 선택)` : '욕구 (전체)';
  }

  /** Fill the dong select: `dongs` are {id, name}; `allowAll` adds 전체. */
  setDongs(dongs, allowAll) {
    const options = dongs.map((d) => h('option', { value: String(d.id), text: d.name }));
    replace(this.el.dong, allowAll ? h('option', { value: '', text: '전체 동' }) : null, ...options);
    if (!allowAll && dongs.length === 1) this.el.dong.value = String(dongs[0].id);
  }

  /** Fill the 발굴 차수 select from GET /discovery/rounds (newest first); shown only when there is a round. */
  setRounds(rounds) {
    const keep = this.el.round.value;
    replace(this.el.round, h('option', { value: '', text: '전체 (차수 구분 없음)' }),
      ...rounds.map((r) => h('option', { value: r.round, text: `${r.round} (${formatCount(r.rows)}명)` })));
    this._roundOption(keep);
    this.el.round.value = keep;
    this.el.roundRow.hidden = this.el.round.options.length <= 1;
  }

  /** A round named in the URL stays choosable even before (or without) the list of rounds. */
  _roundOption(round) {
    if (!round || [...this.el.round.options].some((o) => o.value === round)) return;
    this.el.round.append(h('option', { value: round, text: round }));
    this.el.roundRow.hidden = false;
  }

  /** Fill the tract select for the chosen dong. */
  setTracts(tracts, dongName = '') {
    const keep = this.el.tract.value;
    const short = (name) => (dongName && name.startsWith(dongName) ? name.slice(dongName.length).trim() : name);
    replace(this.el.tract, h('option', { value: '', text: '전체 통' }),
      ...tracts.map((t) => h('option', { value: String(t.id), text: `${short(t.name)} (${formatCount(t.household_count)}가구)` })));
    this.el.tract.disabled = !tracts.length;
    if ([...this.el.tract.options].some((o) => o.value === keep)) this.el.tract.value = keep;
  }

  /** Fetch and show the page the filters ask for; resolves with {items, total}. */
  async load(f) {
    this._needsSummary(f.need);
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.el.status.textContent = '불러오는 중…';
    this.el.status.hidden = false;
    this.root.setAttribute('aria-busy', 'true');
    try {
      const data = await api.get('/households', listParams(f), controller.signal);
      if (controller !== this.controller) return null;
      this.items = data.items || [];
      this.total = data.total || 0;
      this.capped = !!data.total_capped; // a search with more matches than the server counts: "1,000+"
      this.page = f.page;
      this._render();
      return data;
    } catch (err) {
      if (err.name === 'AbortError') return null;
      this.items = [];
      this.total = 0;
      this.capped = false;
      replace(this.el.list);
      this.el.status.textContent = `목록을 불러오지 못했습니다: ${err.message}`;
      this.el.status.hidden = false;
      this.el.count.textContent = '';
      throw err;
    } finally {
      if (controller === this.controller) this.root.removeAttribute('aria-busy');
    }
  }

  _render() {
    const rows = [];
    const shown = new Set(this.items.map((i) => i.id));
    for (const hh of this.fresh) {
      if (!shown.has(hh.id)) rows.push(householdRow(hh, { pinned: true, note: '신고에서 방금 등록한 가구' }));
      shown.add(hh.id);
    }
    if (this.pinned && !shown.has(this.pinned.id)) rows.push(householdRow(this.pinned, { pinned: true }));
    for (const hh of this.items) rows.push(householdRow(hh));
    replace(this.el.list, ...rows);
    const first = this.total ? this.page * PAGE_SIZE + 1 : 0;
    const last = Math.min(this.total, (this.page + 1) * PAGE_SIZE);
    const totalText = `${formatCount(this.total)}${this.capped ? '+' : ''}`;
    this.el.count.textContent = `${totalText}가구`;
    this.el.count.dataset.total = String(this.total);
    this.el.pageLabel.textContent = this.total ? `${formatCount(first)}–${formatCount(last)} / ${totalText}` : '';
    this.el.prev.disabled = this.page <= 0;
    this.el.next.disabled = last >= this.total;
    this.el.status.hidden = this.items.length > 0;
    this.el.status.textContent = this.items.length ? '' : '조건에 맞는 가구가 없습니다.';
    this._markSelected();
  }

  /** Highlight a household's row; when it is not on this page, pin it on top (fetched by the caller). */
  select(id, household = null) {
    this.selectedId = id;
    const onPage = this.items.find((i) => i.id === id) || this.fresh.find((i) => i.id === id);
    const changedPin = onPage ? this.pinned !== null : (household && (!this.pinned || this.pinned.id !== id));
    this.pinned = onPage ? null : (household || this.pinned);
    if (changedPin) this._render();
    else this._markSelected();
    const row = this.el.list.querySelector(`.hh-row[data-id="${id}"]`);
    if (row) row.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  clearSelection() {
    this.selectedId = null;
    if (this.pinned) { this.pinned = null; this._render(); } else this._markSelected();
  }

  _markSelected() {
    for (const row of this.el.list.querySelectorAll('.hh-row')) {
      const on = Number(row.dataset.id) === this.selectedId;
      row.classList.toggle('selected', on);
      row.setAttribute('aria-current', on ? 'true' : 'false');
    }
  }

  /** Replace a household's row after it changed (e.g. a visit was recorded). */
  updateItem(hh) {
    const idx = this.items.findIndex((i) => i.id === hh.id);
    if (idx >= 0) this.items[idx] = hh;
    if (this.pinned && this.pinned.id === hh.id) this.pinned = hh;
    this.fresh = this.fresh.map((i) => (i.id === hh.id ? hh : i));
    this._render();
  }

  /** A household just registered from a report: on top of the list at once (no reload), marked as new. */
  pinNew(hh) {
    this.fresh = [hh, ...this.fresh.filter((i) => i.id !== hh.id)];
    if (this.page !== undefined) this._render();
  }

  /** No list for this account: filters off, a message instead of rows. */
  disable(message) {
    for (const el of this.el.form.elements) el.disabled = true;
    this.el.sort.disabled = true;
    replace(this.el.list);
    this.el.status.textContent = message;
    this.el.status.hidden = false;
  }

  reset() {
    for (const el of this.el.form.elements) el.disabled = false;
    this.el.sort.disabled = false;
    if (this.controller) this.controller.abort();
    this.items = [];
    this.total = 0;
    this.pinned = null;
    this.fresh = [];
    this.selectedId = null;
    replace(this.el.list);
    this.el.count.textContent = '';
    this.el.pageLabel.textContent = '';
    this.el.form.reset();
    this.setRounds([]);
  }
}
