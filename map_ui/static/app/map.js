// The Leaflet map: dong outlines, tracts by worst risk, household points on one canvas, facilities, legend.
// 10,497 points stay smooth because they are canvas circleMarkers (no DOM node per point), created once and
// reused across filter changes, with one shared tooltip instead of one per point.

import * as L from '/vendor/leaflet/dist/leaflet-src.esm.js';
import { formatCount, h } from './dom.js';
import { Legend, OVERLAY_CATEGORIES } from './legend.js';
import { HouseholdTileLayer, POINTS_FROM_ZOOM } from './tiles.js';
import {
  EMPTY_TRACT_COLOR, FACILITY_CATEGORIES, OUTLINE_DARK, OVERDUE_LABEL, REPORT_STATUSES, RISK_COLORS, RISK_LABELS,
  RISK_LEVELS, label,
} from './vocab.js';

const DRAW_ORDER = { low: 0, unvisited: 1, medium: 2, high: 3 }; // most urgent drawn last, on top
const SEOUL = [37.5665, 126.978];
// Above this many points in the caller's filtered area the map asks for vector tiles (grid cells when zoomed out,
// points from zoom 16) instead of one GeoJSON layer. At 20,000 the GeoJSON is ~4 MB and the canvas still pans
// smoothly (the demo's 10,497 draw in well under a second); a 구 of 150,000 would be 30 MB and 150,000 circles.
export const TILE_THRESHOLD = 20000;

function radiusFor(zoom) {
  if (zoom >= 17) return 8;
  if (zoom >= 16) return 6.5;
  if (zoom >= 15) return 5.5;
  if (zoom >= 14) return 4.5;
  if (zoom >= 13) return 3.5;
  return 2.5;
}

function escapeText(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Edge of each point: a darker shade of its own fill (no pure white edges, so white on the map means 미방문).
const EDGE = { high: '#B71C1C', medium: '#E65100', low: '#0D47A1', unvisited: OUTLINE_DARK };

/** Leaflet style of one household point: fill exactly the DOMAIN.md colour, overdue as a thick dark ring. */
export function pointStyle(p, zoom) {
  let stroke = EDGE[p.risk_level] || OUTLINE_DARK;
  let weight = p.risk_level === 'unvisited' ? 1.2 : 1;
  if (p.overdue) {
    stroke = '#000000';
    weight = zoom >= 15 ? 3 : zoom >= 14 ? 2 : 1.3;
  }
  return {
    radius: radiusFor(zoom), fill: true, fillColor: p.color, fillOpacity: 1, stroke: true, color: stroke, weight,
    opacity: 1,
  };
}

function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}

/** A shelter's tooltip line: its period, capacity and night/holiday opening. */
function shelterNote(p) {
  const md = (iso) => `${Number(iso.slice(5, 7))}/${Number(iso.slice(8, 10))}`;
  const parts = [`운영 ${md(p.open_from)}~${md(p.open_to)}`];
  if (Number.isFinite(p.capacity)) parts.push(`${p.capacity}명`);
  if (p.night_open) parts.push('야간 개방');
  if (p.holiday_open) parts.push('휴일 개방');
  return parts.join(' · ');
}

export class HappyMap {
  constructor(element, { onHouseholdClick, onReportClick } = {}) {
    this.onHouseholdClick = onHouseholdClick || (() => {});
    this.onReportClick = onReportClick || (() => {});
    this.map = L.map(element, {
      zoomControl: true, minZoom: 10, maxZoom: 19, zoomSnap: 0.25, attributionControl: true,
      preferCanvas: false,
    }).setView(SEOUL, 13);
    this.map.attributionControl.setPrefix('Leaflet');
    this.map.createPane('dongs').style.zIndex = 380;
    this.map.createPane('selection').style.zIndex = 620;
    this.map.getPane('selection').style.pointerEvents = 'none';
    // One canvas for tracts and points: the topmost shape under the pointer wins (points over tracts).
    this.renderer = L.canvas({ padding: 0.3, tolerance: 4 });
    this.dongs = L.featureGroup([], { pane: 'dongs' }).addTo(this.map);
    this.tracts = L.featureGroup().addTo(this.map);
    this.households = L.featureGroup().addTo(this.map);
    this.facilities = L.featureGroup();
    // 경로당 and the shelters: one layer per category, each with its legend switch (shelters: of one day).
    this.overlays = new Map(OVERLAY_CATEGORIES.map((code) => [code, L.featureGroup()]));
    this.reports = L.featureGroup(); // blind-spot reports of the triage queue (staff, 신고 tab)
    this.reportMarkers = new Map();
    this.selectedReport = null;
    this.picking = null; // {onPick, onCancel} while the official clicks a household's place on the map
    this.pickMarker = null;
    this.markers = new Map(); // id → circleMarker, kept across filter changes
    this.visible = new Set();
    this.dongNames = new Map();
    this.dongBounds = new Map();
    this.tractBounds = new Map();
    this.tractLayers = new Map();
    this.highlightedTract = null;
    this.facilitiesLoaded = false;
    this.tileLayer = null;
    this.selection = null;
    this.facilityFlag = null;
    this.hoverTip = L.tooltip({ direction: 'top', offset: [0, -6], className: 'hm-point-tip' });
    this.households.on('mouseover', (e) => this._showPointTip(e.layer));
    this.households.on('mouseout', () => this.map.closeTooltip(this.hoverTip));
    this.households.on('click', (e) => {
      L.DomEvent.stop(e);
      if (this.picking) this._picked(e.latlng);
      else this.onHouseholdClick(e.layer.hm.id);
    });
    // Vector-tile mode (a big area): the tiles' points join `households`; their grid cells are badges here.
    this.cells = L.featureGroup().addTo(this.map);
    this.householdTiles = null;
    this.tileContents = new Map(); // tile key → {z, ids, cells}
    this.tractProps = new Map();
    this.onTileError = () => {};
    this.tractActions = null; // (tract properties) → buttons of the tract's menu; null: tracts are not clickable
    this.map.on('click', (e) => { if (this.picking) this._picked(e.latlng); });
    this.map.getContainer().addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.picking) { const { onCancel } = this.picking; this.stopPick(); onCancel(); }
    });
    this.map.on('zoom', () => this._restyleAll());
    this.legend = new Legend();
    this.legend.addTo(this.map);
    this.tractToggle = this.legend.tractToggle;
    this.facilityToggle = this.legend.facilityToggle;
    this.overlayToggles = this.legend.overlayToggles;
    this.shelterDate = this.legend.shelterDate;
    this.tractToggle.addEventListener('change', () => this.showTracts(this.tractToggle.checked));
    this.counts = { high: 0, medium: 0, low: 0, unvisited: 0, overdue: 0 };
    this.drawnAt = null;
  }

  /** Forget everything shown (sign-out): points, tracts, facilities, selection. */
  reset() {
    this.map.closePopup();
    this.households.clearLayers();
    this.tracts.clearLayers();
    this.dongs.clearLayers();
    this.facilities.clearLayers();
    this.facilitiesLoaded = false;
    for (const [code, group] of this.overlays) {
      group.clearLayers();
      this.map.removeLayer(group);
      this.overlayToggles[code].checked = false;
    }
    this.setReports([]);
    this.showReports(false);
    this.stopPick();
    this.clearPickMarker();
    this.hideTiles();
    this.markers.clear();
    this.visible.clear();
    this.clearSelection();
    this.clearFacilityFlag();
    if (this.tileLayer) { this.map.removeLayer(this.tileLayer); this.tileLayer = null; }
    this.highlightedTract = null;
    this.facilityToggle.checked = false;
    this.showFacilities(false);
    this.tractToggle.checked = true;
    this.showTracts(true);
    this._updateLegendCounts();
    this.drawnAt = null;
  }

  /** A base-map tile layer from the deployment's settings (off by default: no internet needed). */
  setTiles(url, attribution) {
    if (this.tileLayer) this.map.removeLayer(this.tileLayer);
    this.tileLayer = null;
    if (!url) return;
    this.tileLayer = L.tileLayer(url, { maxZoom: 19, attribution: escapeText(attribution || '') });
    this.tileLayer.addTo(this.map);
    this.tileLayer.bringToBack();
  }

  /** Dong outlines (GeoJSON) with their names as labels. */
  setDongs(collection) {
    this.dongs.clearLayers();
    this.dongNames.clear();
    this.dongBounds.clear();
    for (const feature of collection.features || []) {
      const p = feature.properties || {};
      const layer = L.geoJSON(feature, {
        pane: 'dongs', interactive: false,
        style: { color: '#37474F', weight: 2, opacity: 0.9, fill: true, fillColor: '#FAFAFA', fillOpacity: 0.55 },
      });
      this.dongNames.set(p.id, p.name);
      this.dongBounds.set(p.id, layer.getBounds());
      layer.bindTooltip(h('span', { text: p.name }), {
        permanent: true, direction: 'center', className: 'hm-dong-label', interactive: false,
      });
      this.dongs.addLayer(layer);
    }
  }

  /** Tract polygons filled with their worst level's colour; counts in a tooltip. */
  setTracts(collection) {
    this.tracts.clearLayers();
    this.tractBounds.clear();
    this.tractLayers.clear();
    this.tractProps.clear();
    for (const feature of collection.features || []) {
      const p = feature.properties || {};
      this.tractProps.set(p.id, p);
      const layer = L.geoJSON(feature, {
        renderer: this.renderer,
        style: {
          renderer: this.renderer, color: '#607D8B', weight: 0.8, opacity: 0.8, fill: true,
          fillColor: p.color || EMPTY_TRACT_COLOR, fillOpacity: p.risk_level === 'unvisited' ? 0.25 : 0.18,
        },
      });
      layer.eachLayer((shape) => { shape.options.renderer = this.renderer; });
      this.tractBounds.set(p.id, layer.getBounds());
      this.tractLayers.set(p.id, layer);
      layer.bindTooltip(() => this._tractTip(p), { sticky: true, className: 'hm-tract-tip' });
      layer.on('click', (e) => { if (!this.picking && this.tractActions) this.openTractMenu(p.id, e.latlng); });
      this.tracts.addLayer(layer);
    }
    // Re-added tracts must stay under the points on the shared canvas.
    this.tracts.eachLayer((l) => l.bringToBack());
    this.highlightTract(this.highlightedTract);
  }

  /** Draw the chosen tract's outline heavier (null: none). */
  highlightTract(id) {
    const previous = this.tractLayers.get(this.highlightedTract);
    if (previous) previous.setStyle({ color: '#607D8B', weight: 0.8 });
    this.highlightedTract = id;
    const layer = this.tractLayers.get(id);
    if (layer) layer.setStyle({ color: '#1B2A33', weight: 3 });
  }

  _tractTip(p) {
    const dong = this.dongNames.get(p.dong_id) || '';
    const name = p.name || '';
    const title = dong && !name.startsWith(dong) ? `${dong} ${name}` : name;
    const box = h('div', { class: 'tip' }, h('strong', { text: title }));
    if (p.counts) {
      const list = h('ul', { class: 'tip-counts' });
      for (const level of RISK_LEVELS) {
        list.append(h('li', {},
          h('span', { class: `swatch swatch-${level}` }),
          `${RISK_LABELS[level]} ${formatCount(p.counts[level])}`));
      }
      box.append(list);
      box.append(h('div', { class: 'tip-note', text: p.risk_level ? `통 색: ${RISK_LABELS[p.risk_level]}` : '가구 없음' }));
    }
    return box;
  }

  /** A tract's counts with what can be done there (see the list, print the round), at a point of the map. */
  openTractMenu(id, latlng = null) {
    const p = this.tractProps.get(id);
    if (!p || !this.tractActions) return;
    const box = this._tractTip(p);
    box.classList.add('tract-menu');
    box.dataset.tract = String(id);
    box.append(h('div', { class: 'tract-menu-buttons' }, ...this.tractActions(p).map(({ text, run, primary }) =>
      h('button', { type: 'button', class: primary ? 'primary' : '', text, on: { click: () => { this.map.closePopup(); run(); } } }))));
    this.tractLayers.get(id).closeTooltip(); // the menu repeats the counts
    L.popup({ className: 'hm-tract-popup', autoPanPadding: [24, 24] })
      .setLatLng(latlng || this.tractBounds.get(id).getCenter()).setContent(box).openOn(this.map);
  }

  _showPointTip(marker) {
    const p = marker.hm;
    const parts = [RISK_LABELS[p.risk_level] || p.risk_level];
    if (p.overdue) parts.push(OVERDUE_LABEL);
    this.hoverTip.setContent(h('span', { text: `가구 #${p.id} · ${parts.join(' · ')}` }));
    this.hoverTip.setLatLng(marker.getLatLng());
    this.map.openTooltip(this.hoverTip);
  }

  /** Show exactly these household points (a GeoJSON layer answer); resolves once the canvas has drawn them. */
  async setHouseholds(collection) {
    this.hideTiles();
    const zoom = this.map.getZoom();
    const features = (collection.features || []).filter((f) => f.geometry && f.geometry.type === 'Point');
    features.sort((a, b) => (DRAW_ORDER[a.properties.risk_level] ?? 0) - (DRAW_ORDER[b.properties.risk_level] ?? 0));
    this.households.clearLayers();
    this.visible.clear();
    for (const f of features) {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      let marker = this.markers.get(p.id);
      if (!marker) {
        marker = L.circleMarker([lat, lon], { renderer: this.renderer, ...pointStyle(p, zoom) });
        this.markers.set(p.id, marker);
      } else {
        marker.setLatLng([lat, lon]);
        marker.setStyle(pointStyle(p, zoom));
        marker.setRadius(radiusFor(zoom));
      }
      marker.hm = { id: p.id, risk_level: p.risk_level, color: p.color, overdue: !!p.overdue };
      this.households.addLayer(marker);
      this.visible.add(p.id);
    }
    this._updateLegendCounts();
    await nextFrame();
    this.drawnAt = performance.now();
    return features.length;
  }

  /** How many points a layer request with these filters would show, from the tract counts (an upper bound:
   * needs and overdue are not in them). Decides between the GeoJSON layer and vector tiles. */
  expectedPoints(params) {
    const levels = params.risk && params.risk.length ? params.risk : RISK_LEVELS;
    let n = 0;
    for (const p of this.tractProps.values()) {
      if (params.tract_id ? p.id !== params.tract_id : params.dong_id && p.dong_id !== params.dong_id) continue;
      for (const level of levels) n += (p.counts && p.counts[level]) || 0;
    }
    return n;
  }

  /** Show the filtered households through vector tiles; resolves once the view's tiles are in and drawn. */
  async showTiles(params) {
    this.households.clearLayers();
    this.visible.clear();
    const loaded = new Promise((resolve) => {
      if (!this.householdTiles) {
        this.householdTiles = new HouseholdTileLayer(params, {
          onTile: (key, coords, content) => this._tileIn(key, coords, content),
          onTileGone: (key) => this._tileOut(key),
          onError: (err) => this.onTileError(err),
        });
        this.householdTiles.once('load', resolve);
        this.householdTiles.addTo(this.map);
      } else {
        this.householdTiles.once('load', resolve);
        this.householdTiles.setParams(params);
      }
      // GridLayer fires 'load' only after asking for tiles; a view that needs none (a map of no size) must not
      // leave the caller waiting.
      requestAnimationFrame(() => { if (!this.householdTiles || !this.householdTiles.isLoading()) resolve(); });
    });
    await loaded;
    this._updateLegendCounts();
    await nextFrame();
    this.drawnAt = performance.now();
    return this.shownCount();
  }

  /** Back to the GeoJSON layer (a smaller area): the tiles and their points and cells go. */
  hideTiles() {
    if (!this.householdTiles) return;
    this.map.removeLayer(this.householdTiles);
    this.householdTiles = null;
    for (const key of [...this.tileContents.keys()]) this._tileOut(key);
    this.cells.clearLayers();
  }

  get tileMode() {
    return this.householdTiles !== null;
  }

  /** Households on the map: points, plus those counted in grid cells in tile mode. */
  shownCount() {
    return this.visible.size + this._cellTotals().count;
  }

  _tileIn(key, coords, { points, cells }) {
    const zoom = this.map.getZoom();
    points.sort((a, b) => (DRAW_ORDER[a.risk_level] ?? 0) - (DRAW_ORDER[b.risk_level] ?? 0));
    const ids = [];
    for (const p of points) {
      const hm = { id: p.id, risk_level: p.risk_level, color: RISK_COLORS[p.risk_level], overdue: p.overdue };
      let marker = this.markers.get(p.id);
      if (!marker) {
        marker = L.circleMarker(p.latlng, { renderer: this.renderer, ...pointStyle(hm, zoom) });
        this.markers.set(p.id, marker);
      } else {
        marker.setLatLng(p.latlng);
        marker.setStyle(pointStyle(hm, zoom));
        marker.setRadius(radiusFor(zoom));
      }
      marker.hm = hm;
      marker.hmTile = key;
      this.households.addLayer(marker);
      this.visible.add(p.id);
      ids.push(p.id);
    }
    const badges = cells.map((c) => this._cellBadge(c, coords.z).addTo(this.cells));
    this.tileContents.set(key, { z: coords.z, ids, cells, badges });
    this._restackSoon();
    this._countsSoon();
  }

  _tileOut(key) {
    const content = this.tileContents.get(key);
    if (!content) return;
    this.tileContents.delete(key);
    for (const id of content.ids) {
      const marker = this.markers.get(id);
      if (marker && marker.hmTile === key && this.selectedId !== id) {
        this.households.removeLayer(marker);
        this.visible.delete(id);
      }
    }
    for (const badge of content.badges) this.cells.removeLayer(badge);
    this._countsSoon();
  }

  /** A grid cell: a round badge in the colour of its most urgent household, its count inside, a dark ring
   * when any is overdue; a click zooms in towards the points. */
  _cellBadge(c, z) {
    const size = Math.round(20 + 6 * Math.log10(Math.max(1, c.count))); // 20 px for one, 38 px for 1,000
    const badge = h('span', {
      class: `hm-cell-badge risk-${c.risk_level}${c.overdue ? ' overdue' : ''}`,
      style: { width: `${size}px`, height: `${size}px`, background: RISK_COLORS[c.risk_level] },
      text: formatCount(c.count),
    });
    const marker = L.marker(c.latlng, {
      icon: L.divIcon({ html: badge, className: 'hm-cell', iconSize: [size, size], iconAnchor: [size / 2, size / 2] }),
      keyboard: false, title: '', zIndexOffset: (DRAW_ORDER[c.risk_level] ?? 0) * 100,
    });
    marker.hmCell = { ...c, z };
    marker.bindTooltip(() => {
      const list = h('ul', { class: 'tip-counts' });
      for (const level of RISK_LEVELS) {
        list.append(h('li', {}, h('span', { class: `swatch swatch-${level}` }),
          `${RISK_LABELS[level]} ${formatCount(c[level] || 0)}`));
      }
      return h('div', { class: 'tip' }, h('strong', { text: `이 부근 ${formatCount(c.count)}가구` }), list,
        h('div', { class: 'tip-note', text: `${OVERDUE_LABEL} ${formatCount(c.overdue)} · 누르면 확대` }));
    }, { direction: 'top', offset: [0, -size / 2] });
    marker.on('click', (e) => {
      L.DomEvent.stop(e);
      if (this.picking) { this._picked(e.latlng); return; }
      this.map.setView(c.latlng, Math.min(Math.max(this.map.getZoom() + 2, z + 2), POINTS_FROM_ZOOM));
    });
    return marker;
  }

  /** Tiles arrive one by one: put the urgent points back on top of the shared canvas once per frame. */
  _restackSoon() {
    if (this.restackPending) return;
    this.restackPending = true;
    requestAnimationFrame(() => {
      this.restackPending = false;
      for (const level of ['unvisited', 'medium', 'high']) {
        for (const id of this.visible) {
          const marker = this.markers.get(id);
          if (marker.hm.risk_level === level) marker.bringToFront();
        }
      }
    });
  }

  _countsSoon() {
    if (this.countsPending) return;
    this.countsPending = true;
    requestAnimationFrame(() => { this.countsPending = false; this._updateLegendCounts(); });
  }

  /** Sums over the grid cells of the tiles at the zoom now shown (tiles of the previous zoom may linger). */
  _cellTotals() {
    const totals = { count: 0, high: 0, medium: 0, low: 0, unvisited: 0, overdue: 0 };
    const z = this.householdTiles ? this.householdTiles._tileZoom : null;
    for (const content of this.tileContents.values()) {
      if (content.z !== z) continue;
      for (const c of content.cells) for (const k of Object.keys(totals)) totals[k] += c[k] || 0;
    }
    return totals;
  }

  /** For tests: the grid cells on screen with their counts, colour and where they are. */
  describeCells() {
    const rect = this.map.getContainer().getBoundingClientRect();
    const out = [];
    this.cells.eachLayer((m) => {
      const pt = this.map.latLngToContainerPoint(m.getLatLng());
      out.push({ ...m.hmCell, latlng: undefined, lat: m.getLatLng().lat, lon: m.getLatLng().lng,
        x: rect.left + pt.x, y: rect.top + pt.y, color: RISK_COLORS[m.hmCell.risk_level] });
    });
    return out;
  }

  /** Change one point after a visit (colour from the API's answer) without reloading the layer. */
  updateHousehold(id, { risk_level, color, overdue }) {
    // Tiles the browser keeps for 30 s would bring the old colour back: ask past the cache from now on.
    if (this.householdTiles) this.householdTiles.params = { ...this.householdTiles.params, rev: Date.now() };
    const marker = this.markers.get(id);
    if (!marker) return false;
    marker.hm = { ...marker.hm, risk_level, color, overdue: overdue ?? marker.hm.overdue };
    marker.setStyle(pointStyle(marker.hm, this.map.getZoom()));
    if (this.visible.has(id)) marker.bringToFront();
    this._updateLegendCounts();
    return true;
  }

  /** Add a point the layer did not hold (e.g. opened from a shared link with other filters). */
  ensureHousehold(hh) {
    if (this.markers.has(hh.id) && this.visible.has(hh.id)) return;
    const p = { id: hh.id, risk_level: hh.risk_level, color: hh.color, overdue: !!hh.overdue };
    let marker = this.markers.get(hh.id);
    if (!marker) {
      marker = L.circleMarker([hh.lat, hh.lon], { renderer: this.renderer, ...pointStyle(p, this.map.getZoom()) });
      this.markers.set(hh.id, marker);
    }
    marker.hm = p;
    this.households.addLayer(marker);
    this.visible.add(hh.id);
    this._updateLegendCounts();
  }

  /** Point sizes follow the zoom. Only when the size class changes, and without one redraw per point: the
   * options are set directly during 'zoom', and Leaflet's own zoomend/moveend re-projects and redraws them all
   * once. (`_radius` is CircleMarker's internal copy of the radius; leaflet is pinned to ~1.9.) */
  _restyleAll() {
    const zoom = this.map.getZoom();
    const key = `${radiusFor(zoom)}:${pointStyle({ overdue: true }, zoom).weight}`;
    if (key !== this.styleKey) {
      this.styleKey = key;
      for (const id of this.visible) {
        const marker = this.markers.get(id);
        Object.assign(marker.options, pointStyle(marker.hm, zoom));
        marker._radius = marker.options.radius;
      }
    }
    if (this.selection) this.selection.setRadius(radiusFor(zoom) + 7);
  }

  /** Fly to a household and ring it. */
  focusHousehold(id, lat, lon) {
    const zoom = Math.max(this.map.getZoom(), 17);
    this.select(id, lat, lon);
    // The household panel covers part of the map (right side, or bottom on a phone).
    this.flyToVisible(lat, lon, zoom);
  }

  /** Ring a household on the map without moving it. */
  select(id, lat, lon) {
    const latlng = lat !== undefined ? [lat, lon] : this.markers.get(id)?.getLatLng();
    if (!latlng) return;
    this.clearSelection();
    this.selection = L.circleMarker(latlng, {
      pane: 'selection', interactive: false, radius: radiusFor(this.map.getZoom()) + 7, color: '#000000',
      weight: 3, fill: false, className: 'hm-selected',
    }).addTo(this.map);
    this.selectedId = id;
  }

  clearSelection() {
    if (this.selection) this.map.removeLayer(this.selection);
    this.selection = null;
    this.selectedId = null;
  }

  /** Fit the view to some dongs (the caller's area) or a tract. */
  fitTo({ dongIds = [], tractId = null } = {}) {
    let bounds = null;
    if (tractId && this.tractBounds.has(tractId)) bounds = this.tractBounds.get(tractId);
    else {
      const ids = dongIds.length ? dongIds : [...this.dongBounds.keys()];
      for (const id of ids) {
        const b = this.dongBounds.get(id);
        if (b) bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
      }
    }
    if (bounds && bounds.isValid()) this.map.fitBounds(bounds, { padding: [12, 12], animate: false });
  }

  /** Markers of a facility layer's features, one symbol per category. */
  _facilityMarkers(collection) {
    const markers = [];
    for (const f of collection.features || []) {
      if (!f.geometry || f.geometry.type !== 'Point') continue;
      const p = f.properties || {};
      const cat = FACILITY_CATEGORIES[p.category] || FACILITY_CATEGORIES.other;
      const [lon, lat] = f.geometry.coordinates;
      const icon = L.divIcon({
        html: h('span', {
          class: 'fac-symbol', style: { background: cat.color }, text: cat.symbol,
          dataset: { facilityId: String(p.id), category: p.category || '' },
        }),
        className: `hm-facility hm-facility-${p.category}`, iconSize: [20, 20], iconAnchor: [10, 10],
      });
      const marker = L.marker([lat, lon], { icon, keyboard: false, title: '' });
      marker.bindTooltip(() => h('div', { class: 'tip' },
        h('strong', { text: p.name || '' }), h('div', { text: label(FACILITY_CATEGORIES, p.category) }),
        p.open_from ? h('div', { text: shelterNote(p) }) : null),
      { direction: 'top', offset: [0, -8] });
      marker.hmFacility = p;
      markers.push(marker);
    }
    return markers;
  }

  /** Facilities as symbols per category; loaded once, on first display. */
  setFacilities(collection) {
    this.facilities.clearLayers();
    for (const marker of this._facilityMarkers(collection)) this.facilities.addLayer(marker);
    this.facilitiesLoaded = true;
    const present = new Set();
    this.facilities.eachLayer((m) => present.add(m.hmFacility.category));
    this.legend.setFacilityCategories(present);
  }

  /** One switchable category layer (경로당, 무더위쉼터, 한파쉼터): its points replace what it showed. */
  setOverlay(code, collection) {
    const group = this.overlays.get(code);
    group.clearLayers();
    for (const marker of this._facilityMarkers(collection)) group.addLayer(marker);
  }

  showOverlay(code, on) {
    const group = this.overlays.get(code);
    if (on) group.addTo(this.map);
    else this.map.removeLayer(group);
  }

  /** For tests: the ids of the points a category layer shows now (none while its switch is off). */
  overlayIds(code) {
    const group = this.overlays.get(code);
    if (!group || !this.map.hasLayer(group)) return [];
    const ids = [];
    group.eachLayer((m) => { if (m.getElement()) ids.push(m.hmFacility.id); });
    return ids.sort((a, b) => a - b);
  }

  showFacilities(on) {
    if (on) this.facilities.addTo(this.map);
    else this.map.removeLayer(this.facilities);
    this.legend.facilityLegend.hidden = !on;
  }

  showTracts(on) {
    if (on) {
      this.tracts.addTo(this.map);
      this.tracts.eachLayer((l) => l.bringToBack());
    } else {
      this.map.removeLayer(this.tracts);
    }
  }

  /** The reports of the queue's page that have a point: purple diamonds (not a risk colour, not a dot). */
  setReports(items) {
    this.reports.clearLayers();
    this.reportMarkers.clear();
    for (const r of items || []) {
      if (!Number.isFinite(r.lat) || !Number.isFinite(r.lon)) continue;
      const icon = L.divIcon({
        html: h('span', { class: `report-diamond status-${r.status}${r.needs_location ? ' unplaced' : ''}` }),
        className: 'hm-report', iconSize: [22, 22], iconAnchor: [11, 11],
      });
      const marker = L.marker([r.lat, r.lon], { icon, keyboard: false, title: '', zIndexOffset: 500 });
      marker.hmReport = { id: r.id, status: r.status, receipt_no: r.receipt_no };
      marker.bindTooltip(() => h('div', { class: 'tip' },
        h('strong', { text: `신고 ${r.receipt_no}` }),
        h('div', { text: `${r.status_label || label(REPORT_STATUSES, r.status)}${r.needs_location ? ' · 위치 확인 필요' : ''}` })),
      { direction: 'top', offset: [0, -10] });
      marker.on('click', (e) => {
        L.DomEvent.stop(e);
        if (this.picking) this._picked(e.latlng);
        else this.onReportClick(r.id);
      });
      this.reportMarkers.set(r.id, marker);
      this.reports.addLayer(marker);
    }
    this.selectReport(this.selectedReport);
    this.legend.setReportCount(this.reportMarkers.size);
  }

  showReports(on) {
    if (on) {
      this.reports.addTo(this.map);
      this.selectReport(this.selectedReport); // re-added markers get new elements
    } else {
      this.map.removeLayer(this.reports);
    }
    this.legend.showReports(on);
  }

  /** Mark one report's diamond as chosen (null: none). */
  selectReport(id) {
    this.selectedReport = id;
    for (const [rid, marker] of this.reportMarkers) {
      const el = marker.getElement();
      if (el) el.classList.toggle('selected', rid === id);
      marker.setZIndexOffset(rid === id ? 1500 : 500);
    }
  }

  /** Let the official click the map to set a place: `onPick(lon, lat)`, or `onCancel()` on Escape. */
  startPick(onPick, onCancel = () => {}) {
    this.picking = { onPick, onCancel };
    this.map.getContainer().classList.add('hm-picking');
  }

  stopPick() {
    this.picking = null;
    this.map.getContainer().classList.remove('hm-picking');
  }

  _picked(latlng) {
    const { onPick } = this.picking;
    this.stopPick();
    const wrapped = latlng.wrap();
    onPick(Number(wrapped.lng.toFixed(7)), Number(wrapped.lat.toFixed(7)));
  }

  /** The place chosen for a new household: a white dot with a dashed ring (a household still to be made). */
  setPickMarker(lat, lon) {
    this.clearPickMarker();
    const icon = L.divIcon({ html: h('span', { class: 'pick-pin' }), className: 'hm-pick', iconSize: [26, 26], iconAnchor: [13, 13] });
    this.pickMarker = L.marker([lat, lon], { icon, keyboard: false, interactive: false, zIndexOffset: 2000 }).addTo(this.map);
    this.pickMarker.bindTooltip(h('span', { text: '새 가구 위치' }), { permanent: true, direction: 'top', offset: [0, -14] }).openTooltip();
  }

  clearPickMarker() {
    if (this.pickMarker) this.map.removeLayer(this.pickMarker);
    this.pickMarker = null;
  }

  /** For tests: where a report's diamond is on screen. */
  describeReport(id) {
    const marker = this.reportMarkers.get(id);
    if (!marker || !this.map.hasLayer(this.reports)) return null;
    const pt = this.map.latLngToContainerPoint(marker.getLatLng());
    const rect = this.map.getContainer().getBoundingClientRect();
    const el = marker.getElement();
    return { ...marker.hmReport, x: rect.left + pt.x, y: rect.top + pt.y, lon: marker.getLatLng().lng,
      lat: marker.getLatLng().lat, selected: !!el && el.classList.contains('selected') };
  }

  /** A temporary mark for one facility (from the household panel's nearby list). */
  flagFacility(f) {
    this.clearFacilityFlag();
    const cat = FACILITY_CATEGORIES[f.category] || FACILITY_CATEGORIES.other;
    const icon = L.divIcon({
      html: h('span', { class: 'fac-symbol fac-flag', style: { background: cat.color }, text: cat.symbol }),
      className: 'hm-facility', iconSize: [26, 26], iconAnchor: [13, 13],
    });
    this.facilityFlag = L.marker([f.lat, f.lon], { icon, keyboard: false, zIndexOffset: 1000 }).addTo(this.map);
    this.facilityFlag.bindTooltip(h('div', { class: 'tip' },
      h('strong', { text: f.name || '' }), h('div', { text: f.category_label || cat.label })),
    { direction: 'top', offset: [0, -10] }).openTooltip();
    this.flyToVisible(f.lat, f.lon, Math.max(this.map.getZoom(), 16));
  }

  clearFacilityFlag() {
    if (this.facilityFlag) this.map.removeLayer(this.facilityFlag);
    this.facilityFlag = null;
  }

  /** Fly so that a place lands in the middle of the part of the map the household panel does not cover. */
  flyToVisible(lat, lon, zoom) {
    const inset = this.insets ? this.insets() : { right: 0, bottom: 0 };
    let target = L.latLng(lat, lon);
    if (inset.right || inset.bottom) {
      target = this.map.unproject(this.map.project(target, zoom).add([inset.right / 2, inset.bottom / 2]), zoom);
    }
    this.map.flyTo(target, zoom, { duration: 0.5 });
  }

  _updateLegendCounts() {
    const cells = this._cellTotals();
    const counts = { high: cells.high, medium: cells.medium, low: cells.low, unvisited: cells.unvisited,
      overdue: cells.overdue };
    for (const id of this.visible) {
      const p = this.markers.get(id).hm;
      counts[p.risk_level] = (counts[p.risk_level] || 0) + 1;
      if (p.overdue) counts.overdue += 1;
    }
    this.counts = counts;
    this.legend.setCounts(counts, this.visible.size + cells.count);
  }

  /** For tests and diagnostics: counts of drawn points per fill colour. */
  colorCounts() {
    const out = {};
    for (const id of this.visible) {
      const c = this.markers.get(id).options.fillColor.toUpperCase();
      out[c] = (out[c] || 0) + 1;
    }
    return out;
  }

  /** For tests: where a point is on screen and how it is drawn. */
  describePoint(id) {
    const marker = this.markers.get(id);
    if (!marker || !this.visible.has(id)) return null;
    const pt = this.map.latLngToContainerPoint(marker.getLatLng());
    const rect = this.map.getContainer().getBoundingClientRect();
    return {
      ...marker.hm, x: rect.left + pt.x, y: rect.top + pt.y, fillColor: marker.options.fillColor,
      stroke: marker.options.color, weight: marker.options.weight, radius: marker.getRadius(),
    };
  }
}
