// Wiring of the page: sign-in, the map, the filter list and the household panel, kept in step with the URL;
// for staff also the 신고 tab (the triage queue), its markers on the map and the report panel, the data-quality
// counts and the statistics view at /stats (the same page, so the in-memory sign-in carries over); for a partner
// agency only its referral inbox (no map, nothing in the URL). Staff walk a tract's round ("오늘의 순회"), kept
// on the phone for a walk without a signal (offline.js); after an offline reload the round opens with the password.

import { api, isSignedIn, logout, setExpiredHandler, setOutageHandler } from './api.js';
import { h, replace } from './dom.js';
import { HouseholdList } from './list.js';
import { ExportDialog, PrintDialog } from './jobs.js';
import { HappyMap, TILE_THRESHOLD } from './map.js';
import {
  draftCount, drafts, lockOffline, offlineEvents, offlineState, syncDrafts, unlockAtSignIn, unlockOffline, wipeIfExpired,
  wipeOffline,
} from './offline.js';
import { HouseholdPanel } from './panel.js';
import { ReportPanel } from './reportpanel.js';
import { PartnerInbox } from './partner.js';
import { FacilityCheckDialog } from './quality.js';
import { ReportQueue, openReportCount } from './reports.js';
import { RoundView } from './round.js';
import { showSignIn, wireSignIn } from './signin.js';
import { emptyFilters, layerParams, listParams, parseHash, toHash, writeHash } from './state.js';
import { StatsView } from './stats.js';
import { FACILITY_CATEGORIES, ROLES, label } from './vocab.js';

const WHOLE_DISTRICT = new Set(['admin', 'district_staff']);
const STAFF = new Set(['admin', 'district_staff', 'dong_staff']);
const $ = (sel) => document.querySelector(sel);

const view = {
  login: $('#login-view'),
  app: $('#app-view'),
  form: $('#login-form'),
  message: $('#login-message'),
  user: $('#user-label'),
  notice: $('#app-notice'),
};

let me = null;
let state = emptyFilters();
let layerKey = null;
let tractsReady = Promise.resolve(); // the tract counts, which say how many points a layer would hold
let layerController = 0;
let tractsTimer = null;
let tab = 'households';
let mapStarted = false;
let basics = null; // the deployment's settings and the dongs, asked for once per sign-in
const STATS_PATH = '/stats';
const MAP_TITLE = document.title;

const hook = { ready: false, pointsDrawn: false, timings: {}, loads: 0 };
window.__happymap = hook;

const map = new HappyMap($('#map'), { onHouseholdClick: (id) => selectFromMap(id), onReportClick: (id) => openReport(id) });
map.insets = () => panelInsets();
map.onTileError = (err) => { if (err.status !== 401) showNotice(`가구 지도 타일을 불러오지 못했습니다: ${err.message}`); };
const list = new HouseholdList($('#sidebar'), { onChange: (change) => filtersChanged(change), onOpen: (hh) => openFromList(hh) });
const panel = new HouseholdPanel($('#household-panel'), {
  map, onClose: () => closePanel(), onChanged: (hh) => householdChanged(hh), role: null,
  shelterDay: () => map.legend.shelterDay,
});
const queue = new ReportQueue($('#report-queue'), {
  onOpen: (r) => openReport(r.id, { fromList: true, report: r }),
  onLoaded: (items) => map.setReports(items),
});
const reportPanel = new ReportPanel($('#report-panel'), {
  map,
  onClose: () => closeReport(),
  onChanged: () => reportsChanged(),
  onConverted: (hh) => reportConverted(hh),
  onOpenHousehold: (id) => { closeReport(); selectHousehold(id, { fly: true }); },
  onOpenReport: (id) => openReport(id),
  onPicking: (on) => picking(on),
});
const inbox = new PartnerInbox($('#partner-view'));
const printDialog = new PrintDialog();
const exportDialog = new ExportDialog();
const facilityCheck = new FacilityCheckDialog();
const round = new RoundView($('#round-view'), {
  onOpenHousehold: (hh) => openFromRound(hh),
  onClose: () => { roundReturn = false; },
  onSynced: () => afterSync(),
});
let roundReturn = false; // the household panel was opened from the round: closing it shows the round again
let offlineMode = false; // unlocked without a signal: only the stored round, no map data
const statsView = new StatsView($('#stats-view'), { onOpenList: (key, dongId) => openQualityList(key, dongId) });

Object.assign(hook, {
  map: map.map,
  pointCount: () => map.visible.size,
  colorCounts: () => map.colorCounts(),
  legendCounts: () => ({ ...map.counts }),
  describePoint: (id) => map.describePoint(id),
  describeCells: () => map.describeCells(),
  shownCount: () => map.shownCount(),
  tilesLoaded: () => !map.householdTiles || !map.householdTiles.isLoading(),
  visibleIds: () => [...map.visible],
  state: () => ({ ...state }),
  tab: () => tab,
  reportIds: () => [...map.reportMarkers.keys()],
  describeReport: (id) => map.describeReport(id),
  openReportId: () => reportPanel.openId,
  role: () => (me ? me.role : null),
  tractBounds: (id) => map.tractBounds.get(id),
  route: () => (onStatsPath() ? 'stats' : 'map'),
  statsReady: () => statsView.ready,
  statsLoads: () => statsView.loads,
  stats: () => statsView.data,
  chartNames: () => [...statsView.charts.keys()],
  quality: () => lastQuality,
  mapStarted: () => mapStarted,
  openTractMenu: (id) => map.openTractMenu(id),
  roundIds: () => (round.round ? round.round.households.map((x) => x.id) : null),
  roundNextId: () => round.nextId,
  drafts: () => drafts(),
  draftCount: () => draftCount(),
  offlineMode: () => offlineMode,
  shellReady: async () => Boolean(navigator.serviceWorker && navigator.serviceWorker.controller
    && (await caches.keys()).length),
});

function isMobile() {
  return window.matchMedia('(max-width: 720px)').matches;
}

function panelInsets() {
  if (!document.body.classList.contains('panel-open')) return { right: 0, bottom: 0 };
  const box = (reportPanel.root.hidden ? $('#household-panel') : reportPanel.root).getBoundingClientRect();
  return isMobile() ? { right: 0, bottom: box.height } : { right: box.width, bottom: 0 };
}

/** Forget everything of the session (in memory only) and go back to the sign-in form. */
function signOut(message) {
  me = null;
  state = emptyFilters();
  layerKey = null;
  layerController += 1;
  panel.close();
  reportPanel.close();
  picking(false);
  list.reset();
  queue.reset();
  inbox.reset();
  showPartnerView(false);
  statsView.reset();
  round.reset();
  roundReturn = false;
  offlineMode = false;
  document.body.classList.remove('offline-mode');
  lockOffline(); // the offline store stays sealed on the device until the next sign-in (or is wiped)
  mapStarted = false;
  basics = null;
  lastQuality = null;
  map.legend.setQuality(null);
  $('#app-nav').hidden = true;
  $('#stats-view').hidden = true;
  $('.workspace').hidden = false;
  setTab('households');
  $('#sidebar-tabs').hidden = true;
  $('#list-tools').hidden = true;
  $('#admin-link').hidden = true;
  $('#imports-link').hidden = true;
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  setOpenCount(null);
  map.reset();
  hook.ready = false;
  hook.pointsDrawn = false;
  document.body.classList.remove('list-open', 'panel-open');
  showSignIn(view, message);
}

setExpiredHandler(async (err) => {
  if (err && err.code === 'account_disabled') {
    await wipeOffline();
    signOut('사용이 중지된 계정입니다. 이 기기에 받아 둔 순회와 보내지 않은 기록을 모두 지웠습니다.');
    return;
  }
  const waiting = await draftCount();
  signOut(waiting ? `세션이 만료되었습니다. 다시 로그인하면 이 기기에 저장된 기록 ${waiting}건을 보냅니다.`
    : '세션이 만료되었습니다. 다시 로그인하세요.');
  updateBanner();
});
setOutageHandler((on) => { $('#outage-notice').hidden = !on; });

wireSignIn(view, (t0, creds) => startApp(t0, creds), { onLateError: (err) => showNotice(err.message) });

$('#logout-button').addEventListener('click', async () => {
  const waiting = await draftCount();
  if (waiting && !window.confirm(`보내지 않은 기록 ${waiting}건이 있습니다. 로그아웃하면 이 기기에서 지워집니다. 로그아웃할까요?`)) return;
  try { await logout(); } catch { /* the token is forgotten anyway */ }
  await wipeOffline(); // the downloaded round, the drafts and the cached app leave the phone with the person
  signOut('로그아웃했습니다. 이 기기에 받아 둔 자료를 지웠습니다.');
  updateBanner();
});

map.facilityToggle.addEventListener('change', async () => {
  const on = map.facilityToggle.checked;
  if (on && !map.facilitiesLoaded) {
    try {
      map.setFacilities(await api.get('/layers/facilities'));
    } catch (err) {
      map.facilityToggle.checked = false;
      if (err.status !== 401) showNotice(`복지기관을 불러오지 못했습니다: ${err.message}`);
      return;
    }
  }
  map.showFacilities(map.facilityToggle.checked);
});

// 경로당 and the heat/cold shelters: each switch shows its category; the shelters only those open on the legend's
// day, reloaded when the day changes (the household panel's shelter line follows the same day).
const SHELTERS = new Set(['heat_shelter', 'cold_shelter']);
const overlayLoads = new Map();

async function loadOverlay(code) {
  const params = { category: code };
  if (SHELTERS.has(code)) params.open_on = map.legend.shelterDay;
  const key = JSON.stringify(params);
  overlayLoads.set(code, key);
  const collection = await api.get('/layers/facilities', params);
  if (overlayLoads.get(code) !== key) return; // a newer day was asked for meanwhile
  map.setOverlay(code, collection);
}

for (const [code, toggle] of Object.entries(map.overlayToggles)) {
  toggle.addEventListener('change', async () => {
    if (toggle.checked) {
      try {
        await loadOverlay(code);
      } catch (err) {
        toggle.checked = false;
        if (err.status !== 401) showNotice(`${label(FACILITY_CATEGORIES, code)}을(를) 불러오지 못했습니다: ${err.message}`);
        return;
      }
    }
    map.showOverlay(code, toggle.checked);
  });
}

map.shelterDate.addEventListener('change', async () => {
  panel.refreshShelter();
  for (const code of SHELTERS) {
    if (!map.overlayToggles[code].checked) continue;
    try {
      await loadOverlay(code);
    } catch (err) {
      if (err.status !== 401) showNotice(`${label(FACILITY_CATEGORIES, code)}을(를) 불러오지 못했습니다: ${err.message}`);
    }
  }
});

$('#list-toggle').addEventListener('click', () => {
  const open = !document.body.classList.contains('list-open');
  document.body.classList.toggle('list-open', open);
  $('#list-toggle').setAttribute('aria-expanded', String(open));
  if (open) { closePanel(); closeReport(); }
});

$('#tab-households').addEventListener('click', () => setTab('households'));
$('#tab-reports').addEventListener('click', () => setTab('reports'));
$('#sidebar-tabs').addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
  setTab(tab === 'households' ? 'reports' : 'households');
  $(`#tab-${tab}`).focus();
});
$('#pick-cancel').addEventListener('click', () => reportPanel.stopPicking());

window.addEventListener('hashchange', () => {
  if (!me || me.role === 'partner' || (STAFF.has(me.role) && (!mapStarted || onStatsPath()))) return;
  state = parseHash(window.location.hash);
  list.write(state);
  refresh({ refit: true, tractsChanged: true });
});

const notices = new Set();

/** Add a line to the notice bar (empty text clears it); each distinct message shows once. */
function showNotice(text, link = null) {
  if (!text) notices.clear();
  else notices.add(text);
  replace(view.notice, ...[...notices].map((line) => h('span', { class: 'notice-line', text: line })),
    link ? h('a', { href: link.href, text: link.text }) : null);
  view.notice.hidden = notices.size === 0;
}

async function startApp(t0, creds = null) {
  me = await api.get('/auth/me');
  offlineMode = false;
  document.body.classList.remove('offline-mode');
  view.app.classList.remove('offline-mode');
  $('#unlock-view').hidden = true;
  await startOfflineStore(creds);
  panel.setRole(me.role);
  showPartnerView(me.role === 'partner');
  view.login.hidden = true;
  view.app.hidden = false;
  view.user.textContent = `${me.display_name || me.username} · ${ROLES[me.role] || me.role}`;
  $('#admin-link').hidden = !WHOLE_DISTRICT.has(me.role); // accounts and the access review (/admin)
  $('#imports-link').hidden = !STAFF.has(me.role); // lists in, the placement queue, the registry inbox (/imports)
  showNotice('');
  if (me.role === 'tongjang') {
    showNotice('통장 계정은 가구 정보를 볼 수 없어 담당 통의 경계만 보입니다. 위기가 의심되는 이웃은 사각지대 신고 화면에서 알려 주세요.',
      { href: '/report', text: '사각지대 신고 화면 열기' });
  }
  if (me.role === 'partner') {
    await startPartner(t0);
    return;
  }
  if (me.role === 'tongjang') {
    map.map.invalidateSize();
    await startOutlinesOnly(t0);
    return;
  }
  basics = Promise.all([api.get('/ui-config').catch(() => null), api.get('/dongs')]);
  $('#app-nav').hidden = !STAFF.has(me.role);
  await showRoute(t0);
}

function onStatsPath() {
  return window.location.pathname === STATS_PATH;
}

/** The map or, at /stats for staff, the statistics view; the map starts the first time it is shown. */
async function showRoute(t0 = performance.now()) {
  if (!me || me.role === 'partner' || me.role === 'tongjang') return;
  const stats = onStatsPath() && STAFF.has(me.role);
  $('.workspace').hidden = stats;
  $('#list-toggle').hidden = stats;
  $('#stats-view').hidden = !stats;
  document.body.classList.toggle('view-stats', stats);
  for (const [link, on] of [[$('#nav-map'), !stats], [$('#nav-stats'), stats]]) {
    if (on) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = stats ? '행복-맵 · 통계' : MAP_TITLE;
  if (stats) {
    document.body.classList.remove('list-open', 'panel-open');
    const [uiConfig, dongs] = await basics;
    const whole = WHOLE_DISTRICT.has(me.role);
    const mine = whole ? dongs.items : dongs.items.filter((d) => me.dong_ids.includes(d.id));
    const today = (uiConfig && uiConfig.today) || new Date().toISOString().slice(0, 10);
    await statsView.open(me, mine, today, whole);
    hook.timings.loginToStatsMs = Math.round(performance.now() - t0);
    hook.ready = true;
    return;
  }
  if (!mapStarted) {
    await startMap(t0);
  } else {
    map.map.invalidateSize();
    loadQuality();
  }
}

for (const link of [$('#nav-map'), $('#nav-stats')]) {
  link.addEventListener('click', (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // a new tab signs in afresh
    e.preventDefault();
    const stats = link.id === 'nav-stats';
    if (stats !== onStatsPath()) window.history.pushState(null, '', stats ? STATS_PATH : `/${toHash(state)}`);
    showRoute();
  });
}
window.addEventListener('popstate', () => {
  if (!me) return;
  if (!onStatsPath() && mapStarted) {
    state = parseHash(window.location.hash);
    list.write(state);
    refresh({ refit: true, tractsChanged: true });
  }
  showRoute();
});

let lastQuality = null;

/** The legend's 점검 필요 counts for the dong chosen in the filters (or the whole area). */
async function loadQuality() {
  if (!me || !STAFF.has(me.role)) return;
  try {
    lastQuality = await api.get('/stats/quality', { dong_id: state.dong });
    map.legend.setQuality(lastQuality, (key) => openQualityList(key, state.dong));
  } catch (err) {
    if (err.status !== 401) map.legend.setQuality(null);
  }
}

/** Open the list a data-quality count counts: households filtered, the report queue, or the facility check. */
async function openQualityList(key, dongId) {
  if (key === 'facilities_unconfirmed') {
    const dongs = dongId ? [dongId] : WHOLE_DISTRICT.has(me.role) ? [] : me.dong_ids;
    const q = lastQuality || statsView.data?.quality;
    facilityCheck.open(dongs, q ? q.referral_confirm_days : 90, {
      onClose: () => (onStatsPath() ? statsView.load() : loadQuality()),
    });
    return;
  }
  const filters = { ...emptyFilters(), dong: dongId || null };
  if (key === 'households_approximate') filters.placement = ['approximate'];
  if (key === 'overdue') filters.overdue = true;
  if (onStatsPath()) window.history.pushState(null, '', `/${toHash(filters)}`);
  if (!mapStarted) {
    await showRoute();
  } else {
    await showRoute();
    if (key === 'households_approximate' || key === 'overdue') {
      state = filters;
      writeHash(state);
      await loadTractOptions();
      list.write(state);
      await refresh({ refit: true });
    }
  }
  if (key === 'reports_waiting' || key === 'reports_unplaced') {
    queue.showOnly(key === 'reports_waiting' ? { waiting: true, dongId } : { unplaced: true });
    setTab('reports');
  } else {
    setTab('households');
    if (isMobile()) document.body.classList.add('list-open');
  }
}

/** The map view: outlines, points, list and queue for the filters in the URL. */
async function startMap(t0) {
  mapStarted = true;
  map.map.invalidateSize();
  state = parseHash(window.location.hash);
  const whole = WHOLE_DISTRICT.has(me.role);
  if (state.dong && !whole && !me.dong_ids.includes(state.dong)) state.dong = null;
  const staff = STAFF.has(me.role);
  $('#sidebar-tabs').hidden = !staff;
  $('#list-tools').hidden = !staff;
  map.tractActions = staff ? tractActions : null;
  if (staff) { refreshOpenCount(); loadRounds(); }
  // Everything is requested at once; the points are drawn once the outlines have set the view.
  const tractsLoaded = loadTracts();
  tractsReady = tractsLoaded;
  const placed = Promise.all([basics, api.get('/layers/dongs')]).then(async ([[uiConfig, dongs], dongLayer]) => {
    map.setTiles(uiConfig && uiConfig.tile_url, uiConfig && uiConfig.tile_attribution);
    map.setDongs(dongLayer);
    const mine = whole ? dongs.items : dongs.items.filter((d) => me.dong_ids.includes(d.id));
    list.setDongs(mine, true);
    if (staff) queue.setDongs(mine, whole);
    list.el.dong.options[0].textContent = whole ? '전체 동' : '담당 동 전체';
    list.write(state);
    await loadTractOptions();
    list.write(state);
    if (state.tract) await tractsLoaded;
    fit();
  });
  const [count] = await Promise.all([loadLayer(true, placed), loadList(), tractsLoaded, placed]);
  hook.timings.loginToPointsMs = Math.round((map.drawnAt ?? performance.now()) - t0);
  hook.timings.points = count;
  hook.pointsDrawn = true;
  hook.ready = true;
  updateListTools();
  if (staff) loadQuality();
  console.info(`행복-맵: 로그인부터 가구 ${count}개 표시까지 ${hook.timings.loginToPointsMs}ms`);
  if (state.h) selectHousehold(state.h, { fly: true });
}

/** The 발굴 차수 filter's choices: the rounds of the 발굴 lists imported (staff; none: the filter stays hidden). */
async function loadRounds() {
  try {
    const data = await api.get('/discovery/rounds');
    if (me) list.setRounds(data.items || []);
  } catch (err) {
    if (err.status !== 401 && !err.missing) showNotice(`발굴 차수를 불러오지 못했습니다: ${err.message}`);
  }
}

/** A partner agency works its referral inbox: no map (it may not list households), no filters in the URL. */
async function startPartner(t0) {
  writeHash(emptyFilters()); // whatever a shared link carried stays out of a partner's address bar
  await inbox.start(me);
  hook.timings.loginToPointsMs = Math.round(performance.now() - t0);
  hook.timings.points = 0;
  hook.ready = true;
}

function showPartnerView(on) {
  $('.workspace').hidden = on;
  $('#list-toggle').hidden = on;
  document.body.classList.toggle('role-partner', on);
  $('#partner-view').hidden = !on;
}

/** A 통장 sees dong outlines and their own tract, no households. */
async function startOutlinesOnly(t0) {
  list.disable('통장 계정은 가구 목록을 볼 수 없습니다.');
  const [dongLayer] = await Promise.all([api.get('/layers/dongs'), loadTracts()]);
  map.setDongs(dongLayer);
  map.fitTo({ dongIds: me.dong_ids, tractId: me.tract_ids[0] || null });
  map.highlightTract(me.tract_ids[0] || null);
  await map.setHouseholds({ features: [] });
  hook.timings.loginToPointsMs = Math.round(map.drawnAt - t0);
  hook.timings.points = 0;
  hook.pointsDrawn = true;
  hook.ready = true;
}

function fit() {
  map.highlightTract(state.tract);
  const mine = me && !WHOLE_DISTRICT.has(me.role) ? me.dong_ids : [];
  map.fitTo({ dongIds: state.dong ? [state.dong] : mine, tractId: state.tract });
}

async function loadTractOptions() {
  if (!state.dong) { list.setTracts([]); return; }
  try {
    const data = await api.get('/tracts', { dong_id: state.dong });
    list.setTracts(data.items || [], map.dongNames.get(state.dong) || '');
    if (state.tract && !(data.items || []).some((t) => t.id === state.tract)) state.tract = null;
  } catch (err) {
    list.setTracts([]);
    if (err.status !== 401) showNotice(`통 목록을 불러오지 못했습니다: ${err.message}`);
  }
}

async function loadTracts() {
  try {
    map.setTracts(await api.get('/layers/tracts'));
  } catch (err) {
    if (err.status !== 401) showNotice(`통 경계를 불러오지 못했습니다: ${err.message}`);
  }
}

async function loadLayer(force = false, viewSet = null) {
  const params = layerParams(state);
  const key = JSON.stringify(params);
  if (!force && key === layerKey) return map.visible.size;
  layerKey = key;
  const mine = ++layerController;
  hook.pointsDrawn = false;
  try {
    await tractsReady;
    if (map.expectedPoints(params) > TILE_THRESHOLD) {
      // A big area (a 구 or a city): vector tiles, cells when zoomed out, points from zoom 16.
      if (viewSet) await viewSet;
      if (mine !== layerController) return map.shownCount();
      const n = await map.showTiles(params);
      hook.pointsDrawn = true;
      hook.loads += 1;
      hook.mode = 'tiles';
      return n;
    }
    hook.mode = 'geojson';
    const data = await api.get('/layers/households', params);
    if (viewSet) await viewSet;
    if (mine !== layerController) return map.visible.size;
    const n = await map.setHouseholds(data);
    if (state.h && panel.openId === state.h) {
      const hh = panel.current;
      if (hh) map.ensureHousehold(hh);
      map.select(state.h);
    }
    hook.pointsDrawn = true;
    hook.loads += 1;
    return n;
  } catch (err) {
    if (err.status !== 401) showNotice(`가구 지도를 불러오지 못했습니다: ${err.message}`);
    layerKey = null;
    return 0;
  }
}

async function loadList() {
  try {
    await list.load(state);
  } catch { /* the list shows its own message */ }
}

async function refresh({ refit = false, tractsChanged = false } = {}) {
  if (tractsChanged) {
    loadQuality();
    await loadTractOptions();
  }
  if (refit) fit();
  await Promise.all([loadLayer(), loadList()]);
  updateListTools();
}

function filtersChanged({ filters, pageDelta, refit, tractsChanged }) {
  if (!me) return;
  if (pageDelta) {
    state = { ...state, page: Math.max(0, state.page + pageDelta) };
    writeHash(state);
    loadList().then(() => { if (state.h) list.select(state.h); });
    $('#household-list').scrollTop = 0;
    return;
  }
  state = { ...state, ...filters, page: 0 };
  writeHash(state);
  refresh({ refit, tractsChanged });
}

async function selectHousehold(id, { fly = false, household = null } = {}) {
  closeReport();
  state = { ...state, h: id };
  writeHash(state);
  map.select(id);
  list.select(id);
  const hh = await panel.open(id, household);
  if (!hh || state.h !== id) return;
  list.select(id, hh);
  map.ensureHousehold(hh);
  if (fly) map.focusHousehold(id, hh.lat, hh.lon);
  else map.select(id, hh.lat, hh.lon);
}

function selectFromMap(id) {
  if (isMobile()) document.body.classList.remove('list-open');
  selectHousehold(id);
}

function openFromList(hh) {
  if (isMobile()) document.body.classList.remove('list-open');
  const opening = selectHousehold(hh.id, { fly: false }); // opens the panel at once: the map then knows its inset
  map.focusHousehold(hh.id, hh.lat, hh.lon);
  return opening;
}

function closePanel() {
  if (!panel.openId && !state.h) return;
  panel.close();
  state = { ...state, h: null };
  writeHash(state);
  list.clearSelection();
  map.clearSelection();
  if (roundReturn && round.round) round.show(true);
  roundReturn = false;
}

function householdChanged(hh) {
  map.updateHousehold(hh.id, hh);
  list.updateItem(hh);
  clearTimeout(tractsTimer);
  tractsTimer = setTimeout(() => { if (me) loadTracts(); }, 300);
}

// ---- print and export from the screen (staff) ----

/** The dong a printout is for: the chosen one, or the official's only dong. */
function printDong() {
  if (state.dong) return state.dong;
  return me && !WHOLE_DISTRICT.has(me.role) && me.dong_ids.length === 1 ? me.dong_ids[0] : null;
}

function updateListTools() {
  const dong = printDong();
  $('#print-button').disabled = !dong;
  $('#print-button').textContent = state.tract ? '이 통 인쇄' : dong ? '동 전체 인쇄' : '인쇄';
  $('#list-tools-hint').textContent = dong ? '' : '동이나 통을 고르면 인쇄할 수 있습니다';
  $('#export-button').disabled = !list.total;
  $('#round-button').hidden = !state.tract;
}

function openPrint(tractId = state.tract) {
  const tract = tractId ? map.tractProps.get(tractId) : null;
  const dongId = tract ? tract.dong_id : printDong();
  if (!dongId) return;
  printDialog.open({
    dongId, dongName: map.dongNames.get(dongId) || '', tractId: tract ? tract.id : null, tractName: tract ? tract.name : null,
  }, tractId === state.tract ? state : emptyFilters());
}

function tractActions(p) {
  return [
    { text: '오늘의 순회', run: () => openRound(p.id) },
    { text: '이 통 가구 보기', run: () => showTract(p) },
    { text: '인쇄…', primary: true, run: () => openPrint(p.id) },
  ];
}

/** Narrow the list and the map to one tract (as choosing it in the filter does). */
async function showTract(p) {
  if (isMobile()) document.body.classList.add('list-open');
  state = { ...state, dong: p.dong_id, tract: p.id, page: 0 };
  writeHash(state);
  await loadTractOptions(); // the tract filter offers that dong's tracts before it shows the chosen one
  list.write(state);
  await refresh({ refit: true });
}

$('#print-button').addEventListener('click', () => openPrint());
$('#round-button').addEventListener('click', () => { if (state.tract) openRound(state.tract); });
$('#export-button').addEventListener('click', () => {
  const { limit, offset, ...params } = listParams(state);
  exportDialog.open(params, list.total, state, { capped: list.capped, mayReveal: STAFF.has(me.role) });
});

// ---- the 신고 tab: triage queue, report markers, report panel (staff only) ----

/** Show the household list or the report queue; the report markers are on the map only with the queue. */
function setTab(name) {
  if (name === 'reports' && (!me || !STAFF.has(me.role))) name = 'households';
  tab = name;
  const reports = name === 'reports';
  $('#households-pane').hidden = reports;
  $('#report-queue').hidden = !reports;
  $('#tab-households').setAttribute('aria-selected', String(!reports));
  $('#tab-reports').setAttribute('aria-selected', String(reports));
  $('#tab-households').tabIndex = reports ? -1 : 0;
  $('#tab-reports').tabIndex = reports ? 0 : -1;
  document.body.classList.toggle('tab-reports', reports);
  map.showReports(reports);
  if (reports) {
    queue.load();
  } else {
    closeReport();
  }
}

function setOpenCount(n) {
  const badge = $('#report-open-count');
  badge.textContent = n ? String(n) : '';
  badge.hidden = !n;
  badge.title = n ? `처리 대기 신고 ${n}건` : '';
  $('#tab-reports').setAttribute('aria-label', n ? `신고 (처리 대기 ${n}건)` : '신고');
}

async function refreshOpenCount() {
  const n = await openReportCount();
  if (me) setOpenCount(n);
}

async function openReport(id, { fromList = false, report = null } = {}) {
  if (!me || !STAFF.has(me.role)) return;
  if (tab !== 'reports') setTab('reports');
  if (isMobile()) document.body.classList.remove('list-open');
  if (panel.openId !== null || state.h) closePanel();
  queue.select(id);
  map.selectReport(id);
  const known = report || queue.items.find((r) => r.id === id);
  if (fromList && known && Number.isFinite(known.lat)) focusReportPlace(known);
  const full = await reportPanel.open(id);
  if (full && reportPanel.openId === id && !fromList && Number.isFinite(full.lat) && !map.map.getBounds().contains([full.lat, full.lon])) {
    focusReportPlace(full);
  }
}

function focusReportPlace(r) {
  // The panel opens at once; wait a frame so the inset it covers is known.
  requestAnimationFrame(() => map.flyToVisible(r.lat, r.lon, Math.max(map.map.getZoom(), 17)));
}

function closeReport() {
  if (reportPanel.root.hidden && reportPanel.openId === null) return;
  reportPanel.close();
  picking(false);
  queue.clearSelection();
  map.selectReport(null);
}

/** While the official picks a household's place, the map must be free (on a phone the panel steps aside). */
function picking(on) {
  document.body.classList.toggle('picking', on);
  $('#pick-banner').hidden = !on;
  if (on) map.map.getContainer().focus({ preventScroll: true });
}

function reportsChanged() {
  queue.load();
  refreshOpenCount();
}

/** A report became a household: a white point and a pinned row at once, no reload. */
function reportConverted(hh) {
  map.ensureHousehold(hh);
  list.pinNew(hh);
  reportsChanged();
  clearTimeout(tractsTimer);
  tractsTimer = setTimeout(() => { if (me) loadTracts(); }, 300);
}

showSignIn(view, '');
showNotice('');

// ---- 오늘의 순회 and the offline store ----

async function openRound(tractId) {
  document.body.classList.remove('list-open');
  closePanel();
  closeReport();
  map.highlightTract(tractId);
  await round.openTract(tractId);
  if (!isMobile()) map.fitTo({ tractId }); // on a desktop the round covers the list, the map shows its tract
}

function openFromRound(hh) {
  roundReturn = true;
  selectHousehold(hh.id, { fly: true });
}

/** At an online sign-in: the 12 h limit, the key from the password, and the drafts waiting to be sent. */
async function startOfflineStore(creds) {
  try {
    await wipeIfExpired();
    if (creds && STAFF.has(me.role)) {
      const ok = await unlockAtSignIn(creds.username, creds.password);
      if (!ok) {
        const s = await offlineState();
        showNotice(s.username && s.username !== creds.username
          ? `이 기기에는 ${s.username} 계정이 보내지 않은 기록이 있어 오프라인 받기를 쓸 수 없습니다. 그 계정으로 로그인해 보내 주세요.`
          : '이 기기에 저장된 기록은 예전 비밀번호로 잠겨 있어 열 수 없습니다. 관리자에게 문의하세요.');
      }
      syncDrafts().then(afterSync);
    }
  } catch (err) {
    showNotice(`오프라인 저장소를 열지 못했습니다: ${err.message}`);
  }
  updateBanner();
}

function afterSync(result) {
  updateBanner();
  if (result && result.error && result.error.status && result.error.status !== 401) {
    showNotice(`저장된 기록을 보내지 못했습니다: ${result.error.message}`);
  }
  if (me && mapStarted && (!result || result.sent)) {
    clearTimeout(tractsTimer);
    tractsTimer = setTimeout(() => { if (me) { loadTracts(); layerKey = null; loadLayer(); } }, 300);
  }
}

let bannerGeneration = 0;

/** Offline: say so and count the waiting drafts; online: count drafts not yet sent. */
async function updateBanner() {
  const gen = ++bannerGeneration;
  const banner = $('#offline-banner');
  let waiting = 0;
  try { waiting = await draftCount(); } catch { waiting = 0; }
  if (gen !== bannerGeneration) return;
  const offline = !navigator.onLine;
  banner.classList.toggle('online', !offline);
  if (offline) {
    banner.textContent = `오프라인입니다. 기록은 이 기기에 암호화해 저장되고 연결되면 보냅니다. 보낼 기록 ${waiting}건`;
  } else if (waiting) {
    banner.textContent = `이 기기에 보내지 않은 기록 ${waiting}건이 있습니다.${isSignedIn() ? ' 확인이 필요한 기록은 순회 화면에 있습니다.' : ' 로그인하면 보냅니다.'}`;
  } else {
    banner.textContent = '';
  }
  banner.hidden = !banner.textContent;
}

let bannerTimer = null;
offlineEvents.addEventListener('change', () => {
  if (!bannerTimer) bannerTimer = setTimeout(() => { bannerTimer = null; updateBanner(); }, 150);
});
window.addEventListener('offline', () => {
  updateBanner();
  round.redraw();
});
window.addEventListener('online', () => {
  updateBanner();
  if (offlineMode) {
    // The unlocked store has no token: sign in again and the drafts go out.
    offlineMode = false;
    lockOffline();
    view.app.hidden = true;
    round.reset();
    draftCount().then((n) => showSignIn(view, n ? `연결되었습니다. 다시 로그인하면 이 기기에 저장된 기록 ${n}건을 보냅니다.` : '연결되었습니다. 다시 로그인하세요.'));
    return;
  }
  round.redraw({ clearNote: true }); // "연결되면 보냅니다" is over
  if (me) syncDrafts().then(afterSync);
});

/** Started without a signal: a stored round (not expired) opens with the password; nothing else can. */
async function bootOffline() {
  let s;
  try {
    if (await wipeIfExpired()) { // checked on every start, with or without a signal
      showSignIn(view, `받아 둔 순회는 로그인 후 12시간이 지나 이 기기에서 지웠습니다.${navigator.onLine ? ' 다시 로그인하세요.' : ' 연결되면 다시 로그인하세요.'}`);
      return;
    }
    if (navigator.onLine) { updateBanner(); return; }
    s = await offlineState();
  } catch {
    return;
  }
  updateBanner();
  if (!s.stored) {
    showSignIn(view, '인터넷에 연결되어 있지 않습니다. 연결되면 로그인하세요.');
    return;
  }
  view.login.hidden = true;
  const unlock = $('#unlock-view');
  unlock.hidden = false;
  const form = $('#unlock-form');
  form.elements.username.value = s.username || '';
  form.elements.password.value = '';
  form.elements.password.focus();
}

$('#unlock-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const message = $('#unlock-message');
  const button = $('#unlock-submit');
  message.hidden = true;
  if (!form.elements.password.value) {
    message.textContent = '비밀번호를 입력하세요.';
    message.hidden = false;
    return;
  }
  button.disabled = true;
  try {
    const username = await unlockOffline(form.elements.password.value);
    form.elements.password.value = '';
    $('#unlock-view').hidden = true;
    offlineMode = true;
    document.body.classList.add('offline-mode');
    view.app.hidden = false;
    view.user.textContent = `${username} · 오프라인`;
    $('#list-toggle').hidden = true;
    await round.openFirstStored();
    updateBanner();
    hook.ready = true;
  } catch (err) {
    form.elements.password.value = '';
    message.textContent = err.message;
    message.hidden = false;
  } finally {
    button.disabled = false;
  }
});

bootOffline();
