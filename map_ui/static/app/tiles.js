// Household vector tiles (GET /tiles/households/{z}/{x}/{y}.mvt) as data for the map: Leaflet's GridLayer
// decides which tiles the view needs and when they leave; @mapbox/vector-tile decodes them; the HappyMap draws
// what they hold with the same canvas circles as the GeoJSON layer (colours, overdue rings, click, draw order),
// so nothing looks different when a big area switches to tiles. Each tile's canvas would cut the circles at its
// edge and stack the tiles' points in load order; one shared canvas does neither.

import * as L from '/vendor/leaflet/dist/leaflet-src.esm.js';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { api } from './api.js';

export const POINTS_FROM_ZOOM = 16; // the server sends one feature per household from here (grid cells below)

function lonLat(coords, x, y, extent) {
  const n = 2 ** coords.z;
  const wx = (coords.x + x / extent) / n;
  const wy = (coords.y + y / extent) / n;
  return L.latLng((Math.atan(Math.sinh(Math.PI * (1 - 2 * wy))) * 180) / Math.PI, wx * 360 - 180);
}

/** What one tile holds: household points {id, risk_level, overdue, latlng} or cells {count, ..., latlng}. */
export function decodeTile(buffer, coords) {
  const tile = new VectorTile(new PbfReader(new Uint8Array(buffer)));
  const read = (name) => {
    const layer = tile.layers[name];
    const out = [];
    for (let i = 0; layer && i < layer.length; i += 1) {
      const f = layer.feature(i);
      const [[pt]] = f.loadGeometry();
      out.push({ ...f.properties, overdue: !!f.properties.overdue, latlng: lonLat(coords, pt.x, pt.y, layer.extent) });
    }
    return out;
  };
  return { points: read('households'), cells: read('clusters') };
}

/** A GridLayer whose tiles are empty placeholders: it fetches each tile's households and hands them over. */
export const HouseholdTileLayer = L.GridLayer.extend({
  options: { tileSize: 256, maxNativeZoom: POINTS_FROM_ZOOM, updateWhenZooming: false, keepBuffer: 1 },

  initialize(params, { onTile, onTileGone, onError }, options) {
    L.GridLayer.prototype.initialize.call(this, options);
    this.params = params;
    this.generation = 0; // tiles asked for under older filters are dropped when they arrive
    this.onTile = onTile;
    this.onTileGone = onTileGone;
    this.onError = onError;
    this.on('tileunload', (e) => this.onTileGone(this._tileCoordsToKey(e.coords)));
  },

  /** New filters: every tile is asked for again (the browser's short cache answers unchanged ones). */
  setParams(params) {
    this.params = params;
    this.generation += 1;
    this.redraw();
  },

  createTile(coords, done) {
    const el = document.createElement('div');
    const key = this._tileCoordsToKey(coords);
    const { z, x, y } = coords;
    const generation = this.generation;
    api.tile(`/tiles/households/${z}/${x}/${y}.mvt`, this.params)
      .then((buffer) => {
        // A tile that left the view, or was asked for under other filters, is not drawn.
        if (this._tiles[key] && generation === this.generation) this.onTile(key, coords, decodeTile(buffer, coords));
        done(null, el);
      })
      .catch((err) => { this.onError(err); done(err, el); });
    return el;
  },
});
