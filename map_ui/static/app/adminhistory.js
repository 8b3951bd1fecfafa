// The 권한 변경 이력 tab: every grant, revoke and account change, newest first, with who made it.

import { ApiError, api } from './api.js';
import { formatDateTime, h, replace } from './dom.js';
import { PERMISSION_ACTIONS, label } from './vocab.js';

const PAGE = 50;

export class HistoryPane {
  constructor(root, { onForbidden }) {
    this.root = root;
    this.onForbidden = onForbidden;
    this.items = [];
    this.dirty = true;
  }

  reset() {
    this.items = [];
    this.dirty = true;
    replace(this.root);
  }

  /** Something changed: read again when the tab is opened next. */
  stale() {
    this.dirty = true;
  }

  start() {
    this.who = h('select', { id: 'hist-user', attrs: { 'aria-label': '계정' } }, h('option', { value: '', text: '모든 계정' }));
    this.count = h('strong', { class: 'list-count', attrs: { 'aria-live': 'polite' } });
    this.status = h('p', { class: 'job-message', attrs: { role: 'alert' }, hidden: true });
    this.body = h('tbody');
    this.more = h('button', { type: 'button', id: 'hist-more', text: '더 보기', hidden: true, on: { click: () => this.load(true) } });
    this.who.addEventListener('change', () => this.load());
    replace(this.root,
      h('div', { class: 'admin-toolbar' }, h('label', { class: 'field inline-field' }, '계정', this.who), this.count),
      this.status,
      h('div', { class: 'table-wrap' }, h('table', { id: 'history-table', class: 'admin-table' },
        h('thead', {}, h('tr', {}, ...['시각', '계정', '변경', '내용', '처리한 사람'].map((t) => h('th', { scope: 'col', text: t })))),
        this.body)),
      h('div', { class: 'admin-pager' }, this.more));
  }

  async show() {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      const users = await api.get('/admin/users', { limit: 500 });
      const chosen = this.who.value;
      replace(this.who, h('option', { value: '', text: '모든 계정' }),
        ...users.items.map((u) => h('option', { value: String(u.id), text: u.display_name ? `${u.username} (${u.display_name})` : u.username })));
      this.who.value = chosen;
    } catch (err) {
      this.failed(err);
      return;
    }
    await this.load();
  }

  failed(err) {
    this.dirty = true;
    if (err instanceof ApiError && err.status === 403) { this.onForbidden(err.message); return; }
    if (err instanceof ApiError && err.status === 401) return;
    this.status.textContent = err.message;
    this.status.hidden = false;
  }

  async load(more = false) {
    const offset = more ? this.items.length : 0;
    try {
      const data = await api.get('/admin/permission-events', { user_id: this.who.value, limit: PAGE, offset });
      this.items = more ? this.items.concat(data.items) : data.items;
      this.status.hidden = true;
      this.count.textContent = `${data.total}건`;
      this.more.hidden = this.items.length >= data.total;
      replace(this.body, this.items.map((e) => h('tr', {},
        h('td', { dataset: { label: '시각' }, text: formatDateTime(e.at) }),
        h('td', { dataset: { label: '계정' }, text: e.username }),
        h('td', { dataset: { label: '변경' }, text: label(PERMISSION_ACTIONS, e.action) }),
        h('td', { class: 'cell-detail', dataset: { label: '내용' }, text: e.detail || '' }),
        h('td', { dataset: { label: '처리한 사람' }, text: e.actor || '-' }))));
      if (!this.items.length) this.body.append(h('tr', {}, h('td', { colSpan: 5, class: 'empty-row', text: '기록이 없습니다.' })));
    } catch (err) {
      this.failed(err);
    }
  }
}
