// The report panel: one report of the triage queue in full (description, address, reporter contact, photos,
// history, possible duplicates) with the triage actions: 검토 시작, 가구로 등록, 종결, 중복 처리.
// Everything from data is inserted as text; photos come through the API with the bearer token.

import { api } from './api.js';
import { formatDateTime, formatDistance, h, replace } from './dom.js';
import { indicatorChips, placement, statusBadge } from './reports.js';
import { OPEN_REPORT_STATUSES, REPORT_CHANNELS, REPORT_COLOR, label } from './vocab.js';

const API_PREFIX = '/api/v1';

function section(title, ...content) {
  return h('section', { class: 'panel-section' }, h('h3', { text: title }), ...content);
}

function empty(text) {
  return h('p', { class: 'empty-state', text });
}

function detailRow(term, value, extra = {}) {
  const shown = value === null || value === undefined || value === '' ? '—' : value;
  return [h('dt', { text: term }), value instanceof Node ? h('dd', extra, value) : h('dd', { ...extra, text: shown })];
}

function message(kind = 'error') {
  return h('p', { class: kind === 'error' ? 'form-message' : 'saved-note', attrs: { role: kind === 'error' ? 'alert' : 'status' }, hidden: true });
}

function say(el, text) {
  el.textContent = text || '';
  el.hidden = !text;
  if (text) el.scrollIntoView({ block: 'nearest' });
}

function coords(lon, lat) {
  return `경도 ${Number(lon).toFixed(6)}, 위도 ${Number(lat).toFixed(6)}`;
}

export class ReportPanel {
  /**
   * root: the panel's <aside>; map: the HappyMap; onClose(); onChanged(report): a triage action changed it;
   * onConverted(household, report): a household was made from it; onOpenHousehold(id); onOpenReport(id).
   */
  constructor(root, { map, onClose, onChanged, onConverted, onOpenHousehold, onOpenReport, onPicking }) {
    this.root = root;
    this.map = map;
    this.onClose = onClose;
    this.onChanged = onChanged;
    this.onConverted = onConverted;
    this.onOpenHousehold = onOpenHousehold;
    this.onOpenReport = onOpenReport;
    this.onPicking = onPicking || (() => {});
    this.current = null;
    this.generation = 0;
    this.notice = null; // a message to show once after the next render
  }

  get openId() {
    return this.current ? this.current.id : null;
  }

  close() {
    this.generation += 1;
    this.stopPicking();
    this.map.clearPickMarker();
    this.current = null;
    this.root.hidden = true;
    replace(this.root);
    document.body.classList.remove('panel-open');
  }

  /** Fetch and show one report (the staff record: photos, history, duplicate suggestions). */
  async open(id) {
    const gen = ++this.generation;
    this.stopPicking();
    this.map.clearPickMarker();
    this.root.hidden = false;
    document.body.classList.add('panel-open');
    if (!this.current || this.current.id !== id) {
      replace(this.root, this._header({ id, receipt_no: '' }), h('p', { class: 'loading panel-body', text: '신고를 불러오는 중…' }));
    }
    let report;
    try {
      report = await api.get(`/reports/${id}`);
    } catch (err) {
      if (gen !== this.generation) return null;
      replace(this.root, this._header({ id, receipt_no: '' }), h('div', { class: 'panel-body' }, empty(`신고를 불러오지 못했습니다: ${err.message}`)));
      return null;
    }
    if (gen !== this.generation) return null;
    this.current = report;
    this._render(report, gen);
    return report;
  }

  _header(r) {
    const close = h('button', { type: 'button', class: 'panel-close', attrs: { 'aria-label': '신고 창 닫기' }, text: '×' });
    close.addEventListener('click', () => this.onClose());
    const title = h('div', { class: 'panel-title' },
      h('h2', { text: r.receipt_no ? `신고 ${r.receipt_no}` : `신고 #${r.id}` }),
      r.status ? statusBadge(r) : null);
    return h('header', { class: 'panel-header' }, title, close);
  }

  _render(r, gen) {
    const where = placement(r);
    const open = OPEN_REPORT_STATUSES.includes(r.status);
    const links = [];
    if (r.household_id) {
      links.push(detailRow('연결 가구', h('button', {
        type: 'button', class: 'link-button open-household', dataset: { id: String(r.household_id) },
        text: `가구 #${r.household_id} 열기`, on: { click: () => this.onOpenHousehold(r.household_id) },
      })));
    }
    if (r.duplicate_of_report_id) {
      links.push(detailRow('중복 원본', h('button', {
        type: 'button', class: 'link-button open-report', text: `신고 #${r.duplicate_of_report_id} 열기`,
        on: { click: () => this.onOpenReport(r.duplicate_of_report_id) },
      })));
    }
    if (r.duplicate_report_ids && r.duplicate_report_ids.length) {
      links.push(detailRow('중복 신고', h('span', { class: 'inline-links' }, r.duplicate_report_ids.map((id) => h('button', {
        type: 'button', class: 'link-button open-report', text: `#${id}`, on: { click: () => this.onOpenReport(id) },
      })))));
    }
    const details = h('dl', { class: 'details' },
      detailRow('접수 시각', formatDateTime(r.created_at)),
      detailRow('접수 경로', label(REPORT_CHANNELS, r.channel)),
      detailRow('신고자', r.reporter),
      detailRow('신고자 연락처', r.reporter_contact, { class: 'report-contact' }),
      detailRow('주소', r.address, { class: 'report-address' }),
      detailRow('위치', where.kind === 'unplaced'
        ? h('span', { class: 'badge badge-unplaced', text: where.text }) : where.text, { class: 'report-place' }),
      r.status_reason ? detailRow(r.status === 'dismissed' ? '종결 사유' : '처리 메모', r.status_reason, { class: 'report-reason' }) : null,
      ...links);
    this.message = message('error');
    this.saved = message('ok');
    this.formSlot = h('div', { class: 'form-slot' });
    const actions = open ? this._actions(r) : null;
    const photos = h('div', { class: 'report-photos' });
    replace(this.root,
      this._header(r),
      h('div', { class: 'panel-colorbar', style: { background: REPORT_COLOR } }),
      h('div', { class: 'panel-body' },
        h('p', { class: 'report-full-description', text: r.description || '' }),
        indicatorChips(r.indicators),
        details,
        this.saved, this.message,
        actions, this.formSlot,
        open ? section('중복 의심', this._duplicates(r)) : null,
        (r.photos || []).length ? section(`사진 ${r.photos.length}장`, photos) : null,
        section('처리 이력', this._history(r))));
    this.root.scrollTop = 0;
    if (this.notice) {
      say(this.saved, this.notice);
      this.notice = null;
    }
    if ((r.photos || []).length) this._loadPhotos(r, photos, gen);
  }

  _actions(r) {
    const box = h('div', { class: 'panel-actions report-actions' });
    if (r.status === 'new') {
      const review = h('button', { type: 'button', id: 'report-review', text: '검토 시작' });
      review.addEventListener('click', () => this._review(r, review));
      box.append(review);
    }
    const forms = [
      ['report-convert', '가구로 등록', 'primary', () => this._convertForm(r)],
      ['report-dismiss', '종결', '', () => this._dismissForm(r)],
      ['report-duplicate', '중복 처리', '', () => this._duplicateForm(r)],
    ];
    for (const [id, text, cls, build] of forms) {
      const button = h('button', { type: 'button', id, class: cls, text });
      button.addEventListener('click', () => {
        this.stopPicking();
        this.map.clearPickMarker();
        for (const b of box.querySelectorAll('button')) b.classList.toggle('active', b === button);
        say(this.message, '');
        replace(this.formSlot, build());
        this.formSlot.querySelector('input:not([type=radio]), textarea, select')?.focus({ preventScroll: true });
        this.formSlot.scrollIntoView({ block: 'nearest' });
      });
      box.append(button);
    }
    return box;
  }

  _cancelButton() {
    return h('button', {
      type: 'button', text: '취소',
      on: {
        click: () => {
          this.stopPicking();
          this.map.clearPickMarker();
          replace(this.formSlot);
          for (const b of this.root.querySelectorAll('.report-actions button')) b.classList.remove('active');
        },
      },
    });
  }

  /** Run one triage call; on success re-render with the answer, on failure show the API's Korean message. */
  async _act(r, button, busyText, call, done) {
    const text = button.textContent;
    button.disabled = true;
    button.textContent = busyText;
    say(this.message, '');
    try {
      const answer = await call();
      if (this.current && this.current.id === r.id) await done(answer);
    } catch (err) {
      if (!this.current || this.current.id !== r.id) return;
      if (err.status === 409) {
        // Someone else moved the report on: show what it is now, and why nothing was done.
        this.notice = null;
        await this.open(r.id);
        if (this.current && this.current.id === r.id) say(this.message, err.message);
      } else {
        say(this.message, err.message);
      }
    } finally {
      if (button.isConnected) {
        button.disabled = false;
        button.textContent = text;
      }
    }
  }

  _review(r, button) {
    return this._act(r, button, '처리 중…', () => api.post(`/reports/${r.id}/review`, { version: r.version }),
      (answer) => this._changed(answer, '검토를 시작했습니다.'));
  }

  _changed(report, text) {
    this.notice = text;
    this.current = report;
    this._render(report, this.generation);
    this.onChanged(report);
  }

  _convertForm(r) {
    const hasPoint = r.lon !== null && r.lon !== undefined;
    this.pick = hasPoint ? null : { lon: null, lat: null };
    const where = h('p', { class: 'pick-where', dataset: { source: hasPoint ? 'report' : 'none' } });
    const showWhere = () => {
      if (this.pick && this.pick.lon !== null) {
        where.textContent = `지도에서 정한 위치 (${coords(this.pick.lon, this.pick.lat)})`;
        where.dataset.source = 'picked';
      } else if (hasPoint) {
        where.textContent = `신고 위치 (${coords(r.lon, r.lat)})`;
        where.dataset.source = 'report';
      } else {
        where.textContent = '신고에 위치가 없습니다. 아래 버튼을 누른 뒤 지도에서 가구 위치를 누르세요.';
        where.dataset.source = 'none';
      }
    };
    showWhere();
    const pickButton = h('button', { type: 'button', id: 'convert-pick', text: hasPoint ? '지도에서 위치 바꾸기' : '지도에서 위치 정하기' });
    pickButton.addEventListener('click', () => {
      this._startPicking((lon, lat) => {
        this.pick = { lon, lat };
        this.map.setPickMarker(lat, lon);
        showWhere();
        pickButton.textContent = '지도에서 위치 바꾸기';
      });
    });
    const error = message('error');
    const submit = h('button', { type: 'submit', class: 'primary', text: '가구로 등록' });
    const form = h('form', { class: 'visit-form report-form convert-form', attrs: { 'aria-label': '가구로 등록', novalidate: true } },
      h('h3', { text: '가구로 등록' }),
      h('p', { class: 'form-hint', text: '새 가구는 미방문(하양)으로 지도에 올라가고, 이 신고와 연결됩니다.' }),
      h('label', { class: 'field' }, '세대주 이름 (모르면 비워 두세요)',
        h('input', { type: 'text', name: 'head_name', maxLength: 100, autocomplete: 'off', placeholder: '성명 미상' })),
      h('label', { class: 'field' }, '주소',
        h('input', { type: 'text', name: 'address', maxLength: 200, autocomplete: 'off', value: (r.address || '').slice(0, 200), placeholder: `비우면 "주소 미상 (신고 ${r.receipt_no})"` })),
      h('div', { class: 'filter-row' },
        h('label', { class: 'field' }, '가구원 수', h('input', { type: 'number', name: 'members', min: 1, max: 50, value: 1, inputMode: 'numeric' })),
        h('label', { class: 'field' }, '연락처 (선택)', h('input', { type: 'tel', name: 'phone', maxLength: 30, autocomplete: 'off' }))),
      h('fieldset', { class: 'pick-fieldset' }, h('legend', { text: '가구 위치' }), where, pickButton),
      error,
      h('div', { class: 'form-actions' }, submit, this._cancelButton()));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = { version: r.version };
      const f = form.elements;
      const head = f.head_name.value.trim();
      if (head) body.head_name = head;
      const address = f.address.value.trim();
      if (address) body.address = address;
      const members = Number(f.members.value || 1);
      if (!Number.isInteger(members) || members < 1 || members > 50) { say(error, '가구원 수는 1에서 50 사이로 적으세요.'); return; }
      body.members = members;
      const phone = f.phone.value.trim();
      if (phone) body.phone = phone;
      if (this.pick && this.pick.lon !== null) {
        body.lon = this.pick.lon;
        body.lat = this.pick.lat;
      } else if (!hasPoint) {
        say(error, '가구 위치를 지도에서 정하세요.');
        return;
      }
      say(error, '');
      this.stopPicking();
      this.message = error; // the API's refusal shows under this form
      this._act(r, submit, '등록 중…', () => api.post(`/reports/${r.id}/convert`, body), async (household) => {
        this.map.clearPickMarker();
        this.notice = `가구 #${household.id}(으)로 등록했습니다. 지도에 미방문(하양) 가구로 표시됩니다.`;
        this.onConverted(household, r);
        await this.open(r.id);
      });
    });
    return form;
  }

  _dismissForm(r) {
    const error = message('error');
    const reason = h('textarea', { name: 'reason', rows: 3, maxLength: 4000, required: true, placeholder: '예: 확인 결과 가족이 돌보고 있어 지원 대상 아님' });
    const submit = h('button', { type: 'submit', class: 'primary danger', text: '종결' });
    const form = h('form', { class: 'visit-form report-form dismiss-form', attrs: { 'aria-label': '신고 종결', novalidate: true } },
      h('h3', { text: '신고 종결' }),
      h('label', { class: 'field' }, '종결 사유 (필수)', reason),
      h('p', { class: 'form-warning', text: '종결 사유는 신고한 분(통장·주민)에게 그대로 보입니다. 가구의 개인정보나 내부 판단은 적지 마세요.' }),
      error,
      h('div', { class: 'form-actions' }, submit, this._cancelButton()));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = reason.value.trim();
      if (!text) { say(error, '종결 사유를 입력하세요.'); reason.focus(); return; }
      if (text.length < 2) { say(error, '종결 사유를 두 글자 이상 적으세요.'); reason.focus(); return; }
      say(error, '');
      this.message = error;
      this._act(r, submit, '종결 중…', () => api.post(`/reports/${r.id}/dismiss`, { reason: text, version: r.version }),
        (answer) => this._changed(answer, '신고를 종결했습니다. 신고자에게 사유가 안내됩니다.'));
    });
    return form;
  }

  _duplicateForm(r) {
    const error = message('error');
    const suggestions = (r.possible_duplicates || []).map((d, i) => this._pointsAt(h('label', { class: 'dup-choice' },
      h('input', { type: 'radio', name: 'target', value: `${d.kind}:${d.id}`, checked: i === 0 }),
      h('span', { text: this._duplicateText(d) })), d));
    const kind = h('select', { name: 'kind' }, h('option', { value: 'household', text: '가구 번호' }), h('option', { value: 'report', text: '신고 번호' }));
    const number = h('input', { type: 'number', name: 'target_id', min: 1, inputMode: 'numeric', placeholder: '예: 1234' });
    const manual = h('label', { class: 'dup-choice' },
      h('input', { type: 'radio', name: 'target', value: 'manual', checked: suggestions.length === 0 }),
      h('span', { text: '직접 입력' }));
    number.addEventListener('focus', () => { manual.querySelector('input').checked = true; });
    kind.addEventListener('change', () => { manual.querySelector('input').checked = true; });
    const note = h('input', { type: 'text', name: 'reason', maxLength: 500, autocomplete: 'off', placeholder: '비우면 자동으로 적힙니다' });
    const submit = h('button', { type: 'submit', class: 'primary', text: '중복 처리' });
    const form = h('form', { class: 'visit-form report-form duplicate-form', attrs: { 'aria-label': '중복 처리', novalidate: true } },
      h('h3', { text: '중복 처리' }),
      h('fieldset', {}, h('legend', { text: '이미 있는 가구 또는 신고' }),
        suggestions.length ? h('div', { class: 'dup-choices' }, suggestions) : h('p', { class: 'form-hint', text: '50 m 안이나 같은 주소에서 찾은 후보가 없습니다. 번호를 직접 입력하세요.' }),
        manual, h('div', { class: 'dup-manual' }, kind, number)),
      h('label', { class: 'field' }, '메모 (선택)', note),
      error,
      h('div', { class: 'form-actions' }, submit, this._cancelButton()));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const choice = form.querySelector('input[name="target"]:checked');
      let target;
      if (!choice) { say(error, '중복 대상을 고르세요.'); return; }
      if (choice.value === 'manual') {
        const id = Number(number.value);
        if (!Number.isInteger(id) || id < 1) { say(error, '중복 대상의 번호를 입력하세요.'); number.focus(); return; }
        target = [kind.value, id];
      } else {
        const [k, id] = choice.value.split(':');
        target = [k, Number(id)];
      }
      const body = { version: r.version, [target[0] === 'household' ? 'household_id' : 'report_id']: target[1] };
      if (note.value.trim()) body.reason = note.value.trim();
      say(error, '');
      this.message = error;
      this._act(r, submit, '처리 중…', () => api.post(`/reports/${r.id}/mark-duplicate`, body),
        (answer) => this._changed(answer, '중복으로 처리했습니다.'));
    });
    return form;
  }

  /** Pointing at a suggested household rings it on the map, so the official sees which one it is. */
  _pointsAt(el, d) {
    if (d.kind !== 'household') return el;
    const on = () => this.map.select(d.id);
    const off = () => { if (this.map.selectedId === d.id) this.map.clearSelection(); };
    el.addEventListener('mouseenter', on);
    el.addEventListener('focusin', on);
    el.addEventListener('mouseleave', off);
    el.addEventListener('focusout', off);
    return el;
  }

  _duplicateText(d) {
    const what = d.kind === 'household' ? `기존 가구 #${d.id}` : `다른 신고 #${d.id}`;
    const why = [d.distance_m !== null && d.distance_m !== undefined ? `${formatDistance(d.distance_m)} 거리` : null,
      d.same_address ? '같은 주소' : null].filter(Boolean).join(', ');
    return why ? `${what} (${why})` : what;
  }

  _duplicates(r) {
    const items = r.possible_duplicates || [];
    if (!items.length) return empty('50 m 안이나 같은 주소에 활동 중인 가구나 처리 대기 신고가 없습니다.');
    return h('ul', { class: 'dup-list' }, items.map((d) => this._pointsAt(h('li', { class: 'dup-item', dataset: { kind: d.kind, id: String(d.id) } },
      h('button', {
        type: 'button', class: 'link-button', text: this._duplicateText(d),
        attrs: { 'aria-label': `${d.kind === 'household' ? '가구' : '신고'} ${d.id} 열기` },
        on: { click: () => (d.kind === 'household' ? this.onOpenHousehold(d.id) : this.onOpenReport(d.id)) },
      })), d)));
  }

  _history(r) {
    const items = r.history || [];
    if (!items.length) return empty('이력이 없습니다.');
    return h('ol', { class: 'visit-list report-history' }, items.map((ev) => h('li', { class: 'visit-item', dataset: { status: ev.status } },
      h('div', { class: 'visit-head' },
        h('strong', { text: formatDateTime(ev.at) }),
        statusBadge(ev),
        ev.actor ? h('span', { class: 'visit-who', text: ev.actor }) : null),
      ev.reason ? h('div', { class: 'visit-notes', text: ev.reason }) : null)));
  }

  async _loadPhotos(r, box, gen) {
    replace(box, h('p', { class: 'loading', text: '사진을 불러오는 중…' }));
    const figures = await Promise.all(r.photos.map(async (p, i) => {
      const path = String(p.url || '').startsWith(API_PREFIX) ? p.url.slice(API_PREFIX.length) : `/reports/${r.id}/photos/${p.id}`;
      try {
        const src = await api.image(path);
        if (p.content_type === 'image/heic') {
          return h('figure', { class: 'report-photo' },
            h('a', { href: src, download: `신고-${r.receipt_no}-${i + 1}.heic`, text: 'HEIC 사진 내려받기 (브라우저에서 볼 수 없는 형식)' }));
        }
        // A data: URL cannot be opened in a new tab (browsers block it), so a tap enlarges the photo in place.
        const img = h('img', { src, alt: `신고 사진 ${i + 1}`, dataset: { photoId: String(p.id) }, title: '누르면 크게/작게 봅니다' });
        const figure = h('figure', { class: 'report-photo' }, img);
        img.addEventListener('click', () => figure.classList.toggle('zoomed'));
        return figure;
      } catch (err) {
        return h('figure', { class: 'report-photo' }, empty(`사진 ${i + 1}을 불러오지 못했습니다: ${err.message}`));
      }
    }));
    if (gen !== this.generation) return;
    replace(box, ...figures);
  }

  _startPicking(onPick) {
    this.isPicking = true;
    this.onPicking(true);
    this.map.startPick((lon, lat) => {
      this.stopPicking();
      onPick(lon, lat);
    }, () => this.stopPicking());
  }

  stopPicking() {
    if (!this.isPicking) return;
    this.isPicking = false;
    this.map.stopPick();
    this.onPicking(false);
  }
}
