// Printing a round and exporting the list from the screen. A small dialog asks why (the purpose goes to the
// access record with every household in the file), the file is fetched with the bearer token and saved under
// the name the server gives it (천연동-4통-2026-12-02.pdf).

import { api, saveFile } from './api.js';
import { h, replace } from './dom.js';
import { NEEDS, OVERDUE_LABEL, PLACEMENTS, RISK_LABELS, label } from './vocab.js';

const OTHER = '__other__';
const PRINT_PURPOSES = ['현장 방문', '통장 회의', '복지통장 순회 방문', '방문간호사 동행 방문'];
const EXPORT_PURPOSES = ['월간 현황 보고', '구청 보고', '사례 회의', '서비스 연계 의뢰'];

/** A purpose chooser: common reasons plus free text. `value()` is the reason or '' when none is given. */
function purposeField(title, choices) {
  const select = h('select', { name: 'purpose-choice', attrs: { 'aria-label': title } },
    h('option', { value: '', text: '사유를 고르세요' }),
    ...choices.map((c) => h('option', { value: c, text: c })),
    h('option', { value: OTHER, text: '직접 입력…' }));
  const text = h('input', {
    type: 'text', name: 'purpose-text', maxLength: 200, hidden: true, placeholder: '사유를 적으세요 (2자 이상)',
    attrs: { 'aria-label': `${title} 직접 입력` },
  });
  select.addEventListener('change', () => {
    text.hidden = select.value !== OTHER;
    if (!text.hidden) text.focus();
  });
  return {
    el: h('label', { class: 'field' }, `${title} (필수 · 접속기록에 남습니다)`, select, text),
    value: () => (select.value === OTHER ? text.value : select.value).replace(/\s+/g, ' ').trim(),
    focus: () => (select.value === OTHER ? text : select).focus(),
  };
}

function choice(name, value, text, checked = false) {
  return h('label', { class: 'check' }, h('input', { type: 'radio', name, value, checked }), text);
}

function chosen(form, name) {
  const input = form.querySelector(`input[name="${name}"]:checked`);
  return input ? input.value : null;
}

/** The filters of the list that narrow a file, in words (empty when none). */
export function describeFilters(f) {
  const parts = [];
  if (f.risk.length) parts.push(f.risk.map((r) => RISK_LABELS[r] || r).join('·'));
  if (f.need.length) parts.push(`욕구: ${f.need.map((n) => label(NEEDS, n)).join('·')}`);
  if (f.overdue) parts.push(OVERDUE_LABEL);
  if (f.placement && f.placement.length) parts.push(f.placement.map((p) => label(PLACEMENTS, p)).join('·'));
  if (f.round) parts.push(`발굴 ${f.round}`);
  return parts.join(', ');
}

function here() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error('이 기기에서는 현재 위치를 쓸 수 없습니다.')); return; }
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve(`${pos.coords.longitude.toFixed(6)},${pos.coords.latitude.toFixed(6)}`),
      () => reject(new Error('현재 위치를 알 수 없습니다. 위치 권한을 허용하거나 출발점을 동 주민센터로 고르세요.')),
      { timeout: 8000, maximumAge: 60_000 });
  });
}

/** One modal dialog: a title, a form, a message line and the buttons; `run` does the job on submit. */
class JobDialog {
  constructor(id) {
    this.root = h('dialog', { id, class: 'job-dialog', attrs: { 'aria-labelledby': `${id}-title` } });
    document.body.append(this.root);
    this.root.addEventListener('close', () => replace(this.root));
  }

  show(title, fields, submitText, run) {
    const message = h('p', { class: 'job-message', attrs: { role: 'alert' }, hidden: true });
    const submit = h('button', { type: 'submit', class: 'primary', text: submitText });
    const cancel = h('button', { type: 'button', text: '닫기', on: { click: () => this.root.close() } });
    const form = h('form', { class: 'job-form', method: 'dialog', noValidate: true },
      h('h2', { id: `${this.root.id}-title`, text: title }), ...fields, message,
      h('div', { class: 'job-buttons' }, cancel, submit));
    const say = (text, ok = false) => {
      message.textContent = text;
      message.classList.toggle('ok', ok);
      message.hidden = !text;
    };
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      say('');
      submit.disabled = true;
      const label = submit.textContent;
      submit.textContent = '만드는 중…';
      try {
        const done = await run(form, say);
        if (done) say(done, true);
      } catch (err) {
        say(err.message || '파일을 만들지 못했습니다.');
      } finally {
        submit.disabled = false;
        submit.textContent = label;
      }
    });
    replace(this.root, form);
    if (!this.root.open) this.root.showModal();
    return form;
  }
}

export class PrintDialog extends JobDialog {
  constructor() {
    super('print-dialog');
  }

  /** `place`: {dongId, dongName, tractId?, tractName?}; `filters`: the list's filters (applied if chosen). */
  open(place, filters) {
    const purpose = purposeField('출력 사유', PRINT_PURPOSES);
    filters = { ...filters, placement: [], round: '' }; // a printout filters by level, needs and overdue only
    const narrowed = describeFilters(filters);
    const useFilters = h('input', { type: 'checkbox', name: 'filtered', checked: Boolean(narrowed) });
    const scope = place.tractId
      ? h('fieldset', { class: 'job-choices' }, h('legend', { text: '범위' }),
        choice('scope', 'tract', `${place.tractName} (한 통)`, true),
        choice('scope', 'dong', `${place.dongName} 전체 통 (통마다 한 장씩)`))
      : h('p', { class: 'job-note', text: `${place.dongName}의 모든 통을 통 순서대로 한 장씩 인쇄합니다.` });
    const format = h('fieldset', { class: 'job-choices' }, h('legend', { text: '파일' }),
      choice('format', 'pdf', 'PDF (A4 인쇄용)', true),
      choice('format', 'html', '오프라인 지도 (HTML, 휴대폰에 저장)'));
    const syncFormat = () => {
      const tract = place.tractId && chosen(format.closest('form'), 'scope') === 'tract';
      for (const input of format.querySelectorAll('input[value="html"]')) {
        input.disabled = !tract;
        if (!tract && input.checked) format.querySelector('input[value="pdf"]').checked = true;
      }
    };
    const fields = [
      h('p', { class: 'job-note', text: '이름은 가려서 인쇄됩니다. 출력물은 방문 후 파쇄하세요.' }),
      purpose.el, scope, format,
      h('fieldset', { class: 'job-choices' }, h('legend', { text: '방문 순서' }),
        choice('order', 'route', '가까운 길 순서', true), choice('order', 'urgent', '고위험·기한 경과 가구 먼저')),
      h('fieldset', { class: 'job-choices' }, h('legend', { text: '출발점' }),
        choice('start', 'office', '동 주민센터', true), choice('start', 'here', '지금 내 위치')),
      narrowed ? h('label', { class: 'check' }, useFilters, `목록 필터만 인쇄 (${narrowed})`) : null,
    ];
    const form = this.show(place.tractName ? `${place.tractName} 현장 방문 지도 인쇄` : `${place.dongName} 현장 방문 지도 인쇄`,
      fields, '인쇄 파일 받기', async (f, say) => {
        const reason = purpose.value();
        if (reason.length < 2) {
          purpose.focus();
          throw new Error('출력 사유를 고르거나 두 글자 이상 적으세요. 개인정보가 담긴 출력물은 사유와 함께 기록됩니다.');
        }
        const params = { purpose: reason, urgent_first: chosen(f, 'order') === 'urgent' ? 'true' : null };
        if (chosen(f, 'start') === 'here') {
          say('현재 위치를 확인하는 중…', true);
          params.start = await here();
        }
        if (narrowed && useFilters.checked) {
          Object.assign(params, { risk: filters.risk, need: filters.need, overdue: filters.overdue ? 'true' : null });
        }
        const tract = place.tractId && chosen(f, 'scope') === 'tract';
        const ext = chosen(f, 'format') === 'html' && tract ? 'html' : 'pdf';
        const path = tract ? `/print/tracts/${place.tractId}.${ext}` : `/print/dongs/${place.dongId}.pdf`;
        const file = await api.file(path, params);
        saveFile(file);
        return `받았습니다: ${file.name}`;
      });
    for (const input of form.querySelectorAll('input[name="scope"]')) input.addEventListener('change', syncFormat);
    syncFormat();
  }
}

export class ExportDialog extends JobDialog {
  constructor() {
    super('export-dialog');
  }

  /** `params`: the list's query (filters and sort, no paging); `total`: how many rows the list has. */
  open(params, total, filters, { capped = false, mayReveal = false } = {}) {
    const purpose = purposeField('내보내기 사유', EXPORT_PURPOSES);
    const narrowed = describeFilters(filters);
    const reveal = h('input', { type: 'checkbox', name: 'reveal' });
    const fields = [
      h('p', { class: 'job-note', text: `지금 목록의 ${total.toLocaleString('ko-KR')}가구${capped ? ' 이상' : ''}를 목록 순서대로 내려받습니다`
        + (narrowed ? ` (${narrowed}).` : '.') }),
      purpose.el,
      h('fieldset', { class: 'job-choices' }, h('legend', { text: '파일 형식' }),
        choice('format', 'xlsx', '엑셀 (XLSX)', true), choice('format', 'csv', 'CSV (UTF-8)')),
      mayReveal ? h('label', { class: 'check' }, reveal, '실명·전화번호 포함 (담당 업무에만, 기록됩니다)') : null,
    ];
    this.show('가구 목록 내보내기', fields, '내려받기', async (f) => {
      const reason = purpose.value();
      if (reason.length < 2) {
        purpose.focus();
        throw new Error('내보내기 사유를 고르거나 두 글자 이상 적으세요. 내려받은 가구는 사유와 함께 기록됩니다.');
      }
      const query = { ...params, purpose: reason, reveal: reveal.checked ? 'true' : null };
      const file = await api.file(`/exports/households.${chosen(f, 'format')}`, query);
      saveFile(file);
      return `받았습니다: ${file.name}`;
    });
  }
}

const DISCOVERY_PURPOSES = ['발굴관리시스템 결과 입력', '구청 보고', '사례 회의'];

/** A 발굴 list round's results (the round's own columns plus 연락 결과, 조사 결과, …) as XLSX, with a purpose. */
export class DiscoveryExportDialog extends JobDialog {
  constructor() {
    super('discovery-export-dialog');
  }

  /** `round`: an item of GET /discovery/rounds. */
  open(round) {
    const purpose = purposeField('내려받기 사유', DISCOVERY_PURPOSES);
    const fields = [
      h('p', { class: 'job-note', text: `${round.round} 명단 ${round.rows.toLocaleString('ko-KR')}명을 받은 열 그대로, 연락 결과·조사 결과·처리 메모·처리일·처리자 열을 붙여 내려받습니다. 발굴관리시스템에 한 번만 입력하면 됩니다.` }),
      purpose.el,
    ];
    this.show(`${round.round} 조사 결과 내려받기`, fields, '내려받기', async () => {
      const reason = purpose.value();
      if (reason.length < 2) {
        purpose.focus();
        throw new Error('내려받기 사유를 고르거나 두 글자 이상 적으세요. 내려받은 명단은 사유와 함께 기록됩니다.');
      }
      const file = await api.file('/exports/discovery-results.xlsx', { import_id: round.import_id, purpose: reason });
      saveFile(file);
      return `받았습니다: ${file.name}`;
    });
  }
}
