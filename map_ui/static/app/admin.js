// The administration page (/admin): its own sign-in (the token stays in memory, as on the map page), then for
// admins and district staff the accounts, the permission history and the monthly access-record review.
// Anyone else sees a Korean "권한이 없습니다" panel; the API refuses them too (403).

import { ApiError, api, login, logout, setExpiredHandler, setOutageHandler } from './api.js';
import { AccountsPane } from './adminaccounts.js';
import { HistoryPane } from './adminhistory.js';
import { ReviewPane } from './adminreview.js';
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

function showLogin(message) {
  view.app.hidden = true;
  view.login.hidden = false;
  view.message.textContent = message || '';
  view.message.hidden = !message;
  view.form.elements.password.value = '';
  view.form.elements.username.focus();
}

function signOut(message) {
  me = null;
  hook.ready = false;
  hook.forbidden = false;
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  accounts.reset();
  history.reset();
  review.reset();
  setTab('accounts');
  showLogin(message);
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

view.form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const button = $('#login-submit');
  const username = view.form.elements.username.value.trim();
  const password = view.form.elements.password.value;
  if (!username || !password) {
    view.message.textContent = '아이디와 비밀번호를 입력하세요.';
    view.message.hidden = false;
    return;
  }
  button.disabled = true;
  button.textContent = '로그인 중…';
  try {
    await login(username, password);
    await startApp();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showLogin('아이디 또는 비밀번호가 올바르지 않습니다.');
    else showLogin(err.message || '로그인하지 못했습니다.');
  } finally {
    button.disabled = false;
    button.textContent = '로그인';
  }
});

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
