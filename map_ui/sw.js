// 행복-맵's service worker, written by hand: it keeps only the app's own files (the pages, the modules, the
// styles, the /vendor files the map needs and /vocab.js) so the page opens without a signal. It never stores an
// /api/ answer: personal data on the phone lives only in the sealed IndexedDB store (static/app/offline.js).
// Network first (a new deploy shows at once when online); the cache answers only when the network cannot.

const CACHE = 'happymap-shell-v1';
const SHELL = [
  '/',
  '/manifest.webmanifest',
  '/vocab.js',
  '/static/app/app.css',
  '/static/app/main.js',
  '/static/app/api.js',
  '/static/app/discovery.js',
  '/static/app/dom.js',
  '/static/app/jobs.js',
  '/static/app/legend.js',
  '/static/app/list.js',
  '/static/app/map.js',
  '/static/app/nearby.js',
  '/static/app/offline.js',
  '/static/app/panel.js',
  '/static/app/partner.js',
  '/static/app/quality.js',
  '/static/app/reportpanel.js',
  '/static/app/reports.js',
  '/static/app/round.js',
  '/static/app/signin.js',
  '/static/app/state.js',
  '/static/app/stats.js',
  '/static/app/tiles.js',
  '/static/app/visitform.js',
  '/static/app/vocab.js',
  '/static/icons/icon-192.png',
  '/static/icons/icon-512.png',
  '/vendor/leaflet/dist/leaflet.css',
  '/vendor/leaflet/dist/leaflet-src.esm.js',
  '/vendor/@mapbox/point-geometry/index.js',
  '/vendor/@mapbox/vector-tile/index.js',
  '/vendor/pbf/index.js',
  '/vendor/chart.js/auto/auto.js',
  '/vendor/@kurkle/color/dist/color.esm.js',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function shellKey(url) {
  if (url.pathname === '/stats') return '/'; // the same page
  return url.pathname;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  const key = shellKey(url);
  if (!SHELL.includes(key)) return;
  event.respondWith(fetch(request).then((response) => {
    if (response.ok && response.type === 'basic') {
      // Refreshed only while the cache exists: a logout that wiped it must not see it come back.
      const copy = response.clone();
      caches.has(CACHE).then((kept) => kept && caches.open(CACHE).then((cache) => cache.put(key, copy)));
    }
    return response;
  }).catch(() => caches.match(key).then((hit) => hit || Response.error())));
});
