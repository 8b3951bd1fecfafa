// The household panel: details (masked as the API gives them), needs, visit history, services, the nearest
// shelter of the season (가장 가까운 무더위쉼터 350 m) and nearby facilities, and the visit form. Everything from
// data is inserted as text.

import { api } from './api.js';
import { discoveryList } from './discovery.js';
import { formatDate, formatDateTime, h, replace } from './dom.js';
import { NearbyFacilities } from './nearby.js';
import { visitForm } from './visitform.js';
import {
  CLOSE_REASONS, CONTACT_TYPES, FACILITY_CATEGORIES, INDICATORS, NEEDS, OVERDUE_LABEL, RISK_COLORS, RISK_LABELS, SERVICE_STATUSES,
  SERVICE_TYPES, VISITOR_TYPES, label,
} from './vocab.js';

const STAFF = new Set(['admin', 'district_staff', 'dong_staff']);

function seoulToday() {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Seoul' }).format(new Date());
}

function section(title, ...content) {
  return h('section', { class: 'panel-section' }, h('h3', { text: title }), ...content);
}

function empty(text) {
  return h('p', { class: 'empty-state', text });
}

function detailRow(term, value, extra = {}) {
  return [h('dt', { text: term }), h('dd', { ...extra, text: value === null || value === undefined || value === '' ? '—' : value })];
}

function place(hh) {
  const dong = hh.dong_name || '';
  const tract = hh.tract_name || '';
  if (tract && dong && tract.startsWith(dong)) return tract;
  return [dong, tract].filter(Boolean).join(' ');
}

function chips(codes, table) {
  if (!codes || !codes.length) return null;
  return h('div', { class: 'chips' }, codes.map((c) => h('span', { class: 'chip', text: label(table, c) })));
}

export class HouseholdPanel {
  constructor(root, { map, onClose, onChanged, role, shelterDay = seoulToday }) {
    this.root = root;
    this.shelterDay = shelterDay; // () → the day (YYYY-MM-DD) the shelter line is for: the legend's 쉼터 기준일
    this.shelterLine = null;
    this.map = map;
    this.onClose = onClose;
    this.onChanged = onChanged; // (household) after a visit changed it
    this.role = role;
    this.current = null;
    this.generation = 0;
  }

  setRole(role) {
    this.role = role;
  }

  get openId() {
    return this.current ? this.current.id : null;
  }

  close() {
    this.generation += 1;
    this.map.clearFacilityFlag();
    this.current = null;
    this.root.hidden = true;
    replace(this.root);
    document.body.classList.remove('panel-open');
  }

  /** Show a household: `hh` may be a list item already fetched, else it is fetched by id. */
  async open(id, hh = null) {
    const gen = ++this.generation;
    if (!this.current || this.current.id !== id) this.map.clearFacilityFlag();
    this.root.hidden = false;
    document.body.classList.add('panel-open');
    if (!hh) {
      replace(this.root, this._header({ id }), h('p', { class: 'loading', text: '가구 정보를 불러오는 중…' }));
      try {
        hh = await api.get(`/households/${id}`);
      } catch (err) {
        if (gen !== this.generation) return null;
        replace(this.root, this._header({ id }), empty(`가구 정보를 불러오지 못했습니다: ${err.message}`));
        return null;
      }
      if (gen !== this.generation) return null;
    }
    this.current = hh;
    this._render(hh, gen);
    return hh;
  }

  _header(hh) {
    const close = h('button', { type: 'button', class: 'panel-close', attrs: { 'aria-label': '가구 창 닫기' }, text: '×' });
    close.addEventListener('click', () => this.onClose());
    const title = h('div', { class: 'panel-title' }, h('h2', { text: `가구 #${hh.id}` }));
    if (hh.risk_level) {
      title.append(h('span', {
        class: `badge badge-${hh.risk_level}`, dataset: { level: hh.risk_level }, text: RISK_LABELS[hh.risk_level] || hh.risk_level,
      }));
      if (hh.overdue) title.append(h('span', { class: 'badge badge-overdue', text: OVERDUE_LABEL }));
    }
    return h('header', { class: 'panel-header' }, title, close);
  }

  _render(hh, gen) {
    const details = h('dl', { class: 'details' },
      detailRow('세대주', hh.head_name, { class: 'hh-name' }),
      detailRow('주소', hh.address, { class: 'hh-address' }),
      detailRow('등록 주소', hh.registered_address),
      detailRow('가구원', hh.members ? `${hh.members}명` : null),
      detailRow('연락처', hh.phone, { class: 'hh-phone' }),
      detailRow('동 · 통', place(hh)),
      detailRow('위험도', RISK_LABELS[hh.risk_level] || hh.risk_level, { class: 'hh-risk' }),
      hh.risk_reason ? detailRow('판정 근거', hh.risk_reason) : null,
      detailRow('최근 방문', hh.last_visit_at ? formatDateTime(hh.last_visit_at) : '방문 기록 없음'),
      detailRow('다음 방문', hh.next_visit_due ? `${formatDate(hh.next_visit_due)}${hh.overdue ? ` (${OVERDUE_LABEL})` : ''}` : null),
      hh.status === 'closed' ? detailRow('상태', `종결 (${label(CLOSE_REASONS, hh.closed_reason)})`) : null,
      hh.notes ? detailRow('메모', hh.notes, { class: 'hh-notes' }) : null);
    const swatch = h('div', { class: 'panel-colorbar', style: { background: hh.color || RISK_COLORS[hh.risk_level] } });
    const actions = h('div', { class: 'panel-actions' });
    const formSlot = h('div', { class: 'form-slot' });
    const unmaskSlot = h('div', { class: 'unmask-slot' });
    const staff = STAFF.has(this.role);
    if (staff && hh.status !== 'closed') {
      const record = h('button', { type: 'button', class: 'primary', id: 'record-visit', text: '방문·전화 기록' });
      record.addEventListener('click', () => {
        record.hidden = true;
        replace(formSlot, visitForm(hh, {
          onSaved: (answer) => this._saved(hh, answer),
          onCancel: () => { replace(formSlot); record.hidden = false; },
        }));
        formSlot.querySelector('input, select, textarea')?.focus();
      });
      actions.append(record);
    }
    if (staff && hh.masked) {
      const reveal = h('button', { type: 'button', text: '실명·연락처 보기' });
      reveal.addEventListener('click', () => { reveal.hidden = true; replace(unmaskSlot, this._unmaskForm(hh)); });
      actions.append(reveal);
    }
    const locate = h('button', { type: 'button', text: '지도에서 보기' });
    locate.addEventListener('click', () => this.map.focusHousehold(hh.id, hh.lat, hh.lon));
    actions.append(locate);

    const visits = h('div', { class: 'visits' }, h('p', { class: 'loading', text: '불러오는 중…' }));
    const services = h('div', { class: 'services' }, h('p', { class: 'loading', text: '불러오는 중…' }));
    this.shelterLine = h('div', { class: 'shelter-line', hidden: true, attrs: { 'aria-live': 'polite' } });
    const nearby = new NearbyFacilities(hh, {
      map: this.map, canRefer: staff,
      isCurrent: () => gen === this.generation,
      onReferred: () => this._loadServices(hh.id, services, gen, nearby),
    });
    replace(this.root,
      this._header(hh), swatch,
      h('div', { class: 'panel-body' },
        details,
        hh.masked ? h('p', { class: 'mask-note', text: '이름과 연락처는 가려져 있습니다. 열람하면 기록이 남습니다.' }) : null,
        unmaskSlot, actions, formSlot,
        section('욕구', chips(hh.needs, NEEDS) || empty('기록된 욕구가 없습니다.')),
        hh.discovery && hh.discovery.length ? section('발굴 조사', discoveryList(hh, {
          canEdit: staff, onStale: () => { if (this.current && this.current.id === hh.id) this.open(hh.id); },
        })) : null,
        section('방문 이력', visits),
        section('서비스 연계', services),
        section('가까운 기관', this.shelterLine, nearby.el)));
    this.root.scrollTop = 0;
    this._loadVisits(hh.id, visits, gen);
    this._loadServices(hh.id, services, gen, nearby);
    nearby.load();
    if (staff) this._loadShelter(hh.id, gen);
  }

  /** The shelter line again, for the day now chosen in the legend. */
  refreshShelter() {
    if (this.current && this.shelterLine && STAFF.has(this.role)) this._loadShelter(this.current.id, this.generation);
  }

  /** 가장 가까운 무더위쉼터 350 m (in summer; 한파쉼터 in winter) with the shelter's name; hidden off season. */
  async _loadShelter(id, gen) {
    const line = this.shelterLine;
    const day = this.shelterDay();
    let data;
    try {
      data = await api.get(`/households/${id}/nearest-shelter`, { on: day });
    } catch {
      data = null;
    }
    if (gen !== this.generation || line !== this.shelterLine || day !== this.shelterDay()) return;
    const s = data && data.shelter;
    if (!s) {
      line.hidden = !(data && data.category);
      replace(line, data && data.category ? h('span', { class: 'shelter-none', text: `${formatDate(day)} 운영 중인 ${data.category_label}가 없습니다.` }) : null);
      line.dataset.category = (data && data.category) || '';
      delete line.dataset.distanceM;
      return;
    }
    const cat = FACILITY_CATEGORIES[s.category] || FACILITY_CATEGORIES.other;
    const button = h('button', {
      type: 'button', class: 'shelter-link', attrs: { 'aria-label': `${s.name} 지도에 표시` },
    },
    h('span', { class: 'fac-symbol small', style: { background: cat.color }, text: cat.symbol, attrs: { 'aria-hidden': 'true' } }),
    h('strong', { class: 'shelter-text', text: data.line }),
    h('span', { class: 'shelter-name', text: s.name }));
    button.addEventListener('click', () => this.map.flagFacility(s));
    const notes = [`${formatDate(s.open_from)}~${formatDate(s.open_to)}`];
    if (Number.isFinite(s.capacity)) notes.push(`${s.capacity}명`);
    notes.push(s.night_open ? '야간 개방' : '야간 미개방');
    if (s.holiday_open) notes.push('휴일 개방');
    replace(line, button, h('div', { class: 'shelter-meta', text: notes.join(' · ') }));
    Object.assign(line.dataset, { category: s.category, shelterId: String(s.id), distanceM: String(s.distance_m) });
    line.hidden = false;
  }

  _unmaskForm(hh) {
    const purpose = h('input', { type: 'text', name: 'purpose', maxLength: 200, required: true, placeholder: '열람 사유 (예: 방문 전 전화 확인)' });
    const message = h('p', { class: 'form-message', attrs: { role: 'alert' }, hidden: true });
    const form = h('form', { class: 'unmask-form' },
      h('label', { class: 'field' }, '열람 사유', purpose), message,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', text: '열람' })));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (purpose.value.trim().length < 2) {
        message.textContent = '열람 사유를 두 글자 이상 적으세요.';
        message.hidden = false;
        return;
      }
      try {
        const full = await api.post(`/households/${hh.id}/unmask`, { purpose: purpose.value.trim() });
        if (this.current && this.current.id === hh.id) {
          this.current = full;
          this._render(full, this.generation);
        }
      } catch (err) {
        message.textContent = `열람하지 못했습니다: ${err.message}`;
        message.hidden = false;
      }
    });
    return form;
  }

  async _saved(before, answer) {
    const change = answer && answer.household ? answer.household : null;
    if (!change) return;
    const overdue = change.next_visit_due ? change.next_visit_due < seoulToday() : false;
    const merged = { ...before, ...change, overdue };
    this.onChanged(merged);
    let fresh = merged;
    try {
      fresh = await api.get(`/households/${before.id}`);
    } catch { /* the colour already changed; details refresh on next open */ }
    if (this.current && this.current.id === before.id) {
      this.current = fresh;
      this._render(fresh, this.generation);
      this.root.querySelector('.panel-actions')?.before(h('p', { class: 'saved-note', attrs: { role: 'status' }, text: '기록을 저장했습니다.' }));
    }
    if (fresh !== merged) this.onChanged(fresh);
  }

  async _section(el, gen, path, params, render, texts) {
    try {
      const data = await api.get(path, params);
      if (gen !== this.generation) return;
      const items = Array.isArray(data) ? data : (data && data.items) || [];
      replace(el, items.length ? render(items) : empty(texts.none));
      return items;
    } catch (err) {
      if (gen !== this.generation) return;
      replace(el, empty(err.missing ? texts.missing : `${texts.failed}: ${err.message}`));
      return null;
    }
  }

  _loadVisits(id, el, gen) {
    return this._section(el, gen, `/households/${id}/visits`, { limit: 20 }, (items) => h('ol', { class: 'visit-list' },
      items.map((v) => {
        const level = v.risk_level_after || v.risk_level;
        const who = (v.visitor_types || []).map((t) => label(VISITOR_TYPES, t)).join(', ');
        return h('li', { class: 'visit-item' },
          h('div', { class: 'visit-head' },
            h('strong', { text: formatDateTime(v.visited_at) }),
            h('span', { text: ` · ${label(CONTACT_TYPES, v.contact_type)}` }),
            level ? h('span', { class: `badge badge-${level}`, text: RISK_LABELS[level] || level }) : null),
          who ? h('div', { class: 'visit-who', text: who }) : null,
          chips(v.indicators, INDICATORS),
          v.needs && v.needs.length ? h('div', { class: 'visit-needs' }, '욕구: ', v.needs.map((n) => label(NEEDS, n)).join(', ')) : null,
          v.risk_override ? h('div', { class: 'visit-override', text: `위험도 직접 지정: ${RISK_LABELS[v.risk_override] || v.risk_override} — ${v.override_reason || ''}` }) : null,
          v.notes ? h('div', { class: 'visit-notes', text: v.notes }) : null);
      })), { none: '아직 방문 기록이 없습니다.', missing: '방문 이력 기능이 아직 준비되지 않았습니다.', failed: '방문 이력을 불러오지 못했습니다' });
  }

  async _loadServices(id, el, gen, nearby = null) {
    const items = await this._section(el, gen, `/households/${id}/services`, null, (list) => h('ul', { class: 'service-list' },
      list.map((s) => h('li', { class: 'service-item', dataset: { type: s.type, facilityId: s.facility_id ?? '' } },
        h('div', { class: 'service-head' },
          h('strong', { text: label(SERVICE_TYPES, s.type) }),
          h('span', { class: `service-status status-${s.status}`, text: label(SERVICE_STATUSES, s.status) })),
        s.facility_name ? h('div', { class: 'service-facility', text: s.facility_name }) : null,
        s.need ? h('div', { class: 'service-need', text: `욕구: ${label(NEEDS, s.need)}` }) : null,
        s.note ? h('div', { class: 'service-note', text: s.note }) : null,
        s.created_at ? h('div', { class: 'service-date', text: `${formatDateTime(s.created_at)}${s.created_by ? ` · ${s.created_by}` : ''}` }) : null))),
    { none: '연계된 서비스가 없습니다.', missing: '서비스 연계 기능이 아직 준비되지 않았습니다.', failed: '서비스 연계를 불러오지 못했습니다' });
    if (items && nearby && gen === this.generation) nearby.setLinks(items);
    return items;
  }
}
