// The 주민등록 변동 tab: registry changes (사망, 전출, 전입, 세대 합가) matched to a household wait here until a
// person applies the proposal (close the household, move it) or dismisses it with a reason. Nothing is applied
// without a person; rows that matched no household are listed under their own filter, not lost.

import { ApiError, api } from './api.js';
import { formatCount, formatDate, formatDateTime, h, replace } from './dom.js';
import { StaffPane } from './staffpage.js';
import { REGISTRY_CHANGES, REGISTRY_STATES, label } from './vocab.js';

const PAGE = 30;
const STATUSES = ['pending', 'applied', 'dismissed', 'unmatched'];

export class InboxPane extends StaffPane {
  constructor(root, { onForbidden, onChanged }) {
    super(root, { onForbidden });
    this.onChanged = onChanged;
    this.items = [];
    this.status = 'pending';
    this.shown = null; // the status whose changes are on screen
  }

  reset() {
    this.items = [];
    this.status = 'pending';
    this.dirty = true;
    replace(this.root);
  }

  start() {
    this.filter = h('div', { id: 'inbox-filter', class: 'segmented', attrs: { role: 'radiogroup', 'aria-label': '처리 상태' } },
      ...STATUSES.map((code) => h('label', { class: 'seg' },
        h('input', { type: 'radio', name: 'inbox-status', value: code, checked: code === this.status, on: { change: () => { this.status = code; this.load(); } } }),
        h('span', { text: label(REGISTRY_STATES, code) }))));
    this.count = h('strong', { class: 'list-count', id: 'inbox-total', attrs: { 'aria-live': 'polite' } });
    this.message = h('p', { class: 'job-message', id: 'inbox-message', attrs: { role: 'alert' }, hidden: true });
    this.list = h('ol', { id: 'inbox-list', class: 'inbox-list', attrs: { 'aria-label': '주민등록 변동 목록' } });
    this.more = h('button', { type: 'button', id: 'inbox-more', text: '더 보기', hidden: true, on: { click: () => this.load(true) } });
    replace(this.root,
      h('p', { class: 'review-lead', text: '주민등록 변동 자료에서 가구와 일치한 변동입니다. 사람이 확인하고 반영해야 가구에 적용됩니다. 반영하지 않을 때는 사유를 남깁니다.' }),
      h('div', { class: 'admin-toolbar inbox-toolbar' }, h('fieldset', { class: 'inbox-filter' }, h('legend', { class: 'sr-only', text: '처리 상태' }), this.filter), this.count),
      this.message, this.list, h('div', { class: 'admin-pager' }, this.more));
  }

  async load(more = false) {
    const offset = more ? this.items.length : 0;
    const status = this.status;
    try {
      const data = await api.get('/registry-changes', { status, limit: PAGE, offset });
      if (status !== this.status) return;
      this.items = more ? this.items.concat(data.items) : data.items;
      this.dirty = false;
      this.count.textContent = `${formatCount(data.total)}건`;
      this.more.hidden = this.items.length >= data.total;
      if (!more) this.say('');
      this.draw();
      this.shown = status;
    } catch (err) {
      this.dirty = true;
      this.failed(err);
    }
  }

  draw() {
    replace(this.list, this.items.map((item) => this.card(item)));
    if (!this.items.length) {
      this.list.append(h('li', { class: 'empty-state', text: `${label(REGISTRY_STATES, this.status)}인 변동이 없습니다.` }));
    }
  }

  card(item) {
    const hh = item.household;
    const person = [item.head_name, item.birth_year ? `${item.birth_year}년생` : null].filter(Boolean).join(' · ');
    const facts = h('dl', { class: 'details inbox-details' },
      h('dt', { text: '변동' }), h('dd', {}, h('span', { class: `change-badge change-${item.change}`, text: item.change_label || label(REGISTRY_CHANGES, item.change) }),
        item.changed_on ? ` ${formatDate(item.changed_on)}` : ''),
      h('dt', { text: '대상' }), h('dd', { text: person || '—' }),
      h('dt', { text: '주소' }), h('dd', { text: item.address || '—' }),
      item.previous_address ? [h('dt', { text: '이전 주소' }), h('dd', { text: item.previous_address })] : null,
      h('dt', { text: '일치 가구' }), h('dd', { class: 'inbox-household' }, hh
        ? [h('a', { href: `/#h=${hh.id}`, text: `#${hh.id} ${hh.head_name || ''}` }), ` · ${[hh.address, hh.dong_name].filter(Boolean).join(' · ')}`]
        : '일치하는 가구가 없습니다'),
      item.proposal && item.status !== 'unmatched' ? [h('dt', { text: '반영하면' }), h('dd', { class: 'inbox-proposal', text: item.proposal.label })] : null,
      item.note ? [h('dt', { text: '참고' }), h('dd', { class: 'inbox-note', text: item.note })] : null,
      item.status !== 'pending' && item.status !== 'unmatched'
        ? [h('dt', { text: '처리' }), h('dd', {
          text: [label(REGISTRY_STATES, item.status), item.resolved_at ? formatDateTime(item.resolved_at) : null, item.resolved_by_name]
            .filter(Boolean).join(' · '),
        })] : null,
      item.reason ? [h('dt', { text: '사유' }), h('dd', { class: 'inbox-reason', text: item.reason })] : null);
    const li = h('li', { class: 'inbox-item', dataset: { id: String(item.id), status: item.status, change: item.change } },
      facts, h('p', { class: 'inbox-source', text: `${item.row}행 · 가져온 자료 #${item.import_id}` }));
    if (item.status === 'pending') li.append(this.actions(item, li));
    return li;
  }

  actions(item, li) {
    const slot = h('div', { class: 'inbox-form-slot' });
    const apply = h('button', { type: 'button', class: 'primary inbox-apply', text: '반영', on: { click: () => this.apply(item, apply) } });
    const dismiss = h('button', {
      type: 'button', class: 'inbox-dismiss', text: '반영 안 함',
      on: { click: () => { buttons.hidden = true; replace(slot, this.dismissForm(item, () => { replace(slot); buttons.hidden = false; })); slot.querySelector('textarea').focus(); } },
    });
    const buttons = h('div', { class: 'form-actions inbox-actions' }, dismiss, apply);
    li.dataset.actions = 'true';
    return h('div', {}, buttons, slot);
  }

  dismissForm(item, cancel) {
    const reason = h('textarea', { name: 'reason', rows: 2, maxLength: 300, placeholder: '예: 같은 이름의 다른 사람, 이미 처리함', attrs: { 'aria-label': '반영하지 않는 사유' } });
    const message = h('p', { class: 'form-message', attrs: { role: 'alert' }, hidden: true });
    const submit = h('button', { type: 'submit', class: 'danger primary', text: '반영 안 함' });
    const form = h('form', { class: 'dismiss-form', noValidate: true },
      h('label', { class: 'field' }, '반영하지 않는 사유 (필수)', reason), message,
      h('div', { class: 'form-actions' }, h('button', { type: 'button', text: '취소', on: { click: cancel } }), submit));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const text = reason.value.replace(/\s+/g, ' ').trim();
      if (text.length < 2) {
        message.textContent = '반영하지 않는 사유를 두 글자 이상 적으세요.';
        message.hidden = false;
        reason.focus();
        return;
      }
      submit.disabled = true;
      try {
        await api.post(`/registry-changes/${item.id}/dismiss`, { reason: text, version: item.version });
        await this.done(`${item.head_name || ''} ${label(REGISTRY_CHANGES, item.change)} 변동을 반영하지 않았습니다 (사유: ${text}).`);
      } catch (err) {
        submit.disabled = false;
        if (err instanceof ApiError && err.status === 409) { await this.conflict(err); return; }
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) { this.failed(err); return; }
        message.textContent = err.message;
        message.hidden = false;
      }
    });
    return form;
  }

  async apply(item, button) {
    button.disabled = true;
    try {
      const done = await api.post(`/registry-changes/${item.id}/apply`, { version: item.version });
      const what = (done.proposal && done.proposal.label) || (item.proposal && item.proposal.label) || '';
      const sentence = `반영했습니다: ${item.head_name || ''} ${label(REGISTRY_CHANGES, item.change)}${what ? ` → ${what}` : ''}`;
      await this.done(sentence.endsWith('.') ? sentence : `${sentence}.`);
    } catch (err) {
      button.disabled = false;
      if (err instanceof ApiError && err.status === 409) { await this.conflict(err); return; }
      this.failed(err);
    }
  }

  async done(text) {
    await this.load();
    this.say(text, true);
    this.onChanged();
  }

  async conflict(err) {
    await this.load();
    this.say(`${err.message} 목록을 새로 불러왔습니다.`);
    this.onChanged();
  }
}
