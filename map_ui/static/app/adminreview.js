// The 개인정보 접근 기록 점검 tab: the month's access records as the 개인정보 보호책임자 reviews them (top
// accessors, off-hours use, bulk views, printouts and downloads) and 내보내기 as a CSV file. Reading and
// exporting the review are themselves recorded.

import { ApiError, api, saveFile } from './api.js';
import { formatCount, formatDateTime, h, replace } from './dom.js';
import { ACCESS_ACTIONS, ROLES, label } from './vocab.js';

const MONTHS_BACK = 36; // access records are kept at least two years; the picker reaches three

/** `2026-12` and the months before it, newest first (Seoul time), as the picker's choices. */
function recentMonths() {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit' }).formatToParts(new Date());
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  let year = get('year');
  let month = get('month');
  const months = [];
  for (let i = 0; i < MONTHS_BACK; i += 1) {
    months.push({ value: `${year}-${String(month).padStart(2, '0')}`, text: `${year}년 ${month}월` });
    month -= 1;
    if (month === 0) { month = 12; year -= 1; }
  }
  return months;
}

function table(id, headers, rows, empty) {
  const body = rows.length ? rows : [h('tr', {}, h('td', { colSpan: headers.length, class: 'empty-row', text: empty }))];
  return h('div', { class: 'table-wrap' }, h('table', { id, class: 'admin-table' },
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col', text: t })))), h('tbody', {}, body)));
}

function entryRows(entries, purpose = false) {
  return entries.map((e) => h('tr', {},
    h('td', { dataset: { label: '시각' }, text: formatDateTime(e.at) }),
    h('td', { dataset: { label: '계정' }, text: `${e.username} (${label(ROLES, e.role || '-')})` }),
    h('td', { dataset: { label: '행위' }, text: label(ACCESS_ACTIONS, e.action) }),
    h('td', { class: 'cell-detail', dataset: { label: '대상' }, text: e.resource }),
    h('td', { class: 'num', dataset: { label: '가구 수' }, text: formatCount(e.households) }),
    purpose ? h('td', { class: 'cell-detail', dataset: { label: '사유' }, text: e.purpose || '(없음)' }) : null));
}

export class ReviewPane {
  constructor(root, { onForbidden }) {
    this.root = root;
    this.onForbidden = onForbidden;
    this.loaded = null;
  }

  reset() {
    this.loaded = null;
    replace(this.root);
  }

  start() {
    this.month = h('select', { id: 'review-month', attrs: { 'aria-label': '점검할 달' } },
      ...recentMonths().map((m) => h('option', { value: m.value, text: m.text })));
    this.month.addEventListener('change', () => this.load());
    this.view = h('button', { type: 'submit', id: 'review-show', class: 'primary', text: '보기' });
    this.exportButton = h('button', { type: 'button', id: 'review-export', text: '내보내기', on: { click: () => this.export() } });
    this.status = h('p', { class: 'job-message', id: 'review-message', attrs: { role: 'alert' }, hidden: true });
    this.result = h('div', { id: 'review-result', class: 'review-result' });
    const form = h('form', { class: 'admin-toolbar', id: 'review-form', noValidate: true },
      h('label', { class: 'field inline-field' }, '점검할 달', this.month), this.view, h('span', { class: 'toolbar-gap' }), this.exportButton);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.load(); });
    replace(this.root,
      h('p', { class: 'review-lead', text: '개인정보 보호책임자의 월간 접속기록 점검: 접속이 많은 계정, 업무시간 외 접속, 대량 조회, 출력·내려받기. 이 점검을 보고 내보내는 것도 접속기록에 남습니다.' }),
      form, this.status, this.result);
  }

  show() {
    if (this.loaded === null) this.load();
  }

  say(text, ok = false) {
    this.status.textContent = text || '';
    this.status.classList.toggle('ok', ok);
    this.status.hidden = !text;
  }

  chosenMonth() {
    const month = this.month.value.trim();
    if (!month) {
      this.say('점검할 달을 YYYY-MM 형식으로 고르세요 (예: 2026-11).');
      return null;
    }
    return month;
  }

  failed(err) {
    if (err instanceof ApiError && err.status === 403) { this.onForbidden(err.message); return; }
    if (err instanceof ApiError && err.status === 401) return;
    this.say(err.message);
  }

  async load() {
    const month = this.chosenMonth();
    if (!month) return;
    this.view.disabled = true;
    try {
      const r = await api.get('/admin/access-review', { month });
      this.loaded = r.month;
      this.say('');
      this.draw(r);
    } catch (err) {
      replace(this.result);
      this.loaded = null;
      this.failed(err);
    } finally {
      this.view.disabled = false;
    }
  }

  async export() {
    const month = this.chosenMonth();
    if (!month) return;
    this.exportButton.disabled = true;
    try {
      saveFile(await api.file('/admin/access-review.csv', { month }));
      this.say(`${month} 점검 보고서를 내려받았습니다 (CSV).`, true);
    } catch (err) {
      this.failed(err);
    } finally {
      this.exportButton.disabled = false;
    }
  }

  draw(r) {
    const top = r.top_accessors.map((a) => h('tr', {},
      h('td', { dataset: { label: '계정' }, text: a.username }),
      h('td', { dataset: { label: '역할' }, text: label(ROLES, a.role || '-') }),
      h('td', { class: 'num', dataset: { label: '기록 수' }, text: formatCount(a.records) }),
      h('td', { class: 'num', dataset: { label: '가구(중복 포함)' }, text: formatCount(a.households) }),
      h('td', { class: 'num', dataset: { label: '서로 다른 가구' }, text: formatCount(a.distinct_households) }),
      h('td', { class: 'num', dataset: { label: '업무시간 외' }, text: formatCount(a.off_hours) })));
    const entryHeads = ['시각', '계정', '행위', '대상', '가구 수'];
    replace(this.result,
      h('p', { class: 'review-summary' },
        h('strong', { text: `${r.month} 전체 기록 ${formatCount(r.total)}건` }),
        ` · ${formatDateTime(r.start)} ~ ${formatDateTime(r.end)}`),
      h('h2', { text: '1. 접속이 많은 계정' }),
      table('review-top', ['계정', '역할', '기록 수', '가구(중복 포함)', '서로 다른 가구', '업무시간 외'], top, '기록이 없습니다.'),
      h('h2', { text: `2. 업무시간 외 접속 (평일 8시 전·20시 이후, 주말) ${formatCount(r.off_hours_total)}건` }),
      table('review-offhours', entryHeads, entryRows(r.off_hours), '없습니다.'),
      h('h2', { text: `3. 대량 조회 (한 번에 가구 ${r.bulk_threshold}곳 이상) ${formatCount(r.bulk_views.length)}건` }),
      table('review-bulk', entryHeads, entryRows(r.bulk_views), '없습니다.'),
      h('h2', { text: `4. 출력·내려받기 ${formatCount(r.downloads.length)}건` }),
      table('review-downloads', [...entryHeads, '사유'], entryRows(r.downloads, true), '없습니다.'));
  }
}
