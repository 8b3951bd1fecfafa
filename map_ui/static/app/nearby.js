// "가까운 기관" in the household panel: facilities nearest to the household for its open needs (or one chosen
// need), with distance, referral capacity and the needs each serves; a "의뢰" button creates a referral
// service link to the facility. Every text from data goes in as text.

import { api } from './api.js';
import { formatDate, formatDistance, h, replace } from './dom.js';
import { FACILITY_CATEGORIES, NEEDS, SERVICE_STATUSES, label } from './vocab.js';

const LIMIT = 10;
const NOT_ACCEPTING = '현재 의뢰를 받지 않음';
const OPEN_STATUSES = new Set(['requested', 'in_progress']);

/** The need a referral to this facility answers: the chosen one, else the first open need it serves. */
export function referralNeed(facility, openNeeds, chosen) {
  if (chosen) return chosen;
  const served = new Set(facility.needs_served || []);
  return (openNeeds || []).find((n) => served.has(n)) || null;
}

export class NearbyFacilities {
  /**
   * hh: the household shown; map: the HappyMap; canRefer: the user may create service links;
   * isCurrent(): the panel still shows this household; onReferred(link): after a referral was created.
   */
  constructor(hh, { map, canRefer, isCurrent, onReferred }) {
    this.hh = hh;
    this.map = map;
    this.canRefer = canRefer && hh.status !== 'closed';
    this.isCurrent = isCurrent;
    this.onReferred = onReferred;
    this.openNeeds = (hh.needs || []).filter((n) => Object.hasOwn(NEEDS, n));
    this.need = null; // null: the household's open needs (the API's default)
    this.links = new Map(); // facility id → the newest referral link to it
    this.items = [];
    this.loadGeneration = 0;
    this.busy = false;

    this.needSelect = null;
    const controls = h('div', { class: 'nearby-controls' });
    if (this.openNeeds.length) {
      this.needSelect = h('select', { name: 'nearby-need', class: 'nearby-need' },
        h('option', { value: '', text: '전체' }),
        this.openNeeds.map((n) => h('option', { value: n, text: label(NEEDS, n) })));
      this.needSelect.addEventListener('change', () => {
        this.need = this.needSelect.value || null;
        this.load();
      });
      controls.append(h('label', { class: 'field nearby-need-field' }, '욕구', this.needSelect));
    }
    this.note = null;
    if (this.canRefer) {
      this.note = h('input', {
        type: 'text', name: 'referral-note', class: 'nearby-note', maxLength: 500, autocomplete: 'off',
        placeholder: '예: 주 2회 도시락 필요',
      });
      controls.append(h('label', { class: 'field nearby-note-field' }, '의뢰 메모 (선택)', this.note));
    }
    this.hint = h('p', { class: 'nearby-hint' });
    this.message = h('p', { class: 'nearby-message', attrs: { role: 'status', 'aria-live': 'polite' }, hidden: true });
    this.list = h('div', { class: 'nearby' }, h('p', { class: 'loading', text: '불러오는 중…' }));
    this.el = h('div', { class: 'nearby-box' }, controls.childNodes.length ? controls : null, this.hint, this.message,
      this.list);
  }

  /** Fetch the nearest facilities for the chosen need (or all open needs) and draw the rows. */
  async load() {
    const gen = ++this.loadGeneration;
    replace(this.list, h('p', { class: 'loading', text: '불러오는 중…' }));
    const params = { limit: LIMIT };
    if (this.need) params.need = this.need;
    try {
      const data = await api.get(`/households/${this.hh.id}/nearby-facilities`, params);
      if (gen !== this.loadGeneration || !this.isCurrent()) return;
      this.items = (data && data.items) || [];
      const needs = (data && data.needs) || [];
      this.hint.textContent = needs.length
        ? `${needs.map((n) => label(NEEDS, n)).join(', ')} 지원 기관 · 가까운 순`
        : '열린 욕구가 없어 가까운 기관을 모두 보여 줍니다.';
      this._draw();
    } catch (err) {
      if (gen !== this.loadGeneration || !this.isCurrent()) return;
      this.items = [];
      this.hint.textContent = '';
      replace(this.list, h('p', {
        class: 'empty-state',
        text: err.missing ? '주변 기관 찾기 기능이 아직 준비되지 않았습니다.' : `주변 기관을 불러오지 못했습니다: ${err.message}`,
      }));
    }
  }

  /** The household's service links (GET .../services items): referrals already sent show on their rows. */
  setLinks(items) {
    this.links.clear();
    for (const link of items || []) {
      if (link.type !== 'referral' || !link.facility_id || this.links.has(link.facility_id)) continue;
      this.links.set(link.facility_id, link); // items come newest first
    }
    if (this.items.length) this._draw();
  }

  _say(text, kind) {
    this.message.textContent = text;
    this.message.className = `nearby-message ${kind}`;
    this.message.hidden = !text;
    if (text) this.message.scrollIntoView({ block: 'nearest' });
  }

  _draw() {
    if (!this.items.length) {
      replace(this.list, h('p', {
        class: 'empty-state',
        text: this.need ? `${label(NEEDS, this.need)} 욕구를 지원하는 기관이 주변에 없습니다.` : '주변에 등록된 복지기관이 없습니다.',
      }));
      return;
    }
    replace(this.list, h('ul', { class: 'nearby-list' }, this.items.map((f) => this._row(f))));
  }

  _row(f) {
    const cat = FACILITY_CATEGORIES[f.category] || FACILITY_CATEGORIES.other;
    const served = new Set(f.needs_served || []);
    const matches = this.openNeeds.filter((n) => served.has(n));
    const accepting = f.accepting_referrals !== false;
    const confirmed = f.referrals_confirmed_on ? ` (${formatDate(f.referrals_confirmed_on)} 확인)` : '';
    const link = this.links.get(f.id);

    const main = h('div', {
      class: 'nearby-main', attrs: { tabindex: '0', role: 'button', 'aria-label': `${f.name || ''} 지도에 표시` },
    },
    h('div', { class: 'nearby-top' },
      h('span', { class: 'fac-symbol small', style: { background: cat.color }, text: cat.symbol, attrs: { 'aria-hidden': 'true' } }),
      h('span', { class: 'nearby-name', text: f.name || '' }),
      h('span', { class: 'nearby-distance', text: formatDistance(f.distance_m) })),
    h('div', { class: 'nearby-meta' },
      h('span', { class: 'nearby-category', text: f.category_label || cat.label }),
      h('span', {
        class: `nearby-referral ${accepting ? 'accepting' : 'closed'}`,
        text: `${accepting ? '의뢰 가능' : '의뢰 중단'}${confirmed}`,
      })),
    matches.length
      ? h('div', { class: 'nearby-serves' }, h('span', { class: 'nearby-serves-label', text: '지원 욕구' }),
        matches.map((n) => h('span', { class: 'chip chip-need', dataset: { need: n }, text: label(NEEDS, n) })))
      : null,
    link ? h('div', { class: 'nearby-linked', text: `의뢰함 · ${label(SERVICE_STATUSES, link.status)}` }) : null);
    if (Number.isFinite(f.lat) && Number.isFinite(f.lon)) {
      main.addEventListener('click', () => this.map.flagFacility(f));
      main.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.map.flagFacility(f); }
      });
    }

    const li = h('li', { class: 'nearby-item', dataset: { facilityId: f.id, accepting: String(accepting) } }, main);
    if (this.canRefer) {
      const again = link && OPEN_STATUSES.has(link.status);
      const button = h('button', {
        type: 'button', class: 'refer-button', text: '의뢰', disabled: !accepting,
        attrs: {
          title: accepting ? (again ? '이미 의뢰한 기관입니다. 다시 의뢰합니다.' : '이 기관에 의뢰(서비스 연계)를 등록합니다.') : NOT_ACCEPTING,
          'aria-label': `${f.name || ''}에 의뢰`,
        },
      });
      if (accepting) button.addEventListener('click', () => this._refer(f, button));
      // A disabled button gets no pointer events: its wrapper carries the tooltip too.
      li.append(h('span', { class: 'refer-slot', attrs: { title: accepting ? null : NOT_ACCEPTING } }, button));
    }
    return li;
  }

  async _refer(f, button) {
    if (this.busy) return;
    this.busy = true;
    button.disabled = true;
    button.textContent = '의뢰 중…';
    this._say('', '');
    const body = { type: 'referral', facility_id: f.id, status: 'requested' };
    const need = referralNeed(f, this.openNeeds, this.need);
    if (need) body.need = need;
    const note = this.note ? this.note.value.trim() : '';
    if (note) body.note = note;
    try {
      const link = await api.post(`/households/${this.hh.id}/services`, body);
      if (!this.isCurrent()) return;
      if (this.note) this.note.value = '';
      this._say(`${f.name || '기관'}에 의뢰했습니다${need ? ` (${label(NEEDS, need)})` : ''}. 서비스 연계에 추가되었습니다.`, 'ok');
      await this.onReferred(link);
    } catch (err) {
      if (!this.isCurrent()) return;
      this._say(`의뢰하지 못했습니다: ${err.message}`, 'error');
    } finally {
      this.busy = false;
      if (button.isConnected) {
        button.disabled = false;
        button.textContent = '의뢰';
      }
    }
  }
}
