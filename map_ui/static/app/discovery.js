// The household panel's 발굴 조사 section: the 복지사각지대 발굴 list rounds the household was on (newest first),
// with the crisis-data signals the list brought (kept apart from what a visit found), the 조사 기한 and a small
// form for the 연락 결과 and 조사 결과 keyed back into 발굴관리시스템 from the round's results file.

import { ApiError, api } from './api.js';
import { formatDate, h, replace } from './dom.js';
import { DISCOVERY_CONTACTS, DISCOVERY_OUTCOMES, label } from './vocab.js';

function seoulToday() {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Seoul' }).format(new Date());
}

function select(name, title, table, value) {
  const el = h('select', { name, attrs: { 'aria-label': title } },
    h('option', { value: '', text: '아직 없음' }),
    ...Object.entries(table).map(([code, text]) => h('option', { value: code, text })));
  el.value = value || '';
  return el;
}

/** One round's entry: what the list said, what was recorded, and (staff) the form to record it. */
function entryView(hh, entry, { canEdit, onStale }) {
  const li = h('li', { class: 'discovery-item', dataset: { importId: String(entry.import_id), round: entry.round || '' } });
  const draw = (e, saved = false) => {
    const overdue = e.due_on && !e.outcome && e.due_on < seoulToday();
    const status = [
      e.contact ? label(DISCOVERY_CONTACTS, e.contact) : '미연락',
      e.outcome ? label(DISCOVERY_OUTCOMES, e.outcome) : null,
    ].filter(Boolean).join(' · ');
    const parts = [
      h('div', { class: 'discovery-head' },
        h('strong', { text: `발굴 ${e.round || ''}` }),
        e.due_on ? h('span', { class: `discovery-due${overdue ? ' overdue' : ''}`, text: `조사 기한 ${formatDate(e.due_on)}${overdue ? ' (경과)' : ''}` }) : null),
      e.signals && e.signals.length
        ? h('div', { class: 'chips discovery-signals', attrs: { 'aria-label': '위기 정보 (발굴 명단)' } }, e.signals.map((s) => h('span', { class: 'chip chip-signal', text: s })))
        : null,
      h('div', { class: 'discovery-status', text: `기록: ${status}` }),
      e.note ? h('div', { class: 'visit-notes discovery-note', text: e.note }) : null,
      saved ? h('p', { class: 'saved-note', attrs: { role: 'status' }, text: '조사 결과를 저장했습니다.' }) : null,
    ];
    replace(li, ...parts);
    if (canEdit) li.append(form(e));
  };
  const form = (e) => {
    const contact = select('contact', '연락 결과', DISCOVERY_CONTACTS, e.contact);
    const outcome = select('outcome', '조사 결과', DISCOVERY_OUTCOMES, e.outcome);
    const note = h('textarea', { name: 'note', rows: 2, maxLength: 1000, value: e.note || '', placeholder: '처리 메모 (선택)' });
    const message = h('p', { class: 'form-message', attrs: { role: 'alert' }, hidden: true });
    const save = h('button', { type: 'submit', class: 'primary', text: '조사 결과 저장' });
    const f = h('form', { class: 'discovery-form', noValidate: true },
      h('div', { class: 'discovery-fields' },
        h('label', { class: 'field' }, '연락 결과', contact),
        h('label', { class: 'field' }, '조사 결과', outcome)),
      h('label', { class: 'field' }, '처리 메모', note), message,
      h('div', { class: 'form-actions' }, save));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!outcome.value && !contact.value) {
        message.textContent = '연락 결과나 조사 결과를 고르세요.';
        message.hidden = false;
        return;
      }
      if (outcome.value && !contact.value) {
        message.textContent = '조사 결과를 적으려면 연락 결과도 고르세요.';
        message.hidden = false;
        return;
      }
      save.disabled = true;
      try {
        const fresh = await api.post(`/households/${hh.id}/discovery`, {
          import_id: e.import_id, contact: contact.value || null, outcome: outcome.value || null,
          note: note.value.trim() || null, version: e.version,
        });
        draw({ ...e, ...fresh }, true);
      } catch (err) {
        save.disabled = false;
        message.textContent = err instanceof ApiError && err.status === 409
          ? `${err.message} 가구 정보를 다시 불러옵니다.` : `저장하지 못했습니다: ${err.message}`;
        message.hidden = false;
        if (err instanceof ApiError && err.status === 409) setTimeout(onStale, 1500);
      }
    });
    return f;
  };
  draw(entry);
  return li;
}

/** The section's content for a household's `discovery` entries (null when it was on no 발굴 list). */
export function discoveryList(hh, { canEdit, onStale }) {
  const entries = hh.discovery || [];
  if (!entries.length) return null;
  return h('ol', { class: 'discovery-list' }, entries.map((e) => entryView(hh, e, { canEdit, onStale })));
}
