// The administration page (/admin): its own sign-in (see staffpage.js), then for admins and district staff the
// accounts, the permission history and the monthly access-record review. Anyone else sees a Korean
// "권한이 없습니다" panel; the API refuses them too (403).

import { api } from './api.js';
import { AccountsPane } from './adminaccounts.js';
import { HistoryPane } from './adminhistory.js';
import { ReviewPane } from './adminreview.js';
import { staffPage } from './staffpage.js';

const $ = (sel) => document.querySelector(sel);

const hook = {};
window.__happymapAdmin = hook;

const forbidden = (m) => shell.showForbidden(m);
const accounts = new AccountsPane($('#accounts-pane'), { onForbidden: forbidden, onChanged: () => history.stale() });
const history = new HistoryPane($('#history-pane'), { onForbidden: forbidden });
const review = new ReviewPane($('#review-pane'), { onForbidden: forbidden });

const shell = staffPage({
  main: '#admin-main',
  tabs: ['accounts', 'history', 'review'],
  tabList: '#admin-tabs',
  roles: new Set(['admin', 'district_staff']),
  hook,
  async start(me) {
    const [dongs, tracts] = await Promise.all([api.get('/dongs'), api.get('/tracts')]);
    const places = { dongs: dongs.items || [], tracts: tracts.items || [] };
    accounts.start(me, places);
    history.start(me);
    review.start(me);
    await accounts.load();
  },
  ready: () => { shell.setTab(shell.page.tab); },
  showTab(name) {
    if (name === 'history') history.show();
    if (name === 'review') review.show();
  },
  reset() {
    accounts.reset();
    history.reset();
    review.reset();
    shell.setTab('accounts');
  },
  say: (text) => accounts.say(text),
});
