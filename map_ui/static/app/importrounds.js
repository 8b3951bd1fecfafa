// The 발굴 차수 tab: each 복지사각지대 발굴 list round with its progress (rows, 연락됨, 연락두절, 부재, 미연락, the
// 조사 outcomes, the due date), its results file (the round's own columns plus the outcomes, asked with a
// purpose) and a link that opens the map filtered to that round.

import { api } from './api.js';
import { formatCount, formatDate, formatDateTime, h, replace } from './dom.js';
import { DiscoveryExportDialog } from './jobs.js';
import { StaffPane } from './staffpage.js';
import { DISCOVERY_OUTCOMES, label } from './vocab.js';

export class RoundsPane extends StaffPane {
  constructor(root, { onForbidden }) {
    super(root, { onForbidden });
    this.items = [];
    this.exportDialog = null;
  }

  reset() {
    this.items = [];
    this.dirty = true;
    replace(this.root);
  }

  start() {
    this.message = h('p', { class: 'job-message', id: 'rounds-message', attrs: { role: 'alert' }, hidden: true });
    this.body = h('tbody');
    this.count = h('strong', { class: 'list-count', id: 'rounds-total' });
    replace(this.root,
      h('p', { class: 'review-lead', text: '복지사각지대 발굴 대상자 명단의 차수별 조사 진행입니다. 결과는 가구 창의 발굴 조사 칸에서 기록하고, 여기서 발굴관리시스템에 입력할 파일로 내려받습니다.' }),
      h('div', { class: 'admin-toolbar' }, h('h2', { class: 'imp-h2', text: '발굴 차수' }), this.count,
        h('span', { class: 'toolbar-gap' }), h('button', { type: 'button', id: 'rounds-refresh', text: '새로고침', on: { click: () => this.load() } })),
      this.message,
      h('div', { class: 'table-wrap' }, h('table', { id: 'rounds-table', class: 'admin-table rounds-table' },
        h('thead', {}, h('tr', {}, ...['차수', '가져온 날', '조사 기한', '대상', '연락됨', '연락두절', '부재', '미연락', '조사 결과', ''].map((t) => h('th', { scope: 'col', text: t })))),
        this.body)));
  }

  async load() {
    try {
      const data = await api.get('/discovery/rounds');
      this.items = data.items || [];
      this.dirty = false;
      this.say('');
      this.count.textContent = `${formatCount(this.items.length)}개 차수`;
      this.draw();
    } catch (err) {
      this.dirty = true;
      this.failed(err);
    }
  }

  draw() {
    replace(this.body, this.items.map((r) => {
      const outcomes = Object.entries(r.outcomes || {}).filter(([, n]) => n);
      const mapHref = `/#${new URLSearchParams({ round: r.round })}`;
      return h('tr', { dataset: { importId: String(r.import_id), round: r.round } },
        h('td', { class: 'cell-username', dataset: { label: '차수' }, text: r.round }),
        h('td', { dataset: { label: '가져온 날' }, text: formatDateTime(r.imported_at).slice(0, 13) }),
        h('td', { dataset: { label: '조사 기한' } }, r.due_on ? formatDate(r.due_on) : '—',
          r.overdue ? h('span', { class: 'state state-locked round-overdue', text: ` 기한 경과 ${formatCount(r.overdue)}` }) : null),
        h('td', { class: 'num', dataset: { label: '대상' } }, formatCount(r.rows),
          r.queued ? h('span', { class: 'round-queued', text: ` (위치 대기 ${formatCount(r.queued)})` }) : null),
        h('td', { class: 'num', dataset: { label: '연락됨' }, text: formatCount(r.reached) }),
        h('td', { class: 'num', dataset: { label: '연락두절' }, text: formatCount(r.unreachable) }),
        h('td', { class: 'num', dataset: { label: '부재' }, text: formatCount(r.absent) }),
        h('td', { class: 'num', dataset: { label: '미연락' }, text: formatCount(r.not_contacted) }),
        h('td', { class: 'cell-detail', dataset: { label: '조사 결과' } }, outcomes.length
          ? h('div', { class: 'chips' }, outcomes.map(([code, n]) => h('span', { class: 'chip', text: `${label(DISCOVERY_OUTCOMES, code)} ${formatCount(n)}` })))
          : '아직 없음'),
        h('td', { class: 'cell-actions' }, h('div', { class: 'round-actions' },
          h('a', { class: 'button-link', href: mapHref, text: '지도에서 보기' }),
          h('button', { type: 'button', class: 'round-export', text: '결과 내려받기', on: { click: () => this.exportRound(r) } }))));
    }));
    if (!this.items.length) this.body.append(h('tr', {}, h('td', { colSpan: 10, class: 'empty-row', text: '가져온 발굴 대상자 명단이 없습니다.' })));
  }

  exportRound(r) {
    if (!this.exportDialog) this.exportDialog = new DiscoveryExportDialog();
    this.exportDialog.open(r);
  }
}
