// The 위치 지정 대기 tab: imported rows whose address matched no building. They are never dropped and never put
// at a made-up point: a person chooses a row, clicks its place on the map (dong and tract outlines, the base map
// only when the deployment has one) and presses 이 위치로 지정; the household is created there (placement
// "manual") and the row leaves the list.

import * as L from '/vendor/leaflet/dist/leaflet-src.esm.js';
import { ApiError, api } from './api.js';
import { formatCount, h, replace } from './dom.js';
import { StaffPane } from './staffpage.js';
import { IMPORT_KINDS, label } from './vocab.js';

const PAGE = 50;
const SEOUL = [37.5665, 126.978];

export class QueuePane extends StaffPane {
  constructor(root, { onForbidden, onChanged }) {
    super(root, { onForbidden });
    this.onChanged = onChanged;
    this.items = [];
    this.total = 0;
    this.selected = null;
    this.point = null; // {lat, lon} clicked
    this.map = null;
    this.marker = null;
    this.dongBounds = new Map();
    this.outlinesLoaded = false;
  }

  reset() {
    this.items = [];
    this.selected = null;
    this.point = null;
    this.dirty = true;
    this.outlinesLoaded = false;
    if (this.map) { this.map.remove(); this.map = null; }
    this.marker = null;
    replace(this.root);
  }

  start({ dongs, whole, config }) {
    this.config = config;
    this.dong = h('select', { id: 'queue-dong', attrs: { 'aria-label': '동' } },
      h('option', { value: '', text: whole ? '전체 동' : '담당 동 전체' }),
      ...dongs.map((d) => h('option', { value: String(d.id), text: d.name })));
    this.dong.addEventListener('change', () => this.load());
    this.count = h('strong', { class: 'list-count', id: 'queue-total', attrs: { 'aria-live': 'polite' } });
    this.message = h('p', { class: 'job-message', id: 'queue-message', attrs: { role: 'alert' }, hidden: true });
    this.list = h('ol', { id: 'queue-list', class: 'queue-list', attrs: { 'aria-label': '위치 지정 대기 목록' } });
    this.more = h('button', { type: 'button', id: 'queue-more', text: '더 보기', hidden: true, on: { click: () => this.load(true) } });
    this.mapEl = h('div', { id: 'queue-map', class: 'queue-map', attrs: { 'aria-label': '위치 지정 지도' } });
    this.chosen = h('div', { id: 'queue-chosen', class: 'queue-chosen' });
    this.place = h('button', { type: 'button', class: 'primary', id: 'queue-place', text: '이 위치로 지정', disabled: true, on: { click: () => this.submit() } });
    this.where = h('p', { class: 'pick-where', id: 'queue-where', text: '' });
    this.side = h('div', { class: 'queue-side' }, this.list, h('div', { class: 'admin-pager' }, this.more));
    this.mapBox = h('div', { class: 'queue-mapbox' },
      this.chosen, this.mapEl, this.where,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', id: 'queue-cancel', text: '선택 취소', on: { click: () => this.choose(null) } }), this.place));
    replace(this.root,
      h('p', { class: 'review-lead', text: '가져온 명단에서 주소로 건물을 찾지 못한 행입니다. 행을 고르고 지도에서 위치를 누른 뒤 "이 위치로 지정"을 누르면 그 자리에 가구가 등록됩니다.' }),
      h('div', { class: 'admin-toolbar' }, h('label', { class: 'field inline-field' }, '동', this.dong), this.count),
      this.message,
      h('div', { class: 'queue-layout' }, this.side, this.mapBox));
    this.mapBox.hidden = true;
  }

  async load(more = false) {
    const offset = more ? this.items.length : 0;
    try {
      const data = await api.get('/placement-queue', { dong_id: this.dong.value, limit: PAGE, offset });
      this.items = more ? this.items.concat(data.items) : data.items;
      this.total = data.total;
      this.dirty = false;
      this.count.textContent = `${formatCount(data.total)}건`;
      this.more.hidden = this.items.length >= data.total;
      if (this.selected && !this.items.some((i) => i.id === this.selected.id)) this.choose(null);
      this.draw();
    } catch (err) {
      this.dirty = true;
      this.failed(err);
    }
  }

  draw() {
    replace(this.list, this.items.map((item) => {
      const on = this.selected && this.selected.id === item.id;
      const address = [item.address, item.address_detail].filter(Boolean).join(' ');
      return h('li', { class: `queue-item${on ? ' selected' : ''}`, dataset: { id: String(item.id) } },
        h('button', {
          type: 'button', class: 'queue-pick', attrs: { 'aria-pressed': String(Boolean(on)) },
          on: { click: () => this.choose(item) },
        },
        h('span', { class: 'queue-top' },
          h('strong', { class: 'queue-name', text: item.head_name || '이름 없음' }),
          h('span', { class: 'queue-dong', text: item.dong_name || '동 미상' })),
        h('span', { class: 'queue-address', text: address || '주소 없음' }),
        item.note ? h('span', { class: 'queue-note', text: item.note }) : null,
        h('span', { class: 'queue-source', text: `${label(IMPORT_KINDS, item.kind)}${item.round ? ` ${item.round}` : ''} · ${item.row}행` })));
    }));
    if (!this.items.length) this.list.append(h('li', { class: 'empty-state', text: '위치를 지정할 행이 없습니다.' }));
  }

  /** Choose a row (null: none): the map opens on its dong and waits for a click. */
  async choose(item) {
    this.selected = item;
    this.point = null;
    this.place.disabled = true;
    this.draw();
    this.mapBox.hidden = !item;
    this.root.classList.toggle('queue-picking', Boolean(item));
    if (!item) {
      if (this.marker) { this.marker.remove(); this.marker = null; }
      return;
    }
    const address = [item.address, item.address_detail].filter(Boolean).join(' ');
    replace(this.chosen, h('strong', { text: `${item.head_name || '이름 없음'} · ${address || '주소 없음'}` }),
      item.note ? h('span', { class: 'queue-note', text: item.note }) : null);
    this.where.textContent = '지도에서 이 가구의 위치를 누르세요.';
    this.where.dataset.source = 'none';
    await this.ensureMap();
    if (this.marker) { this.marker.remove(); this.marker = null; }
    const bounds = item.dong_id ? this.dongBounds.get(item.dong_id) : null;
    if (bounds) this.map.fitBounds(bounds, { animate: false, padding: [12, 12] });
    else if (this.allBounds) this.map.fitBounds(this.allBounds, { animate: false });
    if (window.matchMedia('(max-width: 720px)').matches) this.mapBox.scrollIntoView({ block: 'start' });
  }

  async ensureMap() {
    if (!this.map) {
      this.map = L.map(this.mapEl, { zoomControl: true, minZoom: 10, maxZoom: 19, zoomSnap: 0.25 }).setView(SEOUL, 13);
      this.map.attributionControl.setPrefix('Leaflet');
      this.map.getContainer().classList.add('hm-picking');
      if (this.config && this.config.tile_url) {
        L.tileLayer(this.config.tile_url, { maxZoom: 19, attribution: this.config.tile_attribution || '' }).addTo(this.map);
      }
      this.map.on('click', (e) => this.picked(e.latlng));
    }
    this.map.invalidateSize();
    if (this.outlinesLoaded) return;
    try {
      const [dongs, tracts] = await Promise.all([api.get('/layers/dongs'), api.get('/layers/tracts').catch(() => null)]);
      if (tracts) {
        L.geoJSON(tracts, { interactive: false, style: { color: '#90A4AE', weight: 0.8, fill: false } }).addTo(this.map);
      }
      const all = L.featureGroup().addTo(this.map);
      for (const feature of dongs.features || []) {
        const layer = L.geoJSON(feature, {
          interactive: false, style: { color: '#37474F', weight: 2, opacity: 0.9, fill: true, fillColor: '#FAFAFA', fillOpacity: 0.35 },
        });
        layer.bindTooltip(h('span', { text: feature.properties.name }), {
          permanent: true, direction: 'center', className: 'hm-dong-label', interactive: false,
        });
        this.dongBounds.set(feature.properties.id, layer.getBounds());
        all.addLayer(layer);
      }
      this.allBounds = all.getLayers().length ? all.getBounds() : null;
      this.outlinesLoaded = true;
    } catch (err) {
      this.failed(err);
    }
  }

  picked(latlng) {
    if (!this.selected) return;
    this.point = { lat: latlng.lat, lon: latlng.lng };
    if (this.marker) this.marker.setLatLng(latlng);
    else {
      this.marker = L.circleMarker(latlng, { radius: 9, color: '#000', weight: 3, fillColor: '#1565C0', fillOpacity: 0.9 }).addTo(this.map);
    }
    this.where.textContent = `고른 위치: 위도 ${latlng.lat.toFixed(6)}, 경도 ${latlng.lng.toFixed(6)}`;
    this.where.dataset.source = 'click';
    this.place.disabled = false;
  }

  async submit() {
    const item = this.selected;
    if (!item || !this.point) return;
    this.place.disabled = true;
    try {
      const made = await api.post(`/placement-queue/${item.id}/place`, { ...this.point, version: item.version });
      this.choose(null);
      this.say(`${item.head_name || '가구'}을(를) 고른 위치에 등록했습니다 (가구 #${made.household_id}).`, true);
      this.message.append(' ', h('a', { href: `/#h=${made.household_id}`, text: '지도에서 보기' }));
      await this.load();
      this.onChanged();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        this.choose(null);
        await this.load();
        this.say(`${err.message} 목록을 새로 불러왔습니다.`);
        this.onChanged();
        return;
      }
      this.place.disabled = false;
      this.failed(err);
    }
  }
}
