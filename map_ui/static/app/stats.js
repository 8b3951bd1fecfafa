// The statistics screen (/stats): the 2015 table for the caller's area and a chosen period, charts where people
// would rather look than read (Chart.js from npm, served from /vendor and loaded only here), the same numbers in a
// table, and the data-quality counts that open their lists. Every figure is GET /stats's, never recomputed here.

import { api, saveFile } from './api.js';
import { formatCount, formatDate, h, replace } from './dom.js';
import { qualityButtons } from './quality.js';
import { RISK_COLORS, RISK_LABELS, RISK_LEVELS, SERVICE_STATUSES, SERVICE_TYPES, label } from './vocab.js';

const FONT = 'system-ui, "Apple SD Gothic Neo", "Malgun Gothic", "NanumGothic", "Nanum Gothic", "Noto Sans CJK KR", sans-serif';
const OUTLINE = '#263238'; // white (unvisited) bars need an edge to be seen
const STATUS_COLORS = { requested: '#90A4AE', in_progress: '#FFB300', delivered: '#43A047', declined: '#8D6E63' };
const VISITS_COLOR = '#1565C0';
const HOUSEHOLDS_COLOR = '#00897B';
const OVERDUE_COLOR = '#6D4C41';
const INTAKE_COLORS = ['#8E24AA', '#5E35B1', '#1E88E5', '#43A047'];

const PERIODS = {
  quarter: '최근 3개월',
  month: '이번 달',
  last_month: '지난 달',
  year: '올해',
  all: '전체 기간',
  custom: '직접 지정',
};

// The 2015 table's rows, in its order: key of GET /stats, label, unit.
const TABLE_2015 = [
  ['households_total', '관리 가구', '가구'],
  ['households_visited', '방문한 가구', '가구'],
  ['visits_total', '방문 횟수', '회'],
  ['visitor_participations', '방문 참여 연인원', '명'],
  ['needs_surveys', '욕구 조사', '건'],
  ['service_links', '서비스 연계', '건'],
  ['facilities', '복지 자원', '곳'],
  ['overdue', '방문 기한 경과', '가구'],
];

const DONG_COLUMNS = [
  ['dong_name', '동'],
  ['households_total', '관리 가구'],
  ...RISK_LEVELS.map((level) => [`risk.${level}`, RISK_LABELS[level]]),
  ['households_visited', '방문한 가구'],
  ['visits_total', '방문 횟수'],
  ['overdue', '기한 경과'],
  ['service_links', '서비스 연계'],
];

function pick(row, path) {
  return path.split('.').reduce((v, k) => (v == null ? v : v[k]), row);
}

function isoDate(d) {
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** First and last day of a preset period ending today (`today`: YYYY-MM-DD, the deployment's calendar). */
export function periodRange(preset, today) {
  const [y, m] = today.split('-').map(Number);
  if (preset === 'month') return { from: `${today.slice(0, 7)}-01`, to: today };
  if (preset === 'quarter') return { from: isoDate(new Date(Date.UTC(y, m - 3, 1))), to: today };
  if (preset === 'last_month') {
    return { from: isoDate(new Date(Date.UTC(y, m - 2, 1))), to: isoDate(new Date(Date.UTC(y, m - 1, 0))) };
  }
  if (preset === 'year') return { from: `${y}-01-01`, to: today };
  return { from: null, to: null };
}

function validDate(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && isoDate(d) === text;
}

export class StatsView {
  /** `onOpenList(key, dongId)`: a data-quality count was chosen (the caller opens the list it counts). */
  constructor(root, { onOpenList }) {
    this.root = root;
    this.onOpenList = onOpenList;
    this.charts = new Map();
    this.data = null;
    this.built = false;
    this.controller = null;
    this.ready = false;
    this.loads = 0;
  }

  /** Show the screen for `me` (its dongs: `dongs`, the ones it may see) as of `today` (YYYY-MM-DD). */
  async open(me, dongs, today, whole) {
    this.me = me;
    this.today = today;
    if (!this.built) this._build(dongs, whole);
    return this.load();
  }

  _build(dongs, whole) {
    this.el = {
      dong: h('select', { id: 's-dong', name: 'dong' },
        (whole || dongs.length > 1) ? h('option', { value: '', text: whole ? '구 전체' : '담당 동 전체' }) : null,
        dongs.map((d) => h('option', { value: String(d.id), text: d.name }))),
      period: h('select', { id: 's-period', name: 'period' },
        Object.entries(PERIODS).map(([value, text]) => h('option', { value, text }))),
      from: h('input', { id: 's-from', name: 'from', type: 'date', min: '2000-01-01', max: '2100-12-31' }),
      to: h('input', { id: 's-to', name: 'to', type: 'date', min: '2000-01-01', max: '2100-12-31' }),
      interval: h('select', { id: 's-interval', name: 'interval' },
        h('option', { value: 'week', text: '주별' }), h('option', { value: 'month', text: '월별' })),
      apply: h('button', { type: 'submit', class: 'primary', id: 's-apply', text: '보기' }),
      print: h('button', { type: 'button', id: 's-print', text: '인쇄·PDF' }),
      csv: h('button', { type: 'button', id: 's-csv', text: '표 CSV' }),
      message: h('p', { id: 'stats-message', class: 'stats-message', attrs: { role: 'alert' }, hidden: true }),
      caption: h('p', { id: 'stats-caption', class: 'stats-caption' }),
      cards: h('div', { id: 'stats-cards', class: 'stats-cards' }),
      risk: h('div', { id: 'stats-risk', class: 'stats-cards stats-risk' }),
      quality: h('div', { id: 'stats-quality', class: 'quality-list' }),
      charts: h('div', { id: 'stats-charts', class: 'stats-charts' }),
      table: h('table', { id: 'stats-table', class: 'stats-table' }),
    };
    this.el.custom = h('span', { class: 'stats-custom', hidden: true },
      h('label', { class: 'field' }, '시작일', this.el.from), h('label', { class: 'field' }, '종료일', this.el.to));
    this.form = h('form', { class: 'stats-controls', noValidate: true, attrs: { 'aria-label': '통계 범위와 기간' } },
      h('label', { class: 'field' }, '범위', this.el.dong),
      h('label', { class: 'field' }, '기간', this.el.period),
      this.el.custom,
      h('label', { class: 'field' }, '방문 추이', this.el.interval),
      h('span', { class: 'stats-buttons' }, this.el.apply, this.el.print, this.el.csv));
    replace(this.root, h('div', { class: 'stats-inner' },
      h('header', { class: 'stats-head' }, h('h2', { text: '복지사각지대 발굴·관리 통계' }), this.el.caption),
      this.form, this.el.message,
      h('section', { class: 'stats-section', attrs: { 'aria-labelledby': 'stats-h-table2015' } },
        h('h3', { id: 'stats-h-table2015', text: '발굴·관리 현황' }), this.el.cards, this.el.risk),
      h('section', { class: 'stats-section', attrs: { 'aria-labelledby': 'stats-h-quality' } },
        h('h3', { id: 'stats-h-quality', text: '점검 필요 (지금 기준)' }), this.el.quality),
      h('section', { class: 'stats-section', attrs: { 'aria-labelledby': 'stats-h-charts' } },
        h('h3', { id: 'stats-h-charts', class: 'sr-only', text: '그래프' }), this.el.charts),
      h('section', { class: 'stats-section', attrs: { 'aria-labelledby': 'stats-h-dongs' } },
        h('h3', { id: 'stats-h-dongs', text: '동별 현황' }), h('div', { class: 'table-scroll' }, this.el.table))));
    this.el.period.value = 'quarter'; // enough weeks for a trend; 지난 달 is one click away for the monthly report
    this._preset();
    this.el.period.addEventListener('change', () => { this._preset(); if (this.el.period.value !== 'custom') this.load(); });
    this.el.dong.addEventListener('change', () => this.load());
    this.el.interval.addEventListener('change', () => this.load());
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.load(); });
    this.el.print.addEventListener('click', () => this.print());
    this.el.csv.addEventListener('click', () => this.saveCsv());
    window.addEventListener('beforeprint', () => { for (const chart of this.charts.values()) chart.resize(); });
    this.built = true;
  }

  /** Dates and trend unit of the chosen preset (custom keeps what was typed). */
  _preset() {
    const preset = this.el.period.value;
    this.el.custom.hidden = preset !== 'custom';
    if (preset === 'custom') {
      if (!this.el.from.value) this.el.from.value = periodRange('month', this.today).from;
      if (!this.el.to.value) this.el.to.value = this.today;
      return;
    }
    const { from, to } = periodRange(preset, this.today);
    this.el.from.value = from || '';
    this.el.to.value = to || '';
    this.el.interval.value = ['month', 'last_month', 'quarter'].includes(preset) ? 'week' : 'month';
  }

  _say(text) {
    this.el.message.textContent = text || '';
    this.el.message.hidden = !text;
  }

  /** The query of GET /stats, or an error message in Korean for a period that cannot be asked for. */
  params() {
    const p = { interval: this.el.interval.value, dong_id: this.el.dong.value || null };
    if (this.el.period.value === 'all') return { params: p };
    const from = this.el.from.value;
    const to = this.el.to.value;
    if (!validDate(from) || !validDate(to)) return { error: '시작일과 종료일을 모두 올바른 날짜로 고르세요.' };
    if (from > to) return { error: '시작일이 종료일보다 늦습니다. 기간을 다시 고르세요.' };
    return { params: { ...p, from, to } };
  }

  async load() {
    const { params, error } = this.params();
    if (error) {
      this._say(error);
      return null;
    }
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.ready = false;
    this._say('');
    this.root.setAttribute('aria-busy', 'true');
    try {
      // The chart library is fetched the first time the screen opens, alongside the figures.
      const [data, Chart] = await Promise.all([api.get('/stats', params, controller.signal), chartLibrary()]);
      if (controller !== this.controller) return null;
      this.data = data;
      this.params_ = params;
      this._render(data, Chart);
      this.ready = true;
      this.loads += 1;
      return data;
    } catch (err) {
      if (err.name === 'AbortError') return null;
      this._say(`통계를 불러오지 못했습니다: ${err.message}`);
      return null;
    } finally {
      if (controller === this.controller) this.root.removeAttribute('aria-busy');
    }
  }

  _scopeName() {
    const option = this.el.dong.selectedOptions[0];
    return option ? option.textContent : '';
  }

  _periodText(d) {
    if (!d.period_from && !d.period_to) return '전체 기간';
    return `${formatDate(d.period_from)} ~ ${formatDate(d.period_to)}`;
  }

  _render(d, Chart) {
    this.el.caption.textContent = `${this._scopeName()} · ${this._periodText(d)} · 가구 현황은 ${formatDate(d.as_of)} 기준`;
    replace(this.el.cards, TABLE_2015.map(([key, text, unit]) => h('div', { class: 'stat-card', dataset: { key } },
      h('span', { class: 'stat-label', text }),
      h('strong', { class: 'stat-value', text: formatCount(d[key]) }), h('span', { class: 'stat-unit', text: unit }))));
    replace(this.el.risk, RISK_LEVELS.map((level) => h('div', { class: 'stat-card risk-card', dataset: { key: `risk.${level}` } },
      h('span', { class: 'stat-label' }, h('span', { class: `swatch swatch-${level}`, style: { background: RISK_COLORS[level] } }), RISK_LABELS[level]),
      h('strong', { class: 'stat-value', text: formatCount(d.risk[level]) }), h('span', { class: 'stat-unit', text: '가구' }))));
    if (d.quality) {
      replace(this.el.quality, qualityButtons(d.quality, (key) => this.onOpenList(key, Number(this.el.dong.value) || null)));
    }
    this._renderTable(d);
    this._renderCharts(d, Chart);
  }

  _renderTable(d) {
    const head = h('tr', {}, DONG_COLUMNS.map(([, text]) => h('th', { scope: 'col', text })));
    const rows = d.by_dong.map((row) => h('tr', { dataset: { dongId: String(row.dong_id) } },
      DONG_COLUMNS.map(([key], i) => (i === 0 ? h('th', { scope: 'row', text: row.dong_name })
        : h('td', { dataset: { key }, text: formatCount(pick(row, key)) })))));
    const total = h('tr', { class: 'total-row', dataset: { dongId: 'total' } },
      DONG_COLUMNS.map(([key], i) => (i === 0 ? h('th', { scope: 'row', text: '합계' })
        : h('td', { dataset: { key }, text: formatCount(pick(d, key)) }))));
    replace(this.el.table, h('caption', { class: 'sr-only', text: '동별 현황 표' }), h('thead', {}, head),
      h('tbody', {}, rows), h('tfoot', {}, total));
  }

  _renderCharts(d, Chart) {
    for (const chart of this.charts.values()) chart.destroy();
    this.charts.clear();
    const dongs = d.by_dong.map((r) => r.dong_name);
    const manyDongs = dongs.length > 6;
    const seriesLabel = (p) => (d.series_interval === 'week' ? `${formatDate(p.start)} 주` : p.start.slice(0, 7));
    const specs = [
      {
        name: 'risk-by-dong', title: '동별 위험도 (가구)', rows: manyDongs ? dongs.length : 0,
        config: {
          type: 'bar',
          data: {
            labels: dongs,
            datasets: RISK_LEVELS.map((level) => ({
              label: RISK_LABELS[level], data: d.by_dong.map((r) => r.risk[level]), backgroundColor: RISK_COLORS[level],
              borderColor: level === 'unvisited' ? OUTLINE : RISK_COLORS[level], borderWidth: level === 'unvisited' ? 1 : 0,
            })),
          },
          options: { indexAxis: manyDongs ? 'y' : 'x', scales: { x: { stacked: true }, y: { stacked: true } } },
        },
      },
      {
        name: 'visits-series', title: d.series_interval === 'week' ? '주별 방문 추이' : '월별 방문 추이',
        empty: !d.visits_series.length && '이 기간에 기록된 방문이 없습니다.',
        config: {
          type: 'line',
          data: {
            labels: d.visits_series.map(seriesLabel),
            datasets: [
              { label: '방문 횟수', data: d.visits_series.map((p) => p.visits), borderColor: VISITS_COLOR, backgroundColor: VISITS_COLOR },
              { label: '방문한 가구', data: d.visits_series.map((p) => p.households), borderColor: HOUSEHOLDS_COLOR, backgroundColor: HOUSEHOLDS_COLOR },
            ],
          },
          options: { scales: { y: { beginAtZero: true } } },
        },
      },
      {
        name: 'needs-top', title: '주요 욕구 (방문 기록 건수)', rows: Math.min(d.needs_top.length, 10),
        empty: !d.needs_top.length && '이 기간에 기록된 욕구가 없습니다.',
        config: {
          type: 'bar',
          data: {
            labels: d.needs_top.slice(0, 10).map((n) => n.label),
            datasets: [{ label: '방문 기록', data: d.needs_top.slice(0, 10).map((n) => n.count), backgroundColor: '#5E35B1' }],
          },
          options: { indexAxis: 'y', plugins: { legend: { display: false } } },
        },
      },
      this._serviceSpec(d),
      {
        name: 'overdue-by-dong', title: '동별 방문 기한 경과 (가구)', rows: manyDongs ? dongs.length : 0,
        config: {
          type: 'bar',
          data: { labels: dongs, datasets: [{ label: '기한 경과', data: d.by_dong.map((r) => r.overdue), backgroundColor: OVERDUE_COLOR }] },
          options: { indexAxis: manyDongs ? 'y' : 'x', plugins: { legend: { display: false } } },
        },
      },
      {
        name: 'intake', title: '사각지대 신고 처리 흐름 (건)',
        empty: !(d.intake && d.intake.received) && '이 기간에 접수된 신고가 없습니다.',
        config: {
          type: 'bar',
          data: {
            labels: ['접수', '동 배정', '가구 등록', '등록 후 방문'],
            datasets: [{
              label: '신고', backgroundColor: INTAKE_COLORS,
              data: d.intake ? [d.intake.received, d.intake.placed, d.intake.converted, d.intake.visited] : [0, 0, 0, 0],
            }],
          },
          options: { plugins: { legend: { display: false } } },
        },
      },
    ];
    const cards = specs.map((spec) => this._chartCard(spec));
    replace(this.el.charts, cards.map((c) => c.card));
    // Charts are made once their cards are in the page, so each measures its box.
    for (const { spec, canvas } of cards) this.charts.set(spec.name, new Chart(canvas, spec.config));
  }

  _serviceSpec(d) {
    const types = [...new Set(d.service_links_by.map((s) => s.type))];
    const statuses = Object.keys(SERVICE_STATUSES).filter((s) => d.service_links_by.some((x) => x.status === s));
    const count = (type, status) => (d.service_links_by.find((x) => x.type === type && x.status === status) || { count: 0 }).count;
    return {
      name: 'service-links', title: '서비스 연계 (종류·진행 상태)', rows: types.length > 5 ? types.length : 0,
      empty: !types.length && '이 기간에 연계한 서비스가 없습니다.',
      config: {
        type: 'bar',
        data: {
          labels: types.map((t) => label(SERVICE_TYPES, t)),
          datasets: statuses.map((status) => ({
            label: label(SERVICE_STATUSES, status), data: types.map((t) => count(t, status)),
            backgroundColor: STATUS_COLORS[status] || '#78909C',
          })),
        },
        options: { indexAxis: types.length > 5 ? 'y' : 'x', scales: { x: { stacked: true }, y: { stacked: true } } },
      },
    };
  }

  _chartCard(spec) {
    const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': spec.title } });
    // Bars per row on a horizontal chart; a fixed height otherwise (Chart.js fills its box).
    const height = spec.rows ? Math.max(220, spec.rows * 22 + 70) : 240;
    const box = h('div', { class: 'chart-box', style: { height: `${height}px` } }, canvas);
    const png = h('button', { type: 'button', class: 'link-button chart-png', text: 'PNG 저장' });
    const card = h('figure', { class: 'chart-card', dataset: { chart: spec.name } },
      h('figcaption', {}, h('span', { text: spec.title }), png), box,
      spec.empty ? h('p', { class: 'chart-empty', text: spec.empty }) : null);
    const config = spec.config;
    config.options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      ...config.options,
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, ...(config.options.plugins || {}) },
    };
    png.addEventListener('click', () => this.savePng(spec, canvas));
    return { card, spec, canvas };
  }

  _stem() {
    const p = this.params_ || {};
    const period = p.from ? `${p.from}_${p.to}` : '전체기간';
    return `통계-${this._scopeName().replace(/\s+/g, '')}-${period}`;
  }

  /** One chart as a PNG on a white background (a canvas is transparent). */
  savePng(spec, canvas) {
    const out = document.createElement('canvas');
    out.width = canvas.width;
    out.height = canvas.height;
    const ctx = out.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    out.toBlob((blob) => saveFile({ blob, name: `${this._stem()}-${spec.name}.png` }), 'image/png');
  }

  /** The numbers table as CSV (UTF-8 with BOM, which Excel reads as Korean). No personal data in it. */
  saveCsv() {
    if (!this.data) return;
    const d = this.data;
    const quote = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    const lines = [DONG_COLUMNS.map(([, text]) => text).join(',')];
    for (const row of d.by_dong) lines.push(DONG_COLUMNS.map(([key]) => quote(pick(row, key))).join(','));
    lines.push(['합계', ...DONG_COLUMNS.slice(1).map(([key]) => pick(d, key))].map(quote).join(','));
    lines.push('');
    lines.push(`범위,${quote(this._scopeName())}`, `기간,${quote(this._periodText(d))}`);
    for (const [key, text] of TABLE_2015) lines.push(`${text},${d[key]}`);
    const blob = new Blob([`\uFEFF${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
    saveFile({ blob, name: `${this._stem()}.csv` });
  }

  print() {
    for (const chart of this.charts.values()) chart.resize();
    window.print();
  }

  /** Forget the figures (sign-out). */
  reset() {
    if (this.controller) this.controller.abort();
    this.controller = null;
    for (const chart of this.charts.values()) chart.destroy();
    this.charts.clear();
    this.data = null;
    this.ready = false;
    this.built = false;
    replace(this.root);
  }
}

let chartModule = null;

/** Chart.js with every chart type registered, loaded once (the map never pays for it). */
function chartLibrary() {
  if (!chartModule) {
    chartModule = import('chart.js/auto').then((m) => {
      const Chart = m.default;
      Chart.defaults.font.family = FONT;
      Chart.defaults.color = '#1f2933';
      return Chart;
    }).catch((err) => {
      chartModule = null;
      throw new Error(`그래프 도구를 불러오지 못했습니다 (${err.message})`);
    });
  }
  return chartModule;
}
