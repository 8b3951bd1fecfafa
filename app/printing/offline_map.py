"""The offline field map: one self-contained HTML file made with folium, Leaflet inlined, no CDN, no tiles."""
import base64
import json
import re
from functools import lru_cache
from html import escape
from pathlib import Path

import folium
import numpy as np
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template
from shapely.geometry import mapping

from app.config import get_settings
from app.errors import AppError
from app.geo.crs import KOREA_CENTRAL, WGS84, transformer
from app.printing.pdf_map import SHAPES
from app.printing.schemas import PrintJob, Sheet
from app.risk.levels import COLORS, LABELS
from app.vocab import NEEDS

LEAFLET_DIST = Path(__file__).resolve().parents[2] / "map_ui" / "node_modules" / "leaflet" / "dist"
TEXT_ON = {"high": "#FFFFFF", "medium": "#212121", "low": "#FFFFFF", "unvisited": "#212121"}


class LeafletMissing(AppError):
    status = 503

    def __init__(self):
        super().__init__("오프라인 지도용 Leaflet이 설치되어 있지 않습니다. 관리자에게 map_ui의 npm 설치를 요청하세요.")


@lru_cache
def leaflet_assets(dist: Path = LEAFLET_DIST) -> tuple[str, str]:
    """Leaflet's JS and CSS from the local npm install, the CSS images turned into data URIs."""
    try:
        js = (dist / "leaflet.js").read_text(encoding="utf-8")
        css = (dist / "leaflet.css").read_text(encoding="utf-8")
    except OSError:
        raise LeafletMissing() from None

    def inline(match: re.Match) -> str:
        image = dist / match.group(1)
        if not image.is_file():
            return "none"
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode()})"

    return js, re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)


def _lonlat(geom):
    t = transformer(KOREA_CENTRAL, WGS84)
    return shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


def _icon_svg(level: str, number: int | None, overdue: bool) -> str:
    """The marker as inline SVG: colour and shape per level (as on paper), number in the middle."""
    fill, text = COLORS[level], TEXT_ON[level]
    shape = {
        "triangle": f'<polygon points="14,1 27,25 1,25" fill="{fill}" stroke="#212121" stroke-width="1.6"/>',
        "square": f'<rect x="3" y="3" width="22" height="22" fill="{fill}" stroke="#212121" stroke-width="1.6"/>',
        "circle": f'<circle cx="14" cy="14" r="11" fill="{fill}" stroke="#212121" stroke-width="1.6"/>',
        "open": f'<circle cx="14" cy="14" r="11" fill="{fill}" stroke="#212121" stroke-width="2.6"/>',
    }[SHAPES[level]]
    ty = 21 if level == "high" else 18.5
    badge = ('<circle cx="24" cy="4" r="4" fill="#212121" stroke="#fff"/>'
             '<text x="24" y="6.6" font-size="7" fill="#fff" text-anchor="middle" font-weight="bold">!</text>'
             if overdue else "")
    return (f'<svg width="28" height="28" viewBox="0 0 28 28">{shape}'
            f'<text x="14" y="{ty}" font-size="11" font-family="sans-serif" font-weight="bold" fill="{text}" '
            f'text-anchor="middle">{"" if number is None else int(number)}</text>{badge}</svg>')


class RoundList(MacroElement):
    """The masked household list and marker popups, built in the browser with textContent from JSON."""

    _template = Template("""
        {% macro header(this, kwargs) %}<script type="application/json" id="round-data">{{ this.data }}</script>
        {% endmacro %}
        {% macro html(this, kwargs) %}<section class="round-list"><table><thead><tr><th>번호</th><th>성명</th>
        <th>주소</th><th>위험도</th><th>최근 방문</th><th>경과</th><th>욕구</th><th>전화</th></tr></thead>
        <tbody id="round-rows"></tbody></table></section>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this.map }});
        (function () {
            var data = JSON.parse(document.getElementById("round-data").textContent);
            var markers = [{% for name in this.markers %}{{ name }}{{ "," if not loop.last }}{% endfor %}];
            var body = document.getElementById("round-rows");
            data.rows.forEach(function (row, k) {
                var tr = document.createElement("tr");
                tr.className = "lvl-" + row.level;
                row.cells.forEach(function (text) {
                    var td = document.createElement("td");
                    td.textContent = text;
                    tr.appendChild(td);
                });
                body.appendChild(tr);
                var box = document.createElement("div");
                row.popup.forEach(function (line, i) {
                    var p = document.createElement(i === 0 ? "strong" : "div");
                    p.textContent = line;
                    box.appendChild(p);
                });
                markers[k].bindPopup(box);
                tr.addEventListener("click", function () {
                    {{ this.map }}.setView(markers[k].getLatLng(), Math.max({{ this.map }}.getZoom(), 17));
                    markers[k].openPopup();
                    window.scrollTo(0, 0);
                });
            });
        })();
        {% endmacro %}
    """)

    def __init__(self, rows: list[dict], markers: list[str], map_name: str):
        super().__init__()
        self._name = "RoundList"
        self.data = json.dumps({"rows": rows}, ensure_ascii=False).replace("<", "\\u003c")
        self.markers = markers
        self.map = map_name


PAGE_CSS = """
html, body { margin: 0; padding: 0; font-family: sans-serif; color: #212121; }
header { padding: 8px 10px; border-bottom: 1px solid #BDBDBD; }
header h1 { font-size: 18px; margin: 0 0 4px; }
header p { margin: 2px 0; font-size: 12px; }
.folium-map { height: 62vh !important; }
.leaflet-container { background: #F5F5F5; }
.hm-marker { background: none; border: none; }
.legend { display: flex; flex-wrap: wrap; gap: 10px; padding: 6px 10px; font-size: 12px; }
.legend span { display: inline-flex; align-items: center; gap: 3px; }
.legend svg { width: 18px; height: 18px; }
.round-list { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
td:nth-child(-n+2), td:nth-child(4), td:nth-child(5), td:nth-child(6), td:nth-child(8) { white-space: nowrap; }
td:nth-child(3) { min-width: 12em; }
th, td { border: 1px solid #BDBDBD; padding: 4px; text-align: left; }
th { background: #212121; color: #fff; position: sticky; top: 0; }
tr.lvl-high td:nth-child(4) { background: #FFCDD2; }
tr.lvl-medium td:nth-child(4) { background: #FFE0B2; }
tr.lvl-low td:nth-child(4) { background: #BBDEFB; }
.privacy { font-size: 11px; color: #B71C1C; }
"""


def _rows(sheet: Sheet, tz) -> list[dict]:
    rows = []
    for s in sheet.stops:
        h = s.household
        needs = ", ".join(NEEDS.get(n, n) for n in h["needs"]) or "-"
        last = h["last_visit_at"].astimezone(tz).strftime("%Y-%m-%d") if h["last_visit_at"] else "없음"
        overdue = "경과" if h["overdue"] else ""
        rows.append({
            "level": h["risk_level"],
            "cells": [str(s.number), h["head_name"] or "", h["address"] or "", LABELS[h["risk_level"]], last,
                      overdue, needs, h["phone"] or "-"],
            "popup": [f"{s.number}. {h['head_name']}", h["address"] or "",
                      f"{LABELS[h['risk_level']]} · 최근 방문 {last}" + (" · 방문 기한 경과" if overdue else ""),
                      f"욕구: {needs}"],
        })
    return rows


def _header_html(job: PrintJob, sheet: Sheet) -> str:
    counts = sheet.counts()
    legend = "".join(
        f'<span>{_icon_svg(level, None, False)} {LABELS[level]} {counts[level]}</span>'
        for level in ("high", "medium", "unvisited", "low"))
    legend += f"<span>! 방문 기한 경과 {sheet.overdue_count}</span>"
    return (f"<header><h1>{escape(sheet.name)} 현장 방문 지도</h1>"
            f"<p>{escape(sheet.dong_name)} · 활성 가구 {len(sheet.stops)} · 방문 동선 약 {sheet.route_m / 1000:.1f} km "
            f"(출발: {escape(sheet.start_label)}) · 번호 = 방문 순서</p>"
            f"<p>조건: {escape(job.options.describe())}</p>"
            f"<p>출력 {job.printed_at:%Y-%m-%d %H:%M} (KST) · 출력자 {escape(job.printed_by)} · "
            f"출력 사유 {escape(job.options.purpose)}</p>"
            f'<p class="privacy">개인정보 포함 — 목적 외 사용·전달 금지, 라운드 후 삭제</p></header>'
            f'<div class="legend">{legend}</div>')


def render_html(job: PrintJob) -> str:
    """One tract's round as a single HTML file that works with no network at all."""
    js, css = leaflet_assets()
    sheet = job.sheets[0]
    west, south, east, north = sheet.lonlat_geom.bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=None, zoom_start=16,
                      control_scale=False, attribution_control=False, max_zoom=20)
    fmap.default_js, fmap.default_css = [], []  # instance lists: folium's class lists point at CDNs
    root = fmap.get_root()
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    root.header.add_child(Element(f"<style>{PAGE_CSS}</style>"), name="page_css")
    root.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    root.html.add_child(Element(_header_html(job, sheet)), name="round_header", index=0)

    for outline in sheet.dongs:
        folium.GeoJson(mapping(_lonlat(outline.geom)), style_function=lambda _, own=outline.own_dong: {
            "color": "#212121" if own else "#9E9E9E", "weight": 2, "dashArray": "8 4", "fill": False}).add_to(fmap)
    for outline in sheet.tracts:
        folium.GeoJson(mapping(_lonlat(outline.geom)), style_function=lambda _: {
            "color": "#9E9E9E", "weight": 1, "fill": False}).add_to(fmap)
    folium.GeoJson(mapping(sheet.lonlat_geom), style_function=lambda _: {
        "color": "#212121", "weight": 3, "fillColor": "#FFF8E1", "fillOpacity": 0.6}).add_to(fmap)
    if sheet.stops:
        path = [[sheet.start_lonlat[1], sheet.start_lonlat[0]]] + [[s.household["lat"], s.household["lon"]]
                                                                    for s in sheet.stops]
        folium.PolyLine(path, color="#546E7A", weight=2, dash_array="5 4").add_to(fmap)
    folium.Marker([sheet.start_lonlat[1], sheet.start_lonlat[0]], icon=folium.DivIcon(
        html='<svg width="22" height="22" viewBox="0 0 22 22"><polygon '
             'points="11,0 14,8 22,8 15.5,13 18,21 11,16 4,21 6.5,13 0,8 8,8" fill="#212121"/></svg>',
        icon_size=(22, 22), icon_anchor=(11, 11), class_name="hm-start")).add_to(fmap)
    markers = []
    for s in sheet.stops:
        h = s.household
        marker = folium.Marker([h["lat"], h["lon"]], icon=folium.DivIcon(
            html=_icon_svg(h["risk_level"], s.number, h["overdue"]), icon_size=(28, 28), icon_anchor=(14, 14),
            class_name=f"hm-marker hm-{h['risk_level']}"))
        marker.add_to(fmap)
        markers.append(marker.get_name())
    fmap.fit_bounds([[south, west], [north, east]], padding=(12, 12))
    RoundList(_rows(sheet, get_settings().tz), markers, fmap.get_name()).add_to(fmap)
    return root.render()
