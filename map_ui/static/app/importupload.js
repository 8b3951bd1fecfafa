// The 가져오기 tab: choose the kind of list and the file (.xlsx or .csv; a 발굴 list names its 차수), upload it
// for a preview (nothing in the registry changes yet), see what each row would become (counts by outcome, which
// filter the rows table), correct the column mapping and preview again, then 반영 (commit, after a confirmation
// that says what will happen) or 취소 (discard). Below, the recent imports.

import { ApiError, api } from './api.js';
import { formatCount, formatDate, formatDateTime, h, replace } from './dom.js';
import { StaffPane } from './staffpage.js';
import { IMPORT_KINDS, IMPORT_OUTCOMES, label } from './vocab.js';

const PAGE = 50;
const RECENT = 10;
const OUTCOME_ORDER = ['new', 'matched', 'unplaced', 'error', 'out_of_scope'];
const STATUS_LABELS = { previewed: '미리보기', committed: '반영함', discarded: '취소함' };
// What committing a preview does, by kind: the words of the confirmation.
const KIND_HINTS = {
  households: '가구 명단: 새 가구를 등록하고 기존 가구의 정보를 갱신합니다. 주소로 위치를 찾지 못한 행은 위치 지정 대기로 갑니다.',
  discovery_list: '발굴 대상자 명단: 대상자마다 차수와 위기 정보(단전·건보료 체납 등), 조사 기한을 가구에 붙입니다.',
  registry_changes: '주민등록 변동 자료: 사망·전출·전입·세대 합가를 확인 대기함에 넣습니다. 담당자가 확인하기 전에는 가구에 반영하지 않습니다.',
};

function outcomeClass(code) {
  return `outcome outcome-${code}`;
}

/** The sentence list a confirmation shows: what commit will write and what it leaves out. */
export function commitPlan(imp) {
  const c = imp.counts || {};
  const lines = [];
  if (imp.kind === 'registry_changes') {
    const matched = (c.matched || 0) + (c.new || 0);
    if (matched) lines.push(`변동 ${formatCount(matched)}건을 확인 대기함에 넣습니다 (가구는 담당자가 반영할 때 바뀝니다).`);
    if (c.unplaced) lines.push(`일치하는 가구가 없는 ${formatCount(c.unplaced)}건은 '일치하는 가구 없음'으로 남깁니다.`);
  } else {
    if (c.new) lines.push(`새 가구 ${formatCount(c.new)}곳을 등록합니다.`);
    if (c.matched) lines.push(`기존 가구 ${formatCount(c.matched)}곳의 정보를 갱신합니다.`);
    if (c.unplaced) lines.push(`주소로 위치를 찾지 못한 ${formatCount(c.unplaced)}건은 위치 지정 대기로 보냅니다 (지도에 임의로 놓지 않습니다).`);
    if (imp.kind === 'discovery_list' && imp.round) {
      lines.push(`차수 ${imp.round}${imp.due_on ? `, 조사 기한 ${formatDate(imp.due_on)}` : ''}로 기록합니다.`);
    }
  }
  const skipped = [c.error ? `오류 ${formatCount(c.error)}건` : null, c.out_of_scope ? `관할 밖 ${formatCount(c.out_of_scope)}건` : null]
    .filter(Boolean);
  if (skipped.length) lines.push(`${skipped.join('과 ')}은 반영하지 않습니다.`);
  if (!lines.length) lines.push('반영할 행이 없습니다.');
  return lines;
}

/** The summary after commit: `applied` {created, updated, queued, pending, unmatched, skipped}, by kind. */
function appliedText(applied, kind) {
  const a = applied || {};
  const parts = kind === 'registry_changes'
    ? [['확인 대기', a.pending], ['일치하는 가구 없음', a.unmatched], ['반영 안 함', a.skipped]]
    : [['새 가구', a.created], ['갱신', a.updated], ['위치 지정 대기', a.queued], ['반영 안 함', a.skipped]];
  return parts.map(([t, n]) => ({ t, n: n || 0 }));
}

export class UploadPane extends StaffPane {
  constructor(root, { onForbidden, onCommitted, openTab }) {
    super(root, { onForbidden });
    this.onCommitted = onCommitted;
    this.openTab = openTab;
    this.current = null; // the Import shown
    this.outcome = ''; // the rows table's filter
    this.page = 0;
    this.rowsTotal = 0;
    this.rowsLoaded = false;
    this.recentLoaded = false;
    this.dialog = null;
  }

  reset() {
    this.current = null;
    this.outcome = '';
    this.page = 0;
    this.rowsLoaded = false;
    this.recentLoaded = false;
    if (this.dialog) { this.dialog.remove(); this.dialog = null; }
    replace(this.root);
  }

  stale() { this.recentLoaded = false; }

  start() {
    const kind = h('select', { id: 'imp-kind', name: 'kind', required: true },
      ...Object.entries(IMPORT_KINDS).map(([code, text]) => h('option', { value: code, text })));
    this.fileInput = h('input', {
      id: 'imp-file', name: 'file', type: 'file', accept: '.xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv',
      required: true, class: 'file-input',
    });
    // The browser's own file button speaks the browser's language ("Choose File"): a Korean one stands in for it.
    this.fileName = h('span', { class: 'file-name', id: 'imp-file-name', text: '고른 파일 없음' });
    this.fileInput.addEventListener('change', () => {
      const file = this.fileInput.files[0];
      this.fileName.textContent = file ? file.name : '고른 파일 없음';
    });
    this.roundInput = h('input', {
      id: 'imp-round', name: 'round', type: 'text', maxLength: 30, placeholder: '예: 2026-6차', autocomplete: 'off',
    });
    this.roundField = h('label', { class: 'field', id: 'imp-round-field' }, '차수 (파일 이름이나 제목에 없으면 적으세요)', this.roundInput);
    this.kindHint = h('p', { class: 'form-hint', id: 'imp-kind-hint' });
    this.kind = kind;
    const syncKind = () => {
      this.roundField.hidden = kind.value !== 'discovery_list';
      this.kindHint.textContent = KIND_HINTS[kind.value] || '';
    };
    kind.addEventListener('change', syncKind);
    this.submit = h('button', { type: 'submit', class: 'primary', id: 'imp-submit', text: '올려서 미리보기' });
    this.message = h('p', { class: 'job-message', id: 'imp-message', attrs: { role: 'alert' }, hidden: true });
    this.form = h('form', { id: 'upload-form', class: 'imp-card upload-form', noValidate: true },
      h('h2', { text: '명단 올리기' }),
      h('div', { class: 'upload-grid' },
        h('label', { class: 'field' }, '자료 종류', kind),
        h('div', { class: 'field' }, h('span', { id: 'imp-file-label', text: '파일 (.xlsx, .csv)' }),
          h('label', { class: 'file-pick', attrs: { 'aria-labelledby': 'imp-file-label' } }, this.fileInput,
            h('span', { class: 'file-button', text: '파일 고르기' }), this.fileName)),
        this.roundField),
      this.kindHint,
      h('p', { class: 'form-hint', text: '올리면 먼저 미리보기만 만듭니다. 반영을 누르기 전에는 가구 정보가 바뀌지 않습니다. 주민등록번호 열은 암호화되어 화면과 기록에 나오지 않습니다.' }),
      h('div', { class: 'form-actions' }, this.submit));
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.upload(); });
    syncKind();

    this.preview = h('section', { id: 'imp-preview', class: 'imp-card', hidden: true, attrs: { 'aria-label': '미리보기' } });
    this.recentCount = h('span', { class: 'list-count' });
    this.recentBody = h('tbody');
    this.recentMore = h('button', { type: 'button', id: 'recent-more', text: '더 보기', hidden: true, on: { click: () => this.loadRecent(true) } });
    this.recentItems = [];
    const recent = h('section', { class: 'imp-recent', attrs: { 'aria-labelledby': 'recent-title' } },
      h('div', { class: 'admin-toolbar' }, h('h2', { id: 'recent-title', class: 'imp-h2', text: '최근 가져온 자료' }), this.recentCount),
      h('div', { class: 'table-wrap' }, h('table', { id: 'recent-table', class: 'admin-table' },
        h('thead', {}, h('tr', {}, ...['올린 때', '종류', '파일', '차수', '행', '상태', '올린 사람', ''].map((t) => h('th', { scope: 'col', text: t })))),
        this.recentBody)),
      h('div', { class: 'admin-pager' }, this.recentMore));
    replace(this.root, this.form, this.message, this.preview, recent);
  }

  async show() {
    if (!this.recentLoaded) await this.loadRecent();
  }

  async upload(mapping = null) {
    this.say('');
    const file = this.fileInput.files[0];
    if (!file) {
      this.say('올릴 파일을 고르세요 (.xlsx 또는 .csv).');
      this.fileInput.focus();
      return;
    }
    if (!/\.(xlsx|csv)$/i.test(file.name)) {
      this.say(`'${file.name}'은(는) 올릴 수 없는 형식입니다. 엑셀(.xlsx)이나 CSV(.csv) 파일을 고르세요.`);
      return;
    }
    const data = new FormData();
    data.append('kind', this.kind.value);
    data.append('file', file, file.name);
    const round = this.roundInput.value.trim();
    if (this.kind.value === 'discovery_list' && round) data.append('round', round);
    if (mapping) data.append('mapping', JSON.stringify(mapping));
    this.submit.disabled = true;
    this.submit.textContent = '읽는 중…';
    try {
      const imp = await api.upload('/imports', data);
      this.showImport(imp);
      this.recentLoaded = false;
      this.loadRecent();
    } catch (err) {
      this.failed(err);
      // A file whose columns the server could not tell apart: when the answer names the file's headers and the
      // kind's fields, the same mapping form is offered here and the file goes up again with it.
      const body = err instanceof ApiError ? err.body : null;
      if (body && Array.isArray(body.headers) && Array.isArray(body.fields)) {
        this.preview.hidden = false;
        replace(this.preview, h('h2', { class: 'imp-h2', text: `${file.name}: 열을 지정하세요` }),
          this.mappingForm({ headers: body.headers, fields: body.fields, mapping: body.mapping || {}, counts: {} },
            (chosen) => this.upload(chosen)));
      }
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = '올려서 미리보기';
    }
  }

  /** Show an import: a preview to check, or a committed one's summary. */
  showImport(imp, { applied = null } = {}) {
    this.current = imp;
    this.outcome = '';
    this.page = 0;
    if (imp.status === 'committed') this.drawCommitted(imp, applied);
    else this.drawPreview(imp);
    this.preview.hidden = false;
  }

  async open(id) {
    this.say('');
    try {
      this.showImport(await api.get(`/imports/${id}`));
      this.preview.scrollIntoView({ block: 'start', behavior: 'smooth' });
    } catch (err) {
      this.failed(err, '자료를 열지 못했습니다');
    }
  }

  heading(imp) {
    const facts = [
      label(IMPORT_KINDS, imp.kind),
      `${formatCount(imp.rows_total)}행`,
      imp.round ? `차수 ${imp.round}` : null,
      imp.due_on ? `조사 기한 ${formatDate(imp.due_on)}` : null,
    ].filter(Boolean);
    return h('div', { class: 'imp-head' },
      h('h2', { class: 'imp-h2' }, h('span', { class: 'imp-file', text: imp.file_name }),
        h('span', { class: `state imp-status status-${imp.status}`, text: STATUS_LABELS[imp.status] || imp.status })),
      h('p', { class: 'imp-facts', text: facts.join(' · ') }));
  }

  chips(imp) {
    const counts = imp.counts || {};
    const chip = (code, text, n) => {
      const on = this.outcome === code;
      return h('button', {
        type: 'button', class: `count-chip${code ? ` ${outcomeClass(code)}` : ''}`, dataset: { outcome: code },
        attrs: { 'aria-pressed': String(on) }, disabled: code !== '' && !n,
        on: { click: () => { this.outcome = on ? '' : code; this.page = 0; this.markChips(); this.loadRows(); } },
      }, h('span', { class: 'chip-label', text }), h('strong', { class: 'chip-count', text: formatCount(n) }));
    };
    return h('div', { id: 'imp-counts', class: 'count-chips', attrs: { role: 'group', 'aria-label': '결과별 행 수 (누르면 그 행만 보기)' } },
      chip('', '전체', imp.rows_total),
      ...OUTCOME_ORDER.map((code) => chip(code, label(IMPORT_OUTCOMES, code), counts[code] || 0)));
  }

  markChips() {
    for (const b of this.preview.querySelectorAll('.count-chip')) {
      b.setAttribute('aria-pressed', String(b.dataset.outcome === this.outcome));
    }
  }

  /** One select per field; `send(mapping)` is the corrected preview (default: POST the import's mapping). */
  mappingForm(imp, send = null) {
    const headers = imp.headers || [];
    const selects = (imp.fields || []).map((f) => {
      const chosen = imp.mapping ? imp.mapping[f.name] : null;
      const select = h('select', { name: f.name, dataset: { field: f.name }, attrs: { 'aria-label': f.label } },
        h('option', { value: '', text: '(쓰지 않음)' }),
        ...headers.map((text) => h('option', { value: text, text })));
      select.value = chosen && headers.includes(chosen) ? chosen : '';
      const missing = f.required && !chosen;
      return h('label', { class: `field map-field${f.required ? ' required' : ''}${missing ? ' missing' : ''}` },
        h('span', { class: 'map-label' }, f.label, f.required ? h('abbr', { class: 'req', title: '필수', text: ' *' }) : null),
        select);
    });
    const againText = send ? '이 연결로 다시 올리기' : '다시 미리보기';
    const again = h('button', { type: 'submit', id: 'imp-remap', class: send ? 'primary' : '', text: againText });
    const form = h('form', { id: 'mapping-form', class: 'mapping-form', noValidate: true },
      h('details', { class: 'mapping-box', open: Boolean(send || (imp.counts && imp.counts.error) || (imp.fields || []).some((f) => f.required && !imp.mapping[f.name])) },
        h('summary', { text: `열 연결 (${(imp.fields || []).filter((f) => imp.mapping && imp.mapping[f.name]).length}/${(imp.fields || []).length}개 연결됨)` }),
        h('p', { class: 'form-hint', text: '파일의 어느 열이 어느 항목인지 고르세요. *는 꼭 있어야 하는 항목입니다. 고친 연결은 같은 양식의 다음 파일에 그대로 쓰입니다.' }),
        h('div', { class: 'map-grid' }, selects),
        h('div', { class: 'form-actions' }, again)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const mapping = {};
      for (const s of form.querySelectorAll('select')) mapping[s.dataset.field] = s.value || null;
      again.disabled = true;
      again.textContent = '다시 읽는 중…';
      this.say('');
      if (send) {
        await send(mapping);
        again.disabled = false;
        again.textContent = againText;
        return;
      }
      try {
        const fresh = await api.post(`/imports/${imp.id}/mapping`, { mapping, version: imp.version });
        this.showImport(fresh);
        this.say('고친 열 연결로 다시 미리보기를 만들었습니다.', true);
      } catch (err) {
        again.disabled = false;
        again.textContent = againText;
        if (err instanceof ApiError && err.status === 409) { await this.reloadAfterConflict(err); return; }
        this.failed(err);
      }
    });
    return form;
  }

  async reloadAfterConflict(err) {
    const id = this.current && this.current.id;
    if (!id) return;
    try {
      this.showImport(await api.get(`/imports/${id}`));
    } catch { /* the message below says what happened */ }
    this.say(`${err.message} 최신 상태를 다시 불러왔습니다.`);
  }

  drawPreview(imp) {
    this.rowsBody = h('tbody');
    this.rowsCount = h('span', { class: 'list-count', id: 'rows-count' });
    this.prev = h('button', { type: 'button', id: 'rows-prev', text: '이전', disabled: true, on: { click: () => { this.page -= 1; this.loadRows(); } } });
    this.next = h('button', { type: 'button', id: 'rows-next', text: '다음', disabled: true, on: { click: () => { this.page += 1; this.loadRows(); } } });
    this.pageLabel = h('span', { class: 'page-label' });
    const previewed = imp.status === 'previewed';
    const commit = h('button', { type: 'button', class: 'primary', id: 'imp-commit', text: '반영', disabled: !previewed, on: { click: () => this.confirmCommit() } });
    const discard = h('button', { type: 'button', id: 'imp-discard', text: '취소', disabled: !previewed, on: { click: () => this.discard() } });
    replace(this.preview,
      this.heading(imp),
      imp.mapping_saved ? h('p', { class: 'form-hint', text: '이 양식에 저장된 열 연결을 썼습니다.' }) : null,
      imp.status === 'discarded' ? h('p', { class: 'form-warning', text: '취소한 미리보기입니다. 반영할 수 없습니다.' }) : null,
      this.chips(imp),
      previewed ? this.mappingForm(imp) : null,
      h('div', { class: 'admin-toolbar' }, h('h3', { class: 'imp-h3', text: '행 미리보기' }), this.rowsCount),
      h('div', { class: 'table-wrap' }, h('table', { id: 'rows-table', class: 'admin-table rows-table' },
        h('thead', {}, h('tr', {}, ...['행', '결과', '이름', '주소', '동', '확인할 점'].map((t) => h('th', { scope: 'col', text: t })))),
        this.rowsBody)),
      h('nav', { class: 'pager imp-pager', attrs: { 'aria-label': '행 페이지' } }, this.prev, this.pageLabel, this.next),
      previewed ? h('div', { class: 'imp-actions' },
        h('p', { class: 'form-hint', text: '반영하면 위 미리보기 그대로 한 번에 저장됩니다. 취소하면 올린 파일을 지웁니다.' }),
        h('div', { class: 'form-actions' }, discard, commit)) : null);
    this.loadRows();
  }

  drawCommitted(imp, applied) {
    const a = applied || imp.applied;
    const items = a ? appliedText(a, imp.kind) : OUTCOME_ORDER.map((code) => ({ t: label(IMPORT_OUTCOMES, code), n: (imp.counts || {})[code] || 0 }));
    const links = [];
    const queued = a ? a.queued : (imp.counts || {}).unplaced;
    if (queued) links.push(h('button', { type: 'button', id: 'go-queue', text: `위치 지정 대기 ${formatCount(queued)}건 보기`, on: { click: () => this.openTab('queue') } }));
    if (imp.kind === 'registry_changes') links.push(h('button', { type: 'button', id: 'go-inbox', text: '주민등록 변동 확인하기', on: { click: () => this.openTab('inbox') } }));
    if (imp.kind === 'discovery_list') links.push(h('button', { type: 'button', id: 'go-rounds', text: '발굴 차수 진행 보기', on: { click: () => this.openTab('rounds') } }));
    links.push(h('a', { class: 'button-link', href: '/', text: '지도에서 보기' }));
    links.push(h('button', { type: 'button', id: 'imp-another', text: '다른 파일 올리기', on: { click: () => this.another() } }));
    replace(this.preview,
      this.heading(imp),
      h('p', { class: 'imp-done', attrs: { role: 'status' }, text: `${formatDateTime(imp.committed_at)}에 반영했습니다.` }),
      h('ul', { id: 'imp-summary', class: 'summary-chips' }, items.map(({ t, n }) => h('li', { class: 'summary-chip' },
        h('span', { text: t }), h('strong', { text: `${formatCount(n)}` })))),
      h('div', { class: 'form-actions' }, links));
  }

  clearFile() {
    this.fileInput.value = '';
    this.fileName.textContent = '고른 파일 없음';
  }

  another() {
    this.current = null;
    this.preview.hidden = true;
    replace(this.preview);
    this.form.reset();
    this.clearFile();
    this.kind.dispatchEvent(new Event('change'));
    this.say('');
    this.fileInput.focus();
  }

  async loadRows() {
    const imp = this.current;
    if (!imp) return;
    this.rowsLoaded = false;
    try {
      const data = await api.get(`/imports/${imp.id}/rows`, { outcome: this.outcome, limit: PAGE, offset: this.page * PAGE });
      if (imp !== this.current) return;
      this.rowsTotal = data.total;
      const first = data.total ? this.page * PAGE + 1 : 0;
      const last = Math.min(data.total, (this.page + 1) * PAGE);
      this.rowsCount.textContent = `${formatCount(data.total)}행${this.outcome ? ` (${label(IMPORT_OUTCOMES, this.outcome)})` : ''}`;
      this.pageLabel.textContent = data.total ? `${formatCount(first)}–${formatCount(last)} / ${formatCount(data.total)}` : '';
      this.prev.disabled = this.page <= 0;
      this.next.disabled = last >= data.total;
      replace(this.rowsBody, data.items.map((r) => this.rowLine(r)));
      if (!data.items.length) this.rowsBody.append(h('tr', {}, h('td', { colSpan: 6, class: 'empty-row', text: '해당하는 행이 없습니다.' })));
      this.rowsLoaded = true;
    } catch (err) {
      this.failed(err, '행을 불러오지 못했습니다');
    }
  }

  rowLine(r) {
    const problems = [];
    for (const e of r.errors || []) {
      problems.push(h('li', { class: 'row-error' }, e.column ? h('strong', { text: `${e.column}: ` }) : null, e.message));
    }
    if (r.suggestion) {
      problems.push(h('li', { class: 'row-suggestion', text: `비슷한 가구: #${r.suggestion.household_id} ${r.suggestion.head_name || ''} · ${r.suggestion.address || ''} (같은 사람인지 확인하세요)` }));
    }
    if (r.note) problems.push(h('li', { class: 'row-note', text: r.note }));
    if (r.change) problems.push(h('li', { class: 'row-note', text: `변동: ${r.change}${r.changed_on ? ` (${formatDate(r.changed_on)})` : ''}` }));
    const address = [r.address, r.address_detail].filter(Boolean).join(' ');
    return h('tr', { dataset: { row: String(r.row), outcome: r.outcome } },
      h('td', { class: 'num', dataset: { label: '행' }, text: String(r.row) }),
      h('td', { dataset: { label: '결과' } }, h('span', { class: outcomeClass(r.outcome), text: label(IMPORT_OUTCOMES, r.outcome) })),
      h('td', { dataset: { label: '이름' }, text: r.head_name || '—' }),
      h('td', { class: 'cell-detail', dataset: { label: '주소' }, text: address || '—' }),
      h('td', { dataset: { label: '동' }, text: r.dong_name || '—' }),
      h('td', { class: 'cell-detail', dataset: { label: '확인할 점' } }, problems.length ? h('ul', { class: 'row-problems' }, problems) : '—'));
  }

  confirmCommit() {
    const imp = this.current;
    if (!imp || imp.status !== 'previewed') return;
    if (this.dialog) this.dialog.remove();
    const message = h('p', { class: 'job-message', attrs: { role: 'alert' }, hidden: true });
    const go = h('button', { type: 'submit', class: 'primary', id: 'commit-go', text: '반영' });
    const form = h('form', { class: 'job-form', method: 'dialog', noValidate: true },
      h('h2', { id: 'commit-dialog-title', text: `${imp.file_name} 반영` }),
      h('p', { class: 'job-note', text: KIND_HINTS[imp.kind] || '' }),
      h('ul', { class: 'commit-plan' }, commitPlan(imp).map((t) => h('li', { text: t }))),
      h('p', { class: 'job-note', text: '미리보기 그대로 한 번에 반영하며, 되돌리려면 가구마다 고쳐야 합니다.' }),
      message,
      h('div', { class: 'job-buttons' },
        h('button', { type: 'button', text: '닫기', on: { click: () => this.dialog.close() } }), go));
    this.dialog = h('dialog', { id: 'commit-dialog', class: 'job-dialog', attrs: { 'aria-labelledby': 'commit-dialog-title' } }, form);
    document.body.append(this.dialog);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      go.disabled = true;
      go.textContent = '반영하는 중…';
      try {
        const done = await api.post(`/imports/${imp.id}/commit`, { version: imp.version });
        this.dialog.close();
        this.clearFile();
        this.showImport(done, { applied: done.applied });
        this.say('');
        this.recentLoaded = false;
        this.loadRecent();
        this.onCommitted(done);
      } catch (err) {
        go.disabled = false;
        go.textContent = '반영';
        if (err instanceof ApiError && err.status === 409) {
          this.dialog.close();
          await this.reloadAfterConflict(err);
          return;
        }
        if (err instanceof ApiError && (err.status === 403 || err.status === 401)) { this.dialog.close(); this.failed(err); return; }
        message.textContent = err.message;
        message.hidden = false;
      }
    });
    this.dialog.showModal();
  }

  async discard() {
    const imp = this.current;
    if (!imp) return;
    try {
      await api.delete(`/imports/${imp.id}`);
      this.another();
      this.say(`${imp.file_name} 미리보기를 취소했습니다. 아무것도 반영하지 않았습니다.`, true);
      this.recentLoaded = false;
      this.loadRecent();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) { await this.reloadAfterConflict(err); return; }
      this.failed(err);
    }
  }

  async loadRecent(more = false) {
    const offset = more ? this.recentItems.length : 0;
    try {
      const data = await api.get('/imports', { limit: RECENT, offset });
      this.recentItems = more ? this.recentItems.concat(data.items) : data.items;
      this.recentLoaded = true;
      this.recentCount.textContent = `${formatCount(data.total)}건`;
      this.recentMore.hidden = this.recentItems.length >= data.total;
      replace(this.recentBody, this.recentItems.map((imp) => h('tr', { dataset: { id: String(imp.id), status: imp.status } },
        h('td', { dataset: { label: '올린 때' }, text: formatDateTime(imp.created_at) }),
        h('td', { dataset: { label: '종류' }, text: label(IMPORT_KINDS, imp.kind) }),
        h('td', { class: 'cell-detail', dataset: { label: '파일' }, text: imp.file_name }),
        h('td', { dataset: { label: '차수' }, text: imp.round || '—' }),
        h('td', { class: 'num', dataset: { label: '행' }, text: formatCount(imp.rows_total) }),
        h('td', { dataset: { label: '상태' } }, h('span', { class: `state imp-status status-${imp.status}`, text: STATUS_LABELS[imp.status] || imp.status })),
        h('td', { dataset: { label: '올린 사람' }, text: imp.created_by_name || '—' }),
        h('td', { class: 'cell-actions' }, imp.status === 'discarded' ? null
          : h('button', { type: 'button', class: 'small-button', text: imp.status === 'previewed' ? '이어서 확인' : '결과 보기', on: { click: () => this.open(imp.id) } })))));
      if (!this.recentItems.length) this.recentBody.append(h('tr', {}, h('td', { colSpan: 8, class: 'empty-row', text: '아직 올린 자료가 없습니다.' })));
    } catch (err) {
      this.recentLoaded = false;
      this.failed(err, '최근 자료를 불러오지 못했습니다');
    }
  }
}
