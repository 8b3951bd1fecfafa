// The import page (/imports) for staff: its own sign-in (the token stays in memory, as on the map page), then
// four tabs — 가져오기 (upload a list, correct the column mapping, preview, commit), 위치 지정 대기 (rows no
// address matched, placed by a click on the map), 주민등록 변동 (the registry changes a person applies or
// dismisses) and 발굴 차수 (each 발굴 list round's progress and its results file). The tab is kept in the hash.

import { ApiError, api, logout, setExpiredHandler, setOutageHandler } from './api.js';
import { InboxPane } from './importinbox.js';
import { QueuePane } from './importqueue.js';
import { RoundsPane } from './importrounds.js';
import { UploadPane } from './importupload.js';
import { showSignIn, wireSignIn } from './signin.js';
import { ROLES } from './vocab.js';

const STAFF = new Set(['admin', 'district_staff', 'dong_staff']);
const TABS = ['upload', 'queue', 'inbox', 'rounds'];
const $ = (sel) => document.querySelector(sel);

const view = {
  login: $('#login-view'),
  app: $('#app-view'),
  form: $('#login-form'),
  message: $('#login-message'),
  user: $('#user-label'),
  main: $('#imports-main'),
  forbidden: $('#forbidden'),
};

const hook = { ready: false, forbidden: false };
window.__happymapImports = hook;

let me = null;
let tab = 'upload';

const panes = {
  upload: new UploadPane($('#upload-pane'), {
    onForbidden: (m) => showForbidden(m),
    onCommitted: () => { panes.queue.stale(); panes.inbox.stale(); panes.rounds.stale(); refreshBadges(); },
    openTab: (name) => setTab(name),
  }),
  queue: new QueuePane($('#queue-pane'), { onForbidden: (m) => showForbidden(m), onChanged: () => refreshBadges() }),
  inbox: new InboxPane($('#inbox-pane'), { onForbidden: (m) => showForbidden(m), onChanged: () => refreshBadges() }),
  rounds: new RoundsPane($('#rounds-pane'), { onForbidden: (m) => showForbidden(m) }),
};

function signOut(message) {
  me = null;
  hook.ready = false;
  hook.forbidden = false;
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  for (const pane of Object.values(panes)) pane.reset();
  badge('#queue-count', 0, '');
  badge('#inbox-count', 0, '');
  showSignIn(view, message);
}

function showForbidden(message) {
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  view.main.hidden = true;
  view.forbidden.hidden = false;
  if (message && message !== '권한이 없습니다.') $('#forbidden-text').textContent = message;
  hook.forbidden = true;
  hook.ready = true;
}

setExpiredHandler(() => signOut('세션이 만료되었습니다. 다시 로그인하세요.'));
setOutageHandler((on) => { $('#outage-notice').hidden = !on; });

wireSignIn(view, () => startApp());

$('#logout-button').addEventListener('click', async () => {
  try { await logout(); } catch { /* the token is forgotten anyway */ }
  signOut('로그아웃했습니다.');
});

function tabFromHash() {
  const name = window.location.hash.replace(/^#/, '');
  return TABS.includes(name) ? name : 'upload';
}

async function startApp() {
  me = await api.get('/auth/me');
  view.user.textContent = `${me.display_name || me.username} · ${ROLES[me.role] || me.role}`;
  view.login.hidden = true;
  view.app.hidden = false;
  view.forbidden.hidden = true;
  if (!STAFF.has(me.role)) {
    showForbidden();
    return;
  }
  view.main.hidden = false;
  try {
    const [dongs, config] = await Promise.all([api.get('/dongs'), api.get('/ui-config').catch(() => null)]);
    const whole = me.role === 'admin' || me.role === 'district_staff';
    const mine = whole ? dongs.items : dongs.items.filter((d) => me.dong_ids.includes(d.id));
    const context = { me, dongs: mine, whole, config: config || {} };
    for (const pane of Object.values(panes)) pane.start(context);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) { showForbidden(err.message); return; }
    if (err instanceof ApiError && err.status === 401) return;
    panes.upload.say(err.message);
  }
  await setTab(tabFromHash());
  refreshBadges();
  hook.ready = true;
}

function badge(sel, n, title) {
  const el = $(sel);
  el.textContent = n ? String(n) : '';
  el.hidden = !n;
  el.title = title;
}

/** The counts on the 위치 지정 대기 and 주민등록 변동 tabs: what waits for a person. */
async function refreshBadges() {
  if (!me) return;
  const [queue, inbox] = await Promise.all([
    api.get('/placement-queue', { limit: 1 }).catch(() => null),
    api.get('/registry-changes', { status: 'pending', limit: 1 }).catch(() => null),
  ]);
  if (!me) return;
  badge('#queue-count', queue ? queue.total : 0, queue ? `위치 지정 대기 ${queue.total}건` : '');
  badge('#inbox-count', inbox ? inbox.total : 0, inbox ? `확인 대기 ${inbox.total}건` : '');
}

async function setTab(name) {
  tab = name;
  for (const t of TABS) {
    const button = $(`#tab-${t}`);
    button.setAttribute('aria-selected', String(t === name));
    button.tabIndex = t === name ? 0 : -1;
    $(`#${t}-pane`).hidden = t !== name;
  }
  const hash = name === 'upload' ? '' : `#${name}`;
  if (window.location.hash !== hash) window.history.replaceState(null, '', `${window.location.pathname}${hash}`);
  if (!me || !STAFF.has(me.role)) return;
  await panes[name].show();
}

for (const t of TABS) $(`#tab-${t}`).addEventListener('click', () => setTab(t));
$('#imports-tabs').addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
  const step = e.key === 'ArrowRight' ? 1 : TABS.length - 1;
  setTab(TABS[(TABS.indexOf(tab) + step) % TABS.length]);
  $(`#tab-${tab}`).focus();
});
window.addEventListener('hashchange', () => { if (me && tabFromHash() !== tab) setTab(tabFromHash()); });

Object.assign(hook, {
  tab: () => tab,
  role: () => (me ? me.role : null),
  upload: panes.upload,
  queue: panes.queue,
  inbox: panes.inbox,
  rounds: panes.rounds,
});
