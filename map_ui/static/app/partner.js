// The partner agency's screen (협력기관): the referral inbox (GET /referrals) with a status filter, and per referral
// the result the agency records (PATCH /households/{id}/services/{link_id} with the version read). No household map:
// a partner may not list households and the API cuts their address to the dong. Every text from data goes in as text.

import { api } from './api.js';
import { append, formatCount, formatDateTime, h, replace } from './dom.js';
import { NEEDS, RISK_COLORS, RISK_LABELS, SERVICE_STATUSES, SERVICE_TYPES, label } from './vocab.js';

export const INBOX_PAGE_SIZE = 50;

// The inbox's filters: the API's `status` values with what the partner sees.
export const INBOX_FILTERS = {
  open: '진행 필요', delivered: SERVICE_STATUSES.delivered, declined: SERVICE_STATUSES.declined, all: '전체',
};
const OPEN = new Set(['requested', 'in_progress']);

// What a partner may record, with the words of its button, its form and its confirmation.
const ACTIONS = {
  in_progress: { button: SERVICE_STATUSES.in_progress, title: '진행중으로 기록', submit: '진행중 기록', hint: '지원을 시작했거나 준비 중일 때 누르세요.' },
  delivered: {
    button: SERVICE_STATUSES.delivered, title: '제공 완료로 기록', submit: '제공 완료 기록',
    hint: '제공한 내용을 남겨 두면 담당 공무원이 확인합니다. 제공 완료는 되돌릴 수 없습니다.',
  },
  declined: {
    button: SERVICE_STATUSES.declined, title: '거절로 기록', submit: '거절 기록',
    hint: '지원할 수 없는 까닭을 적어 주면 담당 공무원이 다른 기관을 찾는 데 도움이 됩니다.',
  },
};

const dateOnly = (iso) => formatDateTime(iso).slice(0, 13);

/** `‘제공 완료’로`, `‘진행중’으로`: the particle 로/으로 after a Korean word (ㄹ takes 로). */
function quotedTo(word) {
  const code = word.charCodeAt(word.length - 1) - 0xAC00;
  const batchim = code >= 0 && code < 11172 ? code % 28 : 0;
  return `‘${word}’${batchim === 0 || batchim === 8 ? '로' : '으로'}`;
}

function inFilter(filter, status) {
  if (filter === 'all') return true;
  if (filter === 'open') return OPEN.has(status);
  return filter === status;
}

export class PartnerInbox {
  /** root: the partner section of the page; onReady(): the first page arrived (or failed). */
  constructor(root) {
    this.root = root;
    this.filter = 'open';
    this.items = [];
    this.total = 0;
    this.page = 0;
    this.controller = null;
    this.generation = 0;
    this.rows = new Map(); // link id → its <li>
    this.histories = new Map(); // link id → its status history, once read
    this.el = {
      facility: root.querySelector('#partner-facility'),
      filters: root.querySelector('#ref-filter'),
      count: root.querySelector('#ref-count'),
      refresh: root.querySelector('#ref-refresh'),
      message: root.querySelector('#partner-message'),
      status: root.querySelector('#ref-status-line'),
      list: root.querySelector('#ref-list'),
      prev: root.querySelector('#ref-prev'),
      next: root.querySelector('#ref-next'),
      pageLabel: root.querySelector('#ref-page-label'),
    };
    replace(this.el.filters, Object.entries(INBOX_FILTERS).map(([code, text]) => h('label', { class: 'seg' },
      h('input', { type: 'radio', name: 'ref-status', value: code, checked: code === 'open' }),
      h('span', { text }))));
    this.el.filters.addEventListener('change', (e) => {
      if (e.target.name !== 'ref-status') return;
      this.filter = e.target.value;
      this.page = 0;
      this.say('');
      this.load();
    });
    this.el.refresh.addEventListener('click', () => { this.say(''); this.load(); });
    this.el.prev.addEventListener('click', () => { this.page = Math.max(0, this.page - 1); this.load(); });
    this.el.next.addEventListener('click', () => { this.page += 1; this.load(); });
  }

  /** Show the agency's name and its first page of open referrals. */
  async start(me) {
    this.root.hidden = false;
    const named = me.facility_id
      ? api.get(`/facilities/${me.facility_id}`).then((f) => { this.el.facility.textContent = f.name || ''; }).catch(() => {})
      : Promise.resolve();
    await Promise.all([named, this.load()]);
  }

  /** Forget everything (sign-out). */
  reset() {
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.generation += 1;
    this.filter = 'open';
    this.items = [];
    this.total = 0;
    this.page = 0;
    this.rows.clear();
    this.histories.clear();
    for (const input of this.el.filters.querySelectorAll('input')) input.checked = input.value === 'open';
    replace(this.el.list);
    this.el.facility.textContent = '';
    this.el.count.textContent = '';
    delete this.el.count.dataset.total;
    this.el.pageLabel.textContent = '';
    this.el.status.hidden = true;
    this.say('');
    this.root.hidden = true;
  }

  /** A confirmation (kind 'ok') or a problem ('error') above the list; empty text hides it. */
  say(text, kind = 'ok') {
    this.el.message.textContent = text || '';
    this.el.message.className = `inbox-message ${kind}`;
    this.el.message.hidden = !text;
  }

  async load() {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.root.setAttribute('aria-busy', 'true');
    this.el.status.textContent = '불러오는 중…';
    this.el.status.hidden = false;
    try {
      const data = await api.get('/referrals', {
        status: this.filter, limit: INBOX_PAGE_SIZE, offset: this.page * INBOX_PAGE_SIZE,
      }, controller.signal);
      if (controller !== this.controller) return;
      this.items = data.items || [];
      this.total = data.total || 0;
      if (!this.items.length && this.page > 0 && this.total) {
        this.page = Math.floor((this.total - 1) / INBOX_PAGE_SIZE);
        await this.load();
        return;
      }
      this._render();
    } catch (err) {
      if (err.name === 'AbortError' || controller !== this.controller) return;
      this.items = [];
      this.total = 0;
      this.rows.clear();
      replace(this.el.list);
      this.el.count.textContent = '';
      delete this.el.count.dataset.total;
      this.el.status.textContent = `의뢰 목록을 불러오지 못했습니다: ${err.message}`;
      this.el.status.hidden = false;
    } finally {
      if (controller === this.controller) this.root.removeAttribute('aria-busy');
    }
  }

  _render() {
    this.generation += 1;
    this.rows.clear();
    this.histories.clear();
    replace(this.el.list, ...this.items.map((item) => this._row(item)));
    this._counts();
    this.el.status.textContent = this.items.length ? '' : {
      open: '진행이 필요한 의뢰가 없습니다.', delivered: '제공 완료한 의뢰가 없습니다.', declined: '거절한 의뢰가 없습니다.',
      all: '받은 의뢰가 없습니다.',
    }[this.filter];
    this.el.status.hidden = this.items.length > 0;
  }

  _counts() {
    const first = this.total ? this.page * INBOX_PAGE_SIZE + 1 : 0;
    const last = Math.min(this.total, this.page * INBOX_PAGE_SIZE + this.items.length);
    this.el.count.textContent = `${INBOX_FILTERS[this.filter]} ${formatCount(this.total)}건`;
    this.el.count.dataset.total = String(this.total);
    this.el.pageLabel.textContent = this.total > INBOX_PAGE_SIZE ? `${formatCount(first)}–${formatCount(last)} / ${formatCount(this.total)}` : '';
    this.el.prev.disabled = this.page <= 0;
    this.el.next.disabled = last >= this.total;
    this.el.prev.parentElement.hidden = this.total <= INBOX_PAGE_SIZE;
  }

  /** One referral as a card: who (masked), where (dong), what was asked, the note, the dates, the actions. */
  _row(item) {
    const hh = item.household || {};
    const level = hh.risk_level;
    const needs = (hh.needs || []).map((n) => h('span', { class: 'chip', dataset: { code: n }, text: label(NEEDS, n) }));
    const li = h('li', { class: 'ref-item', dataset: { id: String(item.id), status: item.status } },
      h('div', { class: 'ref-top' },
        h('span', {
          class: `swatch swatch-${level}`, style: { background: hh.color || RISK_COLORS[level] || '#9E9E9E' },
          attrs: { 'aria-hidden': 'true' },
        }),
        h('strong', { class: 'ref-name', text: hh.head_name || '이름 없음' }),
        h('span', { class: `badge badge-${level} ref-risk`, dataset: { level }, text: RISK_LABELS[level] || level || '' }),
        h('span', { class: 'ref-spacer' }),
        this._statusBadge(item.status)),
      h('div', { class: 'ref-meta' },
        h('span', { class: 'ref-dong', text: hh.dong_name || '' }),
        hh.members ? h('span', { class: 'ref-members', text: `가구원 ${formatCount(hh.members)}명` }) : null),
      h('div', { class: 'ref-service' },
        h('span', { class: 'ref-type', text: label(SERVICE_TYPES, item.type) }),
        item.need ? h('span', { class: 'ref-need' }, '의뢰 욕구 ', h('strong', { text: label(NEEDS, item.need) })) : null),
      needs.length ? h('div', { class: 'ref-needs' }, h('span', { class: 'ref-label', text: '필요한 도움' }),
        h('span', { class: 'chips' }, needs)) : null,
      item.note ? h('div', { class: 'ref-note-box' }, h('span', { class: 'ref-label', text: '의뢰 메모' }),
        h('p', { class: 'ref-note', text: item.note })) : null,
      h('div', { class: 'ref-dates' },
        h('span', {}, '의뢰일 ', h('time', { class: 'ref-created', attrs: { datetime: item.created_at }, text: dateOnly(item.created_at) })),
        h('span', { class: 'ref-updated-wrap', hidden: item.updated_at === item.created_at }, '최근 변경 ',
          h('time', { class: 'ref-updated', attrs: { datetime: item.updated_at }, text: formatDateTime(item.updated_at) }))),
      h('div', { class: 'ref-actions' }),
      h('div', { class: 'ref-form-slot' }),
      this._history(item));
    this.rows.set(item.id, li);
    this._actions(item, li);
    return li;
  }

  _statusBadge(status) {
    return h('span', { class: `service-status ref-status status-${status}`, dataset: { status }, text: label(SERVICE_STATUSES, status) });
  }

  /** The buttons of an open referral (nothing is recorded about a delivered or declined one from here). */
  _actions(item, li) {
    const box = li.querySelector('.ref-actions');
    const codes = item.status === 'requested' ? ['in_progress', 'delivered', 'declined']
      : item.status === 'in_progress' ? ['delivered', 'declined'] : [];
    replace(box, codes.map((code) => h('button', {
      type: 'button', class: `ref-action action-${code}`, dataset: { action: code }, text: ACTIONS[code].button,
      attrs: { 'aria-label': `${item.household?.head_name || ''} 의뢰 ${ACTIONS[code].button}`, 'aria-expanded': 'false' },
      on: { click: () => this._openForm(item, li, code) },
    })));
    box.hidden = codes.length === 0;
  }

  _openForm(item, li, code) {
    const slot = li.querySelector('.ref-form-slot');
    const open = slot.firstElementChild;
    const same = open && open.dataset.action === code;
    for (const b of li.querySelectorAll('.ref-action')) {
      const on = !same && b.dataset.action === code;
      b.classList.toggle('active', on);
      b.setAttribute('aria-expanded', String(on));
    }
    if (same) { replace(slot); return; }
    const kept = open ? open.querySelector('textarea').value : '';
    const form = this._form(item, li, code);
    form.querySelector('textarea').value = kept;
    replace(slot, form);
    form.querySelector('textarea').focus();
  }

  _form(item, li, code) {
    const action = ACTIONS[code];
    const note = h('textarea', { name: 'note', rows: 3, maxLength: 4000, placeholder: code === 'declined' ? '예: 이번 달 물품 소진' : '예: 식품 꾸러미 2상자 전달' });
    const message = h('p', { class: 'form-message', attrs: { role: 'alert' }, hidden: true });
    const submit = h('button', { type: 'submit', class: code === 'declined' ? 'primary danger' : 'primary', text: action.submit });
    const form = h('form', { class: 'ref-form', dataset: { action: code }, attrs: { 'aria-label': action.title } },
      h('p', { class: 'ref-form-title', text: action.title }),
      h('p', { class: 'form-hint', text: action.hint }),
      h('label', { class: 'field' }, '메모 (선택)', note),
      message,
      h('div', { class: 'form-actions' }, submit,
        h('button', { type: 'button', text: '취소', on: { click: () => this._openForm(item, li, code) } })));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      message.hidden = true;
      submit.disabled = true;
      submit.textContent = '기록 중…';
      const gen = this.generation;
      const body = { status: code, version: item.version };
      const text = note.value.trim();
      if (text) body.note = text;
      try {
        const saved = await api.patch(`/households/${item.household_id}/services/${item.id}`, body);
        if (gen === this.generation) this._saved(item, li, saved);
      } catch (err) {
        if (gen !== this.generation) return;
        if (err.status === 409) {
          replace(message, h('span', { class: 'conflict-detail', text: err.message }));
          message.hidden = false;
          await this._reload(item, li, form, message);
        } else {
          message.textContent = `기록하지 못했습니다: ${err.message}`;
          message.hidden = false;
        }
      } finally {
        submit.disabled = false;
        submit.textContent = action.submit;
      }
    });
    return form;
  }

  /** The link as the API answered after a change: the row changes in place or leaves this filter's list. */
  _saved(item, li, saved) {
    Object.assign(item, { status: saved.status, version: saved.version, updated_at: saved.updated_at });
    this.histories.set(item.id, saved.history || []);
    const who = [item.household?.dong_name, item.household?.head_name].filter(Boolean).join(' ');
    const what = label(SERVICE_STATUSES, saved.status);
    if (!inFilter(this.filter, saved.status)) {
      li.remove();
      this.rows.delete(item.id);
      this.items = this.items.filter((i) => i.id !== item.id);
      this.total = Math.max(0, this.total - 1);
      this._counts();
      if (!this.items.length) {
        if (this.total) { this.load(); } else { this._render(); }
      }
      this.say(`${who} 님 의뢰를 ${quotedTo(what)} 기록했습니다. ${INBOX_FILTERS[this.filter]} 목록에서 빠졌습니다.`);
    } else {
      this._refreshRow(item, li);
      this.say(`${who} 님 의뢰를 ${quotedTo(what)} 기록했습니다.`);
    }
  }

  /** After a 409: read the link again (status, version, history), show it as it is now and say so. */
  async _reload(item, li, form, message) {
    const gen = this.generation;
    try {
      const data = await api.get(`/households/${item.household_id}/services`);
      if (gen !== this.generation) return;
      const link = (data.items || []).find((l) => l.id === item.id);
      if (!link) {
        append(message, [h('span', { text: '이 의뢰를 더 이상 볼 수 없습니다. 새로고침을 누르세요.' })]);
        return;
      }
      Object.assign(item, { status: link.status, version: link.version, updated_at: link.updated_at, note: link.note });
      this.histories.set(item.id, link.history || []);
      const now = `지금 상태는 ‘${label(SERVICE_STATUSES, link.status)}’입니다.`;
      const kept = this._refreshRow(item, li, { keepForm: form.isConnected });
      li.classList.add('ref-stale');
      if (kept) {
        append(message, [h('span', { class: 'conflict-reloaded', text: `이 의뢰를 다시 불러왔습니다. ${now} 진행 기록을 확인한 뒤 다시 기록하세요.` })]);
      } else {
        replace(li.querySelector('.ref-form-slot'), h('p', { class: 'form-message', attrs: { role: 'alert' } },
          h('span', { class: 'conflict-detail', text: message.firstChild ? message.firstChild.textContent : '' }),
          h('span', { class: 'conflict-reloaded', text: `이 의뢰를 다시 불러왔습니다. ${now}` })));
      }
      li.querySelector('.ref-history').open = true; // what the other person recorded
    } catch (err) {
      if (gen === this.generation) append(message, [h('span', { text: `다시 불러오지 못했습니다: ${err.message}` })]);
    }
  }

  /** Show the item's current status, date and actions; an open form stays when its action still applies. */
  _refreshRow(item, li, { keepForm = false } = {}) {
    li.dataset.status = item.status;
    li.querySelector('.ref-top .ref-status').replaceWith(this._statusBadge(item.status));
    const updated = li.querySelector('.ref-updated');
    updated.setAttribute('datetime', item.updated_at);
    updated.textContent = formatDateTime(item.updated_at);
    li.querySelector('.ref-updated-wrap').hidden = false;
    const note = li.querySelector('.ref-note');
    if (note && item.note) note.textContent = item.note;
    const form = keepForm ? li.querySelector('.ref-form') : null;
    this._actions(item, li);
    li.classList.remove('ref-stale');
    li.classList.add('ref-changed');
    const details = li.querySelector('.ref-history');
    if (details.open && this.histories.has(item.id)) this._renderHistory(details, this.histories.get(item.id));
    const button = form && li.querySelector(`.ref-action[data-action="${form.dataset.action}"]`);
    if (button) {
      button.classList.add('active');
      button.setAttribute('aria-expanded', 'true');
      return true;
    }
    replace(li.querySelector('.ref-form-slot'));
    return false;
  }

  /** "진행 기록": the link's status changes with their notes, read when first opened. */
  _history(item) {
    const body = h('div', { class: 'ref-history-body' }, h('p', { class: 'loading', text: '불러오는 중…' }));
    const details = h('details', { class: 'ref-history' }, h('summary', { text: '진행 기록' }), body);
    details.addEventListener('toggle', async () => {
      if (!details.open) return;
      if (this.histories.has(item.id)) { this._renderHistory(details, this.histories.get(item.id)); return; }
      const gen = this.generation;
      try {
        const data = await api.get(`/households/${item.household_id}/services`);
        if (gen !== this.generation) return;
        const link = (data.items || []).find((l) => l.id === item.id);
        this.histories.set(item.id, link ? link.history || [] : []);
        this._renderHistory(details, this.histories.get(item.id));
      } catch (err) {
        if (gen === this.generation) replace(body, h('p', { class: 'empty-state', text: `진행 기록을 불러오지 못했습니다: ${err.message}` }));
      }
    });
    return details;
  }

  _renderHistory(details, history) {
    const body = details.querySelector('.ref-history-body');
    if (!history.length) { replace(body, h('p', { class: 'empty-state', text: '기록이 없습니다.' })); return; }
    replace(body, h('ol', { class: 'ref-history-list' }, history.map((ev) => h('li', { class: 'ref-event', dataset: { status: ev.status } },
      h('div', { class: 'ref-event-head' },
        h('time', { attrs: { datetime: ev.changed_at }, text: formatDateTime(ev.changed_at) }),
        this._statusBadge(ev.status),
        ev.changed_by ? h('span', { class: 'ref-event-who', text: ev.changed_by }) : null),
      ev.note ? h('p', { class: 'ref-event-note', text: ev.note }) : null))));
  }
}
