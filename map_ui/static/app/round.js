// "오늘의 순회": one tract's households in the server's walking order (from the 주민센터 or from where the person
// stands), with distance, risk, overdue and open needs; one tap records a visit or a phone check-in. Every record
// goes through the offline queue (its own Idempotency-Key), so it is the same with or without a signal.
// "오프라인으로 받기" keeps the round (sealed) on the phone for a walk without a signal.

import { api } from './api.js';
import { formatDate, formatDateTime, formatDistance, h, replace } from './dom.js';
import {
  addDraft, discardDraft, drafts, isUnlocked, keepAnyway, offlineEvents, retryDraft, saveRound, storedRound, storedRounds,
  syncDrafts,
} from './offline.js';
import { visitForm } from './visitform.js';
import { CONTACT_TYPES, NEEDS, RISK_COLORS, RISK_LABELS, label } from './vocab.js';

const GEO_REFUSED = '위치를 쓸 수 없어 주민센터에서 출발하는 순서로 보여 줍니다.';

export class RoundView {
  /** `onOpenHousehold(hh)`: online, the household panel; `onClose()`; `onSynced()` after drafts were sent. */
  constructor(root, { onOpenHousehold, onClose, onSynced = () => {} }) {
    this.root = root;
    this.onOpenHousehold = onOpenHousehold;
    this.onClose = onClose;
    this.onSynced = onSynced;
    this.round = null;
    this.stored = false;
    this.done = new Set();
    this.queued = new Set(); // households with a draft on this device
    this.nextId = null;
    this.note = '';
    this.openCard = null; // the household shown as a card (offline) or with its form
    this.generation = 0;
    // A sync of many drafts changes the store many times: the list of drafts is redrawn at most every 150 ms.
    this.draftsTimer = null;
    offlineEvents.addEventListener('change', () => {
      if (!this.round || this.draftsTimer) return;
      this.draftsTimer = setTimeout(() => { this.draftsTimer = null; if (this.round) this._renderDrafts(); }, 150);
    });
    offlineEvents.addEventListener('synced', (e) => {
      if (!this.round) return;
      const { answer, draft } = e.detail;
      const hh = this.round.households.find((x) => x.id === draft.household_id);
      if (hh) Object.assign(hh, { version: answer.household.version, risk_level: answer.household.risk_level, overdue: answer.household.overdue });
    });
  }

  get active() {
    return !this.root.hidden && this.round !== null;
  }

  reset() {
    this.generation += 1;
    this.round = null;
    this.done.clear();
    this.nextId = null;
    this.openCard = null;
    this.root.hidden = true;
    replace(this.root);
    document.body.classList.remove('round-open');
  }

  show(on = true) {
    this.root.hidden = !on;
    document.body.classList.toggle('round-open', on);
  }

  /** The round of a tract from the server (online); `start` = [lon, lat] or null for the 주민센터. */
  async openTract(tractId, { start = null } = {}) {
    const gen = ++this.generation;
    this.show(true);
    if (!this.round || this.round.tract.id !== tractId) {
      replace(this.root, this._head(null), h('p', { class: 'loading', text: '순회 경로를 불러오는 중…' }));
    }
    let round;
    try {
      round = await api.get(`/rounds/tracts/${tractId}`, { start: start ? start.join(',') : null });
    } catch (err) {
      if (gen !== this.generation) return null;
      const kept = err.status === 0 ? await storedRound(tractId) : null;
      if (kept) return this.openStored(kept);
      replace(this.root, this._head(null), h('p', { class: 'empty', text: `순회를 불러오지 못했습니다: ${err.message}` }));
      return null;
    }
    if (gen !== this.generation) return null;
    this.stored = Boolean(await storedRound(tractId));
    this._set(round);
    return round;
  }

  /** A round kept on the phone (offline). */
  openStored(round) {
    this.generation += 1;
    this.stored = true;
    this.show(true);
    this._set(round);
    return round;
  }

  /** The first stored round, if any (after an offline unlock). */
  async openFirstStored() {
    const rounds = await storedRounds();
    if (rounds.length) this.openStored(rounds[0]);
    else {
      this.show(true);
      replace(this.root, this._head(null), h('p', { class: 'empty', text: '이 기기에 받아 둔 순회가 없습니다.' }));
    }
    return rounds.length;
  }

  _set(round) {
    if (!this.round || this.round.tract.id !== round.tract.id) {
      this.done.clear();
      this.nextId = round.households.length ? round.households[0].id : null;
    }
    this.round = round;
    this.openCard = null;
    this._render();
  }

  _head(round) {
    const close = h('button', { type: 'button', class: 'panel-close', attrs: { 'aria-label': '순회 닫기' }, text: '×' });
    close.addEventListener('click', () => { this.reset(); this.onClose(); });
    const place = round && (round.tract.name.startsWith(round.tract.dong_name) ? round.tract.name
      : `${round.tract.dong_name} ${round.tract.name}`);
    const title = round ? `오늘의 순회 · ${place}` : '오늘의 순회';
    return h('header', { class: 'panel-header round-head' }, h('div', { class: 'panel-title' }, h('h2', { text: title })), close);
  }

  _render() {
    const r = this.round;
    const offline = !navigator.onLine;
    const start = h('p', { class: 'round-start' },
      `출발: ${r.start.label} · ${r.households.length}가구 · 총 ${formatDistance(r.route_m)}`);
    const tools = h('div', { class: 'round-tools' });
    if (!offline) {
      const here = h('button', { type: 'button', id: 'round-here', text: '내 위치에서 시작' });
      here.addEventListener('click', () => this._fromHere(here));
      const keep = h('button', { type: 'button', id: 'round-download', class: 'primary', text: this.stored ? '다시 받기 (오프라인)' : '오프라인으로 받기' });
      keep.addEventListener('click', () => this._download(keep));
      tools.append(here, keep);
    }
    this.noteEl = h('p', { class: 'round-note', attrs: { role: 'status' }, text: this.note, hidden: !this.note });
    this.draftsEl = h('section', { class: 'round-drafts', attrs: { 'aria-label': '보낼 기록' }, hidden: true });
    this.cardEl = h('div', { class: 'round-card-slot' });
    this.listEl = h('ol', { class: 'round-list', attrs: { 'aria-label': '방문 순서' } });
    replace(this.root, this._head(r), start, tools, this.noteEl, this.draftsEl, this.cardEl, this.listEl);
    this._renderList();
    this._renderDrafts();
  }

  /** Draw again (the signal came or went: the download buttons only show with one); `clearNote` drops the line. */
  redraw({ clearNote = false } = {}) {
    if (!this.round) return;
    if (clearNote) this.note = '';
    this._render();
  }

  _say(text) {
    this.note = text;
    if (this.noteEl) { this.noteEl.textContent = text; this.noteEl.hidden = !text; }
  }

  _fromHere(button) {
    if (!navigator.geolocation) { this._say(GEO_REFUSED); return; }
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(async (pos) => {
      this._say('지금 위치에서 출발하는 순서입니다.');
      await this.openTract(this.round.tract.id, { start: [pos.coords.longitude.toFixed(6), pos.coords.latitude.toFixed(6)] });
    }, () => {
      button.disabled = false;
      this._say(GEO_REFUSED);
    }, { timeout: 10000, maximumAge: 60000 });
  }

  async _download(button) {
    button.disabled = true;
    button.textContent = '받는 중…';
    try {
      const start = this.round.start.label.includes('주민센터') ? null : [this.round.start.lon, this.round.start.lat];
      const round = await api.get(`/rounds/tracts/${this.round.tract.id}`, { start: start ? start.join(',') : null, purpose: 'offline' });
      await saveRound(round);
      await registerShell();
      this.stored = true;
      this._set(round);
      this._say(`이 통의 ${round.households.length}가구를 이 기기에 암호화해 받아 두었습니다. 로그인 후 12시간이 지나거나 로그아웃하면 지워집니다.`);
    } catch (err) {
      button.disabled = false;
      button.textContent = '오프라인으로 받기';
      this._say(`받지 못했습니다: ${err.message}`);
    }
  }

  _renderList() {
    if (!this.listEl) return;
    const items = this.round.households.map((hh) => this._row(hh));
    replace(this.listEl, ...items);
    if (this.round.households.length === 0) this.listEl.append(h('li', { class: 'empty', text: '이 통에는 방문할 가구가 없습니다.' }));
  }

  _row(hh) {
    const needs = (hh.open_needs || []).map((n) => label(NEEDS, n));
    const row = h('li', {
      class: `round-item${hh.id === this.nextId ? ' round-next' : ''}${this.done.has(hh.id) ? ' round-done' : ''}`,
      dataset: { id: hh.id, order: hh.order },
    });
    const open = h('button', { type: 'button', class: 'round-row-open', attrs: { 'aria-label': `${hh.order}번 가구 열기` } },
      h('span', { class: 'round-order', text: String(hh.order) }),
      h('span', { class: 'round-main' },
        h('span', { class: 'round-address', text: hh.address || `가구 #${hh.id}` }),
        h('span', { class: 'round-meta' },
          h('span', { class: 'round-dot', style: { background: hh.color || RISK_COLORS[hh.risk_level] } }),
          h('span', { class: `round-risk risk-${hh.risk_level}`, text: RISK_LABELS[hh.risk_level] || hh.risk_level }),
          hh.overdue ? h('span', { class: 'badge badge-overdue', text: '기한 경과' }) : null,
          h('span', { class: 'round-distance', text: `${formatDistance(hh.distance_m)}` }),
          this.queued.has(hh.id) ? h('span', { class: 'round-check', text: '보낼 기록 있음' })
            : this.done.has(hh.id) ? h('span', { class: 'round-check', text: '기록함' }) : null),
        needs.length ? h('span', { class: 'round-needs', text: `욕구: ${needs.join(', ')}` }) : null));
    open.addEventListener('click', () => this._open(hh));
    const visit = h('button', { type: 'button', class: 'round-visit', text: '방문 기록' });
    visit.addEventListener('click', () => this.record(hh, 'visit'));
    const phone = h('button', { type: 'button', class: 'round-phone', text: '전화 기록' });
    phone.addEventListener('click', () => this.record(hh, 'phone'));
    row.append(open, h('div', { class: 'round-actions' }, visit, phone));
    return row;
  }

  _open(hh) {
    if (navigator.onLine && this.onOpenHousehold) {
      this.show(false);
      this.onOpenHousehold(hh);
      return;
    }
    this._card(hh);
  }

  /** The household as downloaded (masked as the server gave it), for a walk without a signal. */
  _card(hh, form = null) {
    this.openCard = hh.id;
    const close = h('button', { type: 'button', class: 'panel-close', attrs: { 'aria-label': '가구 닫기' }, text: '×' });
    close.addEventListener('click', () => { this.openCard = null; replace(this.cardEl); });
    const row = (name, value) => (value || value === 0 ? [h('dt', { text: name }), h('dd', { text: String(value) })] : []);
    const visit = h('button', { type: 'button', class: 'primary', text: '방문 기록' });
    visit.addEventListener('click', () => this.record(hh, 'visit'));
    const phone = h('button', { type: 'button', text: '전화 기록' });
    phone.addEventListener('click', () => this.record(hh, 'phone'));
    const card = h('article', { class: 'round-card', dataset: { id: hh.id }, attrs: { 'aria-label': `가구 #${hh.id}` } },
      h('header', { class: 'panel-header' }, h('div', { class: 'panel-title' },
        h('h3', { text: `${hh.order}. 가구 #${hh.id}` }),
        h('span', { class: `badge badge-${hh.risk_level}`, text: RISK_LABELS[hh.risk_level] || hh.risk_level }),
        hh.overdue ? h('span', { class: 'badge badge-overdue', text: '기한 경과' }) : null), close),
      h('dl', { class: 'details' },
        row('세대주', hh.head_name), row('주소', hh.address), row('가구원', hh.members ? `${hh.members}명` : null),
        row('연락처', hh.phone), row('최근 방문', hh.last_visit_at ? formatDateTime(hh.last_visit_at) : '방문 기록 없음'),
        row('다음 방문', hh.next_visit_due ? formatDate(hh.next_visit_due) : null),
        row('욕구', (hh.open_needs || []).map((n) => label(NEEDS, n)).join(', '))),
      form || h('div', { class: 'panel-actions' }, visit, phone));
    replace(this.cardEl, card);
    card.scrollIntoView({ block: 'nearest' });
  }

  /** 방문 기록 / 전화 기록: the form, saved as a draft and sent at once when there is a signal. */
  record(hh, contactType) {
    const form = visitForm(hh, {
      contactType,
      submit: async (body) => {
        if (!isUnlocked() && navigator.onLine) {
          // The store could not be opened (e.g. the password changed since it was sealed): sent straight away.
          const answer = await api.post(`/households/${hh.id}/visits`, { ...body, household_version: hh.version },
            { 'Idempotency-Key': crypto.randomUUID() });
          Object.assign(hh, { version: answer.household.version, risk_level: answer.household.risk_level });
          this.onSynced();
          return answer;
        }
        const draft = await addDraft(hh, this.round.tract.id, body);
        syncDrafts().then((result) => { if (result.sent) this.onSynced(); });
        return { draft };
      },
      onSaved: () => this._recorded(hh, contactType),
      onCancel: () => { this.openCard = null; replace(this.cardEl); },
    });
    this._card(hh, form);
    form.querySelector('input, select, textarea')?.focus({ preventScroll: true });
  }

  _recorded(hh, contactType) {
    this.done.add(hh.id);
    const list = this.round.households;
    const after = list.slice(list.indexOf(hh) + 1).concat(list.slice(0, list.indexOf(hh)));
    const next = after.find((x) => !this.done.has(x.id));
    this.nextId = next ? next.id : null;
    this.openCard = null;
    replace(this.cardEl);
    this._say(`${hh.order}번 가구 ${label(CONTACT_TYPES, contactType)} 기록을 저장했습니다.${navigator.onLine ? '' : ' 연결되면 보냅니다.'}${next ? ` 다음: ${next.order}번` : ' 순회를 모두 마쳤습니다.'}`);
    this._renderList();
    const row = this.listEl.querySelector(`[data-id="${this.nextId}"]`);
    if (row) row.scrollIntoView({ block: 'nearest' });
  }

  async _renderDrafts() {
    if (!this.draftsEl) return;
    const gen = this.generation;
    const all = await drafts();
    if (gen !== this.generation || !this.draftsEl) return;
    const waiting = all.filter((d) => d.status !== 'pending');
    const pending = all.length - waiting.length;
    this.draftsEl.hidden = all.length === 0;
    const heads = [waiting.length ? `확인이 필요한 기록 ${waiting.length}건` : '', pending ? `보낼 기록 ${pending}건` : ''];
    const queued = new Set(all.map((d) => d.household_id));
    if ([...queued].join() !== [...this.queued].join()) {
      this.queued = queued;
      this._renderList();
    }
    replace(this.draftsEl,
      h('h3', { text: heads.filter(Boolean).join(' · ') }),
      ...waiting.map((d) => this._draftRow(d)), ...all.filter((d) => d.status === 'pending').map((d) => this._draftRow(d)));
  }

  _draftRow(d) {
    const when = formatDateTime(d.body.visited_at);
    const kind = label(CONTACT_TYPES, d.body.contact_type);
    const buttons = h('div', { class: 'panel-actions' });
    const discard = h('button', { type: 'button', class: 'draft-discard', text: '버리기' });
    discard.addEventListener('click', () => discardDraft(d.id));
    if (d.status === 'pending') {
      // waiting for a signal (or the next sign-in): nothing to decide
    } else if (d.status === 'conflict') {
      const keep = h('button', { type: 'button', class: 'primary draft-keep', text: '그래도 저장' });
      keep.addEventListener('click', async () => { await keepAnyway(d.id); const r = await syncDrafts(); if (r.sent) this.onSynced(); });
      buttons.append(keep, discard);
    } else {
      const retry = h('button', { type: 'button', class: 'draft-retry', text: '다시 보내기' });
      retry.addEventListener('click', async () => { await retryDraft(d.id); await syncDrafts(); });
      buttons.append(retry, discard);
    }
    const latest = d.conflict && d.conflict.latest_visit;
    return h('article', { class: `draft draft-${d.status}`, dataset: { id: d.id, household: d.household_id } },
      h('p', { class: 'draft-title', text: `${d.label} · ${kind} ${when}` }),
      h('p', { class: 'draft-message', text: d.status === 'conflict'
        ? '이 기록을 쓰는 동안 다른 사람이 이 가구를 먼저 기록했습니다. 확인하고 저장할지 정하세요.'
        : d.message || (navigator.onLine ? '보내는 중이거나 다시 로그인하면 보냅니다.' : '연결되면 보냅니다.') }),
      latest ? h('p', { class: 'draft-latest', text: `먼저 저장된 기록: ${formatDateTime(latest.visited_at)} ${label(CONTACT_TYPES, latest.contact_type)}${latest.notes ? ` — ${latest.notes}` : ''}` }) : null,
      buttons.childElementCount ? buttons : null);
  }
}

/** The service worker keeps the app's own files (never an /api/ answer), so the page opens without a signal. */
export async function registerShell() {
  if (!('serviceWorker' in navigator)) return false;
  await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  await navigator.serviceWorker.ready;
  return true;
}
