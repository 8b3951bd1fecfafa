"""The map page of a tract, drawn with reportlab from metric geometry (no tiles, works offline)."""
import math

import numpy as np
import shapely
from reportlab.lib.colors import HexColor, white
from reportlab.pdfgen.canvas import Canvas
from shapely.geometry import LineString, box

from app.printing.schemas import Sheet
from app.risk.levels import COLORS, LABELS

INK = HexColor("#212121")
GREY = HexColor("#757575")
LIGHT = HexColor("#BDBDBD")
OUTSIDE_FILL = HexColor("#EEEEEE")
TRACT_FILL = HexColor("#FFF8E1")
ROUTE = HexColor("#546E7A")
# Text on each marker colour that stays readable in colour and in greyscale.
TEXT_ON = {"high": white, "medium": INK, "low": white, "unvisited": INK}
SHAPES = {"high": "triangle", "medium": "square", "low": "circle", "unvisited": "open"}
NICE_LENGTHS_M = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000)


class View:
    """Metric (EPSG:5186) → page coordinates for a rectangle on the page, aspect kept."""

    def __init__(self, bounds, x0: float, y0: float, width: float, height: float, pad: float = 0.06):
        minx, miny, maxx, maxy = bounds
        w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        self.scale = min(width / (w * (1 + 2 * pad)), height / (h * (1 + 2 * pad)))  # pt per metre
        self.cx, self.cy = (minx + maxx) / 2, (miny + maxy) / 2
        self.px, self.py = x0 + width / 2, y0 + height / 2
        self.x0, self.y0, self.width, self.height = x0, y0, width, height
        half_w, half_h = width / 2 / self.scale, height / 2 / self.scale
        self.box = box(self.cx - half_w, self.cy - half_h, self.cx + half_w, self.cy + half_h)

    def page(self, x: float, y: float) -> tuple[float, float]:
        return self.px + (x - self.cx) * self.scale, self.py + (y - self.cy) * self.scale

    def pages(self, coords: np.ndarray) -> np.ndarray:
        return np.column_stack([self.px + (coords[:, 0] - self.cx) * self.scale,
                                self.py + (coords[:, 1] - self.cy) * self.scale])

    def contains(self, x: float, y: float, inset: float = 0.0) -> bool:
        return (self.x0 + inset <= x <= self.x0 + self.width - inset
                and self.y0 + inset <= y <= self.y0 + self.height - inset)


def _polygons(geom):
    if geom.is_empty:
        return []
    return list(getattr(geom, "geoms", [geom])) if geom.geom_type in ("MultiPolygon", "GeometryCollection") \
        else [geom]


def draw_geometry(c: Canvas, view: View, geom, stroke: bool = True, fill: bool = False) -> None:
    """Draw a (multi)polygon clipped to the view; holes follow the even-odd rule."""
    clipped = shapely.clip_by_rect(geom, *view.box.bounds)
    path = c.beginPath()
    drawn = False
    for poly in _polygons(clipped):
        if poly.geom_type != "Polygon":
            continue
        for ring in (poly.exterior, *poly.interiors):
            pts = view.pages(np.asarray(ring.coords))
            path.moveTo(*pts[0])
            for x, y in pts[1:]:
                path.lineTo(x, y)
            path.close()
            drawn = True
    if drawn:
        c.drawPath(path, stroke=int(stroke), fill=int(fill), fillMode=1)


def _label_point(geom, view: View):
    visible = shapely.clip_by_rect(geom, *view.box.bounds)
    if visible.is_empty or visible.area < (30 / view.scale) ** 2:
        return None
    return view.page(*visible.representative_point().coords[0])


def marker_radius(n: int, view: View) -> float:
    """Marker size that lets n markers share the map without hiding it."""
    area = view.width * view.height
    return float(np.clip(math.sqrt(area / max(n, 1) / 40), 6.0, 9.0))


def spread(points: np.ndarray, r: float, view: View, iterations: int = 80) -> np.ndarray:
    """Push overlapping markers apart (leader lines show the true spot) and keep them inside the map."""
    q = points.astype(float).copy()
    n = len(q)
    if n < 2:
        return q
    need = 2 * r + 1.5
    jitter = np.column_stack([np.cos(np.arange(n) * 2.399963), np.sin(np.arange(n) * 2.399963)]) * 1e-3
    lo = np.array([view.x0 + r + 2, view.y0 + r + 2])
    hi = np.array([view.x0 + view.width - r - 2, view.y0 + view.height - r - 2])
    for _ in range(iterations):
        diff = q[:, None, :] - q[None, :, :] + jitter[:, None, :] - jitter[None, :, :]
        dist = np.hypot(diff[..., 0], diff[..., 1])
        np.fill_diagonal(dist, np.inf)
        overlap = np.clip(need - dist, 0, None)
        if not overlap.any():
            break
        push = (diff / dist[..., None]) * (overlap / 2 * 0.6)[..., None]
        q += np.nan_to_num(push.sum(axis=1))
        q = np.clip(q, lo, hi)
    return q


def draw_marker(c: Canvas, x: float, y: float, r: float, level: str, label: str, font: str,
                overdue: bool = False) -> None:
    """A numbered marker: colour per DOMAIN.md and a shape per level so greyscale copies still work."""
    shape = SHAPES[level]
    c.setLineWidth(0.9)
    c.setStrokeColor(INK)
    c.setFillColor(HexColor(COLORS[level]))
    text_y = y
    if shape == "triangle":
        R = r * 1.45
        path = c.beginPath()
        pts = [(x + R * math.cos(math.radians(a)), y + R * math.sin(math.radians(a))) for a in (90, 210, 330)]
        path.moveTo(*pts[0])
        for p in pts[1:]:
            path.lineTo(*p)
        path.close()
        c.drawPath(path, stroke=1, fill=1)
        text_y = y - r * 0.2
    elif shape == "square":
        s = r * 0.92
        c.rect(x - s, y - s, 2 * s, 2 * s, stroke=1, fill=1)
    elif shape == "circle":
        c.circle(x, y, r, stroke=1, fill=1)
    else:
        c.setLineWidth(1.4)
        c.circle(x, y, r, stroke=1, fill=1)
    size = r * (0.95 if len(label) < 3 else 0.78) * (0.85 if shape == "triangle" else 1)
    c.setFillColor(TEXT_ON[level])
    c.setFont(font, size)
    c.drawCentredString(x, text_y - size * 0.36, label)
    if overdue:
        bx, by, br = x + r * 0.95, y + r * 0.95, max(r * 0.42, 3.2)
        c.setFillColor(INK)
        c.setStrokeColor(white)
        c.setLineWidth(0.6)
        c.circle(bx, by, br, stroke=1, fill=1)
        c.setFillColor(white)
        c.setFont(font, br * 1.5)
        c.drawCentredString(bx, by - br * 0.52, "!")


def draw_start(c: Canvas, x: float, y: float, r: float) -> None:
    """A star for the start of the round (동 주민센터)."""
    path = c.beginPath()
    for k in range(10):
        rad = r * (1.2 if k % 2 == 0 else 0.5)
        a = math.radians(90 + k * 36)
        (path.moveTo if k == 0 else path.lineTo)(x + rad * math.cos(a), y + rad * math.sin(a))
    path.close()
    c.setFillColor(INK)
    c.setStrokeColor(white)
    c.setLineWidth(0.6)
    c.drawPath(path, stroke=1, fill=1)


def _nice_length(max_m: float) -> int:
    fitting = [n for n in NICE_LENGTHS_M if n <= max_m]
    return fitting[-1] if fitting else NICE_LENGTHS_M[0]


def draw_scale_bar(c: Canvas, view: View, font: str) -> None:
    """A two-segment scale bar in metres at the lower left of the map."""
    length_m = _nice_length(110 / view.scale)
    width = length_m * view.scale
    x, y = view.x0 + 10, view.y0 + 10
    c.setFillColor(white)
    c.setStrokeColor(LIGHT)
    c.setLineWidth(0.5)
    c.rect(x - 4, y - 4, width + 30, 24, stroke=1, fill=1)
    c.setStrokeColor(INK)
    c.setLineWidth(0.6)
    for k in range(2):
        c.setFillColor(INK if k == 0 else white)
        c.rect(x + k * width / 2, y, width / 2, 4, stroke=1, fill=1)
    c.setFillColor(INK)
    c.setFont(font, 7)
    c.drawCentredString(x, y + 7, "0")
    c.drawCentredString(x + width / 2, y + 7, f"{length_m / 2:g}")
    c.drawString(x + width - 3, y + 7, f"{length_m} m")


def draw_north_arrow(c: Canvas, view: View, font: str) -> None:
    """North arrow at the upper right (EPSG:5186 grid north; convergence in Seoul is under 0.1°)."""
    x, y = view.x0 + view.width - 20, view.y0 + view.height - 34
    c.setFillColor(white)
    c.setStrokeColor(LIGHT)
    c.setLineWidth(0.5)
    c.roundRect(x - 12, y - 14, 24, 44, 3, stroke=1, fill=1)
    c.setStrokeColor(INK)
    c.setFillColor(INK)
    path = c.beginPath()
    path.moveTo(x, y + 14)
    path.lineTo(x - 6, y - 8)
    path.lineTo(x, y - 3)
    path.lineTo(x + 6, y - 8)
    path.close()
    c.drawPath(path, stroke=1, fill=1)
    c.setFont(font, 9)
    c.drawCentredString(x, y + 18, "N")


def _frame_crossing(view: View, start, first):
    """Where the leg from an off-map start enters the map, in page coordinates."""
    leg = LineString([start, first]).intersection(view.box.exterior)
    if leg.is_empty:
        return None
    point = min(getattr(leg, "geoms", [leg]), key=lambda g: g.distance(shapely.Point(first)))
    return view.page(*point.coords[0])


def _start_hint(c: Canvas, view: View, edge, text: str, markers: np.ndarray, r: float, font: str) -> None:
    """Name the off-map start where its leg enters the map, in the first spot that hides no marker."""
    size = 7.5
    tw, th = c.stringWidth(text, font, size) + 4, 11
    ex, ey = edge
    for step in (0, 1, -1, 2, -2, 3, -3, 4, -4, 6, -6):
        vertical_edge = min(abs(ex - view.x0), abs(ex - view.x0 - view.width)) < 1
        cx = ex + (0 if vertical_edge else step * (tw / 2 + 6))
        cy = ey + (step * 13 if vertical_edge else 0)
        cx = min(max(cx, view.x0 + tw / 2 + 2), view.x0 + view.width - tw / 2 - 2)
        cy = min(max(cy, view.y0 + th / 2 + 2), view.y0 + view.height - th / 2 - 2)
        near_x = np.clip(markers[:, 0], cx - tw / 2, cx + tw / 2) if len(markers) else np.zeros(0)
        near_y = np.clip(markers[:, 1], cy - th / 2, cy + th / 2) if len(markers) else np.zeros(0)
        if not len(markers) or np.hypot(markers[:, 0] - near_x, markers[:, 1] - near_y).min() > r * 1.5:
            break
    c.setFillColor(white)
    c.setStrokeColor(LIGHT)
    c.setLineWidth(0.5)
    c.rect(cx - tw / 2, cy - th / 2, tw, th, stroke=1, fill=1)
    c.setFillColor(INK)
    c.setFont(font, size)
    c.drawCentredString(cx, cy - size * 0.36, text)


def draw_map(c: Canvas, sheet: Sheet, x0: float, y0: float, width: float, height: float,
             font: str, bold: str) -> View:
    """The tract filling the frame, its surroundings, the route and the numbered markers."""
    view = View(sheet.geom.bounds, x0, y0, width, height)
    c.saveState()
    frame = c.beginPath()
    frame.rect(x0, y0, width, height)
    c.clipPath(frame, stroke=0, fill=0)
    c.setFillColor(OUTSIDE_FILL)
    c.rect(x0, y0, width, height, stroke=0, fill=1)
    c.setFillColor(white)
    for d in sheet.dongs:
        if d.own_dong:
            draw_geometry(c, view, d.geom, stroke=False, fill=True)
    c.setLineWidth(0.5)
    for t in sheet.tracts:
        c.setStrokeColor(LIGHT if not t.own_dong else GREY)
        draw_geometry(c, view, t.geom)
    c.setFillColor(TRACT_FILL)
    c.setStrokeColor(INK)
    c.setLineWidth(2.2)
    draw_geometry(c, view, sheet.geom, stroke=True, fill=True)
    for d in sheet.dongs:
        c.setStrokeColor(INK if d.own_dong else GREY)
        c.setLineWidth(1.6 if d.own_dong else 1.0)
        c.setDash(7, 3)
        draw_geometry(c, view, d.geom)
        c.setDash()
    c.setFillColor(GREY)
    c.setFont(font, 8)
    for t in sheet.tracts:
        p = _label_point(t.geom, view)
        if p is not None:
            c.drawCentredString(p[0], p[1] - 3, t.name)
    c.setFont(bold, 11)
    for d in sheet.dongs:
        if not d.own_dong and (p := _label_point(d.geom, view)) is not None:
            c.drawCentredString(p[0], p[1] + 8, d.name)

    stops = sheet.stops
    r = marker_radius(len(stops), view)
    true_xy = view.pages(np.asarray([(s.x, s.y) for s in stops])) if stops else np.zeros((0, 2))
    shown = spread(true_xy, r, view)
    start_page = view.page(*sheet.start)
    c.setStrokeColor(ROUTE)
    c.setLineWidth(0.8)
    c.setDash(3, 2)
    if stops:
        route = c.beginPath()
        route.moveTo(*start_page)
        for x, y in true_xy:
            route.lineTo(x, y)
        c.drawPath(route, stroke=1, fill=0)
    c.setDash()
    c.setStrokeColor(INK)
    c.setLineWidth(0.5)
    for (tx, ty), (sx, sy) in zip(true_xy, shown, strict=False):
        if math.hypot(sx - tx, sy - ty) > r * 0.6:
            c.line(tx, ty, sx, sy)
            c.setFillColor(INK)
            c.circle(tx, ty, 1.2, stroke=0, fill=1)
    for s, (sx, sy) in zip(stops, shown, strict=False):
        draw_marker(c, sx, sy, r, s.household["risk_level"], str(s.number), bold, s.household["overdue"])
    if view.contains(*start_page, inset=4):
        draw_start(c, *start_page, r)
    elif stops and (edge := _frame_crossing(view, sheet.start, (stops[0].x, stops[0].y))) is not None:
        _start_hint(c, view, edge, f"★ {sheet.start_label}에서", shown, r, font)
    draw_scale_bar(c, view, font)
    draw_north_arrow(c, view, bold)
    c.restoreState()
    c.setStrokeColor(INK)
    c.setLineWidth(0.8)
    c.rect(x0, y0, width, height, stroke=1, fill=0)
    return view


def draw_legend(c: Canvas, sheet: Sheet, x0: float, y0: float, width: float, font: str, bold: str) -> None:
    """Legend under the map: the four levels with counts, overdue badge, start, route and boundaries."""
    counts = sheet.counts()
    c.setFillColor(INK)
    c.setFont(bold, 8.5)
    c.drawString(x0, y0 + 30, "범례")
    x = x0 + 30
    for level in ("high", "medium", "unvisited", "low"):
        draw_marker(c, x + 6, y0 + 33, 6, level, "", bold)
        c.setFillColor(INK)
        c.setFont(font, 8.5)
        c.drawString(x + 16, y0 + 30, f"{LABELS[level]} {counts[level]}")
        x += 78
    draw_marker(c, x + 6, y0 + 33, 6, "unvisited", "", bold, overdue=True)
    c.setFillColor(INK)
    c.setFont(font, 8.5)
    c.drawString(x + 20, y0 + 30, f"방문 기한 경과 {sheet.overdue_count}")

    y = y0 + 10
    x = x0 + 30
    draw_start(c, x + 6, y + 3, 5)
    c.setFillColor(INK)
    c.drawString(x + 16, y, f"출발: {sheet.start_label}")
    x += 26 + c.stringWidth(f"출발: {sheet.start_label}", font, 8.5)
    c.setStrokeColor(ROUTE)
    c.setLineWidth(0.8)
    c.setDash(3, 2)
    c.line(x, y + 3, x + 18, y + 3)
    c.setDash()
    c.drawString(x + 22, y, f"방문 동선 (번호 순, 약 {sheet.route_m / 1000:.1f} km)")
    x += 32 + c.stringWidth(f"방문 동선 (번호 순, 약 {sheet.route_m / 1000:.1f} km)", font, 8.5)
    c.setStrokeColor(INK)
    c.setLineWidth(2.2)
    c.setFillColor(TRACT_FILL)
    c.rect(x, y - 1, 16, 9, stroke=1, fill=1)
    c.setFillColor(INK)
    c.drawString(x + 20, y, "이 통")
    x += 50
    c.setLineWidth(1.6)
    c.setDash(7, 3)
    c.line(x, y + 3, x + 22, y + 3)
    c.setDash()
    c.drawString(x + 26, y, "동 경계")
    x += 68
    c.setLineWidth(0.5)
    c.setStrokeColor(GREY)
    c.rect(x, y - 1, 16, 9, stroke=1, fill=0)
    c.drawString(x + 20, y, "이웃 통")
