// What the staff pages (/admin, /imports) share: their own sign-in (the token stays in api.js's memory, as on the
// map page), a Korean "권한이 없습니다" panel for roles the page is not for (the API refuses them too), sign-out,
// the expired-session and outage notices, and keyboard-usable tabs. Each tab is a StaffPane.

import { ApiError, api, logout, setExpiredHandler, setOutageHandler } from './api.js';
import { showSignIn, wireSignIn } from './signin.js';
import { ROLES } from './vocab.js';

const $ = (sel) => document.querySelector(sel);

/** A tab's pane: loads when shown after something changed, says things in its message line, and hands a 403
 * to the page (a 401 is the page's expired-session notice). `this.message` is the pane's message element. */
export class StaffPane {
  constructor(root, { onForbidden }) {
    this.root = root;
    this.onForbidden = onForbidden;
    this.message = null;
    this.dirty = true;
  }

  stale() { this.dirty = true; }

  async show() {
    if (this.dirty) await this.load();
  }

  say(text, ok = false) {
    if (!this.message) return;
    this.message.textContent = text || '';
    this.message.classList.toggle('ok', ok);
    this.message.hidden = !text;
  }

  failed(err, prefix = '') {
    if (err instanceof ApiError && err.status === 403) { this.onForbidden(err.message); return; }
    if (err instanceof ApiError && err.status === 401) return;
    this.say(prefix ? `${prefix}: ${err.message}` : err.message);
  }
}

/**
 * Wire a staff page. `main` is the selector of its content, `tabs` its tab names (buttons `#tab-<name>`, panes
 * `#<name>-pane`, the tab list `tabList`), `roles` who may use it. `start(me)` loads what the page needs after
 * sign-in (a 403 shows the refusal panel, another failure goes to `say`), `ready(me)` then opens the first tab,
 * `selected(name)` (optional) runs whenever a tab is chosen, `showTab(name)` too when the caller may use the page,
 * `reset()` forgets everything at sign-out. `hook` (for the tests)
 * gets `ready`, `forbidden`, `tab()` and `role()`.
 */
export function staffPage({ main, tabs, tabList, roles, hook, start, ready, showTab, reset, say,
  selected = () => {} }) {
  const view = {
    login: $('#login-view'),
    app: $('#app-view'),
    form: $('#login-form'),
    message: $('#login-message'),
    user: $('#user-label'),
    main: $(main),
    forbidden: $('#forbidden'),
  };
  const page = { me: null, tab: tabs[0] };
  Object.assign(hook, { ready: false, forbidden: false, tab: () => page.tab,
    role: () => (page.me ? page.me.role : null) });

  const closeDialogs = () => { for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close(); };

  /** The refusal as a panel of its own (never a half-drawn screen). */
  function showForbidden(message) {
    closeDialogs();
    view.main.hidden = true;
    view.forbidden.hidden = false;
    if (message && message !== '권한이 없습니다.') $('#forbidden-text').textContent = message;
    hook.forbidden = true;
    hook.ready = true;
  }

  function signOut(message) {
    page.me = null;
    hook.ready = false;
    hook.forbidden = false;
    closeDialogs();
    reset();
    showSignIn(view, message);
  }

  async function setTab(name) {
    page.tab = name;
    for (const t of tabs) {
      const button = $(`#tab-${t}`);
      button.setAttribute('aria-selected', String(t === name));
      button.tabIndex = t === name ? 0 : -1;
      $(`#${t}-pane`).hidden = t !== name;
    }
    selected(name);
    if (!page.me || !roles.has(page.me.role)) return;
    await showTab(name);
  }

  async function begin() {
    const me = await api.get('/auth/me');
    page.me = me;
    view.user.textContent = `${me.display_name || me.username} · ${ROLES[me.role] || me.role}`;
    view.login.hidden = true;
    view.app.hidden = false;
    view.forbidden.hidden = true;
    if (!roles.has(me.role)) {
      showForbidden();
      return;
    }
    view.main.hidden = false;
    try {
      await start(me);
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) { showForbidden(err.message); return; }
      if (err instanceof ApiError && err.status === 401) return;
      say(err.message);
    }
    await ready(me);
    hook.ready = true;
  }

  setExpiredHandler(() => signOut('세션이 만료되었습니다. 다시 로그인하세요.'));
  setOutageHandler((on) => { $('#outage-notice').hidden = !on; });
  wireSignIn(view, () => begin());
  $('#logout-button').addEventListener('click', async () => {
    try { await logout(); } catch { /* the token is forgotten anyway */ }
    signOut('로그아웃했습니다.');
  });
  for (const t of tabs) $(`#tab-${t}`).addEventListener('click', () => setTab(t));
  $(tabList).addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const step = e.key === 'ArrowRight' ? 1 : tabs.length - 1;
    setTab(tabs[(tabs.indexOf(page.tab) + step) % tabs.length]);
    $(`#tab-${page.tab}`).focus();
  });
  return { page, setTab, showForbidden };
}
