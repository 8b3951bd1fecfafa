// 점검 필요 (data quality): counts of what needs checking now in the caller's area (GET /stats/quality), shown in
// the map legend and on the statistics screen. Each count opens the list it counts; facilities whose referral
// capacity is unconfirmed open a small dialog where staff confirm them.

import { api, ApiError } from './api.js';
import { formatCount, formatDate, h, replace } from './dom.js';
import { FACILITY_CATEGORIES, OVERDUE_LABEL, label } from './vocab.js';

/** The checks in the order shown: key of GET /stats/quality, its label and unit. */
export function qualityItems(q) {
  return [
    { key: 'households_approximate', text: '위치가 대략인 가구', unit: '가구', hint: '현장에서 위치를 확인하세요' },
    { key: 'overdue', text: OVERDUE_LABEL, unit: '가구', hint: '방문 주기를 넘겼습니다' },
    { key: 'reports_waiting', text: `${q.report_waiting_days}일 넘게 처리 대기 중인 신고`, unit: '건', hint: '확인 후 가구로 등록하거나 종결하세요' },
    { key: 'reports_unplaced', text: '위치를 모르는 신고', unit: '건', hint: '지도에서 위치를 정하세요' },
    { key: 'facilities_unconfirmed', text: `의뢰 가능 여부를 ${q.referral_confirm_days}일 넘게 확인하지 않은 기관`, unit: '곳', hint: '기관에 확인하세요' },
  ];
}

/** Buttons, one per check, each with its count; `onPick(key)` opens the list behind it. */
export function qualityButtons(q, onPick, { compact = false } = {}) {
  return qualityItems(q).map((item) => {
    const n = q[item.key] || 0;
    return h('button', {
      type: 'button', class: `quality-item${n ? ' has-count' : ''}`, dataset: { key: item.key, count: String(n) },
      attrs: { title: `${item.text}: ${formatCount(n)}${item.unit}${n ? ` — ${item.hint}` : ''}` },
      on: { click: () => onPick(item.key) },
    },
    h('span', { class: 'quality-label', text: item.text }),
    h('strong', { class: 'quality-count', text: `${formatCount(n)}${compact ? '' : item.unit}` }));
  });
}

/** Facilities of the area whose referral capacity is unconfirmed: confirm each after calling it. */
export class FacilityCheckDialog {
  constructor() {
    this.root = h('dialog', { id: 'facility-check-dialog', class: 'job-dialog', attrs: { 'aria-labelledby': 'facility-check-title' } });
    document.body.append(this.root);
    this.root.addEventListener('close', () => { replace(this.root); if (this.onClose) this.onClose(); });
    this.onClose = null;
  }

  /** `dongIds`: the area's dongs (empty: the whole district); `days`: the confirmation limit. */
  async open(dongIds, days, { onClose = null } = {}) {
    this.onClose = onClose;
    const list = h('ul', { class: 'check-list', attrs: { 'aria-label': '확인할 기관' } });
    const message = h('p', { class: 'job-message', attrs: { role: 'alert' }, hidden: true });
    const close = h('button', { type: 'button', text: '닫기', on: { click: () => this.root.close() } });
    replace(this.root, h('div', { class: 'job-form' },
      h('h2', { id: 'facility-check-title', text: `의뢰 가능 여부 확인 (${days}일 경과)` }),
      h('p', { class: 'job-note', text: '기관에 전화해 지금 의뢰를 받는지 확인한 뒤 누르세요. 확인한 날짜가 오늘로 기록됩니다.' }),
      message, list, h('div', { class: 'job-buttons' }, close)));
    if (!this.root.open) this.root.showModal();
    const say = (text, ok = false) => {
      message.textContent = text;
      message.classList.toggle('ok', ok);
      message.hidden = !text;
    };
    try {
      const data = await api.get('/facilities', { unconfirmed: 'true', dong_id: dongIds, limit: 200 });
      if (!data.items.length) say('확인할 기관이 없습니다.', true);
      replace(list, data.items.map((f) => this._row(f, say)));
    } catch (err) {
      say(err.message);
    }
  }

  _row(f, say) {
    const state = h('span', { class: 'check-state', text: f.referrals_confirmed_on ? `${formatDate(f.referrals_confirmed_on)} 확인` : '확인 기록 없음' });
    const confirm = async (accepting, button) => {
      button.disabled = true;
      try {
        const saved = await api.post(`/facilities/${f.id}/confirm-referrals`, { accepting_referrals: accepting, version: f.version });
        Object.assign(f, saved);
        state.textContent = `${formatDate(saved.referrals_confirmed_on)} 확인 · ${accepting ? '의뢰 가능' : '의뢰 중단'}`;
        row.classList.add('confirmed');
        say(`${f.name}: 확인했습니다.`, true);
      } catch (err) {
        say(err instanceof ApiError && err.status === 409 ? `${f.name}: 다른 사람이 먼저 고쳤습니다. 창을 닫고 다시 여세요.` : err.message);
      } finally {
        button.disabled = false;
      }
    };
    const yes = h('button', { type: 'button', class: 'primary', text: '의뢰 가능' });
    const no = h('button', { type: 'button', text: '의뢰 중단' });
    yes.addEventListener('click', () => confirm(true, yes));
    no.addEventListener('click', () => confirm(false, no));
    const row = h('li', { class: 'check-row', dataset: { facilityId: String(f.id) } },
      h('div', { class: 'check-name' }, h('strong', { text: f.name }), ' ',
        h('span', { class: 'check-category', text: label(FACILITY_CATEGORIES, f.category) })),
      h('div', { class: 'check-meta' }, f.phone ? h('a', { href: `tel:${f.phone}`, text: f.phone }) : null, state),
      h('div', { class: 'check-buttons' }, yes, no));
    return row;
  }
}
