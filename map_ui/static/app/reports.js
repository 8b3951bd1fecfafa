// The staff triage queue (GET /reports): status and dong filters, newest first, paged; synced with the report
// markers on the map through callbacks. Every text from data goes in as text.

import { api } from './api.js';
import { formatCount, formatDateTime, h, replace } from './dom.js';
import {
  INDICATORS, NEEDS_LOCATION, OPEN_REPORT_STATUSES, REPORT_CHANNELS, REPORT_STATUSES, label,
} from './vocab.js';

export const REPORT_PAGE_SIZE = 50;
const OPEN = OPEN_REPORT_STATUSES.join(',');
const UNPLACED = 'unplaced';
const WAITING = 'waiting'; // open reports past the waiting limit (GET /reports?waiting=true)

/** Where a report is: its dong and tract, "위치 확인 필요", or a dong without a point on the map. */
export function placement(r) {
  if (r.needs_location) return { text: NEEDS_LOCATION, kind: 'unplaced' };
  const dong = r.dong_name || '';
  const tract = r.tract_name || '';
  const where = tract && dong && tract.startsWith(dong) ? tract : [dong, tract].filter(Boolean).join(' ');
  if (r.lon === null || r.lon === undefined) return { text: `${where} · 지도 위치 없음`, kind: 'dong-only' };
  return { text: where, kind: 'placed' };
}

export function statusBadge(r) {
  return h('span', {
    class: `badge report-status status-${r.status}`, dataset: { status: r.status },
    text: r.status_label || label(REPORT_STATUSES, r.status),
  });
}

export function indicatorChips(codes) {
  if (!codes || !codes.length) return null;
  return h('div', { class: 'chips' }, codes.map((c) => h('span', { class: 'chip', dataset: { code: c }, text: label(INDICATORS, c) })));
}

/** One queue row (all data as text nodes). */
export function reportRow(r) {
  const where = placement(r);
  return h('li', {
    class: 'report-row', dataset: { id: String(r.id), status: r.status, placed: where.kind },
    attrs: { tabindex: '0', role: 'button', 'aria-label': `신고 ${r.receipt_no} 열기` },
  },
  h('div', { class: 'row-top' },
    h('span', { class: 'report-mark', attrs: { 'aria-hidden': 'true' } }),
    h('span', { class: 'report-receipt', text: r.receipt_no }),
    statusBadge(r)),
  h('div', { class: 'row-meta' },
    h('span', { class: 'report-channel', text: label(REPORT_CHANNELS, r.channel) }),
    ' · ',
    h('time', { class: 'report-created', attrs: { datetime: r.created_at }, text: formatDateTime(r.created_at) })),
  h('div', { class: 'report-description', text: r.description || '' }),
  r.address ? h('div', { class: 'row-address report-address', text: r.address }) : null,
  h('div', { class: `report-place place-${where.kind}` },
    where.kind === 'unplaced' ? h('span', { class: 'badge badge-unplaced', text: NEEDS_LOCATION }) : where.text),
  indicatorChips(r.indicators));
}

export class ReportQueue {
  /**
   * root: the queue's section in the sidebar; onOpen(report): a row was chosen; onLoaded(items): a page arrived
   * (its reports go on the map).
   */
  constructor(root, { onOpen, onLoaded }) {
    this.root = root;
    this.onOpen = onOpen;
    this.onLoaded = onLoaded;
    this.items = [];
    this.total = 0;
    this.page = 0;
    this.selectedId = null;
    this.controller = null;
    this.loaded = false;
    this.el = {
      status: h('select', { id: 'r-status', name: 'report-status' },
        h('option', { value: OPEN, text: '접수·검토중' }),
        h('option', { value: WAITING, text: '처리 기한 지남 (14일)' }),
        Object.entries(REPORT_STATUSES).map(([code, text]) => h('option', { value: code, text })),
        h('option', { value: '', text: '전체 상태' })),
      dong: h('select', { id: 'r-dong', name: 'report-dong' }),
      refresh: h('button', { type: 'button', id: 'r-refresh', class: 'link-button', text: '새로고침' }),
      count: h('strong', { id: 'report-count', class: 'list-count', attrs: { 'aria-live': 'polite' } }),
      note: h('span', { class: 'report-head-note', text: '최근 접수 순' }),
      message: h('p', { id: 'report-status-line', class: 'list-status', hidden: true }),
      list: h('ol', { id: 'report-list', class: 'report-list', attrs: { 'aria-label': '신고 목록' } }),
      prev: h('button', { type: 'button', id: 'r-prev', text: '이전', disabled: true }),
      next: h('button', { type: 'button', id: 'r-next', text: '다음', disabled: true }),
      pageLabel: h('span', { class: 'page-label' }),
    };
    replace(root,
      h('div', { class: 'filters report-filters' },
        h('div', { class: 'filter-row' },
          h('label', { class: 'field' }, '상태', this.el.status),
          h('label', { class: 'field' }, '동', this.el.dong)),
        h('p', { class: 'report-hint', text: '통장·주민·협력기관이 알린 위기 의심 이웃입니다. 확인 후 가구로 등록하거나 종결하세요.' })),
      h('div', { class: 'list-head' }, h('span', {}, this.el.count, ' ', this.el.note), this.el.refresh),
      this.el.message, this.el.list,
      h('nav', { class: 'pager', attrs: { 'aria-label': '신고 페이지' } }, this.el.prev, this.el.pageLabel, this.el.next));
    this.el.status.addEventListener('change', () => { this.page = 0; this.load(); });
    this.el.dong.addEventListener('change', () => { this.page = 0; this.load(); });
    this.el.refresh.addEventListener('click', () => this.load());
    this.el.prev.addEventListener('click', () => { this.page = Math.max(0, this.page - 1); this.load(); });
    this.el.next.addEventListener('click', () => { this.page += 1; this.load(); });
    this.el.list.addEventListener('click', (e) => this._rowEvent(e));
    this.el.list.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this._rowEvent(e); }
    });
  }

  /** The dongs the caller may filter by; `whole`: the district-wide roles (labels differ). */
  setDongs(dongs, whole) {
    replace(this.el.dong,
      h('option', { value: '', text: whole ? '전체 동' : '담당 동 전체' }),
      dongs.map((d) => h('option', { value: String(d.id), text: d.name })),
      h('option', { value: UNPLACED, text: NEEDS_LOCATION }));
  }

  /** Set the filters to one data-quality list (the caller opens the tab, which loads it). */
  showOnly({ waiting = false, unplaced = false, dongId = null } = {}) {
    this.page = 0;
    this.el.status.value = waiting ? WAITING : OPEN;
    this.el.dong.value = unplaced ? UNPLACED : dongId ? String(dongId) : '';
  }

  /** Query parameters of GET /reports for the form's filters. */
  params() {
    const p = { limit: REPORT_PAGE_SIZE, offset: this.page * REPORT_PAGE_SIZE };
    if (this.el.status.value === WAITING) p.waiting = 'true';
    else if (this.el.status.value) p.status = this.el.status.value;
    const dong = this.el.dong.value;
    if (dong === UNPLACED) p.unplaced = 'true';
    else if (dong) p.dong_id = dong;
    return p;
  }

  async load() {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.el.message.textContent = '불러오는 중…';
    this.el.message.hidden = false;
    this.root.setAttribute('aria-busy', 'true');
    try {
      const data = await api.get('/reports', this.params(), controller.signal);
      if (controller !== this.controller) return null;
      this.items = data.items || [];
      this.total = data.total || 0;
      if (!this.items.length && this.page > 0 && this.total) {
        this.page = Math.floor((this.total - 1) / REPORT_PAGE_SIZE);
        return this.load();
      }
      this.loaded = true;
      this._render();
      this.onLoaded(this.items);
      return data;
    } catch (err) {
      if (err.name === 'AbortError') return null;
      this.items = [];
      this.total = 0;
      replace(this.el.list);
      this.el.count.textContent = '';
      this.el.message.textContent = `신고 목록을 불러오지 못했습니다: ${err.message}`;
      this.el.message.hidden = false;
      this.onLoaded([]);
      return null;
    } finally {
      if (controller === this.controller) this.root.removeAttribute('aria-busy');
    }
  }

  _render() {
    replace(this.el.list, ...this.items.map((r) => reportRow(r)));
    const first = this.total ? this.page * REPORT_PAGE_SIZE + 1 : 0;
    const last = Math.min(this.total, (this.page + 1) * REPORT_PAGE_SIZE);
    this.el.count.textContent = `신고 ${formatCount(this.total)}건`;
    this.el.count.dataset.total = String(this.total);
    this.el.pageLabel.textContent = this.total ? `${formatCount(first)}–${formatCount(last)} / ${formatCount(this.total)}` : '';
    this.el.prev.disabled = this.page <= 0;
    this.el.next.disabled = last >= this.total;
    this.el.message.hidden = this.items.length > 0;
    this.el.message.textContent = this.items.length ? '' : '조건에 맞는 신고가 없습니다.';
    this._markSelected();
  }

  _rowEvent(e) {
    const row = e.target.closest('.report-row');
    if (!row) return;
    const id = Number(row.dataset.id);
    const report = this.items.find((r) => r.id === id);
    if (report) this.onOpen(report);
  }

  select(id) {
    this.selectedId = id;
    this._markSelected();
    const row = this.el.list.querySelector(`.report-row[data-id="${id}"]`);
    if (row) row.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  clearSelection() {
    this.selectedId = null;
    this._markSelected();
  }

  _markSelected() {
    for (const row of this.el.list.querySelectorAll('.report-row')) {
      const on = Number(row.dataset.id) === this.selectedId;
      row.classList.toggle('selected', on);
      row.setAttribute('aria-current', on ? 'true' : 'false');
    }
  }

  reset() {
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.items = [];
    this.total = 0;
    this.page = 0;
    this.selectedId = null;
    this.loaded = false;
    this.el.status.value = OPEN;
    replace(this.el.dong);
    replace(this.el.list);
    this.el.count.textContent = '';
    this.el.pageLabel.textContent = '';
  }
}

/** How many reports wait for triage (접수·검토중) in the caller's scope; null when unknown. */
export async function openReportCount() {
  try {
    const data = await api.get('/reports', { status: OPEN, limit: 1 });
    return data.total ?? null;
  } catch {
    return null;
  }
}
