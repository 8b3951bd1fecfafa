// The import page (/imports) for staff: its own sign-in (the token stays in memory, as on the map page), then
// four tabs — 가져오기 (upload a list, correct the column mapping, preview, commit), 위치 지정 대기 (rows no
// address matched, placed by a click on the map), 주민등록 변동 (the registry changes a person applies or
// dismisses) and 발굴 차수 (each 발굴 list round's progress and its results file). The tab is kept in the hash
// (none for the first).

import { api } from './api.js';
import { InboxPane } from './importinbox.js';
import { QueuePane } from './importqueue.js';
import { RoundsPane } from './importrounds.js';
import { UploadPane } from './importupload.js';
import { staffPage } from './staffpage.js';

const TABS = ['upload', 'queue', 'inbox', 'rounds'];
const $ = (sel) => document.querySelector(sel);

const hook = {};
window.__happymapImports = hook;

const forbidden = (m) => shell.showForbidden(m);
const panes = {
  upload: new UploadPane($('#upload-pane'), {
    onForbidden: forbidden,
    onCommitted: () => { panes.queue.stale(); panes.inbox.stale(); panes.rounds.stale(); refreshBadges(); },
    openTab: (name) => setTab(name),
  }),
  queue: new QueuePane($('#queue-pane'), { onForbidden: forbidden, onChanged: () => refreshBadges() }),
  inbox: new InboxPane($('#inbox-pane'), { onForbidden: forbidden, onChanged: () => refreshBadges() }),
  rounds: new RoundsPane($('#rounds-pane'), { onForbidden: forbidden }),
};

function tabFromHash() {
  const name = window.location.hash.replace(/^#/, '');
  return TABS.includes(name) ? name : 'upload';
}

const shell = staffPage({
  main: '#imports-main',
  tabs: TABS,
  tabList: '#imports-tabs',
  roles: new Set(['admin', 'district_staff', 'dong_staff']),
  hook,
  async start(me) {
    const [dongs, config] = await Promise.all([api.get('/dongs'), api.get('/ui-config').catch(() => null)]);
    const whole = me.role === 'admin' || me.role === 'district_staff';
    const mine = whole ? dongs.items : dongs.items.filter((d) => me.dong_ids.includes(d.id));
    const context = { me, dongs: mine, whole, config: config || {} };
    for (const pane of Object.values(panes)) pane.start(context);
  },
  async ready() {
    await setTab(tabFromHash());
    refreshBadges();
  },
  selected(name) {
    const hash = name === 'upload' ? '' : `#${name}`;
    if (window.location.hash !== hash) window.history.replaceState(null, '', `${window.location.pathname}${hash}`);
  },
  showTab: (name) => panes[name].show(),
  reset() {
    for (const pane of Object.values(panes)) pane.reset();
    badge('#queue-count', 0, '');
    badge('#inbox-count', 0, '');
  },
  say: (text) => panes.upload.say(text),
});

const setTab = (name) => shell.setTab(name);

function badge(sel, n, title) {
  const el = $(sel);
  el.textContent = n ? String(n) : '';
  el.hidden = !n;
  el.title = title;
}

/** The counts on the 위치 지정 대기 and 주민등록 변동 tabs: what waits for a person. */
async function refreshBadges() {
  if (!shell.page.me) return;
  const [queue, inbox] = await Promise.all([
    api.get('/placement-queue', { limit: 1 }).catch(() => null),
    api.get('/registry-changes', { status: 'pending', limit: 1 }).catch(() => null),
  ]);
  if (!shell.page.me) return;
  badge('#queue-count', queue ? queue.total : 0, queue ? `위치 지정 대기 ${queue.total}건` : '');
  badge('#inbox-count', inbox ? inbox.total : 0, inbox ? `확인 대기 ${inbox.total}건` : '');
}

window.addEventListener('hashchange', () => {
  if (shell.page.me && tabFromHash() !== shell.page.tab) setTab(tabFromHash());
});

Object.assign(hook, {
  upload: panes.upload,
  queue: panes.queue,
  inbox: panes.inbox,
  rounds: panes.rounds,
});
