// The form to record a visit or phone check-in (POST /households/{id}/visits).

import { api } from './api.js';
import { h } from './dom.js';
import { CONTACT_TYPES, INDICATORS, NEEDS, RISK_LABELS, VISITOR_TYPES } from './vocab.js';

function localNow() {
  const d = new Date();
  d.setSeconds(0, 0);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function checkboxGroup(name, table, checked = []) {
  return h('div', { class: `check-group check-${name}` }, Object.entries(table).map(([code, text]) => h('label', {},
    h('input', { type: 'checkbox', name, value: code, checked: checked.includes(code) }), text)));
}

function values(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

/** The body of POST /visits from the form's fields, or a Korean message saying what is missing. */
export function visitBody(form) {
  const at = form.elements.visited_at.value;
  if (!at) return { error: '방문 일시를 입력하세요.' };
  const when = new Date(at);
  if (Number.isNaN(when.getTime())) return { error: '방문 일시가 올바르지 않습니다.' };
  if (when.getTime() > Date.now() + 5 * 60 * 1000) return { error: '방문 일시는 미래일 수 없습니다.' };
  const visitorTypes = values(form, 'visitor_types');
  if (!visitorTypes.length) return { error: '방문 주체를 하나 이상 고르세요.' };
  const body = {
    visited_at: when.toISOString(),
    contact_type: form.elements.contact_type.value || 'visit',
    visitor_types: visitorTypes,
    indicators: values(form, 'indicators'),
    needs: values(form, 'needs'),
  };
  const notes = form.elements.notes.value.trim();
  if (notes) body.notes = notes;
  const override = form.elements.risk_override.value;
  if (override) {
    const reason = form.elements.override_reason.value.trim();
    if (!reason) return { error: '위험도를 직접 정할 때는 사유를 적어야 합니다.' };
    body.risk_override = override;
    body.override_reason = reason;
  }
  return { body };
}

/**
 * Build the form for one household; `onSaved(answer)` gets the API's {visit, household}. `submit(body)` replaces
 * the POST (the round view queues a draft instead); `contactType` picks the method ('phone' for 전화 기록).
 */
export function visitForm(household, { onSaved, onCancel, submit: send = null, contactType = 'visit' }) {
  const message = h('p', { class: 'form-message', attrs: { role: 'alert' }, hidden: true });
  const reasonField = h('label', { class: 'field', hidden: true }, '위험도 변경 사유 (필수)',
    h('textarea', { name: 'override_reason', rows: 2, maxLength: 4000 }));
  const overrideSelect = h('select', { name: 'risk_override' },
    h('option', { value: '', text: '지표로 자동 판정' }),
    ...['high', 'medium', 'low'].map((lvl) => h('option', { value: lvl, text: `${RISK_LABELS[lvl]}(으)로 지정` })));
  overrideSelect.addEventListener('change', () => { reasonField.hidden = !overrideSelect.value; });
  const submit = h('button', { type: 'submit', class: 'primary', text: '기록 저장' });
  const form = h('form', { class: 'visit-form', attrs: { 'aria-label': '방문·전화 기록' } },
    h('h3', { text: '방문·전화 기록' }),
    h('label', { class: 'field' }, '일시', h('input', { type: 'datetime-local', name: 'visited_at', value: localNow(), required: true })),
    h('fieldset', {}, h('legend', { text: '방법' }), h('div', { class: 'radio-row' },
      Object.entries(CONTACT_TYPES).map(([code, text]) => h('label', {},
        h('input', { type: 'radio', name: 'contact_type', value: code, checked: code === contactType }), text)))),
    h('fieldset', {}, h('legend', { text: '방문 주체 (함께 간 사람 모두)' }), checkboxGroup('visitor_types', VISITOR_TYPES, ['official'])),
    h('fieldset', {}, h('legend', { text: '발견한 위기 지표' }), checkboxGroup('indicators', INDICATORS)),
    h('fieldset', {}, h('legend', { text: '욕구' }), checkboxGroup('needs', NEEDS, household.needs || [])),
    h('label', { class: 'field' }, '메모', h('textarea', { name: 'notes', rows: 3, maxLength: 4000 })),
    h('label', { class: 'field' }, '위험도 직접 지정 (선택)', overrideSelect),
    reasonField,
    message,
    h('div', { class: 'form-actions' }, submit,
      h('button', { type: 'button', text: '취소', on: { click: () => onCancel() } })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const { body, error } = visitBody(form);
    message.hidden = true;
    if (error) {
      message.textContent = error;
      message.hidden = false;
      return;
    }
    submit.disabled = true;
    submit.textContent = '저장 중…';
    try {
      const answer = send ? await send(body) : await api.post(`/households/${household.id}/visits`, body);
      onSaved(answer);
    } catch (err) {
      message.textContent = err.missing && err.status !== 404
        ? '방문 기록 기능이 아직 준비되지 않았습니다.'
        : `저장하지 못했습니다: ${err.message}`;
      message.hidden = false;
    } finally {
      submit.disabled = false;
      submit.textContent = '기록 저장';
    }
  });
  return form;
}
