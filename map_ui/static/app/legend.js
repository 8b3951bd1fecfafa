// The map legend: points per risk level and overdue, layer switches (tracts, welfare facilities, 경로당, heat and
// cold shelters open on the chosen day), facility symbols, and for staff the data-quality counts (점검 필요) that
// open their lists.

import * as L from '/vendor/leaflet/dist/leaflet-src.esm.js';
import { formatCount, h, replace } from './dom.js';
import { qualityButtons } from './quality.js';
import { FACILITY_CATEGORIES, OVERDUE_LABEL, RISK_COLORS, RISK_LABELS, RISK_LEVELS } from './vocab.js';

// Category layers with a switch of their own: 경로당 and the shelters (shown only on days they are open).
export const OVERLAY_CATEGORIES = ['senior_centre', 'heat_shelter', 'cold_shelter'];

/** Today in Seoul as YYYY-MM-DD. */
export function seoulToday() {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Seoul' }).format(new Date());
}

function symbol(code) {
  const cat = FACILITY_CATEGORIES[code] || FACILITY_CATEGORIES.other;
  return h('span', { class: 'fac-symbol small', style: { background: cat.color }, text: cat.symbol, attrs: { 'aria-hidden': 'true' } });
}

export class Legend {
  constructor() {
    const phone = window.matchMedia('(max-width: 720px)').matches;
    const box = h('details', { class: 'hm-legend', open: !phone, attrs: { 'aria-label': '범례' } });
    this.rows = {};
    this.total = h('span', { class: 'legend-total', text: '' });
    box.append(h('summary', { class: 'legend-title' }, '가구 위험도 ', this.total));
    for (const level of RISK_LEVELS) {
      const count = h('span', { class: 'legend-count', text: '0' });
      this.rows[level] = count;
      box.append(h('div', { class: 'legend-row', dataset: { level } },
        h('span', { class: `swatch swatch-${level}`, style: { background: RISK_COLORS[level] } }),
        h('span', { class: 'legend-label', text: RISK_LABELS[level] }), count));
    }
    this.overdue = h('span', { class: 'legend-count', text: '0' });
    box.append(h('div', { class: 'legend-row', dataset: { level: 'overdue' } },
      h('span', { class: 'swatch swatch-overdue' }), h('span', { class: 'legend-label', text: OVERDUE_LABEL }),
      this.overdue));
    this.reportCount = h('span', { class: 'legend-count', text: '0' });
    this.reportRow = h('div', { class: 'legend-row legend-reports', dataset: { level: 'report' }, hidden: true },
      h('span', { class: 'report-diamond small', attrs: { 'aria-hidden': 'true' } }),
      h('span', { class: 'legend-label', text: '사각지대 신고' }), this.reportCount);
    box.append(this.reportRow);
    this.tractToggle = h('input', { type: 'checkbox', checked: true, id: 'toggle-tracts' });
    this.facilityToggle = h('input', { type: 'checkbox', checked: false, id: 'toggle-facilities' });
    this.overlayToggles = {};
    for (const code of OVERLAY_CATEGORIES) {
      this.overlayToggles[code] = h('input', { type: 'checkbox', checked: false, id: `toggle-${code}`, dataset: { category: code } });
    }
    this.shelterDate = h('input', {
      type: 'date', id: 'shelter-date', name: 'shelter-date', value: seoulToday(), required: true,
      attrs: { 'aria-label': '쉼터 기준일' },
    });
    const overlayLabel = (code) => h('label', {}, this.overlayToggles[code], ' ', symbol(code), ` ${FACILITY_CATEGORIES[code].label}`);
    box.append(h('div', { class: 'legend-toggles' },
      h('label', {}, this.tractToggle, ' 통 위험도 색'),
      h('label', {}, this.facilityToggle, ' 복지기관'),
      overlayLabel('senior_centre'), overlayLabel('heat_shelter'), overlayLabel('cold_shelter'),
      h('label', { class: 'legend-date' }, '쉼터 기준일', this.shelterDate)));
    this.facilityLegend = h('div', { class: 'legend-facilities', hidden: true });
    box.append(this.facilityLegend);
    // Folded by default: the legend must not cover the middle of the map, where people click to place things.
    this.qualityNote = h('span', { class: 'legend-hint' });
    this.qualityList = h('div', { class: 'quality-list compact' });
    this.quality = h('details', { class: 'legend-quality', hidden: true },
      h('summary', { class: 'legend-subtitle' }, '점검 필요 ', this.qualityNote), this.qualityList);
    box.append(this.quality);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    this.box = box;
    this.control = L.control({ position: 'bottomright' });
    this.control.onAdd = () => box;
  }

  addTo(map) {
    this.control.addTo(map);
    return this;
  }

  /** Counts per level (and overdue) of the points on the map. */
  setCounts(counts, total) {
    for (const level of RISK_LEVELS) this.rows[level].textContent = formatCount(counts[level]);
    this.overdue.textContent = formatCount(counts.overdue);
    this.total.textContent = `(지도에 ${formatCount(total)}가구)`;
  }

  /** How many report diamonds are on the map (shown while the 신고 tab is open). */
  setReportCount(n) {
    this.reportCount.textContent = formatCount(n);
  }

  showReports(on) {
    this.reportRow.hidden = !on;
  }

  /** The data-quality counts (GET /stats/quality) as buttons that open their lists; null hides them. */
  setQuality(q, onPick) {
    this.quality.hidden = !q;
    const buttons = q ? qualityButtons(q, onPick, { compact: true }) : [];
    const open = buttons.filter((b) => b.classList.contains('has-count')).length;
    this.qualityNote.textContent = q ? (open ? `(${open}개 항목)` : '(없음)') : '';
    replace(this.qualityList, buttons);
  }

  /** The day the shelter layers and the household panel's shelter line are for (YYYY-MM-DD). */
  get shelterDay() {
    return this.shelterDate.value || seoulToday();
  }

  /** The symbols of the facility categories present on the map. */
  setFacilityCategories(present) {
    const items = Object.entries(FACILITY_CATEGORIES).filter(([code]) => present.has(code)).map(([, cat]) =>
      h('span', { class: 'fac-legend-item' },
        h('span', { class: 'fac-symbol small', style: { background: cat.color }, text: cat.symbol }), cat.label));
    replace(this.facilityLegend, ...items);
  }
}
