// The administration page (/admin): its own sign-in (the token stays in memory, as on the map page), then for
// admins and district staff the accounts, the permission history and the monthly access-record review.
// Anyone else sees a Korean "권한이 없습니다" panel; the API refuses them too (403).

import { ApiError, api, logout, setExpiredHandler, setOutageHandler } from './api.js';
import { AccountsPane } from './adminaccounts.js';
import { HistoryPane } from './adminhistory.js';
import { ReviewPane } from './adminreview.js';
import { showSignIn, wireSignIn } from './signin.js';
import { ROLES } from './vocab.js';

const MANAGERS = new Set(['admin', 'district_staff']);
const TABS = ['accounts', 'history', 'review'];
const $ = (sel) => document.querySelector(sel);

const view = {
  login: $('#login-view'),
  app: $('#app-view'),
  form: $('#login-form'),
  message: $('#login-message'),
  user: $('#user-label'),
  main: $('#admin-main'),
  forbidden: $('#forbidden'),
};

const hook = { ready: false, forbidden: false };
window.__happymapAdmin = hook;

let me = null;
let tab = 'accounts';

const accounts = new AccountsPane($('#accounts-pane'), { onForbidden: (m) => showForbidden(m), onChanged: () => history.stale() });
const history = new HistoryPane($('#history-pane'), { onForbidden: (m) => showForbidden(m) });
const review = new ReviewPane($('#review-pane'), { onForbidden: (m) => showForbidden(m) });

function signOut(message) {
  me = null;
  hook.ready = false;
  hook.forbidden = false;
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  accounts.reset();
  history.reset();
  review.reset();
  setTab('accounts');
  showSignIn(view, message);
}

/** The refusal as a panel of its own (never a half-drawn screen). */
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

async function startApp() {
  me = await api.get('/auth/me');
  view.user.textContent = `${me.display_name || me.username} · ${ROLES[me.role] || me.role}`;
  view.login.hidden = true;
  view.app.hidden = false;
  view.forbidden.hidden = true;
  if (!MANAGERS.has(me.role)) {
    showForbidden();
    return;
  }
  view.main.hidden = false;
  try {
    const [dongs, tracts] = await Promise.all([api.get('/dongs'), api.get('/tracts')]);
    const places = { dongs: dongs.items || [], tracts: tracts.items || [] };
    accounts.start(me, places);
    history.start(me);
    review.start(me);
    await accounts.load();
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) { showForbidden(err.message); return; }
    if (err instanceof ApiError && err.status === 401) return;
    accounts.say(err.message);
  }
  setTab(tab);
  hook.ready = true;
}

function setTab(name) {
  tab = name;
  for (const t of TABS) {
    const button = $(`#tab-${t}`);
    button.setAttribute('aria-selected', String(t === name));
    button.tabIndex = t === name ? 0 : -1;
    $(`#${t}-pane`).hidden = t !== name;
  }
  if (!me || !MANAGERS.has(me.role)) return;
  if (name === 'history') history.show();
  if (name === 'review') review.show();
}

for (const t of TABS) $(`#tab-${t}`).addEventListener('click', () => setTab(t));
$('#admin-tabs').addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
  const step = e.key === 'ArrowRight' ? 1 : TABS.length - 1;
  setTab(TABS[(TABS.indexOf(tab) + step) % TABS.length]);
  $(`#tab-${tab}`).focus();
});

Object.assign(hook, { tab: () => tab, role: () => (me ? me.role : null) });
